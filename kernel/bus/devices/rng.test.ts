/**
 * Tests — RNG: words from the seeded source on a fixed schedule, DRDY interrupt, disable.
 */

import { describe, expect, it } from 'vitest';
import { Rng, RngCr, RngReg, RNG_CYCLES_PER_WORD, RNG_DRDY } from './rng.js';
import { InterruptController } from '../interrupt-controller.js';
import { BusClock } from '../bus-clock.js';

function setup() {
  const clock = new BusClock();
  const ic = new InterruptController(clock);
  const raised: number[] = [];
  ic.setClient({ onRaise: () => raised.push(clock.now()) });
  let n = 0xfffffff0;
  const rng = new Rng('rng', ic.line(80), { next32: () => (n = (n + 1) >>> 0) });
  clock.register(rng);
  ic.unmask(80);
  return { clock, rng, raised, ic };
}

describe('Rng', () => {
  it('produces words from the seeded source, DRDY a fixed number of cycles after enable and after each read', () => {
    const { clock, rng, raised } = setup();
    clock.advanceTo(100);
    rng.write(RngReg.Cr, 4, RngCr.Rngen | RngCr.Ie);
    expect(rng.read(RngReg.Sr, 4)).toBe(0);
    expect(rng.read(RngReg.Dr, 4)).toBe(0); // nothing ready: 0, nothing consumed
    expect(clock.nextEventCycle()).toBe(100 + RNG_CYCLES_PER_WORD);
    clock.advanceTo(100 + RNG_CYCLES_PER_WORD);
    expect(rng.read(RngReg.Sr, 4)).toBe(RNG_DRDY);
    expect(raised).toEqual([164]);
    expect(rng.read(RngReg.Dr, 4)).toBe(0xfffffff1);
    expect(rng.read(RngReg.Sr, 4)).toBe(0);
    clock.advanceTo(1000);
    expect(rng.read(RngReg.Dr, 4)).toBe(0xfffffff2);
  });

  it('disabling drops the waiting word and stops production', () => {
    const { clock, rng, ic } = setup();
    rng.write(RngReg.Cr, 4, RngCr.Rngen | RngCr.Ie);
    clock.advanceTo(64);
    expect(ic.isLevelHigh(80)).toBe(true);
    rng.write(RngReg.Cr, 4, 0);
    expect(ic.isLevelHigh(80)).toBe(false);
    expect(rng.read(RngReg.Sr, 4)).toBe(0);
    expect(rng.nextEventCycle()).toBe(Infinity);
  });
});
