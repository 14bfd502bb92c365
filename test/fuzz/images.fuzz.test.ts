/**
 * Mutation fuzzing of images and task modules (fast-check).
 *
 * Inputs are real: images written by the integrator path (`buildWatImage`, with and without
 * a board carrying devices, shared memories and a DMA stream) and the instrumented modules
 * inside them. Mutations (1 to 4 per case): flip a bit, overwrite a byte, insert bytes,
 * delete a range, truncate, duplicate a range. Four targets:
 *
 * - raw: the image bytes as they are: the container's hashes refuse nearly everything;
 * - re-hashed: one section mutated and the container re-packed with consistent section
 *   hashes (what an attacker can always do to an unsigned image), so the mutation reaches
 *   the JSON readers of the kernel configuration, the board and the task metadata;
 * - module: one task's module mutated and the image re-written (module hash recomputed),
 *   so the mutation reaches boot's module checks, the compiler and, when it still boots,
 *   the run (bounded by maxCycles);
 * - wasm reader: the kernel's own module parser (`readWasmInterface`) on a mutated module.
 *
 * Property: every mutant is refused with `ImageRefused` or `ImageError` (`WasmFormatError`
 * for the module parser), or boots and runs to a normal end (`run()` returns, no panic).
 * Any other exception is a finding. A mutated module that still validates but lost the
 * metering of a loop never returns to the kernel by itself: the image signature is the
 * defence (test/hostile/image-signature.test.ts), and the runs here use the kernel's
 * wall-clock guard (`run({ wallTimeoutMs })`), counting such mutants as a known outcome.
 *
 * Runs: `FUZZ_RUNS` per target (default: a short run); `npm run fuzz` for long runs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Cap } from '../../toolchain/abi/index.js';
import { bootImage, ImageRefused } from '../../kernel/boot/boot.js';
import { readImage, writeImage, ImageError } from '../../kernel/image/image.js';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';
import { readContainer, sha256Hex, writeContainer, type SectionContent } from '../../kernel/image/sections.js';
import { canonicalJson } from '../../kernel/image/json-fields.js';
import { readWasmInterface, WasmFormatError } from '../../kernel/platform/wasm-sections.js';
import { readBoardSource } from '../../toolchain/config/devicetree.js';
import { FUZZ_BOARD_DTS, forHandWrittenTasks } from '../helpers/boards.js';
import { buildWatImage, taskWat, watToWasm } from '../helpers/wat.js';

const RUNS = process.env.FUZZ_RUNS !== undefined ? Number(process.env.FUZZ_RUNS) : 3000;
const LONG = process.env.FUZZ_RUNS !== undefined;
const SECONDS = process.env.FUZZ_SECONDS !== undefined ? Number(process.env.FUZZ_SECONDS) : LONG ? undefined : 3;
// The short run in the test suite replays a fixed seed, so a red suite always means a
// change in the code; long runs (`npm run fuzz`) draw a fresh seed unless FUZZ_SEED is set.
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : process.env.FUZZ_RUNS !== undefined ? undefined : 20261125;
const MS = 64_000;
/** Wall-clock guard per run: a normal run of these images takes milliseconds. */
const WALL_MS = 2000;

// ---------------------------------------------------------------------------------------
// mutations
// ---------------------------------------------------------------------------------------

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'duplicate'; readonly at: number; readonly length: number };

/** Positions are drawn in [0, 2^32) and taken modulo the current length. */
const pos = fc.integer({ min: 0, max: 0xffffffff });
const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x7f, 0x80, 0xff, 0x22, 0x7b, 0x7d, 0x2c, 0x30, 0x3a));

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: pos, bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), at: pos, value: byte }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: pos, bytes: fc.array(byte, { minLength: 1, maxLength: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: pos, length: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: pos }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), at: pos, length: fc.integer({ min: 1, max: 32 }) }) },
);
const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = Uint8Array.from(input);
  for (const m of mutations) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    switch (m.kind) {
      case 'flip': b[at] = b[at]! ^ (1 << m.bit); break;
      case 'set': b[at] = m.value; break;
      case 'insert': b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]); break;
      case 'delete': b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(Math.min(b.length, at + m.length))]); break;
      case 'truncate': b = b.slice(0, at); break;
      case 'duplicate': b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at, at + m.length), ...b.subarray(at)]); break;
    }
  }
  return b;
}

// ---------------------------------------------------------------------------------------
// base images
// ---------------------------------------------------------------------------------------

