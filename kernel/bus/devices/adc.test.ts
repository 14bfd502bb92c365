/**
 * Tests — ADC: a conversion samples its channel at ADSTART and reports at a fixed cycle,
 * EOC/OVR flags and interrupt, inputs from outside, disable, narrow accesses.
 */

import { describe, expect, it } from 'vitest';
import { Adc, AdcCr, AdcIsr, AdcReg, ADC_CONVERSION_CYCLES } from './adc.js';
import { InterruptController } from '../interrupt-controller.js';
import { BusClock } from '../bus-clock.js';

function setup() {
  const clock = new BusClock();
  const ic = new InterruptController(clock);
  const raised: number[] = [];
  ic.setClient({ onRaise: () => raised.push(clock.now()) });
  const adc = new Adc('adc1', ic.line(19));
  clock.register(adc);
  ic.unmask(19);
  return { clock, adc, raised, ic };
}

/** Selects `channel` and starts a conversion. */
function convert(adc: Adc, channel: number): void {
  adc.write(AdcReg.Chselr, 4, channel);
  adc.write(AdcReg.Cr, 4, AdcCr.Aden | AdcCr.Adstart);
}

describe('Adc', () => {
  it('converts the selected channel: the result and EOC come exactly ADC_CONVERSION_CYCLES after ADSTART', () => {
    const { clock, adc, raised } = setup();
    expect(adc.setInput(3, 1234)).toBe(true);
    adc.write(AdcReg.Ier, 4, AdcIsr.Eoc);
    clock.advanceTo(100);
    convert(adc, 3);
    expect(adc.read(AdcReg.Cr, 4)).toBe(AdcCr.Aden | AdcCr.Adstart);
    expect(adc.read(AdcReg.Isr, 4)).toBe(AdcIsr.Adrdy);
    expect(clock.nextEventCycle()).toBe(100 + ADC_CONVERSION_CYCLES);
    clock.advanceTo(100 + ADC_CONVERSION_CYCLES - 1);
    expect(adc.read(AdcReg.Isr, 4) & AdcIsr.Eoc).toBe(0);
    expect(raised).toEqual([]);
    clock.advanceTo(100 + ADC_CONVERSION_CYCLES);
    expect(raised).toEqual([100 + ADC_CONVERSION_CYCLES]);
    expect(adc.read(AdcReg.Isr, 4)).toBe(AdcIsr.Adrdy | AdcIsr.Eoc);
    expect(adc.read(AdcReg.Cr, 4)).toBe(AdcCr.Aden);
    expect(adc.read(AdcReg.Dr, 4)).toBe(1234);
    // reading DR cleared EOC and dropped the line
    expect(adc.read(AdcReg.Isr, 4)).toBe(AdcIsr.Adrdy);
    expect(adc.isInterruptAsserted(0)).toBe(false);
    expect(clock.nextEventCycle()).toBe(Infinity);
  });

  it('samples at ADSTART: an input change during the conversion reaches the next one only', () => {
    const { clock, adc } = setup();
    adc.setInput(5, 100);
    convert(adc, 5);
    clock.advanceTo(10);
    adc.setInput(5, 4095);
    clock.advanceTo(ADC_CONVERSION_CYCLES);
    expect(adc.read(AdcReg.Dr, 4)).toBe(100);
    convert(adc, 5);
    clock.advanceTo(2 * ADC_CONVERSION_CYCLES);
    expect(adc.read(AdcReg.Dr, 4)).toBe(4095);
  });

  it('a result that arrives before the last one was read sets OVR and replaces DR; ISR bits clear by writing 1', () => {
    const { clock, adc, ic } = setup();
    adc.setInput(0, 7);
    adc.setInput(1, 8);
    adc.write(AdcReg.Ier, 4, AdcIsr.Ovr);
    convert(adc, 0);
    clock.advanceTo(ADC_CONVERSION_CYCLES);
    expect(ic.isLevelHigh(19)).toBe(false); // EOC is not enabled, OVR is
    convert(adc, 1);
    clock.advanceTo(2 * ADC_CONVERSION_CYCLES);
    expect(adc.read(AdcReg.Isr, 4)).toBe(AdcIsr.Adrdy | AdcIsr.Eoc | AdcIsr.Ovr);
    expect(ic.isLevelHigh(19)).toBe(true);
    adc.write(AdcReg.Isr, 4, AdcIsr.Ovr | AdcIsr.Adrdy);
    expect(adc.read(AdcReg.Isr, 4)).toBe(AdcIsr.Adrdy | AdcIsr.Eoc);
    expect(ic.isLevelHigh(19)).toBe(false);
    expect(adc.read(AdcReg.Dr, 4)).toBe(8);
  });

  it('ADSTART is ignored while disabled or converting; clearing ADEN abandons the conversion', () => {
    const { clock, adc } = setup();
    adc.setInput(2, 55);
    adc.write(AdcReg.Chselr, 4, 2);
    adc.write(AdcReg.Cr, 4, AdcCr.Adstart);
    expect(adc.read(AdcReg.Cr, 4)).toBe(0);
    expect(clock.nextEventCycle()).toBe(Infinity);
    adc.write(AdcReg.Cr, 4, AdcCr.Aden | AdcCr.Adstart);
    clock.advanceTo(20);
    adc.write(AdcReg.Cr, 4, AdcCr.Aden | AdcCr.Adstart); // already converting: same end
    expect(clock.nextEventCycle()).toBe(ADC_CONVERSION_CYCLES);
    adc.write(AdcReg.Cr, 4, AdcCr.Aden); // writing ADSTART = 0 does not stop it
    expect(clock.nextEventCycle()).toBe(ADC_CONVERSION_CYCLES);
    adc.write(AdcReg.Cr, 4, 0);
    expect(adc.read(AdcReg.Isr, 4)).toBe(0);
    clock.advanceTo(1000);
    expect(adc.read(AdcReg.Isr, 4)).toBe(0);
    expect(adc.read(AdcReg.Dr, 4)).toBe(0);
  });

  it('refuses inputs outside 8 channels or 12 bits; CHSELR keeps 3 bits; narrow accesses act on their lanes only', () => {
    const { clock, adc } = setup();
    expect(adc.setInput(8, 1)).toBe(false);
    expect(adc.setInput(-1, 1)).toBe(false);
    expect(adc.setInput(0, 4096)).toBe(false);
    expect(adc.setInput(0, 1.5)).toBe(false);
    expect(adc.input(0)).toBe(0);
    adc.write(AdcReg.Chselr, 4, 0xff);
    expect(adc.read(AdcReg.Chselr, 4)).toBe(7);
    adc.write(AdcReg.Chselr + 1, 1, 0);
    expect(adc.read(AdcReg.Chselr, 4)).toBe(7);
    adc.setInput(7, 0xabc);
    adc.write(AdcReg.Cr, 1, AdcCr.Aden | AdcCr.Adstart);
    clock.advanceTo(ADC_CONVERSION_CYCLES);
    expect(adc.read(AdcReg.Dr + 1, 1)).toBe(0x0a);
    expect(adc.read(AdcReg.Dr, 2)).toBe(0xabc);
    expect(adc.read(AdcReg.Dr + 1, 2)).toBe(0); // misaligned: 0, no effect
    expect(adc.read(0x3fc, 4)).toBe(0);
  });
});
