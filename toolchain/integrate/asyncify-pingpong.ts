/**
 * Benchmark floors of the task-switching machinery, measured without the kernel.
 *
 * Owns three micro-benchmarks used as reference points by the kernel benchmarks:
 *  - {@link bareAsyncifyPingPong}: two instrumented instances handing the CPU to each other
 *    through a blocking import, with the bare Asyncify unwind/rewind switch and nothing else;
 *  - {@link rawImportCallNs}: a plain Wasm -> JS import call in a loop;
 *  - {@link crcInstrumentationRatio}: the speed cost of the instrumentation on a CRC-32 loop.
 * The measured loops allocate nothing (switch state lives in preallocated objects and typed
 * views), so the figures are not polluted by GC. Modules are written in WAT and assembled with
 * Binaryen (a runtime dependency), not wabt (a dev dependency).
 *
 * Run directly (`npx tsx toolchain/integrate/asyncify-pingpong.ts`) to print all figures.
 */

import { pathToFileURL } from 'node:url';
import binaryen from 'binaryen';
import { instrument } from './instrument.js';

/** Asyncify states as returned by `asyncify_get_state`. */
const STATE_UNWINDING = 1;
const STATE_REWINDING = 2;

/** Assembles WAT text into a binary with Binaryen. */
export function assembleWat(text: string): Uint8Array<ArrayBuffer> {
  const module = binaryen.parseText(text);
  try {
    module.setFeatures(binaryen.Features.MutableGlobals | binaryen.Features.SignExt | binaryen.Features.BulkMemory);
    if (!module.validate()) throw new Error('benchmark WAT does not validate');
    // binaryen.js copies the binary out into a fresh `new Uint8Array(size)`.
    return module.emitBinary() as Uint8Array<ArrayBuffer>;
  } finally {
    module.dispose();
  }
}

