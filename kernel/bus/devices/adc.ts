/**
 * Analog-to-digital converter model: 8 input channels, 12-bit single conversions in
 * virtual time, an end-of-conversion interrupt.
 *
 * Owns the analog inputs (set from outside by `setInput`, e.g. a scenario's
 * `5ms adc1 3 1234`), the STM32-style ISR/IER/CR registers, the channel selection, the
 * data register and the conversion in progress. Software selects a channel (CHSELR), sets
 * ADSTART; the input is sampled at that cycle (sample and hold) and the result reaches DR
 * `ADC_CONVERSION_CYCLES` later, with EOC set; reading DR clears EOC. A result that
 * arrives while EOC is still set (the previous one was never read) sets OVR and replaces
 * DR.
 *
 * Invariants: ADRDY = ADEN (the converter is ready at once: no stabilisation time); a
 * conversion is in progress iff ADSTART reads 1, and only while ADEN = 1; inputs and DR
 * hold 12-bit values; the line is high iff (EOC && EOCIE) || (OVR && OVRIE).
 *
 * Must never: report a result inside the ADSTART write (it comes from `advanceTo`); let an
 * input change reach a conversion already sampled; throw on any register access.
 */

import {
  type AccessWidth, type Clocked, type InterruptLine, type InterruptSource, type MmioDevice,
  extractLanes, isAligned, laneMask, mergeLanes, placeLanes,
} from '../device-model.js';

/** Register offsets (bytes). */
export const enum AdcReg {
  /** ADRDY 0 (ro), EOC 2, OVR 4; EOC and OVR are cleared by writing 1. */
  Isr = 0x00,
  /** EOCIE 2, OVRIE 4. */
  Ier = 0x04,
  /** ADEN 0, ADSTART 2. */
  Cr = 0x08,
  /** Bits 2:0: the channel the next conversion samples. */
  Chselr = 0x28,
  /** Bits 11:0: the last result (ro); reading it clears EOC. */
  Dr = 0x40,
}

/** ISR and IER bits (an IER bit enables the interrupt of the ISR bit at the same place). */
export const enum AdcIsr {
  Adrdy = 1 << 0,
  Eoc = 1 << 2,
  Ovr = 1 << 4,
}

/** CR bits. */
export const enum AdcCr {
  Aden = 1 << 0,
  Adstart = 1 << 2,
}

/** Analog inputs of the converter (CHSELR holds 0..7). */
export const ADC_CHANNELS = 8;

/** Largest result: 12-bit resolution. */
export const ADC_MAX_VALUE = 0xfff;

/**
 * Cycles from ADSTART to the result: the real part samples for 2.5 and converts for 12.5
 * cycles of its ADC clock, 60 core cycles with a 16 MHz ADC clock at 64 MHz; rounded to 64
 * (1 µs at the nominal frequency), so that a driver polling EOC really waits.
 */
export const ADC_CONVERSION_CYCLES = 64;

/** Size of the register window (the memory map's 1 KiB slot). */
export const ADC_WINDOW_SIZE = 0x400;

const ISR_CLEARABLE = AdcIsr.Eoc | AdcIsr.Ovr;
const IER_BITS = AdcIsr.Eoc | AdcIsr.Ovr;

/** The converter: inputs from outside, one conversion at a time, results in virtual time. */
export class Adc implements MmioDevice, Clocked, InterruptSource {
  readonly size = ADC_WINDOW_SIZE;
  readonly interruptCount = 1;

  private readonly inputs = new Uint16Array(ADC_CHANNELS);
  private enabled = false;
  /** EOC and OVR. */
  private flags = 0;
  private ier = 0;
  private channel = 0;
  private dr = 0;
  /** The value sampled by the conversion in progress. */
  private sample = 0;
  /** Cycle at which the conversion in progress ends; Infinity when none. */
  private doneAt = Infinity;
  private cycle = 0;
  private level = false;

  constructor(readonly name: string, private readonly line: InterruptLine) {}

