/**
 * `rampart bench`: every kernel path measured against its floor, in one process run.
 *
 * Cases are organised in groups; each group holds the cases that share a floor, and the
 * group's contenders (floor included) run in interleaved rounds (harness.ts), so a floor
 * and its cases see the same machine state. A figure is the median of its rounds, with
 * min and max; its ratio is median / floor median. Goals are reported, never enforced.
 *
 * Groups and floors:
 *  - non-blocking syscalls and host-call peers  -> a raw Wasm -> JS import call;
 *  - blocking paths (round trips, switches)     -> a bare Asyncify ping-pong round trip;
 *  - CPU-bound C work under the kernel          -> the same module, uninstrumented;
 *  - scheduler election with N tasks            -> election with 2 tasks;
 *  - context switch with N tasks (kernel)       -> context switch with 2 tasks;
 *  - boot of an N-task image                    -> compile + instantiate of the same modules;
 *  - thread-per-task ping-pong (workers)        -> our own IPC round trip (20 bytes), run in
 *                                                 the blocking group so their rounds alternate.
 *
 * `quick` runs every case with small counts (CI smoke run): its figures are indicative only.
 */

import os from 'node:os';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';
import { interleave, summarize, type Contender } from './harness.js';
import { pingPongFloor, rawImportFloor } from './floors.js';
import {
  busRead, dmaRoundTrip, getRandom, gpioToggle, ipcRoundTrip, log64, nullSyscall, shmMapUnmap, shmSyncPair, signalRoundTrip, sleepWake, yieldTasks,
} from './kernel-cases.js';
import { cpuPair, WORKLOADS } from './cpu-cases.js';
import { election } from './sched-cases.js';
import { bootPair } from './boot-cases.js';
import { nodeWasi, wasmerWasi, workerAtomics, type Unavailable } from './peers.js';

export interface BenchOptions {
  /** Small counts, few rounds: every case runs, figures are indicative only. */
  readonly quick?: boolean;
  /** Progress lines (stderr in the CLI). */
  readonly progress?: (line: string) => void;
}

/** One figure of the report (JSON field names are part of the output format). */
export interface BenchResult {
  readonly name: string;
  /** What one operation is. */
  readonly what: string;
  readonly median_ns: number | null;
  readonly min_ns: number | null;
  readonly max_ns: number | null;
  readonly rounds: number;
  readonly floor: string;
  readonly floor_median_ns: number | null;
  /** median_ns / floor_median_ns. */
  readonly ratio: number | null;
  /** The target ratio, when this figure has one, e.g. "<= 1.5". */
  readonly goal?: string;
  readonly goal_met?: boolean;
  /** Set when the figure could not be measured here: the reason. */
  readonly unavailable?: string;
}

export interface FloorFigure {
  readonly name: string;
  readonly what: string;
  readonly median_ns: number;
  readonly min_ns: number;
  readonly max_ns: number;
  readonly rounds: number;
}

export interface MachineInfo {
  readonly node: string;
  readonly v8: string;
  /** Node/V8 flags of the run (none by default: Liftoff first, dynamic tier-up to TurboFan). */
  readonly exec_argv: string[];
  readonly platform: string;
  readonly arch: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memory_bytes: number;
  /** 1-minute load average at the start and at the end of the run (other processes). */
  readonly loadavg_start: number;
  readonly loadavg_end: number;
  readonly date: string;
}

export interface BenchReport {
  readonly machine: MachineInfo;
  readonly mode: 'quick' | 'full';
  readonly rounds: number;
  readonly warmup_rounds: number;
  readonly elapsed_s: number;
  readonly floors: FloorFigure[];
  readonly results: BenchResult[];
}

