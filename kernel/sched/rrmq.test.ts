import { describe, expect, it } from 'vitest';
import { RrmqScheduler } from './rrmq.js';
import { FifoScheduler } from './fifo.js';

const infos = (...p: [number, number][]) => p.map(([priority, quantum]) => ({ priority, quantum }));

describe('RRMQ', () => {
  it('elects the highest priority first, ties to the lowest cell', () => {
    const s = new RrmqScheduler(infos([1, 2], [5, 2], [5, 2]));
    s.schedule(0); s.schedule(1); s.schedule(2);
    expect(s.elect(false)).toBe(1);
  });
  it('moves a yielding job to the backed set: every job runs once per window', () => {
    const s = new RrmqScheduler(infos([9, 2], [1, 2], [1, 2]));
    s.schedule(0); s.schedule(1); s.schedule(2);
    const order = [s.elect(false)];
    for (let i = 0; i < 5; i++) order.push(s.elect(true));
    // the busy high-priority task 0 runs once, then 1 and 2, then the sets swap
    expect(order).toEqual([0, 1, 2, 0, 1, 2]);
  });
  it('re-elects a lone yielding job at once (sets swap)', () => {
    const s = new RrmqScheduler(infos([1, 2]));
    s.schedule(0);
    expect(s.elect(false)).toBe(0);
    expect(s.elect(true)).toBe(0);
  });
  it('counts the quantum down by ticks', () => {
    const s = new RrmqScheduler(infos([1, 3]));
    s.schedule(0); s.elect(false);
    expect(s.tick()).toBe(false);
    expect(s.tick()).toBe(false);
    expect(s.tick()).toBe(true);
  });
  it('refuses to queue a task twice, and forgets a blocked job', () => {
    const s = new RrmqScheduler(infos([1, 2], [1, 2]));
    expect(s.schedule(0)).toBe(true);
    expect(s.schedule(0)).toBe(false);
    expect(s.elect(false)).toBe(0);
    expect(s.schedule(0)).toBe(false); // running counts as queued
    expect(s.elect(false)).toBe(-1);   // blocked: gone
    expect(s.isQueued(0)).toBe(false);
    expect(s.schedule(0)).toBe(true);
  });
});

describe('FIFO', () => {
  it('round-robins in arrival order regardless of priority', () => {
    const s = new FifoScheduler(infos([1, 2], [9, 2]));
    s.schedule(0); s.schedule(1);
    expect([s.elect(false), s.elect(true), s.elect(true)]).toEqual([0, 1, 0]);
  });
});

describe('RRMQ windows under wake-ups', () => {
  it('two jobs waking each other cannot keep a third out of its window', () => {
    const s = new RrmqScheduler(infos([1, 2], [1, 2], [1, 2]));
    s.schedule(0); s.schedule(1); s.schedule(2);
    // 0 and 1 bounce: each runs a tick then blocks and wakes the other.
    const ran = new Set<number>();
    let current = s.elect(false);
    for (let i = 0; i < 20; i++) {
      ran.add(current);
      if (current === 2) break;
      s.tick();
      const other = current === 0 ? 1 : 0;
      s.schedule(other);
      current = s.elect(false);
    }
    expect(ran.has(2)).toBe(true);
  });
});
