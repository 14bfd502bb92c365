/**
 * Image format v2, reader and writer: round trips, per-app byte identity, canonical
 * encoding, and the container's structural refusals (each with its exact message).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_KERNEL_CONFIG } from '../config.js';
import { EMPTY_BOARD, type Board } from '../board.js';
import { encodeImageSections, readImage, writeImage, kernelConfigHash, type ImageTaskInput } from './image.js';
import { appendSignature, readContainer, writeContainer, SectionKind, sha256Hex, MAX_SECTIONS } from './sections.js';
import { canonicalJson } from './json-fields.js';
import { imageClaimsOf } from './manifest-claims.js';

/** The smallest module the writer accepts: a header and one memory of `pages` pages. */
function module(pages: number, filler = 0): Uint8Array {
  // magic, version, memory section (id 5, size 3 + custom padding section to vary content)
  return Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, pages, 0, 2, 1, 0x61 + filler]);
}

function task(name: string, label: number, filler = 0): ImageTaskInput {
  return {
    name, label, priority: 1, quantum: 10, capabilities: 0, autoStart: true, exitPolicy: 0, domain: 0,
    exchangeAddress: 1024, asyncifyDataAddress: 8192, asyncifyDataSize: 4096, module: module(1, filler),
  };
}

const board: Board = {
  ...EMPTY_BOARD,
  model: 'test',
  shms: [{ id: 0, path: '/shm0', label: 0x51, owner: 2, baseAddress: 0x8000, size: 256, dmaPool: false, noMap: false }],
};

function taskSections(bytes: Uint8Array): Map<string, string> {
  const image = readImage(bytes);
  return new Map(image.tasks.map((t) => [t.name, t.sectionSha256]));
}

describe('image v2 writer and reader', () => {
  it('round-trips every field and derives entry, memory pages, resources and the config hash', () => {
    const bytes = writeImage(DEFAULT_KERNEL_CONFIG, [task('b', 2), task('a', 1)], board);
    const image = readImage(bytes);
    expect(image.version).toBe(2);
    expect(image.tasks.map((t) => t.name)).toEqual(['a', 'b']);
    const b = image.tasks[1]!;
    expect(b.entry).toBe('_start');
    expect(b.memoryPages).toBe(1);
    expect(b.resources).toEqual({ devices: [], shms: [0x51], dmaStreams: [] });
    expect(b.kernelConfigSha256).toBe(kernelConfigHash(DEFAULT_KERNEL_CONFIG));
    expect(image.board.shms[0]!.label).toBe(0x51);
    expect(image.signature).toBeUndefined();
    expect(Buffer.from(writeImage(image.kernel, image.tasks, image.board)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('gives each app a section that does not change when another app changes, is added or reordered', () => {
    const base = taskSections(writeImage(DEFAULT_KERNEL_CONFIG, [task('a', 1), task('b', 2)], board));
    const changed = taskSections(writeImage(DEFAULT_KERNEL_CONFIG, [task('a', 1), task('b', 2, 1)], board));
    const added = taskSections(writeImage(DEFAULT_KERNEL_CONFIG, [task('c', 3), task('a', 1), task('b', 2)], board));
    const reordered = writeImage(DEFAULT_KERNEL_CONFIG, [task('b', 2), task('a', 1)], board);
    expect(changed.get('a')).toBe(base.get('a'));
    expect(changed.get('b')).not.toBe(base.get('b'));
    expect(added.get('a')).toBe(base.get('a'));
    expect(added.get('b')).toBe(base.get('b'));
    // Reordering the input changes nothing at all: tasks are written in label order.
    expect(Buffer.from(reordered).equals(Buffer.from(writeImage(DEFAULT_KERNEL_CONFIG, [task('a', 1), task('b', 2)], board)))).toBe(true);
  });

  it('writes canonical JSON whatever order objects were built in', () => {
    expect(new TextDecoder().decode(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: true } }))).toBe('{"a":{"c":true,"d":[1,{"y":1,"z":0}]},"b":1}');
    const reverse = (v: unknown): unknown => Array.isArray(v) ? v.map(reverse)
      : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverse(x)])) : v;
    const shuffled = reverse(board) as Board;
    expect(Object.keys(shuffled)[0]).toBe('dmaStreams');
    const one = writeImage(DEFAULT_KERNEL_CONFIG, [task('a', 1)], board);
    const two = writeImage(DEFAULT_KERNEL_CONFIG, [task('a', 1)], shuffled);
    expect(Buffer.from(one).equals(Buffer.from(two))).toBe(true);
  });

  it('carries an SBOM and a manifest, and checks the manifest against the content', () => {
    const sections = encodeImageSections(DEFAULT_KERNEL_CONFIG, [task('a', 1)], board);
    const sbom = new TextEncoder().encode('{"bomFormat":"CycloneDX"}');
    const image = readImage(writeImage(DEFAULT_KERNEL_CONFIG, [task('a', 1)], board));
    const claims = imageClaimsOf({
      formatVersion: 2, configHash: image.configHash, boardSha256: sha256Hex(sections[1]!.bytes), sbomSha256: sha256Hex(sbom),
      tasks: image.tasks.map((t) => ({ name: t.name, label: t.label, sectionSha256: t.sectionSha256, moduleSha256: t.moduleSha256 })),
    });
    const manifest = canonicalJson({ schema: 'x', image: claims });
    const good = readImage(writeImage(DEFAULT_KERNEL_CONFIG, [task('a', 1)], board, { sbom, manifest }));
    expect(new TextDecoder().decode(good.sbom)).toContain('CycloneDX');
    expect(good.sections.map((s) => s.kind)).toEqual(['kernel-config', 'board', 'task', 'sbom', 'manifest']);
    // The same manifest with a changed task: each disagreement is named.
    expect(() => writeAndRead([task('a', 1, 1)], { sbom, manifest })).toThrow(/^manifest disagrees with the image content: task 'a': manifest says section [0-9a-f]{16}, image has [0-9a-f]{16}; task 'a': manifest says module/);
    expect(() => writeAndRead([task('a', 1), task('b', 2)], { sbom, manifest })).toThrow("task 'b': in the image, not in the manifest");
    expect(() => writeAndRead([task('a', 1)], { manifest })).toThrow(/SBOM section: manifest says [0-9a-f]{16}, image has none/);
    expect(() => writeAndRead([task('a', 1)], { sbom, manifest: canonicalJson({ schema: 'x' }) })).toThrow("manifest section: missing field 'image'");
  });

  it('appends and reads a signature trailer, covering every byte before it', () => {
    const unsigned = writeImage(DEFAULT_KERNEL_CONFIG, [task('a', 1)]);
    const signed = appendSignature(unsigned, '-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n');
    const container = readContainer(signed);
    expect(container.signature?.signedLength).toBe(unsigned.length);
    expect(container.signature?.armored).toContain('BEGIN PGP SIGNATURE');
  });
});

