import { describe, expect, it } from 'vitest';
import { RrmqScheduler } from './rrmq.js';
import { FifoScheduler } from './fifo.js';
import { LoopCounterMismatch, QueueIntegrityError } from './scheduler.js';

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

/**
 * The reference policy, written the obvious way (linear scans over cell arrays), to check
 * the constant-time scheduler against: same elections for the same operations.
 */
class ReferenceRrmq {
  private active: { task: number; priority: number; quantum: number }[] = [];
  private backed: { task: number; priority: number; quantum: number }[] = [];
  private running = -1;
  private window = 0;
  private readonly queued = new Set<number>();
  private readonly leftover = new Map<number, { left: number; window: number }>();
  constructor(private readonly infos: { priority: number; quantum: number }[]) {}
  private static insert(set: ({ task: number; priority: number; quantum: number } | undefined)[], cell: { task: number; priority: number; quantum: number }): number {
    let i = 0;
    while (set[i] !== undefined) i++;
    set[i] = cell;
    return i;
  }
  schedule(t: number): boolean {
    if (this.queued.has(t)) return false;
    const l = this.leftover.get(t);
    const info = this.infos[t]!;
    if (l !== undefined && l.window === this.window) {
      if (l.left > 0) ReferenceRrmq.insert(this.active, { task: t, priority: info.priority, quantum: l.left });
      else ReferenceRrmq.insert(this.backed, { task: t, priority: info.priority, quantum: info.quantum });
    } else ReferenceRrmq.insert(this.active, { task: t, priority: info.priority, quantum: info.quantum });
    this.queued.add(t);
    return true;
  }
  elect(stillReady: boolean): number {
    if (this.running !== -1) {
      const cell = this.active[this.running]!;
      delete this.active[this.running];
      this.running = -1;
      if (stillReady) ReferenceRrmq.insert(this.backed, { ...cell, quantum: this.infos[cell.task]!.quantum });
      else { this.queued.delete(cell.task); this.leftover.set(cell.task, { left: cell.quantum, window: this.window }); }
    }
    if (!this.active.some((c) => c !== undefined)) { [this.active, this.backed] = [this.backed, this.active]; this.window++; }
    let best = -1;
    this.active.forEach((c, i) => { if (c !== undefined && (best === -1 || c.priority > this.active[best]!.priority)) best = i; });
    this.running = best;
    return best === -1 ? -1 : this.active[best]!.task;
  }
  tick(): boolean {
    if (this.running === -1) return false;
    const c = this.active[this.running]!;
    c.quantum--;
    return c.quantum <= 0;
  }
  remove(t: number): void {
    if (!this.queued.has(t)) return;
    for (const set of [this.active, this.backed]) {
      set.forEach((c, i) => { if (c?.task === t) { delete set[i]; if (set === this.active && this.running === i) this.running = -1; } });
    }
    this.queued.delete(t);
  }
}

describe('RRMQ in constant time', () => {
  it('makes the same elections as the reference policy over random operations', () => {
    let seed = 12345;
    const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
    for (let run = 0; run < 40; run++) {
      const n = 1 + rnd(70);
      const tasks = Array.from({ length: n }, () => ({ priority: rnd(4), quantum: 1 + rnd(3) }));
      const s = new RrmqScheduler(tasks);
      const r = new ReferenceRrmq(tasks);
      let running = -1;
      for (let step = 0; step < 400; step++) {
        const op = rnd(5);
        if (op === 0) { const t = rnd(n); expect(s.schedule(t)).toBe(r.schedule(t)); }
        else if (op === 1) { const still = rnd(2) === 0; running = s.elect(still); expect(running).toBe(r.elect(still)); }
        else if (op === 2) expect(s.tick()).toBe(r.tick());
        else if (op === 3 && rnd(4) === 0) { const t = rnd(n); s.remove(t); r.remove(t); if (t === running) running = -1; }
        else { running = s.elect(false); expect(running).toBe(r.elect(false)); }
      }
    }
  });

  it('counts the windows each task ran in', () => {
    const s = new RrmqScheduler(infos([9, 1], [1, 1], [1, 1]));
    s.schedule(0); s.schedule(1); s.schedule(2);
    s.elect(false);
    for (let i = 0; i < 8; i++) s.elect(true);
    // three windows of three elections: every task ran in each
    for (const t of [0, 1, 2]) expect(s.windowStats(t)).toEqual({ first: 0, last: 2, ran: 3 });
  });

  it('catches a glitched rank bitmap, cell or record before acting on it', () => {
    const fresh = () => {
      const s = new RrmqScheduler(infos([2, 3], [1, 3], [1, 3]));
      s.schedule(0); s.schedule(1); s.schedule(2);
      s.elect(false);
      return s;
    };
    const a = fresh();
    a.corruptForInjection();
    expect(() => a.elect(true)).toThrow(QueueIntegrityError);
    // a rank bitmap that hides the waiting jobs of rank 1: caught by the sealed job count
    const h = fresh();
    (h as unknown as { active: { ranks: { glitch(i: number): void } } }).active.ranks.glitch(1);
    expect(() => h.elect(true)).toThrow(/its bitmaps and its job count \(2\) disagree/);
    // a phantom job in an idle scheduler's active set
    const p = new RrmqScheduler(infos([1, 3]));
    p.corruptForInjection();
    expect(() => p.elect(false)).toThrow(/disagree/);
    // a cell's quantum changed behind the scheduler's back
    const b = fresh();
    const active = (b as unknown as { active: { quantum: Int32Array } }).active;
    active.quantum[0] = 99;
    expect(() => b.tick()).toThrow(/cell 0 does not match its code/);
    // a task's record says "not queued" although it is
    const c = fresh();
    (c as unknown as { queued: Uint8Array }).queued[1] = 0;
    expect(() => c.schedule(1)).toThrow(/queue record does not match/);
    // the running cell index itself
    const d = fresh();
    (d as unknown as { running: number }).running = 2;
    expect(() => d.elect(true)).toThrow(/running job/);
  });

  it('reports a skipped scan iteration through the double counter', () => {
    let skip = false;
    const s = new RrmqScheduler(infos([1, 2], [1, 2]), { skipIteration: () => { const x = skip; skip = false; return x; } });
    s.schedule(0); s.schedule(1);
    skip = true;
    expect(() => s.elect(false)).toThrow(LoopCounterMismatch);
  });

  it('ties to the lowest free cell, reused first-free, with 1024 tasks', () => {
    const s = new RrmqScheduler(Array.from({ length: 1024 }, () => ({ priority: 1, quantum: 2 })));
    for (let t = 0; t < 1024; t++) s.schedule(t);
    expect(s.elect(false)).toBe(0);
    expect(s.elect(false)).toBe(1); // 0 blocked: cell 0 is free again
    s.schedule(0);                  // back into cell 0 (first free), with its leftover quantum
    expect(s.elect(false)).toBe(0);
  });
});
