/**
 * Tests — VCD writer: exact expected documents, timescale choice, declaration rules.
 */

import { describe, expect, it } from 'vitest';
import { VcdWriter } from './vcd.js';
import { BusClock } from './bus-clock.js';
import { GpioPort, GpioMode, GpioPull } from './devices/gpio.js';
import { InterruptController } from './interrupt-controller.js';
import { Button } from './devices/button.js';

describe('VcdWriter', () => {
  it('records a toggled pin and an IRQ as an exact, reproducible document', () => {
    const clock = new BusClock();
    const vcd = new VcdWriter(64_000_000);
    vcd.addPin(0, 5, 'led0');
    vcd.addIrq(40, 'irq40');
    const gpioa = new GpioPort(0, clock);
    gpioa.setObserver(vcd);
    const ic = new InterruptController(clock);
    ic.setObserver(vcd);
    gpioa.configurePin(5, { mode: GpioMode.Output, af: 0, ppull: 0, speed: 0, pupdr: GpioPull.None });
    clock.advanceTo(64_000); // 1 ms
    gpioa.setPin(5, true);
    ic.line(40).pulse();
    clock.advanceTo(64_001);
    ic.acknowledge(40);
    clock.advanceTo(128_000);
    gpioa.setPin(5, false);
    expect(vcd.finish(192_000)).toBe([
      '$version Rampart virtual-time waveform $end',
      '$timescale 1 ps $end',
      '$scope module rampart $end',
      '$var wire 1 ! led0 $end',
      '$var wire 1 " irq40 $end',
      '$upscope $end',
      '$enddefinitions $end',
      '#0',
      '$dumpvars',
      '0!',
      '0"',
      '$end',
      '#1000000000',
      '1!',
      '1"',
      '#1000015625',
      '0"',
      '#2000000000',
      '0!',
      '#3000000000',
      '',
    ].join('\n'));
  });

  it('picks the largest exact timescale, and says when none is exact', () => {
    expect(new VcdWriter(100_000_000).timescale).toBe('10 ns');
    expect(new VcdWriter(1_000).timescale).toBe('1 ms');
    expect(new VcdWriter(64_000_000).isInexact).toBe(false);
    const w = new VcdWriter(48_000_000);
    expect(w.timescale).toBe('1 fs');
    expect(w.isInexact).toBe(true);
  });

  it('ignores undeclared signals and unchanged values; refuses late or bad declarations', () => {
    const vcd = new VcdWriter(1_000_000);
    vcd.addPin(2, 13, 'button0', true);
    expect(() => vcd.addPin(2, 13, 'again')).toThrow(/twice/);
    expect(() => vcd.addIrq(1, 'has space')).toThrow(/spaces/);
    vcd.pinChanged(0, 1, true, 5);
    vcd.pinChanged(2, 13, true, 6);
    expect(() => vcd.addIrq(3, 'late')).toThrow(/after recording started/);
    expect(vcd.finish()).toBe('$version Rampart virtual-time waveform $end\n$timescale 1 us $end\n$scope module rampart $end\n' +
      '$var wire 1 ! button0 $end\n$upscope $end\n$enddefinitions $end\n#0\n$dumpvars\n1!\n$end\n');
  });

  it('records a button press on a pulled-up pin through the models', () => {
    const clock = new BusClock();
    const vcd = new VcdWriter(1_000_000);
    vcd.addPin(2, 13, 'button0', true);
    vcd.addIrq(40, 'irq40');
    const gpioc = new GpioPort(2, clock);
    const ic = new InterruptController(clock);
    gpioc.configurePin(13, { mode: GpioMode.Input, af: 0, ppull: 0, speed: 0, pupdr: GpioPull.Up });
    gpioc.setObserver(vcd);
    ic.setObserver(vcd);
    const button = new Button('button0', gpioc, 13, ic.line(40));
    clock.advanceTo(10);
    button.press();
    clock.advanceTo(12);
    ic.acknowledge(40);
    clock.advanceTo(20);
    button.release();
    expect(vcd.finish().split('$end\n').at(-1)).toBe('#10\n0!\n1"\n#12\n0"\n#20\n1!\n');
  });
});
