/**
 * Lifecycle gates: exit, sched_yield, start, get_process_handle (spec §1.2.0–§1.2.5).
 *
 * Rampart follows the documented intent where the reference panics: `start` on a task
 * that is not startable returns INVALID and changes nothing; handles resolve only within
 * the caller's domain (DENIED across domains).
 */

import { Cap, JobState, Status } from '../../toolchain/abi/index.js';
import type { Kernel } from '../kernel.js';
import { writeExchangeU32 } from './gate.js';

/** exit(status): ends the job (FINISHED on 0, ABORTING otherwise); never returns to it. */
export function gateExit(k: Kernel, t: number, status: number): number {
  k.account();
  k.terminate(t, status | 0);
  return k.switchFrom(t, false);
}

/** sched_yield: the caller goes to the backed queue with a fresh quantum; always OK. */
export function gateYield(k: Kernel, t: number): number {
  k.returnSlot[t] = Status.Ok;
  return k.switchFrom(t, true);
}

/** start(label): queue a task that was never started. */
export function gateStart(k: Kernel, t: number, label: number): number {
  if (!k.injectSkipCheck() && (k.capsOf(t) & Cap.SysProcstart) === 0) return Status.Denied;
  const target = k.findLabel(label >>> 0);
  if (target < 0) return Status.Invalid;
  if (k.state[target] !== JobState.NotStarted || k.sched.isQueued(target)) return Status.Invalid;
  // Countermeasure: a second, independent check right before the privileged action.
  k.confirmCapability(t, Cap.SysProcstart);
  k.state[target] = JobState.Ready;
  k.scheduleTask(target);
  return Status.Ok;
}

/** get_process_handle(label): the current handle of a task of the caller's domain. */
export function gateGetProcessHandle(k: Kernel, t: number, label: number): number {
  const target = k.findLabel(label >>> 0);
  if (target < 0) return Status.Invalid;
  if (!k.sameDomain(t, target)) return Status.Denied;
  writeExchangeU32(k, t, 0, k.handle[target]!);
  return Status.Ok;
}
