/**
 * The kernel: task table, scheduler, virtual clock, events and the run loop.
 *
 * Mechanism only. Policies (scheduler, exit policy) are chosen at boot from the image's
 * configuration; the syscall gates in `syscalls/` implement the UAPI on top of the
 * primitives here (wake, block, deliver, terminate).
 *
 * Execution model. Tasks run one at a time, each in its own Wasm instance. A task leaves
 * the CPU only inside an import: a blocking syscall, or `preempt` when its metered cycle
 * budget runs out. If the kernel then elects another task, the import unwinds the
 * task's stack (Asyncify) back to `run()`, which enters the next task. If the same task is
 * elected again (it is alone, or it slept while nothing else could run), the import just
 * returns: no unwind, no rewind. Time is virtual: the count of metered cycles, jumping
 * straight to the next deadline when nothing can run.
 *
 * Invariants kept here:
 * - exactly one of: `current` is a running task, or the kernel is idle (`current === IDLE`);
 * - a task is in the scheduler iff its state is READY and it is not terminated;
 * - a task resumed from a blocking call has had its return slot assigned (never NonSense);
 * - the kernel never throws for a task's mistake: statuses and faults are values.
 */

import vm from 'node:vm';
import { ExitPolicy, JobState, Signal, Status, makeTaskHandle, taskHandleId, IDLE_TASK_LABEL } from '../toolchain/abi/index.js';
import type { KernelConfig } from './config.js';
import { KernelPanic, type TaskFault } from './errors.js';
import { Entropy } from './managers/security/entropy.js';
import { TaskInstance, type TaskLayout } from './platform/task-instance.js';
import type { Scheduler, SchedulerHooks } from './sched/scheduler.js';
import { RrmqScheduler } from './sched/rrmq.js';
import { FifoScheduler } from './sched/fifo.js';
import { ConsoleBuffer, type ConsoleSink } from './managers/debug/console.js';
import { Trace } from './managers/debug/trace.js';
import type { Board } from './board.js';
import type { BoardRuntime, DmaDevicePort, GpioPortLike } from './board-runtime.js';
import type { DmaEndpoint } from './board.js';
import { DeviceManager } from './managers/device/device-manager.js';
import { ShmManager, ShmRole } from './managers/memory/shm-manager.js';
import { DmaManager, StreamState } from './managers/dma/dma-manager.js';
import { SecurityManager, SecurityEvent, type JournalPolicy } from './managers/security/security-manager.js';
import { JournalKind, JOURNAL_KIND_NAMES } from './managers/security/journal.js';
import type { Injection } from './managers/security/injection.js';
import { SYSCALL_COUNT } from '../toolchain/abi/index.js';
import { ResourcePlane } from './resource-plane.js';

/** Gates return this instead of a status when the caller was descheduled. */
export const DESCHEDULED = -1;

/** The scheduler's "nobody" */
export const IDLE = -1;

/** A task as the image describes it, validated and frozen at boot. */
export interface TaskDescriptor {
  readonly name: string;
  readonly label: number;
  readonly priority: number;
  readonly quantum: number;
  readonly capabilities: number;
  readonly autoStart: boolean;
  readonly exitPolicy: ExitPolicy;
  readonly domain: number;
  readonly module: WebAssembly.Module;
  readonly layout: TaskLayout;
  /** Import names the module uses (validated against its capabilities at boot). */
  readonly imports: readonly string[];
  /**
   * Parallel to `imports`: true where the import has the instrumented form, whose trailing
   * i32 argument is the caller's live `__rampart_budget` (docs/task-abi.md).
   */
  readonly budgetArgument: readonly boolean[];
}

/** How a run ended. */
export type RunEnd =
  | { readonly kind: 'idle'; readonly message: string }
  | { readonly kind: 'panic'; readonly message: string }
  | { readonly kind: 'max-cycles'; readonly message: string }
  /** `run({ wallTimeoutMs })`: the run was stopped from outside after that much wall time. */
  | { readonly kind: 'wall-timeout'; readonly message: string };

export interface TaskSummary {
  readonly name: string;
  readonly label: number;
  readonly state: string;
  readonly exitStatus: number | null;
  readonly fault: TaskFault | null;
  readonly cycles: number;
  readonly syscalls: number;
  readonly switches: number;
  readonly restarts: number;
}

export interface RunResult {
  readonly end: RunEnd;
  readonly cycles: number;
  readonly tasks: readonly TaskSummary[];
  readonly droppedEvents: number;
}

export interface KernelOptions {
  readonly seed: number;
  readonly console: ConsoleSink;
  /** Kernel messages (boot, faults, restarts): stderr in the CLI. */
  readonly kernelLog?: (line: string) => void;
  readonly trace?: boolean;
  /** Stop the run at this many virtual cycles. */
  readonly maxCycles?: number;
  /** Scenario: input injected at given virtual times (button presses, UART bytes, pin levels). */
  readonly scenario?: { readonly text: string; readonly file: string };
  /** Record GPIO pins and IRQ lines as a VCD waveform. */
  readonly vcd?: boolean;
  /** Backup memory from a previous run (`--backup`): the abnormal-event journal area. */
  readonly journal?: Uint8Array;
  /** What to do at boot when previous runs journaled abnormal events. */
  readonly journalPolicy?: JournalPolicy;
  /** Faults to inject into the kernel itself (`--inject`). */
  readonly inject?: readonly Injection[];
  /** Backup SRAM content from a previous run (`--backup`). */
  readonly backupSram?: Uint8Array;
}

/** Builds the import object of one task; provided by `syscalls/table.ts` to avoid a cycle. */
export type ImportFactory = (kernel: Kernel, task: number) => WebAssembly.Imports;

/** Consecutive abnormal ends before restarts are delayed (a crash loop). */
const RESTART_BACKOFF_AFTER = 3;
/** Longest restart delay in ticks (ms): long enough to stop a crash loop eating the CPU. */
const RESTART_BACKOFF_MAX_TICKS = 1024;
/**
 * Idle stretch (in cycles at 64 MHz, scaled to the configured frequency) after which device
 * events alone stop extending a run: ten virtual minutes in which only devices ticked and no
 * kernel deadline was pending means nothing will ever wake the waiting tasks.
 */