/** The exports every instrumented module has, typed. */
interface AsyncifyExports {
  memory: WebAssembly.Memory;
  __rampart_budget: WebAssembly.Global;
  asyncify_start_unwind(addr: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(addr: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
}

/**
 * One cooperatively scheduled instance: the minimal state a scheduler keeps per task.
 * `run()` runs it until it next blocks (unwinds) or returns; `block()` is what a blocking import
 * calls to switch away, and also completes the rewind when the task is resumed.
 */
export class BareTask {
  exports!: AsyncifyExports & { _start(a: number, b: number): void };
  private header!: Int32Array;
  private started = false;

  constructor(
    private readonly dataAddress: number,
    private readonly dataSize: number,
    private readonly budget = 0x7fffffff,
  ) {}

  /** Binds the instance (its imports close over this object, so it is created first). */
  attach(instance: WebAssembly.Instance): void {
    this.exports = instance.exports as unknown as BareTask['exports'];
    this.header = new Int32Array(this.exports.memory.buffer, this.dataAddress, 2);
  }

  /** Body of a blocking import: unwind on the call, finish the rewind on the resumed call. */
  block(): number {
    const e = this.exports;
    if (e.asyncify_get_state() === STATE_REWINDING) {
      e.asyncify_stop_rewind();
      return 0;
    }
    this.header[0] = this.dataAddress + 8;
    this.header[1] = this.dataAddress + this.dataSize;
    e.asyncify_start_unwind(this.dataAddress);
    return 0;
  }

  /** Runs (or resumes) the task until it blocks; returns false once `_start` returned. */
  run(): boolean {
    const e = this.exports;
    e.__rampart_budget.value = this.budget;
    if (this.started) e.asyncify_start_rewind(this.dataAddress);
    this.started = true;
    e._start(0, 0);
    if (e.asyncify_get_state() === STATE_UNWINDING) {
      e.asyncify_stop_unwind();
      return true;
    }
    this.started = false;
    return false;
  }
}

const PINGPONG_WAT = `
(module
  (import "rampart" "sched_yield" (func $yield (result i32)))
  (memory 1 1)
  (export "memory" (memory 0))
  (global $count (export "count") (mut i32) (i32.const 0))
  (func (export "_start") (param i32 i32)
    (loop $forever
      (drop (call $yield))
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      (br $forever))))`;

/**
 * Two instrumented instances ping-ponging through `rampart.sched_yield`, each yield being a
 * full Asyncify unwind + rewind. Returns nanoseconds per round trip (A runs, B runs).
 */
export function bareAsyncifyPingPong(iterations: number): number {
  const inst = instrument(assembleWat(PINGPONG_WAT), { blockingImports: ['sched_yield'] });
  const module = new WebAssembly.Module(inst.wasm);
  const make = (): BareTask => {
    const task = new BareTask(inst.asyncifyDataAddress, inst.asyncifyDataSize);
    const instance = new WebAssembly.Instance(module, {
      // The instrumented import takes the caller's budget last (docs/task-abi.md); declaring it
      // keeps the floor a call of matching arity, as the kernel's imports are.
      rampart: { sched_yield: (_budget: number) => task.block(), preempt: () => void task.block() },
    });
    task.attach(instance);
    return task;
  };
  const a = make();
  const b = make();
  const round = (n: number): void => {
    for (let i = 0; i < n; i++) {
      a.run();
      b.run();
    }
  };
  round(Math.min(iterations, 20_000)); // warm-up: let the engine tier up
  const t0 = process.hrtime.bigint();
  round(iterations);
  const t1 = process.hrtime.bigint();
  return Number(t1 - t0) / iterations;
}

const RAW_IMPORT_WAT = `
(module
  (import "env" "f" (func $f (result i32)))
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (call $f)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))`;

/** Nanoseconds per plain (uninstrumented) Wasm -> JS import call, measured over `iterations` calls. */
export function rawImportCallNs(iterations: number): number {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(assembleWat(RAW_IMPORT_WAT)), {
    env: { f: () => 1 },
  });
  const run = instance.exports.run as (n: number) => number;
  run(Math.min(iterations, 100_000)); // warm-up
  const t0 = process.hrtime.bigint();
  run(iterations);
  const t1 = process.hrtime.bigint();
  return Number(t1 - t0) / iterations;
}

/**
 * CRC-32 (reflected, polynomial 0xEDB88320). `init` builds the table with a bitwise nested loop;
 * `crc` is the classic table-driven byte loop; `crc_bitwise` is the 8-steps-per-byte variant,
 * the worst case for per-loop-header overhead.
 */
const CRC_WAT = `
(module
  (memory 4 4)
  (export "memory" (memory 0))
  (func (export "init")
    (local $n i32) (local $c i32) (local $k i32)
    (loop $entries
      (local.set $c (local.get $n))
      (local.set $k (i32.const 8))
      (loop $bits
        (local.set $c
          (i32.xor
            (i32.shr_u (local.get $c) (i32.const 1))
            (i32.and (i32.const 0xEDB88320) (i32.sub (i32.const 0) (i32.and (local.get $c) (i32.const 1))))))
        (br_if $bits (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
      (i32.store (i32.shl (local.get $n) (i32.const 2)) (local.get $c))
      (br_if $entries (i32.lt_u (local.tee $n (i32.add (local.get $n) (i32.const 1))) (i32.const 256)))))
  (func (export "crc") (param $p i32) (param $len i32) (result i32)
    (local $c i32) (local $end i32)
    (local.set $c (i32.const -1))
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (block $done
      (br_if $done (i32.eqz (local.get $len)))
      (loop $bytes
        (local.set $c
          (i32.xor
            (i32.load
              (i32.shl
                (i32.and (i32.xor (local.get $c) (i32.load8_u (local.get $p))) (i32.const 255))
                (i32.const 2)))
            (i32.shr_u (local.get $c) (i32.const 8))))
        (br_if $bytes (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $end)))))
    (i32.xor (local.get $c) (i32.const -1)))
  (func (export "crc_bitwise") (param $p i32) (param $len i32) (result i32)
    (local $c i32) (local $end i32) (local $k i32)
    (local.set $c (i32.const -1))
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (block $done
      (br_if $done (i32.eqz (local.get $len)))
      (loop $bytes
        (local.set $c (i32.xor (local.get $c) (i32.load8_u (local.get $p))))
        (local.set $k (i32.const 8))
        (loop $bits
          (local.set $c
            (i32.xor
              (i32.shr_u (local.get $c) (i32.const 1))
              (i32.and (i32.const 0xEDB88320) (i32.sub (i32.const 0) (i32.and (local.get $c) (i32.const 1))))))
          (br_if $bits (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        (br_if $bytes (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $end)))))
    (i32.xor (local.get $c) (i32.const -1))))`;

/** Where the CRC benchmark keeps its input (the table occupies [0, 1024)). */
const CRC_BUFFER = 4096;
const CRC_LENGTH = 128 * 1024;
const CRC_WARMUP_LENGTH = 1024;
const CRC_WARMUP_CALLS = 3000;

/** Result of {@link crcInstrumentationRatio}: instrumented speed / uninstrumented speed (1 = no cost). */
export interface CrcRatio {
  /** Table-driven CRC-32 (one loop header per byte). */
  table: number;
  /** Bitwise CRC-32 (nine loop headers per byte: the worst case). */
  bitwise: number;
  /** The CRC value, identical for both builds (checked). */
  crc: number;
}

type CrcExports = { memory: WebAssembly.Memory; init(): void; crc(p: number, n: number): number; crc_bitwise(p: number, n: number): number };

/**
 * Times the CRC-32 loops uninstrumented vs instrumented (budget refilled before each run so
 * preempt is never called) and returns the speed ratios. Runs alternate between the two builds
 * and the best of `rounds` is kept, to cancel out tier-up and noise.
 */
export function crcInstrumentationRatio(rounds = 30): CrcRatio {
  const plainBytes = assembleWat(CRC_WAT);
  const inst = instrument(plainBytes, { blockingImports: [] });
  const plain = new WebAssembly.Instance(new WebAssembly.Module(plainBytes)).exports as unknown as CrcExports;
  const metered = new WebAssembly.Instance(new WebAssembly.Module(inst.wasm), {
    rampart: {
      preempt: () => {
        throw new Error('benchmark budget exhausted');
      },
    },
  }).exports as unknown as CrcExports & { __rampart_budget: WebAssembly.Global };

  for (const e of [plain, metered]) {
    const bytes = new Uint8Array(e.memory.buffer, CRC_BUFFER, CRC_LENGTH);
    let seed = 0x12345678;
    for (let i = 0; i < bytes.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      bytes[i] = seed >>> 24;
    }
  }
  plain.init();
  metered.__rampart_budget.value = 0x7fffffff;
  metered.init();

  // Warm-up with short inputs: Wasm tiers up from the baseline compiler to the optimizing one
  // in the background and only switches at call boundaries, so many short calls get every
  // function onto optimized code before anything is timed.
  for (let i = 0; i < CRC_WARMUP_CALLS; i++) {
    plain.crc(CRC_BUFFER, CRC_WARMUP_LENGTH);
    plain.crc_bitwise(CRC_BUFFER, CRC_WARMUP_LENGTH);
    metered.__rampart_budget.value = 0x7fffffff;
    metered.crc(CRC_BUFFER, CRC_WARMUP_LENGTH);
    metered.crc_bitwise(CRC_BUFFER, CRC_WARMUP_LENGTH);
  }
  const time = (fn: () => number): [number, number] => {
    const t0 = process.hrtime.bigint();
    const v = fn();
    return [Number(process.hrtime.bigint() - t0), v];
  };
  const best = { plainTable: Infinity, meteredTable: Infinity, plainBits: Infinity, meteredBits: Infinity };
  let crc = 0;
  for (let r = 0; r < rounds; r++) {
    const [pt, pv] = time(() => plain.crc(CRC_BUFFER, CRC_LENGTH));
    metered.__rampart_budget.value = 0x7fffffff;
    const [mt, mv] = time(() => metered.crc(CRC_BUFFER, CRC_LENGTH));
    const [pb, pbv] = time(() => plain.crc_bitwise(CRC_BUFFER, CRC_LENGTH));
    metered.__rampart_budget.value = 0x7fffffff;
    const [mb, mbv] = time(() => metered.crc_bitwise(CRC_BUFFER, CRC_LENGTH));
    if (pv !== mv || pv !== pbv || pv !== mbv) throw new Error('CRC mismatch between builds');
    crc = pv >>> 0;
    best.plainTable = Math.min(best.plainTable, pt);
    best.meteredTable = Math.min(best.meteredTable, mt);
    best.plainBits = Math.min(best.plainBits, pb);
    best.meteredBits = Math.min(best.meteredBits, mb);
  }
  return { table: best.plainTable / best.meteredTable, bitwise: best.plainBits / best.meteredBits, crc };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ratio = crcInstrumentationRatio();
  console.log(`CRC-32 instrumented speed / uninstrumented: table ${ratio.table.toFixed(3)}, bitwise ${ratio.bitwise.toFixed(3)}`);
  console.log(`bare Asyncify ping-pong: ${bareAsyncifyPingPong(200_000).toFixed(1)} ns per round trip`);
  console.log(`raw Wasm->JS import call: ${rawImportCallNs(10_000_000).toFixed(2)} ns`);
}
