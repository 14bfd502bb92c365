/**
 * send_ipc (spec §1.2.11, §4.2): single-copy IPC with deadlock detection.
 *
 * Sending records "t has `len` bytes pending for r" and blocks t; nothing is copied until
 * r consumes the IPC in wait_for_event, which copies straight from t's exchange area into
 * r's (the sender is blocked, so its bytes are stable). The deadlock walk runs before the
 * target is validated, as in the reference. If r dies while t waits, t resumes with INTR
 * and receives SIGNAL_PIPE (spec Part 1; see Kernel.endJob).
 */

import { EVENT_HEADER_SIZE, JobState, Signal, Status } from '../../toolchain/abi/index.js';
import type { Kernel } from '../kernel.js';

/**
 * True when `target` is, directly or transitively, waiting for an IPC to be read by
 * `caller`: the send would close a cycle. Walks "who has an IPC pending towards X".
 */
export function wouldDeadlock(k: Kernel, caller: number, target: number): boolean {
  const n = k.taskCount;
  // Nothing pending towards the caller: no cycle can close through it (the common case).
  if (k.ipcPending[caller] === 0) return false;
  const stack = k.deadlockStack;
  const seen = k.deadlockSeen;
  seen.fill(0);
  let top = 0;
  stack[top++] = caller;
  seen[caller] = 1;
  let found = false;
  while (top > 0 && !found) {
    const y = stack[--top]!;
    if (k.ipcPending[y] === 0) continue;
    const row = y * n;
    for (let s = 0; s < n; s++) {
      if (k.ipcLen[row + s] === 0) continue;
      if (s === target) { found = true; break; }
      if (seen[s] === 0) { seen[s] = 1; stack[top++] = s; }
    }
  }
  return found;
}

export function gateSendIpc(k: Kernel, t: number, targetHandle: number, length: number): number {
  const len = length >>> 0;
  if (len > k.config.exchangeAreaLen - EVENT_HEADER_SIZE) return Status.Invalid;
  const r = k.resolveTask(targetHandle);
  if (r >= 0 && wouldDeadlock(k, t, r)) return Status.Deadlk;
  if (r < 0) return Status.Invalid;
  if (!k.sameDomain(t, r)) return Status.Denied;
  if (r !== t && k.isTerminated(r)) {
    // The target's job is over (or waiting out a crash-loop backoff): nobody will read. The
    // sender gets what a sender the target left behind gets: INTR and SIGNAL_PIPE from it.
    k.postSignal(t, r, Signal.Pipe, k.handle[r]!, false);
    return Status.Intr;
  }
  const n = k.taskCount;
  if (len !== 0) {
    k.ipcLen[r * n + t] = len;
    k.ipcPending[r] = k.ipcPending[r]! + 1;
  }
  if (r === t) {
    // Reference behaviour (spec §1.2.11): the self-IPC stays pending either way; only the
    // autotest flavour reports success without blocking.
    return k.config.buildTarget === 'autotest' ? Status.Ok : Status.Invalid;
  }
  k.account();
  k.state[t] = JobState.IpcSendBlocked;
  k.ipcTarget[t] = r;
  k.returnSlot[t] = Status.NonSense;
  k.wakeForEvent(r);
  return k.switchFrom(t, false);
}