const IDLE_DEVICE_HORIZON_CYCLES = 600 * 64_000_000;
/** Watchdog window in ticks (ms): a task's CPU share is judged over one second of virtual time. */
const WATCHDOG_WINDOW_TICKS = 1000;
/** Share of a window above which a task that kept others waiting is journaled as over budget. */
const WATCHDOG_MAX_SHARE = 0.9;
/** Largest single slice budget: keeps the i32 budget global far from overflow. */
const MAX_SLICE_CYCLES = 1 << 30;

const STATE_NAMES: Record<number, string> = {
  [JobState.NotStarted]: 'not-started',
  [JobState.Ready]: 'ready',
  [JobState.Sleeping]: 'sleeping',
  [JobState.SleepingDeep]: 'sleeping-deep',
  [JobState.Fault]: 'fault',
  [JobState.Security]: 'security',
  [JobState.Aborting]: 'aborted',
  [JobState.Finished]: 'finished',
  [JobState.IpcSendBlocked]: 'ipc-send-blocked',
  [JobState.WaitForEvent]: 'waiting',
};

export class Kernel {
  readonly config: KernelConfig;
  /** Number of user tasks; the idle task has index `userTasks`. */
  readonly userTasks: number;
  /** User tasks + idle. */
  readonly taskCount: number;
  readonly idleIndex: number;
  readonly descriptors: readonly TaskDescriptor[];
  readonly entropy: Entropy;
  readonly sched: Scheduler;
  readonly console: ConsoleBuffer;
  readonly trace: Trace | undefined;
  private readonly kernelLog: (line: string) => void;
  private readonly importFactory: ImportFactory;

  // ---- task table: parallel arrays indexed by task id (idle last) ----
  readonly state: Uint8Array;
  readonly handle: Uint32Array;
  readonly label: Uint32Array;
  readonly capabilities: Uint32Array;
  readonly domain: Uint32Array;
  /** Pending syscall return value; NonSense until a waking agent assigns it. */
  readonly returnSlot: Int32Array;
  readonly exitStatus: Int32Array;
  readonly faults: (TaskFault | null)[];
  readonly instances: (TaskInstance | undefined)[];
  /** Seed passed to `_start` at the current job's first entry. */
  readonly startSeed: Uint32Array;
  readonly restarts: Uint32Array;
  /** Abnormal ends since the last normal run, for the crash-loop backoff. */
  private readonly crashStreak: Uint32Array;

  // ---- events: per (receiver, sender) slots, N×N, receiver-major ----
  /** IPC pending length from sender s to receiver r at [r*N+s]; 0 = none. */
  readonly ipcLen: Int32Array;
  /** Receiver of the IPC a task is blocked sending, or -1. */
  readonly ipcTarget: Int32Array;
  readonly ipcPending: Int32Array;
  /** Work space of the IPC deadlock walk (gate-ipc.ts), preallocated. */
  readonly deadlockStack: Int32Array;
  readonly deadlockSeen: Uint8Array;
  /** Signal number pending from s to r at [r*N+s]; 0 = none. */
  readonly signalSlot: Int32Array;
  /** Handle of the signal's source at send time. */
  readonly signalSource: Uint32Array;
  readonly signalPending: Int32Array;
  droppedEvents = 0;

  // ---- time ----
  /** Virtual cycles since boot (at the last accounting point). */
  cycles = 0;
  /** System ticks (1 ms) processed so far. */
  tick = 0;
  readonly cyclesPerTick: number;
  /** Deadline tick of each task's sleep/wait timeout; 0 = none. */
  readonly delayTick: Float64Array;
  /** Tick at which a crash-looping task is restarted; 0 = none. */
  readonly restartTick: Float64Array;
  readonly alarmTask: Int32Array;
  readonly alarmTick: Float64Array;
  readonly alarmPeriod: Uint32Array;
  readonly alarmPeriodic: Uint8Array;
  private nextDeadline = Infinity;
  private deadlinesDirty = true;
  private readonly maxCycles: number;

  // ---- resources ----
  readonly board: Board;
  readonly runtime: BoardRuntime;
  readonly devices: DeviceManager;
  readonly shm: ShmManager;
  readonly dma: DmaManager;
  /** Scratch for DMA event pops: [handle, state]. */
  readonly dmaScratch = new Uint32Array(2);

  // ---- countermeasures ----
  readonly security: SecurityManager;
  /** Devices, IRQs, shared memories and DMA: what gates and the bus reach through the kernel. */
  readonly res: ResourcePlane = new ResourcePlane(this);

  // ---- the running slice ----
  current = IDLE;
  /** Task whose Wasm code is on the host stack right now, or IDLE. */
  executing = IDLE;
  /** Restarts decided while the task's old instance was still executing. */
  private readonly pendingRestart: Uint8Array;
  private sliceStart = 0;
  private sliceBudget = 0;
  /**
   * The running task's `__rampart_budget` as last seen by the kernel. Invariant: whenever
   * kernel code runs on behalf of a task (inside one of its imports, or in `runSlice` once
   * `enter()` returned), this equals the task's global. Kept by every import wrapper on
   * entry (from the budget argument of instrumented imports, from the global otherwise)
   * and by every kernel write of the global. Why: `now()` and `account()` run on every
   * syscall, and reading a `WebAssembly.Global` from JS costs several import calls.
   * The value is as trustworthy as the global itself, no more and no less: a hand-made
   * module controls both, which is why `account()` refuses a budget that went up.
   */
  budgetSeen = 0;
  private quantumExpired = false;
  private stopRequested: RunEnd | null = null;
  panicMessage: string | null = null;

  // ---- statistics ----
  readonly statCycles: Float64Array;
  readonly statSyscalls: Float64Array;
  readonly statSwitches: Float64Array;

