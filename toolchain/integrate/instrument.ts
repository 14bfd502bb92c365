/**
 * Task instrumentation: cycle metering plus Asyncify, so the kernel can preempt and switch tasks.
 *
 * Owns the "What the instrumentation adds" half of `docs/task-abi.md`. Given an app module it
 * returns a module that additionally
 *  - imports `rampart.preempt: () -> ()` and exports the mutable i32 `__rampart_budget`;
 *    every function entry and every loop header subtracts the static cost of the code that
 *    follows and calls `preempt` once the budget is negative (leaf functions only subtract:
 *    their caller's next metering point acts on it, see {@link Meter});
 *  - passes that budget to the kernel with every call: each other `rampart` import (syscalls,
 *    bus accesses) gets a trailing i32 parameter, and its old internal name becomes an
 *    unmetered wrapper adding `global.get $__rampart_budget` (see {@link passBudgetToImports});
 *  - is transformed by Binaryen's Asyncify, restricted to `preempt` plus the blocking syscalls,
 *    and exports the five `asyncify_*` control functions;
 *  - has its memory grown by the save-area pages and made fixed (maximum = initial, whatever
 *    the module declared: a task never grows its memory), the save area's address
 *    exported as the immutable i32 `__rampart_asyncify_data`;
 *  - exports the end of the task's own memory (stack, data, heap) as the immutable i32
 *    `__rampart_own_memory_end`, what the board's RAM budget charges the task besides its
 *    save area (kernel/image/ram-budget.ts);
 *  - answers `memory.size` with that own memory's size in pages (a constant): the memory
 *    above it (the SHM range, the save area) belongs to the kernel, and an allocator that
 *    sized its heap from `memory.size` (AssemblyScript's TLSF, wasi-libc's `sbrk(0)`) would
 *    otherwise hand it out (see {@link pinMemorySize}).
 *
 * Invariants:
 *  - Every loop is charged and checked at its header and every non-leaf function at its entry,
 *    so no code path (iteration or recursion) runs unboundedly without passing a check. The metering walker therefore knows the children of every expression kind it
 *    accepts and refuses anything else instead of skipping it (a skipped subtree could hide an
 *    unmetered loop).
 *  - The input is validated by the engine before Binaryen sees it, so Binaryen's parser never
 *    meets malformed bytes; every refusal is an `InstrumentError` with a readable message.
 *  - Output is a pure function of the input bytes and options (byte-identical on re-runs).
 *  - Binaryen's process-global settings (optimize/shrink level, pass arguments) are restored
 *    afterwards, so callers sharing the library are not affected.
 */

import binaryen from 'binaryen';
import { encodeLeb128 as encodeU32, readLeb128 } from './leb128.js';

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /**
   * Imports that may block; Asyncify is restricted to these plus 'preempt'. A plain name is a
   * syscall of module 'rampart'; `module.name` names an import of another module (hosted C's
   * `wasi_snapshot_preview1.proc_exit`).
   */
  blockingImports: readonly string[];
  /** pages (64 KiB) added to the memory for the Asyncify save area; default 1 */
  asyncifyPages?: number;
  /**
   * End in bytes of the task's own memory (stack, data, heap), a multiple of 64 KiB, at most the
   * module's memory size. Default: the whole memory. The integrator passes the size the module
   * had before it extended the memory over the board's shared-memory range.
   */
  ownMemoryBytes?: number;
}

/** Output of {@link instrument}. */
export interface InstrumentResult {
  /** The instrumented module (a fresh buffer, so it is accepted wherever a `BufferSource` is). */
  wasm: Uint8Array<ArrayBuffer>;
  /** Byte address of the Asyncify save area (= the original initial memory size in bytes). */
  asyncifyDataAddress: number;
  /** Size in bytes of the save area, header included (`asyncifyPages * 65536`). */
  asyncifyDataSize: number;
}

/** The module cannot be instrumented: it is malformed, breaks the task contract, or uses unsupported features. */
export class InstrumentError extends Error {
  override name = 'InstrumentError';
}

/** Import module of every kernel entry point (mirrors `SYSCALL_IMPORT_MODULE`). */
const IMPORT_MODULE = 'rampart';
/** Import base of the preemption hook (mirrors `PREEMPT_IMPORT`). */
const PREEMPT_BASE = 'preempt';

/** Export / internal names added by the instrumentation. */
const BUDGET_GLOBAL = '__rampart_budget';
const ASYNCIFY_DATA_GLOBAL = '__rampart_asyncify_data';
/** Mirrors `OWN_MEMORY_END_EXPORT` (kernel/image/ram-budget.ts). */
const OWN_MEMORY_END_GLOBAL = '__rampart_own_memory_end';
/** Internal function name of the preempt import; never exported, only needs to be collision-free. */
const PREEMPT_FUNC = '__rampart_preempt';

/** Exports the instrumentation creates; an input already exporting one of them is refused. */
const RESERVED_EXPORTS: readonly string[] = [
  BUDGET_GLOBAL,
  ASYNCIFY_DATA_GLOBAL,
  OWN_MEMORY_END_GLOBAL,
  'asyncify_start_unwind',
  'asyncify_stop_unwind',
  'asyncify_start_rewind',
  'asyncify_stop_rewind',
  'asyncify_get_state',
];

const PAGE_SIZE = 65536;
/** Page limit of a 32-bit memory. */
const MAX_PAGES = 65536;

