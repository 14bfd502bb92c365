/**
 * The dispatch table and each task's import object, built from the ABI table by name.
 *
 * `GATES` maps syscall names to gate functions; at load it is checked against
 * `toolchain/abi`: every syscall of an implemented family has a gate, and no gate exists
 * for a name the ABI does not know. A task's imports are built once at (re)start, only
 * for the syscalls its module imports (already checked against its capabilities), plus
 * `preempt`. Non-blocking imports are plain calls into the gate; blocking ones first
 * finish a pending Asyncify rewind (the task is resuming *into* this very call), in which
 * case they return the status that the waking agent stored.
 *
 * Every import keeps `kernel.budgetSeen` equal to the caller's `__rampart_budget` on entry
 * (the kernel's clock reads it): instrumented modules pass the budget as a trailing
 * argument of each syscall and bus import, which costs nothing, while a module with the
 * plain ABI signatures (packed without instrumentation) has it read from the global. Which
 * form an import has was decided at boot from its type (`descriptor.budgetArgument`), and
 * each import function declares exactly that arity. WASI imports (hosted C) go
 * to module `wasi_snapshot_preview1`, built by gate-wasi.ts. One name is in both modules,
 * `sched_yield` (the Rampart syscall and the WASI function, both the kernel's yield); the
 * boot descriptor keeps import names without their module, so for such a name both
 * imports are built, each in its own module's object (the one the module does not import
 * is never called). Every other WASI name differs from every Rampart one (checked at load).
 */

import { BUS_IMPORTS, PREEMPT_IMPORT, Status, SYSCALL_IMPORT_MODULE, SYSCALLS, type SyscallInfo } from '../../toolchain/abi/index.js';
import { IMPLEMENTED_FAMILIES } from '../boot/import-policy.js';
import type { Kernel } from '../kernel.js';
import type { Gate } from './gate.js';
import { PATH_DISPATCH, PATH_ENTRY, PATH_EXIT, SecurityManager } from '../managers/security/security-manager.js';
import { JournalKind } from '../managers/security/journal.js';
import { gateExit, gateGetProcessHandle, gateStart, gateYield } from './gate-lifecycle.js';
import { gateAlarm, gateGetCycle, gateSleep } from './gate-time.js';
import { gateSendIpc } from './gate-ipc.js';
import { gateSendSignal } from './gate-signal.js';
import { gateWaitForEvent } from './gate-event.js';
import { gateGetRandom, gateLog, gatePmManage } from './gate-misc.js';
import { buildWasiImport, WASI_FUNCTIONS, WASI_IMPORT_MODULE } from './gate-wasi.js';
import { busRead, busWrite, gateGetDeviceHandle, gateMapDev, gateUnmapDev } from './gate-device.js';
import { gateGpioConfigure, gateGpioGet, gateGpioReset, gateGpioSet, gateGpioToggle } from './gate-gpio.js';
import { gateIrqAcknowledge, gateIrqDisable, gateIrqEnable } from './gate-irq.js';
import { gateGetShmHandle, gateMapShm, gateShmGetInfos, gateShmSetCredential, gateUnmapShm } from './gate-shm.js';
import {
  gateDmaAssignStream, gateDmaGetStreamInfo, gateDmaGetStreamStatus, gateDmaResumeStream, gateDmaStartStream,
  gateDmaSuspendStream, gateDmaUnassignStream, gateGetDmaStreamHandle,
} from './gate-dma.js';

