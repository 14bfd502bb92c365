/**
 * Kernel panics and task-fault records: the two error channels that are not statuses.
 *
 * A `KernelPanic` ends the whole run with a diagnostic (a kernel invariant broke, or a
 * task with the panic exit policy terminated abnormally). A `TaskFault` is a value handed
 * to the exit policy: it never stops the other tasks. Expected user mistakes are neither:
 * they are `Status` values returned to the task.
 */

/** Thrown when the kernel cannot continue; the run ends with exit code 1. */
export class KernelPanic extends Error {
  override readonly name = 'KernelPanic';
  constructor(message: string, readonly taskName?: string) {
    super(message);
  }
}

/** Why a task stopped running abnormally. */
export type FaultKind = 'trap' | 'stack-exhaustion' | 'kernel-refused' | 'budget';

/** A task fault, as the exit policy and the run summary see it. */
export interface TaskFault {
  readonly kind: FaultKind;
  /** The engine's or the kernel's message (e.g. "memory access out of bounds"). */
  readonly message: string;
  /** Virtual cycle at which the fault happened. */
  readonly cycle: number;
}