  constructor(config: KernelConfig, board: Board, runtime: BoardRuntime, descriptors: readonly TaskDescriptor[], importFactory: ImportFactory, options: KernelOptions) {
    this.config = config;
    this.board = board;
    this.runtime = runtime;
    this.descriptors = descriptors;
    this.userTasks = descriptors.length;
    this.idleIndex = descriptors.length;
    const n = descriptors.length + 1;
    this.taskCount = n;
    this.importFactory = importFactory;
    this.entropy = new Entropy(options.seed);
    this.kernelLog = options.kernelLog ?? (() => undefined);
    this.console = new ConsoleBuffer(descriptors.map((d) => d.name), options.console, config.buildTarget === 'release');
    this.trace = options.trace ? new Trace(descriptors.map((d) => d.name), config.nominalFrequencyHz) : undefined;
    this.maxCycles = options.maxCycles ?? Infinity;
    this.journalPolicy = options.journalPolicy ?? 'continue';
    this.cyclesPerTick = Math.floor(config.nominalFrequencyHz / config.systickHz);
    if (this.cyclesPerTick < 1) throw new KernelPanic('nominal frequency below the tick rate');

    this.state = new Uint8Array(n);
    this.handle = new Uint32Array(n);
    this.label = new Uint32Array(n);
    this.capabilities = new Uint32Array(n);
    this.domain = new Uint32Array(n);
    this.returnSlot = new Int32Array(n).fill(Status.NonSense);
    this.exitStatus = new Int32Array(n);
    this.faults = new Array<TaskFault | null>(n).fill(null);
    this.instances = new Array<TaskInstance | undefined>(n).fill(undefined);
    this.startSeed = new Uint32Array(n);
    this.restarts = new Uint32Array(n);
    this.crashStreak = new Uint32Array(n);
    this.ipcLen = new Int32Array(n * n);
    this.ipcTarget = new Int32Array(n).fill(-1);
    this.ipcPending = new Int32Array(n);
    this.deadlockStack = new Int32Array(n);
    this.deadlockSeen = new Uint8Array(n);
    this.signalSlot = new Int32Array(n * n);
    this.signalSource = new Uint32Array(n * n);
    this.signalPending = new Int32Array(n);
    this.delayTick = new Float64Array(n);
    this.restartTick = new Float64Array(n);
    const alarms = Math.max(config.maxTasks, 1);
    this.alarmTask = new Int32Array(alarms).fill(-1);
    this.alarmTick = new Float64Array(alarms);
    this.alarmPeriod = new Uint32Array(alarms);
    this.alarmPeriodic = new Uint8Array(alarms);
    this.statCycles = new Float64Array(n);
    this.statSyscalls = new Float64Array(n);
    this.statSwitches = new Float64Array(n);
    this.pendingRestart = new Uint8Array(n);

    this.security = new SecurityManager(this.entropy.next32(), n, SYSCALL_COUNT, options.journal, options.inject ?? []);
    const schedInfo = descriptors.map((d) => ({ priority: d.priority, quantum: Math.max(1, d.quantum) }));
    schedInfo.push({ priority: 0, quantum: 1 });
    const injector = this.security.injector;
    const hooks: SchedulerHooks = {
      skipIteration: () => injector.armed && injector.take('skip-loop', this.cycles) !== undefined,
      integrityFailure: (message) => this.securityPanic(JournalKind.IntegritySchedQueue, IDLE, `scheduler queues were altered outside the scheduler (${message})`),
      loopCounterMismatch: (message) => this.securityPanic(JournalKind.LoopCounter, IDLE, message),
    };
    this.sched = config.scheduler === 'fifo'
      ? new FifoScheduler(schedInfo, hooks, this.security.key)
      : new RrmqScheduler(schedInfo, hooks, this.security.key);

    for (let t = 0; t < this.userTasks; t++) {
      const d = descriptors[t]!;
      this.label[t] = d.label;
      this.capabilities[t] = d.capabilities;
      this.domain[t] = d.domain;
    }
    this.label[this.idleIndex] = IDLE_TASK_LABEL;
    this.state[this.idleIndex] = JobState.Ready;
    this.handle[this.idleIndex] = makeTaskHandle(this.idleIndex, this.entropy.next32());

    const byLabel = (label: number): number => {
      for (let t = 0; t < this.userTasks; t++) if (this.label[t] === label) return t;
      return -1;
    };
    const random = (): number => this.entropy.next32();
    this.devices = new DeviceManager(board, byLabel, n);
    this.shm = new ShmManager(board, byLabel, n, random);
    this.dma = new DmaManager(board, byLabel, n, random);
    runtime.connect({
      irq: (line) => this.res.onIrq(line),
      uartOutput: (device, bytes) => this.res.onUartOutput(device, bytes),
      dmaCopy: (source, so, dest, dOff, length, ports) => this.res.dmaCopy(source, so, dest, dOff, length, ports),
    });
  }

  // ======================================================================
  // boot and the run loop
  // ======================================================================

  /** Instantiate every task, forge handles, queue the auto-start ones. */
  boot(): void {
    if (this.config.buildTarget === 'debug') {
      this.kernelLog('rampart: DEBUG build: not for production (log enabled, faults do not panic)');
    }
    const journal = this.security.journal;
    for (const problem of journal.problems) this.kernelLog(`rampart: journal: ${problem}`);
    const refused = new Set<number>();
    for (const r of journal.previous) {
      this.kernelLog(`rampart: journal: boot ${r.boot}, cycle ${r.cycle}: ${JOURNAL_KIND_NAMES[r.kind] ?? `event ${r.kind}`}${r.label !== 0 ? ` (task 0x${r.label.toString(16)})` : ''}`);
      if (this.journalPolicy === 'refuse-task' && r.label !== 0) refused.add(r.label);
    }
    this.sealTask(this.idleIndex);
    for (let t = 0; t < this.userTasks; t++) {
      this.newJob(t);
      const d = this.descriptors[t]!;
      if (refused.has(d.label)) {
        this.kernelLog(`rampart: journal policy refuse-task: task '${d.name}' is not started (abnormal events in previous runs)`);
        this.state[t] = JobState.NotStarted;
      } else if (d.autoStart) {
        this.state[t] = JobState.Ready;
        this.sched.schedule(t);
      } else {
        this.state[t] = JobState.NotStarted;
      }
    }
  }

  private readonly journalPolicy: JournalPolicy;

  // ======================================================================
  // countermeasures
  // ======================================================================

  private sealTask(t: number): void {
    this.security.sealTask(t, this.label[t]!, this.capabilities[t]!, this.domain[t]!, this.handle[t]!);
  }