export const GATES: Readonly<Record<string, Gate>> = {
  exit: gateExit,
  get_process_handle: gateGetProcessHandle,
  sched_yield: gateYield,
  sleep: gateSleep,
  start: gateStart,
  send_ipc: gateSendIpc,
  send_signal: gateSendSignal,
  wait_for_event: gateWaitForEvent,
  pm_manage: gatePmManage,
  log: gateLog,
  alarm: gateAlarm,
  get_random: gateGetRandom,
  get_cycle: gateGetCycle,
  get_device_handle: gateGetDeviceHandle,
  map_dev: gateMapDev,
  unmap_dev: gateUnmapDev,
  gpio_get: gateGpioGet,
  gpio_set: gateGpioSet,
  gpio_reset: gateGpioReset,
  gpio_toggle: gateGpioToggle,
  gpio_configure: gateGpioConfigure,
  irq_acknowledge: gateIrqAcknowledge,
  irq_enable: gateIrqEnable,
  irq_disable: gateIrqDisable,
  get_shm_handle: gateGetShmHandle,
  map_shm: gateMapShm,
  unmap_shm: gateUnmapShm,
  shm_set_credential: gateShmSetCredential,
  shm_get_infos: gateShmGetInfos,
  get_dma_stream_handle: gateGetDmaStreamHandle,
  dma_assign_stream: gateDmaAssignStream,
  dma_start_stream: gateDmaStartStream,
  dma_suspend_stream: gateDmaSuspendStream,
  dma_resume_stream: gateDmaResumeStream,
  dma_unassign_stream: gateDmaUnassignStream,
  dma_get_stream_status: gateDmaGetStreamStatus,
  dma_get_stream_info: gateDmaGetStreamInfo,
};

const BUS_BY_NAME = new Map(BUS_IMPORTS.map((b) => [b.name, b]));

const SYSCALL_BY_NAME = new Map<string, SyscallInfo>(SYSCALLS.map((s) => [s.name, s]));

/** Names that are both a Rampart syscall and a WASI function, with the same meaning. */
const SHARED_WITH_WASI: ReadonlySet<string> = new Set(['sched_yield']);

/** Fails loudly at load if the gate table and the ABI disagree. */
function checkTableComplete(): void {
  for (const s of SYSCALLS) {
    if (IMPLEMENTED_FAMILIES.has(s.family) && s.family !== 'power' && GATES[s.name] === undefined) {
      throw new Error(`kernel gate table incomplete: no gate for syscall ${s.number} '${s.name}'`);
    }
  }
  for (const name of Object.keys(GATES)) {
    if (!SYSCALL_BY_NAME.has(name)) throw new Error(`kernel gate table names unknown syscall '${name}'`);
  }
  for (const name of WASI_FUNCTIONS.keys()) {
    if (SHARED_WITH_WASI.has(name)) continue;
    if (SYSCALL_BY_NAME.has(name) || BUS_BY_NAME.has(name) || name === PREEMPT_IMPORT) throw new Error(`WASI function '${name}' shadows a Rampart import`);
  }
}
checkTableComplete();

/** How an import enters the kernel; fixed when the import object is built. */
const enum EntryKind {
  /** Non-blocking syscall, no trace: the measured path (CFI). */
  Measured,
  /** Non-blocking syscall with the trace on. */
  Traced,
  /** Blocking syscall: may switch the task out, and finishes a rewind when resuming. */
  Blocking,
  BusRead,
  BusWrite,
}

/**
 * Everything one `rampart` syscall or bus import of one task needs at run time, built once
 * per (re)start. One class, every field always set: the entry code reads these with a
 * single object shape whatever the import.
 */
class ImportSite {
  /** Measured path: the first step, and the value the three steps must end at (from boot). */
  readonly entryStep: number;
  readonly expected: number;
  constructor(
    readonly kernel: Kernel,
    readonly task: number,
    readonly kind: EntryKind,
    readonly name: string,
    readonly gate: Gate,
    syscallNumber: number,
    readonly width: 1 | 2 | 4,
  ) {
    this.entryStep = SecurityManager.step(0, PATH_ENTRY ^ syscallNumber);
    this.expected = kind === EntryKind.Measured ? kernel.security.pathExpected[syscallNumber]! : 0;
  }
}

/** Never called: the gate slot of bus sites (they call busRead/busWrite). */
const NO_GATE: Gate = () => Status.Invalid;

/**
 * The kernel side of every `rampart` syscall and bus import: ABI arguments padded to three
 * (missing ones are 0), the caller's budget last. Each entry records the budget in
 * `kernel.budgetSeen` first, except a blocking entry that finishes a rewind: its argument is
 * then the value saved at the unwind, stale, and the kernel set the budget itself right
 * before the rewind.
 *
 * Top-level functions rather than a closure per import, and each small: the adaptors of
 * {@link adaptArity} always call this same target, and V8 inlines the whole chain (this
 * dispatch, the entry of the kind, the gate when the call site sees one) into each adaptor.
 * It stops inlining a function past a few hundred bytecodes, hence one function per kind.
 */
