/**
 * Property-based fuzzing of the syscall surface (fast-check).
 *
 * Each run boots 2 to 4 tasks of one interpreter module: `_start` fills a table with the
 * handles of labels 1..7 and of the idle task, then executes a program of up to 63 steps
 * `(op, a, b, c)` read from a data segment, calling every operation through
 * `call_indirect` over a table of wrappers (one per syscall, plus a few hostile non-syscall
 * operations: an arbitrary store, a trap, memory.grow, a busy loop). Each argument is a
 * literal, a handle from the table, the last word a successful call left in the exchange
 * area XOR a literal (so handles just obtained are reused, exactly or bit-flipped), or a
 * small number. Every result is stored in the task's memory, read after the run.
 *
 * The module is integrated (instrumented) once per import set; each run patches its
 * programs into the data segment of the integrated module (located by a marker) and packs
 * a fresh image, so a run costs a boot, not an instrumentation. Capabilities, priorities,
 * quanta, exit policies, domains and auto-start are drawn at random. The board has a
 * device, two shared memories and a DMA stream owned by label 1.
 *
 * Properties: `run()` returns (never throws), never panics; every syscall result is a
 * status of the spec (0..10); a task faults only through its own hostile operations (a
 * store, a trap, a bus access); and the kernel's tables are consistent afterwards
 * (pending counters equal the occupied slots, send-blocked iff it has an IPC target,
 * only READY tasks are queued, nothing is READY when the run ended idle).
 *
 * Runs: `FUZZ_RUNS` (default: a short run, about 15 s); `npm run fuzz` for long runs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Cap, ExitPolicy, JobState, SYSCALLS, Status } from '../../toolchain/abi/index.js';
import { bootImage } from '../../kernel/boot/boot.js';
import { writeImage, type ImageTaskInput } from '../../kernel/image/image.js';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';
import type { Board } from '../../kernel/board.js';
import type { Kernel, RunResult } from '../../kernel/kernel.js';
import { integrateModule } from '../../toolchain/build/project.js';
import { readBoardSource } from '../../toolchain/config/devicetree.js';
import { FUZZ_BOARD_DTS, forHandWrittenTasks } from '../helpers/boards.js';
import { taskWat, watToWasm } from '../helpers/wat.js';

const RUNS = process.env.FUZZ_RUNS !== undefined ? Number(process.env.FUZZ_RUNS) : 600;
const LONG = process.env.FUZZ_RUNS !== undefined;
const SECONDS = process.env.FUZZ_SECONDS !== undefined ? Number(process.env.FUZZ_SECONDS) : LONG ? undefined : 10;
// The short run in the test suite replays a fixed seed, so a red suite always means a
// change in the code; long runs (`npm run fuzz`) draw a fresh seed unless FUZZ_SEED is set.
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : process.env.FUZZ_RUNS !== undefined ? undefined : 20261125;
const MS = 64_000;

// ---------------------------------------------------------------------------------------
// the interpreter
// ---------------------------------------------------------------------------------------

/** Memory layout of the interpreter. */
const HANDLES = 12288; // 8 handles: labels 1..7, idle
const SAVED = 12352; // last exchange word after a successful call
const DONE = 12356; // steps completed
const PROGRAM = 16384; // marker (16 bytes) then MAX_STEPS * 16 bytes
const RESULTS = 20480; // one i32 per step
const MAX_STEPS = 63;
const MARKER = 'RAMPART-FUZZ-PRG';
const HALT = 0xff;

/** Operations that are not syscalls; their results are not statuses. */
const HOSTILE_OPS: Record<string, string> = {
  store: '(i32.store (local.get 0) (local.get 1)) (i32.const 0)',
  trap: 'unreachable',
  grow: '(memory.grow (local.get 0))',
  spin: '(local.set 2 (i32.and (local.get 0) (i32.const 0x3ffff))) (loop $s (local.set 2 (i32.sub (local.get 2) (i32.const 1))) (br_if $s (i32.gt_s (local.get 2) (i32.const 0)))) (i32.const 0)',
};

