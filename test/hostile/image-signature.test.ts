/**
 * Hostile signed images: a kernel with a trust anchor refuses every altered, unsigned,
 * re-signed or badly signed image, each with its own reason.
 *
 * The byte-flip sweep covers every part of a complete signed image (fixed header, section
 * table, kernel-config, board, each task, SBOM, manifest, signature trailer): every byte
 * of the header, the table and the trailer, and an even sample inside each section.
 */
import { describe, expect, it } from 'vitest';
import * as openpgp from 'openpgp';
import { encodeImageSections, readImage, kernelConfigHash } from '../../kernel/image/image.js';
import { readContainer, sha256Hex, writeContainer, SectionKind, appendSignature, type SectionContent } from '../../kernel/image/sections.js';
import { canonicalJson } from '../../kernel/image/json-fields.js';
import { imageClaimsOf } from '../../kernel/image/manifest-claims.js';
import { bootImage, bootSignedImage, ImageRefused } from '../../kernel/boot/boot.js';
import { OPENPGP_CONFIG } from '../../kernel/boot/verify.js';
import { generateKeyPair } from '../../toolchain/integrate/keys.js';
import { signDetached, signImage } from '../../toolchain/integrate/sign.js';
import { EMPTY_BOARD } from '../../kernel/board.js';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';
import { buildWatImage, taskWat } from '../helpers/wat.js';

const created = new Date('2024-01-01T00:00:00Z');
const signedAt = new Date('2024-06-01T00:00:00Z');
const integrator = await generateKeyPair({ name: 'Test integrator', date: created });
const intruder = await generateKeyPair({ name: 'Intruder', date: created });
const integratorKey = await openpgp.readPrivateKey({ armoredKey: integrator.privateKey });
const intruderKey = await openpgp.readPrivateKey({ armoredKey: intruder.privateKey });
const quiet = { seed: 0, console: { line: () => undefined } };

/** A complete image: kernel-config, board, two tasks, SBOM, manifest. */
function completeUnsigned(): Uint8Array {
  const plain = readImage(buildWatImage([
    { name: 'a', label: 1, wat: taskWat({ imports: ['log'], body: 'nop' }) },
    { name: 'b', label: 2, wat: taskWat({ imports: ['log'], body: 'nop' }) },
  ]));
  const sections = encodeImageSections(DEFAULT_KERNEL_CONFIG, plain.tasks, EMPTY_BOARD);
  const sbom = canonicalJson({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [] });
  const claims = imageClaimsOf({
    formatVersion: 2, configHash: kernelConfigHash(DEFAULT_KERNEL_CONFIG), boardSha256: sha256Hex(sections[1]!.bytes), sbomSha256: sha256Hex(sbom),
    tasks: plain.tasks.map((t) => ({ name: t.name, label: t.label, sectionSha256: t.sectionSha256, moduleSha256: t.moduleSha256 })),
  });
  return writeContainer([...sections, { kind: SectionKind.Sbom, bytes: sbom }, { kind: SectionKind.Manifest, bytes: canonicalJson({ image: claims }) }]);
}

const unsigned = completeUnsigned();
const signed = await signImage(unsigned, integratorKey, signedAt);

async function refusal(bytes: Uint8Array, anchor = integrator.publicKey): Promise<string> {
  try {
    await bootSignedImage(bytes, { ...quiet, trustAnchor: anchor });
  } catch (error) {
    if (error instanceof ImageRefused) return error.message;
    throw error;
  }
  return 'ACCEPTED';
}

