/**
 * Tests — GPIO, LED and button: register side effects, pin level rules, observer reports, the press interrupt.
 */

import { describe, expect, it } from 'vitest';
import { GpioPort, GpioReg, GpioMode, GpioPull } from './gpio.js';
import { Led } from './led.js';
import { Button } from './button.js';
import { InterruptController } from '../interrupt-controller.js';
import type { SignalObserver } from '../device-model.js';

function setup(port = 0) {
  let now = 0;
  const clock = { now: () => now };
  const gpio = new GpioPort(port, clock);
  const changes: string[] = [];
  const observer: SignalObserver = {
    pinChanged: (p, pin, level, cycle) => changes.push(`${cycle}:${p}.${pin}=${level ? 1 : 0}`),
    irqChanged: () => undefined,
  };
  gpio.setObserver(observer);
  return { gpio, changes, clock, setNow: (c: number) => { now = c; } };
}

const OUTPUT = { mode: GpioMode.Output, af: 0, ppull: 0, speed: 0, pupdr: GpioPull.None };

describe('GpioPort', () => {
  it('resets to all inputs, no pull, levels 0', () => {
    const { gpio } = setup();
    for (const reg of [GpioReg.Moder, GpioReg.Otyper, GpioReg.Pupdr, GpioReg.Idr, GpioReg.Odr, GpioReg.Afrl, GpioReg.Afrh]) {
      expect(gpio.read(reg, 4)).toBe(0);
    }
  });

  it('drives an output pin from ODR, BSRR (set wins) and BRR, and reports level changes', () => {
    const { gpio, changes, setNow } = setup();
    gpio.write(GpioReg.Moder, 4, GpioMode.Output << 10); // PA5 output
    setNow(10);
    gpio.write(GpioReg.Bsrr, 4, 1 << 5);
    expect(gpio.read(GpioReg.Idr, 4)).toBe(1 << 5);
    setNow(20);
    gpio.write(GpioReg.Bsrr, 4, (1 << 21) | (1 << 5)); // both: set has priority
    expect(gpio.getPin(5)).toBe(true);
    gpio.write(GpioReg.Bsrr + 2, 2, 1 << 5); // reset half only, halfword access
    expect(gpio.getPin(5)).toBe(false);
    setNow(30);
    gpio.write(GpioReg.Odr, 4, 1 << 5);
    gpio.write(GpioReg.Brr, 4, 1 << 5);
    expect(gpio.read(GpioReg.Bsrr, 4)).toBe(0); // write-only
    expect(changes).toEqual(['10:0.5=1', '20:0.5=0', '30:0.5=1', '30:0.5=0']);
  });

  it('setPin drives the latch; the pin follows only in output mode', () => {
    const { gpio } = setup();
    expect(gpio.setPin(5, true)).toBe(true);
    expect(gpio.getOutputLatch(5)).toBe(true);
    expect(gpio.getPin(5)).toBe(false); // still an input
    expect(gpio.configurePin(5, OUTPUT)).toBe(true);
    expect(gpio.getPin(5)).toBe(true);
    expect(gpio.setPin(16, true)).toBe(false);
    expect(gpio.getPin(-1)).toBe(false);
  });

  it('applies a devicetree pin configuration to MODER/OTYPER/OSPEEDR/PUPDR/AFR, and refuses bad fields', () => {
    const { gpio } = setup();
    expect(gpio.configurePin(13, { mode: GpioMode.AlternateFunction, af: 7, ppull: 1, speed: 3, pupdr: GpioPull.Up })).toBe(true);
    expect(gpio.read(GpioReg.Moder, 4)).toBe((2 << 26) >>> 0);
    expect(gpio.read(GpioReg.Otyper, 4)).toBe(1 << 13);
    expect(gpio.read(GpioReg.Ospeedr, 4)).toBe((3 << 26) >>> 0);
    expect(gpio.read(GpioReg.Pupdr, 4)).toBe(1 << 26);
    expect(gpio.read(GpioReg.Afrh, 4)).toBe(7 << 20);
    expect(gpio.configurePin(1, { ...OUTPUT, mode: 4 })).toBe(false);
    expect(gpio.configurePin(1, { ...OUTPUT, pupdr: 3 })).toBe(false);
    expect(gpio.configurePin(1, { ...OUTPUT, af: 16 })).toBe(false);
    expect(gpio.pinMode(1)).toBe(GpioMode.Input);
  });

  it('inputs follow the external driver, else the pull; analog reads 0; open-drain releases on 1', () => {
    const { gpio } = setup();
    gpio.configurePin(3, { mode: GpioMode.Input, af: 0, ppull: 0, speed: 0, pupdr: GpioPull.Up });
    expect(gpio.getPin(3)).toBe(true);
    gpio.externalInput(3, false);
    expect(gpio.getPin(3)).toBe(false);
    gpio.externalRelease(3);
    expect(gpio.getPin(3)).toBe(true);
    gpio.configurePin(3, { mode: GpioMode.Analog, af: 0, ppull: 0, speed: 0, pupdr: GpioPull.Up });
    expect(gpio.getPin(3)).toBe(false);
    gpio.configurePin(4, { mode: GpioMode.Output, af: 0, ppull: 1, speed: 0, pupdr: GpioPull.Up });
    gpio.setPin(4, true);
    expect(gpio.getPin(4)).toBe(true); // released, pulled up
    gpio.externalInput(4, false);
    expect(gpio.getPin(4)).toBe(false); // someone else pulls it low
    gpio.setPin(4, false);
    gpio.externalInput(4, true);
    expect(gpio.getPin(4)).toBe(false); // open-drain low wins
  });
});

describe('Led and Button', () => {
  it('an LED is lit when its pin is at the active level', () => {
    const { gpio } = setup();
    const led = new Led('led0', gpio, 5);
    gpio.configurePin(5, OUTPUT);
    expect(led.isLit()).toBe(false);
    gpio.setPin(5, true);
    expect(led.isLit()).toBe(true);
  });

  it('a press drives the pin to the active level and pulses the IRQ once; release lets it go to its pull', () => {
    const { gpio, clock, changes, setNow } = setup(2);
    const ic = new InterruptController(clock);
    const raised: number[] = [];
    ic.setClient({ onRaise: (line) => raised.push(line) });
    ic.unmask(40);
    gpio.configurePin(13, { mode: GpioMode.Input, af: 0, ppull: 0, speed: 0, pupdr: GpioPull.Up });
    const button = new Button('button0', gpio, 13, ic.line(40));
    setNow(100);
    button.press();
    button.press(); // no second edge
    expect(gpio.getPin(13)).toBe(false);
    expect(raised).toEqual([40]);
    setNow(200);
    button.release();
    expect(gpio.getPin(13)).toBe(true);
    expect(raised).toEqual([40]); // no interrupt on release
    expect(changes).toEqual(['0:2.13=1', '100:2.13=0', '200:2.13=1']);
  });
});