/** Gated imports, by the capability the import needs. */
const GATED: Record<string, number> = {
  start: Cap.SysProcstart,
  get_random: Cap.CryKrng,
  map_dev: Cap.DevIo, unmap_dev: Cap.DevIo, irq_acknowledge: Cap.DevIo, irq_enable: Cap.DevIo, irq_disable: Cap.DevIo,
  gpio_get: Cap.DevIo, gpio_set: Cap.DevIo, gpio_reset: Cap.DevIo, gpio_toggle: Cap.DevIo, gpio_configure: Cap.DevIo,
  bus_read32: Cap.DevIo, bus_write32: Cap.DevIo,
  get_dma_stream_handle: Cap.DevDma, dma_start_stream: Cap.DevDma, dma_suspend_stream: Cap.DevDma, dma_get_stream_status: Cap.DevDma,
  dma_assign_stream: Cap.DevDma, dma_unassign_stream: Cap.DevDma, dma_get_stream_info: Cap.DevDma, dma_resume_stream: Cap.DevDma,
};
const FULL_CAPS = Object.values(GATED).reduce((a, b) => a | b, 0);

/** Every operation, in table order: the implemented syscalls (not pm_set_clock), the bus accesses, then the hostile ones. */
const OPS: readonly string[] = [
  ...SYSCALLS.filter((s) => s.family !== 'power').map((s) => s.name),
  'bus_read32', 'bus_write32',
  ...Object.keys(HOSTILE_OPS),
];
const OP_INDEX = new Map(OPS.map((name, i) => [name, i]));
/** Operations whose result must be a status. */
const IS_STATUS = OPS.map((name) => SYSCALLS.some((s) => s.name === name));
/** Operations through which a task may legitimately fault itself. */
const FAULTING = new Set(['store', 'trap', 'bus_read32', 'bus_write32']);

type Variant = 'base' | 'full';

function interpreterWat(variant: Variant): string {
  const imports = OPS.filter((n) => !(n in HOSTILE_OPS) && (variant === 'full' || !(n in GATED)));
  const arity = (n: string) => (n.startsWith('bus_') ? (n.includes('write') ? 2 : 1) : SYSCALLS.find((s) => s.name === n)!.args.length);
  const wrappers = OPS.map((n, i) => {
    let body: string;
    if (n in HOSTILE_OPS) body = HOSTILE_OPS[n]!;
    else if (!imports.includes(n)) body = '(i32.const 0xdead)'; // never generated for this variant
    else body = `(call $${n} ${Array.from({ length: arity(n) }, (_, k) => `(local.get ${k})`).join(' ')})`;
    return `(func $op${i} (type $op) ${body})`;
  }).join('\n  ');
  const handles = [1, 2, 3, 4, 5, 6, 7, 0xcafe].map((label, i) =>
    `(drop (call $get_process_handle (i32.const ${label}))) (i32.store (i32.const ${HANDLES + 4 * i}) (i32.load (i32.const 1024)))`).join('\n    ');
  const placeholder = MARKER + '\\ff'.repeat(MAX_STEPS * 16);
  return taskWat({
    imports: [...imports],
    pages: 5,
    extra: `
  (type $op (func (param i32 i32 i32) (result i32)))
  (table ${OPS.length} funcref)
  (elem (i32.const 0) ${OPS.map((_, i) => `$op${i}`).join(' ')})
  ${wrappers}
  (func $arg (param $kind i32) (param $v i32) (result i32)
    (if (result i32) (i32.eq (local.get $kind) (i32.const 1))
      (then (i32.load (i32.add (i32.const ${HANDLES}) (i32.shl (i32.and (local.get $v) (i32.const 7)) (i32.const 2)))))
      (else (if (result i32) (i32.eq (local.get $kind) (i32.const 2))
        (then (i32.xor (i32.load (i32.const ${SAVED})) (local.get $v)))
        (else (if (result i32) (i32.eq (local.get $kind) (i32.const 3))
          (then (i32.and (local.get $v) (i32.const 15)))
          (else (local.get $v))))))))
  (data (i32.const ${PROGRAM}) "${placeholder}")`,
    body: `${handles}
    (block $done (loop $step
      (local.set $h (i32.add (i32.const ${PROGRAM + 16}) (i32.shl (local.get $i) (i32.const 4))))
      (local.set $j (i32.load (local.get $h)))
      (br_if $done (i32.eq (i32.and (local.get $j) (i32.const 0xff)) (i32.const ${HALT})))
      (local.set $k (call_indirect (type $op)
        (call $arg (i32.and (i32.shr_u (local.get $j) (i32.const 8)) (i32.const 3)) (i32.load offset=4 (local.get $h)))
        (call $arg (i32.and (i32.shr_u (local.get $j) (i32.const 10)) (i32.const 3)) (i32.load offset=8 (local.get $h)))
        (call $arg (i32.and (i32.shr_u (local.get $j) (i32.const 12)) (i32.const 3)) (i32.load offset=12 (local.get $h)))
        (i32.and (local.get $j) (i32.const 0xff))))
      (i32.store (i32.add (i32.const ${RESULTS}) (i32.shl (local.get $i) (i32.const 2))) (local.get $k))
      (if (i32.eqz (local.get $k)) (then (i32.store (i32.const ${SAVED}) (i32.load (i32.const 1024)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (i32.store (i32.const ${DONE}) (local.get $i))
      (br_if $step (i32.lt_u (local.get $i) (i32.const ${MAX_STEPS})))))`,
  });
}

