/**
 * The interrupt controller: 128 lines, each with a level, a pending latch and a mask.
 *
 * Owns the per-line state the IRQ syscalls act on (spec §4.9) and tells the kernel, through
 * one registered client, when a line becomes *deliverable* (pending and unmasked). Delivery
 * itself is the kernel's job and is deferred: the client records the line and returns; the
 * kernel masks it, acknowledges it and queues the event when it next runs its loop.
 *
 * Semantics (level-sensitive with a latch, like an NVIC in front of level peripherals):
 * - a rising level, or a `pulse()`, latches `pending`;
 * - `acknowledge` clears the latch (the device may still be asserting: see `unmask`);
 * - `unmask` re-latches `pending` if the level is still high, so a device that was not
 *   serviced interrupts again, and one that was serviced does not interrupt spuriously;
 * - every line starts masked (spec §4.9: "lines are initially masked").
 * The client's `onRaise(line)` is called exactly when `pending && !masked` turns true.
 *
 * Must never: call the client for a line that is masked; allocate after construction; read
 * the wall clock (observer stamps come from the `CycleClock` the kernel passes).
 */

import type { CycleClock, InterruptLine, SignalObserver } from './device-model.js';

/** Number of lines: enough for every STM32U5 interrupt number (the board uses up to 80). */
export const INTERRUPT_LINE_COUNT = 128;

/** The kernel's receiver for "this line is now deliverable". */
export interface InterruptClient {
  /** Called from inside a device access or `advanceTo`: record the line and return. */
  onRaise(line: number): void;
}

const WORDS = INTERRUPT_LINE_COUNT / 32;

/** One preallocated wire object per line: devices hold it, calls cost no allocation. */
class ControllerLine implements InterruptLine {
  constructor(private readonly controller: InterruptController, private readonly number: number) {}
  set(level: boolean): void { this.controller.setLevel(this.number, level); }
  pulse(): void { this.controller.pulse(this.number); }
}

/** 128 level/pending/mask lines with one deferred-delivery client; see the file header for the semantics. */
export class InterruptController {
  // One bit per line, 4 words each. A set bit in `masked` means the line cannot be delivered.
  private readonly level = new Uint32Array(WORDS);
  private readonly pending = new Uint32Array(WORDS);
  private readonly masked = new Uint32Array(WORDS).fill(0xffffffff);
  private readonly lines: readonly ControllerLine[];
  private client: InterruptClient | undefined;
  private observer: SignalObserver | undefined;

  constructor(private readonly clock: CycleClock) {
    const lines: ControllerLine[] = [];
    for (let i = 0; i < INTERRUPT_LINE_COUNT; i++) lines.push(new ControllerLine(this, i));
    this.lines = lines;
  }

  /** Registers the kernel's receiver (one client; a second call replaces the first). */
  setClient(client: InterruptClient | undefined): void { this.client = client; }

  /** Registers a waveform observer, or removes it with `undefined`. */
  setObserver(observer: SignalObserver | undefined): void { this.observer = observer; }

  /** The wire for `line`, to hand to a device at construction. Throws for a bad number (wiring bug). */
  line(line: number): InterruptLine {
    const wire = this.lines[line];
    if (wire === undefined || !Number.isInteger(line)) throw new RangeError(`interrupt line ${line} outside 0..${INTERRUPT_LINE_COUNT - 1}`);
    return wire;
  }

  /** Device side: the line's level. A rising level latches `pending`. */
  setLevel(line: number, level: boolean): void {
    if (!isLine(line)) return;
    const w = line >>> 5;
    const bit = 1 << (line & 31);
    const wasAsserted = this.isAsserted(line);
    if (level) {
      if ((this.level[w]! & bit) !== 0) return;
      this.level[w]! |= bit;
      this.latch(w, bit, line);
    } else {
      if ((this.level[w]! & bit) === 0) return;
      this.level[w]! &= ~bit;
    }
    this.report(line, wasAsserted);
  }

  /** Device side: an edge; latches `pending` without holding the level. */
  pulse(line: number): void {
    if (!isLine(line)) return;
    const wasAsserted = this.isAsserted(line);
    this.latch(line >>> 5, 1 << (line & 31), line);
    this.report(line, wasAsserted);
  }

  /** Masks the line: it stays pending but is not delivered. False for a bad number. */
  mask(line: number): boolean {
    if (!isLine(line)) return false;
    this.masked[line >>> 5]! |= 1 << (line & 31);
    return true;
  }

  /**
   * Unmasks the line. If the device still holds the level, the request is latched again,
   * and a pending request is announced to the client at once. False for a bad number.
   */
  unmask(line: number): boolean {
    if (!isLine(line)) return false;
    const w = line >>> 5;
    const bit = 1 << (line & 31);
    if ((this.masked[w]! & bit) === 0) return true;
    this.masked[w]! &= ~bit;
    const wasAsserted = this.isAsserted(line);
    if ((this.level[w]! & bit) !== 0) this.pending[w]! |= bit;
    this.report(line, wasAsserted);
    if ((this.pending[w]! & bit) !== 0) this.client?.onRaise(line);
    return true;
  }

  /** Clears the pending latch (the level, if still high, is re-latched at `unmask`). */
  acknowledge(line: number): boolean {
    if (!isLine(line)) return false;
    const wasAsserted = this.isAsserted(line);
    this.pending[line >>> 5]! &= ~(1 << (line & 31));
    this.report(line, wasAsserted);
    return true;
  }

  isPending(line: number): boolean {
    return isLine(line) && (this.pending[line >>> 5]! & (1 << (line & 31))) !== 0;
  }

  isMasked(line: number): boolean {
    return !isLine(line) || (this.masked[line >>> 5]! & (1 << (line & 31))) !== 0;
  }

  /** The device's level on the line (independent of the latch and the mask). */
  isLevelHigh(line: number): boolean {
    return isLine(line) && (this.level[line >>> 5]! & (1 << (line & 31))) !== 0;
  }

  /** Level or latch: what a waveform shows as the line's request. */
  isAsserted(line: number): boolean {
    if (!isLine(line)) return false;
    const w = line >>> 5;
    return ((this.level[w]! | this.pending[w]!) & (1 << (line & 31))) !== 0;
  }

  /** Lowest line that is pending and unmasked, or -1: a polling alternative to the client. */
  nextDeliverable(): number {
    for (let w = 0; w < WORDS; w++) {
      const ready = this.pending[w]! & ~this.masked[w]!;
      if (ready !== 0) return w * 32 + (31 - Math.clz32(ready & -ready));
    }
    return -1;
  }

  private latch(w: number, bit: number, line: number): void {
    if ((this.pending[w]! & bit) !== 0) return;
    this.pending[w]! |= bit;
    // Announce only a transition to deliverable: a masked line waits for `unmask`.
    if ((this.masked[w]! & bit) === 0) this.client?.onRaise(line);
  }

  private report(line: number, wasAsserted: boolean): void {
    if (this.observer === undefined) return;
    const asserted = this.isAsserted(line);
    if (asserted !== wasAsserted) this.observer.irqChanged(line, asserted, this.clock.now());
  }
}

function isLine(line: number): boolean {
  // `>>> 0 ===` rejects negatives, fractions and NaN in one comparison.
  return line >>> 0 === line && line < INTERRUPT_LINE_COUNT;
}