const r = (expr: string) => `(call $report ${expr})`;
const yielder = taskWat({ imports: ['log', 'sched_yield', 'get_cycle'], body: `(loop $l (drop (call $get_cycle (i32.const 3))) ${r('(local.get $i)')} (drop (call $sched_yield))
  (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const 4))))`, pages: 5 });
const pinger = taskWat({
  imports: ['log', 'send_ipc', 'get_process_handle', 'wait_for_event', 'send_signal'],
  pages: 5,
  body: `(drop (call $get_process_handle (i32.const 3))) (local.set $h (i32.load (i32.const 1024)))
    ${r('(call $send_ipc (local.get $h) (i32.const 5))')} ${r('(call $send_signal (local.get $h) (i32.const 11))')}`,
});
const ponger = taskWat({
  imports: ['log', 'wait_for_event'],
  pages: 5,
  body: `(loop $l ${r('(call $wait_for_event (i32.const 3) (i32.const 5))')}
    (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const 3))))`,
});

let bases: Uint8Array[] = [];

function boots(bytes: Uint8Array): boolean {
  bootImage(bytes, { seed: 1, console: { line: () => undefined } }).run();
  return true;
}

beforeAll(async () => {
  const board = forHandWrittenTasks(await readBoardSource(FUZZ_BOARD_DTS));
  const tasks = [
    { name: 'a', label: 1, capabilities: Cap.DevIo | Cap.DevDma, wat: yielder },
    { name: 'b', label: 2, wat: pinger },
    { name: 'c', label: 3, wat: ponger },
  ];
  bases = [buildWatImage(tasks), buildWatImage(tasks, {}, board)];
  for (const b of bases) expect(boots(b)).toBe(true);
});

// ---------------------------------------------------------------------------------------
// the property
// ---------------------------------------------------------------------------------------

type Outcome = 'refused' | 'ran' | 'identical' | 'known';

/**
 * Findings already reported (see the KNOWN ISSUE tests at the end of this file): counted,
 * not failed, so that a long run goes on looking for new ones.
 */
function knownFinding(error: unknown): string | undefined {
  if (error instanceof Error && error.name === 'BusConfigError') return 'board JSON with an unaligned device window: BusConfigError out of boot';
  if (error instanceof RangeError && /^bus clock moved backwards/.test(error.message)) return 'module raising its own budget: virtual time runs backwards';
  if (error instanceof TypeError && /WebAssembly\.Global/.test(error.message)) return 'module exporting __rampart_budget immutable or of another type: TypeError out of run()';
  return undefined;
}
const known: Record<string, number> = {};
const findings: string[] = [];
const outcomes: Record<string, Record<Outcome, number>> = {};

/** Boot and run a candidate image: refused (the expected errors) or ran (a normal end). */
function judge(target: string, bytes: Uint8Array, original: Uint8Array): void {
  const tally = (outcomes[target] ??= { refused: 0, ran: 0, identical: 0, known: 0 });
  // mutations can cancel out (the same bit flipped twice): such a case tests nothing
  if (Buffer.from(bytes).equals(Buffer.from(original))) { tally.identical++; return; }
  let kernel;
  try {
    kernel = bootImage(bytes, { seed: 7, console: { line: () => undefined }, maxCycles: 20 * MS });
  } catch (error) {
    if (error instanceof ImageRefused || error instanceof ImageError) { tally.refused++; return; }
    const k = knownFinding(error);
    if (k !== undefined) { tally.known++; known[k] = (known[k] ?? 0) + 1; return; }
    const message = `${target}: boot threw ${(error as Error)?.stack ?? String(error)}`;
    findings.push(message);
    throw new Error(message);
  }
  let end;
  try {
    end = kernel.run({ wallTimeoutMs: WALL_MS }).end;
  } catch (error) {
    const k = knownFinding(error);
    if (k !== undefined) { tally.known++; known[k] = (known[k] ?? 0) + 1; return; }
    const message = `${target}: run() threw ${(error as Error)?.stack ?? String(error)}`;
    findings.push(message);
    throw new Error(message);
  }
  if (end.kind === 'wall-timeout') {
    const k = 'module whose loop lost its metering (unsigned image): stopped by the wall-clock guard';
    tally.known++;
    known[k] = (known[k] ?? 0) + 1;
    return;
  }
  if (end.kind === 'panic') {
    findings.push(`${target}: kernel panic ${end.message}`);
    throw new Error(`${target}: kernel panic: ${end.message}`);
  }
  tally.ran++;
}

