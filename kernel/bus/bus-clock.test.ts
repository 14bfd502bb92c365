/**
 * Tests — Bus clock: global event order across models, exact `now()` while an event happens.
 */

import { describe, expect, it } from 'vitest';
import { BusClock } from './bus-clock.js';
import type { Clocked } from './device-model.js';

/** Fires at each listed cycle, logging the bus clock's now() when it does. */
class Ticker implements Clocked {
  private i = 0;
  constructor(private readonly name: string, private readonly at: number[], private readonly clock: BusClock, private readonly log: string[]) {}
  nextEventCycle(): number { return this.at[this.i] ?? Infinity; }
  advanceTo(cycle: number): void {
    while (this.i < this.at.length && this.at[this.i]! <= cycle) { this.log.push(`${this.name}@${this.clock.now()}`); this.i++; }
  }
}

describe('BusClock', () => {
  it('steps through events of all models in cycle order, each at its own cycle', () => {
    const clock = new BusClock();
    const log: string[] = [];
    clock.register(new Ticker('a', [10, 30], clock, log));
    clock.register(new Ticker('b', [20, 30], clock, log));
    expect(clock.nextEventCycle()).toBe(10);
    clock.advanceTo(100);
    expect(log).toEqual(['a@10', 'b@20', 'a@30', 'b@30']);
    expect(clock.now()).toBe(100);
    expect(clock.nextEventCycle()).toBe(Infinity);
  });

  it('refuses to go backwards', () => {
    const clock = new BusClock();
    clock.advanceTo(5);
    expect(() => clock.advanceTo(4)).toThrow(RangeError);
  });
});