/**
 * Wasm features accepted in task modules: what clang emits for wasm32 by default plus SIMD,
 * all of them executed by Node 20. Deliberately absent: threads/atomics (a task is one thread),
 * exceptions and tail calls (Asyncify cannot unwind through them), GC, memory64, multi-memory.
 * This set also bounds what the post-instrumentation optimizer may emit.
 */
const SUPPORTED_FEATURES: binaryen.Features =
  binaryen.Features.MutableGlobals |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.SIMD128 |
  binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt |
  binaryen.Features.SignExt |
  binaryen.Features.ReferenceTypes |
  binaryen.Features.Multivalue |
  binaryen.Features.CallIndirectOverlong;

/** Binaryen optimize level used after Asyncify (the Asyncify docs recommend optimizing after it). */
const OPTIMIZE_LEVEL = 2;

/**
 * Binaryen's optimizer settings are process-global. Pinning all that change the output makes
 * it independent of whatever else runs in the process (determinism), and keeps the semantics
 * strict whatever another user set: e.g. `trapsNeverHappen` or `fastMath` would let the
 * optimizer delete or alter a task's traps and floating-point behaviour. Restored afterwards.
 */
interface PinnedSetting {
  get(): number | boolean;
  set(value: never): unknown;
  value: number | boolean;
}
const PINNED_SETTINGS: readonly PinnedSetting[] = [
  { get: binaryen.getOptimizeLevel, set: binaryen.setOptimizeLevel, value: OPTIMIZE_LEVEL },
  { get: binaryen.getShrinkLevel, set: binaryen.setShrinkLevel, value: 0 },
  { get: binaryen.getDebugInfo, set: binaryen.setDebugInfo, value: false },
  { get: binaryen.getTrapsNeverHappen, set: binaryen.setTrapsNeverHappen, value: false },
  { get: binaryen.getClosedWorld, set: binaryen.setClosedWorld, value: false },
  { get: binaryen.getLowMemoryUnused, set: binaryen.setLowMemoryUnused, value: false },
  { get: binaryen.getZeroFilledMemory, set: binaryen.setZeroFilledMemory, value: false },
  { get: binaryen.getFastMath, set: binaryen.setFastMath, value: false },
  { get: binaryen.getGenerateStackIR, set: binaryen.setGenerateStackIR, value: false },
  { get: binaryen.getOptimizeStackIR, set: binaryen.setOptimizeStackIR, value: false },
  { get: binaryen.getAlwaysInlineMaxSize, set: binaryen.setAlwaysInlineMaxSize, value: 2 },
  { get: binaryen.getFlexibleInlineMaxSize, set: binaryen.setFlexibleInlineMaxSize, value: 20 },
  { get: binaryen.getOneCallerInlineMaxSize, set: binaryen.setOneCallerInlineMaxSize, value: -1 },
  { get: binaryen.getAllowInliningFunctionsWithLoops, set: binaryen.setAllowInliningFunctionsWithLoops, value: false },
];

/**
 * Asyncify's pass arguments. All but `asyncify-imports` are cleared while we run: e.g. a
 * leftover `asyncify-ignore-indirect` or `asyncify-removelist` would make unwinding through
 * some frames silently corrupt the task's stack.
 */
const ASYNCIFY_PASS_ARGUMENTS: readonly string[] = [
  'asyncify-imports',
  'asyncify-ignore-imports',
  'asyncify-ignore-indirect',
  'asyncify-removelist',
  'asyncify-addlist',
  'asyncify-propagate-addlist',
  'asyncify-onlylist',
  'asyncify-asserts',
  'asyncify-verbose',
  'asyncify-relocatable',
  'asyncify-secondary-memory-size',
  'asyncify-in-secondary-memory',
  'asyncify-memory',
  'asyncify-side-module',
  'asyncify-export-globals',
];

/** Runs `fn` with the pinned Binaryen settings and pass arguments, restoring the caller's after. */
function withBinaryenSettings<T>(passArguments: Readonly<Record<string, string>>, fn: () => T): T {
  const savedSettings = PINNED_SETTINGS.map((s) => s.get());
  const savedArguments = ASYNCIFY_PASS_ARGUMENTS.map((key) => binaryen.getPassArgument(key));
  try {
    for (const s of PINNED_SETTINGS) s.set(s.value as never);
    for (const key of ASYNCIFY_PASS_ARGUMENTS) binaryen.setPassArgument(key, passArguments[key] ?? null);
    return fn();
  } finally {
    PINNED_SETTINGS.forEach((s, i) => s.set(savedSettings[i] as never));
    ASYNCIFY_PASS_ARGUMENTS.forEach((key, i) => binaryen.setPassArgument(key, savedArguments[i] ?? null));
  }
}

/**
 * Pieces of binaryen.js the shipped typings do not declare (or declare on the wrong object):
 * the Function and Loop wrappers' accessors and the C API's `FunctionAddVar`. Checked at load
 * time so a library upgrade that drops them fails loudly rather than producing unmetered loops.
 */
