/**
 * Scenario player: applies parsed scenario events to the device models at their cycles.
 *
 * Owns the event list and the index of the next event to apply. It is `Clocked`, so the
 * kernel registers it with the `BusClock` like any device: its next event bounds a task's
 * slice, and each event is applied at exactly its cycle, in file order for equal cycles.
 *
 * Invariants: every event's target was resolved at construction (a scenario naming a device
 * that was not built is refused then, not halfway through a run); events are applied once,
 * in order.
 *
 * Must never: apply an event early or twice; reorder events.
 */

import type { Clocked } from './device-model.js';
import { ScenarioError, type ScenarioEvent } from './scenario.js';

/** What a button target must offer (the `Button` model does). */
export interface ScenarioButton { press(): void; release(): void }
/** What a USART target must offer (the `Usart` model does). */
export interface ScenarioUsart { receive(bytes: ArrayLike<number>): number }
/** What a GPIO port target must offer (the `GpioPort` model does). */
export interface ScenarioPort { externalInput(pin: number, level: boolean): boolean; externalRelease(pin: number): boolean }
/** What an ADC target must offer (the `Adc` model does). */
export interface ScenarioAdc { setInput(channel: number, value: number): boolean }

/** The built models, by devicetree label. */
export interface ScenarioBindings {
  readonly buttons: ReadonlyMap<string, ScenarioButton>;
  readonly usarts: ReadonlyMap<string, ScenarioUsart>;
  readonly gpios: ReadonlyMap<string, ScenarioPort>;
  /** Absent on a board built without converters: then no scenario may name one. */
  readonly adcs?: ReadonlyMap<string, ScenarioAdc>;
}

const NO_ADCS: ReadonlyMap<string, ScenarioAdc> = new Map();

/** The table of `bindings` that serves events of `kind`, and the model's name for messages. */
function tableOf(bindings: ScenarioBindings, kind: ScenarioEvent['kind']): [ReadonlyMap<string, unknown>, string] {
  switch (kind) {
    case 'button': return [bindings.buttons, 'button'];
    case 'usart-rx': return [bindings.usarts, 'usart'];
    case 'gpio': return [bindings.gpios, 'gpio'];
    case 'adc': return [bindings.adcs ?? NO_ADCS, 'adc'];
  }
}

/** Told about each event as it is applied (the kernel traces them). */
export interface ScenarioListener {
  applied(event: ScenarioEvent): void;
}

/** Applies scenario events to the models at their cycles; register it with the `BusClock`. */
export class ScenarioPlayer implements Clocked {
  private next = 0;
  private listener: ScenarioListener | undefined;

  /** Throws `ScenarioError` naming `file:line` for any event whose target is not bound. */
  constructor(private readonly events: readonly ScenarioEvent[], private readonly bindings: ScenarioBindings) {
    const problems: string[] = [];
    let previous = 0;
    for (const e of events) {
      const [table, model] = tableOf(bindings, e.kind);
      if (!table.has(e.target)) problems.push(`${e.where}: ${e.target} is not an emulated ${model} on this board`);
      if (e.cycle < previous) problems.push(`${e.where}: events out of order`);
      previous = e.cycle;
    }
    if (problems.length > 0) throw new ScenarioError(problems);
  }

  setListener(listener: ScenarioListener | undefined): void { this.listener = listener; }

  /** Events not yet applied. */
  get remaining(): number { return this.events.length - this.next; }

  nextEventCycle(): number {
    const e = this.events[this.next];
    return e === undefined ? Infinity : e.cycle;
  }

  advanceTo(cycle: number): void {
    for (;;) {
      const e = this.events[this.next];
      if (e === undefined || e.cycle > cycle) return;
      this.next++;
      this.apply(e);
      this.listener?.applied(e);
    }
  }

  private apply(e: ScenarioEvent): void {
    switch (e.kind) {
      case 'button': {
        const b = this.bindings.buttons.get(e.target)!;
        if (e.action === 'press') b.press(); else b.release();
        return;
      }
      case 'usart-rx':
        this.bindings.usarts.get(e.target)!.receive(e.bytes);
        return;
      case 'gpio': {
        const p = this.bindings.gpios.get(e.target)!;
        if (e.action === 'float') p.externalRelease(e.pin); else p.externalInput(e.pin, e.action === 'high');
        return;
      }
      case 'adc':
        this.bindings.adcs!.get(e.target)!.setInput(e.channel, e.value);
        return;
    }
  }
}
