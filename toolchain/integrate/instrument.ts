/**
 * Task instrumentation: cycle metering plus Asyncify, so the kernel can preempt and switch tasks.
 *
 * Owns the "What the instrumentation adds" half of `docs/task-abi.md`. Given an app module it
 * returns a module that additionally
 *  - imports `rampart.preempt: () -> ()` and exports the mutable i32 `__rampart_budget`;
 *    every function entry and every loop header subtracts the static cost of the code that
 *    follows and calls `preempt` once the budget is negative;
 *  - is transformed by Binaryen's Asyncify, restricted to `preempt` plus the blocking syscalls,
 *    and exports the five `asyncify_*` control functions;
 *  - has its memory grown (initial and maximum alike) by the save-area pages, whose address is
 *    exported as the immutable i32 `__rampart_asyncify_data`.
 *
 * Invariants:
 *  - Every loop is charged at its header, so no code path runs unboundedly without passing a
 *    charge point. The metering walker therefore knows the children of every expression kind it
 *    accepts and refuses anything else instead of skipping it (a skipped subtree could hide an
 *    unmetered loop).
 *  - The input is validated by the engine before Binaryen sees it, so Binaryen's parser never
 *    meets malformed bytes; every refusal is an `InstrumentError` with a readable message.
 *  - Output is a pure function of the input bytes and options (byte-identical on re-runs).
 *  - Binaryen's process-global settings (optimize/shrink level, pass arguments) are restored
 *    afterwards, so callers sharing the library are not affected.
 */

import binaryen from 'binaryen';

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /** raw syscall import names (module 'rampart') that may block; Asyncify is restricted to these plus 'preempt' */
  blockingImports: readonly string[];
  /** pages (64 KiB) added to the memory for the Asyncify save area; default 1 */
  asyncifyPages?: number;
}

/** Output of {@link instrument}. */
export interface InstrumentResult {
  /** The instrumented module. */
  wasm: Uint8Array;
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
/** Internal function name of the preempt import; never exported, only needs to be collision-free. */
const PREEMPT_FUNC = '__rampart_preempt';

/** Exports the instrumentation creates; an input already exporting one of them is refused. */
const RESERVED_EXPORTS: readonly string[] = [
  BUDGET_GLOBAL,
  ASYNCIFY_DATA_GLOBAL,
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
 * The expression setters live on binaryen.js' per-kind wrapper classes, which the shipped
 * typings do not declare; this is the one we need, checked at load time so a library upgrade
 * that drops it fails loudly rather than producing unmetered loops.
 */
interface LoopApi {
  getBody(loop: binaryen.ExpressionRef): binaryen.ExpressionRef;
  setBody(loop: binaryen.ExpressionRef, body: binaryen.ExpressionRef): void;
}
const Loop = (binaryen as unknown as { Loop?: Partial<LoopApi> }).Loop;
if (typeof Loop?.getBody !== 'function' || typeof Loop.setBody !== 'function') {
  throw new Error('binaryen.js does not expose Loop.getBody/setBody; instrumentation cannot run');
}
const LoopBody = Loop as LoopApi;

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

  checkWithEngine(wasm);
  const { patched, oldInitialPages } = growMemorySection(wasm, asyncifyPages);
  const asyncifyDataAddress = oldInitialPages * PAGE_SIZE;
  const asyncifyDataSize = asyncifyPages * PAGE_SIZE;

  const savedOptimize = binaryen.getOptimizeLevel();
  const savedShrink = binaryen.getShrinkLevel();
  const savedImportsArg = binaryen.getPassArgument('asyncify-imports');
  let module: binaryen.Module | undefined;
  try {
    try {
      module = binaryen.readBinary(patched);
    } catch (e) {
      throw new InstrumentError(`Binaryen could not read the module: ${errorMessage(e)}`);
    }
    module.setFeatures(SUPPORTED_FEATURES);
    // On failure Binaryen prints the validator's findings itself (it offers no way to capture them).
    if (!module.validate()) {
      throw new InstrumentError(
        'module uses WebAssembly features outside the supported set (mutable-globals, sign-ext, ' +
          'nontrapping-fptoint, bulk-memory, multivalue, reference-types, simd128); see the validator output',
      );
    }
    checkReservedNames(module);

    // Collect the bodies to meter before adding anything, so nothing we add gets metered.
    const defined: binaryen.FunctionRef[] = [];
    for (let i = 0, n = module.getNumFunctions(); i < n; i++) {
      const func = module.getFunctionByIndex(i);
      if (binaryen.Function.getBody(func) !== 0) defined.push(func);
    }

    module.addFunctionImport(PREEMPT_FUNC, IMPORT_MODULE, PREEMPT_BASE, binaryen.none, binaryen.none);
    module.addGlobal(BUDGET_GLOBAL, binaryen.i32, true, module.i32.const(0));
    module.addGlobalExport(BUDGET_GLOBAL, BUDGET_GLOBAL);
    module.addGlobal(ASYNCIFY_DATA_GLOBAL, binaryen.i32, false, module.i32.const(asyncifyDataAddress));
    module.addGlobalExport(ASYNCIFY_DATA_GLOBAL, ASYNCIFY_DATA_GLOBAL);

    const meter = new Meter(module);
    for (const func of defined) meter.meterFunction(func);

    binaryen.setOptimizeLevel(OPTIMIZE_LEVEL);
    binaryen.setShrinkLevel(0);
    binaryen.setPassArgument('asyncify-imports', asyncifyImports);
    // Indirect calls stay instrumented (no asyncify-ignore-indirect): any table entry may reach
    // a loop, hence a preempt, so skipping them would corrupt the stack on an unwind.
    module.runPasses(['asyncify']);
    module.optimize();

    if (!module.validate()) {
      throw new InstrumentError('internal error: the instrumented module does not validate');
    }
    const out = module.emitBinary();
    if (!WebAssembly.validate(out)) {
      throw new InstrumentError('internal error: the engine rejects the instrumented module');
    }
    return { wasm: out, asyncifyDataAddress, asyncifyDataSize };
  } finally {
    module?.dispose();
    binaryen.setOptimizeLevel(savedOptimize);
    binaryen.setShrinkLevel(savedShrink);
    binaryen.setPassArgument('asyncify-imports', savedImportsArg);
  }
}

/** Builds the `asyncify-imports` pass argument: preempt plus each blocking import, sorted for determinism. */
function asyncifyImportList(blockingImports: readonly string[]): string {
  const names = new Set<string>([PREEMPT_BASE]);
  for (const name of blockingImports) {
    // The pass argument is a comma-separated list of "module.base"; anything else would be
    // misparsed into a different (and silently wrong) import list.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new InstrumentError(`invalid blocking import name ${JSON.stringify(name)}`);
    }
    names.add(name);
  }
  return [...names].sort().map((n) => `${IMPORT_MODULE}.${n}`).join(',');
}

