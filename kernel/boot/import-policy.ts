/**
 * "Imports are capabilities": the rule deciding which imports a task module may have.
 *
 * Used twice, on purpose: by the integrator before it packs a module, and by the kernel
 * at boot before it instantiates one (an image may have been built by something else).
 * A module may import only functions from module `rampart`, each a syscall this kernel
 * implements, with exactly the ABI signature `(i32 × nargs) -> i32`, and gated syscalls
 * only when the task holds one of the gating capabilities. An instrumented module (at boot)
 * may instead have the signature the instrumentation gives syscall and bus imports,
 * `(i32 × nargs, i32) -> i32` (trailing budget), but one name never in both forms. Hosted C tasks may also import
 * any `wasi_snapshot_preview1` function (kernel/syscalls/gate-wasi.ts: what Rampart does not
 * provide answers an error), each with its exact WASI signature, `random_get` only with
 * CAP_CRY_KRNG; a name that is not a WASI preview-1 function is refused by name. Every
 * violation is reported, not just the first, each naming the task, the import and the fix.
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

/**
 * The two shapes a `rampart` syscall or bus import may have. `plain` is the ABI signature
 * `(i32 × arity) -> i32` that app modules declare; `budget` is what the integrator's
 * instrumentation turns it into, `(i32 × arity, i32) -> i32`, the trailing i32 being the
 * caller's live cycle budget (docs/task-abi.md, "What the instrumentation adds").
 */
const enum AbiForm {
  Plain = 0,
  Budget = 1,
}

/**
 * The form of `imp` for an ABI arity, or undefined when it matches neither allowed form. The
 * budget form is allowed only in instrumented modules (`instrumented`): before
 * instrumentation an extra parameter is simply a wrong signature.
 */
function abiForm(imp: WasmImport, arity: number, instrumented: boolean): AbiForm | undefined {
  const t = imp.type;
  if (t === undefined || !t.params.every((p) => p === 'i32') || t.results.length !== 1 || t.results[0] !== 'i32') return undefined;
  if (t.params.length === arity) return AbiForm.Plain;
  if (instrumented && t.params.length === arity + 1) return AbiForm.Budget;
  return undefined;
}

function expectedSignature(arity: number, instrumented: boolean): string {
  const plain = `(${new Array<string>(arity).fill('i32').join(', ')}) -> (i32)`;
  if (!instrumented) return plain;
  return `${plain}, or (${new Array<string>(arity + 1).fill('i32').join(', ')}) -> (i32) with the instrumentation's trailing budget argument`;
}

/**
 * The kernel serves one function per import name, built for one form: a module importing the
 * same name in both forms would call it with a missing (undefined) budget argument through
 * one of them. Returns false when `name` was already accepted in the other form.
 */
function sameFormAsBefore(forms: Map<string, AbiForm>, name: string, form: AbiForm): boolean {
  const before = forms.get(name);
  if (before === undefined) forms.set(name, form);
  return before === undefined || before === form;
}

function mixedForms(taskName: string, full: string): string {
  return `task '${taskName}': imports '${full}' both with and without the instrumentation's budget argument; an import name has one signature`;
}

/**
 * True when `imp`, already accepted by {@link checkTaskImports}, is a `rampart` syscall or bus
 * import in the instrumented form: the kernel's import for it takes the trailing budget.
 */
export function takesBudgetArgument(imp: WasmImport): boolean {
  if (imp.kind !== 'function' || imp.module !== SYSCALL_IMPORT_MODULE || imp.type === undefined) return false;
  const bus = BUS_BY_NAME.get(imp.name);
  const arity = bus !== undefined ? (bus.write ? 2 : 1) : BY_NAME.get(imp.name)?.args.length;
  return arity !== undefined && abiForm(imp, arity, true) === AbiForm.Budget;
}

function capNames(mask: number): string {
  return CAPABILITIES.filter((c) => (mask >>> c.bit) & 1).map((c) => c.name).join(' or ');
}

export interface ImportPolicyOptions {
  /** Where the capabilities are configured, for the fix hint (e.g. `apps/ping/task.conf`). */
  readonly configFile?: string;
  /**
   * The module is instrumented (true at boot): allow the instrumentation's `rampart.preempt`
   * import and the trailing budget argument of syscall and bus imports. False for the
   * integrator's check of an app module, which must have the plain ABI signatures.
   */
  readonly allowPreempt: boolean;
}

/**
 * Check a module's imports against a task's capability mask.
 * Returns one message per violation; an empty list means the module is acceptable.
 */
export function checkTaskImports(taskName: string, info: WasmInterface, capabilities: number, options: ImportPolicyOptions): string[] {
  const errors: string[] = [];
  const where = options.configFile ?? 'its task.conf';
  /** Form of each accepted `rampart` syscall/bus import so far, by name (see {@link sameFormAsBefore}). */
  const forms = new Map<string, AbiForm>();
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
        errors.push(`task '${taskName}': imports WASI function '${full}', which Rampart does not provide (not a ${WASI_IMPORT_MODULE} function; every one of those is served, files and sockets as not supported)`);
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
      const arity = bus.write ? 2 : 1;
      const form = abiForm(imp, arity, options.allowPreempt);
      if (form === undefined) {
        errors.push(`task '${taskName}': '${full}' has signature ${signatureOf(imp)}, expected ${expectedSignature(arity, options.allowPreempt)}`);
      } else if (!sameFormAsBefore(forms, imp.name, form)) {
        errors.push(mixedForms(taskName, full));
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
    const form = abiForm(imp, sys.args.length, options.allowPreempt);
    if (form === undefined) {
      errors.push(`task '${taskName}': '${full}' has signature ${signatureOf(imp)}, expected ${expectedSignature(sys.args.length, options.allowPreempt)}`);
      continue;
    }
    if (!sameFormAsBefore(forms, imp.name, form)) {
      errors.push(mixedForms(taskName, full));
      continue;
    }
    if (sys.importGate !== 0 && (capabilities & sys.importGate) === 0) {
      const needed = capNames(sys.importGate);
      errors.push(`task '${taskName}': imports syscall '${sys.name}' (${sys.cFunction}) without capability ${needed}; add CONFIG_${needed.split(' or ')[0]}=y to ${where}`);
    }
  }
  return errors;
}
