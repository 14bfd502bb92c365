/**
 * RRMQ: round-robin, multi-queue scheduler with quantum (spec §5.1).
 *
 * Two job sets, *active* and *backed*, each an array of cells {task, quantum}; a task's
 * priority is fixed at boot. Queuing puts a task in the first unused cell of the active set
 * with a fresh quantum. Election frees the running cell (moving the job to the backed set
 * with a fresh quantum when it is still READY), swaps the sets when the active one is
 * empty, then picks the highest priority, ties to the lowest cell index. Consequence (and
 * the property the starvation tests check): within one time-slot window every READY job
 * runs at most one quantum, so a busy high-priority task cannot starve the others.
 *
 * Constant time: every operation costs the same with 2 or 1024 queued jobs. Each set keeps
 * three bitmaps (free cells, cells per priority rank, non-empty ranks; two levels each), so
 * "first unused cell" and "highest priority, lowest cell" are a few count-trailing-zeros
 * instead of a walk over the cells. The tie rule is the reference's exactly.
 *
 * Integrity (dynamic data integrity): every cell, every per-task queue record and the
 * scheduler state (running cell, active set, window, both job counts) carry a keyed code
 * (kernel boot key), recomputed at each write and verified at each read, so a glitched
 * queue is caught before the scheduler acts on it, at O(1) cost. The bitmaps are an index
 * over the cells: every job they point at is checked against its sealed cell (task, rank,
 * in use), and their emptiness against the sealed job counts. The bitmap scans are the
 * critical loops: they count up and down, and a skipped iteration ends the election
 * (LoopCounterMismatch).
 *
 * Deliberate differences from the reference: queuing a task that is already in the
 * *backed* set is refused too (the reference inserts it a second time, spec §1.2.5); and a
 * job woken in the window it blocked in keeps the quantum it had left (see `schedule`).
 * Everything is preallocated; nothing allocates after construction.
 */

import { IntegrityKey } from '../managers/security/integrity.js';
import {
  LoopCounterMismatch, QueueIntegrityError,
  type QueueSeal, type Scheduler, type SchedulerHooks, type SchedulerTaskInfo, type WindowStats,
} from './scheduler.js';

const NONE = -1;

/** Index of the lowest set bit of a non-zero word. */
const lowestBit = (x: number): number => 31 - Math.clz32(x & -x);

/** Failures go through the hooks when the kernel gave them (it panics), else they throw. */
interface Failures {
  integrity(message: string): never;
  loop(message: string): never;
}

/**
 * A set of integers [0, n) as a two-level bitmap (words, and a summary bit per non-empty
 * word). An index over the sealed cells, not sealed itself: every decision taken from it
 * is checked against the cells and the sealed job counts (see JobSet), so a glitched bit
 * cannot make the scheduler run a wrong job unnoticed.
 */
class Bits {
  private readonly words: Int32Array;
  private readonly summary: Int32Array;

  constructor(n: number, private readonly fail: Failures, full: boolean) {
    const w = Math.max(1, Math.ceil(n / 32));
    this.words = new Int32Array(w);
    this.summary = new Int32Array(Math.ceil(w / 32));
    for (let i = 0; i < w; i++) {
      const bits = full ? Math.min(32, n - i * 32) : 0;
      this.words[i] = bits === 32 ? -1 : (1 << bits) - 1;
      if (this.words[i] !== 0) this.summary[i >>> 5] = this.summary[i >>> 5]! | (1 << (i & 31));
    }
  }

  /** Write word w; true when that made the whole set change between empty and non-empty. */
  private setWord(w: number, old: number, v: number): boolean {
    this.words[w] = v;
    if ((old === 0) === (v === 0)) return false;
    const s = w >>> 5;
    const summary = this.summary[s]!;
    const next = v === 0 ? summary & ~(1 << (w & 31)) : summary | (1 << (w & 31));
    this.summary[s] = next;
    if ((summary === 0) === (next === 0)) return false;
    for (let o = 0; o < this.summary.length; o++) if (o !== s && this.summary[o] !== 0) return false;
    return true;
  }

