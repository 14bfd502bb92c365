/**
 * The dispatch table and each task's import object, built from the ABI table by name.
 *
 * `GATES` maps syscall names to gate functions; at load it is checked against
 * `toolchain/abi`: every syscall of an implemented family has a gate, and no gate exists
 * for a name the ABI does not know. A task's imports are built once at (re)start, only
 * for the syscalls its module imports (already checked against its capabilities), plus
 * `preempt`. Non-blocking imports are plain calls into the gate; blocking ones first
 * finish a pending Asyncify rewind (the task is resuming *into* this very call), in which
 * case they return the status that the waking agent stored. WASI imports (hosted C) go
 * to module `wasi_snapshot_preview1`, built by gate-wasi.ts; the WASI names the kernel
 * serves and the syscall names are disjoint (checked at load), so an import's name alone
 * says which gate serves it.
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
    if (SYSCALL_BY_NAME.has(name) || BUS_BY_NAME.has(name) || name === PREEMPT_IMPORT) throw new Error(`WASI function '${name}' shadows a Rampart import`);
  }
}
checkTableComplete();

/** The import object of task t: only what its module imports. */
export function buildImports(k: Kernel, t: number): WebAssembly.Imports {
  const names = k.descriptors[t]!.imports;
  const table: Record<string, (...args: number[]) => number | void> = {};
  const wasi: Record<string, (...args: number[]) => number | void> = {};
  const trace = k.trace;
  for (const name of names) {
    const wasiImport = WASI_FUNCTIONS.has(name) ? buildWasiImport(k, t, name) : undefined;
    if (wasiImport !== undefined) {
      wasi[name] = wasiImport;
      continue;
    }
    if (name === PREEMPT_IMPORT) {
      table[name] = () => {
        const inst = k.instances[t]!;
        if (inst.rewinding) { inst.finishRewind(); k.resumeAtPreempt(t); return; }
        k.preempt(t);
      };
      continue;
    }
    const bus = BUS_BY_NAME.get(name);
    if (bus !== undefined) {
      const width = bus.width;
      table[name] = bus.write
        ? (a: number, b: number) => (k.instances[t]!.killed ? Status.Denied : busWrite(k, t, a, b, width))
        : (a: number) => (k.instances[t]!.killed ? 0 : busRead(k, t, a, width));
      continue;
    }
    const info = SYSCALL_BY_NAME.get(name);
    const gate = GATES[name];
    if (info === undefined || gate === undefined) {
      // Boot refuses such a module before we get here; this is a kernel bug if reached.
      throw new Error(`no gate for import '${name}'`);
    }
    const stats = k.statSyscalls;
    if (info.blocking) {
      table[name] = (a: number, b: number, c: number) => {
        const inst = k.instances[t]!;
        if (inst.rewinding) { inst.finishRewind(); return k.takeReturn(t); }
        stats[t] = stats[t]! + 1;
        if (trace !== undefined) {
          const start = k.now();
          trace.syscall(t, name, start, start, -1);
        }
        return gate(k, t, a, b, c);
      };
    } else if (trace !== undefined) {
      table[name] = (a: number, b: number, c: number) => {
        if (k.instances[t]!.killed) return Status.Invalid;
        stats[t] = stats[t]! + 1;
        const start = k.now();
        const status = gate(k, t, a, b, c);
        trace.syscall(t, name, start, k.now(), status);
        return status;
      };
    } else {
      // Measured path: entry, dispatch, exit, each an order-sensitive step; the value is
      // checked against the one computed at boot before the status goes back to the task.
      const entry = SecurityManager.step(0, PATH_ENTRY ^ info.number);
      const expected = k.security.pathExpected[info.number]!;
      const injector = k.security.injector;
      table[name] = (a: number, b: number, c: number) => {
        if (k.instances[t]!.killed) return Status.Invalid;
        stats[t] = stats[t]! + 1;
        let path = entry;
        if (!injector.armed || injector.take('skip-cfi', k.cycles) === undefined) path = SecurityManager.step(path, PATH_DISPATCH);
        const status = gate(k, t, a, b, c);
        path = SecurityManager.step(path, PATH_EXIT);
        if (path !== expected) k.securityPanic(JournalKind.ControlFlow, t, `syscall '${name}' did not follow its measured path`);
        return status;
      };
    }
  }
  return { [SYSCALL_IMPORT_MODULE]: table, [WASI_IMPORT_MODULE]: wasi };
}
