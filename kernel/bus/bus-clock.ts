/**
 * The bus clock: brings every clocked model to a cycle, events in global time order.
 *
 * Owns the list of `Clocked` models and the bus's notion of "now". The kernel registers
 * every clocked model here and then talks to this one object: `nextEventCycle()` bounds a
 * task's slice, `advanceTo(cycle)` catches the silicon up. Inside `advanceTo` the clock
 * steps from one model event to the next, so when models interact (a scenario pressing a
 * button, a timer and a DMA channel firing in the same window) each event happens at its
 * own cycle, in cycle order, and `now()` is that cycle while it happens: interrupt and pin
 * changes are stamped exactly even if the kernel advanced past several events at once.
 *
 * Invariants: `now()` never decreases; after `advanceTo(c)` every model sits at `c` and
 * has no event at or before `c`. Ties between models at one cycle go in registration order,
 * which the kernel fixes at boot, so runs are reproducible.
 *
 * Must never: move backwards (a backwards call is a kernel bug and throws); allocate while
 * advancing.
 */

import type { Clocked, CycleClock } from './device-model.js';

/** Guard against a model that keeps announcing an event it never consumes (a model bug). */
const MAX_EVENTS_PER_CYCLE = 1_000_000;

/** The single `Clocked` the kernel drives: steps every registered model through time in event order. */
export class BusClock implements Clocked, CycleClock {
  private readonly models: Clocked[] = [];
  private cycle = 0;

  /** Adds a model (boot time). It is first advanced to the current cycle. */
  register(model: Clocked): void {
    model.advanceTo(this.cycle);
    this.models.push(model);
  }

  now(): number { return this.cycle; }

  nextEventCycle(): number {
    let next = Infinity;
    const models = this.models;
    for (let i = 0; i < models.length; i++) {
      const c = models[i]!.nextEventCycle();
      if (c < next) next = c;
    }
    return next;
  }

  advanceTo(cycle: number): void {
    if (!(cycle >= this.cycle)) throw new RangeError(`bus clock moved backwards: ${this.cycle} → ${cycle}`);
    const models = this.models;
    let sameCycle = 0;
    let last = -1;
    for (;;) {
      const next = this.nextEventCycle();
      if (next > cycle) break;
      // An event "in the past" can only come from a model that ignored an earlier advance;
      // clamp so `now()` stays monotonic, and process it now.
      const at = next < this.cycle ? this.cycle : next;
      if (at === last) {
        if (++sameCycle > MAX_EVENTS_PER_CYCLE) throw new Error(`a clocked model keeps firing at cycle ${at} without progress`);
      } else { sameCycle = 0; last = at; }
      this.cycle = at;
      for (let i = 0; i < models.length; i++) models[i]!.advanceTo(at);
    }
    this.cycle = cycle;
    for (let i = 0; i < models.length; i++) models[i]!.advanceTo(cycle);
  }
}
