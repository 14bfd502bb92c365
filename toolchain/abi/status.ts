/**
 * Status values, the one numbering every syscall result uses.
 *
 * This file is the single source of truth for the numbers: the kernel imports it
 * directly and the C, Rust and AssemblyScript UAPIs are generated from it. The
 * values are the Sentry UAPI's (spec §2.1) and must never be renumbered.
 * `NonSense` is kernel-internal: a task never receives it.
 */

/** Syscall status as returned to a task (u32 in the return value). */
export const enum Status {
  Ok = 0,
  Invalid = 1,
  Denied = 2,
  NoEntity = 3,
  Busy = 4,
  AlreadyMapped = 5,
  Critical = 6,
  Timeout = 7,
  Again = 8,
  Intr = 9,
  Deadlk = 10,
  /** Kernel-internal placeholder stored before blocking; resuming a task with it is a kernel bug. */
  NonSense = 11,
}

/** Names and values as the C header spells them, in numeric order. */
export const STATUS_TABLE: readonly { readonly c: string; readonly rust: string; readonly value: number; readonly doc: string }[] = [
  { c: 'STATUS_OK', rust: 'Ok', value: 0, doc: 'success' },
  { c: 'STATUS_INVALID', rust: 'Invalid', value: 1, doc: 'bad argument, unknown or invalid handle, not found, wrong state' },
  { c: 'STATUS_DENIED', rust: 'Denied', value: 2, doc: 'capability missing or not the owner' },
  { c: 'STATUS_NO_ENTITY', rust: 'NoEntity', value: 3, doc: 'feature absent, nothing to remove' },
  { c: 'STATUS_BUSY', rust: 'Busy', value: 4, doc: 'resource table full, slot occupied, mapped' },
  { c: 'STATUS_ALREADY_MAPPED', rust: 'AlreadyMapped', value: 5, doc: 'already mapped by the caller' },
  { c: 'STATUS_CRITICAL', rust: 'Critical', value: 6, doc: 'entropy failure' },
  { c: 'STATUS_TIMEOUT', rust: 'Timeout', value: 7, doc: 'sleep or wait expired' },
  { c: 'STATUS_AGAIN', rust: 'Again', value: 8, doc: 'non-blocking wait found nothing' },
  { c: 'STATUS_INTR', rust: 'Intr', value: 9, doc: 'blocking call interrupted by an event' },
  { c: 'STATUS_DEADLK', rust: 'Deadlk', value: 10, doc: 'IPC would deadlock' },
  { c: 'STATUS_NON_SENSE', rust: '', value: 11, doc: 'kernel-internal placeholder, never returned' },
];

/** Statuses a task can legitimately receive (everything but NonSense). */
export const USER_STATUS_MAX = 10;