interface LoopApi {
  getName(loop: binaryen.ExpressionRef): string | null;
  setName(loop: binaryen.ExpressionRef, name: string): void;
  getBody(loop: binaryen.ExpressionRef): binaryen.ExpressionRef;
  setBody(loop: binaryen.ExpressionRef, body: binaryen.ExpressionRef): void;
}
interface FunctionApi {
  getName(func: binaryen.FunctionRef): string;
  getBody(func: binaryen.FunctionRef): binaryen.ExpressionRef;
  setBody(func: binaryen.FunctionRef, body: binaryen.ExpressionRef): void;
}
interface UntypedApi {
  Loop?: Partial<LoopApi>;
  Function?: Partial<FunctionApi>;
  _BinaryenFunctionAddVar?: (func: binaryen.FunctionRef, type: binaryen.Type) => number;
}
const untyped = binaryen as unknown as UntypedApi;
const LoopWrapper = untyped.Loop;
const FunctionWrapper = untyped.Function;
const addVar = untyped._BinaryenFunctionAddVar;
if (
  typeof FunctionWrapper?.getName !== 'function' ||
  typeof FunctionWrapper.getBody !== 'function' ||
  typeof FunctionWrapper.setBody !== 'function' ||
  typeof LoopWrapper?.getName !== 'function' ||
  typeof LoopWrapper.setName !== 'function' ||
  typeof LoopWrapper.getBody !== 'function' ||
  typeof LoopWrapper.setBody !== 'function' ||
  typeof addVar !== 'function'
) {
  throw new Error('binaryen.js lacks Function/Loop accessors or FunctionAddVar; instrumentation cannot run');
}
const Func = FunctionWrapper as FunctionApi;
const Loop = LoopWrapper as LoopApi;
const functionAddVar = addVar;

/**
 * Instruments a task module (see the file header and `docs/task-abi.md`).
 *
 * @throws {InstrumentError} if the bytes are not a valid module, the memory is missing,
 *   imported, shared or 64-bit, a reserved name is already used, or the module uses an
 *   instruction or feature the instrumentation does not support.
 */
export function instrument(wasm: Uint8Array, options: InstrumentOptions): InstrumentResult {
  const asyncifyPages = options.asyncifyPages ?? 1;
  if (!Number.isInteger(asyncifyPages) || asyncifyPages < 1) {
    throw new InstrumentError(`asyncifyPages must be a positive integer, got ${String(options.asyncifyPages)}`);
  }
  const asyncifyImports = asyncifyImportList(options.blockingImports);

  if (!(wasm instanceof Uint8Array)) throw new InstrumentError('input is not a Uint8Array');
  // A private copy: the caller's buffer (possibly shared with another thread) cannot change
  // between validation and reading.
  const bytes = new Uint8Array(wasm);
  checkWithEngine(bytes);
  const { patched, oldInitialPages } = growMemorySection(bytes, asyncifyPages);
  const asyncifyDataAddress = oldInitialPages * PAGE_SIZE;
  const asyncifyDataSize = asyncifyPages * PAGE_SIZE;
  const ownMemoryEnd = options.ownMemoryBytes ?? asyncifyDataAddress;
  if (!Number.isInteger(ownMemoryEnd) || ownMemoryEnd < 0 || ownMemoryEnd % PAGE_SIZE !== 0 || ownMemoryEnd > asyncifyDataAddress) {
    throw new InstrumentError(`ownMemoryBytes must be a multiple of ${PAGE_SIZE} no larger than the memory (${asyncifyDataAddress} bytes), got ${String(options.ownMemoryBytes)}`);
  }

  return withBinaryenSettings({ 'asyncify-imports': asyncifyImports }, () => {
    const module = readModule(patched);
    let metered: Uint8Array;
    try {
      metered = meterAndPassBudget(module, asyncifyDataAddress, ownMemoryEnd);
    } finally {
      module.dispose();
    }
    // A round trip through the binary between the two stages: Binaryen types each `ref.func`
    // when it creates it (a reference to an import is inexact, one to a defined function
    // exact) and nothing retypes the references to an import that became a defined wrapper.
    // The binary carries no such types, so the re-read IR is consistent again.
    const again = readModule(metered);
    try {
      return finish(again, asyncifyDataAddress, asyncifyDataSize);
    } finally {
      again.dispose();
    }
  });
}

function readModule(bytes: Uint8Array): binaryen.Module {
  try {
    return binaryen.readBinary(bytes);
  } catch (e) {
    throw new InstrumentError(`Binaryen could not read the module: ${errorMessage(e)}`);
  }
}

