/**
 * Hostile images (format v2): every check of the image reader and of boot, fed its bad
 * input. Forged images are re-packed with consistent section hashes where the point is to
 * reach a deeper check (an attacker can always recompute an unsigned image's hashes; only
 * a signature stops that, see image-signature.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { readImage, writeImage, ImageError, kernelConfigHash } from '../../kernel/image/image.js';
import { readContainer, writeContainer, SectionKind, type SectionContent } from '../../kernel/image/sections.js';
import { canonicalJson } from '../../kernel/image/json-fields.js';
import { bootImage, ImageRefused } from '../../kernel/boot/boot.js';
import { buildWatImage, taskWat, watToWasm } from '../helpers/wat.js';
import { integrateModule } from '../../toolchain/build/project.js';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';
import type { Board } from '../../kernel/board.js';
import { ExitPolicy } from '../../toolchain/abi/index.js';

const good = buildWatImage([
  { name: 'a', label: 1, wat: taskWat({ imports: ['log'], body: 'nop' }) },
  { name: 'b', label: 2, wat: taskWat({ imports: ['log'], body: 'nop' }) },
]);

type Json = Record<string, unknown>;

/** The image's sections, editable. */
function sectionsOf(bytes: Uint8Array): SectionContent[] {
  return readContainer(bytes).sections.map((s) => ({ kind: s.kind, bytes: new Uint8Array(s.bytes) }));
}

/** Split a task section into metadata JSON and module. */
function splitTask(section: Uint8Array): { meta: Json; module: Uint8Array } {
  const m = new DataView(section.buffer, section.byteOffset).getUint32(0, true);
  return { meta: JSON.parse(new TextDecoder().decode(section.subarray(4, 4 + m))) as Json, module: section.subarray(4 + m) };
}

