/**
 * Scheduling through a booted kernel: preemption of busy loops, no starvation under
 * RRMQ, yield semantics, FIFO, determinism, and the refusal of ungranted imports.
 */
import { describe, expect, it } from 'vitest';
import { Cap } from '../../toolchain/abi/index.js';
import { bootImage, ImageRefused } from '../../kernel/boot/boot.js';
import { buildWatImage, runWat, taskWat, watToWasm } from '../helpers/wat.js';
import { readImage, writeImage } from '../../kernel/image/image.js';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';

const CYCLES_PER_MS = 64_000;

/** A task that loops forever, reporting the virtual millisecond at every iteration of its outer loop. */
const busy = taskWat({ imports: ['log'], body: '(loop $l (br $l))' });

/** A task that logs its name-mark every time it gets the CPU, `n` times, sleeping 1 ms between. */
function ticker(n: number, sleepMs: number) {
  return taskWat({
    imports: ['log', 'sleep', 'get_cycle'],
    body: `(loop $l
      (drop (call $get_cycle (i32.const 3)))
      (call $report (i32.rem_u (i32.load (i32.const 1024)) (i32.const 100)))
      (drop (call $sleep (i32.const ${sleepMs}) (i32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const ${n}))))`,
  });
}

describe('preemption and starvation', () => {
  it('preempts a task stuck in an infinite loop: the others still run', () => {
    const run = runWat([
      { name: 'spin', label: 1, priority: 9, quantum: 5, wat: busy },
      { name: 'tick', label: 2, priority: 1, wat: ticker(3, 1) },
    ], {}, { maxCycles: CYCLES_PER_MS * 200 });
    expect(run.result.end.kind).toBe('max-cycles');
    expect(run.lines).toHaveLength(3);
    expect(run.result.tasks[0]!.switches).toBeGreaterThan(3);
  });

  it('RRMQ: every ready task runs in every time-slot window despite a busy high-priority task', () => {
    // Two busy low-priority tasks and a busy high-priority one: with quantum q each, each
    // window lasts 3q and every task must have run in each window.
    const counter = (mark: number) => taskWat({
      imports: ['log', 'get_cycle'],
      body: `(loop $l
        (drop (call $get_cycle (i32.const 3)))
        (local.set $j (i32.div_u (i32.load (i32.const 1024)) (i32.const 6)))
        (if (i32.ne (local.get $j) (local.get $k)) (then (local.set $k (local.get $j)) (call $report (i32.const ${mark}))))
        (br $l))`,
    });
    const run = runWat([
      { name: 'high', label: 1, priority: 200, quantum: 2, wat: counter(1) },
      { name: 'low1', label: 2, priority: 1, quantum: 2, wat: counter(2) },
      { name: 'low2', label: 3, priority: 1, quantum: 2, wat: counter(3) },
    ], {}, { maxCycles: CYCLES_PER_MS * 60 });
    // 60 ms = 10 windows of 6 ms: each task reports once per 6 ms window it ran in.
    const perTask = (name: string) => run.lines.filter((l) => l.startsWith(`[${name}]`)).length;
    expect(perTask('high')).toBeGreaterThanOrEqual(9);
    expect(perTask('low1')).toBeGreaterThanOrEqual(9);
    expect(perTask('low2')).toBeGreaterThanOrEqual(9);
    const cycles = run.result.tasks.map((t) => t.cycles);
    const total = cycles.reduce((a, b) => a + b, 0);
    for (const c of cycles) expect(c / total).toBeGreaterThan(0.28);
  });

  it('yield lets the other task of equal priority run, in turn', () => {
    const y = (mark: number) => taskWat({
      imports: ['log', 'sched_yield'],
      body: `(loop $l (call $report (i32.const ${mark})) (drop (call $sched_yield))
        (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const 3))))`,
    });
    const run = runWat([{ name: 'a', label: 1, wat: y(1) }, { name: 'b', label: 2, wat: y(2) }]);
    expect(run.lines).toEqual(['[a] s=01', '[b] s=02', '[a] s=01', '[b] s=02', '[a] s=01', '[b] s=02']);
  });

  it('FIFO runs tasks in arrival order, ignoring priority', () => {
    const once = (mark: number) => taskWat({ imports: ['log'], body: `(call $report (i32.const ${mark}))` });
    const run = runWat([{ name: 'a', label: 1, priority: 1, wat: once(1) }, { name: 'b', label: 2, priority: 9, wat: once(2) }], { scheduler: 'fifo' });
    expect(run.lines).toEqual(['[a] s=01', '[b] s=02']);
    const rrmq = runWat([{ name: 'a', label: 1, priority: 1, wat: once(1) }, { name: 'b', label: 2, priority: 9, wat: once(2) }]);
    expect(rrmq.lines).toEqual(['[b] s=02', '[a] s=01']);
  });

  it('ends the run when nothing can run again and says why', () => {
    const run = runWat([{ name: 'w', label: 1, wat: taskWat({ imports: ['log', 'wait_for_event'], body: '(drop (call $wait_for_event (i32.const 1) (i32.const 0)))' }) }]);
    expect(run.result.end).toEqual({ kind: 'idle', message: 'no task can run again: w (waiting) wait for events that nothing pending can produce' });
  });
});

