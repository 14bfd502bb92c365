/**
 * The small, role-split interfaces between the emulated silicon and the kernel.
 *
 * Owns the vocabulary every model and the kernel share: register access (`MmioDevice`),
 * virtual time (`Clocked`, `CycleClock`), interrupt requests (`InterruptLine`,
 * `InterruptSource`), DMA data paths (`DmaMemory`, `DmaPort`), randomness (`RandomSource`)
 * and waveform recording (`SignalObserver`), plus the byte-lane helpers that let each
 * model accept 8-, 16- and 32-bit accesses to its 32-bit registers the same way.
 *
 * Invariants: a model implements only the roles it has (a GPIO port is not `Clocked`, a
 * backup SRAM raises no interrupt); a model never decides faults (the `Bus` does) and never
 * throws on an in-range register access; nothing here reads the wall clock or
 * `Math.random`, and nothing here allocates per access.
 *
 * Must never: import anything outside `bus/` and `toolchain/abi`; call back into the kernel
 * synchronously with a *completion* (completions are reported through a registered client,
 * from `advanceTo`, never from inside the request that started the work).
 */

/** Width of one register access, in bytes. */
export type AccessWidth = 1 | 2 | 4;

/**
 * A block of memory-mapped registers.
 *
 * `offset` is relative to the device's base and is always `< size` when the `Bus` calls it.
 * Registers are 32-bit words at 4-aligned offsets. A narrower access addresses byte lanes
 * of one word (little-endian): a read returns those lanes of the word (the word's read side
 * effects still happen, as on the real bus), a write changes only those lanes. An access
 * whose offset is not a multiple of its width, or that names no register, reads 0 and is
 * ignored on write: the device never throws, because whether such an access is a fault is
 * the bus's decision, not the device's.
 */
export interface MmioDevice {
  /** Size of the register window in bytes. */
  readonly size: number;
  /** Reads `width` bytes at `offset`; returns an unsigned value. */
  read(offset: number, width: AccessWidth): number;
  /** Writes the low `width` bytes of `value` at `offset`. */
  write(offset: number, width: AccessWidth, value: number): void;
}

/**
 * A model whose state changes with virtual time.
 *
 * Protocol (the kernel's side): `advanceTo` is called with monotonically non-decreasing
 * cycles; before any register access or control call made "at" cycle C, the model has been
 * advanced to C; and the kernel never lets a task run past `nextEventCycle()` without
 * advancing, so an event programmed for cycle E takes effect at exactly E. A model that is
 * advanced past several of its events anyway processes them in order, each at its own cycle.
 */
export interface Clocked {
  /** The next cycle at which this model changes state on its own; `Infinity` if none. */
  nextEventCycle(): number;
  /** Processes every event up to and including `cycle`, then sits at `cycle`. */
  advanceTo(cycle: number): void;
}

/** Read-only access to the current virtual cycle (the kernel's, through the `BusClock`). */
export interface CycleClock {
  now(): number;
}

/**
 * One interrupt request wire from a device to the interrupt controller.
 *
 * Lines are level-sensitive: a device calls `set(true)` while its request condition holds
 * (e.g. RXNE && RXNEIE) and `set(false)` when software clears it. `pulse()` is an edge
 * (an external-interrupt edge detector such as a button's): it latches a pending request
 * without holding the level.
 */
export interface InterruptLine {
  set(level: boolean): void;
  pulse(): void;
}

/** A line that goes nowhere: for models built without an interrupt (tests, unwired devices). */
export const DISCONNECTED_LINE: InterruptLine = Object.freeze({
  set(_level: boolean): void { /* nothing listens */ },
  pulse(): void { /* nothing listens */ },
});

/** A model that drives interrupt lines; lets tools ask a device what it is requesting. */
export interface InterruptSource {
  /** Number of interrupt outputs of the model (index 0 .. count-1). */
  readonly interruptCount: number;
  /** Whether output `index` is currently requesting (its level, before any mask). */
  isInterruptAsserted(index: number): boolean;
}

/** Receives pin and interrupt-line changes, stamped with the virtual cycle (waveforms). */
export interface SignalObserver {
  /** A GPIO pin's level changed. `port` is the GPIO controller index (0 = gpioa). */
  pinChanged(port: number, pin: number, level: boolean, cycle: number): void;
  /** An interrupt line's request (level or latched pending) changed. */
  irqChanged(line: number, asserted: boolean, cycle: number): void;
}

/** Where random words come from (the kernel passes its seeded entropy device). */
export interface RandomSource {
  /** Next unsigned 32-bit value. */
  next32(): number;
}

/** A DMA endpoint: a shared memory or a device, by table id (same shape as the board's). */
export interface DmaEndpoint {
  readonly kind: 'shm' | 'device';
  readonly id: number;
}

/**
 * The kernel's side of DMA data movement: the controller decides *when* and *how many*
 * bytes move, the kernel decides *where* they live (SHM canonical copies, device ports).
 *
 * `copy` moves `length` bytes from `source` at `sourceOffset` to `dest` at `destOffset`
 * (offsets from the endpoint's start) and returns false when it cannot (out of the
 * endpoint's bounds, a device that refuses): the controller then reports a transfer error.
 */
export interface DmaMemory {
  copy(source: DmaEndpoint, sourceOffset: number, dest: DmaEndpoint, destOffset: number, length: number): boolean;
}

/**
 * The data path of a device that can be a DMA endpoint (the kernel's `DmaMemory` delegates
 * device-side bytes to it). Offsets are from the device's data area. Returns false when
 * the range is outside the device, and then moves nothing.
 */
export interface DmaPort {
  dmaRead(offset: number, into: Uint8Array, intoOffset: number, length: number): boolean;
  dmaWrite(offset: number, from: Uint8Array, fromOffset: number, length: number): boolean;
}

// ---------------------------------------------------------------------------------------
// Byte-lane helpers. Every model stores 32-bit registers; these turn an (offset, width)
// access into the word's lane mask, so each model has exactly one read and one write path.
// ---------------------------------------------------------------------------------------

/** True when `offset` is a multiple of `width` (the only accesses a model honours). */
export function isAligned(offset: number, width: AccessWidth): boolean {
  return (offset & (width - 1)) === 0;
}

/** The lanes of the 32-bit word touched by an aligned access, as a bit mask (unsigned). */
export function laneMask(offset: number, width: AccessWidth): number {
  // width 4 → 0xffffffff, 2 → 0xffff << 0|16, 1 → 0xff << 0|8|16|24
  return width === 4 ? 0xffffffff : ((width === 2 ? 0xffff : 0xff) << ((offset & 3) * 8)) >>> 0;
}

/** Extracts an aligned access's lanes from a word read at `offset & ~3`. */
export function extractLanes(word: number, offset: number, width: AccessWidth): number {
  if (width === 4) return word >>> 0;
  return (word >>> ((offset & 3) * 8)) & (width === 2 ? 0xffff : 0xff);
}

/** Places the low `width` bytes of `value` in the lanes an aligned access at `offset` touches. */
export function placeLanes(value: number, offset: number, width: AccessWidth): number {
  if (width === 4) return value >>> 0;
  return ((value & (width === 2 ? 0xffff : 0xff)) << ((offset & 3) * 8)) >>> 0;
}

/** A storage register's new value after a lane write: untouched lanes keep their bits. */
export function mergeLanes(old: number, value: number, mask: number): number {
  return ((old & ~mask) | (value & mask)) >>> 0;
}
