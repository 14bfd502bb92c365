/**
 * Random number generator model: STM32-style CR/SR/DR, fed by the kernel's seeded entropy.
 *
 * Owns the enable and interrupt-enable bits, the data-ready flag, the one word waiting in
 * DR, and the cycle at which the next word will be ready. A word is drawn from the
 * `RandomSource` at the cycle it becomes ready (so the draw order, hence the values, are
 * fixed by virtual time alone), `RNG_CYCLES_PER_WORD` cycles after RNGEN is set or after
 * the previous word was read.
 *
 * Invariants: DRDY=1 iff DR holds an unread word; a word is produced only while RNGEN=1;
 * the line is high iff DRDY && IE. No seed or clock error is ever modelled (SR.CECS/SECS
 * and CEIS/SEIS read 0): the source cannot fail.
 *
 * Must never: use Math.random or the wall clock; hand out the same word twice.
 */

import {
  type AccessWidth, type Clocked, type InterruptLine, type InterruptSource, type MmioDevice, type RandomSource,
  extractLanes, isAligned, laneMask, mergeLanes, placeLanes,
} from '../device-model.js';

/** Register offsets (bytes). */
export const enum RngReg {
  Cr = 0x00,
  Sr = 0x04,
  Dr = 0x08,
}

/** CR bits. */
export const enum RngCr {
  Rngen = 1 << 2,
  Ie = 1 << 3,
}

/** SR.DRDY. */
export const RNG_DRDY = 1;

/**
 * Cycles to produce one word: the real part needs about 42 periods of its 48 MHz kernel
 * clock per word, about 56 core cycles at 64 MHz; rounded up to 64 so that software that
 * polls DRDY really waits.
 */
export const RNG_CYCLES_PER_WORD = 64;

/** Size of the register window (the memory map's 1 KiB slot). */
export const RNG_WINDOW_SIZE = 0x400;

/** The random number generator: words from the kernel's seeded source, on a fixed schedule. */
export class Rng implements MmioDevice, Clocked, InterruptSource {
  readonly size = RNG_WINDOW_SIZE;
  readonly interruptCount = 1;

  private cr = 0;
  private drdy = false;
  private dr = 0;
  private readyAt = Infinity;
  private cycle = 0;
  private level = false;

  constructor(readonly name: string, private readonly line: InterruptLine, private readonly source: RandomSource) {}

  isInterruptAsserted(index: number): boolean { return index === 0 && this.level; }

  nextEventCycle(): number { return this.readyAt; }

  advanceTo(cycle: number): void {
    if (this.readyAt <= cycle) {
      this.dr = this.source.next32() >>> 0;
      this.drdy = true;
      this.readyAt = Infinity;
      this.updateIrq();
    }
    this.cycle = cycle;
  }

  read(offset: number, width: AccessWidth): number {
    if (!isAligned(offset, width)) return 0;
    let word: number;
    switch (offset & ~3) {
      case RngReg.Cr: word = this.cr; break;
      case RngReg.Sr: word = this.drdy ? RNG_DRDY : 0; break;
      case RngReg.Dr: word = this.readDr(); break;
      default: word = 0;
    }
    return extractLanes(word, offset, width);
  }

  write(offset: number, width: AccessWidth, value: number): void {
    if (!isAligned(offset, width)) return;
    if ((offset & ~3) !== RngReg.Cr) return; // SR and DR are read-only
    const mask = laneMask(offset, width);
    const next = mergeLanes(this.cr, placeLanes(value, offset, width), mask) & (RngCr.Rngen | RngCr.Ie);
    const wasOn = (this.cr & RngCr.Rngen) !== 0;
    this.cr = next;
    const isOn = (next & RngCr.Rngen) !== 0;
    if (!wasOn && isOn) {
      this.readyAt = this.cycle + RNG_CYCLES_PER_WORD;
    } else if (wasOn && !isOn) {
      // Disabling drops the waiting word and stops production.
      this.drdy = false;
      this.readyAt = Infinity;
    }
    this.updateIrq();
  }

  /** DR read: the waiting word, and production of the next; 0 when nothing is ready. */
  private readDr(): number {
    if (!this.drdy) return 0;
    const value = this.dr;
    this.drdy = false;
    this.dr = 0;
    if ((this.cr & RngCr.Rngen) !== 0) this.readyAt = this.cycle + RNG_CYCLES_PER_WORD;
    this.updateIrq();
    return value;
  }

  private updateIrq(): void {
    const level = this.drdy && (this.cr & RngCr.Ie) !== 0;
    if (level !== this.level) {
      this.level = level;
      this.line.set(level);
    }
  }
}