function joinTask(meta: unknown, module: Uint8Array): Uint8Array {
  const json = canonicalJson(meta);
  const out = new Uint8Array(4 + json.length + module.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  out.set(module, 4 + json.length);
  return out;
}

/** Re-pack `good` with task `index`'s metadata edited (hashes made consistent again). */
function withTaskMeta(index: number, edit: (meta: Json) => void): Uint8Array {
  const sections = sectionsOf(good);
  const { meta, module } = splitTask(sections[2 + index]!.bytes);
  edit(meta);
  sections[2 + index] = { kind: SectionKind.Task, bytes: joinTask(meta, module) };
  return writeContainer(sections);
}

function refusal(bytes: Uint8Array, options: { kernelConfigHash?: string } = {}): string {
  try { bootImage(bytes, { seed: 0, console: { line: () => undefined }, ...options }); } catch (e) {
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
    ['bad magic', Uint8Array.from([1, 2, 3, 4, 2, 0, 0, 0, 0, 0, 0, 0]), /bad magic/],
  ])('refuses %s', (_, bytes, message) => {
    expect(() => readImage(bytes)).toThrow(message);
  });
  it('refuses an unknown version, including version 1', () => {
    const b = new Uint8Array(good); b[4] = 9;
    expect(() => readImage(b)).toThrow('unsupported image format version 9 (this kernel reads version 2)');
    const v1 = new Uint8Array(good); v1[4] = 1;
    expect(() => readImage(v1)).toThrow('unsupported image format version 1');
  });
  it('refuses an oversized section and a truncated one', () => {
    const b = new Uint8Array(good); new DataView(b.buffer).setUint32(12 + 44 * 2 + 8, 0x7fffffff, true);
    expect(() => readImage(b)).toThrow('oversized task section: section 2 claims 2147483647 bytes (limit 33554432)');
    const c = new Uint8Array(good); new DataView(c.buffer).setUint32(12 + 44 * 3 + 8, good.length, true);
    expect(() => readImage(c)).toThrow(/^truncated image: section 3 \(task\) ends at byte \d+, the file has \d+$/);
  });
  it('refuses every truncation', () => {
    for (const cut of [1, 10, 100, 1000, good.length - 20, good.length - 1]) {
      expect(() => readImage(good.subarray(0, good.length - cut))).toThrow(/^truncated image/);
    }
  });
  it('refuses trailing bytes, unknown fields, bad values and hash mismatches', () => {
    const extended = new Uint8Array(good.length + 3); extended.set(good);
    expect(() => readImage(extended)).toThrow(/3 trailing bytes/);
    expect(() => readImage(withTaskMeta(0, (m) => { m.sneaky = 1; }))).toThrow("tasks[0]: unknown field 'sneaky'");
    expect(() => readImage(withTaskMeta(0, (m) => { m.priority = 256; }))).toThrow('tasks[0].priority: expected an integer in 0..255, got 256');
    expect(() => readImage(withTaskMeta(0, (m) => { m.capabilities = 0x80000000; }))).toThrow(/undefined capability bits/);
    expect(() => readImage(withTaskMeta(0, (m) => { m.entry = 'main'; }))).toThrow('tasks[0].entry: invalid value "main"');
    const flipped = new Uint8Array(good); flipped[flipped.length - 5]! ^= 0x40;
    expect(() => readImage(flipped)).toThrow('section 3 (task): content does not match its SHA-256 in the section table');
    // Module edited and the section hash recomputed, but not the metadata's module hash.
    const sections = sectionsOf(good);
    const tampered = sections[3]!.bytes; tampered[tampered.length - 5]! ^= 0x40;
    expect(() => readImage(writeContainer(sections))).toThrow('tasks[1]: module content does not match its hash');
    expect(() => readImage(withTaskMeta(1, (m) => { (m.module as Json).length = 9; }))).toThrow(/^truncated image: tasks\[1\] module should be 9 bytes, the section holds \d+$/);
  });
  it('refuses a task integrated for another kernel configuration', () => {
    const sections = sectionsOf(good);
    const kernel = JSON.parse(new TextDecoder().decode(sections[0]!.bytes)) as Json;
    kernel.exchangeAreaLen = 256;
    sections[0] = { kind: SectionKind.KernelConfig, bytes: canonicalJson(kernel) };
    expect(() => readImage(writeContainer(sections))).toThrow(/^task 'a' was integrated for another kernel configuration \([0-9a-f]{16}\); this image's is [0-9a-f]{16}$/);
  });
  it('refuses at boot an image for another kernel configuration than the kernel\'s', () => {
    const other = kernelConfigHash({ ...readImage(good).kernel, maxTasks: 4 });
    expect(refusal(good, { kernelConfigHash: other })).toMatch(/image is for another kernel configuration \([0-9a-f]{16}\); this kernel was built for [0-9a-f]{16}/);
  });
  it('refuses at boot duplicate labels, the idle label and overlapping sections', () => {
    expect(refusal(withTaskMeta(1, (m) => { m.label = 1; }))).toContain("tasks 'a' and 'b' share label 0x1");
    expect(refusal(withTaskMeta(1, (m) => { m.label = 0xcafe; }))).toContain('label 0xcafe is reserved for the idle task');
    // Two table entries pointing at the same bytes: v2 requires contiguous sections.
    const overlap = new Uint8Array(good);
    const view = new DataView(overlap.buffer);
    view.setUint32(12 + 44 * 3 + 4, view.getUint32(12 + 44 * 2 + 4, true), true);
    expect(refusal(overlap)).toMatch(/section 3 \(task\) starts at byte \d+; sections are contiguous in table order/);
  });
  it('refuses an exchange area outside the module memory', () => {
    const msg = refusal(withTaskMeta(0, (m) => { (m.memory as Json).exchangeAddress = 65536 * 64; }));
    expect(msg).toContain("task 'a': image metadata says exchange area at 4194304, module says 1024");
    expect(msg).toContain("task 'a': exchange area [4194304, +128) is not an aligned window");
  });
  it('refuses at boot metadata that disagrees with the board or the module', () => {
    const msg = refusal(withTaskMeta(0, (m) => { (m.resources as Json).devices = ['usart1']; (m.memory as Json).pages = 77; }));
    expect(msg).toContain("task 'a': metadata lists device 'usart1', which the board does not give it");
    expect(msg).toMatch(/task 'a': metadata says 77 memory pages, its module defines \d+/);
  });
  it('refuses at boot tasks that do not fit the board\'s RAM, with the figures', () => {
    // Each WAT task: one page of its own plus one page of Asyncify save area.
    const withRam = (ramSize: number): Uint8Array => {
      const sections = sectionsOf(good);
      const board = JSON.parse(new TextDecoder().decode(sections[1]!.bytes)) as Json;
      board.ramSize = ramSize;
      sections[1] = { kind: SectionKind.Board, bytes: canonicalJson(board) };
      return writeContainer(sections);
    };
    expect(refusal(withRam(0x40000))).toContain("the tasks, shared memories and kernel do not fit the board's RAM: "
      + 'tasks a 128 KiB (own memory 64 KiB + Asyncify save area 64 KiB), b 128 KiB (own memory 64 KiB + Asyncify save area 64 KiB); '
      + 'shared memories none; kernel reservation 32 KiB; total 288 KiB (0x48000), RAM 256 KiB (0x40000), 32 KiB over');
    expect(() => bootImage(withRam(0x48000), { seed: 0, console: { line: () => undefined } })).not.toThrow();
  });
  it('charges a task integrated over an SHM range its own memory and save area, not the window', () => {
    const board = (ramSize: number): Board => ({
      model: 'test', ramSize, devices: [], dmaStreams: [],
      shms: [{ id: 0, path: '/reserved-memory/shm@40000', label: 0x51, owner: 1, baseAddress: 0x40000, size: 0x1000, dmaPool: false, noMap: false }],
    });
    const config = { priority: 1, quantum: 10, autoStart: true, exitPolicy: ExitPolicy.NoRestart, stackSize: 0x2000, heapSize: 0, domain: 0, capabilities: 0 };
    const tasks = [1, 2].map((label) => integrateModule(`t${label}`, { ...config, label }, watToWasm(taskWat({ imports: ['log'], body: 'nop' })), 't/task.conf', DEFAULT_KERNEL_CONFIG, board(0)));
    // Memory: own page 0, pages 1-3 unused, the window in page 4, the save area page 5.
    expect(tasks.map((t) => t.asyncifyDataAddress)).toEqual([0x50000, 0x50000]);
    const fits = 2 * 128 * 1024 + 0x1000 + 32 * 1024;
    expect(() => bootImage(writeImage(DEFAULT_KERNEL_CONFIG, tasks, board(fits)), { seed: 0, console: { line: () => undefined } })).not.toThrow();
    expect(refusal(writeImage(DEFAULT_KERNEL_CONFIG, tasks, board(fits - 1)))).toContain(
      'shared memories /reserved-memory/shm@40000 4 KiB; kernel reservation 32 KiB; total 292 KiB (0x49000), RAM 299007 bytes (0x48fff), 1 byte over',
    );
  });
  it('refuses a recorded own-memory end that is not between the exchange area and the save area', () => {
    const forged = watToWasm(`(module
      (import "rampart" "preempt" (func $preempt))
      (memory (export "memory") 2 2)
      (global (export "__svcexchange") i32 (i32.const 1024))
      (global (export "__rampart_budget") (mut i32) (i32.const 0))
      (global (export "__rampart_own_memory_end") i32 (i32.const 1000))
      (func (export "_start") (param i32 i32))
      (func (export "asyncify_start_unwind") (param i32)) (func (export "asyncify_stop_unwind"))
      (func (export "asyncify_start_rewind") (param i32)) (func (export "asyncify_stop_rewind")))`);
    const image = writeImage(DEFAULT_KERNEL_CONFIG, [{
      name: 'liar', label: 1, priority: 1, quantum: 10, capabilities: 0, autoStart: true, exitPolicy: 0, domain: 0,
      exchangeAddress: 1024, asyncifyDataAddress: 65536, asyncifyDataSize: 65536, module: forged,
    }]);
    expect(refusal(image)).toContain("task 'liar': '__rampart_own_memory_end' is 1000, which is not a page boundary between the end of its exchange area (1152) and its Asyncify save area (65536)");
  });
  it('refuses a manifest that disagrees with the content', () => {
    const sections = sectionsOf(good);
    const image = readImage(good);
    const claims = {
      formatVersion: 2, kernelConfigSha256: image.configHash, boardSha256: image.boardSha256, sbomSha256: null,
      tasks: image.tasks.map((t) => ({ name: t.name, label: t.label, sectionSha256: t.sectionSha256, moduleSha256: t.moduleSha256 })),
    };
    const ok = writeContainer([...sections, { kind: SectionKind.Manifest, bytes: canonicalJson({ image: claims }) }]);
    expect(readImage(ok).tasks).toHaveLength(2);
    const lying = structuredClone(claims); lying.tasks[1]!.sectionSha256 = '0'.repeat(64);
    const bad = writeContainer([...sections, { kind: SectionKind.Manifest, bytes: canonicalJson({ image: lying }) }]);
    expect(refusal(bad)).toMatch(/manifest disagrees with the image content: task 'b': manifest says section 0000000000000000, image has [0-9a-f]{16}/);
  });
  it('round-trips through the writer', () => {
    const img = readImage(good);
    const again = writeImage(img.kernel, img.tasks, img.board);
    expect(Buffer.from(again).equals(Buffer.from(good))).toBe(true);
    expect(() => readImage(new Uint8Array(0))).toThrow(ImageError);
  });
});