  /** Add i; true when the set was empty before. */
  add(i: number): boolean {
    const w = i >>> 5;
    const old = this.words[w]!;
    return this.setWord(w, old, old | (1 << (i & 31)));
  }

  /** Remove i; true when the set is empty after. */
  delete(i: number): boolean {
    const w = i >>> 5;
    const old = this.words[w]!;
    return this.setWord(w, old, old & ~(1 << (i & 31)));
  }

  /**
   * Lowest member, or NONE. The summary scan is a critical loop with a double counter: a
   * skipped iteration (glitch, or the `skip-loop` injection) is caught at its end.
   */
  lowest(hooks: SchedulerHooks | undefined): number {
    const n = this.summary.length;
    let found = NONE;
    let up = 0;
    let down = n;
    let i = 0;
    for (; i < n; i++) {
      if (hooks !== undefined && hooks.skipIteration()) i++;
      up++;
      down--;
      if (i < n) {
        const s = this.summary[i]!;
        if (s !== 0) {
          const w = (i << 5) + lowestBit(s);
          const v = this.words[w]!;
          if (v === 0) this.fail.integrity(`bitmap summary marks word ${w} non-empty, it is empty`);
          found = (w << 5) + lowestBit(v);
          i++;
          break;
        }
      }
    }
    if (i !== up || up + down !== n) this.fail.loop(`RRMQ election loop ran ${up} of ${n} iterations but ended at ${i}`);
    return found;
  }

  isEmpty(): boolean {
    for (let s = 0; s < this.summary.length; s++) if (this.summary[s] !== 0) return false;
    return true;
  }

  /** Fault injection: flip bit `i` (< 32), keeping the summary consistent with the word. */
  glitch(i: number): void {
    this.words[0] = this.words[0]! ^ (1 << i);
    this.summary[0] = this.words[0] === 0 ? this.summary[0]! & ~1 : this.summary[0]! | 1;
  }
}

/**
 * One job set: cells {task, quantum}, each sealed, and its three bitmaps (an index over
 * the cells). `used`, the number of jobs, is sealed with the scheduler state: a bitmap that
 * hides a job or shows a phantom one disagrees with it or with a cell's code.
 */
class JobSet {
  readonly task: Int32Array;
  readonly quantum: Int32Array;
  private readonly code: Int32Array;
  private readonly free: Bits;
  private readonly byRank: Bits[];
  readonly ranks: Bits;
  used = 0;

  constructor(cells: number, rankCount: number, readonly id: number, private readonly rankOf: Int32Array, private readonly seal: QueueSeal, private readonly fail: Failures) {
    this.task = new Int32Array(cells).fill(NONE);
    this.quantum = new Int32Array(cells);
    this.code = new Int32Array(cells);
    for (let c = 0; c < cells; c++) this.code[c] = this.cellCode(c, NONE, 0);
    this.free = new Bits(cells, fail, true);
    this.ranks = new Bits(rankCount, fail, false);
    this.byRank = Array.from({ length: rankCount }, () => new Bits(cells, fail, false));
  }

  private cellCode(c: number, task: number, quantum: number): number {
    return this.seal.code3((this.id << 24) ^ c, task, quantum);
  }

  /** The task in cell c, its code verified. */
  taskAt(c: number): number {
    const task = this.task[c]!;
    if (this.code[c] !== this.cellCode(c, task, this.quantum[c]!)) this.fail.integrity(`set ${this.id} cell ${c} does not match its code`);
    return task;
  }

  quantumAt(c: number): number {
    this.taskAt(c);
    return this.quantum[c]!;
  }

  setQuantum(c: number, quantum: number): void {
    const task = this.taskAt(c);
    this.quantum[c] = quantum;
    this.code[c] = this.cellCode(c, task, quantum);
  }

