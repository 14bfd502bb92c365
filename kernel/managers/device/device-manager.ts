/**
 * Devices: handles, ownership, mapping (the software MPU) and IRQ routing.
 *
 * The device table is the board's, frozen at boot; runtime state (mapped flag, pin
 * configuration done) lives in parallel arrays indexed by table position. A device handle
 * is deterministic (`0x20000000 | id << 13 | cap`, spec §2.14) and is validated by
 * re-forging it, so any flipped bit is "not found". Mapping slots are shared with SHMs:
 * each task has `MAPPING_SLOTS` dynamic slots (spec §4.7: 4 by default).
 *
 * IRQs: a line belongs to the first device declaring it; when it fires, the line is masked
 * and the IRQ goes to the owner's FIFO (15 usable cells, as the reference ring of 16);
 * the line stays masked until the owner re-enables or acknowledges it (non-reentrant).
 */

import { makeDeviceHandle } from '../../../toolchain/abi/index.js';
import type { Board, BoardDevice } from '../../board.js';

/** Dynamic mapping slots per task, shared by devices and SHMs (CONFIG_NUM_MPU_REGIONS - 2 - 2). */
export const MAPPING_SLOTS = 4;
/** Pending IRQ events per task: the reference ring has 16 cells, 15 usable. */
export const IRQ_QUEUE_CELLS = 15;

export class DeviceManager {
  readonly devices: readonly BoardDevice[];
  readonly handles: Uint32Array;
  /** Task index owning each device, or -1 (kernel or no such task). */
  readonly ownerTask: Int32Array;
  readonly mapped: Uint8Array;
  /** Task index that mapped the device, or -1. */
  readonly mappedBy: Int32Array;
  /** IRQ line -> device table index (first declaring device), or -1. */
  readonly irqDevice: Int32Array;
  /** Per task: FIFO of pending IRQ numbers (ring), head and count. */
  private readonly irqQueue: Int32Array;
  private readonly irqHead: Int32Array;
  readonly irqCount: Int32Array;

  constructor(board: Board, taskIndexOfLabel: (label: number) => number, taskCount: number) {
    this.devices = board.devices;
    const n = board.devices.length;
    this.handles = new Uint32Array(n);
    this.ownerTask = new Int32Array(n).fill(-1);
    this.mapped = new Uint8Array(n);
    this.mappedBy = new Int32Array(n).fill(-1);
    this.irqDevice = new Int32Array(256).fill(-1);
    board.devices.forEach((d, i) => {
      this.handles[i] = makeDeviceHandle(d.id, d.capability);
      this.ownerTask[i] = d.owner === 0 ? -1 : taskIndexOfLabel(d.owner);
      for (const irq of d.irqs) if (irq < 256 && this.irqDevice[irq] === -1) this.irqDevice[irq] = i;
    });
    this.irqQueue = new Int32Array(taskCount * IRQ_QUEUE_CELLS);
    this.irqHead = new Int32Array(taskCount);
    this.irqCount = new Int32Array(taskCount);
  }

  /** Table index of the device with this id (the 8-bit label), or -1. */
  byId(id: number): number {
    for (let i = 0; i < this.devices.length; i++) if (this.devices[i]!.id === id) return i;
    return -1;
  }

  /** Table index of a device handle (full 32-bit match), or -1. */
  resolve(handle: number): number {
    const h = handle >>> 0;
    for (let i = 0; i < this.handles.length; i++) if (this.handles[i] === h) return i;
    return -1;
  }

  /** Device index serving `address` among those mapped by task t, or -1 (the software MPU). */
  mappedDeviceAt(t: number, address: number, width: number): number {
    for (let i = 0; i < this.devices.length; i++) {
      if (this.mappedBy[i] !== t) continue;
      const d = this.devices[i]!;
      if (address >= d.baseAddress && address + width <= d.baseAddress + d.size) return i;
    }
    return -1;
  }

  /** Queue an IRQ for task t; false when its queue is full (the event is dropped). */
  pushIrq(t: number, irq: number): boolean {
    if (this.irqCount[t]! >= IRQ_QUEUE_CELLS) return false;
    const at = t * IRQ_QUEUE_CELLS + ((this.irqHead[t]! + this.irqCount[t]!) % IRQ_QUEUE_CELLS);
    this.irqQueue[at] = irq;
    this.irqCount[t] = this.irqCount[t]! + 1;
    return true;
  }

  /** Pop task t's oldest IRQ, or -1. */
  popIrq(t: number): number {
    if (this.irqCount[t] === 0) return -1;
    const irq = this.irqQueue[t * IRQ_QUEUE_CELLS + this.irqHead[t]!]!;
    this.irqHead[t] = (this.irqHead[t]! + 1) % IRQ_QUEUE_CELLS;
    this.irqCount[t] = this.irqCount[t]! - 1;
    return irq;
  }

  clearIrqs(t: number): void {
    this.irqHead[t] = 0;
    this.irqCount[t] = 0;
  }

  /** Drop every mapping task t holds (job end). Returns how many were dropped. */
  unmapAll(t: number): number {
    let dropped = 0;
    for (let i = 0; i < this.devices.length; i++) {
      if (this.mappedBy[i] === t) { this.mapped[i] = 0; this.mappedBy[i] = -1; dropped++; }
    }
    return dropped;
  }
}