/** One integrated interpreter and where its program lives in the module bytes. */
interface Interpreter {
  readonly input: ImageTaskInput;
  readonly programOffset: number;
}

const interpreters = new Map<Variant, Interpreter>();

function interpreter(variant: Variant): Interpreter {
  let it = interpreters.get(variant);
  if (it !== undefined) return it;
  const input = integrateModule(`fuzz-${variant}`, {
    label: 1, priority: 1, quantum: 1, autoStart: true, exitPolicy: ExitPolicy.NoRestart, stackSize: 0x2000, heapSize: 0, domain: 0,
    capabilities: variant === 'full' ? FULL_CAPS : 0,
  }, watToWasm(interpreterWat(variant)), 'fuzz/task.conf', DEFAULT_KERNEL_CONFIG);
  const marker = new TextEncoder().encode(MARKER);
  const m = input.module;
  let at = -1;
  for (let i = 0; i + marker.length <= m.length && at < 0; i++) {
    let ok = true;
    for (let k = 0; k < marker.length && ok; k++) ok = m[i + k] === marker[k];
    if (ok) at = i;
  }
  if (at < 0) throw new Error('program marker not found in the integrated module');
  for (let k = 0; k < MAX_STEPS * 16; k++) if (m[at + marker.length + k] !== 0xff) throw new Error('program placeholder was altered by the instrumentation');
  it = { input, programOffset: at + marker.length };
  interpreters.set(variant, it);
  return it;
}

// ---------------------------------------------------------------------------------------
// generated runs
// ---------------------------------------------------------------------------------------

interface Step {
  readonly op: number;
  readonly kinds: readonly [number, number, number];
  readonly args: readonly [number, number, number];
}

interface FuzzTask {
  readonly variant: Variant;
  readonly extraCaps: number;
  readonly priority: number;
  readonly quantum: number;
  readonly restart: boolean;
  readonly autoStart: boolean;
  readonly domain: number;
  readonly program: readonly Step[];
}

const EDGES = [0, 1, 2, 3, 7, 8, 11, 12, 13, 0x7f, 0x80, 0xff, 0x100, 0x1ff, 120, 121, 128, 129, 0x7fff, 0xffff, 0x10000,
  0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x40000, 0x40100, 0x40000000, 0xa1, 0xa2, 0xd1, 0xcafe];

const u32 = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 20 }) },
  { weight: 3, arbitrary: fc.constantFrom(...EDGES) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
);