/** Goal ratios (figure / floor). Reported, never enforced. */
export const GOALS: Readonly<Record<string, { readonly op: '<=' | '>='; readonly value: number }>> = {
  'null-syscall': { op: '<=', value: 1.5 },
  'ipc-roundtrip-20': { op: '<=', value: 2 },
  'cpu-crc32': { op: '<=', value: 1.18 },
  'cpu-sha256': { op: '<=', value: 1.18 },
  'cpu-matmul': { op: '<=', value: 1.18 },
  'election-1024': { op: '<=', value: 1.2 },
  'boot-256': { op: '<=', value: 2 },
  'worker-atomics-roundtrip': { op: '>=', value: 100 },
};

/** Counts per mode. `k` scales every operation count. */
interface Scale {
  readonly rounds: number;
  readonly warmup: number;
  /** Least wall time spent warming each group up (see `interleave`). */
  readonly warmupMs: number;
  readonly k: number;
}

const FULL: Scale = { rounds: 15, warmup: 3, warmupMs: 1500, k: 1 };
const QUICK: Scale = { rounds: 3, warmup: 1, warmupMs: 250, k: 0.1 };

/** Descriptions of one operation, by figure name. */
const WHAT: Record<string, string> = {
  'raw-import': 'plain Wasm -> JS import call, (i32) -> i32',
  'asyncify-pingpong': 'bare Asyncify round trip between two instances (two switches)',
  'null-syscall': 'get_cycle(MILLISECONDS)',
  'get-random': 'get_random (4 bytes into the exchange area)',
  'log-64': 'log of 64 bytes (one console line)',
  'gpio-toggle': 'gpio_toggle of an owned pin',
  'bus-read': 'bus_read32 of a mapped timer register',
  'shm-sync-kib': 'SHM synchronisation at a switch, per KiB (16 KiB SHM written by both of two tasks yielding in turn, minus the same run without it)',
  'wasi-node-clock': 'clock_time_get through node:wasi',
  'wasi-node-random': 'random_get (4 bytes) through node:wasi',
  'wasi-wasmer-clock': 'clock_time_get through @wasmer/wasi',
  'wasi-wasmer-random': 'random_get (4 bytes) through @wasmer/wasi',
  'ipc-roundtrip-20': 'IPC round trip, 20 bytes each way',
  'ipc-roundtrip-full': 'IPC round trip, full exchange area (1016 bytes, CONFIG_SVC_EXCHANGE_AREA_LEN=1024)',
  'signal-roundtrip': 'signal round trip (send_signal + wait_for_event, each way)',
  'yield-switch': 'two tasks yielding in turn: one round trip (two switches)',
  'sleep-wake': 'two tasks sleeping 1 ms in turn: each sleeps and wakes once (two switches)',
  'shm-map-unmap': 'map_shm + unmap_shm of a 256-byte SHM',
  'dma-roundtrip': 'dma_start_stream (128-byte SHM-to-SHM copy) + its completion event',
  'election-2': 'RRMQ elect(true) with 2 ready tasks (scheduler alone)',
  'election-16': 'RRMQ elect(true) with 16 ready tasks (scheduler alone)',
  'election-256': 'RRMQ elect(true) with 256 ready tasks (scheduler alone)',
  'election-1024': 'RRMQ elect(true) with 1024 ready tasks (scheduler alone)',
  'switch-2': 'context switch (sched_yield) with 2 ready tasks, through the kernel',
  'switch-16': 'context switch (sched_yield) with 16 ready tasks, through the kernel',
  'switch-255': 'context switch (sched_yield) with 255 ready tasks (the most a kernel holds), through the kernel',
  'boot-1': 'bootImage of a 1-task image',
  'boot-16': 'bootImage of a 16-task image',
  'boot-256': 'bootImage of a 255-task image (CONFIG_MAX_TASKS maximum; 256 with idle)',
  'instantiate-1': 'compile + instantiate the 1 module',
  'instantiate-16': 'compile + instantiate the same 16 modules',
  'instantiate-256': 'compile + instantiate the same 255 modules',
  'worker-atomics-roundtrip': 'round trip between two Wasm instances on two worker threads (Atomics.wait/notify)',
};
for (const w of WORKLOADS) {
  WHAT[`cpu-${w.name}`] = `${w.what} under the kernel (metered, default quantum)`;
  WHAT[`${w.name}-plain`] = `${w.what}, same module uninstrumented, run directly`;
}

