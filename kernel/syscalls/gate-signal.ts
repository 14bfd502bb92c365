/**
 * send_signal (spec §1.2.12, §4.3): asynchronous, depth one per (sender, receiver).
 */

import { Status } from '../../toolchain/abi/index.js';
import type { Kernel } from '../kernel.js';

/** Highest signal a task may send (SIGNAL_USR2); autotest-only values 13..31 are refused. */
const SIGNAL_MAX = 12;

export function gateSendSignal(k: Kernel, t: number, targetHandle: number, signal: number): number {
  const target = targetHandle >>> 0;
  if (k.config.buildTarget !== 'autotest' && target === k.handle[t]) return Status.Invalid;
  const sig = signal >>> 0;
  if (sig < 1 || sig > SIGNAL_MAX) return Status.Invalid;
  const r = k.resolveTask(target);
  if (r < 0) return Status.Invalid;
  if (!k.sameDomain(t, r)) return Status.Denied;
  if (k.signalSlot[r * k.taskCount + t] !== 0) return Status.Busy;
  k.account();
  k.postSignal(r, t, sig, k.handle[t]!, false);
  return Status.Ok;
}