/** First stage: metering and the budget argument; `module` already has its grown memory. Returns the binary. */
function meterAndPassBudget(module: binaryen.Module, asyncifyDataAddress: number, ownMemoryEnd: number): Uint8Array {
  module.setFeatures(SUPPORTED_FEATURES);
  checkReservedNames(module);

  // Collect the bodies to meter before adding anything, so nothing we add gets metered.
  const defined: binaryen.FunctionRef[] = [];
  for (let i = 0, n = module.getNumFunctions(); i < n; i++) {
    const func = module.getFunctionByIndex(i);
    if (Func.getBody(func) !== 0) defined.push(func);
  }

  module.addFunctionImport(PREEMPT_FUNC, IMPORT_MODULE, PREEMPT_BASE, binaryen.none, binaryen.none);
  module.addGlobal(BUDGET_GLOBAL, binaryen.i32, true, module.i32.const(0));
  module.addGlobalExport(BUDGET_GLOBAL, BUDGET_GLOBAL);
  module.addGlobal(ASYNCIFY_DATA_GLOBAL, binaryen.i32, false, module.i32.const(asyncifyDataAddress));
  module.addGlobalExport(ASYNCIFY_DATA_GLOBAL, ASYNCIFY_DATA_GLOBAL);
  module.addGlobal(OWN_MEMORY_END_GLOBAL, binaryen.i32, false, module.i32.const(ownMemoryEnd));
  module.addGlobalExport(OWN_MEMORY_END_GLOBAL, OWN_MEMORY_END_GLOBAL);

  pinMemorySize(module, defined, ownMemoryEnd / PAGE_SIZE);

  // The walker refuses, with a precise message, every instruction outside the supported set
  // (atomics, tail calls, exceptions, GC, ...). Validation then only catches what is not an
  // instruction (e.g. a GC type in a signature); Binaryen prints its findings itself then,
  // it offers no way to capture them.
  const meter = new Meter(module);
  for (const func of defined) meter.meterFunction(func);
  if (!module.validate()) {
    throw new InstrumentError(
      'module uses WebAssembly features outside the supported set (mutable-globals, sign-ext, ' +
        'nontrapping-fptoint, bulk-memory, multivalue, reference-types, simd128); see the validator output',
    );
  }

  // After metering (the wrappers are not in `defined`, so they are never charged) and before
  // Asyncify (which must see the new imports: its list names module.base, unchanged).
  passBudgetToImports(module);
  return module.emitBinary();
}

/** Second stage: Asyncify, optimization, final checks. */
function finish(module: binaryen.Module, asyncifyDataAddress: number, asyncifyDataSize: number): InstrumentResult {
  module.setFeatures(SUPPORTED_FEATURES);
  // Indirect calls stay instrumented (no asyncify-ignore-indirect): any table entry may reach
  // a loop, hence a preempt, so skipping them would corrupt the stack on an unwind.
  module.runPasses(['asyncify']);
  module.optimize();

  if (!module.validate()) {
    throw new InstrumentError('internal error: the instrumented module does not validate');
  }
  // binaryen.js copies the binary out into a fresh `new Uint8Array(size)`.
  const wasm = module.emitBinary() as Uint8Array<ArrayBuffer>;
  if (!WebAssembly.validate(wasm)) {
    throw new InstrumentError('internal error: the engine rejects the instrumented module');
  }
  return { wasm, asyncifyDataAddress, asyncifyDataSize };
}

/**
 * Hands the live budget to the kernel with every kernel call: each function import of module
 * `rampart` other than `preempt` (syscalls and bus accesses), of type `(P) -> R`, is replaced
 * by an import of the same module/base of type `(P, i32) -> R`, and the old internal name
 * becomes a defined wrapper `call $new(local.get 0 .. n-1, global.get $__rampart_budget)`.
 *
 * Why: the kernel reads the budget on every syscall (virtual time, accounting), and reading a
 * `WebAssembly.Global` from JS costs several times a whole import call; an argument costs
 * nothing. Every call site, table entry, export or `ref.func` names the function by its
 * internal name, so all of them now reach the wrapper and stay valid. Optimize inlines a
 * wrapper called from one place; elsewhere it costs one direct Wasm call, about a nanosecond.
 * The budget passed is exact: the wrapper runs no metering, so the value is the global at
 * the moment of the call. The kernel trusts the argument no more than the global itself (a
 * hand-made module controls both; see `Kernel.account`).
 *
 * Deterministic: imports are visited in function index order, and the new internal names
 * are derived from that order, skipping any name the module already uses.
 */
function passBudgetToImports(module: binaryen.Module): void {
  const targets: binaryen.FunctionInfo[] = [];
  for (let i = 0, n = module.getNumFunctions(); i < n; i++) {
    const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module === IMPORT_MODULE && info.base !== PREEMPT_BASE) targets.push(info);
  }
  let serial = 0;
  for (const info of targets) {
    let newName: string;
    do newName = `__rampart_import${serial++}`;
    while (module.getFunction(newName) !== 0);
    const params = binaryen.expandType(info.params);
    module.removeFunction(info.name);
    module.addFunctionImport(newName, IMPORT_MODULE, info.base ?? '', binaryen.createType([...params, binaryen.i32]), info.results);
    const operands = params.map((type, index) => module.local.get(index, type));
    operands.push(module.global.get(BUDGET_GLOBAL, binaryen.i32));
    module.addFunction(info.name, info.params, info.results, [], module.call(newName, operands, info.results));
  }
}

