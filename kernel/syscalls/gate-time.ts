/**
 * Time gates: sleep, alarm, get_cycle (spec §1.2.4, §1.2.17, §1.2.19, §4.4).
 *
 * Time is virtual: cycles metered in the tasks at the configured nominal frequency, and
 * a 1 ms system tick. A sleep of N ms ends on the N-th tick after the call (0 acts as 1).
 * Alarms deliver SIGNAL_ALARM with the task's own handle as source and, unlike the
 * reference (A.30), wake a waiting or shallow-sleeping task with INTR.
 */

import { AlarmFlag, Cap, JobState, Precision, SleepMode, Status } from '../../toolchain/abi/index.js';
import type { Kernel } from '../kernel.js';
import { writeExchangeU64 } from './gate.js';

export function gateSleep(k: Kernel, t: number, durationMs: number, mode: number): number {
  const m = mode >>> 0;
  if (m > SleepMode.Deep) return Status.Invalid;
  k.account();
  k.state[t] = m === SleepMode.Deep ? JobState.SleepingDeep : JobState.Sleeping;
  k.returnSlot[t] = Status.NonSense;
  k.armDelay(t, durationMs >>> 0);
  return k.switchFrom(t, false);
}

export function gateAlarm(k: Kernel, t: number, delayMs: number, flag: number): number {
  const ms = delayMs >>> 0;
  switch (flag >>> 0) {
    case AlarmFlag.Start:
    case AlarmFlag.StartPeriodic:
      k.account();
      return k.armAlarm(t, ms, flag >>> 0 === AlarmFlag.StartPeriodic) ? Status.Ok : Status.Busy;
    case AlarmFlag.Stop:
      return k.stopAlarm(t, ms) ? Status.Ok : Status.NoEntity;
    default:
      return Status.Invalid;
  }
}

/**
 * get_cycle: the virtual time in the requested unit, written as a u64 to the exchange area.
 * Nanoseconds and microseconds are exact: computed from cycles with integer arithmetic while
 * it stays exact.
 *
 * Kept small on purpose (the unit conversions and the capability check live in helpers):
 * this is the null syscall, and V8 inlines a gate into the import path only while the whole
 * chain stays under its inlining budget.
 */
export function gateGetCycle(k: Kernel, t: number, precision: number): number {
  const p = precision >>> 0;
  if (p > Precision.Milliseconds) return Status.Invalid;
  if (p === Precision.Cycle && !mayReadCycles(k, t)) return Status.Denied;
  writeExchangeU64(k, t, 0, timeIn(k, p));
  return Status.Ok;
}

/** Cycle precision needs CAP_TIM_HP_CHRONO (a high-resolution clock is a timing side channel). */
function mayReadCycles(k: Kernel, t: number): boolean {
  if (!k.injectSkipCheck() && (k.capsOf(t) & Cap.TimHpChrono) === 0) return false;
  // Countermeasure: a second, independent check right before the privileged read.
  k.confirmCapability(t, Cap.TimHpChrono);
  return true;
}

/** The current virtual time in precision `p` (already validated). */
function timeIn(k: Kernel, p: Precision): number {
  const cycles = k.now();
  if (p === Precision.Milliseconds) return Math.floor(cycles / k.cyclesPerTick);
  if (p === Precision.Cycle) return cycles;
  return cyclesToUnits(k, cycles, p === Precision.Nanoseconds ? 1_000_000_000 : 1_000_000);
}

/** floor(cycles × perSecond / frequency) without leaving exact integer arithmetic. */
function cyclesToUnits(k: Kernel, cycles: number, perSecond: number): number {
  const freq = k.config.nominalFrequencyHz;
  const seconds = Math.floor(cycles / freq);
  const rest = cycles - seconds * freq;
  return seconds * perSecond + Math.floor((rest * perSecond) / freq);
}
