/**
 * General-purpose timer model: an STM32-style up-counter (CR1/DIER/SR/EGR/CNT/PSC/ARR).
 *
 * Owns the counter, its prescaler, the update flag and one interrupt line. The counter is
 * clocked at the nominal frequency (one prescaler tick per cycle) and is never stepped: it
 * is kept as an *anchor* (cycle, count, prescaler phase) from which the count at any later
 * cycle is computed, and the next update event is computed in closed form. With the
 * counter running from 0, the first update falls at exactly
 *     anchor + (PSC + 1) × (ARR + 1)
 * and every (PSC + 1) × (ARR + 1) cycles after that (e.g. PSC=63, ARR=999: every 64 000).
 *
 * Update event: CNT → 0, prescaler phase → 0, buffered PSC/ARR loaded, SR.UIF set, the line
 * raised if DIER.UIE, and with CR1.OPM the counter stops (CEN cleared).
 *
 * Deliberate simplification: PSC (always) and ARR (with ARPE) are buffered until the next
 * update *while the counter runs*; written while it is stopped they take effect at once
 * (a PSC write then also restarts the prescaler phase at 0), so enabling a freshly
 * programmed timer needs no EGR.UG first, and its first update falls a full period after
 * the enable, which is what a driver author expects.
 *
 * Invariants: while enabled and ARR ≠ 0, `nextUpdate` is the exact cycle of the next update
 * and lies after the current cycle; `cycle` is the last cycle advanced to, and register
 * accesses act at that cycle. ARR = 0 blocks the counter (STM32 rule): no count, no update.
 *
 * Must never: let an update fire at any cycle other than its programmed one; allocate.
 */

import {
  type AccessWidth, type Clocked, type InterruptLine, type InterruptSource, type MmioDevice,
  extractLanes, isAligned, laneMask, mergeLanes, placeLanes,
} from '../device-model.js';

/** Register offsets (bytes). */
export const enum TimerReg {
  Cr1 = 0x00,
  Dier = 0x0c,
  Sr = 0x10,
  Egr = 0x14,
  Cnt = 0x24,
  Psc = 0x28,
  Arr = 0x2c,
}

/** CR1 bits. */
export const enum TimerCr1 {
  /** Counter enable. */
  Cen = 1 << 0,
  /** Update request source: when set, EGR.UG does not set UIF. */
  Urs = 1 << 2,
  /** One-pulse mode: the counter stops at the next update. */
  Opm = 1 << 3,
  /** Auto-reload preload: ARR writes wait for the next update. */
  Arpe = 1 << 7,
}

/** DIER.UIE: raise the line while UIF is set. */
export const TIMER_UIE = 1;
/** SR.UIF: an update event happened (write 0 to clear). */
export const TIMER_UIF = 1;
/** EGR.UG: generate an update event now. */
export const TIMER_UG = 1;

/** Size of the register window (the memory map's 1 KiB slot). */
export const TIMER_WINDOW_SIZE = 0x400;

const CR1_MASK = TimerCr1.Cen | TimerCr1.Urs | TimerCr1.Opm | TimerCr1.Arpe;

/** One general-purpose up-counting timer with an exact update event. */
export class Timer implements MmioDevice, Clocked, InterruptSource {
  readonly size = TIMER_WINDOW_SIZE;
  readonly interruptCount = 1;

  private readonly counterMax: number;
  private cr1 = 0;
  private dier = 0;
  private sr = 0;
  // Active and buffered prescaler / auto-reload values.
  private psc = 0;
  private pscBuffer = 0;
  private arr: number;
  private arrBuffer: number;
  // The anchor: at cycle `anchorCycle` the counter read `anchorCount` and the prescaler had
  // counted `anchorPhase` cycles of its current (PSC+1)-cycle period.
  private anchorCycle = 0;
  private anchorCount = 0;
  private anchorPhase = 0;
  private nextUpdate = Infinity;
  private cycle = 0;
  private level = false;
  /** Update events since construction (a debug counter). */
  updates = 0;

  /**
   * @param counterBits 32 for TIM2, 16 for TIM3 (the width of CNT and ARR)
   */
  constructor(readonly name: string, private readonly line: InterruptLine, readonly counterBits: 16 | 32 = 16) {
    this.counterMax = counterBits === 32 ? 0xffffffff : 0xffff;
    this.arr = this.counterMax; // reset value: all ones
    this.arrBuffer = this.counterMax;
  }

  isInterruptAsserted(index: number): boolean { return index === 0 && this.level; }

  /** Counter value at the current cycle. */
  get count(): number { return this.countAt(this.cycle); }

  /** Whether CR1.CEN is set. */
  get isRunning(): boolean { return (this.cr1 & TimerCr1.Cen) !== 0; }

  // ---- Clocked ----

  nextEventCycle(): number { return this.nextUpdate; }

  advanceTo(cycle: number): void {
    while (this.nextUpdate <= cycle) this.update(this.nextUpdate, true);
    this.cycle = cycle;
  }

  // ---- MMIO ----