function stepArb(variant: Variant): fc.Arbitrary<Step> {
  const ops = OPS.map((_, i) => i).filter((i) => variant === 'full' || !(OPS[i]! in GATED));
  // operations that end the job (exit, trap, a store or bus access out of bounds) are rarer
  const ending = (i: number) => OPS[i] === 'exit' || FAULTING.has(OPS[i]!);
  const common = ops.filter((i) => !ending(i));
  const rare = ops.filter(ending);
  const kind = fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 5, arbitrary: fc.constant(1) }, { weight: 4, arbitrary: fc.constant(2) }, { weight: 3, arbitrary: fc.constant(3) });
  const op = fc.oneof({ weight: 40, arbitrary: fc.constantFrom(...common) }, { weight: 1, arbitrary: fc.constantFrom(...rare) });
  // Blocking calls mostly with bounded waits, so that programs get further (any value still occurs).
  const shortWait = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 2, arbitrary: fc.constant(0xffffffff) }, { weight: 1, arbitrary: u32 });
  const shaped: Record<string, [fc.Arbitrary<number>, fc.Arbitrary<number>]> = {
    wait_for_event: [u32, shortWait],
    sleep: [shortWait, u32],
  };
  return op.chain((o) => {
    const [a, b] = shaped[OPS[o]!] ?? [u32, u32];
    const literalKind = OPS[o]! in shaped ? fc.constant(0) : kind;
    return fc.record({
      op: fc.constant(o),
      kinds: fc.tuple(literalKind, literalKind, kind),
      args: fc.tuple(a, b, u32),
    });
  });
}

const CAP_BITS = [Cap.SysProcstart, Cap.CryKrng, Cap.TimHpChrono, Cap.DevIo, Cap.DevDma, Cap.DevTimer, Cap.MemShmOwn, Cap.MemShmUse];

const taskArb: fc.Arbitrary<FuzzTask> = fc.constantFrom<Variant>('base', 'full').chain((variant) => fc.record({
  variant: fc.constant(variant),
  extraCaps: fc.subarray(CAP_BITS).map((bits) => bits.reduce((a, b) => a | b, 0)),
  priority: fc.integer({ min: 1, max: 3 }),
  quantum: fc.integer({ min: 1, max: 5 }),
  restart: fc.boolean(),
  autoStart: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  domain: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
  program: fc.array(stepArb(variant), { minLength: 1, maxLength: MAX_STEPS, size: 'max' }),
}));

const runArb = fc.array(taskArb, { minLength: 2, maxLength: 4 });

function encodeProgram(program: readonly Step[]): Uint8Array {
  const bytes = new Uint8Array(MAX_STEPS * 16).fill(0xff);
  const view = new DataView(bytes.buffer);
  program.slice(0, MAX_STEPS).forEach((s, i) => {
    view.setUint32(i * 16, s.op | (s.kinds[0] << 8) | (s.kinds[1] << 10) | (s.kinds[2] << 12), true);
    for (let k = 0; k < 3; k++) view.setUint32(i * 16 + 4 + 4 * k, s.args[k]! >>> 0, true);
  });
  if (program.length < MAX_STEPS) view.setUint32(program.length * 16, HALT, true);
  return bytes;
}

function imageOf(tasks: readonly FuzzTask[], board: Board): Uint8Array {
  const inputs: ImageTaskInput[] = tasks.map((t, i) => {
    const interp = interpreter(t.variant);
    const module = new Uint8Array(interp.input.module);
    module.set(encodeProgram(t.program), interp.programOffset);
    // label 1 owns the board's device and DMA stream: it needs their capabilities
    const boardCaps = i === 0 ? Cap.DevIo | Cap.DevDma : 0;
    return {
      ...interp.input, module, name: `t${i + 1}`, label: i + 1, priority: t.priority, quantum: t.quantum,
      capabilities: (t.variant === 'full' ? FULL_CAPS : 0) | t.extraCaps | boardCaps,
      autoStart: i === 0 ? true : t.autoStart, exitPolicy: t.restart ? ExitPolicy.Restart : ExitPolicy.NoRestart,
      domain: i === 0 ? 0 : t.domain,
    };
  });
  return writeImage(DEFAULT_KERNEL_CONFIG, inputs, board);
}

// ---------------------------------------------------------------------------------------
// the properties
// ---------------------------------------------------------------------------------------

