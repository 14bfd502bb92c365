/**
 * FIFO scheduler (`CONFIG_SCHED_FIFO`): one ring of tasks, no priorities.
 *
 * The reference FIFO does not build (spec §5.2), so Rampart defines it: queue at the
 * tail, elect the head, a job that yields or uses up its quantum goes back to the tail.
 * Keeping the quantum preemption is deliberate: a task stuck in a loop must never starve
 * the others, whatever the policy.
 */

import type { Scheduler, SchedulerHooks, SchedulerTaskInfo } from './scheduler.js';

export class FifoScheduler implements Scheduler {
  private readonly ring: Int32Array;
  private head = 0;
  private count = 0;
  private running = -1;
  private quantum = 0;
  private readonly queued: Uint8Array;

  constructor(private readonly tasks: readonly SchedulerTaskInfo[], _hooks?: SchedulerHooks) {
    this.ring = new Int32Array(tasks.length);
    this.queued = new Uint8Array(tasks.length);
  }

  private push(task: number): void {
    this.ring[(this.head + this.count) % this.ring.length] = task;
    this.count++;
  }

  schedule(task: number): boolean {
    if (this.queued[task] === 1) return false;
    this.queued[task] = 1;
    this.push(task);
    return true;
  }

  elect(runningStillReady: boolean): number {
    if (this.running !== -1) {
      if (runningStillReady) this.push(this.running);
      else this.queued[this.running] = 0;
      this.running = -1;
    }
    if (this.count === 0) return -1;
    const task = this.ring[this.head]!;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    this.running = task;
    this.quantum = this.tasks[task]!.quantum;
    return task;
  }

  tick(): boolean {
    if (this.running === -1) return false;
    this.quantum--;
    return this.quantum <= 0;
  }

  quantumLeft(): number {
    return this.running === -1 ? 0 : this.quantum;
  }

  isQueued(task: number): boolean {
    return this.queued[task] === 1;
  }

  remove(task: number): void {
    if (this.queued[task] !== 1) return;
    this.queued[task] = 0;
    if (this.running === task) { this.running = -1; return; }
    const kept: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const t = this.ring[(this.head + i) % this.ring.length]!;
      if (t !== task) kept.push(t);
    }
    this.head = 0;
    this.count = 0;
    for (const t of kept) this.push(t);
  }

  size(): number {
    return this.count + (this.running === -1 ? 0 : 1);
  }

  digest(code: (values: Int32Array) => number): number {
    return code(this.ring) ^ Math.imul(this.head + 1, 3) ^ Math.imul(this.count + 1, 5) ^ Math.imul(this.running + 2, 7) ^ Math.imul(this.quantum, 11);
  }

  corruptForInjection(): void {
    this.ring[this.head] = this.ring[this.head]! ^ 1;
  }
}