function writeAndRead(tasks: readonly ImageTaskInput[], attachments: { sbom?: Uint8Array; manifest?: Uint8Array }) {
  return readImage(writeImage(DEFAULT_KERNEL_CONFIG, tasks, board, attachments));
}

describe('image v2 container refusals', () => {
  const good = writeImage(DEFAULT_KERNEL_CONFIG, [task('a', 1), task('b', 2)], board);
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

  it('refuses too many sections before reading the table', () => {
    const b = new Uint8Array(good); view(b).setUint32(8, MAX_SECTIONS + 1, true);
    expect(() => readImage(b)).toThrow(`oversized section table: ${MAX_SECTIONS + 1} sections (limit ${MAX_SECTIONS})`);
    const c = new Uint8Array(good); view(c).setUint32(8, 200, true);
    expect(() => readImage(c)).toThrow(`truncated image: the section table needs ${12 + 200 * 44} bytes, the file has ${good.length}`);
  });

  it('refuses an unknown section kind, an oversized section and a gap between sections', () => {
    const kind = new Uint8Array(good); view(kind).setUint32(12 + 44 * 2, 77, true);
    expect(() => readImage(kind)).toThrow('section 2: unknown section kind 77');
    const big = new Uint8Array(good); view(big).setUint32(12 + 8, 5000, true);
    expect(() => readImage(big)).toThrow('oversized kernel-config section: section 0 claims 5000 bytes (limit 4096)');
    const gap = new Uint8Array(good); view(gap).setUint32(12 + 44 + 4, view(good).getUint32(12 + 44 + 4, true) + 1, true);
    expect(() => readImage(gap)).toThrow(/^section 1 \(board\) starts at byte \d+; sections are contiguous in table order, so it must start at \d+$/);
  });

  it('refuses sections out of order and task sections out of label order', () => {
    const sections = encodeImageSections(DEFAULT_KERNEL_CONFIG, [task('a', 1), task('b', 2)], board);
    expect(() => readImage(writeContainer([sections[1]!, sections[0]!, ...sections.slice(2)]))).toThrow('section 0: expected the kernel-config section (order is kernel-config, board, task..., sbom, manifest)');
    expect(() => readImage(writeContainer([sections[0]!, sections[1]!, sections[3]!, sections[2]!]))).toThrow("task sections are not in label order: 'a' (0x1) follows 'b' (0x2)");
    const manifest = { kind: SectionKind.Manifest, bytes: canonicalJson({}) };
    expect(() => readImage(writeContainer([...sections.slice(0, 2), manifest, sections[2]!]))).toThrow('section 3: unexpected task section');
    expect(() => readImage(writeContainer([...sections, { kind: SectionKind.Board, bytes: sections[1]!.bytes }]))).toThrow('section 4: unexpected board section');
  });

  it('refuses more tasks than CONFIG_MAX_TASKS', () => {
    const config = { ...DEFAULT_KERNEL_CONFIG, maxTasks: 1 };
    expect(() => readImage(writeImage(config, [task('a', 1), task('b', 2)]))).toThrow('image has more than 1 tasks; the kernel configuration allows 1 (CONFIG_MAX_TASKS)');
  });

  it('refuses a malformed trailer: truncated, oversized, trailing bytes, not text', () => {
    const signed = appendSignature(good, 'sig\n');
    expect(() => readImage(signed.subarray(0, signed.length - 2))).toThrow('truncated image: the signature trailer needs 4 bytes, 2 present');
    expect(() => readImage(signed.subarray(0, good.length + 6))).toThrow('truncated image: the signature trailer header needs 8 bytes, 6 present');
    const extended = new Uint8Array(signed.length + 3); extended.set(signed);
    expect(() => readImage(extended)).toThrow('image has 3 trailing bytes after its signature trailer');
    const huge = new Uint8Array(signed); view(huge).setUint32(good.length + 4, 1 << 20, true);
    expect(() => readImage(huge)).toThrow('oversized signature trailer: 1048576 bytes (limit 65536)');
    const binary = appendSignature(good, 'si\u0001\n');
    expect(() => readImage(binary)).toThrow('signature trailer is not ASCII-armored text');
  });
});
