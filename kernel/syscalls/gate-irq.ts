/**
 * IRQ gates (spec §1.2.25–27, §4.9): acknowledge, enable, disable.
 *
 * Rampart's rule (Part 1): the caller must own the device that declares the IRQ (INVALID
 * otherwise, as documented), and `irq_acknowledge` clears the pending flag and unmasks the
 * line (the intended behaviour; the reference's is defective, A.22).
 *
 * A DMA channel's completion line is never a task's: the kernel masks and unmasks it as it
 * assigns and resets streams, and a task that could `irq_disable` it would stall another
 * task's transfers. Boot already refuses a task device that lists one (the lines belong to
 * the kernel's DMA controller entry, `kernelDmaControllers`), so the device check below
 * cannot pass for such a line; the explicit refusal in `ownedIrq` keeps that true even if
 * the device table ever routed a line differently. Never drop it.
 */

import { CAP_DEV_MASK, Status } from '../../toolchain/abi/index.js';
import type { Kernel } from '../kernel.js';

function ownedIrq(k: Kernel, t: number, irqArg: number): number {
  if ((k.capsOf(t) & CAP_DEV_MASK) === 0) return -Status.Denied;
  const irq = irqArg & 0xffff;
  if (irq >= 256) return -Status.Invalid;
  const d = k.devices.irqDevice[irq]!;
  if (d < 0 || k.devices.ownerTask[d] !== t) return -Status.Invalid;
  if (k.runtime.dmaChannelOfIrq(irq) >= 0) return -Status.Invalid;
  return irq;
}

export function gateIrqAcknowledge(k: Kernel, t: number, irqArg: number): number {
  const irq = ownedIrq(k, t, irqArg);
  if (irq < 0) return -irq;
  k.res.irqAcknowledge(irq);
  return Status.Ok;
}

export function gateIrqEnable(k: Kernel, t: number, irqArg: number): number {
  const irq = ownedIrq(k, t, irqArg);
  if (irq < 0) return -irq;
  k.res.irqSetMasked(irq, false);
  return Status.Ok;
}

export function gateIrqDisable(k: Kernel, t: number, irqArg: number): number {
  const irq = ownedIrq(k, t, irqArg);
  if (irq < 0) return -irq;
  k.res.irqSetMasked(irq, true);
  return Status.Ok;
}
