/**
 * "Imports are capabilities": the rule deciding which imports a task module may have.
 *
 * Used twice, on purpose: by the integrator before it packs a module, and by the kernel
 * at boot before it instantiates one (an image may have been built by something else).
 * A module may import only functions from module `rampart`, each a syscall this kernel
 * implements, with exactly the ABI signature `(i32 × nargs) -> i32`, and gated syscalls
 * only when the task holds one of the gating capabilities. Hosted C tasks may also import
 * the WASI functions the kernel serves (kernel/syscalls/gate-wasi.ts), each with its exact
 * WASI signature, `random_get` only with CAP_CRY_KRNG; any other WASI name is refused by
 * name. Every violation is reported, not just the first, each naming the task, the import
 * and the fix.
 */

import { BUS_IMPORTS, CAPABILITIES, PREEMPT_IMPORT, SYSCALL_IMPORT_MODULE, SYSCALLS, type SyscallFamily, type SyscallInfo } from '../../toolchain/abi/index.js';
import type { WasmImport, WasmInterface } from '../platform/wasm-sections.js';
import { WASI_FUNCTIONS, WASI_IMPORT_MODULE } from '../syscalls/gate-wasi.js';

/** Syscall families whose gates this kernel has. Others are absent: importing them is refused. */
export const IMPLEMENTED_FAMILIES: ReadonlySet<SyscallFamily> = new Set<SyscallFamily>(['core', 'device', 'shm', 'dma']);

const BUS_BY_NAME = new Map(BUS_IMPORTS.map((b) => [b.name, b]));

const BY_NAME = new Map<string, SyscallInfo>(SYSCALLS.map((s) => [s.name, s]));

function signatureOf(imp: WasmImport): string {
  const t = imp.type;
  if (t === undefined) return '?';
  return `(${t.params.join(', ')}) -> (${t.results.join(', ')})`;
}

function capNames(mask: number): string {
  return CAPABILITIES.filter((c) => (mask >>> c.bit) & 1).map((c) => c.name).join(' or ');
}

export interface ImportPolicyOptions {
  /** Where the capabilities are configured, for the fix hint (e.g. `apps/ping/task.conf`). */
  readonly configFile?: string;
  /** Allow the instrumentation's `rampart.preempt` import (true for instrumented modules). */
  readonly allowPreempt: boolean;
}

/**
 * Check a module's imports against a task's capability mask.
 * Returns one message per violation; an empty list means the module is acceptable.
 */
export function checkTaskImports(taskName: string, info: WasmInterface, capabilities: number, options: ImportPolicyOptions): string[] {
  const errors: string[] = [];
  const where = options.configFile ?? 'its task.conf';
  for (const imp of info.imports) {
    const full = `${imp.module}.${imp.name}`;
    if (imp.kind !== 'function') {
      errors.push(`task '${taskName}': imports ${imp.kind} '${full}'; a task may import only syscalls (its memory must be its own)`);
      continue;
    }
    if (imp.module === WASI_IMPORT_MODULE) {
      const wasi = WASI_FUNCTIONS.get(imp.name);
      const t = imp.type;
      if (wasi === undefined) {
        errors.push(`task '${taskName}': imports WASI function '${full}', which Rampart does not provide (a task has a console, virtual clocks and entropy, no files or sockets; served: ${[...WASI_FUNCTIONS.keys()].join(', ')})`);
      } else if (t === undefined || t.params.join() !== wasi.params.join() || t.results.join() !== wasi.results.join()) {
        errors.push(`task '${taskName}': '${full}' has signature ${signatureOf(imp)}, expected (${wasi.params.join(', ')}) -> (${wasi.results.join(', ')})`);
      } else if (wasi.capability !== 0 && (capabilities & wasi.capability) === 0) {
        const needed = capNames(wasi.capability);
        errors.push(`task '${taskName}': imports WASI function '${full}' (${wasi.usedBy}) without capability ${needed}; add CONFIG_${needed.split(' or ')[0]}=y to ${where}`);
      }
      continue;
    }
    if (imp.module !== SYSCALL_IMPORT_MODULE) {
      errors.push(`task '${taskName}': imports '${full}', which is not a Rampart syscall (only modules '${SYSCALL_IMPORT_MODULE}' and, for hosted C, '${WASI_IMPORT_MODULE}' are provided)`);
      continue;
    }
    if (imp.name === PREEMPT_IMPORT) {
      const ok = imp.type !== undefined && imp.type.params.length === 0 && imp.type.results.length === 0;
      if (!options.allowPreempt) errors.push(`task '${taskName}': imports '${full}', which only the integrator's instrumentation may add`);
      else if (!ok) errors.push(`task '${taskName}': '${full}' has signature ${signatureOf(imp)}, expected () -> ()`);
      continue;
    }
    const bus = BUS_BY_NAME.get(imp.name);
    if (bus !== undefined) {
      const t = imp.type;
      const arity = bus.write ? 2 : 1;
      if (t === undefined || t.params.length !== arity || !t.params.every((p) => p === 'i32') || t.results.length !== 1 || t.results[0] !== 'i32') {
        errors.push(`task '${taskName}': '${full}' has signature ${signatureOf(imp)}, expected (${new Array(arity).fill('i32').join(', ')}) -> (i32)`);
      } else if ((capabilities & bus.importGate) === 0) {
        errors.push(`task '${taskName}': imports bus access '${imp.name}' without any device capability; add the CONFIG_CAP_DEV_* of its device to ${where}`);
      }
      continue;
    }
    const sys = BY_NAME.get(imp.name);
    if (sys === undefined) {
      errors.push(`task '${taskName}': imports '${full}', which is not a syscall of this UAPI`);
      continue;
    }
    if (!IMPLEMENTED_FAMILIES.has(sys.family)) {
      errors.push(`task '${taskName}': imports syscall '${sys.name}' (${sys.cFunction}), which this kernel does not implement yet (${sys.family} syscalls are absent)`);
      continue;
    }
    const t = imp.type;
    const sigOk = t !== undefined && t.params.length === sys.args.length && t.params.every((p) => p === 'i32') && t.results.length === 1 && t.results[0] === 'i32';
    if (!sigOk) {
      errors.push(`task '${taskName}': '${full}' has signature ${signatureOf(imp)}, expected (${sys.args.map(() => 'i32').join(', ')}) -> (i32)`);
      continue;
    }
    if (sys.importGate !== 0 && (capabilities & sys.importGate) === 0) {
      const needed = capNames(sys.importGate);
      errors.push(`task '${taskName}': imports syscall '${sys.name}' (${sys.cFunction}) without capability ${needed}; add CONFIG_${needed.split(' or ')[0]}=y to ${where}`);
    }
  }
  return errors;
}