const n = (x: number): number => Math.max(1, Math.round(x));

/** Run the whole benchmark. */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const scale = options.quick === true ? QUICK : FULL;
  const started = performance.now();
  const progress = options.progress ?? (() => undefined);
  const say = (line: string): void => progress(`${line} [${((performance.now() - started) / 1000).toFixed(1)} s]`);
  const loadStart = os.loadavg()[0]!;
  const samples = new Map<string, number[]>();
  const results: BenchResult[] = [];
  const floors: FloorFigure[] = [];
  const unavailable: Unavailable[] = [];

  const run = async (label: string, contenders: Contender[]): Promise<void> => {
    say(`bench: ${label}: ${contenders.map((c) => c.name).join(', ')}`);
    const got = await interleave(contenders, scale.warmup, scale.rounds, scale.warmupMs);
    for (const [name, values] of got) samples.set(name, values);
  };
  const figure = (name: string) => summarize(samples.get(name) ?? []);
  const addFloor = (name: string): void => {
    const s = figure(name);
    floors.push({ name, what: WHAT[name] ?? name, median_ns: s.median, min_ns: s.min, max_ns: s.max, rounds: s.rounds });
  };
  const addResult = (name: string, floor: string): void => {
    const s = figure(name);
    const f = figure(floor);
    const ratio = s.median / f.median;
    const goal = GOALS[name];
    results.push({
      name, what: WHAT[name] ?? name,
      median_ns: s.median, min_ns: s.min, max_ns: s.max, rounds: s.rounds,
      floor, floor_median_ns: f.median, ratio,
      ...(goal !== undefined ? { goal: `${goal.op} ${goal.value}`, goal_met: goal.op === '<=' ? ratio <= goal.value : ratio >= goal.value } : {}),
    });
  };
  const addUnavailable = (name: string, floor: string, reason: string): void => {
    const f = figure(floor);
    results.push({ name, what: WHAT[name] ?? name, median_ns: null, min_ns: null, max_ns: null, rounds: 0, floor, floor_median_ns: Number.isFinite(f.median) ? f.median : null, ratio: null, unavailable: reason });
  };

  // ---- non-blocking syscalls and host-call peers vs a raw import call ----
  say('bench: building the syscall images');
  const ops = n(200_000 * scale.k);
  const importGroup: Contender[] = [
    rawImportFloor('raw-import', n(200 * scale.k), 1000),
    nullSyscall(ops), getRandom(ops), log64(n(50_000 * scale.k)), await gpioToggle(ops), await busRead(ops),
  ];
  const shmSync = shmSyncPair(n(10_000 * scale.k));
  importGroup.push(shmSync.shared, shmSync.plain);
  const wasiNode = await nodeWasi(n(100 * scale.k), 1000);
  const wasiWasmer = await wasmerWasi(n(10 * scale.k), 1000);
  for (const peer of [wasiNode, wasiWasmer]) {
    if (Array.isArray(peer)) importGroup.push(...peer);
    else unavailable.push(peer);
  }
  await run('host calls', importGroup);
  addFloor('raw-import');
  for (const c of importGroup.slice(1)) if (c !== shmSync.shared && c !== shmSync.plain) addResult(c.name, 'raw-import');
  // SHM synchronisation per KiB: the shared run minus the plain one, round by round.
  const shared = samples.get(shmSync.shared.name) ?? [];
  const plain = samples.get(shmSync.plain.name) ?? [];
  samples.set('shm-sync-kib', shared.map((v, i) => v - (plain[i] ?? v)));
  if (figure('shm-sync-kib').median > 0) addResult('shm-sync-kib', 'raw-import');
  else addUnavailable('shm-sync-kib', 'raw-import', 'the synchronisation cost was within the noise of this run (too few rounds or a busy machine)');
  for (const u of unavailable) {
    addUnavailable(`${u.name}-clock`, 'raw-import', u.reason);
    addUnavailable(`${u.name}-random`, 'raw-import', u.reason);
  }

  // ---- blocking paths vs a bare Asyncify ping-pong ----
  say('bench: building the switching images');
  const trips = n(10_000 * scale.k);
  const switchGroup: Contender[] = [
    pingPongFloor('asyncify-pingpong', n(20_000 * scale.k)),
    ipcRoundTrip('ipc-roundtrip-20', trips, 20),
    ipcRoundTrip('ipc-roundtrip-full', trips, 1016, { ...DEFAULT_KERNEL_CONFIG, exchangeAreaLen: 1024 }),
    signalRoundTrip(trips),
    yieldTasks('yield-switch', 2, trips, false),
    sleepWake(trips),
    shmMapUnmap(n(20_000 * scale.k)),
    await dmaRoundTrip(trips),
  ];
  // The thread-per-task peer runs in this group too: its floor is ipc-roundtrip-20, whose
  // rounds it then alternates with.
  const workers = workerAtomics(n(20 * scale.k), 100);
  try {
    await run('switching', [...switchGroup, workers]);
  } finally {
    await workers.close();
  }
  addFloor('asyncify-pingpong');
  for (const c of switchGroup.slice(1)) addResult(c.name, 'asyncify-pingpong');

  // ---- CPU-bound C vs the same module uninstrumented ----
  say('bench: building the C workloads');
  const cpuGroup: Contender[] = [];
  for (const w of WORKLOADS) {
    const pair = await cpuPair(w, n(400 * scale.k));
    cpuGroup.push(pair.plain, pair.kernel);
  }
  await run('CPU-bound', cpuGroup);
  for (const w of WORKLOADS) addFloor(`${w.name}-plain`);
  for (const w of WORKLOADS) addResult(`cpu-${w.name}`, `${w.name}-plain`);

  // ---- scheduler election (scheduler alone) vs 2 tasks ----
  const elections: Contender[] = [
    election(2, n(200_000 * scale.k)), election(16, n(100_000 * scale.k)),
    election(256, n(20_000 * scale.k)), election(1024, n(5_000 * scale.k)),
  ];
  await run('election', elections);
  for (const c of elections) addResult(c.name, 'election-2');

  // ---- context switch with N tasks (kernel) vs 2 tasks ----
  say('bench: building the N-task images');
  const switches = n(10_000 * scale.k);
  const switchN: Contender[] = [2, 16, 255].map((t) => yieldTasks(`switch-${t}`, t, Math.max(2, Math.round(switches / t)), true));
  await run('context switch', switchN);
  for (const c of switchN) addResult(c.name, 'switch-2');

  // ---- boot vs bare compile + instantiate ----
  const bootGroup: Contender[] = [];
  for (const [name, tasks] of [['1', 1], ['16', 16], ['256', 255]] as const) {
    const pair = bootPair(name, tasks);
    bootGroup.push(pair.plain, pair.kernel);
  }
  await run('boot', bootGroup);
  for (const name of ['1', '16', '256']) addFloor(`instantiate-${name}`);
  for (const name of ['1', '16', '256']) addResult(`boot-${name}`, `instantiate-${name}`);

  addResult('worker-atomics-roundtrip', 'ipc-roundtrip-20');

  return {
    machine: machineInfo(loadStart),
    mode: options.quick === true ? 'quick' : 'full',
    rounds: scale.rounds,
    warmup_rounds: scale.warmup,
    elapsed_s: (performance.now() - started) / 1000,
    floors,
    results,
  };
}

function machineInfo(loadStart: number): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    exec_argv: [...process.execArgv],
    platform: os.platform(),
    arch: os.arch(),
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory_bytes: os.totalmem(),
    loadavg_start: loadStart,
    loadavg_end: os.loadavg()[0]!,
    date: new Date().toISOString(),
  };
}
