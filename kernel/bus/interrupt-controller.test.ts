/**
 * Tests — Interrupt controller: masking at reset, latch/level rules, deferred-delivery announcements, observer stamps.
 */

import { describe, expect, it } from 'vitest';
import { InterruptController } from './interrupt-controller.js';
import type { SignalObserver } from './device-model.js';

function setup() {
  let now = 0;
  const clock = { now: () => now };
  const ic = new InterruptController(clock);
  const raised: number[] = [];
  ic.setClient({ onRaise: (line) => raised.push(line) });
  const changes: string[] = [];
  const observer: SignalObserver = {
    pinChanged: () => undefined,
    irqChanged: (line, asserted, cycle) => changes.push(`${cycle}:${line}=${asserted ? 1 : 0}`),
  };
  ic.setObserver(observer);
  return { ic, raised, changes, setNow: (c: number) => { now = c; } };
}

describe('InterruptController', () => {
  it('starts with every line masked: a request waits for unmask', () => {
    const { ic, raised } = setup();
    expect(ic.isMasked(38)).toBe(true);
    ic.line(38).set(true);
    expect(ic.isPending(38)).toBe(true);
    expect(raised).toEqual([]);
    ic.unmask(38);
    expect(raised).toEqual([38]);
  });

  it('announces once per deliverable transition, not per level change', () => {
    const { ic, raised } = setup();
    ic.unmask(5);
    ic.line(5).set(true);
    ic.line(5).set(true);
    expect(raised).toEqual([5]);
  });

  it('stays masked after the kernel delivers, until the owner unmasks (spec §4.9)', () => {
    const { ic, raised } = setup();
    ic.unmask(28);
    const wire = ic.line(28);
    wire.set(true);
    // the kernel's deferred delivery: mask, acknowledge
    ic.mask(28); ic.acknowledge(28);
    expect(raised).toEqual([28]);
    // the task services the device: level drops; a second request arrives while masked
    wire.set(false);
    wire.set(true);
    expect(raised).toEqual([28]);
    expect(ic.isPending(28)).toBe(true);
    ic.unmask(28);
    expect(raised).toEqual([28, 28]);
  });

  it('does not re-deliver a serviced request on unmask, but does re-deliver an unserviced one', () => {
    const { ic, raised } = setup();
    ic.unmask(40);
    ic.line(40).set(true);
    ic.mask(40); ic.acknowledge(40);
    ic.line(40).set(false); // serviced
    ic.unmask(40);
    expect(raised).toEqual([40]);
    ic.line(40).set(true);
    ic.mask(40); ic.acknowledge(40);
    ic.unmask(40); // not serviced: the level is still high
    expect(raised).toEqual([40, 40, 40]);
  });

  it('latches pulses (edges) without a level', () => {
    const { ic, raised } = setup();
    ic.line(40).pulse();
    expect(ic.isLevelHigh(40)).toBe(false);
    expect(ic.isPending(40)).toBe(true);
    ic.unmask(40);
    expect(raised).toEqual([40]);
    ic.acknowledge(40);
    expect(ic.isPending(40)).toBe(false);
  });

  it('finds the lowest deliverable line and refuses bad numbers', () => {
    const { ic } = setup();
    ic.line(80).set(true); ic.line(11).set(true);
    expect(ic.nextDeliverable()).toBe(-1);
    ic.unmask(80);
    expect(ic.nextDeliverable()).toBe(80);
    ic.unmask(11);
    expect(ic.nextDeliverable()).toBe(11);
    expect(ic.mask(128)).toBe(false);
    expect(ic.unmask(-1)).toBe(false);
    expect(ic.acknowledge(1.5)).toBe(false);
    expect(() => ic.line(128)).toThrow(RangeError);
  });

  it('reports the request (level or latch) to the observer with the clock cycle', () => {
    const { ic, changes, setNow } = setup();
    setNow(100);
    ic.line(38).set(true);
    setNow(150);
    ic.acknowledge(38); // still asserted: level high
    setNow(200);
    ic.line(38).set(false);
    setNow(300);
    ic.line(40).pulse();
    setNow(320);
    ic.acknowledge(40);
    expect(changes).toEqual(['100:38=1', '200:38=0', '300:40=1', '320:40=0']);
  });
});