  /**
   * Sets the level on one input (the outside world: a sensor, a scenario), as the code a
   * perfect conversion would give. False, and nothing changes, for a channel outside
   * 0..7 or a value outside 0..4095.
   */
  setInput(channel: number, value: number): boolean {
    if (!(channel >>> 0 === channel && channel < ADC_CHANNELS)) return false;
    if (!(value >>> 0 === value && value <= ADC_MAX_VALUE)) return false;
    this.inputs[channel] = value;
    return true;
  }

  /** The level on one input; 0 for a bad channel. */
  input(channel: number): number {
    return channel >>> 0 === channel && channel < ADC_CHANNELS ? this.inputs[channel]! : 0;
  }

  isInterruptAsserted(index: number): boolean { return index === 0 && this.level; }

  nextEventCycle(): number { return this.doneAt; }

  advanceTo(cycle: number): void {
    if (this.doneAt <= cycle) {
      if ((this.flags & AdcIsr.Eoc) !== 0) this.flags |= AdcIsr.Ovr;
      this.flags |= AdcIsr.Eoc;
      this.dr = this.sample;
      this.doneAt = Infinity;
      this.updateIrq();
    }
    this.cycle = cycle;
  }

  read(offset: number, width: AccessWidth): number {
    if (!isAligned(offset, width)) return 0;
    let word: number;
    switch (offset & ~3) {
      case AdcReg.Isr: word = this.flags | (this.enabled ? AdcIsr.Adrdy : 0); break;
      case AdcReg.Ier: word = this.ier; break;
      case AdcReg.Cr: word = (this.enabled ? AdcCr.Aden : 0) | (this.doneAt !== Infinity ? AdcCr.Adstart : 0); break;
      case AdcReg.Chselr: word = this.channel; break;
      case AdcReg.Dr: word = this.readDr(); break;
      default: word = 0;
    }
    return extractLanes(word, offset, width);
  }

  write(offset: number, width: AccessWidth, value: number): void {
    if (!isAligned(offset, width)) return;
    const mask = laneMask(offset, width);
    const bits = placeLanes(value, offset, width) & mask;
    switch (offset & ~3) {
      case AdcReg.Isr:
        // Write 1 to clear; ADRDY follows ADEN and is not cleared this way.
        this.flags &= ~(bits & ISR_CLEARABLE);
        break;
      case AdcReg.Ier:
        this.ier = mergeLanes(this.ier, bits, mask) & IER_BITS;
        break;
      case AdcReg.Cr:
        this.writeCr(mergeLanes(this.enabled ? AdcCr.Aden : 0, bits, mask), (mask & AdcCr.Adstart) !== 0 && (bits & AdcCr.Adstart) !== 0);
        break;
      case AdcReg.Chselr:
        if ((mask & 0xff) !== 0) this.channel = bits & (ADC_CHANNELS - 1);
        break;
      default:
        break; // DR is read-only; other offsets name no register
    }
    this.updateIrq();
  }

  /** ADEN from `cr`; `start` when ADSTART was written 1 (writing 0 does nothing, as on the part). */
  private writeCr(cr: number, start: boolean): void {
    const enable = (cr & AdcCr.Aden) !== 0;
    if (!enable) {
      // Disabling stops a conversion in progress: no result comes.
      this.enabled = false;
      this.doneAt = Infinity;
      return;
    }
    this.enabled = true;
    if (start && this.doneAt === Infinity) {
      this.sample = this.inputs[this.channel]!;
      this.doneAt = this.cycle + ADC_CONVERSION_CYCLES;
    }
  }

  /** DR read: the last result; clears EOC. */
  private readDr(): number {
    this.flags &= ~AdcIsr.Eoc;
    this.updateIrq();
    return this.dr;
  }

  private updateIrq(): void {
    const level = (this.flags & this.ier) !== 0;
    if (level !== this.level) {
      this.level = level;
      this.line.set(level);
    }
  }
}
