/**
 * Benchmark task modules and images, built in memory through the real integrator path.
 *
 * Every benchmark task has the same shape: `_start` runs an optional setup, then an outer
 * loop that calls an inner function `$batch` (which loops over one operation `batch`
 * times), then calls `exit` with the OR of every status it saw, so a syscall that fails
 * during a benchmark ends the task with a non-zero status and the bench refuses the figure.
 * The inner/outer split matters with V8: a Wasm function called once stays on the baseline
 * tier (Liftoff) for its whole activation, so the hot loop must live in a function that is
 * called again and again to run optimised code (see docs/performance.md).
 *
 * Modules are written in WAT and assembled with Binaryen (a runtime dependency), then go
 * through `integrateModule` (import checks + instrumentation) and `writeImage`; boot is the
 * real `bootImage`.
 */

import { BUS_IMPORTS, ExitPolicy, SYSCALLS } from '../abi/index.js';
import { writeImage, type ImageTaskInput } from '../../kernel/image/image.js';
import { bootImage } from '../../kernel/boot/boot.js';
import type { Kernel, RunResult } from '../../kernel/kernel.js';
import { DEFAULT_KERNEL_CONFIG, type KernelConfig } from '../../kernel/config.js';
import { EMPTY_BOARD, type Board } from '../../kernel/board.js';
import { integrateModule } from '../build/project.js';
import binaryen from 'binaryen';

/** Assembles WAT text with Binaryen (bulk memory allowed: tasks fill their exchange area). */
export function assembleWat(text: string): Uint8Array<ArrayBuffer> {
  const module = binaryen.parseText(text);
  try {
    module.setFeatures(binaryen.Features.MutableGlobals | binaryen.Features.SignExt | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt);
    if (!module.validate()) throw new Error('bench: WAT does not validate');
    return module.emitBinary() as Uint8Array<ArrayBuffer>;
  } finally {
    module.dispose();
  }
}

/** Exchange-area address of every benchmark task. */
export const EXCH = 1024;

/** What a benchmark task module contains. */
export interface TaskSource {
  /** Syscalls (and bus imports) to import, by ABI name; `exit` is always imported. */
  readonly imports: readonly string[];
  /** Instructions run once at the start of `_start`; may set `$h`/`$g` and OR statuses into `$acc`. */
  readonly setup?: string;
  /**
   * One operation of the inner loop. Locals available: `$acc` (OR of statuses, i32), `$i`
   * (iteration), `$s` (scratch i32); globals `$h`, `$g` (handles from the setup).
   */
  readonly op: string;
  /** Operations per call of `$batch`. */
  readonly batch: number;
  /** Calls of `$batch` from `_start`. */
  readonly batches: number;
  /** Memory pages (initial = maximum); default 1. */
  readonly pages?: number;
  /** Extra module fields (data segments at offsets >= 4096). */
  readonly extra?: string;
}

function importDecl(name: string): string {
  const bus = BUS_IMPORTS.find((b) => b.name === name);
  if (bus !== undefined) return `(import "rampart" "${name}" (func $${name} (param i32${bus.write ? ' i32' : ''}) (result i32)))`;
  const s = SYSCALLS.find((x) => x.name === name);
  if (s === undefined) throw new Error(`bench: unknown syscall '${name}'`);
  return `(import "rampart" "${name}" (func $${name} ${s.args.map(() => '(param i32)').join(' ')} (result i32)))`;
}

/** The WAT text of a benchmark task. */
export function taskWat(src: TaskSource): string {
  const imports = [...new Set([...src.imports, 'exit'])].map(importDecl).join('\n  ');
  const pages = src.pages ?? 1;
  return `(module
  ${imports}
  (memory (export "memory") ${pages} ${pages})
  (global (export "__svcexchange") i32 (i32.const ${EXCH}))
  (global $h (mut i32) (i32.const 0))
  (global $g (mut i32) (i32.const 0))
  (global $status (mut i32) (i32.const 0))
  ${src.extra ?? ''}
  (func $batch (param $n i32) (result i32) (local $i i32) (local $acc i32) (local $s i32)
    (loop $l
      ${src.op}
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $acc))
  (func (export "_start") (param i32 i32) (local $b i32) (local $acc i32) (local $s i32)
    ${src.setup ?? ''}
    (loop $outer
      (local.set $acc (i32.or (local.get $acc) (call $batch (i32.const ${src.batch}))))
      (br_if $outer (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (i32.const ${src.batches}))))
    (drop (call $exit (local.get $acc)))))`;
}

/** One task of a benchmark image. */
export interface BenchTask {
  readonly name: string;
  readonly label: number;
  readonly wat: string;
  readonly capabilities?: number;
  readonly priority?: number;
}

/** Integrate one task (instrumentation included) for `config` and `board`. */
export function integrateTask(t: BenchTask, config: KernelConfig, board: Board = EMPTY_BOARD): ImageTaskInput {
  return integrateModule(t.name, {
    label: t.label, priority: t.priority ?? 1, quantum: 10, autoStart: true, exitPolicy: ExitPolicy.NoRestart,
    stackSize: 0x2000, heapSize: 0, domain: 0, capabilities: t.capabilities ?? 0,
  }, assembleWat(t.wat), `${t.name}/task.conf`, config, board);
}

/** Build an image from benchmark tasks. */
export function buildImage(tasks: readonly BenchTask[], config: KernelConfig = DEFAULT_KERNEL_CONFIG, board: Board = EMPTY_BOARD): Uint8Array {
  return writeImage(config, tasks.map((t) => integrateTask(t, config, board)), board);
}

/** An image of `count` tasks (labels 1..count) running the same module, integrated once. */
export function buildUniformImage(prefix: string, count: number, wat: string, config: KernelConfig, capabilities = 0): Uint8Array {
  const base = integrateTask({ name: `${prefix}1`, label: 1, wat, capabilities }, config);
  const tasks: ImageTaskInput[] = [];
  for (let i = 1; i <= count; i++) tasks.push({ ...base, name: `${prefix}${i}`, label: i });
  return writeImage(config, tasks);
}

/** Boot an image for a benchmark: console and kernel log discarded. */
export function bootQuiet(image: Uint8Array): Kernel {
  return bootImage(image, { seed: 1, console: { line: () => undefined } });
}

/** Throws unless every task ended with exit(0) and the run ended normally. */
export function checkRun(name: string, result: RunResult): void {
  if (result.end.kind !== 'idle') throw new Error(`bench ${name}: run ended with ${result.end.kind}: ${result.end.message}`);
  for (const t of result.tasks) {
    if (t.state !== 'finished') {
      throw new Error(`bench ${name}: task '${t.name}' ended ${t.state}${t.exitStatus !== null ? ` (status ${t.exitStatus})` : ''}${t.fault !== null ? `: ${t.fault.message}` : ''}`);
    }
  }
}

/** A custom section carrying `nonce`: appended to a module, it changes the wire bytes only. */
export function withNonce(module: Uint8Array, nonce: number): Uint8Array<ArrayBuffer> {
  const name = new TextEncoder().encode('rampart.bench.nonce');
  const payload = new Uint8Array(8);
  new DataView(payload.buffer).setFloat64(0, nonce, true);
  const content = name.length + 1 + payload.length; // name length fits one LEB byte
  const out = new Uint8Array(module.length + 2 + content);
  out.set(module, 0);
  let p = module.length;
  out[p++] = 0; // custom section
  out[p++] = content; // < 128: one LEB byte
  out[p++] = name.length;
  out.set(name, p);
  p += name.length;
  out.set(payload, p);
  return out;
}
