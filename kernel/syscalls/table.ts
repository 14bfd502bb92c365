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
 */

import { PREEMPT_IMPORT, SYSCALL_IMPORT_MODULE, SYSCALLS, type SyscallInfo } from '../../toolchain/abi/index.js';
import { IMPLEMENTED_FAMILIES } from '../boot/import-policy.js';
import type { Kernel } from '../kernel.js';
import type { Gate } from './gate.js';
import { gateExit, gateGetProcessHandle, gateStart, gateYield } from './gate-lifecycle.js';
import { gateAlarm, gateGetCycle, gateSleep } from './gate-time.js';
import { gateSendIpc } from './gate-ipc.js';
import { gateSendSignal } from './gate-signal.js';
import { gateWaitForEvent } from './gate-event.js';
import { gateGetRandom, gateLog, gatePmManage } from './gate-misc.js';

export const GATES: Readonly<Record<string, Gate>> = {
  exit: (k, t, a) => gateExit(k, t, a),
  get_process_handle: (k, t, a) => gateGetProcessHandle(k, t, a),
  sched_yield: (k, t) => gateYield(k, t),
  sleep: (k, t, a, b) => gateSleep(k, t, a, b),
  start: (k, t, a) => gateStart(k, t, a),
  send_ipc: (k, t, a, b) => gateSendIpc(k, t, a, b),
  send_signal: (k, t, a, b) => gateSendSignal(k, t, a, b),
  wait_for_event: (k, t, a, b) => gateWaitForEvent(k, t, a, b),
  pm_manage: (k, t, a) => gatePmManage(k, t, a),
  log: (k, t, a) => gateLog(k, t, a),
  alarm: (k, t, a, b) => gateAlarm(k, t, a, b),
  get_random: (k, t) => gateGetRandom(k, t),
  get_cycle: (k, t, a) => gateGetCycle(k, t, a),
};

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
}
checkTableComplete();

/** The import object of task t: only what its module imports. */
export function buildImports(k: Kernel, t: number): WebAssembly.Imports {
  const names = k.descriptors[t]!.imports;
  const table: Record<string, (...args: number[]) => number | void> = {};
  const trace = k.trace;
  for (const name of names) {
    if (name === PREEMPT_IMPORT) {
      table[name] = () => {
        const inst = k.instances[t]!;
        if (inst.rewinding) { inst.finishRewind(); return; }
        k.preempt(t);
      };
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
      table[name] = (a = 0, b = 0, c = 0) => {
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
      table[name] = (a = 0, b = 0, c = 0) => {
        stats[t] = stats[t]! + 1;
        const start = k.now();
        const status = gate(k, t, a, b, c);
        trace.syscall(t, name, start, k.now(), status);
        return status;
      };
    } else {
      table[name] = (a = 0, b = 0, c = 0) => {
        stats[t] = stats[t]! + 1;
        return gate(k, t, a, b, c);
      };
    }
  }
  return { [SYSCALL_IMPORT_MODULE]: table };
}