  /**
   * First unused cell. One cell per task, so there always is one (else a kernel bug). Its
   * scan counts twice too; the `skip-loop` injection targets the election scan only.
   */
  insert(task: number, quantum: number): number {
    const c = this.free.lowest(undefined);
    if (c === NONE || c >= this.task.length) throw new Error('RRMQ job set full: more jobs than tasks');
    if (this.taskAt(c) !== NONE) this.fail.integrity(`set ${this.id} cell ${c} is marked free but holds task ${this.task[c]}`);
    this.free.delete(c);
    this.task[c] = task;
    this.quantum[c] = quantum;
    this.code[c] = this.cellCode(c, task, quantum);
    const r = this.rankOf[task]!;
    if (this.byRank[r]!.add(c)) this.ranks.add(r);
    this.used++;
    return c;
  }

  remove(c: number): void {
    const task = this.taskAt(c);
    if (task === NONE) this.fail.integrity(`set ${this.id} cell ${c} freed twice`);
    const r = this.rankOf[task]!;
    if (this.byRank[r]!.delete(c)) this.ranks.delete(r);
    this.task[c] = NONE;
    this.quantum[c] = 0;
    this.code[c] = this.cellCode(c, NONE, 0);
    this.free.add(c);
    this.used--;
  }

  /** Highest priority (lowest rank), ties to the lowest cell; NONE when empty. */
  best(hooks: SchedulerHooks | undefined): number {
    const r = this.ranks.lowest(hooks);
    if (r === NONE) {
      if (this.used !== 0) this.fail.integrity(`set ${this.id} holds ${this.used} jobs its bitmaps do not show`);
      return NONE;
    }
    const c = this.byRank[r]!.lowest(hooks);
    if (c === NONE || c >= this.task.length) this.fail.integrity(`set ${this.id}: rank ${r} is marked non-empty but has no cell`);
    const task = this.taskAt(c);
    if (task === NONE || this.rankOf[task] !== r) this.fail.integrity(`set ${this.id} cell ${c}: task ${task} is not of rank ${r}`);
    return c;
  }

  /** No job, by the bitmaps, cross-checked with the sealed count. */
  isEmpty(): boolean {
    const empty = this.ranks.isEmpty();
    if (empty !== (this.used === 0)) this.fail.integrity(`set ${this.id}: its bitmaps and its job count (${this.used}) disagree`);
    return empty;
  }
}

export class RrmqScheduler implements Scheduler {
  private active: JobSet;
  private backed: JobSet;
  /** Cell of the running job in the active set, or NONE when idle runs. */
  private running = NONE;
  /** Time-slot window number: bumped at every swap of the sets. */
  private window = 0;
  /** Code over (running, active set id, window). */
  private stateCode: number;

  /** Per task, sealed: queued (0/1), the set it is in, its cell. */
  private readonly queued: Uint8Array;
  private readonly inSet: Int32Array;
  private readonly cell: Int32Array;
  private readonly placeCode: Int32Array;
  /** Per task, sealed: quantum a blocked job had left, and the window it was left in. */
  private readonly leftover: Int32Array;
  private readonly leftoverWindow: Int32Array;
  private readonly leftoverCode: Int32Array;

  /** Windows each task was elected in (statistics; not used for decisions, not sealed). */
  private readonly firstWindow: Int32Array;
  private readonly lastWindow: Int32Array;
  private readonly windowsRan: Int32Array;

  private readonly rankOf: Int32Array;
  private readonly seal: QueueSeal;
  private readonly fail: Failures;

