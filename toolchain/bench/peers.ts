/**
 * Peers measured in the same run: other ways to give Wasm code host services or a CPU.
 *
 *  - host calls through Node's own `node:wasi` (clock_time_get, random_get of 4 bytes);
 *  - the same calls through `@wasmer/wasi` (npm; its WASI layer is itself a Wasm module);
 *  - a two-instance ping-pong over `worker_threads`, one instance per thread, handing
 *    control over with `Atomics.wait` / `Atomics.notify` (a thread-per-task design).
 *
 * Host-call peers loop like every other case (inner function over a batch, outer loop).
 * A peer that cannot run here is reported unavailable with the reason, never estimated.
 */

import { Worker } from 'node:worker_threads';
import type { Contender } from './harness.js';
import { timeNs } from './harness.js';
import { assembleWat } from './images.js';

const WASI_WAT = `(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (func $clocks (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.or (local.get $acc) (call $clock (i32.const 1) (i64.const 1) (i32.const 16))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $acc))
  (func $randoms (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.or (local.get $acc) (call $random (i32.const 32) (i32.const 4))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $acc))
  (func (export "run_clock") (param $batches i32) (param $n i32) (result i32) (local $b i32) (local $acc i32)
    (loop $outer
      (local.set $acc (i32.or (local.get $acc) (call $clocks (local.get $n))))
      (br_if $outer (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $batches))))
    (local.get $acc))
  (func (export "run_random") (param $batches i32) (param $n i32) (result i32) (local $b i32) (local $acc i32)
    (loop $outer
      (local.set $acc (i32.or (local.get $acc) (call $randoms (local.get $n))))
      (br_if $outer (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $batches))))
    (local.get $acc)))`;

type WasiExports = { run_clock(batches: number, n: number): number; run_random(batches: number, n: number): number };

/** A peer that could not be measured, and why. */
export interface Unavailable {
  readonly name: string;
  readonly reason: string;
}

function wasiContenders(prefix: string, exports: WasiExports, batches: number, batch: number): Contender[] {
  const check = (name: string, errno: number): void => {
    if (errno !== 0) throw new Error(`bench ${name}: WASI call failed (errno ${errno})`);
  };
  const ops = batches * batch;
  return [
    { name: `${prefix}-clock`, round: () => { let e = 0; const ns = timeNs(() => { e = exports.run_clock(batches, batch); }); check(`${prefix}-clock`, e); return ns / ops; } },
    { name: `${prefix}-random`, round: () => { let e = 0; const ns = timeNs(() => { e = exports.run_random(batches, batch); }); check(`${prefix}-random`, e); return ns / ops; } },
  ];
}

/** clock_time_get and random_get through `node:wasi`. */
export async function nodeWasi(batches: number, batch: number): Promise<Contender[] | Unavailable> {
  // Node prints an ExperimentalWarning on the first use of node:wasi; the bench is not the
  // place to show it, so that one warning (and only it) is dropped while the peer is set up.
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(typeof warning === 'string' ? warning : warning.message).includes('WASI')) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    const { WASI } = await import('node:wasi');
    const wasi = new WASI({ version: 'preview1', returnOnExit: true });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(assembleWat(WASI_WAT)), wasi.getImportObject() as WebAssembly.Imports);
    wasi.initialize(instance);
    return wasiContenders('wasi-node', instance.exports as unknown as WasiExports, batches, batch);
  } catch (error) {
    return { name: 'wasi-node', reason: `node:wasi did not run: ${(error as Error).message}` };
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** clock_time_get and random_get through `@wasmer/wasi`. */
export async function wasmerWasi(batches: number, batch: number): Promise<Contender[] | Unavailable> {
  try {
    const lib = (await import('@wasmer/wasi')) as unknown as {
      init(): Promise<void>;
      WASI: new (options: { env: Record<string, string>; args: string[] }) => { instantiate(module: WebAssembly.Module, imports: object): WebAssembly.Instance };
    };
    await lib.init();
    const wasi = new lib.WASI({ env: {}, args: [] });
    const instance = wasi.instantiate(new WebAssembly.Module(assembleWat(WASI_WAT)), {});
    return wasiContenders('wasi-wasmer', instance.exports as unknown as WasiExports, batches, batch);
  } catch (error) {
    return { name: 'wasi-wasmer', reason: `@wasmer/wasi did not run on Node ${process.version}: ${(error as Error).message}` };
  }
}

const HANDOFF_WAT = `(module
  (import "env" "handoff" (func $handoff (result i32)))
  (func $batch (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.or (local.get $acc) (call $handoff)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $acc))
  (func (export "run") (param $batches i32) (param $n i32) (result i32) (local $b i32) (local $acc i32)
    (loop $outer
      (local.set $acc (i32.or (local.get $acc) (call $batch (local.get $n))))
      (br_if $outer (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $batches))))
    (local.get $acc)))`;

/**
 * Worker body (plain JavaScript, evaluated: no TypeScript loader is needed in the thread).
 * Worker 0 hands the turn to 1 and waits for it back; worker 1 waits for its turn and
 * hands it back: one `handoff` of worker 0 is one round trip.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { bytes, shared, me } = workerData;
const flag = new Int32Array(shared);
const waitTurn = (t) => { while (Atomics.load(flag, 0) !== t) Atomics.wait(flag, 0, 1 - t); };
const give = (t) => { Atomics.store(flag, 0, t); Atomics.notify(flag, 0); };
const handoff = me === 0 ? () => { give(1); waitTurn(0); return 0; } : () => { waitTurn(1); give(0); return 0; };
const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { handoff } });
const run = instance.exports.run;
parentPort.on('message', (m) => {
  const t0 = process.hrtime.bigint();
  run(m.batches, m.batch);
  parentPort.postMessage(Number(process.hrtime.bigint() - t0));
});
`;

/** Ping-pong between two Wasm instances on two worker threads; one operation = one round trip. */
export function workerAtomics(batches: number, batch: number): Contender & { close(): Promise<void> } {
  const shared = new SharedArrayBuffer(4);
  const bytes = assembleWat(HANDOFF_WAT);
  const workers = [0, 1].map((me) => new Worker(WORKER_SOURCE, { eval: true, workerData: { bytes, shared, me } }));
  const once = (w: Worker): Promise<number> => new Promise((resolve, reject) => {
    const onMessage = (ns: number): void => { w.off('error', onError); resolve(ns); };
    const onError = (e: Error): void => { w.off('message', onMessage); reject(e); };
    w.once('message', onMessage);
    w.once('error', onError);
  });
  return {
    name: 'worker-atomics-roundtrip',
    round: async () => {
      const done = workers.map(once);
      for (const w of workers) w.postMessage({ batches, batch });
      const [ns] = await Promise.all(done);
      return ns! / (batches * batch);
    },
    close: async () => { await Promise.all(workers.map((w) => w.terminate())); },
  };
}