function enterImport(site: ImportSite, a: number, b: number, c: number, budget: number): number {
  // The common case first, alone: this function stays a few bytecodes long.
  if (site.kind === EntryKind.Measured) return enterMeasured(site, a, b, c, budget);
  return enterOther(site, a, b, c, budget);
}

function enterOther(site: ImportSite, a: number, b: number, c: number, budget: number): number {
  switch (site.kind) {
    case EntryKind.Measured: return enterMeasured(site, a, b, c, budget);
    case EntryKind.Traced: return enterTraced(site, a, b, c, budget);
    case EntryKind.Blocking: return enterBlocking(site, a, b, c, budget);
    case EntryKind.BusRead: return enterBusRead(site, a, budget);
    case EntryKind.BusWrite: return enterBusWrite(site, a, b, budget);
  }
}

/**
 * Measured path: entry, dispatch, exit, each an order-sensitive step; the value is checked
 * against the one computed at boot before the status goes back to the task.
 */
function enterMeasured(site: ImportSite, a: number, b: number, c: number, budget: number): number {
  const k = site.kernel;
  const t = site.task;
  k.budgetSeen = budget;
  if (k.instances[t]!.killed) return Status.Invalid;
  k.statSyscalls[t] = k.statSyscalls[t]! + 1;
  const path = dispatchStep(k, site.entryStep);
  const status = site.gate(k, t, a, b, c);
  if (SecurityManager.step(path, PATH_EXIT) !== site.expected) measuredPathBroken(site);
  return status;
}

/** The dispatch step of the measured path, unless an injected fault skips it (the exit check then catches it). */
function dispatchStep(k: Kernel, path: number): number {
  const injector = k.security.injector;
  if (injector.armed && injector.take('skip-cfi', k.cycles) !== undefined) return path;
  return SecurityManager.step(path, PATH_DISPATCH);
}

function measuredPathBroken(site: ImportSite): never {
  site.kernel.securityPanic(JournalKind.ControlFlow, site.task, `syscall '${site.name}' did not follow its measured path`);
}

function enterTraced(site: ImportSite, a: number, b: number, c: number, budget: number): number {
  const k = site.kernel;
  const t = site.task;
  k.budgetSeen = budget;
  if (k.instances[t]!.killed) return Status.Invalid;
  k.statSyscalls[t] = k.statSyscalls[t]! + 1;
  const start = k.now();
  const status = site.gate(k, t, a, b, c);
  k.trace!.syscall(t, site.name, start, k.now(), status);
  return status;
}

function enterBlocking(site: ImportSite, a: number, b: number, c: number, budget: number): number {
  const k = site.kernel;
  const t = site.task;
  const inst = k.instances[t]!;
  if (inst.rewinding) {
    inst.finishRewind();
    const status = k.takeReturn(t);
    // Traced: one event from the call to the return, blocked time included.
    if (k.trace !== undefined) k.trace.syscall(t, site.name, inst.traceCallCycles, k.now(), status);
    return status;
  }
  k.budgetSeen = budget;
  k.statSyscalls[t] = k.statSyscalls[t]! + 1;
  const trace = k.trace;
  if (trace === undefined) return site.gate(k, t, a, b, c);
  const start = k.now();
  const status = site.gate(k, t, a, b, c);
  // Blocked: the event is written when the call returns (above), with its status.
  if (inst.unwinding) inst.traceCallCycles = start;
  else trace.syscall(t, site.name, start, k.now(), status);
  return status;
}

function enterBusRead(site: ImportSite, address: number, budget: number): number {
  const k = site.kernel;
  k.budgetSeen = budget;
  return k.instances[site.task]!.killed ? 0 : busRead(k, site.task, address, site.width);
}

function enterBusWrite(site: ImportSite, address: number, value: number, budget: number): number {
  const k = site.kernel;
  k.budgetSeen = budget;
  return k.instances[site.task]!.killed ? Status.Denied : busWrite(k, site.task, address, value, site.width);
}

