/**
 * The security manager: integrity codes of kernel data, redundant checks, measured paths,
 * the watchdog, the abnormal-event journal and fault injection, in one place.
 *
 * The kernel calls in at fixed points: `sealTask`/`checkTask` around every use of a task's
 * table entry, `sealContext`/`checkContext` around every suspension (the scheduler
 * seals and verifies each queue cell itself with this manager's `key`), `confirm` right before a privileged action
 * (a second, independent evaluation of the check that allowed it), `pathStep`/`pathCheck`
 * on each syscall's path. A failure is a *security event*: it is journaled first, then the
 * kernel panics (kernel data can no longer be trusted) — except a task's own corrupted
 * saved context, which faults that task outside release builds.
 */

import { IntegrityKey } from './integrity.js';
import { Journal, JournalKind, JOURNAL_KIND_NAMES } from './journal.js';
import { Injector, type Injection } from './injection.js';

/** Journal policy applied at boot when previous runs recorded abnormal events. */
export type JournalPolicy = 'continue' | 'refuse-task' | 'refuse-boot';

/** Thrown by the kernel's own checks; the kernel turns it into a journaled panic. */
export class SecurityEvent extends Error {
  override readonly name = 'SecurityEvent';
  constructor(readonly kind: JournalKind, message: string, readonly task: number) {
    super(message);
  }
}

/** Measured-path steps of a syscall: entry, dispatch into the gate, exit. */
export const PATH_ENTRY = 0x51a7;
export const PATH_DISPATCH = 0x2d15;
export const PATH_EXIT = 0x7e11;

export class SecurityManager {
  readonly key: IntegrityKey;
  readonly journal: Journal;
  readonly injector: Injector;
  private readonly taskCode: Int32Array;
  private readonly contextCode: Int32Array;
  private readonly contextEnd: Int32Array;
  /** Per task, a word view of its memory for the saved-context code (renewed when the memory grows). */
  private readonly memoryWords: (Int32Array | undefined)[] = [];
  private readonly memoryViews: (Uint8Array | undefined)[] = [];
  /** Expected measured-path value per syscall number. */
  readonly pathExpected: Int32Array;
  /** Cycles each task had consumed at the start of the watchdog window. */
  readonly windowStart: Float64Array;
  readonly budgetReported: Uint8Array;

  constructor(keySeed: number, taskCount: number, syscallCount: number, backup: Uint8Array | undefined, injections: readonly Injection[]) {
    this.key = new IntegrityKey(keySeed);
    this.journal = new Journal(backup);
    this.injector = new Injector(injections);
    this.taskCode = new Int32Array(taskCount);
    this.contextCode = new Int32Array(taskCount);
    this.contextEnd = new Int32Array(taskCount).fill(-1);
    this.pathExpected = new Int32Array(syscallCount);
    for (let n = 0; n < syscallCount; n++) this.pathExpected[n] = SecurityManager.step(SecurityManager.step(SecurityManager.step(0, PATH_ENTRY ^ n), PATH_DISPATCH), PATH_EXIT);
    this.windowStart = new Float64Array(taskCount);
    this.budgetReported = new Uint8Array(taskCount);
  }

  /** One measured-path step: order-sensitive, so a skipped or repeated step shows. */
  static step(sig: number, value: number): number {
    return (Math.imul(sig ^ value, 0x01000193) + (sig >>> 7)) | 0;
  }

  sealTask(t: number, label: number, caps: number, domain: number, handle: number): void {
    this.taskCode[t] = this.key.words(label, caps, domain, handle, t);
  }

  taskIntact(t: number, label: number, caps: number, domain: number, handle: number): boolean {
    return this.taskCode[t] === this.key.words(label, caps, domain, handle, t);
  }

  sealContext(t: number, memory: Uint8Array, start: number, end: number): void {
    this.contextEnd[t] = end;
    this.contextCode[t] = this.contextCodeOf(t, memory, start, end);
  }

  contextIntact(t: number, memory: Uint8Array, start: number): boolean {
    const end = this.contextEnd[t]!;
    return end >= start && end <= memory.length && this.contextCode[t] === this.contextCodeOf(t, memory, start, end);
  }

  /** Word-wise when aligned (Asyncify's save area is), through a per-task cached word view. */
  private contextCodeOf(t: number, memory: Uint8Array, start: number, end: number): number {
    if (((start | end | memory.byteOffset) & 3) !== 0) return this.key.bytes(memory, start, end);
    // Task memories hand out one byte view per buffer, so the view identifies the buffer.
    let words = this.memoryWords[t];
    if (words === undefined || this.memoryViews[t] !== memory) {
      words = new Int32Array(memory.buffer);
      this.memoryWords[t] = words;
      this.memoryViews[t] = memory;
    }
    const base = memory.byteOffset >>> 2;
    return this.key.span32(words, base + (start >>> 2), base + (end >>> 2));
  }

  forgetContext(t: number): void {
    this.contextEnd[t] = -1;
    this.memoryWords[t] = undefined;
    this.memoryViews[t] = undefined;
  }

  /** Journal an event; returns a one-line description for the kernel log. */
  record(kind: JournalKind, cycle: number, label: number, detail: number): string {
    this.journal.append(kind, cycle, label, detail);
    return JOURNAL_KIND_NAMES[kind] ?? `event ${kind}`;
  }
}
