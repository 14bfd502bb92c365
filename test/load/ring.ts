/**
 * The load workload, shared by test/load/load.test.ts (a reduced count) and `npm run load`
 * (scripts/load.mjs, ten million events).
 *
 * A 64-task image: a ring of 62 tasks and 2 CPU hogs. Ring task L (labels 1..62) sends an
 * 8-byte IPC (its label, the round number) to the next label and a SIGNAL_USR1 to the
 * previous one, every round; odd labels send first then receive, even labels receive
 * first then send, so the ring never closes a send cycle. Each receiver checks the source
 * handle and the payload of every IPC. The hogs (higher priority, always ready) spin, poll
 * for a SIGNAL_TERM (sent by label 1 when it is done) and record the longest stretch of
 * virtual time between two of their progress points; ring tasks record the longest
 * stretch between two of their rounds. All counters are kept in each task's memory and
 * read after the run: nothing is logged per event.
 *
 * Events = IPCs delivered + signals delivered. Conservation: every IPC sent OK was
 * received; every signal sent OK was received or is still pending in its slot.
 */
import { ExitPolicy, Status } from '../../toolchain/abi/index.js';
import { bootImage } from '../../kernel/boot/boot.js';
import { writeImage, type ImageTaskInput } from '../../kernel/image/image.js';
import { DEFAULT_KERNEL_CONFIG, type KernelConfig } from '../../kernel/config.js';
import type { Kernel, RunResult } from '../../kernel/kernel.js';
import { integrateModule } from '../../toolchain/build/project.js';
import { taskWat, watToWasm } from '../helpers/wat.js';

export const RING = 62;
export const HOGS = 2;
const HOG_LABEL = 0x100;
export const KERNEL: KernelConfig = { ...DEFAULT_KERNEL_CONFIG, maxTasks: 64 };

/** Counter offsets in each task's memory. */
const C = 8192;
/** Quanta (ms) of the ring tasks and of the hogs. */
export const RING_QUANTUM = 5;
export const HOG_QUANTUM = 2;

export const COUNTERS = ['ipcSent', 'ipcReceived', 'payloadErrors', 'signalsSent', 'signalsBusy', 'signalsReceived', 'maxGapMs', 'rounds', 'unexpected'] as const;
export type Counters = Record<(typeof COUNTERS)[number], number>;
const at = (name: (typeof COUNTERS)[number]) => C + 4 * COUNTERS.indexOf(name);
const inc = (name: (typeof COUNTERS)[number]) => `(i32.store (i32.const ${at(name)}) (i32.add (i32.load (i32.const ${at(name)})) (i32.const 1)))`;

const IMPORTS = ['log', 'get_process_handle', 'send_ipc', 'send_signal', 'wait_for_event', 'get_cycle'];

/** Ring task; the number of rounds is a global so that the module is integrated once per count. */
function ringWat(rounds: number): string {
  const send = `
    (i32.store (i32.const 1024) (local.get $label)) (i32.store (i32.const 1028) (local.get $i))
    (if (i32.eqz (call $send_ipc (global.get $next) (i32.const 8))) (then ${inc('ipcSent')}) (else ${inc('unexpected')}))
    (local.set $k (call $send_signal (global.get $prev) (i32.const 11)))
    (if (i32.eqz (local.get $k)) (then ${inc('signalsSent')})
      (else (if (i32.eq (local.get $k) (i32.const ${Status.Busy})) (then ${inc('signalsBusy')}) (else ${inc('unexpected')}))))`;
  const receive = `
    (block $got (loop $w
      (local.set $k (call $wait_for_event (i32.const 3) (i32.const 0)))
      (br_if $w (i32.eq (local.get $k) (i32.const ${Status.Intr})))
      (if (i32.ne (local.get $k) (i32.const 0)) (then ${inc('unexpected')} (br $w)))
      (if (i32.eq (i32.load8_u (i32.const 1024)) (i32.const 2)) (then ${inc('signalsReceived')} (br $w)))
      (if (i32.and (i32.and (i32.eq (i32.load (i32.const 1028)) (global.get $prev))
            (i32.eq (i32.load (i32.const 1032)) (global.get $prevLabel)))
            (i32.and (i32.eq (i32.load (i32.const 1036)) (local.get $i)) (i32.eq (i32.load8_u (i32.const 1025)) (i32.const 8))))
        (then ${inc('ipcReceived')}) (else ${inc('payloadErrors')}))))`;
  return taskWat({
    imports: IMPORTS,
    extra: `(global $next (mut i32) (i32.const 0)) (global $prev (mut i32) (i32.const 0)) (global $prevLabel (mut i32) (i32.const 0))
      (global $rounds i32 (i32.const ${rounds}))`,
    body: `
      (global.set $prevLabel (i32.add (i32.rem_u (i32.add (local.get $label) (i32.const ${RING - 2})) (i32.const ${RING})) (i32.const 1)))
      (drop (call $get_process_handle (i32.add (i32.rem_u (local.get $label) (i32.const ${RING})) (i32.const 1))))
      (global.set $next (i32.load (i32.const 1024)))
      (drop (call $get_process_handle (global.get $prevLabel)))
      (global.set $prev (i32.load (i32.const 1024)))
      (drop (call $get_cycle (i32.const 3))) (local.set $j (i32.load (i32.const 1024)))
      (loop $round
        (if (i32.and (local.get $label) (i32.const 1)) (then ${send} ${receive}) (else ${receive} ${send}))
        (drop (call $get_cycle (i32.const 3))) (local.set $h (i32.load (i32.const 1024)))
        (if (i32.gt_u (i32.sub (local.get $h) (local.get $j)) (i32.load (i32.const ${at('maxGapMs')})))
          (then (i32.store (i32.const ${at('maxGapMs')}) (i32.sub (local.get $h) (local.get $j)))))
        (local.set $j (local.get $h))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (i32.store (i32.const ${at('rounds')}) (local.get $i))
        (br_if $round (i32.lt_u (local.get $i) (global.get $rounds))))
      ;; label 1 stops the hogs
      (if (i32.eq (local.get $label) (i32.const 1)) (then
        (drop (call $get_process_handle (i32.const ${HOG_LABEL}))) (drop (call $send_signal (i32.load (i32.const 1024)) (i32.const 9)))
        (drop (call $get_process_handle (i32.const ${HOG_LABEL + 1}))) (drop (call $send_signal (i32.load (i32.const 1024)) (i32.const 9)))))`,
  });
}

