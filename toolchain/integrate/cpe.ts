/**
 * The CPE 2.3 name of a product image (formatted-string binding, NISTIR 7695).
 *
 * A product image is firmware: an operating system in CPE terms, so its part is `o`.
 * Attribute values are lowercased; letters, digits, '_', '-' and '.' are written as they
 * are and every other character is escaped with a backslash, as the formatted-string
 * binding requires. Unset attributes are `*` (ANY).
 */

/** The identity a CPE name is made from. */
export interface CpeIdentity {
  readonly vendor: string;
  readonly product: string;
  readonly version: string;
}

function bindValue(value: string): string {
  if (value === '') return '*';
  return value.toLowerCase().replace(/[^a-z0-9_.-]/g, (c) => `\\${c}`);
}

/** `cpe:2.3:o:<vendor>:<product>:<version>:*:*:*:*:*:*:*` */
export function productCpe(identity: CpeIdentity): string {
  return ['cpe', '2.3', 'o', bindValue(identity.vendor), bindValue(identity.product), bindValue(identity.version), '*', '*', '*', '*', '*', '*', '*'].join(':');
}