describe('signed images at boot', () => {
  it('boots a good signed image and says who signed it', async () => {
    const log: string[] = [];
    const kernel = await bootSignedImage(signed, { ...quiet, kernelLog: (l) => log.push(l), trustAnchor: integrator.publicKey });
    expect(kernel.run().end.kind).not.toBe('panic');
    expect(log[0]).toBe(`rampart: image signature verified: key ${integrator.fingerprint} (Test integrator), signed 2024-06-01T00:00:00.000Z`);
    // Without a trust anchor the same image boots unverified (tests, development runs).
    expect(() => bootImage(signed, quiet)).not.toThrow();
  });

  it('refuses an unsigned image when the kernel has a trust anchor', async () => {
    expect(await refusal(unsigned)).toContain(`image is not signed, and this kernel has a trust anchor (${integrator.fingerprint}): unsigned images are refused`);
  });

  it('refuses to skip verification: the synchronous boot path rejects a trust anchor', () => {
    expect(() => bootImage(signed, { ...quiet, trustAnchor: integrator.publicKey })).toThrow('a trust anchor is configured: boot with bootSignedImage, which verifies the signature first');
  });

  it('refuses an image signed by another key', async () => {
    const resigned = await signImage(unsigned, intruderKey, signedAt);
    const keyId = intruderKey.getKeyID().toHex();
    expect(await refusal(resigned)).toContain(`image is signed by key ${keyId}, not by the trust anchor ${integrator.fingerprint}`);
  });

  it('refuses when the trust anchor is revoked', async () => {
    const revoked = await openpgp.revokeKey({ key: integratorKey, format: 'armored', config: OPENPGP_CONFIG, date: new Date('2024-07-01T00:00:00Z') });
    expect(await refusal(signed, revoked.publicKey)).toContain(`the trust anchor key ${integrator.fingerprint} is revoked`);
  });

  it('refuses a trust anchor that is not a key', async () => {
    expect(await refusal(signed, 'not a key')).toMatch(/^image refused:\n {2}- trust anchor is not a readable OpenPGP public key: /);
  });

  it('refuses a trailer that is not canonical, holds two signatures or is not a signature', async () => {
    const trailer = readContainer(signed).signature!.armored;
    const withComment = trailer.replace('-----BEGIN PGP SIGNATURE-----\n', '-----BEGIN PGP SIGNATURE-----\nComment: harmless?\n');
    expect(await refusal(appendSignature(unsigned, withComment))).toContain('signature trailer is not in canonical armored form (its text was altered)');
    const sigA = await openpgp.readSignature({ armoredSignature: trailer });
    const sigB = await openpgp.readSignature({ armoredSignature: await signDetached(unsigned, intruderKey, signedAt) });
    const both = new openpgp.Signature(new openpgp.PacketList(...sigA.packets, ...sigB.packets) as openpgp.PacketList<openpgp.SignaturePacket>).armor({ ...openpgp.config, ...OPENPGP_CONFIG });
    expect(await refusal(appendSignature(unsigned, both))).toContain('signature trailer holds 2 signatures; exactly one is expected');
    expect(await refusal(appendSignature(unsigned, 'hello\n'))).toMatch(/signature trailer is not an OpenPGP signature: /);
  });

  it('verifies the bytes it boots, even if the caller changes its buffer meanwhile', async () => {
    const mine = new Uint8Array(signed);
    const booting = bootSignedImage(mine, { ...quiet, trustAnchor: integrator.publicKey });
    mine.fill(0);
    await expect(booting).resolves.toBeDefined();
  });

  it('refuses every flipped byte: a sample of positions across every section, all of the header, table and trailer', async () => {
    const container = readContainer(signed);
    const parts: { name: string; from: number; to: number; every: boolean }[] = [
      { name: 'fixed header', from: 0, to: 12, every: true },
      { name: 'section table', from: 12, to: container.sections[0]!.offset, every: true },
      ...container.sections.map((s) => ({ name: `section ${s.index} (${s.kind === SectionKind.Task ? 'task' : SectionKind[s.kind]})`, from: s.offset, to: s.offset + s.length, every: false })),
      { name: 'signature trailer', from: container.signature!.signedLength, to: signed.length, every: true },
    ];
    const SAMPLE = 24;
    const accepted: string[] = [];
    let tried = 0;
    for (const part of parts) {
      const length = part.to - part.from;
      const positions = part.every || length <= SAMPLE ? Array.from({ length }, (_, i) => part.from + i)
        : Array.from({ length: SAMPLE }, (_, i) => part.from + Math.floor((i * (length - 1)) / (SAMPLE - 1)));
      for (const at of positions) {
        for (const mask of [0x01, 0x80]) {
          const flipped = new Uint8Array(signed);
          flipped[at]! ^= mask;
          tried++;
          if ((await refusal(flipped)) === 'ACCEPTED') accepted.push(`${part.name} byte ${at} ^ 0x${mask.toString(16)}`);
        }
      }
    }
    console.log(`byte-flip sweep: ${tried} flipped images over ${parts.length} parts (${signed.length} bytes), ${tried - accepted.length} refused`);
    expect(accepted).toEqual([]);
    expect(tried).toBeGreaterThan(1000);
  }, 300_000);

  it('names the altered content when the signature no longer matches', async () => {
    // Re-pack with consistent hashes but keep the old signature: only the signature notices.
    const sections: SectionContent[] = readContainer(signed).sections.map((s) => ({ kind: s.kind, bytes: new Uint8Array(s.bytes) }));
    const kernel = JSON.parse(new TextDecoder().decode(sections[0]!.bytes)) as Record<string, unknown>;
    kernel.nominalFrequencyHz = 32_000_000;
    sections[0] = { kind: SectionKind.KernelConfig, bytes: canonicalJson(kernel) };
    // Keep kernel-config and board only: task sections are bound to the kernel configuration
    // and the manifest to every section, and either would refuse before the signature does.
    const forged = appendSignature(writeContainer(sections.slice(0, 2)), readContainer(signed).signature!.armored);
    expect(readImage(forged).tasks).toHaveLength(0);
    expect(await refusal(forged)).toContain(`image signature does not match its content (the image was altered after signing; trust anchor ${integrator.fingerprint})`);
  });
});