  /**
   * `seal`: the kernel's boot-keyed code; a fixed-key one when the scheduler is used alone
   * (tests, benchmarks).
   */
  constructor(private readonly tasks: readonly SchedulerTaskInfo[], private readonly hooks?: SchedulerHooks, seal?: QueueSeal) {
    const n = tasks.length;
    this.seal = seal ?? new IntegrityKey(0x52524d51);
    this.fail = {
      integrity: (message) => {
        if (hooks?.integrityFailure !== undefined) hooks.integrityFailure(message);
        throw new QueueIntegrityError(message);
      },
      loop: (message) => {
        if (hooks?.loopCounterMismatch !== undefined) hooks.loopCounterMismatch(message);
        throw new LoopCounterMismatch(message);
      },
    };
    // Ranks: distinct priorities, highest first (rank 0 = highest priority).
    const priorities = [...new Set(tasks.map((t) => t.priority))].sort((a, b) => b - a);
    const rank = new Map(priorities.map((p, r) => [p, r]));
    this.rankOf = Int32Array.from(tasks, (t) => rank.get(t.priority)!);
    this.active = new JobSet(n, priorities.length, 0, this.rankOf, this.seal, this.fail);
    this.backed = new JobSet(n, priorities.length, 1, this.rankOf, this.seal, this.fail);
    this.stateCode = this.stateCodeOf();
    this.queued = new Uint8Array(n);
    this.inSet = new Int32Array(n).fill(NONE);
    this.cell = new Int32Array(n).fill(NONE);
    this.placeCode = new Int32Array(n);
    this.leftover = new Int32Array(n);
    this.leftoverWindow = new Int32Array(n).fill(NONE);
    this.leftoverCode = new Int32Array(n);
    this.firstWindow = new Int32Array(n).fill(NONE);
    this.lastWindow = new Int32Array(n).fill(NONE);
    this.windowsRan = new Int32Array(n);
    for (let t = 0; t < n; t++) {
      this.placeCode[t] = this.placeCodeOf(t);
      this.leftoverCode[t] = this.leftoverCodeOf(t);
    }
  }

  // ---- sealed scalars and records ----

  /** Code over the running cell, which set is active, the window and both job counts. */
  private stateCodeOf(): number {
    return this.seal.code3(this.running ^ (this.active.id << 24), this.window, this.active.used | (this.backed.used << 16));
  }

  private verifyState(): void {
    if (this.stateCode !== this.stateCodeOf()) this.fail.integrity('running job / active set / window / job counts do not match their code');
  }

  private sealState(): void {
    this.stateCode = this.stateCodeOf();
  }

  private placeCodeOf(t: number): number {
    return this.seal.code3(t | (this.queued[t]! << 20), this.inSet[t]!, this.cell[t]!);
  }

  private leftoverCodeOf(t: number): number {
    return this.seal.code3(t | (1 << 21), this.leftover[t]!, this.leftoverWindow[t]!);
  }

  private verifyPlace(t: number): void {
    if (this.placeCode[t] !== this.placeCodeOf(t)) this.fail.integrity(`task ${t}'s queue record does not match its code`);
  }

  private place(t: number, queued: number, set: number, cell: number): void {
    this.queued[t] = queued;
    this.inSet[t] = set;
    this.cell[t] = cell;
    this.placeCode[t] = this.placeCodeOf(t);
  }

  private setOf(id: number): JobSet {
    return this.active.id === id ? this.active : this.backed;
  }

  // ---- the policy ----

  /**
   * Queue a READY job. Deviation from the reference (documented in docs/kernel.md): a job
   * woken in the window it blocked in resumes with the quantum it had left, and one that
   * used its quantum up in this window waits in the backed set. With a fresh quantum at
   * every wake (the reference), two tasks waking each other forever never leave the active
   * set and starve every job in the backed set.
   */
  schedule(task: number): boolean {
    this.verifyPlace(task);
    if (this.queued[task] === 1) return false;
    this.verifyState();
    this.scheduleChecked(task);
    this.sealState();
    return true;
  }