/** Everything wrong with a finished run, as messages (empty: the run is fine). */
function problemsOf(tasks: readonly FuzzTask[], k: Kernel, result: RunResult): string[] {
  const problems: string[] = [];
  if (result.end.kind === 'panic') problems.push(`kernel panic: ${result.end.message}`);
  const n = k.taskCount;
  for (let r = 0; r < n; r++) {
    let ipc = 0;
    let sig = 0;
    for (let s = 0; s < n; s++) {
      if (k.ipcLen[r * n + s] !== 0) ipc++;
      if (k.signalSlot[r * n + s] !== 0) sig++;
    }
    if (k.ipcPending[r] !== ipc) problems.push(`task #${r}: ipcPending ${k.ipcPending[r]} but ${ipc} IPC slots in use`);
    if (k.signalPending[r] !== sig) problems.push(`task #${r}: signalPending ${k.signalPending[r]} but ${sig} signal slots in use`);
  }
  if (k.sched.size() > n) problems.push(`scheduler holds ${k.sched.size()} jobs for ${n} tasks`);
  for (let t = 0; t < k.userTasks; t++) {
    const state = k.state[t]!;
    if (k.stateName(t) === 'unknown') problems.push(`task #${t}: impossible state ${state}`);
    if (k.sched.isQueued(t) && state !== JobState.Ready) problems.push(`task #${t}: queued while ${k.stateName(t)}`);
    if ((k.ipcTarget[t] !== -1) !== (state === JobState.IpcSendBlocked)) problems.push(`task #${t}: ${k.stateName(t)} with IPC target ${k.ipcTarget[t]}`);
    if (result.end.kind === 'idle' && state === JobState.Ready) problems.push(`task #${t}: READY although the run ended idle`);
    // statuses and faults, from the task's (last job's) memory
    const mem = new DataView(k.instances[t]!.memoryBytes().buffer);
    const done = Math.min(mem.getUint32(DONE, true), tasks[t]!.program.length);
    for (let i = 0; i < done; i++) {
      const op = tasks[t]!.program[i]!.op;
      const status = mem.getUint32(RESULTS + 4 * i, true);
      if (IS_STATUS[op] === true && status > Status.Deadlk) problems.push(`task #${t} step ${i} (${OPS[op]}): status ${status} outside 0..10`);
    }
    // A fault must follow one of the task's own hostile operations. It may surface a few
    // steps later: a killed job runs on to its next metering point (its imports refused),
    // and a write to a read-only shared memory is found at the next switch-out.
    const fault = result.tasks[t]!.fault;
    const executed = tasks[t]!.program.slice(0, done + 1);
    if (fault !== null && !executed.some((s) => FAULTING.has(OPS[s.op]!))) {
      problems.push(`task #${t} faulted (${fault.message}) without a faulting operation among its ${done + 1} first steps`);
    }
  }
  return problems;
}

let board: Board;
let iterations = 0;
const findings: string[] = [];
/** What the runs exercised: statuses by value, faults, restarts, run ends. */
const stats = { statuses: new Array<number>(11).fill(0), calls: 0, faults: 0, restarts: 0, ends: {} as Record<string, number> };

function tally(tasks: readonly FuzzTask[], k: Kernel, result: RunResult): void {
  stats.ends[result.end.kind] = (stats.ends[result.end.kind] ?? 0) + 1;
  for (let t = 0; t < k.userTasks; t++) {
    const mem = new DataView(k.instances[t]!.memoryBytes().buffer);
    const done = Math.min(mem.getUint32(DONE, true), tasks[t]!.program.length);
    for (let i = 0; i < done; i++) {
      if (IS_STATUS[tasks[t]!.program[i]!.op] !== true) continue;
      stats.calls++;
      const s = mem.getUint32(RESULTS + 4 * i, true);
      if (s <= 10) stats.statuses[s]!++;
    }
    if (result.tasks[t]!.fault !== null) stats.faults++;
    stats.restarts += result.tasks[t]!.restarts;
  }
}

beforeAll(async () => {
  board = forHandWrittenTasks(await readBoardSource(FUZZ_BOARD_DTS));
  interpreter('base');
  interpreter('full');
});

