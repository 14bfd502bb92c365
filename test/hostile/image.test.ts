/**
 * Hostile images: every check of the image reader and of boot, fed its bad input.
 */
import { describe, expect, it } from 'vitest';
import { readImage, writeImage, ImageError } from '../../kernel/image/image.js';
import { bootImage, ImageRefused } from '../../kernel/boot/boot.js';
import { buildWatImage, taskWat } from '../helpers/wat.js';

const good = buildWatImage([
  { name: 'a', label: 1, wat: taskWat({ imports: ['log'], body: 'nop' }) },
  { name: 'b', label: 2, wat: taskWat({ imports: ['log'], body: 'nop' }) },
]);

function headerOf(bytes: Uint8Array): { json: Record<string, unknown>; rest: Uint8Array } {
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  return { json: JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + len))), rest: bytes.subarray(12 + len) };
}

function withHeader(json: unknown, rest: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(json));
  const out = new Uint8Array(12 + h.length + rest.length);
  out.set(good.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, h.length, true);
  out.set(h, 12);
  out.set(rest, 12 + h.length);
  return out;
}

function refusal(bytes: Uint8Array): string {
  try { bootImage(bytes, { seed: 0, console: { line: () => undefined } }); } catch (e) {
    if (e instanceof ImageRefused) return e.message;
    throw e;
  }
  throw new Error('image was accepted');
}

describe('image reader', () => {
  it('reads a good image', () => {
    expect(readImage(good).tasks.map((t) => t.name)).toEqual(['a', 'b']);
  });
  it.each([
    ['empty file', new Uint8Array(0), /truncated image: 0 bytes/],
    ['bad magic', Uint8Array.from([1, 2, 3, 4, 1, 0, 0, 0, 0, 0, 0, 0]), /bad magic/],
  ])('refuses %s', (_, bytes, message) => {
    expect(() => readImage(bytes)).toThrow(message);
  });
  it('refuses an unknown version', () => {
    const b = new Uint8Array(good); b[4] = 9;
    expect(() => readImage(b)).toThrow('unsupported image format version 9');
  });
  it('refuses an oversized header section and a truncated one', () => {
    const b = new Uint8Array(good); new DataView(b.buffer).setUint32(8, 0x7fffffff, true);
    expect(() => readImage(b)).toThrow(/oversized header section/);
    const c = new Uint8Array(good); new DataView(c.buffer).setUint32(8, good.length, true);
    expect(() => readImage(c)).toThrow(/truncated image: header section needs/);
  });
  it('refuses every truncation of the payload', () => {
    for (const cut of [1, 10, 100, 1000]) {
      expect(() => readImage(good.subarray(0, good.length - cut))).toThrow(ImageError);
    }
  });
  it('refuses trailing bytes, unknown fields, bad values and hash mismatches', () => {
    const { json, rest } = headerOf(good);
    const extended = new Uint8Array(good.length + 3); extended.set(good);
    expect(() => readImage(extended)).toThrow(/3 trailing bytes/);
    const unknown = structuredClone(json) as { tasks: Record<string, unknown>[] };
    unknown.tasks[0]!.sneaky = 1;
    expect(() => readImage(withHeader(unknown, rest))).toThrow("tasks[0]: unknown field 'sneaky'");
    const prio = structuredClone(json) as { tasks: Record<string, unknown>[] };
    prio.tasks[0]!.priority = 256;
    expect(() => readImage(withHeader(prio, rest))).toThrow('tasks[0].priority: expected an integer in 0..255, got 256');
    const caps = structuredClone(json) as { tasks: Record<string, unknown>[] };
    caps.tasks[0]!.capabilities = 0x80000000;
    expect(() => readImage(withHeader(caps, rest))).toThrow(/undefined capability bits/);
    const flipped = new Uint8Array(good); flipped[flipped.length - 5]! ^= 0x40;
    expect(() => readImage(flipped)).toThrow('tasks[1]: module content does not match its hash');
    const cfg = structuredClone(json) as { kernel: Record<string, unknown> };
    cfg.kernel.exchangeAreaLen = 256;
    expect(() => readImage(withHeader(cfg, rest))).toThrow('header.configHash does not match the kernel configuration it carries');
  });
  it('refuses at boot duplicate labels, the idle label and overlapping modules', () => {
    const { json, rest } = headerOf(good);
    const dup = structuredClone(json) as { tasks: Record<string, unknown>[] };
    dup.tasks[1]!.label = 1;
    expect(refusal(withHeader(dup, rest))).toContain("tasks 'a' and 'b' share label 0x1");
    const idle = structuredClone(json) as { tasks: Record<string, unknown>[] };
    idle.tasks[0]!.label = 0xcafe;
    expect(refusal(withHeader(idle, rest))).toContain('label 0xcafe is reserved for the idle task');
    const overlap = structuredClone(json) as { tasks: { module: { offset: number } }[] };
    overlap.tasks[1]!.module.offset = 0;
    expect(refusal(withHeader(overlap, rest))).toMatch(/overlaps another module|trailing bytes/);
  });
  it('refuses an exchange area outside the module memory', () => {
    const { json, rest } = headerOf(good);
    const bad = structuredClone(json) as { tasks: Record<string, unknown>[] };
    bad.tasks[0]!.exchangeAddress = 65536 * 64;
    const msg = refusal(withHeader(bad, rest));
    expect(msg).toContain("task 'a': image metadata says exchange area at 4194304, module says 1024");
    expect(msg).toContain("task 'a': exchange area [4194304, +128) is not an aligned window");
  });
  it('round-trips through the writer', () => {
    const img = readImage(good);
    const again = writeImage(img.kernel, img.tasks);
    expect(Buffer.from(again).equals(Buffer.from(good))).toBe(true);
  });
});
