/**
 * The floors the kernel paths are measured against, as contenders of the same run.
 *
 *  - {@link rawImportFloor}: a plain (uninstrumented) Wasm -> JS import call of the
 *    syscall's shape, `(i32) -> i32`, to a JS function of matching arity.
 *  - {@link pingPongFloor}: two instrumented instances handing the CPU to each other
 *    through a blocking import, with the bare Asyncify unwind/rewind and nothing else
 *    (the `BareTask` of toolchain/integrate/asyncify-pingpong.ts). One operation is one
 *    round trip: A runs, B runs (two switches), like the kernel's round trips.
 *
 * Both loop exactly as the kernel benchmark tasks do: an inner function over a batch,
 * called from an outer loop, so the engine runs both on its optimising tier.
 */

import { instrument } from '../integrate/instrument.js';
import { assembleWat, BareTask } from '../integrate/asyncify-pingpong.js';
import type { Contender } from './harness.js';
import { timeNs } from './harness.js';

const RAW_IMPORT_WAT = `(module
  (import "env" "f" (func $f (param i32) (result i32)))
  (func $batch (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.or (local.get $acc) (call $f (i32.const 3))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $acc))
  (func (export "run") (param $batches i32) (param $n i32) (result i32) (local $b i32) (local $acc i32)
    (loop $outer
      (local.set $acc (i32.or (local.get $acc) (call $batch (local.get $n))))
      (br_if $outer (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $batches))))
    (local.get $acc)))`;

/** A raw import call per operation; `batches * batch` calls per round. */
export function rawImportFloor(name: string, batches: number, batch: number): Contender {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(assembleWat(RAW_IMPORT_WAT)), {
    env: { f: (_precision: number) => 0 },
  });
  const run = instance.exports.run as (batches: number, n: number) => number;
  return {
    name,
    round: () => timeNs(() => { run(batches, batch); }) / (batches * batch),
  };
}

const PINGPONG_WAT = `(module
  (import "rampart" "sched_yield" (func $yield (result i32)))
  (memory (export "memory") 1 1)
  (func $batch (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.or (local.get $acc) (call $yield)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $acc))
  (func (export "_start") (param i32 i32) (local $acc i32)
    (loop $forever
      (local.set $acc (i32.or (local.get $acc) (call $batch (i32.const 1000))))
      (br $forever))))`;

/** Bare Asyncify ping-pong between two instances; one operation = one round trip (two switches). */
export function pingPongFloor(name: string, roundTrips: number): Contender {
  const inst = instrument(assembleWat(PINGPONG_WAT), { blockingImports: ['sched_yield'] });
  const module = new WebAssembly.Module(inst.wasm);
  const make = (): BareTask => {
    const task = new BareTask(inst.asyncifyDataAddress, inst.asyncifyDataSize);
    const instance = new WebAssembly.Instance(module, {
      rampart: { sched_yield: () => task.block(), preempt: () => void task.block() },
    });
    task.attach(instance);
    return task;
  };
  const a = make();
  const b = make();
  const loop = (n: number): void => {
    for (let i = 0; i < n; i++) {
      a.run();
      b.run();
    }
  };
  return { name, round: () => timeNs(() => loop(roundTrips)) / roundTrips };
}
