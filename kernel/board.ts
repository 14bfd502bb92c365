/**
 * The board description as the kernel sees it: devices, shared memories, DMA streams.
 *
 * Produced by the toolchain from the devicetree (`toolchain/config/devicetree.ts`), carried
 * in the image, re-validated at boot, then frozen. Numbering follows spec §6.3–§6.5:
 * a device's `id` is its index among the *active* nodes (status "okay", not a clock),
 * an SHM's `id` its index in the SHM table, a stream's `id` its index in the stream table.
 * Owners are task labels; 0 means the kernel.
 */

/** One GPIO pin of a device's `pinctrl-0` list (spec §2.12 `io_info_t`). */
export interface BoardIo {
  /**
   * The GPIO port, by the name of its port node: `gpioa` = 0, `gpiob` = 1, ... `gpiok` = 10,
   * whichever ports are enabled (`gpioPortOfDevice` in boot/board-check.ts is the rule).
   */
  readonly port: number;
  readonly pin: number;
  readonly mode: number;
  readonly af: number;
  readonly ppull: number;
  readonly speed: number;
  readonly pupdr: number;
}

/** Which emulated model serves a device's registers. */
export type DeviceModelKind = 'usart' | 'gpio' | 'timer' | 'rng' | 'gpdma' | 'bkpsram' | 'adc' | 'led' | 'button' | 'none';

export interface BoardDevice {
  /** Device id: index among active nodes (the 8-bit `get_device_handle` label). */
  readonly id: number;
  /** Devicetree node label (`usart1`), or the node name when unlabelled. */
  readonly name: string;
  /** Full node path, for messages (`/soc/serial@40013800`). */
  readonly path: string;
  /** Concatenated `compatible` strings. */
  readonly compatible: string;
  /**
   * Owner task label (`outpost,owner`); 0 = kernel. The board lists the kernel's own devices
   * too: the console and the DMA controllers it drives, whose pins and lines no task may list.
   */
  readonly owner: number;
  readonly baseAddress: number;
  readonly size: number;
  /** IRQ numbers (`interrupts`, first 8); a DMA controller's are its channels' lines, in order. */
  readonly irqs: readonly number[];
  /** Pins (`pinctrl-0`, first 8). */
  readonly ios: readonly BoardIo[];
  /** The DEV capability bit the device requires (spec §6.3 rules); 0 = none. */
  readonly capability: number;
  readonly model: DeviceModelKind;
}

export interface BoardShm {
  readonly id: number;
  readonly path: string;
  /** `outpost,label`, the value `get_shm_handle` takes. */
  readonly label: number;
  readonly owner: number;
  readonly baseAddress: number;
  readonly size: number;
  readonly dmaPool: boolean;
  readonly noMap: boolean;
}

/** A DMA endpoint: a shared memory or a device, by table id. */
export interface DmaEndpoint {
  readonly kind: 'shm' | 'device';
  readonly id: number;
}

export interface BoardDmaStream {
  readonly id: number;
  readonly path: string;
  /** `outpost,label`, the value `get_dma_stream_handle` takes. */
  readonly label: number;
  /** Owner = owner of the channel node. */
  readonly owner: number;
  readonly channel: number;
  readonly controller: number;
  readonly streamId: number;
  readonly source: DmaEndpoint;
  readonly dest: DmaEndpoint;
  readonly length: number;
  readonly circularSource: boolean;
  readonly circularDest: boolean;
  /** gpdma_priority: LOW 0 .. VERY_HIGH 3 (`prio`, as documented; spec A.34). */
  readonly priority: number;
}

export interface Board {
  readonly model: string;
  /** RAM available to tasks and SHMs, bytes (from the memory node); 0 = unconstrained. */
  readonly ramSize: number;
  readonly devices: readonly BoardDevice[];
  readonly shms: readonly BoardShm[];
  readonly dmaStreams: readonly BoardDmaStream[];
}

export const EMPTY_BOARD: Board = Object.freeze({ model: 'none', ramSize: 0, devices: [], shms: [], dmaStreams: [] });