/** Hog: spins; every 4096 iterations records the gap since its last progress point and polls for TERM. */
const HOG_WAT = taskWat({
  imports: IMPORTS,
  body: `(drop (call $get_cycle (i32.const 3))) (local.set $j (i32.load (i32.const 1024)))
    (block $stop (loop $spin
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $spin (i32.and (local.get $i) (i32.const 4095)))
      (drop (call $get_cycle (i32.const 3))) (local.set $h (i32.load (i32.const 1024)))
      (if (i32.gt_u (i32.sub (local.get $h) (local.get $j)) (i32.load (i32.const ${at('maxGapMs')})))
        (then (i32.store (i32.const ${at('maxGapMs')}) (i32.sub (local.get $h) (local.get $j)))))
      (local.set $j (local.get $h))
      ${inc('rounds')}
      (br_if $stop (i32.eqz (call $wait_for_event (i32.const 2) (i32.const -1))))
      (br $spin)))`,
});

const integrated = new Map<string, ImageTaskInput>();

function integrateOnce(key: string, wat: string, priority: number, quantum: number): ImageTaskInput {
  let input = integrated.get(key);
  if (input === undefined) {
    input = integrateModule(key, {
      label: 1, priority, quantum, autoStart: true, exitPolicy: ExitPolicy.NoRestart, stackSize: 0x2000, heapSize: 0, domain: 0, capabilities: 0,
    }, watToWasm(wat), `${key}/task.conf`, KERNEL);
    integrated.set(key, input);
  }
  return input;
}

/** The 64-task image for `rounds` rounds of the ring. */
export function ringImage(rounds: number): Uint8Array {
  const ring = integrateOnce(`ring-${rounds}`, ringWat(rounds), 1, RING_QUANTUM);
  const hog = integrateOnce('hog', HOG_WAT, 4, HOG_QUANTUM);
  const tasks: ImageTaskInput[] = [];
  for (let l = 1; l <= RING; l++) tasks.push({ ...ring, name: `ring${l}`, label: l });
  for (let h = 0; h < HOGS; h++) tasks.push({ ...hog, name: `hog${h}`, label: HOG_LABEL + h });
  return writeImage(KERNEL, tasks);
}

/**
 * Rounds needed for about `events` delivered events: one IPC and, measured, about 0.75
 * signal per task per round (the others find the previous signal still pending: BUSY).
 */
export function roundsFor(events: number): number {
  return Math.max(1, Math.ceil(events / (1.75 * RING)));
}

export interface LoadOutcome {
  readonly kernel: Kernel;
  readonly result: RunResult;
  readonly ring: Counters[];
  readonly hogs: Counters[];
  /** Signals sent OK by ring tasks to ring tasks and still pending in a slot. */
  readonly signalsPending: number;
  readonly events: number;
  readonly seconds: number;
}

function countersOf(k: Kernel, t: number): Counters {
  const view = new DataView(k.instances[t]!.memoryBytes().buffer);
  return Object.fromEntries(COUNTERS.map((name) => [name, view.getUint32(at(name), true)])) as Counters;
}

/** Boot and run the ring image; counters are read from the tasks' memories afterwards. */
export function runRing(image: Uint8Array, maxCycles?: number): LoadOutcome {
  const kernel = bootImage(image, { seed: 11, console: { line: () => undefined }, ...(maxCycles !== undefined ? { maxCycles } : {}) });
  const started = process.hrtime.bigint();
  const result = kernel.run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const ring = Array.from({ length: RING }, (_, t) => countersOf(kernel, t));
  const hogs = Array.from({ length: HOGS }, (_, h) => countersOf(kernel, RING + h));
  let signalsPending = 0;
  const n = kernel.taskCount;
  for (let r = 0; r < RING; r++) for (let s = 0; s < RING; s++) if (kernel.signalSlot[r * n + s] !== 0) signalsPending++;
  const events = ring.reduce((a, c) => a + c.ipcReceived + c.signalsReceived, 0);
  return { kernel, result, ring, hogs, signalsPending, events, seconds };
}

/** Heap in use after a full collection when one is available (`--expose-gc`, or enabled here). */
export function heapUsed(): number {
  const gc = collector();
  if (gc !== undefined) { gc(); gc(); }
  return process.memoryUsage().heapUsed;
}

let cachedGc: (() => void) | undefined | null = null;

function collector(): (() => void) | undefined {
  if (cachedGc !== null) return cachedGc;
  const g = (globalThis as { gc?: () => void }).gc;
  cachedGc = typeof g === 'function' ? g : undefined;
  return cachedGc;
}

/** Enable `global.gc` in this process when it was not started with --expose-gc. */
export async function enableGc(): Promise<boolean> {
  if (collector() !== undefined) return true;
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const g = vm.runInNewContext('gc') as (() => void) | undefined;
  cachedGc = typeof g === 'function' ? g : undefined;
  return cachedGc !== undefined;
}