describe('syscall fuzzing', () => {
  it('the interpreter runs a known program exactly', () => {
    const log = OP_INDEX.get('log')!;
    const yieldOp = OP_INDEX.get('sched_yield')!;
    const sendSignal = OP_INDEX.get('send_signal')!;
    const waitOp = OP_INDEX.get('wait_for_event')!;
    const program: Step[] = [
      { op: log, kinds: [0, 0, 0], args: [129, 0, 0] }, // INVALID
      { op: sendSignal, kinds: [1, 0, 0], args: [1, 11, 0] }, // to label 2: OK
      { op: sendSignal, kinds: [1, 0, 0], args: [1, 11, 0] }, // BUSY
      // the exchange still holds the idle task's handle (the last of the handle table), bit 0 flipped: INVALID
      { op: sendSignal, kinds: [2, 0, 0], args: [1, 11, 0] },
      { op: yieldOp, kinds: [0, 0, 0], args: [0, 0, 0] }, // OK
    ];
    const receiver: Step[] = [{ op: waitOp, kinds: [0, 0, 0], args: [2, 0xffffffff, 0] }, { op: waitOp, kinds: [0, 0, 0], args: [2, 0xffffffff, 0] }];
    const tasks: FuzzTask[] = [
      { variant: 'base', extraCaps: 0, priority: 2, quantum: 2, restart: false, autoStart: true, domain: 0, program },
      { variant: 'base', extraCaps: 0, priority: 1, quantum: 2, restart: false, autoStart: true, domain: 0, program: receiver },
    ];
    const k = bootImage(imageOf(tasks, board), { seed: 3, console: { line: () => undefined } });
    const result = k.run();
    expect(problemsOf(tasks, k, result)).toEqual([]);
    const results = (t: number, count: number) => {
      const mem = new DataView(k.instances[t]!.memoryBytes().buffer);
      return Array.from({ length: count }, (_, i) => mem.getUint32(RESULTS + 4 * i, true));
    };
    expect(results(0, 5)).toEqual([Status.Invalid, Status.Ok, Status.Busy, Status.Invalid, Status.Ok]);
    expect(results(1, 2)).toEqual([Status.Ok, Status.Again]);
  });

  it(`random syscall sequences from several tasks (${LONG ? `${RUNS} runs` : 'short run'})`, () => {
    const started = Date.now();
    const details = fc.check(fc.property(runArb, fc.integer({ min: 0, max: 0xffff }), (tasks, seed) => {
      iterations++;
      let k: Kernel;
      let result: RunResult;
      try {
        k = bootImage(imageOf(tasks, board), { seed, console: { line: () => undefined }, maxCycles: 200 * MS });
        result = k.run();
      } catch (error) {
        const message = `exception out of boot/run: ${(error as Error).stack ?? String(error)}`;
        findings.push(message);
        throw new Error(message);
      }
      tally(tasks, k, result);
      const problems = problemsOf(tasks, k, result);
      if (problems.length > 0) {
        findings.push(problems.join('; '));
        throw new Error(problems.join('\n'));
      }
    }), {
      numRuns: RUNS,
      ...(SECONDS !== undefined ? { interruptAfterTimeLimit: SECONDS * 1000 } : {}),
      ...(SEED !== undefined ? { seed: SEED } : {}),
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`fuzz syscalls: ${details.numRuns} runs (${iterations} executions with shrinking) in ${seconds} s, seed ${details.seed}, ${details.failed ? 1 : 0} failing property, ${findings.length} findings`);
    console.log(`  syscalls completed: ${stats.calls}; by status 0..10: ${stats.statuses.join(' ')}; task faults: ${stats.faults}; restarts: ${stats.restarts}; run ends: ${JSON.stringify(stats.ends)}`);
    if (details.failed) console.log(`fuzz syscalls: counterexample ${JSON.stringify(details.counterexample)}: ${String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance)}`);
    expect(details.failed, `${fc.defaultReportMessage(details) ?? ''}\n${String((details.errorInstance as Error | undefined)?.message ?? '')}`).toBe(false);
    expect(details.numRuns).toBeGreaterThan(0);
  }, LONG ? 24 * 3600_000 : 60_000);
});