const sectionsOf = (bytes: Uint8Array): SectionContent[] => readContainer(bytes).sections.map((s) => ({ kind: s.kind, bytes: new Uint8Array(s.bytes) }));

function check(name: string, property: fc.IProperty<[number, ...unknown[]]> | fc.IProperty<never>): void {
  const started = Date.now();
  const details = fc.check(property as fc.IProperty<unknown[]>, {
    numRuns: RUNS,
    ...(SECONDS !== undefined ? { interruptAfterTimeLimit: SECONDS * 1000 } : {}),
    ...(SEED !== undefined ? { seed: SEED } : {}),
  });
  const o = outcomes[name] ?? { refused: 0, ran: 0, identical: 0, known: 0 };
  console.log(`fuzz images/${name}: ${details.numRuns} mutants in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${details.seed}: ${o.refused} refused, ${o.ran} booted and ran, ${o.identical} identical to the original, ${o.known} known findings ${JSON.stringify(known)}; ${details.failed ? 1 : 0} failing property, ${findings.length} new findings so far`);
  if (details.failed) console.log(`fuzz images/${name}: counterexample ${JSON.stringify(details.counterexample)}: ${String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance)}`);
  expect(details.failed, `${fc.defaultReportMessage(details) ?? ''}\n${String((details.errorInstance as Error | undefined)?.message ?? '')}`).toBe(false);
  expect(details.numRuns).toBeGreaterThan(0);
}

const TIMEOUT = LONG ? 24 * 3600_000 : 60_000;

