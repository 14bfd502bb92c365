/**
 * Image signature verification at boot: the trust anchor against the signature trailer.
 *
 * Owns the kernel's one use of OpenPGP. The image reader has already split the image into
 * the signed bytes and the armored trailer (kernel/image/sections.ts); this module checks
 * that the trailer is exactly one signature, in the canonical armored form this toolchain
 * writes, made by the trust anchor key over those bytes.
 *
 * Invariants and the reasons for them:
 * - The armored text must be byte-identical to the canonical armoring of the signature it
 *   decodes to. OpenPGP readers are lenient with armor (the CRC line, header lines, line
 *   breaks are not covered by the signature); without this rule some flipped bytes of a
 *   signed image would go unnoticed. With it, every byte of the file is covered.
 * - Key validity is judged at the signature's creation time, because the kernel has no
 *   wall clock (it is deterministic by design). A revoked anchor is refused at any time
 *   (OpenPGP treats a revocation without a date limit as covering every signature). That
 *   a signing key has not *since* expired is the integrator's and `rampart verify`'s check,
 *   both of which have a clock.
 * - Failures are refusals with the reason, never a silent downgrade to "unsigned".
 */

import * as openpgp from 'openpgp';
import type { SignatureTrailer } from '../image/image.js';

/**
 * OpenPGP settings shared by the signer and the verifier.
 * - `nonDeterministicSignaturesViaNotation: false`: openpgp.js would otherwise add a random
 *   salt notation to every signature; Ed25519 is deterministic on its own, so with a fixed
 *   creation time the same bytes give the same signature (reproducible builds).
 * - no Version/Comment armor headers: the armored form is then canonical.
 */
export const OPENPGP_CONFIG = Object.freeze({
  nonDeterministicSignaturesViaNotation: false,
  showVersion: false,
  showComment: false,
});

/** A signature that does not check out; the message says why. */
export class ImageSignatureError extends Error {
  override readonly name = 'ImageSignatureError';
}

/** Who signed the image, once verified. */
export interface VerifiedSigner {
  /** Primary key fingerprint, lowercase hex. */
  readonly fingerprint: string;
  readonly userIds: readonly string[];
  /** The signature's creation time (from the signature itself). */
  readonly signedAt: Date;
}

/** Read an armored public key (or the public half of a private key). */
export async function readTrustAnchor(armored: string): Promise<openpgp.PublicKey> {
  try {
    const key = await openpgp.readKey({ armoredKey: armored, config: OPENPGP_CONFIG });
    return key.isPrivate() ? key.toPublic() : key;
  } catch (error) {
    throw new ImageSignatureError(`trust anchor is not a readable OpenPGP public key: ${(error as Error).message}`);
  }
}

/** Turn openpgp.js's reasons into ones that name what to look at. */
function explain(message: string, anchor: openpgp.PublicKey, keyIds: readonly string[]): string {
  const fp = anchor.getFingerprint();
  if (/Could not find signing key/i.test(message)) return `image is signed by key ${keyIds.join(', ')}, not by the trust anchor ${fp}`;
  if (/revoked/i.test(message)) return `the trust anchor key ${fp} is revoked`;
  if (/expired/i.test(message)) return `the trust anchor key ${fp} was expired when the image was signed`;
  if (/digest did not match|Signed digest/i.test(message)) return `image signature does not match its content (the image was altered after signing; trust anchor ${fp})`;
  return `image signature does not verify against the trust anchor ${fp}: ${message.replace(/^Error verifying signed message: /, '')}`;
}

/**
 * Verify `bytes` (a whole image) against `anchorArmored`. `trailer` is the image's parsed
 * signature trailer. Resolves with the signer, or rejects with `ImageSignatureError`.
 */
export async function verifyImageSignature(bytes: Uint8Array, trailer: SignatureTrailer | undefined, anchorArmored: string): Promise<VerifiedSigner> {
  const anchor = await readTrustAnchor(anchorArmored);
  if (trailer === undefined) throw new ImageSignatureError(`image is not signed, and this kernel has a trust anchor (${anchor.getFingerprint()}): unsigned images are refused`);
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature: trailer.armored, config: OPENPGP_CONFIG });
  } catch (error) {
    throw new ImageSignatureError(`signature trailer is not an OpenPGP signature: ${(error as Error).message}`);
  }
  if (signature.armor({ ...openpgp.config, ...OPENPGP_CONFIG }) !== trailer.armored) throw new ImageSignatureError('signature trailer is not in canonical armored form (its text was altered)');
  const packets = signature.packets;
  if (packets.length !== 1) throw new ImageSignatureError(`signature trailer holds ${packets.length} signatures; exactly one is expected`);
  const created = packets[0]!.created;
  if (created === null) throw new ImageSignatureError('image signature carries no creation time');
  const keyIds = signature.getSigningKeyIDs().map((id) => id.toHex());
  try {
    const result = await openpgp.verify({
      message: await openpgp.createMessage({ binary: bytes.subarray(0, trailer.signedLength) }),
      signature,
      verificationKeys: anchor,
      date: created,
      expectSigned: true,
      format: 'binary',
      config: OPENPGP_CONFIG,
    });
    for (const s of result.signatures) await s.verified;
  } catch (error) {
    throw new ImageSignatureError(explain((error as Error).message, anchor, keyIds));
  }
  return {
    fingerprint: anchor.getFingerprint(),
    userIds: anchor.getUserIDs(),
    signedAt: created,
  };
}
