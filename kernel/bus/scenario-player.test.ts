/**
 * Tests — Scenario player: events applied at their cycles through the bus clock; unbound targets refused.
 */

import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from './scenario.js';
import { ScenarioPlayer } from './scenario-player.js';
import { BusClock } from './bus-clock.js';
import { InterruptController } from './interrupt-controller.js';
import { GpioPort } from './devices/gpio.js';
import { Button } from './devices/button.js';
import { Usart, UsartCr1, UsartReg } from './devices/usart.js';
import { Adc, AdcCr, AdcReg, ADC_CONVERSION_CYCLES } from './devices/adc.js';

const TARGETS = [{ name: 'button0', model: 'button' }, { name: 'usart2', model: 'usart' }, { name: 'gpioa', model: 'gpio' }, { name: 'adc1', model: 'adc' }];

describe('ScenarioPlayer', () => {
  it('applies each event at exactly its cycle, through the bus clock', () => {
    const clock = new BusClock();
    const ic = new InterruptController(clock);
    const raised: string[] = [];
    ic.setClient({ onRaise: (line) => raised.push(`${clock.now()}:${line}`) });
    ic.unmask(38); ic.unmask(40);
    const gpioa = new GpioPort(0, clock);
    const gpioc = new GpioPort(2, clock);
    const button = new Button('button0', gpioc, 13, ic.line(40));
    const usart = new Usart('usart2', ic.line(38));
    usart.write(UsartReg.Cr1, 4, UsartCr1.Ue | UsartCr1.Re | UsartCr1.Rxneie);
    const events = parseScenario('1000cycles button0 press\n+10cycles usart2 rx "hi"\n2000cycles gpioa 3 high\n', 's', 1_000_000, TARGETS);
    const player = new ScenarioPlayer(events, {
      buttons: new Map([['button0', button]]),
      usarts: new Map([['usart2', usart]]),
      gpios: new Map([['gpioa', gpioa]]),
    });
    const applied: string[] = [];
    player.setListener({ applied: (e) => applied.push(`${clock.now()}:${e.where}`) });
    clock.register(usart);
    clock.register(player);
    expect(clock.nextEventCycle()).toBe(1000);
    clock.advanceTo(5000);
    expect(applied).toEqual(['1000:s:1', '1010:s:2', '2000:s:3']);
    expect(raised).toEqual(['1000:40', '1010:38']);
    expect(button.isPressed()).toBe(true);
    expect(usart.read(UsartReg.Rdr, 1)).toBe(0x68);
    expect(gpioa.getPin(3)).toBe(true);
    expect(player.remaining).toBe(0);
    expect(player.nextEventCycle()).toBe(Infinity);
  });

  it('sets an ADC input at its cycle: a conversion started before sees the old level, one started after the new', () => {
    const clock = new BusClock();
    const adc = new Adc('adc1', new InterruptController(clock).line(19));
    const events = parseScenario('1000cycles adc1 3 1234\n+10cycles adc1 3 0xfff\n', 's', 1_000_000, TARGETS);
    const player = new ScenarioPlayer(events, { buttons: new Map(), usarts: new Map(), gpios: new Map(), adcs: new Map([['adc1', adc]]) });
    clock.register(adc);
    clock.register(player);
    clock.advanceTo(999);
    expect(adc.input(3)).toBe(0);
    clock.advanceTo(1000);
    expect(adc.input(3)).toBe(1234);
    adc.write(AdcReg.Chselr, 4, 3);
    adc.write(AdcReg.Cr, 4, AdcCr.Aden | AdcCr.Adstart);
    clock.advanceTo(1000 + ADC_CONVERSION_CYCLES);
    expect(adc.input(3)).toBe(0xfff);
    expect(adc.read(AdcReg.Dr, 4)).toBe(1234);
  });

  it('refuses at construction an event whose target was not built', () => {
    const events = parseScenario('1ms usart2 rx 1\n2ms adc1 0 1\n', 's', 1_000_000, TARGETS);
    expect(() => new ScenarioPlayer(events, { buttons: new Map(), usarts: new Map(), gpios: new Map() }))
      .toThrow(new ScenarioError(['s:1: usart2 is not an emulated usart on this board', 's:2: adc1 is not an emulated adc on this board']));
  });
});