  /** Verify task t's table entry; a mismatch is a journaled security panic. */
  checkTask(t: number): void {
    if (!this.security.taskIntact(t, this.label[t]!, this.capabilities[t]!, this.domain[t]!, this.handle[t]!)) {
      this.securityPanic(JournalKind.IntegrityTaskTable, t, `task table entry of '${this.taskName(t)}' was altered`);
    }
  }

  /** Capabilities of task t, after verifying its table entry. */
  capsOf(t: number): number {
    this.checkTask(t);
    return this.capabilities[t]!;
  }

  /**
   * The second, independent evaluation of a capability check, right before the privileged
   * action it allows. If the first check was skipped (a glitch), this one disagrees.
   */
  confirmCapability(t: number, cap: number): void {
    if ((this.capabilities[t]! & cap) === 0) {
      this.securityPanic(JournalKind.RedundantCheck, t, `privileged action by '${this.taskName(t)}' without its capability (the first check was bypassed)`);
    }
  }

  /** Fault injection: true when the next first-level check must be skipped. */
  injectSkipCheck(): boolean {
    return this.security.injector.armed && this.security.injector.take('skip-check', this.cycles) !== undefined;
  }

  /** Queue a READY task (the scheduler verifies and re-seals what it touches). */
  scheduleTask(t: number): void {
    this.sched.schedule(t);
  }

  /** Journal a security event, then panic: kernel data can no longer be trusted. */
  securityPanic(kind: JournalKind, t: number, message: string): never {
    this.security.record(kind, this.cycles, t >= 0 && t < this.userTasks ? this.label[t]! : 0, 0);
    this.raisePanic(`security: ${message}`);
  }

  private taskName(t: number): string {
    return t === this.idleIndex ? 'idle' : this.descriptors[t]?.name ?? `#${t}`;
  }

  /** A fresh job for task t: new handle generation, new instance, new `_start` seed. */
  private newJob(t: number): void {
    this.handle[t] = makeTaskHandle(t, this.entropy.next32());
    this.startSeed[t] = this.entropy.next32();
    this.returnSlot[t] = Status.NonSense;
    const d = this.descriptors[t]!;
    this.instances[t] = new TaskInstance(d.module, this.importFactory(this, t), d.layout);
    this.security.forgetContext(t);
    this.sealTask(t);
  }

