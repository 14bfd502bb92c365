/**
 * Tests — Timer: reset values, exact update cycles, exact CNT, one-pulse, buffering, UG/URS, byte lanes.
 */

import { describe, expect, it } from 'vitest';
import { Timer, TimerCr1, TimerReg, TIMER_UIE, TIMER_UIF, TIMER_UG } from './timer.js';
import { InterruptController } from '../interrupt-controller.js';
import { BusClock } from '../bus-clock.js';

const IRQ = 28;

function setup(bits: 16 | 32 = 32) {
  const clock = new BusClock();
  const ic = new InterruptController(clock);
  const raised: number[] = [];
  ic.setClient({ onRaise: (line) => raised.push(clock.now()) });
  const tim = new Timer('tim2', ic.line(IRQ), bits);
  clock.register(tim);
  return { clock, ic, tim, raised };
}

describe('Timer', () => {
  it('resets to the documented values', () => {
    const { tim } = setup(32);
    expect(tim.read(TimerReg.Cr1, 4)).toBe(0);
    expect(tim.read(TimerReg.Arr, 4)).toBe(0xffffffff);
    expect(new Timer('tim3', { set: () => undefined, pulse: () => undefined }).read(TimerReg.Arr, 4)).toBe(0xffff);
    expect(tim.read(TimerReg.Cnt, 4)).toBe(0);
    expect(tim.nextEventCycle()).toBe(Infinity);
  });

  it('fires the update at exactly enable + (PSC+1)(ARR+1), then every period (PSC=63, ARR=999 at 64 MHz)', () => {
    const { clock, ic, tim, raised } = setup();
    ic.unmask(IRQ);
    clock.advanceTo(1000);
    tim.write(TimerReg.Psc, 4, 63);
    tim.write(TimerReg.Arr, 4, 999);
    tim.write(TimerReg.Dier, 4, TIMER_UIE);
    tim.write(TimerReg.Cr1, 4, TimerCr1.Cen);
    expect(clock.nextEventCycle()).toBe(65_000);
    clock.advanceTo(64_999);
    expect(tim.read(TimerReg.Sr, 4)).toBe(0);
    expect(tim.read(TimerReg.Cnt, 4)).toBe(999); // 63 999 cycles / 64
    clock.advanceTo(65_000);
    expect(tim.read(TimerReg.Sr, 4)).toBe(TIMER_UIF);
    expect(tim.read(TimerReg.Cnt, 4)).toBe(0);
    expect(raised).toEqual([65_000]);
    ic.acknowledge(IRQ); // the kernel's delivery clears the latch
    // the handler clears UIF (rc_w0), the line drops; the next update is one period later
    tim.write(TimerReg.Sr, 4, 0);
    expect(ic.isLevelHigh(IRQ)).toBe(false);
    expect(clock.nextEventCycle()).toBe(129_000);
    clock.advanceTo(129_000);
    expect(raised).toEqual([65_000, 129_000]);
  });

  it('reads the exact count at the cycle last advanced to', () => {
    const { clock, tim } = setup();
    tim.write(TimerReg.Psc, 4, 9);
    tim.write(TimerReg.Arr, 4, 100);
    tim.write(TimerReg.Cr1, 4, TimerCr1.Cen);
    clock.advanceTo(9);
    expect(tim.read(TimerReg.Cnt, 4)).toBe(0);
    clock.advanceTo(10);
    expect(tim.read(TimerReg.Cnt, 4)).toBe(1);
    clock.advanceTo(1009);
    expect(tim.read(TimerReg.Cnt, 4)).toBe(100);
    clock.advanceTo(1010); // 101 ticks: update, back to 0
    expect(tim.read(TimerReg.Cnt, 4)).toBe(0);
    expect(tim.updates).toBe(1);
  });

  it('one-pulse mode stops at the update', () => {
    const { clock, tim } = setup();
    tim.write(TimerReg.Arr, 4, 49);
    tim.write(TimerReg.Cr1, 4, TimerCr1.Cen | TimerCr1.Opm);
    clock.advanceTo(1000);
    expect(tim.updates).toBe(1);
    expect(tim.read(TimerReg.Cr1, 4) & TimerCr1.Cen).toBe(0);
    expect(tim.nextEventCycle()).toBe(Infinity);
  });

  it('buffers PSC while running until the next update; ARR at once unless ARPE', () => {
    const { clock, tim } = setup();
    tim.write(TimerReg.Arr, 4, 99);
    tim.write(TimerReg.Cr1, 4, TimerCr1.Cen);
    clock.advanceTo(50);
    tim.write(TimerReg.Psc, 4, 1); // takes effect at the update at cycle 100
    expect(tim.nextEventCycle()).toBe(100);
    clock.advanceTo(100);
    expect(tim.nextEventCycle()).toBe(300);
    tim.write(TimerReg.Arr, 4, 9); // ARPE=0: now, count is 0 → update after 10 ticks of 2 cycles
    expect(tim.nextEventCycle()).toBe(120);
    tim.write(TimerReg.Cr1, 4, TimerCr1.Cen | TimerCr1.Arpe);
    tim.write(TimerReg.Arr, 4, 99); // buffered until the update at 120
    expect(tim.nextEventCycle()).toBe(120);
    clock.advanceTo(120);
    expect(tim.nextEventCycle()).toBe(320);
  });

  it('keeps the prescaler phase across a CNT write and wraps a count above ARR', () => {
    const { clock, tim } = setup(16);
    tim.write(TimerReg.Arr, 4, 9);
    tim.write(TimerReg.Cr1, 4, TimerCr1.Cen);
    clock.advanceTo(3);
    tim.write(TimerReg.Cnt, 4, 0xfffe); // above ARR: runs to 0xffff, wraps to 0, then 10 more ticks
    expect(tim.nextEventCycle()).toBe(3 + 2 + 10);
    clock.advanceTo(4);
    expect(tim.read(TimerReg.Cnt, 2)).toBe(0xffff);
  });

  it('EGR.UG reinitialises and sets UIF unless URS; ARR=0 blocks the counter', () => {
    const { clock, tim } = setup();
    tim.write(TimerReg.Arr, 4, 0);
    tim.write(TimerReg.Cr1, 4, TimerCr1.Cen);
    expect(tim.nextEventCycle()).toBe(Infinity);
    clock.advanceTo(10);
    tim.write(TimerReg.Egr, 4, TIMER_UG);
    expect(tim.read(TimerReg.Sr, 4)).toBe(TIMER_UIF);
    tim.write(TimerReg.Sr, 4, 0);
    tim.write(TimerReg.Cr1, 4, TimerCr1.Cen | TimerCr1.Urs);
    tim.write(TimerReg.Egr, 4, TIMER_UG);
    expect(tim.read(TimerReg.Sr, 4)).toBe(0);
  });

  it('honours byte-lane writes and clears SR only for lanes written with 0', () => {
    const { tim } = setup();
    tim.write(TimerReg.Arr, 4, 0);
    tim.write(TimerReg.Arr + 1, 1, 0x12);
    expect(tim.read(TimerReg.Arr, 4)).toBe(0x1200);
    tim.write(TimerReg.Egr, 4, TIMER_UG);
    tim.write(TimerReg.Sr + 1, 1, 0); // lane 1: UIF (lane 0) untouched
    expect(tim.read(TimerReg.Sr, 4)).toBe(TIMER_UIF);
    tim.write(TimerReg.Arr + 1, 2, 0xffff); // misaligned: ignored
    expect(tim.read(TimerReg.Arr, 4)).toBe(0x1200);
  });
});