describe('determinism', () => {
  it('same image and seed give identical console, summary and trace', () => {
    const tasks = [
      { name: 'spin', label: 1, priority: 3, quantum: 3, wat: busy },
      { name: 't1', label: 2, capabilities: Cap.CryKrng, wat: taskWat({ imports: ['log', 'get_random', 'sleep'], body: '(loop $l (drop (call $get_random)) (call $report (i32.rem_u (i32.load (i32.const 1024)) (i32.const 100))) (drop (call $sleep (i32.const 2) (i32.const 0))) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const 20))))' }) },
    ];
    const a = runWat(tasks, {}, { seed: 7, maxCycles: CYCLES_PER_MS * 80, trace: true });
    const b = runWat(tasks, {}, { seed: 7, maxCycles: CYCLES_PER_MS * 80, trace: true });
    const c = runWat(tasks, {}, { seed: 8, maxCycles: CYCLES_PER_MS * 80 });
    expect(a.lines).toEqual(b.lines);
    expect(a.result).toEqual(b.result);
    expect(JSON.stringify(a.kernel.trace!.toJSON())).toEqual(JSON.stringify(b.kernel.trace!.toJSON()));
    expect(a.lines).not.toEqual(c.lines);
  });
});

describe('imports are capabilities', () => {
  it('the integrator refuses an ungranted import, naming task, syscall and capability', () => {
    expect(() => buildWatImage([{ name: 'x', label: 1, wat: taskWat({ imports: ['start'], body: 'nop' }) }]))
      .toThrow("task 'x': imports syscall 'start' (__sys_start) without capability CAP_SYS_PROCSTART; add CONFIG_CAP_SYS_PROCSTART=y to x/task.conf");
  });
  it('refuses imports outside the UAPI, of the wrong type, and not implemented yet', () => {
    const wat = `(module (import "env" "fopen" (func)) (import "rampart" "log" (func (param i64) (result i32)))
      (import "rampart" "pm_set_clock" (func (param i32 i32 i32) (result i32)))
      (memory (export "memory") 1 1) (global (export "__svcexchange") i32 (i32.const 1024)) (func (export "_start") (param i32 i32)))`;
    let message = '';
    try { buildWatImage([{ name: 'x', label: 1, capabilities: Cap.SysPower, wat }]); } catch (e) { message = (e as Error).message; }
    expect(message).toContain("task 'x': imports 'env.fopen', which is not a Rampart syscall");
    expect(message).toContain("task 'x': 'rampart.log' has signature (i64) -> (i32), expected (i32) -> (i32)");
    expect(message).toContain("task 'x': imports syscall 'pm_set_clock' (__sys_pm_set_clock), which this kernel does not implement yet");
  });
  it('the kernel refuses at boot an image whose module imports more than its capabilities', () => {
    // Forge an image by hand: a module instrumented for a task with the capability, but
    // metadata that does not grant it.
    const good = buildWatImage([{ name: 'x', label: 1, capabilities: Cap.CryKrng, wat: taskWat({ imports: ['get_random'], body: '(drop (call $get_random))' }) }]);
    // Re-packed through the writer, so every section hash is consistent: only boot's own
    // import check stands between this image and the task.
    const read = readImage(good);
    expect(read.tasks[0]!.capabilities).toBe(2097152);
    const bytes = writeImage(read.kernel, read.tasks.map((t) => ({ ...t, capabilities: 0 })), read.board);
    expect(() => bootImage(bytes, { seed: 0, console: { line: () => undefined } })).toThrow(ImageRefused);
    try { bootImage(bytes, { seed: 0, console: { line: () => undefined } }); } catch (e) {
      expect((e as Error).message).toContain("task 'x': imports syscall 'get_random' (__sys_get_random) without capability CAP_CRY_KRNG");
    }
  });
  it('refuses an uninstrumented module at boot', () => {
    const raw = watToWasm(taskWat({ imports: ['log'], body: 'nop' }));
    const image = writeImage(DEFAULT_KERNEL_CONFIG, [{ name: 'x', label: 1, priority: 1, quantum: 1, capabilities: 0, autoStart: true, exitPolicy: 0, domain: 0, exchangeAddress: 1024, asyncifyDataAddress: 65536 - 4096, asyncifyDataSize: 4096, module: raw }]);
    expect(() => bootImage(image, { seed: 0, console: { line: () => undefined } })).toThrow(/not metered/);
  });
});
