/**
 * FIFO scheduler (`CONFIG_SCHED_FIFO`): one ring of tasks, no priorities.
 *
 * The reference FIFO does not build (spec §5.2), so Rampart defines it: queue at the
 * tail, elect the head, a job that yields or uses up its quantum goes back to the tail.
 * Keeping the quantum preemption is deliberate: a task stuck in a loop must never starve
 * the others, whatever the policy.
 *
 * Integrity as in RRMQ: every ring slot and the ring state (head, count, running job,
 * quantum) carry a keyed code, verified before use and recomputed at each write.
 */

import { IntegrityKey } from '../managers/security/integrity.js';
import { QueueIntegrityError, type QueueSeal, type Scheduler, type SchedulerHooks, type SchedulerTaskInfo } from './scheduler.js';

const SLOT = 0x46494630;

export class FifoScheduler implements Scheduler {
  private readonly ring: Int32Array;
  private readonly ringCode: Int32Array;
  private head = 0;
  private count = 0;
  private running = -1;
  private quantum = 0;
  private stateCode: number;
  private readonly queued: Uint8Array;
  private readonly seal: QueueSeal;

  constructor(private readonly tasks: readonly SchedulerTaskInfo[], private readonly hooks?: SchedulerHooks, seal?: QueueSeal) {
    this.seal = seal ?? new IntegrityKey(0x46494650);
    this.ring = new Int32Array(tasks.length);
    this.ringCode = Int32Array.from(this.ring, (v, i) => this.seal.code3(SLOT ^ i, v, 0));
    this.queued = new Uint8Array(tasks.length);
    this.stateCode = this.stateCodeOf();
  }

  private fail(message: string): never {
    if (this.hooks?.integrityFailure !== undefined) this.hooks.integrityFailure(message);
    throw new QueueIntegrityError(message);
  }

  private stateCodeOf(): number {
    return this.seal.code3(this.head | (this.count << 16), this.running, this.quantum);
  }

  private verifyState(): void {
    if (this.stateCode !== this.stateCodeOf()) this.fail('FIFO ring state does not match its code');
  }

  private slot(i: number): number {
    const v = this.ring[i]!;
    if (this.ringCode[i] !== this.seal.code3(SLOT ^ i, v, 0)) this.fail(`FIFO ring slot ${i} does not match its code`);
    return v;
  }

  private push(task: number): void {
    const i = (this.head + this.count) % this.ring.length;
    this.ring[i] = task;
    this.ringCode[i] = this.seal.code3(SLOT ^ i, task, 0);
    this.count++;
  }

  schedule(task: number): boolean {
    if (this.queued[task] === 1) return false;
    this.verifyState();
    this.queued[task] = 1;
    this.push(task);
    this.stateCode = this.stateCodeOf();
    return true;
  }

  elect(runningStillReady: boolean): number {
    this.verifyState();
    if (this.running !== -1) {
      if (runningStillReady) this.push(this.running);
      else this.queued[this.running] = 0;
      this.running = -1;
    }
    if (this.count === 0) {
      this.stateCode = this.stateCodeOf();
      return -1;
    }
    const task = this.slot(this.head);
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    this.running = task;
    this.quantum = this.tasks[task]!.quantum;
    this.stateCode = this.stateCodeOf();
    return task;
  }

  tick(): boolean {
    this.verifyState();
    if (this.running === -1) return false;
    this.quantum--;
    this.stateCode = this.stateCodeOf();
    return this.quantum <= 0;
  }

  quantumLeft(): number {
    this.verifyState();
    return this.running === -1 ? 0 : this.quantum;
  }

  isQueued(task: number): boolean {
    return this.queued[task] === 1;
  }

  remove(task: number): void {
    if (this.queued[task] !== 1) return;
    this.verifyState();
    this.queued[task] = 0;
    if (this.running === task) {
      this.running = -1;
      this.stateCode = this.stateCodeOf();
      return;
    }
    const kept: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const t = this.slot((this.head + i) % this.ring.length);
      if (t !== task) kept.push(t);
    }
    this.head = 0;
    this.count = 0;
    for (const t of kept) this.push(t);
    this.stateCode = this.stateCodeOf();
  }

  size(): number {
    return this.count + (this.running === -1 ? 0 : 1);
  }

  corruptForInjection(): void {
    this.ring[this.head] = this.ring[this.head]! ^ 1;
  }

  windowStats(): undefined {
    return undefined;
  }
}
