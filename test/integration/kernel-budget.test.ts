/**
 * The budget argument of syscall imports, through a booted kernel.
 *
 * An instrumented module hands the kernel its `__rampart_budget` with every syscall (a
 * trailing i32); a module packed without instrumentation (hand-written, metering its own
 * budget) keeps the plain ABI signatures and the kernel reads the global instead. Both must
 * give the task the same virtual time and be preempted at the same points. The modules
 * below meter themselves by hand (1000 cycles per iteration) and are packed raw, with inert
 * Asyncify exports: one task, so the kernel never needs to switch it out.
 */

import { describe, expect, it } from 'vitest';
import { Cap } from '../../toolchain/abi/index.js';
import { bootImage } from '../../kernel/boot/boot.js';
import { writeImage } from '../../kernel/image/image.js';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';
import { runWat, taskWat, watToWasm } from '../helpers/wat.js';

const ITERATIONS = 2000;
const COST = 1000;
const VALUES = 4096;
const PREEMPTS = 256;

/** get_cycle(CYCLE) in a loop; `budget` is the trailing argument, or '' for the plain form. */
function selfMetered(budget: string): string {
  const extra = budget === '' ? '' : ' (param i32)';
  return `(module
    (import "rampart" "preempt" (func $preempt))
    (import "rampart" "get_cycle" (func $get_cycle (param i32)${extra} (result i32)))
    (memory (export "memory") 2 2)
    (global (export "__svcexchange") i32 (i32.const 1024))
    (global $budget (export "__rampart_budget") (mut i32) (i32.const 0))
    (func (export "_start") (param i32 i32) (local $i i32) (local $preempts i32)
      (loop $l
        (global.set $budget (i32.sub (global.get $budget) (i32.const ${COST})))
        (if (i32.lt_s (global.get $budget) (i32.const 0))
          (then (call $preempt) (local.set $preempts (i32.add (local.get $preempts) (i32.const 1)))))
        (drop (call $get_cycle (i32.const 0) ${budget}))
        (i32.store (i32.add (i32.const ${VALUES}) (i32.shl (local.get $i) (i32.const 2))) (i32.load (i32.const 1024)))
        (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const ${ITERATIONS}))))
      (i32.store (i32.const ${PREEMPTS}) (local.get $preempts)))
    (func (export "asyncify_start_unwind") (param i32)) (func (export "asyncify_stop_unwind"))
    (func (export "asyncify_start_rewind") (param i32)) (func (export "asyncify_stop_rewind")))`;
}

function runSelfMetered(budget: string): { values: number[]; preempts: number; cycles: number; budgetArgument: readonly boolean[] } {
  const image = writeImage(DEFAULT_KERNEL_CONFIG, [{
    name: 'm', label: 1, priority: 1, quantum: 10, capabilities: Cap.TimHpChrono, autoStart: true, exitPolicy: 0, domain: 0,
    exchangeAddress: 1024, asyncifyDataAddress: 65536, asyncifyDataSize: 65536, module: watToWasm(selfMetered(budget)),
  }]);
  const kernel = bootImage(image, { seed: 1, console: { line: () => undefined } });
  const result = kernel.run();
  expect(result.tasks[0]!.state).toBe('finished');
  const memory = kernel.instances[0]!.memoryBytes();
  const words = new Uint32Array(memory.buffer, memory.byteOffset, memory.length >>> 2);
  return {
    values: Array.from(words.subarray(VALUES >>> 2, (VALUES >>> 2) + ITERATIONS)),
    preempts: words[PREEMPTS >>> 2]!,
    cycles: result.cycles,
    budgetArgument: kernel.descriptors[0]!.budgetArgument,
  };
}

describe('the budget argument of syscall imports', () => {
  it('gives the same virtual time and the same preemptions as reading the global', () => {
    const plain = runSelfMetered('');
    const argument = runSelfMetered('(global.get $budget)');
    expect(plain.budgetArgument).toEqual([false, false]);
    expect(argument.budgetArgument).toEqual([false, true]);
    // Kernel time is not charged: the i-th call sees exactly the cycles metered so far.
    expect(plain.values).toEqual(Array.from({ length: ITERATIONS }, (_, i) => COST * (i + 1)));
    expect(argument.values).toEqual(plain.values);
    // 2 M cycles at 64 MHz with a 10 ms quantum: preempted at every quantum end.
    expect(plain.preempts).toBeGreaterThan(2);
    expect(argument.preempts).toBe(plain.preempts);
    expect(argument.cycles).toBe(plain.cycles);
  });

  it('an integrated (instrumented) task passes the budget; its clock and preemption work as before', () => {
    const body = `
      (drop (call $get_cycle (i32.const 0)))
      (local.set $h (i32.load (i32.const 1024)))
      (loop $spin (br_if $spin (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 300000))))
      (drop (call $get_cycle (i32.const 0)))
      (local.set $j (i32.load (i32.const 1024)))
      (call $report (i32.gt_u (local.get $j) (local.get $h)))
      (call $report (i32.gt_u (i32.sub (local.get $j) (local.get $h)) (i32.const 300000)))`;
    const spinner = { name: 'b', label: 2, wat: taskWat({ imports: ['log'], body: '(loop $l (br $l))' }) };
    const run = runWat([
      { name: 'a', label: 1, capabilities: Cap.TimHpChrono, wat: taskWat({ imports: ['log', 'get_cycle'], body }) },
      spinner,
    ], {}, { maxCycles: 64_000 * 200 });
    const imports = run.kernel.descriptors[0]!.imports;
    const budgetArgument = run.kernel.descriptors[0]!.budgetArgument;
    expect(Object.fromEntries(imports.map((name, i) => [name, budgetArgument[i]]))).toEqual({ log: true, get_cycle: true, preempt: false });
    expect(run.lines.filter((l) => l.startsWith('[a]'))).toEqual(['[a] s=01', '[a] s=01']);
    // The busy task was preempted, not starved by or starving the other.
    expect(run.result.tasks[1]!.switches).toBeGreaterThan(2);
  });
});
