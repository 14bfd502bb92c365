/**
 * Detached OpenPGP signatures made and checked by the toolchain, and the build's clock.
 *
 * Owns two things:
 * - signing: one detached, armored signature per signed file (image, SBOM, manifest, an
 *   app's source manifest) and the image's embedded trailer, all in the canonical form
 *   the kernel's verifier demands (kernel/boot/verify.ts), and all readable by
 *   `gpg --verify FILE.asc FILE`;
 * - the build date: SOURCE_DATE_EPOCH when set, else the newest creation time among the
 *   inputs that carry one (the integrator key, the app signatures). Every timestamp of a
 *   build (SBOM, manifest, signature creation times) is this date, never the wall clock:
 *   with Ed25519 being deterministic, the same inputs then give byte-identical signatures.
 * Checks that need the real time (is a key expired *now*?) take `now` explicitly.
 */

import * as openpgp from 'openpgp';
import { appendSignature } from '../../kernel/image/sections.js';
import { OPENPGP_CONFIG } from '../../kernel/boot/verify.js';
import { KeyError, keyUnusableReason, pgpConfig } from './keys.js';

/** A signature that does not check out, or a signing key that cannot be used. */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
}

/**
 * The build date: `SOURCE_DATE_EPOCH` (seconds, https://reproducible-builds.org/specs/
 * source-date-epoch/) when set, else the newest of `inputDates`.
 */
export function buildDate(inputDates: readonly Date[], env: NodeJS.ProcessEnv = process.env): Date {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && epoch !== '') {
    if (!/^[0-9]{1,12}$/.test(epoch)) throw new SignatureError(`SOURCE_DATE_EPOCH='${epoch}' is not a number of seconds since 1970`);
    return new Date(Number(epoch) * 1000);
  }
  const newest = inputDates.reduce((max, d) => Math.max(max, d.getTime()), 0);
  // OpenPGP times have one-second resolution: round so every use agrees.
  return new Date(Math.floor(newest / 1000) * 1000);
}

/** Sign `data` with `key`, as of `date`: an armored detached signature. */
export async function signDetached(data: Uint8Array, key: openpgp.PrivateKey, date: Date): Promise<string> {
  if (date.getTime() < key.getCreationTime().getTime()) {
    throw new SignatureError(`cannot sign as of ${date.toISOString()}: the key ${key.getFingerprint()} was created later (${key.getCreationTime().toISOString()}); raise SOURCE_DATE_EPOCH`);
  }
  try {
    return await openpgp.sign({
      message: await openpgp.createMessage({ binary: data }),
      signingKeys: key,
      detached: true,
      date,
      format: 'armored',
      config: OPENPGP_CONFIG,
    });
  } catch (error) {
    throw new SignatureError(`cannot sign with key ${key.getFingerprint()}: ${(error as Error).message.replace(/^Error signing message: /, '')}`);
  }
}

/** Check that `key` may sign now; throws `KeyError` naming `file` and the reason. */
export async function assertUsableSigningKey(key: openpgp.PrivateKey, file: string, now: Date): Promise<void> {
  const reason = await keyUnusableReason(key, now);
  if (reason !== undefined) throw new KeyError(`${file}: ${reason}; it may not sign`);
}

/** Sign an unsigned image: append the trailer carrying a signature over all its bytes. */
export async function signImage(unsigned: Uint8Array, key: openpgp.PrivateKey, date: Date): Promise<Uint8Array> {
  return appendSignature(unsigned, await signDetached(unsigned, key, date));
}

/** A verified detached signature. */
export interface DetachedVerification {
  /** Fingerprint of the key that verified it. */
  readonly fingerprint: string;
  readonly signedAt: Date;
}

/**
 * Verify an armored detached signature over `data` by one of `keys`, with key validity
 * judged at the signature's creation time. Rejects with `SignatureError` and the reason.
 */
export async function verifyDetached(data: Uint8Array, armored: string, keys: readonly openpgp.PublicKey[]): Promise<DetachedVerification> {
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature: armored });
  } catch (error) {
    throw new SignatureError(`not an OpenPGP signature: ${(error as Error).message}`);
  }
  if (signature.packets.length !== 1) throw new SignatureError(`holds ${signature.packets.length} signatures; exactly one is expected`);
  const created = signature.packets[0]!.created ?? new Date(0);
  const issuers = signature.getSigningKeyIDs().map((id) => id.toHex());
  const signer = keys.find((k) => k.getKeys().some((sub) => issuers.includes(sub.getKeyID().toHex())));
  if (signer === undefined) throw new SignatureError(`signed by key ${issuers.join(', ')}, which is not among the expected keys`);
  try {
    const result = await openpgp.verify({
      message: await openpgp.createMessage({ binary: data }),
      signature,
      verificationKeys: signer,
      date: created,
      expectSigned: true,
      format: 'binary',
      config: pgpConfig(),
    });
    for (const s of result.signatures) await s.verified;
  } catch (error) {
    const message = (error as Error).message.replace(/^Error verifying signed message: /, '');
    throw new SignatureError(/digest did not match/i.test(message) ? 'signature does not match the content (it changed after signing)' : message);
  }
  return { fingerprint: signer.getFingerprint(), signedAt: created };
}

/** The issuer key IDs and creation time of an armored signature, without verifying it. */
export async function signatureFacts(armored: string): Promise<{ readonly keyIds: readonly string[]; readonly created: Date }> {
  const signature = await openpgp.readSignature({ armoredSignature: armored });
  return { keyIds: signature.getSigningKeyIDs().map((id) => id.toHex()), created: signature.packets[0]?.created ?? new Date(0) };
}
