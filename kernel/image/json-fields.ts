/**
 * Strict JSON field readers and the canonical JSON writer shared by the image sections.
 *
 * Owns the one discipline every JSON section of an image follows: every field present,
 * typed and in range, nothing unknown, each failure naming the field by its path. The
 * writer emits keys in sorted order at every depth, so the bytes of a section depend on
 * its content only, never on the order in which some producer built its objects; that is
 * what makes a section reproducible and byte-identical across unrelated changes.
 * Never returns a partially checked value: a reader either returns or throws `ImageError`.
 */

import { ImageError } from './image-error.js';

/** A JSON object whose keys have been checked against an exact list. */
export type JsonObject = Record<string, unknown>;

/** An object with exactly `keys` (no more, no fewer). */
export function object(v: unknown, where: string, keys: readonly string[]): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ImageError(`${where}: expected an object`);
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw new ImageError(`${where}: unknown field '${k}'`);
  for (const k of keys) if (!(k in v)) throw new ImageError(`${where}: missing field '${k}'`);
  return v as JsonObject;
}

/** An integer in `min..max`. */
export function integer(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ImageError(`${where}: expected an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** A string matching `pattern`. */
export function text(v: unknown, where: string, pattern: RegExp): string {
  if (typeof v !== 'string' || !pattern.test(v)) throw new ImageError(`${where}: invalid value ${JSON.stringify(v)}`);
  return v;
}

/** `true` or `false`, nothing truthy. */
export function boolean(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new ImageError(`${where}: expected true or false`);
  return v;
}

/** An array of at most `max` entries. */
export function array(v: unknown, where: string, max: number): unknown[] {
  if (!Array.isArray(v) || v.length > max) throw new ImageError(`${where}: expected an array of at most ${max} entries`);
  return v;
}

/** A lowercase hex SHA-256. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Decode UTF-8 JSON strictly (invalid UTF-8 is an error, not U+FFFD). */
export function parseJsonSection(bytes: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ImageError(`corrupt ${where}: ${(error as Error).message}`);
  }
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const value = (v as Record<string, unknown>)[k];
      if (value !== undefined) out[k] = canonical(value);
    }
    return out;
  }
  return v;
}

/**
 * Canonical JSON bytes: keys sorted at every depth, no whitespace, UTF-8. Two equal values
 * always give the same bytes, whatever order their objects were built in.
 */
export function canonicalJson(v: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(canonical(v)));
}
