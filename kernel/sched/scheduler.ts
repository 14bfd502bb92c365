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
  /**
   * Fault injection: change the queues behind the scheduler's back, as a glitch would. The
   * scheduler verifies the keyed code of every cell, word and record before it uses it, so
   * the change surfaces as a {@link QueueIntegrityError} at the next operation that reads it.
   */
  corruptForInjection(): void;
  /** Time-slot windows this task ran in (RRMQ); undefined for a policy without windows. */
  windowStats(task: number): WindowStats | undefined;
}

/** Which time-slot windows a task was elected in: the no-starvation property, observable. */
export interface WindowStats {
  /** Window of the task's first election (-1: never elected). */
  readonly first: number;
  /** Window of its latest election. */
  readonly last: number;
  /** Number of distinct windows it was elected in. */
  readonly ran: number;
}

/**
 * Keyed code over three 32-bit words (the kernel passes its boot-keyed `IntegrityKey`).
 * Every queue cell, bitmap word and per-task record carries one; a scheduler recomputes
 * it at each write and verifies it at each read.
 */
export interface QueueSeal {
  code3(a: number, b: number, c: number): number;
}

/** A queue cell, word or record does not match its code: changed outside the scheduler. */
export class QueueIntegrityError extends Error {
  override readonly name = 'QueueIntegrityError';
}

/** Hooks the kernel gives a scheduler: fault injection into its critical loop. */
export interface SchedulerHooks {
  /** True when the next iteration of a critical loop must be skipped (injected fault). */
  skipIteration(): boolean;
  /** A queue cell, word or record failed its integrity code (the kernel panics; must not return). */
  integrityFailure?(message: string): never;
  /** A critical loop's counters disagree at its end (the kernel panics; must not return). */
  loopCounterMismatch?(message: string): never;
}

/** A critical loop ended with up and down counters that disagree. */
export class LoopCounterMismatch extends Error {
  override readonly name = 'LoopCounterMismatch';
}
