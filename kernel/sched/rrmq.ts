/**
 * RRMQ: round-robin, multi-queue scheduler with quantum (spec §5.1), exactly as specified.
 *
 * Two job sets, *active* and *backed*, each an array of cells {task, priority, quantum}.
 * Queuing puts a task in the first unused cell of the active set with a fresh quantum.
 * Election frees the running cell (moving the job to the backed set with a fresh quantum
 * when it is still READY), swaps the sets when the active one is empty, then picks the
 * highest priority, ties to the lowest cell index. Consequence (and the property the
 * starvation test checks): within one time-slot window every READY job runs at most one
 * quantum, so a busy high-priority task cannot starve the others.
 *
 * Deliberate differences from the reference: queuing a task that is already in the
 * *backed* set is refused too (the reference inserts it a second time, spec §1.2.5); and a
 * job woken in the window it blocked in keeps the quantum it had left (see `schedule`).
 * Everything is preallocated; nothing allocates after construction.
 */

import { LoopCounterMismatch, type Scheduler, type SchedulerHooks, type SchedulerTaskInfo } from './scheduler.js';

const NONE = -1;

class JobSet {
  readonly task: Int32Array;
  readonly priority: Int32Array;
  readonly quantum: Int32Array;
  used = 0;
  constructor(cells: number) {
    this.task = new Int32Array(cells).fill(NONE);
    this.priority = new Int32Array(cells);
    this.quantum = new Int32Array(cells);
  }
  /** First unused cell; the caller guarantees there is one (one cell per task). */
  insert(task: number, priority: number, quantum: number): number {
    const cells = this.task;
    for (let i = 0; i < cells.length; i++) {
      if (cells[i] === NONE) {
        cells[i] = task;
        this.priority[i] = priority;
        this.quantum[i] = quantum;
        this.used++;
        return i;
      }
    }
    throw new Error('RRMQ job set full: more jobs than tasks');
  }
  free(cell: number): void {
    this.task[cell] = NONE;
    this.used--;
  }
  /**
   * Highest priority, ties to the lowest cell index. A critical loop: it counts up and a
   * shadow counts down, and a disagreement at the end (a skipped or repeated iteration)
   * means the election cannot be trusted.
   */
  best(hooks: SchedulerHooks | undefined): number {
    let bestCell = NONE;
    let bestPriority = -1;
    const cells = this.task;
    const n = cells.length;
    let down = n;
    let i = 0;
    for (; i < n; i++) {
      if (hooks !== undefined && hooks.skipIteration()) i++;
      if (i < n && cells[i] !== NONE && this.priority[i]! > bestPriority) {
        bestPriority = this.priority[i]!;
        bestCell = i;
      }
      down--;
    }
    if (i !== n || down !== 0) throw new LoopCounterMismatch(`RRMQ election loop ran ${n - down} of ${n} iterations but ended at ${i}`);
    return bestCell;
  }
}

export class RrmqScheduler implements Scheduler {
  private active: JobSet;
  private backed: JobSet;
  /** Cell of the running job in the active set, or NONE when idle runs. */
  private running = NONE;
  /** 1 while a task is in either set or running: one cell per task at most. */
  private readonly queued: Uint8Array;

  /** Time-slot window number: bumped at every swap of the sets. */
  private window = 0;
  /** Quantum a blocked job had left, and the window it was left in. */
  private readonly leftover: Int32Array;
  private readonly leftoverWindow: Float64Array;

  constructor(private readonly tasks: readonly SchedulerTaskInfo[], private readonly hooks?: SchedulerHooks) {
    this.active = new JobSet(tasks.length);
    this.backed = new JobSet(tasks.length);
    this.queued = new Uint8Array(tasks.length);
    this.leftover = new Int32Array(tasks.length);
    this.leftoverWindow = new Float64Array(tasks.length).fill(-1);
  }

  /**
   * Queue a READY job. Deviation from the reference (documented in docs/kernel.md): a job
   * woken in the window it blocked in resumes with the quantum it had left, and one that
   * used its quantum up in this window waits in the backed set. With a fresh quantum at
   * every wake (the reference), two tasks waking each other forever never leave the active
   * set and starve every job in the backed set.
   */
  schedule(task: number): boolean {
    if (this.queued[task] === 1) return false;
    const info = this.tasks[task]!;
    if (this.leftoverWindow[task] === this.window) {
      const left = this.leftover[task]!;
      if (left > 0) this.active.insert(task, info.priority, left);
      else this.backed.insert(task, info.priority, info.quantum);
    } else {
      this.active.insert(task, info.priority, info.quantum);
    }
    this.queued[task] = 1;
    return true;
  }

  elect(runningStillReady: boolean): number {
    if (this.running !== NONE) {
      const task = this.active.task[this.running]!;
      const left = this.active.quantum[this.running]!;
      this.active.free(this.running);
      this.running = NONE;
      if (runningStillReady) {
        const info = this.tasks[task]!;
        this.backed.insert(task, info.priority, info.quantum);
      } else {
        this.queued[task] = 0;
        this.leftover[task] = left;
        this.leftoverWindow[task] = this.window;
      }
    }
    if (this.active.used === 0) {
      const swap = this.active;
      this.active = this.backed;
      this.backed = swap;
      this.window++;
    }
    if (this.active.used === 0) return NONE;
    this.running = this.active.best(this.hooks);
    return this.active.task[this.running]!;
  }

  tick(): boolean {
    if (this.running === NONE) return false;
    const left = this.active.quantum[this.running]! - 1;
    this.active.quantum[this.running] = left;
    return left <= 0;
  }

  quantumLeft(): number {
    return this.running === NONE ? 0 : this.active.quantum[this.running]!;
  }

  isQueued(task: number): boolean {
    return this.queued[task] === 1;
  }

  remove(task: number): void {
    if (this.queued[task] !== 1) return;
    for (const set of [this.active, this.backed]) {
      for (let i = 0; i < set.task.length; i++) {
        if (set.task[i] === task) {
          set.free(i);
          if (set === this.active && this.running === i) this.running = NONE;
        }
      }
    }
    this.queued[task] = 0;
  }

  size(): number {
    return this.active.used + this.backed.used;
  }

  digest(code: (values: Int32Array) => number): number {
    return code(this.active.task) ^ Math.imul(code(this.active.quantum), 3) ^ Math.imul(code(this.backed.task), 5)
      ^ Math.imul(code(this.backed.priority), 7) ^ Math.imul(code(this.active.priority), 11) ^ Math.imul(this.running + 2, 13);
  }

  corruptForInjection(): void {
    // A glitch turns the first unused active cell into a phantom job of task 0.
    const cells = this.active.task;
    for (let i = 0; i < cells.length; i++) if (cells[i] === NONE) { cells[i] = 0; return; }
    this.active.priority[0] = this.active.priority[0]! ^ 0x40;
  }
}
