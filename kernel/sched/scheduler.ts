/**
 * The scheduler interface: mechanism in the kernel, policy behind this seam.
 *
 * The kernel only ever asks three questions: queue this READY task, who runs next, and
 * has the running job used up its quantum at this tick. Tasks are small integers (their
 * task-table index); -1 means "nobody: run idle".
 */

/** What a scheduler needs to know about each task, fixed at boot. */
export interface SchedulerTaskInfo {
  readonly priority: number;
  /** Quantum in ticks (1 tick = 1 ms); at least 1. */
  readonly quantum: number;
}

export interface Scheduler {
  /** Queue a READY task with a fresh quantum. False when the policy refuses (already queued). */
  schedule(task: number): boolean;
  /**
   * Pick the next job. `runningStillReady` says whether the job that was running (if any)
   * is still READY (yield, quantum expiry) and so goes back in line, or blocked/ended.
   * Returns the task index, or -1 when nothing is queued (idle).
   */
  elect(runningStillReady: boolean): number;
  /** One system tick while `running` runs; true when its quantum just expired. */
  tick(): boolean;
  /** Ticks left in the running job's quantum (0 when nothing runs). */
  quantumLeft(): number;
  /** True when `task` is queued (in any set) or running. */
  isQueued(task: number): boolean;
  /** Forget a task (it terminated while queued). */
  remove(task: number): void;
  /** Number of queued jobs, running one included. */
  size(): number;
  /** Integrity code of the queues (every cell, the running job, which set is active). */
  digest(code: (values: Int32Array) => number): number;
  /** Fault injection: overwrite one queue cell, as a glitch would. */
  corruptForInjection(): void;
}

/** Hooks the kernel gives a scheduler: fault injection into its critical loop. */
export interface SchedulerHooks {
  /** True when the next iteration of a critical loop must be skipped (injected fault). */
  skipIteration(): boolean;
}

/** A critical loop ended with up and down counters that disagree. */
export class LoopCounterMismatch extends Error {
  override readonly name = 'LoopCounterMismatch';
}
