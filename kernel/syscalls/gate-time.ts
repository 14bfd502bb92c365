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

/** Nanoseconds are exact: computed from cycles with integer arithmetic while it stays exact. */
export function gateGetCycle(k: Kernel, t: number, precision: number): number {
  const p = precision >>> 0;
  if (p > Precision.Milliseconds) return Status.Invalid;
  if (p === Precision.Cycle) {
    if (!k.injectSkipCheck() && (k.capsOf(t) & Cap.TimHpChrono) === 0) return Status.Denied;
    // Countermeasure: a second, independent check right before the privileged read.
    k.confirmCapability(t, Cap.TimHpChrono);
  }
  const cycles = k.now();
  const freq = k.config.nominalFrequencyHz;
  let value: number;
  switch (p) {
    case Precision.Cycle:
      value = cycles;
      break;
    case Precision.Nanoseconds: {
      const seconds = Math.floor(cycles / freq);
      const rest = cycles - seconds * freq;
      value = seconds * 1_000_000_000 + Math.floor((rest * 1_000_000_000) / freq);
      break;
    }
    case Precision.Microseconds: {
      const seconds = Math.floor(cycles / freq);
      const rest = cycles - seconds * freq;
      value = seconds * 1_000_000 + Math.floor((rest * 1_000_000) / freq);
      break;
    }
    default:
      value = Math.floor(cycles / k.cyclesPerTick);
      break;
  }
  writeExchangeU64(k, t, 0, value);
  return Status.Ok;
}