  private scheduleChecked(task: number): void {
    if (this.leftoverCode[task] !== this.leftoverCodeOf(task)) this.fail.integrity(`task ${task}'s leftover quantum does not match its code`);
    const info = this.tasks[task]!;
    if (this.leftoverWindow[task] === this.window) {
      const left = this.leftover[task]!;
      if (left > 0) this.place(task, 1, this.active.id, this.active.insert(task, left));
      else this.place(task, 1, this.backed.id, this.backed.insert(task, info.quantum));
    } else {
      this.place(task, 1, this.active.id, this.active.insert(task, info.quantum));
    }
  }

  elect(runningStillReady: boolean): number {
    this.verifyState();
    if (this.running !== NONE) {
      const c = this.running;
      const task = this.active.taskAt(c);
      this.verifyPlace(task);
      if (this.inSet[task] !== this.active.id || this.cell[task] !== c) this.fail.integrity(`running cell ${c} holds task ${task}, whose record places it elsewhere`);
      const left = this.active.quantum[c]!;
      this.active.remove(c);
      this.running = NONE;
      if (runningStillReady) {
        this.place(task, 1, this.backed.id, this.backed.insert(task, this.tasks[task]!.quantum));
      } else {
        this.place(task, 0, NONE, NONE);
        this.leftover[task] = left;
        this.leftoverWindow[task] = this.window;
        this.leftoverCode[task] = this.leftoverCodeOf(task);
      }
    }
    if (this.active.isEmpty()) {
      const swap = this.active;
      this.active = this.backed;
      this.backed = swap;
      this.window = (this.window + 1) | 0;
    }
    const c = this.active.best(this.hooks);
    this.running = c;
    this.sealState();
    if (c === NONE) return NONE;
    const task = this.active.task[c]!;
    if (this.lastWindow[task] !== this.window) {
      if (this.firstWindow[task] === NONE) this.firstWindow[task] = this.window;
      this.lastWindow[task] = this.window;
      this.windowsRan[task] = this.windowsRan[task]! + 1;
    }
    return task;
  }

  tick(): boolean {
    this.verifyState();
    if (this.running === NONE) return false;
    const left = this.active.quantumAt(this.running) - 1;
    this.active.setQuantum(this.running, left);
    return left <= 0;
  }

  quantumLeft(): number {
    this.verifyState();
    return this.running === NONE ? 0 : this.active.quantumAt(this.running);
  }

  isQueued(task: number): boolean {
    this.verifyPlace(task);
    return this.queued[task] === 1;
  }

  remove(task: number): void {
    this.verifyPlace(task);
    if (this.queued[task] !== 1) return;
    this.verifyState();
    const set = this.setOf(this.inSet[task]!);
    const c = this.cell[task]!;
    if (c < 0 || c >= this.tasks.length || set.taskAt(c) !== task) this.fail.integrity(`task ${task}'s record points at cell ${c}, which does not hold it`);
    set.remove(c);
    if (set === this.active && this.running === c) this.running = NONE;
    this.sealState();
    this.place(task, 0, NONE, NONE);
  }

  size(): number {
    return this.active.used + this.backed.used;
  }

  /**
   * A glitch in the queues: the running job's cell changes (its quantum), or, with nothing
   * running, a phantom job appears in the active set's rank bitmap. Either is caught at the
   * next election: the cell no longer matches its code; the bitmap disagrees with the
   * sealed job count. (A flipped bitmap bit is not always caught at once: one that hides a
   * job is caught when its set is next found empty, within the window; one that only
   * duplicates what an operation is about to write changes nothing. Every job the bitmaps
   * point at is checked against its sealed cell before it runs.)
   */
  corruptForInjection(): void {
    if (this.running !== NONE) this.active.quantum[this.running] = this.active.quantum[this.running]! ^ 0x40;
    else this.active.ranks.glitch(0);
  }

  windowStats(task: number): WindowStats {
    return { first: this.firstWindow[task]!, last: this.lastWindow[task]!, ran: this.windowsRan[task]! };
  }
}
