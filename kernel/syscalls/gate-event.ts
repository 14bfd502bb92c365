/**
 * wait_for_event (spec §1.2.13, §4.1): fetch one pending event, or wait for one.
 *
 * Order is fixed: signals (lowest sender index first), IRQs (FIFO), DMA events (FIFO), IPCs (lowest
 * sender first); only types in `mask` are considered. The event is written at offset 0 of
 * the exchange area: an 8-byte header (type, length, magic 0x4242, source) then its data.
 * Nothing is written when no event is taken. Timeouts: -1 = do not wait (AGAIN), 0 = wait
 * forever, N > 0 = N ms (TIMEOUT); any other negative value is INVALID (Rampart rule).
 * A waiter is woken by any new event, whatever its mask, with INTR.
 */

import { EVENT_HEADER_SIZE, EVENT_MAGIC, EventType, JobState, Status } from '../../toolchain/abi/index.js';
import type { Kernel } from '../kernel.js';

function writeHeader(view: DataView, type: number, length: number, source: number): void {
  view.setUint8(0, type);
  view.setUint8(1, length);
  view.setUint16(2, EVENT_MAGIC, true);
  view.setUint32(4, source >>> 0, true);
}

/** Take the first pending event allowed by `mask`; true when one was written. */
function takeEvent(k: Kernel, t: number, mask: number): boolean {
  const n = k.taskCount;
  const row = t * n;
  if ((mask & EventType.Signal) !== 0 && k.signalPending[t]! > 0) {
    for (let s = 0; s < n; s++) {
      const sig = k.signalSlot[row + s]!;
      if (sig === 0) continue;
      k.signalSlot[row + s] = 0;
      k.signalPending[t] = k.signalPending[t]! - 1;
      const view = k.instances[t]!.views();
      writeHeader(view, EventType.Signal, 4, k.signalSource[row + s]!);
      view.setUint32(EVENT_HEADER_SIZE, sig, true);
      return true;
    }
  }
  if ((mask & EventType.Irq) !== 0 && k.devices.irqCount[t]! > 0) {
    const irq = k.devices.popIrq(t);
    const d = k.devices.irqDevice[irq]!;
    const view = k.instances[t]!.views();
    writeHeader(view, EventType.Irq, 4, d >= 0 ? k.devices.handles[d]! : 0);
    view.setUint32(EVENT_HEADER_SIZE, irq, true);
    return true;
  }
  if ((mask & EventType.Dma) !== 0 && k.dma.count[t]! > 0) {
    const out = k.dmaScratch;
    k.dma.pop(t, out);
    const view = k.instances[t]!.views();
    writeHeader(view, EventType.Dma, 1, out[0]!);
    view.setUint8(EVENT_HEADER_SIZE, out[1]!);
    return true;
  }
  if ((mask & EventType.Ipc) !== 0 && k.ipcPending[t]! > 0) {
    for (let s = 0; s < n; s++) {
      const len = k.ipcLen[row + s]!;
      if (len === 0) continue;
      k.ipcLen[row + s] = 0;
      k.ipcPending[t] = k.ipcPending[t]! - 1;
      const dst = k.instances[t]!.bytes();
      if (s === t) {
        dst.copyWithin(EVENT_HEADER_SIZE, 0, len);
      } else {
        // Single copy: sender's exchange [0, len) -> receiver's [8, 8 + len). len was bounded
        // by LEN - 8 at send time, so both indices stay inside the fixed windows.
        const src = k.instances[s]!.bytes();
        if (len > 64) dst.set(src.subarray(0, len), EVENT_HEADER_SIZE);
        else for (let i = 0; i < len; i++) dst[EVENT_HEADER_SIZE + i] = src[i]!;
      }
      writeHeader(k.instances[t]!.views(), EventType.Ipc, len, k.handle[s]!);
      if (s !== t && k.ipcTarget[s] === t) {
        k.ipcTarget[s] = -1;
        k.makeReady(s, Status.Ok);
      }
      return true;
    }
  }
  return false;
}

export function gateWaitForEvent(k: Kernel, t: number, maskArg: number, timeoutArg: number): number {
  const mask = maskArg & 0xff;
  const timeout = timeoutArg | 0;
  k.account();
  if (takeEvent(k, t, mask)) return Status.Ok;
  if (timeout === -1) return Status.Again;
  if (timeout < -1) return Status.Invalid;
  k.state[t] = JobState.WaitForEvent;
  k.returnSlot[t] = Status.NonSense;
  if (timeout > 0) k.armDelay(t, timeout);
  return k.switchFrom(t, false);
}