/** Builds the `asyncify-imports` pass argument: preempt plus each blocking import, sorted for determinism. */
function asyncifyImportList(blockingImports: readonly string[]): string {
  const names = new Set<string>([PREEMPT_BASE]);
  for (const name of blockingImports) {
    // The pass argument is a comma-separated list of "module.base"; anything else would be
    // misparsed into a different (and silently wrong) import list.
    if (!/^([A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new InstrumentError(`invalid blocking import name ${JSON.stringify(name)}`);
    }
    names.add(name);
  }
  return [...names].map((n) => (n.includes('.') ? n : `${IMPORT_MODULE}.${n}`)).sort().join(',');
}

/** Engine-side validation (clear messages, and Binaryen's parser only ever sees valid bytes). */
function checkWithEngine(wasm: Uint8Array<ArrayBuffer>): void {
  let compiled: WebAssembly.Module;
  try {
    compiled = new WebAssembly.Module(wasm);
  } catch (e) {
    throw new InstrumentError(`not a valid WebAssembly module: ${errorMessage(e)}`);
  }
  for (const imp of WebAssembly.Module.imports(compiled)) {
    if (imp.kind === 'memory') {
      throw new InstrumentError(
        `memory is imported (${imp.module}.${imp.name}); a task must define its own memory`,
      );
    }
    if (imp.module === IMPORT_MODULE && imp.name === PREEMPT_BASE) {
      throw new InstrumentError(`${IMPORT_MODULE}.${PREEMPT_BASE} is reserved for the instrumentation and may not be imported`);
    }
  }
  for (const exp of WebAssembly.Module.exports(compiled)) {
    if (RESERVED_EXPORTS.includes(exp.name)) {
      throw new InstrumentError(`export name ${exp.name} is reserved for the instrumentation`);
    }
  }
}

/** Internal names we add must not shadow the module's own functions or globals. */
function checkReservedNames(module: binaryen.Module): void {
  if (module.getFunction(PREEMPT_FUNC) !== 0) {
    throw new InstrumentError(`function name ${PREEMPT_FUNC} is reserved for the instrumentation`);
  }
  for (const g of [BUDGET_GLOBAL, ASYNCIFY_DATA_GLOBAL, OWN_MEMORY_END_GLOBAL]) {
    if (module.getGlobal(g) !== 0) throw new InstrumentError(`global name ${g} is reserved for the instrumentation`);
  }
}

/**
 * Returns a copy of the (engine-validated) module whose single defined memory has initial and
 * maximum grown by `pages`. Done on the bytes because Binaryen's C API can only replace the
 * memory wholesale (dropping its data segments), not resize it.
 */
function growMemorySection(wasm: Uint8Array, pages: number): { patched: Uint8Array; oldInitialPages: number } {
  let pos = 8; // magic + version, checked by the engine
  while (pos < wasm.length) {
    const id = wasm[pos] as number;
    const size = readU32(wasm, pos + 1);
    const payloadStart = size.next;
    const payloadEnd = payloadStart + size.value;
    if (id !== 5) {
      pos = payloadEnd;
      continue;
    }
    const count = readU32(wasm, payloadStart);
    if (count.value === 0) break;
    if (count.value !== 1) throw new InstrumentError(`module defines ${count.value} memories; a task has exactly one`);
    const flags = wasm[count.next] as number;
    if (flags & ~1) {
      throw new InstrumentError(`memory limits flags 0x${flags.toString(16)}: shared, 64-bit or custom-page memories are not supported`);
    }
    const initial = readU32(wasm, count.next + 1);
    const max = flags & 1 ? readU32(wasm, initial.next) : undefined;
    const limitsEnd = max ? max.next : initial.next;
    if (limitsEnd !== payloadEnd) throw new InstrumentError('malformed memory section');

    const newInitial = initial.value + pages;
    // The maximum is pinned to the initial size whatever the module declared: a task's memory
    // is statically allocated (the board's RAM budget charges it), so it never grows.
    const newMax = newInitial;
    if (newMax > MAX_PAGES) {
      throw new InstrumentError(`memory of ${newMax} pages after adding the save area exceeds ${MAX_PAGES} pages`);
    }
    const payload = [1, 1, ...encodeU32(newInitial), ...encodeU32(newMax)];
    const section = [5, ...encodeU32(payload.length), ...payload];
    const patched = new Uint8Array(pos + section.length + (wasm.length - payloadEnd));
    patched.set(wasm.subarray(0, pos), 0);
    patched.set(section, pos);
    patched.set(wasm.subarray(payloadEnd), pos + section.length);
    return { patched, oldInitialPages: initial.value };
  }
  throw new InstrumentError('module defines no memory; a task must define and export one');
}

function readU32(bytes: Uint8Array, at: number): { value: number; next: number } {
  const decoded = readLeb128(bytes, at);
  if (decoded === undefined) throw new InstrumentError('malformed LEB128 in the module header sections');
  return decoded;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Reads an expression-valued field of an expression info object (0 = absent optional child). */
type Info = binaryen.ExpressionInfo & Record<string, unknown>;

/**
 * Inserts the charge points. A "region" is a function body or a loop body minus the bodies of
 * the loops nested in it; its cost is its expression count (each node is one virtual cycle,
 * both arms of an `if` included, so the charge is an upper bound of the straight-line work).
 *
 * A function entry becomes `budget -= cost; if (budget < 0) preempt(); body`, except in a leaf
 * (no loop, no call of any kind), where it is `budget -= cost; body`. A leaf runs at most
 * `cost` cycles and returns into its caller; a negative budget is acted upon at the next check
 * (a loop header or a non-leaf entry), and every unbounded execution, iteration or recursion,
 * passes checks. The budget values stay the same and deterministic; only the preemption may
 * come a few straight-line instructions later. The gain is large: a leaf then never calls an
 * import that may unwind, so Asyncify leaves it and direct calls to it untouched (no
 * save/restore code, inlinable again) instead of guarding its body and every call site.
 *
 * A loop `loop $l B` becomes (same Loop node, renamed, so its parent needs no rewiring):
 *
 *     loop $outer                                ;; entered once, and once per preemption
 *       block $done
 *         block $pre
 *           br $done (loop $l                    ;; the original label: B's branches land here
 *             budget -= cost; br_if $pre (budget < 0)
 *             B)
 *         end
 *         preempt()
 *         budget += cost                         ;; refund: the header charges it again
 *         br $outer
 *       end
 *
 * The budget sequence is exactly the one of `budget -= cost; if (budget < 0) preempt(); B`:
 * after a preemption the header runs again and charges the iteration a second time, which
 * the refund cancels, so the resumed iteration is paid once and its check sees the budget
 * the kernel just gave (at least 1: the body runs, whatever the size of the slice against
 * the loop's cost, so a task always makes progress). The preempt call sits outside the
 * iterating loop, which matters for speed: Asyncify guards every piece of code around a
 * call that may unwind with a check of its state, per execution; with the call hoisted, a
 * call-free loop body runs unguarded, and the per-iteration overhead is the charge alone
 * (no flag to test: an earlier version skipped the resumed charge with a per-function flag,
 * tested on every iteration; the refund is paid once per preemption instead).
 *
 * Tight loops (innermost, no call in the body) charge a local copy of the budget instead:
 * `budget = (cache -= cost); br_if $pre (cache < 0)`, the cache being loaded from the global
 * at the top of `$outer`, i.e. on every entry and after every preemption. The global is still
 * written on every iteration (a trap or the kernel sees exact values) but never read back in
 * the loop: read back, the store-to-load round trip through memory becomes the loop-carried
 * dependency and can double the time of a small loop body. The copy is exact because, inside
 * such a loop, only its own charge writes the budget (no call, no nested loop; task code cannot
 * name the global). One cache local per function suffices: tight loops never nest.
 */
class Meter {
  private labels = 0;
  /** Set by {@link regionCost}: the region just scanned contains a call (direct or indirect). */
  private regionHasCall = false;

  constructor(private readonly module: binaryen.Module) {}

  meterFunction(func: binaryen.FunctionRef): void {
    try {
      this.meterBody(func);
    } catch (e) {
      if (!(e instanceof InstrumentError)) throw e;
      throw new InstrumentError(`in function '${Func.getName(func)}': ${e.message}`);
    }
  }

  private meterBody(func: binaryen.FunctionRef): void {
    const loops: binaryen.ExpressionRef[] = [];
    const body = Func.getBody(func);
    const cost = this.regionCost(body, loops);
    const leaf = loops.length === 0 && !this.regionHasCall;
    Func.setBody(func, this.chargedEntry(cost, body, !leaf));
    if (loops.length === 0) return;
    let cache: number | undefined;
    // Each nested loop is charged at its own header; newly found inner loops join the worklist.
    for (let loop = loops.pop(); loop !== undefined; loop = loops.pop()) {
      const queued = loops.length;
      const loopCost = this.regionCost(Loop.getBody(loop), loops);
      // Innermost and call-free: nothing but this loop's own charge can change the budget
      // while it iterates, so a local copy of it stays exact (see the class comment).
      const tight = loops.length === queued && !this.regionHasCall;
      if (tight) cache ??= functionAddVar(func, binaryen.i32);
      this.chargeLoop(loop, loopCost, tight ? cache : undefined);
    }
  }

  private budget(): binaryen.ExpressionRef {
    return this.module.global.get(BUDGET_GLOBAL, binaryen.i32);
  }

  private decrement(cost: number): binaryen.ExpressionRef {
    const m = this.module;
    return m.global.set(BUDGET_GLOBAL, m.i32.sub(this.budget(), m.i32.const(cost)));
  }

  private exhausted(): binaryen.ExpressionRef {
    const m = this.module;
    return m.i32.lt_s(this.budget(), m.i32.const(0));
  }

  /** Function entry: `budget -= cost; [if (budget < 0) preempt();] body`, typed like the body. */
  private chargedEntry(cost: number, body: binaryen.ExpressionRef, check: boolean): binaryen.ExpressionRef {
    const m = this.module;
    const children = check
      ? [this.decrement(cost), m.if(this.exhausted(), m.call(PREEMPT_FUNC, [], binaryen.none)), body]
      : [this.decrement(cost), body];
    return m.block(null, children, binaryen.getExpressionType(body));
  }

  /**
   * Rewrites `loop` in place into the shape described on the class; with `cache` (a local
   * index) the charge of a tight loop runs on that local, see the class comment.
   */
  private chargeLoop(loop: binaryen.ExpressionRef, cost: number, cache: number | undefined): void {
    const m = this.module;
    const n = this.labels++;
    const outerName = `__rampart_outer${n}`;
    const preName = `__rampart_pre${n}`;
    const doneName = `__rampart_done${n}`;
    const loopType = binaryen.getExpressionType(loop);
    const body = Loop.getBody(loop);

    const charge =
      cache === undefined
        ? [this.decrement(cost), m.br(preName, this.exhausted())]
        : [
            m.global.set(BUDGET_GLOBAL, m.local.tee(cache, m.i32.sub(m.local.get(cache, binaryen.i32), m.i32.const(cost)), binaryen.i32)),
            m.br(preName, m.i32.lt_s(m.local.get(cache, binaryen.i32), m.i32.const(0))),
          ];
    const inner = m.loop(Loop.getName(loop), m.block(null, [...charge, body], binaryen.getExpressionType(body)));
    // How the inner loop's completion leaves `$done` depends on its type.
    let pre: binaryen.ExpressionRef[];
    if (loopType === binaryen.none) pre = [inner, m.br(doneName)];
    else if (loopType === binaryen.unreachable) pre = [inner];
    else pre = [m.br(doneName, 0, inner)];

    const done = m.block(
      doneName,
      [
        m.block(preName, pre, binaryen.none),
        m.call(PREEMPT_FUNC, [], binaryen.none),
        // Refund: the header charges the resumed iteration again (see the class comment).
        m.global.set(BUDGET_GLOBAL, m.i32.add(this.budget(), m.i32.const(cost))),
        m.br(outerName),
      ],
      loopType,
    );
    Loop.setName(loop, outerName);
    // (Re)load the cache on every entry and after every preemption: preempt may refill it.
    Loop.setBody(loop, cache === undefined ? done : m.block(null, [m.local.set(cache, this.budget()), done], loopType));
  }

  /** Counts the region rooted at `root`, queueing (not entering) the loops found in it. */
  private regionCost(root: binaryen.ExpressionRef, loops: binaryen.ExpressionRef[]): number {
    let cost = 0;
    this.regionHasCall = false;
    const stack: binaryen.ExpressionRef[] = [root];
    for (let expr = stack.pop(); expr !== undefined; expr = stack.pop()) {
      cost++;
      const id = binaryen.getExpressionId(expr);
      if (id === binaryen.LoopId) {
        loops.push(expr);
        continue;
      }
      if (id === binaryen.CallId || id === binaryen.CallIndirectId) this.regionHasCall = true;
      pushChildren(expr, stack);
    }
    return Math.max(cost, 1);
  }
}

/**
 * Child fields by expression kind. Kinds absent from this table are refused: the walker must
 * see every subtree, or a loop inside an unknown node would run unmetered.
 */
const CHILD_FIELDS: ReadonlyMap<number, readonly string[]> = new Map<number, readonly string[]>([
  [binaryen.NopId, []],
  [binaryen.BlockId, ['children']],
  [binaryen.IfId, ['condition', 'ifTrue', 'ifFalse']],
  [binaryen.BreakId, ['condition', 'value']],
  [binaryen.SwitchId, ['condition', 'value']],
  [binaryen.CallId, ['operands']],
  [binaryen.CallIndirectId, ['target', 'operands']],
  [binaryen.LocalGetId, []],
  [binaryen.LocalSetId, ['value']],
  [binaryen.GlobalGetId, []],
  [binaryen.GlobalSetId, ['value']],
  [binaryen.LoadId, ['ptr']],
  [binaryen.StoreId, ['ptr', 'value']],
  [binaryen.ConstId, []],
  [binaryen.UnaryId, ['value']],
  [binaryen.BinaryId, ['left', 'right']],
  [binaryen.SelectId, ['ifTrue', 'ifFalse', 'condition']],
  [binaryen.DropId, ['value']],
  [binaryen.ReturnId, ['value']],
  [binaryen.MemorySizeId, []],
  [binaryen.MemoryGrowId, ['delta']],
  [binaryen.UnreachableId, []],
  [binaryen.SIMDExtractId, ['vec']],
  [binaryen.SIMDReplaceId, ['vec', 'value']],
  [binaryen.SIMDShuffleId, ['left', 'right']],
  [binaryen.SIMDTernaryId, ['a', 'b', 'c']],
  [binaryen.SIMDShiftId, ['vec', 'shift']],
  [binaryen.SIMDLoadId, ['ptr']],
  [binaryen.SIMDLoadStoreLaneId, ['ptr', 'vec']],
  [binaryen.MemoryInitId, ['dest', 'offset', 'size']],
  [binaryen.DataDropId, []],
  [binaryen.MemoryCopyId, ['dest', 'source', 'size']],
  [binaryen.MemoryFillId, ['dest', 'value', 'size']],
  [binaryen.RefNullId, []],
  [binaryen.RefIsNullId, ['value']],
  [binaryen.RefFuncId, []],
  [binaryen.TableGetId, ['index']],
  [binaryen.TableSetId, ['index', 'value']],
  [binaryen.TableSizeId, []],
  [binaryen.TableGrowId, ['value', 'delta']],
  [binaryen.TupleMakeId, ['operands']],
  [binaryen.TupleExtractId, ['tuple']],
]);

/** binaryen.js expression classes, by id: their setters replace a child in place. */
const EXPRESSION_CLASSES: ReadonlyMap<number, string> = new Map<number, string>([
  [binaryen.BlockId, 'Block'], [binaryen.IfId, 'If'], [binaryen.LoopId, 'Loop'], [binaryen.BreakId, 'Break'],
  [binaryen.SwitchId, 'Switch'], [binaryen.CallId, 'Call'], [binaryen.CallIndirectId, 'CallIndirect'],
  [binaryen.LocalSetId, 'LocalSet'], [binaryen.GlobalSetId, 'GlobalSet'], [binaryen.LoadId, 'Load'],
  [binaryen.StoreId, 'Store'], [binaryen.UnaryId, 'Unary'], [binaryen.BinaryId, 'Binary'],
  [binaryen.SelectId, 'Select'], [binaryen.DropId, 'Drop'], [binaryen.ReturnId, 'Return'],
  [binaryen.MemoryGrowId, 'MemoryGrow'], [binaryen.SIMDExtractId, 'SIMDExtract'], [binaryen.SIMDReplaceId, 'SIMDReplace'],
  [binaryen.SIMDShuffleId, 'SIMDShuffle'], [binaryen.SIMDTernaryId, 'SIMDTernary'], [binaryen.SIMDShiftId, 'SIMDShift'],
  [binaryen.SIMDLoadId, 'SIMDLoad'], [binaryen.SIMDLoadStoreLaneId, 'SIMDLoadStoreLane'], [binaryen.MemoryInitId, 'MemoryInit'],
  [binaryen.MemoryCopyId, 'MemoryCopy'], [binaryen.MemoryFillId, 'MemoryFill'], [binaryen.RefIsNullId, 'RefIsNull'],
  [binaryen.TableGetId, 'TableGet'], [binaryen.TableSetId, 'TableSet'], [binaryen.TableGrowId, 'TableGrow'],
  [binaryen.TupleMakeId, 'TupleMake'], [binaryen.TupleExtractId, 'TupleExtract'],
]);

/**
 * Replace every `memory.size` of the defined functions by `i32.const ownPages`. After
 * integration a task's memory also spans the board's SHM range and the Asyncify save area;
 * those pages are the kernel's (synchronised SHM windows, saved contexts), so the task must
 * see its memory end where its own stack, data and heap end. `memory.grow` needs nothing:
 * the maximum equals the initial size, so it always fails. Returns how many were replaced.
 * Kinds the table does not know are left to the metering walker, which refuses them.
 */
function pinMemorySize(module: binaryen.Module, functions: readonly binaryen.FunctionRef[], ownPages: number): number {
  const isSize = (e: binaryen.ExpressionRef): boolean => e !== 0 && binaryen.getExpressionId(e) === binaryen.MemorySizeId;
  const pages = (): binaryen.ExpressionRef => module.i32.const(ownPages);
  const classes = binaryen as unknown as Record<string, Record<string, (...args: number[]) => void>>;
  let replaced = 0;
  for (const func of functions) {
    const body = Func.getBody(func);
    if (isSize(body)) { Func.setBody(func, pages()); replaced++; continue; }
    const stack: binaryen.ExpressionRef[] = [body];
    for (let expr = stack.pop(); expr !== undefined; expr = stack.pop()) {
      const id = binaryen.getExpressionId(expr);
      if (LEAVES.has(id)) continue;
      const fields = id === binaryen.LoopId ? ['body'] : CHILD_FIELDS.get(id);
      const cls = classes[EXPRESSION_CLASSES.get(id) ?? ''];
      if (fields === undefined || cls === undefined) continue;
      const info = binaryen.getExpressionInfo(expr) as Info;
      for (const field of fields) {
        const value = info[field];
        if (typeof value === 'number') {
          if (!isSize(value)) { if (value !== 0) stack.push(value); continue; }
          const setter = cls[`set${field[0]!.toUpperCase()}${field.slice(1)}`];
          if (setter === undefined) throw new InstrumentError(`internal error: no setter for field ${field} of expression id ${id}`);
          setter(expr, pages());
          replaced++;
        } else if (Array.isArray(value)) {
          const setAt = cls[field === 'children' ? 'setChildAt' : 'setOperandAt'];
          value.forEach((child, i) => {
            const c = child as binaryen.ExpressionRef;
            if (!isSize(c)) { stack.push(c); return; }
            if (setAt === undefined) throw new InstrumentError(`internal error: no indexed setter for field ${field} of expression id ${id}`);
            setAt(expr, i, pages());
            replaced++;
          });
        }
      }
    }
  }
  return replaced;
}

/** Kinds that are pure leaves: skip the (allocating) info lookup on the hottest path. */
const LEAVES: ReadonlySet<number> = new Set([
  binaryen.NopId,
  binaryen.LocalGetId,
  binaryen.GlobalGetId,
  binaryen.ConstId,
  binaryen.MemorySizeId,
  binaryen.UnreachableId,
  binaryen.DataDropId,
  binaryen.RefNullId,
  binaryen.RefFuncId,
  binaryen.TableSizeId,
]);

function pushChildren(expr: binaryen.ExpressionRef, stack: binaryen.ExpressionRef[]): void {
  const id = binaryen.getExpressionId(expr);
  if (LEAVES.has(id)) return;
  const fields = CHILD_FIELDS.get(id);
  if (fields === undefined) unsupported(expr);
  const info = binaryen.getExpressionInfo(expr) as Info;
  // Same kinds as plain loads, stores and calls, but outside the supported set: atomics make
  // no sense in a single-threaded task, and Asyncify cannot unwind through a tail call.
  if (info['isAtomic'] === true || info['isReturn'] === true) unsupported(expr);
  for (const field of fields) {
    const value = info[field];
    if (typeof value === 'number') {
      if (value !== 0) stack.push(value);
    } else if (Array.isArray(value)) {
      for (const child of value) stack.push(child as binaryen.ExpressionRef);
    } else {
      throw new InstrumentError(`internal error: expression id ${id} has no field ${field}`);
    }
  }
}

function unsupported(expr: binaryen.ExpressionRef): never {
  const op = /^\(?([^\s()]+)/.exec(binaryen.emitText(expr).trim())?.[1] ?? `#${binaryen.getExpressionId(expr)}`;
  throw new InstrumentError(
    `unsupported instruction '${op}': tasks are single-threaded code without exceptions, tail ` +
      'calls, GC or table.copy/fill/init',
  );
}