  read(offset: number, width: AccessWidth): number {
    if (!isAligned(offset, width)) return 0;
    let word: number;
    switch (offset & ~3) {
      case TimerReg.Cr1: word = this.cr1; break;
      case TimerReg.Dier: word = this.dier; break;
      case TimerReg.Sr: word = this.sr; break;
      case TimerReg.Cnt: word = this.countAt(this.cycle); break;
      case TimerReg.Psc: word = this.pscBuffer; break;
      case TimerReg.Arr: word = this.arrBuffer; break;
      default: word = 0; // EGR is write-only; the rest is reserved
    }
    return extractLanes(word, offset, width);
  }

  write(offset: number, width: AccessWidth, value: number): void {
    if (!isAligned(offset, width)) return;
    const mask = laneMask(offset, width);
    const v = placeLanes(value, offset, width) & mask;
    switch (offset & ~3) {
      case TimerReg.Cr1: this.writeCr1(mergeLanes(this.cr1, v, mask) & CR1_MASK); break;
      case TimerReg.Dier: this.dier = mergeLanes(this.dier, v, mask) & TIMER_UIE; this.updateIrq(); break;
      case TimerReg.Sr:
        // rc_w0: writing 0 clears, writing 1 leaves the flag alone. Untouched lanes count as 1.
        this.sr &= v | ~mask;
        this.updateIrq();
        break;
      case TimerReg.Egr: if ((v & TIMER_UG) !== 0) this.update(this.cycle, (this.cr1 & TimerCr1.Urs) === 0); break;
      case TimerReg.Cnt: this.rebase(); this.anchorCount = mergeLanes(this.anchorCount, v, mask) & this.counterMax; this.schedule(); break;
      case TimerReg.Psc:
        this.pscBuffer = mergeLanes(this.pscBuffer, v, mask) & 0xffff;
        if (!this.isRunning) { this.psc = this.pscBuffer; this.anchorPhase = 0; }
        break;
      case TimerReg.Arr:
        this.arrBuffer = mergeLanes(this.arrBuffer, v, mask) & this.counterMax;
        if (!this.isRunning || (this.cr1 & TimerCr1.Arpe) === 0) {
          this.rebase();
          this.arr = this.arrBuffer;
          this.schedule();
        }
        break;
      default: break;
    }
  }

  private writeCr1(next: number): void {
    const wasRunning = this.isRunning;
    if (wasRunning) this.rebase();
    this.cr1 = next;
    if (!wasRunning && this.isRunning) {
      // Counting (re)starts now from the current CNT and phase.
      this.anchorCycle = this.cycle;
    }
    this.schedule();
  }

  /** Counter value at `cycle` (≥ anchor, before the next update). */
  private countAt(cycle: number): number {
    if (!this.isRunning || this.arr === 0) return this.anchorCount;
    const ticks = Math.floor((this.anchorPhase + cycle - this.anchorCycle) / (this.psc + 1));
    const span = this.counterMax + 1;
    return (this.anchorCount + ticks) % span;
  }

  /** Moves the anchor to the current cycle (before a change to count, PSC, ARR or CEN). */
  private rebase(): void {
    if (!this.isRunning || this.arr === 0) { this.anchorCycle = this.cycle; return; }
    const period = this.psc + 1;
    const elapsed = this.anchorPhase + this.cycle - this.anchorCycle;
    this.anchorCount = (this.anchorCount + Math.floor(elapsed / period)) % (this.counterMax + 1);
    this.anchorPhase = elapsed % period;
    this.anchorCycle = this.cycle;
  }

  /** Recomputes `nextUpdate` from the anchor. */
  private schedule(): void {
    if (!this.isRunning || this.arr === 0) { this.nextUpdate = Infinity; return; }
    // Counter ticks until the count would pass ARR. A count already above ARR (ARR lowered
    // under it, or CNT written above it) runs to the counter's maximum and wraps first.
    const ticks = this.anchorCount <= this.arr
      ? this.arr - this.anchorCount + 1
      : this.counterMax - this.anchorCount + 1 + this.arr + 1;
    this.nextUpdate = this.anchorCycle + ticks * (this.psc + 1) - this.anchorPhase;
  }

  /** An update event at `at`: from an overflow (advance) or from EGR.UG. */
  private update(at: number, setFlag: boolean): void {
    this.anchorCycle = at;
    this.anchorCount = 0;
    this.anchorPhase = 0;
    this.psc = this.pscBuffer;
    this.arr = this.arrBuffer;
    this.updates++;
    if (setFlag) this.sr |= TIMER_UIF;
    // One-pulse mode: any update event stops the counter (the STM32 rule, UG included).
    if ((this.cr1 & TimerCr1.Opm) !== 0) this.cr1 &= ~TimerCr1.Cen;
    this.schedule();
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = (this.dier & TIMER_UIE) !== 0 && (this.sr & TIMER_UIF) !== 0;
    if (level !== this.level) {
      this.level = level;
      this.line.set(level);
    }
  }
}