/** An import function as the engine calls it (a fixed arity, see {@link adaptArity}). */
type ImportFunction = (...args: number[]) => number | void;

/**
 * The engine-facing function of `site`, declared with exactly the arity the module's import
 * has: `abiArity` arguments, plus the trailing budget when `budgetArgument` (the instrumented
 * form), else with the budget read from the task's global (a plain module, e.g. one packed
 * without instrumentation). Fixed arities, not rest parameters: V8 calls a JS import whose
 * declared arity matches the Wasm signature without an adaptor, and rest parameters or
 * `arguments` cost more than the whole rest of a null syscall.
 */
function adaptArity(site: ImportSite, abiArity: number, budgetArgument: boolean): ImportFunction {
  if (budgetArgument) {
    switch (abiArity) {
      case 0: return (budget: number) => enterImport(site, 0, 0, 0, budget);
      case 1: return (a: number, budget: number) => enterImport(site, a, 0, 0, budget);
      case 2: return (a: number, b: number, budget: number) => enterImport(site, a, b, 0, budget);
      case 3: return (a: number, b: number, c: number, budget: number) => enterImport(site, a, b, c, budget);
    }
  } else {
    const k = site.kernel;
    const t = site.task;
    switch (abiArity) {
      case 0: return () => enterImport(site, 0, 0, 0, k.instances[t]!.budget.value as number);
      case 1: return (a: number) => enterImport(site, a, 0, 0, k.instances[t]!.budget.value as number);
      case 2: return (a: number, b: number) => enterImport(site, a, b, 0, k.instances[t]!.budget.value as number);
      case 3: return (a: number, b: number, c: number) => enterImport(site, a, b, c, k.instances[t]!.budget.value as number);
    }
  }
  // The ABI table has no syscall of more than three arguments (gates take a, b, c).
  throw new Error(`kernel bug: no import adaptor for ${abiArity} arguments`);
}

/** The import object of task t: only what its module imports. */
export function buildImports(k: Kernel, t: number): WebAssembly.Imports {
  const descriptor = k.descriptors[t]!;
  const names = descriptor.imports;
  const table: Record<string, ImportFunction> = {};
  const wasi: Record<string, (...args: number[]) => number | void> = {};
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    let budgetArgument = descriptor.budgetArgument[i] === true;
    const wasiImport = WASI_FUNCTIONS.has(name) ? buildWasiImport(k, t, name) : undefined;
    if (wasiImport !== undefined) {
      wasi[name] = wasiImport;
      if (!SHARED_WITH_WASI.has(name)) continue;
      // Also build the `rampart` one. Its form: the WASI import never has the budget
      // argument, so the Rampart one has it when any import of this name has it.
      budgetArgument = names.some((n, j) => n === name && descriptor.budgetArgument[j] === true);
    }
    if (name === PREEMPT_IMPORT) {
      table[name] = () => {
        const inst = k.instances[t]!;
        k.budgetSeen = inst.budget.value as number;
        if (inst.rewinding) { inst.finishRewind(); k.resumeAtPreempt(t); return; }
        k.preempt(t);
      };
      continue;
    }
    const bus = BUS_BY_NAME.get(name);
    if (bus !== undefined) {
      const site = new ImportSite(k, t, bus.write ? EntryKind.BusWrite : EntryKind.BusRead, name, NO_GATE, 0, bus.width);
      table[name] = adaptArity(site, bus.write ? 2 : 1, budgetArgument);
      continue;
    }
    const info = SYSCALL_BY_NAME.get(name);
    const gate = GATES[name];
    if (info === undefined || gate === undefined) {
      // Boot refuses such a module before we get here; this is a kernel bug if reached.
      throw new Error(`no gate for import '${name}'`);
    }
    const kind = info.blocking ? EntryKind.Blocking : k.trace !== undefined ? EntryKind.Traced : EntryKind.Measured;
    table[name] = adaptArity(new ImportSite(k, t, kind, name, gate, info.number, 4), info.args.length, budgetArgument);
  }
  return { [SYSCALL_IMPORT_MODULE]: table, [WASI_IMPORT_MODULE]: wasi };
}