  /**
   * Run until nothing can ever run again, a panic, or `maxCycles`.
   *
   * `wallTimeoutMs` is the last line of defence against a module whose code never reaches a
   * metering point (an image that did not come from a trusted integrator: instrumented
   * modules are checked at every loop header and function entry, so they always come back).
   * The run executes under V8's execution watchdog, which interrupts even a Wasm loop; the
   * run then ends as 'wall-timeout', naming the task that was running, with a journal entry.
   * The kernel cannot resume after that (the task was stopped mid-instruction), and wall time
   * is not deterministic: it is a guard, off by default, never part of a normal run.
   */
  run(options: { readonly wallTimeoutMs?: number } = {}): RunResult {
    const limit = options.wallTimeoutMs;
    if (limit === undefined) return this.runUnguarded();
    if (!Number.isInteger(limit) || limit <= 0) throw new RangeError(`wallTimeoutMs must be a positive integer, got ${String(limit)}`);
    try {
      return vm.runInNewContext('kernel.runUnguarded()', { kernel: this }, { timeout: limit }) as RunResult;
    } catch (error) {
      if ((error as { code?: string } | null)?.code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error;
      const t = this.current;
      const who = t === IDLE ? 'the kernel' : `task '${this.taskName(t)}'`;
      const message = `stopped after ${limit} ms of wall time: ${who} never returned to the kernel`
        + (t === IDLE ? '' : ' (its code did not reach a metering point: a module that was not instrumented by a trusted integrator?)');
      this.security.record(JournalKind.WatchdogWallClock, this.cycles, t === IDLE || t >= this.userTasks ? 0 : this.label[t]!, 0);
      this.stopRequested = { kind: 'wall-timeout', message };
      this.panicMessage ??= message;
      return this.finish(this.stopRequested);
    }
  }

  /** The run loop (see `run`). */
  runUnguarded(): RunResult {
    let end: RunEnd;
    try {
      this.current = this.electNext(false);
      for (;;) {
        if (this.stopRequested !== null) { end = this.stopRequested; break; }
        if (this.current === IDLE) { end = this.idleEnd(); break; }
        this.runSlice(this.current);
      }
    } catch (error) {
      if (!(error instanceof KernelPanic)) throw error;
      end = { kind: 'panic', message: error.message };
      this.security.record(JournalKind.KernelPanic, this.cycles, 0, 0);
    }
    return this.finish(end);
  }

  /** The end of a run: pending console lines out, then the result. */
  private finish(end: RunEnd): RunResult {
    for (let t = 0; t < this.userTasks; t++) this.console.flush(t);
    return { end, cycles: this.cycles, tasks: this.summaries(), droppedEvents: this.droppedEvents };
  }

  /** Enter task t and come back when it switched out, ended or faulted. */
  private runSlice(t: number): void {
    const inst = this.instances[t]!;
    this.checkTask(t);
    if (!inst.fresh) {
      const mem = inst.memoryBytes();
      const start = inst.savedContextStart();
      const injector = this.security.injector;
      if (injector.armed && injector.take('corrupt-context', this.cycles, this.taskName(t)) !== undefined) {
        mem[start] = mem[start]! ^ 0x10;
      }
      if (!this.security.contextIntact(t, mem, start)) {
        this.security.record(JournalKind.IntegritySavedContext, this.cycles, this.label[t]!, 0);
        if (this.config.buildTarget === 'release') this.raisePanic(`security: saved context of '${this.taskName(t)}' was altered while it was suspended`);
        inst.killed = true;
        this.fault(t, { kind: 'kernel-refused', message: 'saved context altered while suspended (integrity check failed): not resumed' });
        if (this.current === t) this.current = IDLE;
        if (this.pendingRestart[t] === 1) { this.pendingRestart[t] = 0; this.restart(t); }
        if (this.current === IDLE && this.stopRequested === null) this.current = this.electNext(false);
        return;
      }
    }
    this.statSwitches[t] = this.statSwitches[t]! + 1;
    this.beginSlice(t);
    this.trace?.switchIn(t, this.cycles);
    if (this.shm.shms.length > 0) this.shm.syncIn(t, inst.memoryBytes());
    let returned = false;
    let trap: unknown;
    this.executing = t;
    try {
      inst.enter(this.label[t]!, this.startSeed[t]!);
      returned = !inst.completeReturn();
    } catch (error) {
      trap = error;
      inst.unwinding = false;
      inst.rewinding = false;
    } finally {
      this.executing = IDLE;
    }
    if (this.panicMessage !== null) throw new KernelPanic(this.panicMessage);
    if (trap instanceof KernelPanic) { this.panicMessage = trap.message; throw trap; }
    if (trap !== undefined || returned || inst.killed) {
      // The task may have run (and been charged) since its last import: what follows
      // accounts. (A task that unwound did so inside an import, whose entry set budgetSeen,
      // and unwinding runs no metered code: no read of the global is needed then.)
      this.budgetSeen = inst.budget.value as number;
      // A trap after the kernel already ended this job (say the save area overflowed while
      // unwinding an exit) changes nothing: the job is over.
      if (!inst.killed && !this.isTerminated(t)) {
        if (this.current === t) this.account();
        if (trap !== undefined) this.fault(t, describeTrap(trap));
        else this.terminate(t, 0); // `_start` returned: exit(0) (the C runtime calls exit itself)
      }
      if (this.current === t) this.current = IDLE;
    } else {
      if (this.shm.shms.length > 0 && !this.isTerminated(t)) this.res.syncShmOut(t);
      // Suspended: seal its saved context, checked before it is ever resumed.
      const mem = inst.memoryBytes();
      this.security.sealContext(t, mem, inst.savedContextStart(), inst.savedContextEnd());
    }
    if (this.pendingRestart[t] === 1) {
      this.pendingRestart[t] = 0;
      this.restart(t);
    }
    if (this.current === IDLE && this.stopRequested === null) this.current = this.electNext(false);
  }

  private idleEnd(): RunEnd {
    const blocked: string[] = [];
    for (let t = 0; t < this.userTasks; t++) {
      const s = this.state[t]!;
      if (s === JobState.IpcSendBlocked || s === JobState.WaitForEvent || s === JobState.SleepingDeep || s === JobState.Sleeping) {
        blocked.push(`${this.descriptors[t]!.name} (${STATE_NAMES[s]})`);
      }
    }
    const message = blocked.length === 0
      ? 'no task can run again: every task has ended or was never started'
      : `no task can run again: ${blocked.join(', ')} wait for events that nothing pending can produce`;
    return { kind: 'idle', message };
  }

  // ======================================================================
  // time
  // ======================================================================

  /** Current virtual cycle, including what the running task consumed in this slice. */
  now(): number {
    if (this.current === IDLE) return this.cycles;
    return this.sliceStart + (this.sliceBudget - this.budgetSeen);
  }

  /** Fold the running slice into `cycles` and the running task's statistics, then catch up ticks. */
  account(): void {
    const t = this.current;
    const injector = this.security.injector;
    if (injector.armed && t !== IDLE && injector.take('flip-table', this.cycles, this.taskName(t)) !== undefined) {
      // A glitch in the task table: the running task suddenly holds CAP_CRY_KRNG.
      this.capabilities[t] = this.capabilities[t]! ^ (1 << 21);
    }
    if (t !== IDLE) {
      const left = this.budgetSeen;
      let used = this.sliceBudget - left;
      if (used < 0) {
        // Only the task's own code could have raised its budget: metering was tampered with.
        // Time never runs backwards; the task is stopped.
        used = 0;
        const inst = this.instances[t]!;
        inst.budget.value = this.sliceBudget;
        this.budgetSeen = this.sliceBudget;
        if (!inst.killed && !this.isTerminated(t)) {
          this.sliceStart = this.cycles;
          this.killTask(t, 'its cycle budget was raised by its own code (metering tampered with)');
          return;
        }
      }
      this.cycles = this.sliceStart + used;
      this.statCycles[t] = this.statCycles[t]! + used;
      this.sliceStart = this.cycles;
      this.sliceBudget = left;
    }
    this.runtime.advanceTo(this.cycles);
    this.processTicks();
  }

  /** Give task t a budget that ends at its quantum expiry (or the cycle limit). */
  private beginSlice(t: number): void {
    const quantumEnd = (this.tick + this.sched.quantumLeft()) * this.cyclesPerTick;
    const stop = Math.min(quantumEnd, this.maxCycles, this.runtime.nextEventCycle());
    const budget = Math.max(1, Math.min(MAX_SLICE_CYCLES, stop - this.cycles));
    this.sliceStart = this.cycles;
    this.sliceBudget = budget;
    this.instances[t]!.budget.value = budget;
    this.budgetSeen = budget;
  }

  private processTicks(): void {
    const target = Math.floor(this.cycles / this.cyclesPerTick);
    while (this.tick < target) {
      this.tick++;
      if (this.current !== IDLE && !this.quantumExpired) {
        if (this.sched.tick()) this.quantumExpired = true;
      }
      if (this.tick % WATCHDOG_WINDOW_TICKS === 0) this.watchdog();
      if (this.deadlinesDirty) this.recomputeDeadline();
      if (this.tick >= this.nextDeadline) this.fireDeadlines();
    }
  }

  private recomputeDeadline(): void {
    let next = Infinity;
    for (let t = 0; t < this.taskCount; t++) {
      const d = this.delayTick[t]!;
      if (d !== 0 && d < next) next = d;
      const r = this.restartTick[t]!;
      if (r !== 0 && r < next) next = r;
    }
    for (let a = 0; a < this.alarmTask.length; a++) {
      if (this.alarmTask[a] !== -1 && this.alarmTick[a]! < next) next = this.alarmTick[a]!;
    }
    this.nextDeadline = next;
    this.deadlinesDirty = false;
  }

  /** Process every delay, restart and alarm due at the current tick (task order, then alarm order). */
  private fireDeadlines(): void {
    const tick = this.tick;
    for (let t = 0; t < this.taskCount; t++) {
      if (this.delayTick[t] !== 0 && this.delayTick[t]! <= tick) {
        this.delayTick[t] = 0;
        const s = this.state[t];
        if (s === JobState.Sleeping || s === JobState.SleepingDeep || s === JobState.WaitForEvent) {
          this.makeReady(t, Status.Timeout);
        }
      }
      if (this.restartTick[t] !== 0 && this.restartTick[t]! <= tick) {
        this.restartTick[t] = 0;
        this.restart(t);
      }
    }
    for (let a = 0; a < this.alarmTask.length; a++) {
      const t = this.alarmTask[a]!;
      if (t === -1 || this.alarmTick[a]! > tick) continue;
      if (this.alarmPeriodic[a] === 1) this.alarmTick[a] = tick + Math.max(1, this.alarmPeriod[a]!);
      else this.alarmTask[a] = -1;
      this.postSignal(t, t, Signal.Alarm, this.handle[t]!, true);
    }
    this.deadlinesDirty = true;
  }

  /** Arm a task's sleep/wait timeout `ms` ticks from now (0 behaves like 1, spec §4.4). */
  armDelay(t: number, ms: number): void {
    this.delayTick[t] = this.tick + Math.max(1, ms);
    this.deadlinesDirty = true;
  }

  cancelDelay(t: number): void {
    if (this.delayTick[t] !== 0) {
      this.delayTick[t] = 0;
      this.deadlinesDirty = true;
    }
  }

  /** Arm an alarm; false when the table is full. */
  armAlarm(t: number, ms: number, periodic: boolean): boolean {
    for (let a = 0; a < this.alarmTask.length; a++) {
      if (this.alarmTask[a] === -1) {
        this.alarmTask[a] = t;
        this.alarmTick[a] = this.tick + Math.max(1, ms);
        this.alarmPeriod[a] = ms;
        this.alarmPeriodic[a] = periodic ? 1 : 0;
        this.deadlinesDirty = true;
        return true;
      }
    }
    return false;
  }

  /** Remove the caller's first alarm with this period; false when none. */
  stopAlarm(t: number, ms: number): boolean {
    for (let a = 0; a < this.alarmTask.length; a++) {
      if (this.alarmTask[a] === t && this.alarmPeriod[a] === ms) {
        this.alarmTask[a] = -1;
        this.deadlinesDirty = true;
        return true;
      }
    }
    return false;
  }

  // ======================================================================
  // scheduling primitives used by the gates
  // ======================================================================

  /** Make a blocked task READY with `status` as its syscall result, and queue it. */
  makeReady(t: number, status: number): void {
    this.cancelDelay(t);
    this.returnSlot[t] = status;
    this.state[t] = JobState.Ready;
    this.scheduleTask(t);
  }

  /** A new event for r: wake it with INTR if it waits or sleeps shallowly (the event stays queued). */
  wakeForEvent(r: number): void {
    const s = this.state[r];
    if (s === JobState.WaitForEvent || s === JobState.Sleeping) this.makeReady(r, Status.Intr);
  }

  /**
   * An event that no queue could take (spec Part 1, B.4): counted, logged, and logged and journaled
   * as an abnormal event at the 1st, 2nd, 4th, 8th... drop, so a flood cannot wash the older
   * records out of the journal's ring.
   */
  dropEvent(t: number, what: string): void {
    const n = ++this.droppedEvents;
    if ((n & (n - 1)) !== 0) return;
    const task = t >= 0 ? `task '${this.descriptors[t]!.name}'` : 'no task';
    this.log(`rampart: event dropped for ${task}: ${what} (${n} dropped so far)`);
    this.security.record(JournalKind.EventDropped, this.cycles, t >= 0 ? this.label[t]! : 0, n);
  }

  /**
   * Store a signal from s into r's slot. Returns false when the slot is occupied.
   * `isAlarm` drops silently (and counts) instead of refusing.
   */
  postSignal(r: number, s: number, signal: number, source: number, isAlarm: boolean): boolean {
    const slot = r * this.taskCount + s;
    if (this.signalSlot[slot] !== 0) {
      if (isAlarm) this.dropEvent(r, 'alarm signal');
      return false;
    }
    this.signalSlot[slot] = signal;
    this.signalSource[slot] = source;
    this.signalPending[r] = this.signalPending[r]! + 1;
    this.wakeForEvent(r);
    return true;
  }

  /** Resolve a task handle to its index: full 32-bit match required; -1 when invalid. */
  resolveTask(handle: number): number {
    const id = taskHandleId(handle);
    if (id >= this.taskCount || this.handle[id] !== handle >>> 0) return -1;
    return id;
  }

  findLabel(label: number): number {
    for (let t = 0; t < this.taskCount; t++) if (this.label[t] === label) return t;
    return -1;
  }

  /** Domains isolate tasks; the idle task belongs to every domain. */
  sameDomain(a: number, b: number): boolean {
    return a === this.idleIndex || b === this.idleIndex || this.domain[a] === this.domain[b];
  }

  isTerminated(t: number): boolean {
    const s = this.state[t];
    return s === JobState.Finished || s === JobState.Aborting || s === JobState.Fault;
  }

  stateName(t: number): string {
    return STATE_NAMES[this.state[t]!] ?? 'unknown';
  }

  // ======================================================================
  // switching (called from imports of the running task)
  // ======================================================================

  /**
   * The running task t gave up the CPU (blocked, yielded or ended). Elect the next job; if it
   * is t again, return t's syscall result at once, otherwise unwind t back to `run()`.
   */
  switchFrom(t: number, stillReady: boolean): number {
    const inst = this.instances[t]!;
    if (this.shm.shms.length > 0 && !this.isTerminated(t) && !this.res.syncShmOut(t)) {
      inst.startUnwind();
      return 0;
    }
    this.account();
    this.quantumExpired = false;
    const next = this.electNext(stillReady);
    if (next === t && this.stopRequested === null && !inst.killed) {
      if (this.shm.shms.length > 0) this.shm.syncIn(t, inst.memoryBytes());
      this.beginSlice(t);
      this.trace?.switchIn(t, this.cycles);
      const status = this.returnSlot[t]!;
      this.returnSlot[t] = Status.NonSense;
      return status;
    }
    this.current = next;
    inst.startUnwind();
    return 0;
  }

  /** `preempt` import: the running task's budget went negative. */
  preempt(t: number): void {
    const inst = this.instances[t]!;
    if (this.panicMessage !== null || inst.killed) { inst.startUnwind(); return; }
    this.account();
    if (this.cycles >= this.maxCycles) {
      this.stopRequested = { kind: 'max-cycles', message: `stopped at --max-cycles ${this.maxCycles}` };
      this.current = IDLE;
      inst.startUnwind();
      return;
    }
    if (this.quantumExpired) {
      this.quantumExpired = false;
      const next = this.electNext(true);
      if (next !== t) {
        this.current = next;
        inst.startUnwind();
        return;
      }
      this.trace?.switchIn(t, this.cycles);
    }
    this.beginSlice(t);
  }

  /**
   * A rewound task picks up its syscall result. A module whose rewind lands in a blocking
   * import other than the one it left from (it was preempted, so no result is owed) has
   * broken its own control flow: the task is faulted, the kernel runs on.
   */
  takeReturn(t: number): number {
    const status = this.returnSlot[t]!;
    this.returnSlot[t] = Status.NonSense;
    if (status === Status.NonSense) {
      this.killTask(t, 'resumed into a blocking import it did not suspend in (control-flow violation of the task)');
      return Status.Invalid;
    }
    return status;
  }

  /**
   * A rewound task reached its preemption point. If a syscall result was owed instead, the
   * module left from a blocking import and came back elsewhere: faulted, as above.
   */
  resumeAtPreempt(t: number): void {
    if (this.returnSlot[t] === Status.NonSense) return;
    this.returnSlot[t] = Status.NonSense;
    this.killTask(t, 'resumed at a preemption point after suspending in a blocking import (control-flow violation of the task)');
  }

  /**
   * Elect; while nothing is ready, jump virtual time to the next deadline. Returns IDLE
   * only when nothing pending can ever make a task ready (or the cycle limit is reached).
   */
  private electNext(stillReady: boolean): number {
    let next = this.electChecked(stillReady);
    if (next === IDLE) this.idleSince = this.cycles;
    while (next === IDLE) {
      if (this.deadlinesDirty) this.recomputeDeadline();
      this.current = IDLE;
      const kernelTarget = this.nextDeadline * this.cyclesPerTick;
      // Device events matter only while some task can be woken by one; and a device that
      // keeps ticking while nothing ever wakes must not keep the run alive forever.
      const deviceTarget = this.anyTaskWaiting() && this.cycles - this.idleSince < IDLE_DEVICE_HORIZON_CYCLES * (this.config.nominalFrequencyHz / 64_000_000)
        ? this.runtime.nextEventCycle() : Infinity;
      const target = Math.min(kernelTarget, deviceTarget);
      if (target === Infinity) return IDLE;
      if (target > this.maxCycles) {
        this.cycles = Math.max(this.cycles, this.maxCycles);
        this.stopRequested = { kind: 'max-cycles', message: `stopped at --max-cycles ${this.maxCycles}` };
        return IDLE;
      }
      this.cycles = Math.max(this.cycles, target);
      this.runtime.advanceTo(this.cycles);
      this.processTicks();
      next = this.electChecked(false);
    }
    this.current = next;
    return next;
  }

  /**
   * Election. The scheduler verifies the code of every queue cell, bitmap word and record it
   * reads, and its critical loops count twice; a failure panics through the hooks above.
   */
  private electChecked(stillReady: boolean): number {
    const injector = this.security.injector;
    if (injector.armed && injector.take('corrupt-queue', this.cycles) !== undefined) this.sched.corruptForInjection();
    return this.sched.elect(stillReady);
  }

  // ======================================================================
  // termination and exit policies
  // ======================================================================

  /** exit(status) or `_start` returning. */
  terminate(t: number, status: number): void {
    this.exitStatus[t] = status | 0;
    this.state[t] = status === 0 ? JobState.Finished : JobState.Aborting;
    this.trace?.instant(t, this.cycles, status === 0 ? 'exit' : `exit(${status | 0})`);
    this.endJob(t, status !== 0);
  }

  /** A trap or a kernel-detected violation ends the job as FAULT. */
  fault(t: number, f: Omit<TaskFault, 'cycle'>): void {
    const fault: TaskFault = { ...f, cycle: this.cycles };
    this.faults[t] = fault;
    this.security.record(JournalKind.TaskFault, this.cycles, this.label[t]!, 0);
    this.state[t] = JobState.Fault;
    this.kernelLog(`rampart: task '${this.descriptors[t]!.name}' faulted at cycle ${this.cycles}: ${fault.message}`);
    this.trace?.instant(t, this.cycles, `fault: ${fault.message}`);
    // Release: every fault is a security-level failure (a trap, an MPU violation, a write
    // without permission, tampered metering, a control-flow violation): the system halts.
    if (this.config.buildTarget === 'release') {
      this.raisePanic(`release build: task '${this.descriptors[t]!.name}' faulted (${fault.message})`);
    }
    this.endJob(t, true);
  }

  /** Release what the job held, owe errors to its peers, apply the exit policy. */
  private endJob(t: number, abnormal: boolean): void {
    const n = this.taskCount;
    this.console.flush(t);
    this.cancelDelay(t);
    this.sched.remove(t);
    for (let a = 0; a < this.alarmTask.length; a++) {
      if (this.alarmTask[a] === t) { this.alarmTask[a] = -1; this.deadlinesDirty = true; }
    }
    // Senders blocked on this job resume with INTR and get SIGNAL_PIPE from it (spec Part 1).
    const deadHandle = this.handle[t]!;
    for (let s = 0; s < n; s++) {
      const slot = t * n + s;
      if (this.ipcLen[slot] !== 0) { this.ipcLen[slot] = 0; this.ipcPending[t] = this.ipcPending[t]! - 1; }
      if (s !== t && this.ipcTarget[s] === t) {
        this.ipcTarget[s] = -1;
        this.makeReady(s, Status.Intr);
        this.postSignal(s, t, Signal.Pipe, deadHandle, false);
      }
    }
    // Its own outbound IPC (only a self-IPC can be pending while it runs) disappears with it.
    if (this.ipcTarget[t] !== -1) {
      const r = this.ipcTarget[t]!;
      if (this.ipcLen[r * n + t] !== 0) { this.ipcLen[r * n + t] = 0; this.ipcPending[r] = this.ipcPending[r]! - 1; }
      this.ipcTarget[t] = -1;
    }
    this.res.releaseResources(t, deadHandle);
    const policy = this.descriptors[t]!.exitPolicy;
    const name = this.descriptors[t]!.name;
    if (!abnormal) { this.crashStreak[t] = 0; return; }
    if (policy === ExitPolicy.Panic) {
      this.raisePanic(`task '${name}' ended abnormally and its exit policy is panic`);
    }
    if (policy === ExitPolicy.Restart) {
      this.crashStreak[t] = this.crashStreak[t]! + 1;
      const streak = this.crashStreak[t]!;
      if (streak === RESTART_BACKOFF_AFTER) this.security.record(JournalKind.WatchdogFaults, this.cycles, this.label[t]!, streak);
      if (streak > RESTART_BACKOFF_AFTER) {
        const delay = Math.min(RESTART_BACKOFF_MAX_TICKS, 2 ** (streak - RESTART_BACKOFF_AFTER));
        this.kernelLog(`rampart: task '${name}' is crash-looping (${streak} abnormal ends): restart in ${delay} ms`);
        this.restartTick[t] = this.tick + delay;
        this.deadlinesDirty = true;
      } else {
        this.restart(t);
      }
    }
  }

  /** Start a new job of task t: fresh handle (stale ones become INVALID), fresh memory. */
  private restart(t: number): void {
    if (this.executing === t) {
      // Its old instance is still on the host stack: restart once it has unwound.
      this.pendingRestart[t] = 1;
      return;
    }
    const n = this.taskCount;
    for (let s = 0; s < n; s++) {
      const slot = t * n + s;
      if (this.signalSlot[slot] !== 0) { this.signalSlot[slot] = 0; this.signalPending[t] = this.signalPending[t]! - 1; }
    }
    this.restarts[t] = this.restarts[t]! + 1;
    this.shm.forgetTask(t);
    this.newJob(t);
    this.kernelLog(`rampart: task '${this.descriptors[t]!.name}' restarted (job ${this.restarts[t]! + 1})`);
    this.faults[t] = null;
    this.state[t] = JobState.Ready;
    this.scheduleTask(t);
  }

  /** Panic: record it (so a task that catches the throw cannot continue) and throw. */
  raisePanic(message: string): never {
    this.panicMessage ??= message;
    if (this.current !== IDLE) {
      const inst = this.instances[this.current];
      if (inst !== undefined) { inst.budget.value = -1; this.budgetSeen = -1; }
    }
    throw new KernelPanic(message);
  }

  /** Kernel-side diagnostics (stderr in the CLI). */
  log(line: string): void {
    this.kernelLog(line);
  }

  /**
   * Fault the running task t from inside one of its imports. Its job ends now; its code
   * is stopped at the next metering point (its budget is forced negative) and every import
   * it calls meanwhile is refused.
   */
  killTask(t: number, message: string): void {
    const inst = this.instances[t]!;
    if (inst.killed || this.isTerminated(t)) return;
    inst.killed = true;
    this.account();
    this.fault(t, { kind: 'kernel-refused', message });
    inst.budget.value = -0x40000000;
    this.budgetSeen = -0x40000000;
  }

  /**
   * The watchdog, once per window: a task that took more than WATCHDOG_MAX_SHARE of the
   * window while other tasks were ready is journaled (once per task). It is not stopped:
   * RRMQ already guarantees the others run; the journal is for the integrator's eyes.
   */
  private watchdog(): void {
    const window = WATCHDOG_WINDOW_TICKS * this.cyclesPerTick;
    const sec = this.security;
    for (let t = 0; t < this.userTasks; t++) {
      const used = this.statCycles[t]! - sec.windowStart[t]!;
      sec.windowStart[t] = this.statCycles[t]!;
      if (used > window * WATCHDOG_MAX_SHARE && this.sched.size() > 1 && sec.budgetReported[t] === 0) {
        sec.budgetReported[t] = 1;
        sec.record(JournalKind.WatchdogBudget, this.cycles, this.label[t]!, Math.round((used / window) * 100));
        this.kernelLog(`rampart: watchdog: task '${this.taskName(t)}' used ${Math.round((used / window) * 100)}% of a ${WATCHDOG_WINDOW_TICKS} ms window while others were ready`);
      }
    }
  }

  /** Cycle at which the current idle stretch began. */
  private idleSince = 0;

  /** True when some task waits for events (or sleeps) and so could be woken by a device. */
  private anyTaskWaiting(): boolean {
    for (let t = 0; t < this.userTasks; t++) {
      const s = this.state[t];
      if (s === JobState.WaitForEvent || s === JobState.Sleeping || s === JobState.SleepingDeep) return true;
    }
    return false;
  }

  private summaries(): TaskSummary[] {
    const out: TaskSummary[] = [];
    for (let t = 0; t < this.userTasks; t++) {
      const s = this.state[t]!;
      out.push({
        name: this.descriptors[t]!.name,
        label: this.label[t]!,
        state: STATE_NAMES[s] ?? 'unknown',
        exitStatus: s === JobState.Finished || s === JobState.Aborting ? this.exitStatus[t]! : null,
        fault: this.faults[t] ?? null,
        cycles: this.statCycles[t]!,
        syscalls: this.statSyscalls[t]!,
        switches: this.statSwitches[t]!,
        restarts: this.restarts[t]!,
      });
    }
    return out;
  }
}

/** Turn an engine error out of a task into a fault description. */
function describeTrap(error: unknown): Omit<TaskFault, 'cycle'> {
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return { kind: 'stack-exhaustion', message: 'stack exhausted (call stack size exceeded)' };
  }
  if (error instanceof WebAssembly.RuntimeError) {
    return { kind: 'trap', message: error.message };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { kind: 'trap', message };
}