/** Engine-side validation (clear messages, and Binaryen's parser only ever sees valid bytes). */
function checkWithEngine(wasm: Uint8Array): void {
  if (!(wasm instanceof Uint8Array)) throw new InstrumentError('input is not a Uint8Array');
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
  for (const g of [BUDGET_GLOBAL, ASYNCIFY_DATA_GLOBAL]) {
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
    // Absent maximum: pin it, the ABI wants a static task size.
    const newMax = max ? max.value + pages : newInitial;
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
  let value = 0;
  let shift = 0;
  for (let pos = at; pos < bytes.length && shift < 35; pos++, shift += 7) {
    const b = bytes[pos] as number;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return { value, next: pos + 1 };
  }
  throw new InstrumentError('malformed LEB128 in the module header sections');
}

function encodeU32(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) b |= 0x80;
    out.push(b);
  } while (value !== 0);
  return out;
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
 */
class Meter {
  constructor(private readonly module: binaryen.Module) {}

  meterFunction(func: binaryen.FunctionRef): void {
    const loops: binaryen.ExpressionRef[] = [];
    const body = binaryen.Function.getBody(func);
    const cost = this.regionCost(body, loops);
    binaryen.Function.setBody(func, this.charged(cost, body));
    // Each nested loop is charged at its own header; newly found inner loops join the worklist.
    for (let loop = loops.pop(); loop !== undefined; loop = loops.pop()) {
      const loopBody = LoopBody.getBody(loop);
      const loopCost = this.regionCost(loopBody, loops);
      LoopBody.setBody(loop, this.charged(loopCost, loopBody));
    }
  }

  /**
   * `budget -= cost; if (budget < 0) preempt(); body` as one block of the body's own type, so
   * the enclosing loop or function keeps its type. Kept to the minimum the engine compiles to
   * a load, subtract, store, test and a never-taken branch.
   */
  private charged(cost: number, body: binaryen.ExpressionRef): binaryen.ExpressionRef {
    const m = this.module;
    const budget = (): binaryen.ExpressionRef => m.global.get(BUDGET_GLOBAL, binaryen.i32);
    return m.block(
      null,
      [
        m.global.set(BUDGET_GLOBAL, m.i32.sub(budget(), m.i32.const(cost))),
        m.if(m.i32.lt_s(budget(), m.i32.const(0)), m.call(PREEMPT_FUNC, [], binaryen.none)),
        body,
      ],
      binaryen.getExpressionType(body),
    );
  }

  /** Counts the region rooted at `root`, queueing (not entering) the loops found in it. */
  private regionCost(root: binaryen.ExpressionRef, loops: binaryen.ExpressionRef[]): number {
    let cost = 0;
    const stack: binaryen.ExpressionRef[] = [root];
    for (let expr = stack.pop(); expr !== undefined; expr = stack.pop()) {
      cost++;
      if (binaryen.getExpressionId(expr) === binaryen.LoopId) {
        loops.push(expr);
        continue;
      }
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
  if (fields === undefined) {
    throw new InstrumentError(
      `unsupported instruction (Binaryen expression id ${id}) in the module: ` +
        `the metering cannot account for it\n${binaryen.emitText(expr).slice(0, 200)}`,
    );
  }
  const info = binaryen.getExpressionInfo(expr) as Info;
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
