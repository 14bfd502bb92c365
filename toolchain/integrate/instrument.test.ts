/**
 * Tests of the task instrumentation: metering, Asyncify switching, memory layout, refusals.
 *
 * Every module is real WAT assembled by wabt and every switch is a real Asyncify unwind and
 * rewind driven from JS, the way the kernel does it (`kernel/platform/task-instance.ts`), but
 * with a minimal harness so a failure points at the instrumentation, not the kernel.
 */

import { describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import binaryen from 'binaryen';
import { instrument, InstrumentError, type InstrumentResult } from './instrument.js';
import { readWasmInterface } from '../../kernel/platform/wasm-sections.js';
import { bareAsyncifyPingPong, crcInstrumentationRatio, rawImportCallNs } from './asyncify-pingpong.js';

const wabt = await wabtInit();

function wat(text: string): Uint8Array<ArrayBuffer> {
  const m = wabt.parseWat('test.wat', text, {
    mutable_globals: true,
    bulk_memory: true,
    sign_extension: true,
    reference_types: true,
    tail_call: true,
    threads: true,
  });
  try {
    return new Uint8Array(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

const STATE_NORMAL = 0;
const STATE_UNWINDING = 1;
const STATE_REWINDING = 2;

interface Exports {
  memory: WebAssembly.Memory;
  __rampart_budget: WebAssembly.Global;
  __rampart_asyncify_data: WebAssembly.Global;
  __rampart_own_memory_end: WebAssembly.Global;
  asyncify_start_unwind(addr: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(addr: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
  [name: string]: unknown;
}

/**
 * A task as the kernel sees it: `resume()` calls the entry (rewinding if it is suspended) and
 * reports whether it suspended or returned. `switchPoint()` is what a switching import runs.
 */
class Task {
  exports!: Exports;
  suspended = false;
  /** Budget left at each switch-out, for accounting checks. */
  readonly budgetAtSwitch: number[] = [];
  /** Imports of this task; `preempt` switches out on every call. */
  readonly imports: Record<string, (...args: number[]) => number | void>;

  constructor(
    private readonly inst: InstrumentResult,
    extraImports: Record<string, (task: Task, ...args: number[]) => number | void> = {},
  ) {
    this.imports = { preempt: () => void this.switchPoint(0) };
    for (const [name, fn] of Object.entries(extraImports)) this.imports[name] = (...args) => fn(this, ...args);
  }

  instantiate(module = new WebAssembly.Module(this.inst.wasm)): this {
    const instance = new WebAssembly.Instance(module, { rampart: this.imports as WebAssembly.ModuleImports });
    this.exports = instance.exports as unknown as Exports;
    return this;
  }

  /**
   * Body of a switching import: on the first call unwind (the task suspends), on the call
   * made while rewinding finish the rewind and return `result` to the task.
   */
  switchPoint(result: number): number {
    const e = this.exports;
    if (e.asyncify_get_state() === STATE_REWINDING) {
      e.asyncify_stop_rewind();
      return result;
    }
    expect(e.asyncify_get_state()).toBe(STATE_NORMAL);
    this.budgetAtSwitch.push(e.__rampart_budget.value as number);
    const addr = this.inst.asyncifyDataAddress;
    const header = new Int32Array(e.memory.buffer, addr, 2);
    header[0] = addr + 8;
    header[1] = addr + this.inst.asyncifyDataSize;
    e.asyncify_start_unwind(addr);
    return 0;
  }

  /** Runs `entry(...args)` (or resumes it) with `budget`; true if it suspended, false if it returned. */
  resume(entry: string, args: number[], budget: number): boolean {
    const e = this.exports;
    e.__rampart_budget.value = budget;
    if (this.suspended) e.asyncify_start_rewind(this.inst.asyncifyDataAddress);
    (e[entry] as (...a: number[]) => unknown)(...args);
    this.suspended = e.asyncify_get_state() === STATE_UNWINDING;
    if (this.suspended) e.asyncify_stop_unwind();
    expect(e.asyncify_get_state()).toBe(STATE_NORMAL);
    return this.suspended;
  }

  get budget(): number {
    return this.exports.__rampart_budget.value as number;
  }
}

const TASK_PRELUDE = `
  (memory (export "memory") 2 4)
  (global (export "__svcexchange") i32 (i32.const 1024))`;

const INFINITE_LOOP = `(module ${TASK_PRELUDE}
  (func (export "_start") (param $label i32) (param $seed i32)
    (local $i i32)
    (loop $forever
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (i32.store (i32.const 0) (local.get $i))
      (br $forever))))`;

/** Counts to $n in a loop; the budget it uses is entry cost + (n + 1) * loop cost. */
const SPIN = `(module ${TASK_PRELUDE}
  (func (export "_start") (param i32 i32))
  (func (export "spin") (param $n i32)
    (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.store (i32.const 0) (local.get $i))))`;

/** A loop with a result value reached through call_indirect, inside another loop. */
const INDIRECT = `(module ${TASK_PRELUDE}
  (type $inner_t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $sum_to $twice)
  ;; a loop with a result value, reached through call_indirect
  (func $sum_to (param $n i32) (result i32)
    (local $acc i32)
    (loop $l (result i32)
      (local.set $acc (i32.add (local.get $acc) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n))
      (local.get $acc)))
  (func $twice (param $x i32) (result i32) (i32.shl (local.get $x) (i32.const 1)))
  (func (export "_start") (param $label i32) (param $seed i32)
    (local $i i32) (local $r i32)
    (loop $outer
      (local.set $r (i32.add (local.get $r)
        (call_indirect (type $inner_t) (i32.const 300) (i32.and (local.get $i) (i32.const 1)))))
      (br_if $outer (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 200))))
    (i32.store (i32.const 0) (local.get $r))))`;

describe('instrument: module shape', () => {
  it('adds the contract exports and keeps the original ones', () => {
    const inst = instrument(wat(INFINITE_LOOP), { blockingImports: [] });
    const module = new WebAssembly.Module(inst.wasm);
    const exports = WebAssembly.Module.exports(module).map((e) => `${e.kind}:${e.name}`).sort();
    expect(exports).toEqual(
      [
        'memory:memory',
        'function:_start',
        'global:__svcexchange',
        'global:__rampart_budget',
        'global:__rampart_asyncify_data',
        'global:__rampart_own_memory_end',
        'function:asyncify_start_unwind',
        'function:asyncify_stop_unwind',
        'function:asyncify_start_rewind',
        'function:asyncify_stop_rewind',
        'function:asyncify_get_state',
      ].sort(),
    );
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'rampart', name: 'preempt', kind: 'function' }]);
  });

  it('grows the memory by the save area, makes it fixed, and exports the save area\'s address', () => {
    const inst = instrument(wat(INFINITE_LOOP), { blockingImports: [], asyncifyPages: 3 });
    expect(inst.asyncifyDataAddress).toBe(2 * 65536);
    expect(inst.asyncifyDataSize).toBe(3 * 65536);
    const e = new Task(inst).instantiate().exports;
    expect(e.memory.buffer.byteLength).toBe(5 * 65536);
    // The module declared a maximum of 4 pages: pinned to the new initial size all the same.
    expect(() => e.memory.grow(1)).toThrow(RangeError);
    expect(e.__rampart_asyncify_data.value).toBe(2 * 65536);
    expect(() => {
      e.__rampart_asyncify_data.value = 0;
    }).toThrow();
    expect(e.__rampart_budget.value).toBe(0);
  });

  it('exports the end of the own memory: the whole memory by default, or what the integrator says', () => {
    expect(new Task(instrument(wat(INFINITE_LOOP), { blockingImports: [] })).instantiate().exports.__rampart_own_memory_end.value).toBe(2 * 65536);
    // A memory extended over an SHM range: the task's own stack, data and heap end below it.
    const inst = instrument(wat(INFINITE_LOOP), { blockingImports: [], ownMemoryBytes: 65536 });
    expect(inst.asyncifyDataAddress).toBe(2 * 65536);
    expect(new Task(inst).instantiate().exports.__rampart_own_memory_end.value).toBe(65536);
  });

  it('answers memory.size with the own memory: the SHM range and the save area above are the kernel\'s', () => {
    // memory.size as a whole body, inside an expression, in a block, and as a call operand.
    const inst = instrument(wat(`(module
      (memory (export "memory") 3 3)
      (func $id (param i32) (result i32) (local.get 0))
      (func (export "size") (result i32) (memory.size))
      (func (export "bytes") (result i32) (i32.shl (memory.size) (i32.const 16)))
      (func (export "nested") (result i32) (block (result i32) (call $id (memory.size))))
      (func (export "_start") (param i32 i32)))`), { blockingImports: [], ownMemoryBytes: 65536 });
    const e = new Task(inst).instantiate().exports as unknown as Record<string, () => number> & { memory: WebAssembly.Memory; __rampart_budget: WebAssembly.Global };
    e.__rampart_budget.value = 1_000_000; // no preemption while the exports are called directly
    expect(e.memory.buffer.byteLength).toBeGreaterThan(3 * 65536);
    expect(e.size!()).toBe(1);
    expect(e.bytes!()).toBe(65536);
    expect(e.nested!()).toBe(1);
    // Without an SHM range, the own memory is the module's whole memory before the save area.
    const plain = new Task(instrument(wat('(module (memory (export "memory") 2 2) (func (export "size") (result i32) (memory.size)) (func (export "_start") (param i32 i32)))'), { blockingImports: [] })).instantiate().exports as unknown as Record<string, () => number>;
    expect(plain.size!()).toBe(2);
  });

  it('pins an absent maximum to the new initial size', () => {
    const inst = instrument(wat(`(module (memory (export "memory") 1) (func (export "_start") (param i32 i32)))`), {
      blockingImports: [],
    });
    const e = new Task(inst).instantiate().exports;
    expect(e.memory.buffer.byteLength).toBe(2 * 65536);
    expect(() => e.memory.grow(1)).toThrow(RangeError);
  });

  it('keeps data segments and globals intact', () => {
    const inst = instrument(
      wat(`(module ${TASK_PRELUDE}
        (data (i32.const 16) "rampart")
        (global $g (export "g") (mut i32) (i32.const 42))
        (func (export "_start") (param i32 i32) (global.set $g (i32.add (global.get $g) (i32.const 1)))))`),
      { blockingImports: [] },
    );
    const task = new Task(inst).instantiate();
    expect(new TextDecoder().decode(new Uint8Array(task.exports.memory.buffer, 16, 7))).toBe('rampart');
    expect(task.resume('_start', [0, 0], 1000)).toBe(false);
    expect((task.exports.g as WebAssembly.Global).value).toBe(43);
  });

  it('is deterministic: the same input gives byte-identical output', () => {
    const input = wat(SPIN);
    const a = instrument(input, { blockingImports: ['sched_yield', 'sleep'] });
    const b = instrument(input, { blockingImports: ['sleep', 'sched_yield'] });
    const c = instrument(wat(SPIN), { blockingImports: ['sched_yield', 'sleep'] });
    expect(Buffer.from(a.wasm).equals(Buffer.from(b.wasm))).toBe(true);
    expect(Buffer.from(a.wasm).equals(Buffer.from(c.wasm))).toBe(true);
  });

  it('ignores and restores process-global Binaryen settings', () => {
    const input = wat(INDIRECT);
    const reference = instrument(input, { blockingImports: ['sched_yield'] });
    binaryen.setTrapsNeverHappen(true);
    binaryen.setShrinkLevel(2);
    binaryen.setPassArgument('asyncify-ignore-indirect', 'true'); // '' would mean unset in binaryen.js
    try {
      const again = instrument(input, { blockingImports: ['sched_yield'] });
      expect(Buffer.from(again.wasm).equals(Buffer.from(reference.wasm))).toBe(true);
      expect(binaryen.getTrapsNeverHappen()).toBe(true);
      expect(binaryen.getShrinkLevel()).toBe(2);
      expect(binaryen.getPassArgument('asyncify-ignore-indirect')).toBe('true');
      expect(binaryen.getPassArgument('asyncify-imports')).toBe(null);
    } finally {
      binaryen.setTrapsNeverHappen(false);
      binaryen.setShrinkLevel(1);
      binaryen.setPassArgument('asyncify-ignore-indirect', null);
    }
  });
});

describe('instrument: preemption through Asyncify', () => {
  it('preempts an infinite loop repeatedly and resumes it with its state', () => {
    const inst = instrument(wat(INFINITE_LOOP), { blockingImports: [] });
    const task = new Task(inst).instantiate();
    const counter = (): number => new Int32Array(task.exports.memory.buffer, 0, 1)[0] as number;
    const seen: number[] = [];
    for (let slice = 0; slice < 20; slice++) {
      expect(task.resume('_start', [7, 1234], 1000)).toBe(true); // never returns: always preempted
      seen.push(counter());
    }
    expect(task.budgetAtSwitch).toHaveLength(20);
    for (const b of task.budgetAtSwitch) expect(b).toBeLessThan(0);
    // The counter lives in a local: had a resume restarted the loop or lost the local, it
    // would fall back. It advances by the same amount every slice after the first (which
    // also paid the function entry).
    const steps = seen.slice(1).map((v, i) => v - (seen[i] as number));
    expect(steps.every((s) => s === steps[0])).toBe(true);
    expect(steps[0]).toBeGreaterThan(50);
    expect(seen[0]).toBeGreaterThan(50);
  });

  it('charges the same total budget whether or not the loop is preempted', () => {
    const inst = instrument(wat(SPIN), { blockingImports: [] });
    const whole = new Task(inst).instantiate();
    expect(whole.resume('spin', [5000], 1_000_000)).toBe(false);
    const total = 1_000_000 - whole.budget;

    const sliced = new Task(inst).instantiate();
    const slice = 97; // not a multiple of anything in the loop
    let used = 0;
    let slices = 0;
    while (sliced.resume('spin', [5000], slice)) {
      used += slice - (sliced.budgetAtSwitch[slices] as number);
      slices++;
    }
    used += slice - sliced.budget;
    expect(slices).toBeGreaterThan(100);
    expect(new Int32Array(sliced.exports.memory.buffer, 0, 1)[0]).toBe(5000);
    expect(used).toBe(total);
  });

  it('makes progress when every slice is smaller than one iteration\'s cost', () => {
    // The loop costs 10 per iteration; a slice of 1 still runs one iteration per resumption
    // (the resumed iteration was paid before the preemption), so the loop finishes.
    const inst = instrument(wat(SPIN), { blockingImports: [] });
    const t = new Task(inst).instantiate();
    let slices = 0;
    while (t.resume('spin', [300], 1)) {
      slices++;
      expect(slices).toBeLessThan(1000);
    }
    expect(new Int32Array(t.exports.memory.buffer, 0, 1)[0]).toBe(300);
    expect(slices).toBeGreaterThanOrEqual(300);
  });

  it('unwinds through nested calls, indirect calls and typed loops', () => {
    const inst = instrument(wat(INDIRECT), { blockingImports: [] });
    // sum_to(300) = 45150, twice(300) = 600, alternating over 200 calls.
    const expected = 100 * 45150 + 100 * 600;
    const whole = new Task(inst).instantiate();
    expect(whole.resume('_start', [0, 0], 10_000_000)).toBe(false);
    expect(new Int32Array(whole.exports.memory.buffer, 0, 1)[0]).toBe(expected);

    const sliced = new Task(inst).instantiate();
    let slices = 0;
    while (sliced.resume('_start', [0, 0], 50)) slices++;
    expect(slices).toBeGreaterThan(500);
    expect(new Int32Array(sliced.exports.memory.buffer, 0, 1)[0]).toBe(expected);
    expect(10_000_000 - whole.budget).toBe(sliced.budgetAtSwitch.reduce((u, b) => u + 50 - b, 0) + 50 - sliced.budget);
  });

  it('interleaves two instances ping-ponging through a blocking import', () => {
    const inst = instrument(
      wat(`(module
        (import "rampart" "sched_yield" (func $yield (result i32)))
        (import "rampart" "log" (func $log (param i32) (result i32)))
        ${TASK_PRELUDE}
        ;; the yield happens two frames deep, with live locals in both
        (func $step (param $label i32) (param $i i32) (result i32)
          (local $before i32)
          (local.set $before (i32.add (i32.mul (local.get $label) (i32.const 1000)) (local.get $i)))
          (drop (call $log (local.get $before)))
          (i32.add (local.get $before) (call $yield)))
        (func (export "_start") (param $label i32) (param $seed i32)
          (local $i i32) (local $sum i32)
          (loop $l
            (local.set $sum (i32.add (local.get $sum) (call $step (local.get $label) (local.get $i))))
            (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 5))))
          (drop (call $log (local.get $sum)))))`),
      { blockingImports: ['sched_yield'] },
    );
    const module = new WebAssembly.Module(inst.wasm);
    const trace: number[] = [];
    const imports = {
      log: (_task: Task, v: number = 0): number => {
        trace.push(v);
        return 0;
      },
      // A resumed yield returns 10 x the task's label: proves the result reaches the right task.
      sched_yield: (task: Task): number => task.switchPoint(task === a ? 10 : 20),
    };
    const a = new Task(inst, imports).instantiate(module);
    const b = new Task(inst, imports).instantiate(module);
    const running = new Set([a, b]);
    const labels = new Map([
      [a, 1],
      [b, 2],
    ]);
    for (let round = 0; running.size > 0; round++) {
      expect(round).toBeLessThan(20);
      for (const t of [a, b]) {
        if (running.has(t) && !t.resume('_start', [labels.get(t) as number, 0], 100_000)) running.delete(t);
      }
    }
    // Strict alternation proves each yield switched to the other instance and back.
    expect(trace.slice(0, 10)).toEqual([1000, 2000, 1001, 2001, 1002, 2002, 1003, 2003, 1004, 2004]);
    // sum = sum(label * 1000 + i) + 5 x yield result: the locals of both frames survived.
    expect(trace.slice(10)).toEqual([5010 + 50, 10010 + 100]);
    expect(a.budgetAtSwitch).toHaveLength(5);
  });
});

describe('instrument: budget accounting', () => {
  const inst = instrument(wat(SPIN), { blockingImports: [] });
  const used = (n: number): number => {
    const t = new Task(inst).instantiate();
    expect(t.resume('spin', [n], 1_000_000_000)).toBe(false);
    return 1_000_000_000 - t.budget;
  };

  it('consumes entry cost + (iterations + 1) x loop cost, exactly and reproducibly', () => {
    const c0 = used(0);
    const c100 = used(100);
    const c1000 = used(1000);
    const loopCost = (c1000 - c100) / 900;
    expect(Number.isInteger(loopCost)).toBe(true);
    // Loop body: block, br_if, i32.ge_u, 2 local.get, local.set, i32.add, local.get, i32.const, br.
    expect(loopCost).toBe(10);
    expect(c100).toBe(c0 + 100 * loopCost);
    const entry = c0 - loopCost;
    // Function body: block, block $done, loop, i32.store, i32.const, local.get.
    expect(entry).toBe(6);
    expect(used(1000)).toBe(c1000);
    expect(used(12345)).toBe(entry + 12346 * loopCost);
  });

  it('calls preempt exactly when the budget goes negative', () => {
    const c = used(50);
    const exact = new Task(inst).instantiate();
    expect(exact.resume('spin', [50], c)).toBe(false); // ends at 0: never negative
    expect(exact.budget).toBe(0);
    const short = new Task(inst).instantiate();
    expect(short.resume('spin', [50], c - 1)).toBe(true);
    expect(short.budgetAtSwitch).toEqual([-1]);
  });
});

describe('instrument: the budget argument of kernel imports', () => {
  const CALLER = `(module
    (import "rampart" "get_cycle" (func $get_cycle (param i32) (result i32)))
    ${TASK_PRELUDE}
    (type $t (func (param i32) (result i32)))
    (table 1 funcref)
    (elem (i32.const 0) $get_cycle)
    (export "gc" (func $get_cycle))
    (func (export "_start") (param i32 i32))
    ;; sum of get_cycle(i) for i < n, every call from inside a metered loop
    (func (export "sum") (param $n i32) (result i32)
      (local $i i32) (local $acc i32)
      (block $done
        (loop $l
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $acc (i32.add (local.get $acc) (call $get_cycle (local.get $i))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
      (local.get $acc))
    (func (export "indirect") (param $x i32) (result i32) (call_indirect (type $t) (local.get $x) (i32.const 0))))`;

  it('gives every rampart syscall and bus import a trailing i32; preempt and WASI keep theirs', () => {
    const inst = instrument(
      wat(`(module
        (import "rampart" "get_cycle" (func $get_cycle (param i32) (result i32)))
        (import "rampart" "sched_yield" (func $yield (result i32)))
        (import "rampart" "bus_write32" (func $write (param i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        ${TASK_PRELUDE}
        (func (export "_start") (param i32 i32)
          (call $exit (i32.add (call $get_cycle (call $yield)) (call $write (i32.const 0) (i32.const 1))))))`),
      { blockingImports: ['sched_yield', 'wasi_snapshot_preview1.proc_exit'] },
    );
    const signatures = readWasmInterface(inst.wasm).imports.map((i) => `${i.module}.${i.name}: (${i.type?.params.join(' ')}) -> (${i.type?.results.join(' ')})`);
    expect(signatures.sort()).toEqual([
      'rampart.bus_write32: (i32 i32 i32) -> (i32)',
      'rampart.get_cycle: (i32 i32) -> (i32)',
      'rampart.preempt: () -> ()',
      'rampart.sched_yield: (i32) -> (i32)',
      'wasi_snapshot_preview1.proc_exit: (i32) -> ()',
    ]);
  });

  it('passes the live budget from inside a loop, and the task computes what it did before', () => {
    const inst = instrument(wat(CALLER), { blockingImports: [] });
    const calls: { arg: number; budget: number; global: number }[] = [];
    const task = new Task(inst, {
      get_cycle: (t: Task, arg = 0, budget = NaN) => {
        calls.push({ arg, budget, global: t.budget });
        return arg * 3;
      },
    }).instantiate();
    task.exports.__rampart_budget.value = 1_000_000;
    expect((task.exports['sum'] as (n: number) => number)(50)).toBe(3 * ((49 * 50) / 2));
    expect(calls.map((c) => c.arg)).toEqual([...Array(50).keys()]);
    // The argument is the global at the moment of the call: the wrapper is not metered.
    for (const c of calls) expect(c.budget).toBe(c.global);
    // Each iteration charged the loop: a fresh, strictly smaller value every call.
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.budget).toBeLessThan(calls[i - 1]!.budget);
    // The uninstrumented module, with the plain import, gives the same result.
    const plain = new WebAssembly.Instance(new WebAssembly.Module(wat(CALLER)), { rampart: { get_cycle: (arg: number) => arg * 3 } });
    expect((plain.exports['sum'] as (n: number) => number)(50)).toBe(3 * ((49 * 50) / 2));
  });

  it('stays deterministic with imports rewritten', () => {
    const a = instrument(wat(CALLER), { blockingImports: ['sleep'] });
    const b = instrument(wat(CALLER), { blockingImports: ['sleep'] });
    expect(Buffer.from(a.wasm).equals(Buffer.from(b.wasm))).toBe(true);
  });

  it('keeps exports and table entries of an import working (they reach the wrapper)', () => {
    const inst = instrument(wat(CALLER), { blockingImports: [] });
    const budgets: number[] = [];
    const task = new Task(inst, {
      get_cycle: (_t: Task, arg = 0, budget = NaN) => {
        budgets.push(budget);
        return arg + 1;
      },
    }).instantiate();
    task.exports.__rampart_budget.value = 777;
    expect((task.exports['gc'] as (x: number) => number)(41)).toBe(42);
    expect((task.exports['indirect'] as (x: number) => number)(9)).toBe(10);
    expect(budgets[0]).toBe(777);
    expect(budgets[1]).toBe(task.budget);
  });

  it('a blocking import gets the budget on its first call and resumes through Asyncify as before', () => {
    const inst = instrument(
      wat(`(module
        (import "rampart" "sched_yield" (func $yield (result i32)))
        ${TASK_PRELUDE}
        (func (export "_start") (param $label i32) (param $seed i32)
          (local $i i32) (local $sum i32)
          (loop $l
            (local.set $sum (i32.add (local.get $sum) (call $yield)))
            (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 3))))
          (i32.store (i32.const 0) (local.get $sum))))`),
      { blockingImports: ['sched_yield'] },
    );
    const first: { budget: number; global: number }[] = [];
    const task = new Task(inst, {
      sched_yield: (t: Task, budget = NaN) => {
        if (t.exports.asyncify_get_state() === STATE_NORMAL) first.push({ budget, global: t.budget });
        return t.switchPoint(5);
      },
    }).instantiate();
    let switches = 0;
    while (task.resume('_start', [1, 0], 10_000)) switches++;
    expect(switches).toBe(3);
    expect(new Int32Array(task.exports.memory.buffer, 0, 1)[0]).toBe(15);
    expect(first).toHaveLength(3);
    for (const c of first) expect(c.budget).toBe(c.global);
  });
});

describe('instrument: leaf functions', () => {
  // $leaf has no loop and no call: it is charged but does not check; its caller checks.
  const inst = instrument(
    wat(`(module ${TASK_PRELUDE}
      (func $leaf (export "leaf") (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 1)))
      (func (export "caller") (param $x i32) (result i32) (call $leaf (call $leaf (local.get $x)))))`),
    { blockingImports: [] },
  );

  it('charges a leaf without preempting inside it', () => {
    const t = new Task(inst).instantiate();
    expect(t.resume('leaf', [1], 1)).toBe(false);
    expect(t.budget).toBe(1 - 3); // i32.add, local.get, i32.const
    expect(t.budgetAtSwitch).toEqual([]);
  });

  it('preempts at the next metering point of a non-leaf caller', () => {
    const t = new Task(inst).instantiate();
    expect(t.resume('caller', [1], 1)).toBe(true); // the caller's entry check fires
    expect(t.budgetAtSwitch).toEqual([1 - 3]); // call, call, local.get
    // Resumed after its (already paid) entry: only the two leaves are charged.
    expect(t.resume('caller', [1], 100)).toBe(false);
    expect(t.budget).toBe(100 - 2 * 3);
    // A leaf driving the budget negative is acted upon at the caller's next check.
    const u = new Task(inst).instantiate();
    expect(u.resume('caller', [1], 4)).toBe(false); // 4 - 3 - 3 - 3 < 0, but nothing checks after
    expect(u.budget).toBe(4 - 9);
  });
});

describe('instrument: refusals', () => {
  const refuse = (bytes: Uint8Array, pattern: RegExp): void => {
    expect(() => instrument(bytes, { blockingImports: [] })).toThrow(InstrumentError);
    expect(() => instrument(bytes, { blockingImports: [] })).toThrow(pattern);
  };

  it('refuses bytes that are not a valid module', () => {
    refuse(new Uint8Array([1, 2, 3, 4]), /not a valid WebAssembly module/);
    refuse(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff, 0x01]), /not a valid WebAssembly module/);
    refuse(wat(`(module (func (result i32) (i32.const 1)))`).slice(0, 20), /not a valid WebAssembly module/);
  });

  it('refuses an imported memory', () => {
    refuse(
      wat(`(module (import "env" "memory" (memory 1)) (func (export "_start") (param i32 i32)))`),
      /memory is imported \(env\.memory\)/,
    );
  });

  it('refuses a module without memory', () => {
    refuse(wat(`(module (func (export "_start") (param i32 i32)))`), /defines no memory/);
  });

  it('refuses instructions the metering or Asyncify cannot handle, naming them', () => {
    refuse(
      wat(`(module (memory 1) (func $f (param i32) (result i32) (return_call $f (local.get 0))))`),
      /in function '0': unsupported instruction 'return_call'/,
    );
    refuse(wat(`(module (memory 1) (func (drop (i32.atomic.load (i32.const 0)))))`), /unsupported instruction 'i32.atomic.load'/);
    refuse(
      wat(`(module (memory 1) (table 2 funcref) (func (table.copy (i32.const 0) (i32.const 1) (i32.const 1))))`),
      /unsupported instruction 'table.copy'/,
    );
    refuse(wat(`(module (memory 1 1 shared))`), /shared, 64-bit or custom-page memories are not supported/);
  });

  it('refuses reserved names and bad options', () => {
    refuse(wat(`(module (memory 1) (global (export "__rampart_budget") i32 (i32.const 0)))`), /__rampart_budget is reserved/);
    refuse(wat(`(module (import "rampart" "preempt" (func)) (memory 1))`), /rampart\.preempt is reserved/);
    expect(() => instrument(wat(INFINITE_LOOP), { blockingImports: ['a,b'] })).toThrow(/invalid blocking import name/);
    expect(() => instrument(wat(INFINITE_LOOP), { blockingImports: [], asyncifyPages: 0 })).toThrow(InstrumentError);
    refuse(wat(`(module (memory 1) (global (export "__rampart_own_memory_end") i32 (i32.const 0)))`), /__rampart_own_memory_end is reserved/);
    expect(() => instrument(wat(INFINITE_LOOP), { blockingImports: [], ownMemoryBytes: 3 * 65536 })).toThrow(/ownMemoryBytes must be a multiple of 65536 no larger than the memory \(131072 bytes\), got 196608/);
    expect(() => instrument(wat(INFINITE_LOOP), { blockingImports: [], ownMemoryBytes: 1000 })).toThrow(InstrumentError);
    expect(() => instrument(wat(`(module (memory 65535))`), { blockingImports: [], asyncifyPages: 2 })).toThrow(
      /exceeds 65536 pages/,
    );
  });
});

describe('instrument: cost', () => {
  it('measures the CRC-32 slowdown and the switching floors', () => {
    const ratio = crcInstrumentationRatio(10);
    const pingPong = bareAsyncifyPingPong(20_000);
    const rawCall = rawImportCallNs(1_000_000);
    console.log(
      `CRC-32 instrumented speed / uninstrumented: table-driven ${ratio.table.toFixed(3)}, bitwise ${ratio.bitwise.toFixed(3)}; ` +
        `bare Asyncify ping-pong ${pingPong.toFixed(0)} ns/round trip; raw import call ${rawCall.toFixed(1)} ns`,
    );
    expect(ratio.crc).toBe(ratio.crc >>> 0);
    // Timing on shared machines is noisy: only guard against gross regressions here.
    expect(ratio.table).toBeGreaterThan(0.3);
    expect(pingPong).toBeGreaterThan(0);
    expect(rawCall).toBeGreaterThan(0);
  });
});