describe('image mutation fuzzing', () => {
  it('raw: mutated image bytes are refused', () => {
    check('raw', fc.property(fc.integer({ min: 0, max: 1 }), mutationsArb, (which, mutations) => {
      judge('raw', mutate(bases[which]!, mutations), bases[which]!);
    }));
  }, TIMEOUT);

  it('re-hashed: a mutated section behind consistent hashes is refused by its reader, or boots and runs', () => {
    check('rehashed', fc.property(fc.integer({ min: 0, max: 1 }), fc.nat(), mutationsArb, (which, section, mutations) => {
      const sections = sectionsOf(bases[which]!);
      const i = section % sections.length;
      let bytes = sections[i]!.bytes;
      if (i >= 2) {
        // task sections: mutate the metadata JSON only, so the module hash still holds
        const view = new DataView(bytes.buffer, bytes.byteOffset);
        const metaLength = view.getUint32(0, true);
        const meta = mutate(bytes.subarray(4, 4 + metaLength), mutations);
        const out = new Uint8Array(4 + meta.length + bytes.length - 4 - metaLength);
        new DataView(out.buffer).setUint32(0, meta.length, true);
        out.set(meta, 4);
        out.set(bytes.subarray(4 + metaLength), 4 + meta.length);
        bytes = out;
      } else {
        bytes = mutate(bytes, mutations);
      }
      sections[i] = { kind: sections[i]!.kind, bytes };
      judge('rehashed', writeContainer(sections), bases[which]!);
    }));
  }, TIMEOUT);

  it('module: a mutated instrumented module in a consistent image is refused at boot, or boots and runs', () => {
    check('module', fc.property(fc.integer({ min: 0, max: 1 }), fc.nat(), mutationsArb, (which, task, mutations) => {
      // The task section is re-encoded by hand: the integrator's writer would parse (and
      // refuse) a broken module, and the point is to hand one to the kernel. The metadata
      // keeps its claims; only the module's length and hash follow the mutation.
      const sections = sectionsOf(bases[which]!);
      const i = 2 + (task % (sections.length - 2));
      const section = sections[i]!.bytes;
      const metaLength = new DataView(section.buffer, section.byteOffset).getUint32(0, true);
      const meta = JSON.parse(new TextDecoder().decode(section.subarray(4, 4 + metaLength))) as { module: { length: number; sha256: string } };
      const module = mutate(section.subarray(4 + metaLength), mutations);
      meta.module = { length: module.length, sha256: sha256Hex(module) };
      const json = canonicalJson(meta);
      const out = new Uint8Array(4 + json.length + module.length);
      new DataView(out.buffer).setUint32(0, json.length, true);
      out.set(json, 4);
      out.set(module, 4 + json.length);
      sections[i] = { kind: sections[i]!.kind, bytes: out };
      judge('module', writeContainer(sections), bases[which]!);
    }));
  }, TIMEOUT);

  it('wasm reader: the kernel\'s module parser answers a mutated module or refuses it with WasmFormatError', () => {
    const modules = bases.flatMap((b) => readImage(b).tasks.map((t) => t.module));
    let parsed = 0;
    let refused = 0;
    const started = Date.now();
    const details = fc.check(fc.property(fc.nat(), mutationsArb, (m, mutations) => {
      try {
        readWasmInterface(mutate(modules[m % modules.length]!, mutations));
        parsed++;
      } catch (error) {
        if (error instanceof WasmFormatError) { refused++; return; }
        findings.push(`readWasmInterface threw ${(error as Error)?.stack ?? String(error)}`);
        throw error;
      }
    }), { numRuns: LONG ? RUNS : 2000, ...(SECONDS !== undefined ? { interruptAfterTimeLimit: SECONDS * 1000 } : {}), ...(SEED !== undefined ? { seed: SEED } : {}) });
    console.log(`fuzz images/wasm-reader: ${details.numRuns} mutants in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${details.seed}: ${refused} refused, ${parsed} parsed; ${details.failed ? 1 : 0} failing property`);
    expect(details.failed, fc.defaultReportMessage(details) ?? '').toBe(false);
  }, TIMEOUT);

  // FINDING 1 (fuzzing, re-hashed board section; reported, not fixed here): the board JSON
  // reader accepts a device whose window is not word-aligned, and building the board
  // runtime then throws BusConfigError out of bootImage: not an ImageRefused naming the
  // problem. Found as: delete 4 bytes in a device's "baseAddress" digits.
  it('fixed: a board with an unaligned device window is refused with ImageRefused', () => {
    const image = readImage(bases[1]!);
    const board = { ...image.board, devices: image.board.devices.map((d, i) => (i === 0 ? { ...d, baseAddress: d.baseAddress + 2 } : d)) };
    const sections = sectionsOf(bases[1]!);
    sections[1] = { kind: sections[1]!.kind, bytes: canonicalJson(board) };
    // Today: BusConfigError "usart1: window 0x40013802+0x400 is not word-aligned" (or similar).
    expect(() => bootImage(writeContainer(sections), { seed: 1, console: { line: () => undefined } })).toThrow(ImageRefused);
  });

  // FINDING 2 (fuzzing, mutated module; reported, not fixed here): the kernel trusts the
  // exported `__rampart_budget` global. A module (in an unsigned image) that raises it
  // makes `account()` fold a negative slice: virtual time runs backwards. Without devices
  // the run "succeeds" with a negative cycle count; with a board runtime the bus clock
  // throws RangeError out of run(). Found as: one flipped bit in an instrumented module.
  const forged = `(module
    (import "rampart" "preempt" (func $preempt))
    (import "rampart" "get_cycle" (func $get_cycle (param i32) (result i32)))
    (memory (export "memory") 2 2)
    (global (export "__svcexchange") i32 (i32.const 1024))
    (global $budget (export "__rampart_budget") (mut i32) (i32.const 0))
    (func (export "_start") (param i32 i32)
      (global.set $budget (i32.sub (global.get $budget) (i32.const 1000)))
      (drop (call $get_cycle (i32.const 3)))
      (global.set $budget (i32.add (global.get $budget) (i32.const 100000)))
      (drop (call $get_cycle (i32.const 3))))
    (func (export "asyncify_start_unwind") (param i32)) (func (export "asyncify_stop_unwind"))
    (func (export "asyncify_start_rewind") (param i32)) (func (export "asyncify_stop_rewind")))`;
  const forgedImage = () => writeImage(DEFAULT_KERNEL_CONFIG, [{
    name: 'forged', label: 1, priority: 1, quantum: 10, capabilities: 0, autoStart: true, exitPolicy: 0, domain: 0,
    exchangeAddress: 1024, asyncifyDataAddress: 65536, asyncifyDataSize: 65536, module: watToWasm(forged),
  }]);

  it('fixed: a task raising its own budget cannot make virtual time run backwards', () => {
    const result = bootImage(forgedImage(), { seed: 1, console: { line: () => undefined } }).run();
    // Today: result.cycles is -99000 and the task 'finished' normally.
    expect(result.cycles).toBeGreaterThanOrEqual(0);
  });

  it('fixed: with a board runtime, run() does not throw when a task raises its own budget', () => {
    // Today: RangeError "bus clock moved backwards: 0 → -99000" escapes run().
    expect(() => bootImage(forgedImage(), { seed: 1, console: { line: () => undefined }, vcd: true }).run()).not.toThrow();
  });

  // FINDING 3 (fuzzing, mutated module; reported, not fixed here): boot checks that
  // `__rampart_budget` is exported, not that it is a mutable i32. A module exporting it
  // immutable (one flipped bit: the mutability flag) boots, and the kernel's first write
  // of the budget throws TypeError out of run().
  it('fixed: a module whose __rampart_budget is immutable is refused at boot', () => {
    const immutable = forged.replace('(global $budget (export "__rampart_budget") (mut i32) (i32.const 0))', '(global $budget (export "__rampart_budget") i32 (i32.const 0))')
      .replace(/\(global\.set \$budget[^\n]*\n/g, '');
    const image = writeImage(DEFAULT_KERNEL_CONFIG, [{
      name: 'forged', label: 1, priority: 1, quantum: 10, capabilities: 0, autoStart: true, exitPolicy: 0, domain: 0,
      exchangeAddress: 1024, asyncifyDataAddress: 65536, asyncifyDataSize: 65536, module: watToWasm(immutable),
    }]);
    // Today: boot accepts it; run() throws "TypeError: set WebAssembly.Global.value: Can't set the value of an immutable global".
    let refused = false;
    let kernel;
    try { kernel = bootImage(image, { seed: 1, console: { line: () => undefined } }); } catch (e) { refused = e instanceof ImageRefused; }
    if (!refused) kernel!.run();
    expect(refused).toBe(true);
  });

  // FINDING 4 (fuzzing, mutated module, seed 303867397): a module whose rewind lands in a
  // blocking import although it was suspended at a preemption point (or the reverse) made
  // the kernel panic ("resumed without a syscall result"): one task took the whole kernel
  // down. It is the task's own control flow that broke, so the task faults and the others
  // run on. The forged modules below do it on purpose, with inert Asyncify exports.
  const resumer = (first: string, second: string) => `(module
    (import "rampart" "preempt" (func $preempt))
    (import "rampart" "sched_yield" (func $sched_yield (result i32)))
    (memory (export "memory") 2 2)
    (global (export "__svcexchange") i32 (i32.const 1024))
    (global $budget (export "__rampart_budget") (mut i32) (i32.const 0))
    (global $n (mut i32) (i32.const 0))
    (func (export "_start") (param i32 i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (if (i32.eq (global.get $n) (i32.const 1)) (then ${first} (return)))
      ${second})
    (func (export "asyncify_start_unwind") (param i32)) (func (export "asyncify_stop_unwind"))
    (func (export "asyncify_start_rewind") (param i32)) (func (export "asyncify_stop_rewind")))`;
  const bystander = `(module
    (import "rampart" "preempt" (func $preempt))
    (import "rampart" "sched_yield" (func $sched_yield (result i32)))
    (import "rampart" "exit" (func $exit (param i32) (result i32)))
    (memory (export "memory") 2 2)
    (global (export "__svcexchange") i32 (i32.const 1024))
    (global (export "__rampart_budget") (mut i32) (i32.const 0))
    (func (export "_start") (param i32 i32) (drop (call $exit (i32.const 0))))
    (func (export "asyncify_start_unwind") (param i32)) (func (export "asyncify_stop_unwind"))
    (func (export "asyncify_start_rewind") (param i32)) (func (export "asyncify_stop_rewind")))`;
  const task = (name: string, label: number, wat: string) => ({
    name, label, priority: 1, quantum: 10, capabilities: 0, autoStart: true, exitPolicy: 0, domain: 0,
    exchangeAddress: 1024, asyncifyDataAddress: 65536, asyncifyDataSize: 65536, module: watToWasm(wat),
  });
  for (const [what, first, second] of [
    ['left from sched_yield, resumed at the preemption point', '(drop (call $sched_yield))', '(call $preempt)'],
    ['left from the preemption point, resumed in sched_yield', '(global.set $budget (i32.const -100000000)) (call $preempt)', '(drop (call $sched_yield))'],
  ] as const) {
    it(`fixed: a task ${what} faults; the kernel does not panic`, () => {
      const image = writeImage(DEFAULT_KERNEL_CONFIG, [task('forged', 1, resumer(first, second)), task('other', 2, bystander)]);
      const result = bootImage(image, { seed: 1, console: { line: () => undefined } }).run();
      expect(result.end.kind).not.toBe('panic');
      const forgedTask = result.tasks.find((t) => t.name === 'forged')!;
      expect(forgedTask.fault?.message).toMatch(/control-flow violation of the task/);
      expect(result.tasks.find((t) => t.name === 'other')!.fault).toBeNull();
    });
  }
});
