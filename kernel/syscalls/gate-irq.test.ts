/**
 * Tests — IRQ gates: a DMA channel's completion line is refused even when the device table
 * would give it to the caller.
 *
 * No image reaches that case: boot refuses a task device that lists a line of the kernel's
 * DMA controller (kernel/boot/board-check.ts; test/integration/device-samples.test.ts feeds
 * it the tampered board), and the controller's own entry has no task owner. So the gates run
 * here against a stand-in kernel whose device table routes line 11 to the caller's device
 * while the board runtime says line 11 is DMA channel 0's. Everything else a gate could
 * call is recorded, so a gate that went past its checks would show it.
 */

import { describe, expect, it } from 'vitest';
import { Cap, Status } from '../../toolchain/abi/index.js';
import type { Kernel } from '../kernel.js';
import { gateIrqAcknowledge, gateIrqDisable, gateIrqEnable } from './gate-irq.js';

const DMA_LINE = 11;
const TIMER_LINE = 28;

/** Task 0 owns device 0, which declares both lines; line 11 is DMA channel 0's. */
function standIn(): { kernel: Kernel; calls: string[] } {
  const calls: string[] = [];
  const irqDevice = new Int32Array(256).fill(-1);
  irqDevice[DMA_LINE] = 0;
  irqDevice[TIMER_LINE] = 0;
  const kernel = {
    capsOf: () => Cap.DevTimer,
    devices: { irqDevice, ownerTask: Int32Array.of(0) },
    runtime: { dmaChannelOfIrq: (line: number) => (line === DMA_LINE ? 0 : -1) },
    res: {
      irqSetMasked: (line: number, masked: boolean) => { calls.push(`${masked ? 'mask' : 'unmask'} ${line}`); },
      irqAcknowledge: (line: number) => { calls.push(`acknowledge ${line}`); },
    },
  };
  return { kernel: kernel as unknown as Kernel, calls };
}

const GATES = [gateIrqDisable, gateIrqEnable, gateIrqAcknowledge] as const;

describe('IRQ gates on a DMA channel line', () => {
  it('answer INVALID and leave the line alone, even for a task whose device lists it', () => {
    const { kernel, calls } = standIn();
    expect(GATES.map((gate) => gate(kernel, 0, DMA_LINE))).toEqual([Status.Invalid, Status.Invalid, Status.Invalid]);
    expect(calls).toEqual([]);
  });

  it('still serve the task\'s own lines', () => {
    const { kernel, calls } = standIn();
    expect(GATES.map((gate) => gate(kernel, 0, TIMER_LINE))).toEqual([Status.Ok, Status.Ok, Status.Ok]);
    expect(calls).toEqual([`mask ${TIMER_LINE}`, `unmask ${TIMER_LINE}`, `acknowledge ${TIMER_LINE}`]);
  });
});