describe('boot: task memories are fixed', () => {
  it('refuses a module whose memory could grow (a larger maximum patched into an integrated module)', () => {
    const good = buildWatImage([{ name: 'grower', label: 1, wat: taskWat({ imports: ['log'], body: 'nop' }) }]);
    const read = readImage(good);
    const tasks = read.tasks.map((t) => {
      const bytes = new Uint8Array(t.module);
      // Walk to the memory section (id 5): count, flags (1 = has maximum), initial, maximum.
      let pos = 8;
      while (bytes[pos] !== 5) {
        let size = 0; let shift = 0; let p = pos + 1;
        for (;;) { const b = bytes[p++]!; size |= (b & 0x7f) << shift; shift += 7; if ((b & 0x80) === 0) break; }
        pos = p + size;
      }
      const flags = pos + 3;
      expect(bytes[flags]).toBe(1);
      expect(bytes[flags + 2]).toBe(bytes[flags + 1]); // integrated: maximum = initial
      bytes[flags + 2] = bytes[flags + 2]! + 1;
      return { ...t, module: bytes };
    });
    let message = '';
    try {
      bootImage(writeImage(read.kernel, tasks, read.board), { seed: 0, console: { line: () => undefined } });
    } catch (e) { if (e instanceof ImageRefused) message = e.message; else throw e; }
    expect(message).toMatch(/task 'grower': its memory can grow \((\d+) pages, maximum \d+\); a task's memory is fixed/);
  });
});
