/**
 * The seam between the kernel and the emulated silicon.
 *
 * The kernel sees the peripheral bus through this small interface only: register access
 * for the software MPU's allowed accesses, GPIO ports for the GPIO syscalls, the DMA
 * controller for stream syscalls, the interrupt controller's mask, and the devices' own
 * clock (so a timer fires at exactly its programmed cycle). `boot/` builds the real one
 * from the board; a board without devices gets `NO_DEVICES`.
 */

import type { BoardIo, DmaEndpoint } from './board.js';
import type { DmaController } from './managers/dma/dma-manager.js';

/** A GPIO port as the GPIO syscalls use it. */
export interface GpioPortLike {
  getPin(pin: number): number | boolean;
  setPin(pin: number, level: boolean): void;
  /** False when the configuration is out of range for the port (the syscall answers INVALID). */
  configurePin(pin: number, io: BoardIo): boolean | void;
}

/** What the kernel registers to hear from the hardware. */
export interface BoardClient {
  /** An unmasked interrupt line became pending. */
  irq(line: number): void;
  /** Bytes a UART transmitted (printed as console output). */
  uartOutput(device: number, bytes: Uint8Array): void;
  /**
   * The DMA controller moves `length` bytes between endpoints. SHM endpoints are the
   * kernel's (canonical copy and the running task's window); device endpoints go to the
   * device's data port in `ports` (by device id). False when anything is out of bounds.
   */
  dmaCopy(source: DmaEndpoint, sourceOffset: number, dest: DmaEndpoint, destOffset: number, length: number, ports: ReadonlyMap<number, DmaDevicePort>): boolean;
}

/** The data path of a device usable as a DMA endpoint (backup SRAM). */
export interface DmaDevicePort {
  dmaRead(offset: number, into: Uint8Array, intoOffset: number, length: number): boolean;
  dmaWrite(offset: number, from: Uint8Array, fromOffset: number, length: number): boolean;
}

export interface BoardRuntime {
  connect(client: BoardClient): void;
  deviceRead(device: number, offset: number, width: 1 | 2 | 4): number;
  deviceWrite(device: number, offset: number, width: 1 | 2 | 4, value: number): void;
  /** First map of a device since boot: clock on, pins configured (spec §1.2.6). */
  firstMap(device: number): void;
  gpioPort(port: number): GpioPortLike | undefined;
  readonly dma: DmaController | undefined;
  /** DMA channel of an IRQ line, or -1 when the line is not a DMA channel's. */
  dmaChannelOfIrq(line: number): number;
  mask(line: number): void;
  unmask(line: number): void;
  acknowledge(line: number): void;
  /** Earliest cycle at which a device has something to do; Infinity when none. */
  nextEventCycle(): number;
  /** Bring every clocked device to `cycle` (monotonic). */
  advanceTo(cycle: number): void;
}

/** A board with no emulated devices: every device access is refused by the caller before reaching here. */
export const NO_DEVICES: BoardRuntime = {
  connect: () => undefined,
  deviceRead: () => 0,
  deviceWrite: () => undefined,
  firstMap: () => undefined,
  gpioPort: () => undefined,
  dma: undefined,
  dmaChannelOfIrq: () => -1,
  mask: () => undefined,
  unmask: () => undefined,
  acknowledge: () => undefined,
  nextEventCycle: () => Infinity,
  advanceTo: () => undefined,
};
