/**
 * Test builders: hand-written WAT tasks, packed into real images and booted.
 *
 * `taskWat` wraps a `_start` body into a module that follows the task contract
 * (docs/task-abi.md): memory, exchange area at 1024 exported as `__svcexchange`, syscall
 * imports declared with their ABI types. Two helpers are available to bodies:
 * `(call $report (i32))` logs "s=NN" (a status or small number, two digits) and leaves
 * the exchange area as it found it, and
 * `(call $say (i32 offset) (i32 len))` logs bytes from a data segment. Images go through
 * the real integrator path (import check, instrumentation, image writer, boot checks).
 */

import wabtInit from 'wabt';
import { BUS_IMPORTS, SYSCALLS, ExitPolicy } from '../../toolchain/abi/index.js';
import { writeImage, type ImageTaskInput } from '../../kernel/image/image.js';
import { bootImage } from '../../kernel/boot/boot.js';
import type { Kernel, RunResult } from '../../kernel/kernel.js';
import { DEFAULT_KERNEL_CONFIG, type KernelConfig } from '../../kernel/config.js';
import { EMPTY_BOARD, type Board } from '../../kernel/board.js';
import type { Injection } from '../../kernel/managers/security/injection.js';
import type { JournalPolicy } from '../../kernel/managers/security/security-manager.js';
import { integrateModule } from '../../toolchain/build/project.js';

const wabt = await wabtInit();

/** Exchange area address used by every WAT task. */
export const EXCH = 1024;

export function watToWasm(text: string): Uint8Array {
  const m = wabt.parseWat('task.wat', text, { multi_value: true, bulk_memory: true, exceptions: true });
  try {
    return m.toBinary({}).buffer;
  } finally {
    m.destroy();
  }
}

export interface WatTaskOptions {
  /** Syscalls to import, by ABI name. */
  readonly imports: readonly string[];
  /** Body of `_start(label, seed)`; locals $i $j $k $h (i32) are declared. */
  readonly body: string;
  /** Extra module fields (functions, data at offsets >= 4096). */
  readonly extra?: string;
  readonly pages?: number;
  readonly maxPages?: number;
}

export function taskWat(o: WatTaskOptions): string {
  const imports = o.imports.map((name) => {
    const s = SYSCALLS.find((x) => x.name === name);
    const bus = BUS_IMPORTS.find((b) => b.name === name);
    if (bus !== undefined) return `(import "rampart" "${name}" (func $${name} (param i32${bus.write ? ' i32' : ''}) (result i32)))`;
    if (s === undefined) return `(import "rampart" "${name}" (func $${name} (param i32) (result i32)))`;
    return `(import "rampart" "${name}" (func $${name} ${s.args.map(() => '(param i32)').join(' ')} (result i32)))`;
  }).join('\n  ');
  const hasLog = o.imports.includes('log');
  const pages = o.pages ?? 1;
  return `(module
  ${imports}
  (memory (export "memory") ${pages} ${o.maxPages ?? pages})
  (global (export "__svcexchange") i32 (i32.const ${EXCH}))
  ${hasLog ? `
  (func $report (param $v i32)
    ;; keep the exchange area as it was: tests read event data after reporting
    (memory.copy (i32.const 3000) (i32.const ${EXCH}) (i32.const 8))
    (i32.store8 (i32.const ${EXCH}) (i32.const 115))
    (i32.store8 (i32.const ${EXCH + 1}) (i32.const 61))
    (i32.store8 (i32.const ${EXCH + 2}) (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $v) (i32.const 10)) (i32.const 10))))
    (i32.store8 (i32.const ${EXCH + 3}) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
    (i32.store8 (i32.const ${EXCH + 4}) (i32.const 10))
    (drop (call $log (i32.const 5)))
    (memory.copy (i32.const ${EXCH}) (i32.const 3000) (i32.const 8)))
  (func $say (param $off i32) (param $len i32)
    (memory.copy (i32.const ${EXCH}) (local.get $off) (local.get $len))
    (drop (call $log (local.get $len))))` : ''}
  ${o.extra ?? ''}
  (func (export "_start") (param $label i32) (param $seed i32)
    (local $i i32) (local $j i32) (local $k i32) (local $h i32)
    ${o.body})
)`;
}

export interface TestTask {
  readonly name: string;
  readonly wat: string;
  readonly label: number;
  readonly capabilities?: number;
  readonly priority?: number;
  readonly quantum?: number;
  readonly autoStart?: boolean;
  readonly exitPolicy?: ExitPolicy;
  readonly domain?: number;
}

/** Build a real image from WAT tasks. */
export function buildWatImage(tasks: readonly TestTask[], kernel: Partial<KernelConfig> = {}, board: Board = EMPTY_BOARD): Uint8Array {
  const config: KernelConfig = { ...DEFAULT_KERNEL_CONFIG, ...kernel };
  const imageTasks: ImageTaskInput[] = tasks.map((t) => integrateModule(t.name, {
    label: t.label,
    priority: t.priority ?? 1,
    quantum: t.quantum ?? 10,
    autoStart: t.autoStart ?? true,
    exitPolicy: t.exitPolicy ?? ExitPolicy.NoRestart,
    stackSize: 0x2000,
    heapSize: 0,
    domain: t.domain ?? 0,
    capabilities: t.capabilities ?? 0,
  }, watToWasm(t.wat), `${t.name}/task.conf`, config));
  return writeImage(config, imageTasks, board);
}

export interface WatRun {
  readonly kernel: Kernel;
  readonly result: RunResult;
  readonly lines: string[];
  readonly kernelLog: string[];
}

export function runWat(tasks: readonly TestTask[], kernel: Partial<KernelConfig> = {}, options: { seed?: number; maxCycles?: number; trace?: boolean; board?: Board; scenario?: { text: string; file: string }; vcd?: boolean; inject?: readonly Injection[]; journal?: Uint8Array; journalPolicy?: JournalPolicy } = {}): WatRun {
  const lines: string[] = [];
  const kernelLog: string[] = [];
  const k = bootImage(buildWatImage(tasks, kernel, options.board), {
    seed: options.seed ?? 1,
    console: { line: (l) => lines.push(l) },
    kernelLog: (l) => kernelLog.push(l),
    trace: options.trace ?? false,
    ...(options.maxCycles !== undefined ? { maxCycles: options.maxCycles } : {}),
    ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
    ...(options.vcd === true ? { vcd: true } : {}),
    ...(options.inject !== undefined ? { inject: options.inject } : {}),
    ...(options.journal !== undefined ? { journal: options.journal } : {}),
    ...(options.journalPolicy !== undefined ? { journalPolicy: options.journalPolicy } : {}),
  });
  const result = k.run();
  return { kernel: k, result, lines, kernelLog };
}
