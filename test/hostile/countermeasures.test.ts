/**
 * Proof by attack: each countermeasure, fed the fault it exists for through the kernel's own
 * fault injector, detects it and leaves an entry in the abnormal-event journal.
 */
import { describe, expect, it } from 'vitest';
import { Cap } from '../../toolchain/abi/index.js';
import { JournalKind } from '../../kernel/managers/security/journal.js';
import { parseInjections } from '../../kernel/managers/security/injection.js';
import { bootImage, ImageRefused } from '../../kernel/boot/boot.js';
import { buildWatImage, runWat, taskWat } from '../helpers/wat.js';

const r = (expr: string) => `(call $report ${expr})`;
const kinds = (run: ReturnType<typeof runWat>) => run.kernel.security.journal.records().map((x) => x.kind);

/** A task that yields a few times, reporting each time. */
const yielder = taskWat({ imports: ['log', 'sched_yield', 'get_cycle'], body: `(loop $l (drop (call $get_cycle (i32.const 3))) (call $report (local.get $i)) (drop (call $sched_yield))
  (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const 4))))` });

describe('fault injection and detection', () => {
  it('skip-check: a bypassed capability check is caught by the redundant check before the privileged read', () => {
    const wat = taskWat({ imports: ['log', 'get_cycle'], body: r('(call $get_cycle (i32.const 0))') });
    const clean = runWat([{ name: 'a', label: 1, wat }]);
    expect(clean.lines).toEqual(['[a] s=02']);
    const run = runWat([{ name: 'a', label: 1, wat }], {}, { inject: parseInjections('skip-check') });
    expect(run.result.end.kind).toBe('panic');
    expect(run.result.end.message).toMatch(/security: privileged action by 'a' without its capability/);
    expect(kinds(run)).toContain(JournalKind.RedundantCheck);
    expect(run.lines).toEqual([]);
  });

  it('flip-table: a bit flipped in the task table is caught by the entry integrity code', () => {
    const run = runWat([{ name: 'a', label: 1, wat: yielder }, { name: 'b', label: 2, wat: yielder }], {}, { inject: parseInjections('flip-table:a') });
    expect(run.result.end.kind).toBe('panic');
    expect(run.result.end.message).toMatch(/security: task table entry of 'a' was altered/);
    expect(kinds(run)).toContain(JournalKind.IntegrityTaskTable);
  });

  it('corrupt-context: a suspended task whose saved stack was altered is not resumed', () => {
    const victim = taskWat({ imports: ['log', 'wait_for_event'], body: `(drop (call $wait_for_event (i32.const 2) (i32.const 0))) ${r('(i32.const 77)')}` });
    const waker = taskWat({ imports: ['log', 'get_process_handle', 'send_signal', 'sched_yield'], body: `(drop (call $get_process_handle (i32.const 1)))
      (drop (call $send_signal (i32.load (i32.const 1024)) (i32.const 11))) (drop (call $sched_yield)) ${r('(i32.const 5)')}` });
    const run = runWat([{ name: 'victim', label: 1, priority: 5, wat: victim }, { name: 'waker', label: 2, wat: waker }], {}, { inject: parseInjections('corrupt-context:victim') });
    expect(run.result.tasks[0]!.state).toBe('fault');
    expect(run.result.tasks[0]!.fault!.message).toMatch(/saved context altered while suspended/);
    expect(run.lines).toEqual(['[waker] s=05']);
    expect(kinds(run)).toContain(JournalKind.IntegritySavedContext);
    const release = runWat([{ name: 'victim', label: 1, priority: 5, wat: victim }, { name: 'waker', label: 2, wat: waker }], { buildTarget: 'release' }, { inject: parseInjections('corrupt-context:victim') });
    expect(release.result.end.kind).toBe('panic');
  });

  it('skip-loop: a skipped iteration of the election loop is caught by the double counter', () => {
    const run = runWat([{ name: 'a', label: 1, wat: yielder }, { name: 'b', label: 2, wat: yielder }], {}, { inject: parseInjections('skip-loop') });
    expect(run.result.end.kind).toBe('panic');
    expect(run.result.end.message).toMatch(/RRMQ election loop/);
    expect(kinds(run)).toContain(JournalKind.LoopCounter);
  });

  it('skip-cfi: a syscall that skipped a step of its measured path is caught before returning', () => {
    const run = runWat([{ name: 'a', label: 1, wat: yielder }], {}, { inject: parseInjections('skip-cfi') });
    expect(run.result.end.message).toMatch(/security: syscall 'get_cycle' did not follow its measured path/);
    expect(kinds(run)).toContain(JournalKind.ControlFlow);
  });

  it('corrupt-queue: a scheduler queue changed outside the scheduler is caught at the next election', () => {
    const run = runWat([{ name: 'a', label: 1, wat: yielder }, { name: 'b', label: 2, wat: yielder }], {}, { inject: parseInjections('corrupt-queue@100') });
    expect(run.result.end.message).toMatch(/security: scheduler queues were altered/);
    expect(kinds(run)).toContain(JournalKind.IntegritySchedQueue);
  });

  it('refuses malformed injection specs', () => {
    expect(() => parseInjections('melt-cpu')).toThrow("--inject: unknown fault kind 'melt-cpu'");
    expect(() => parseInjections('skip-check@x')).toThrow('--inject: cannot read');
  });
});

describe('the abnormal-event journal across boots', () => {
  it('journals dropped events at the 1st, 2nd, 4th, 8th... drop, never flooding the ring', () => {
    // A 1 ms periodic alarm while the task sleeps deeply for 40 ms: its alarm signal slot
    // stays occupied, so every later firing is dropped (spec Part 1, B.4).
    const sleeper = taskWat({ imports: ['alarm', 'sleep'], body: '(drop (call $alarm (i32.const 1) (i32.const 1))) (drop (call $sleep (i32.const 40) (i32.const 1)))' });
    const run = runWat([{ name: 'sleeper', label: 9, wat: sleeper }]);
    const dropped = run.result.droppedEvents;
    expect(dropped).toBeGreaterThanOrEqual(30);
    const records = run.kernel.security.journal.records().filter((x) => x.kind === JournalKind.EventDropped);
    const expected: number[] = [];
    for (let n = 1; n <= dropped; n *= 2) expected.push(n);
    expect(records.map((x) => [x.label, x.detail])).toEqual(expected.map((n) => [9, n]));
    expect(run.kernelLog).toContain("rampart: event dropped for task 'sleeper': alarm signal (1 dropped so far)");
  });
  const crasher = taskWat({ imports: ['log'], body: 'unreachable' });
  const fine = taskWat({ imports: ['log'], body: r('(i32.const 1)') });

  it('journals a fault, reports it at the next boot, and applies the policy', () => {
    const first = runWat([{ name: 'bad', label: 7, wat: crasher }, { name: 'ok', label: 8, wat: fine }]);
    const journal = Uint8Array.from(first.kernel.security.journal.bytes);
    expect(first.kernel.security.journal.records().map((x) => [x.kind, x.label])).toEqual([[JournalKind.TaskFault, 7]]);

    const second = runWat([{ name: 'bad', label: 7, wat: crasher }, { name: 'ok', label: 8, wat: fine }], {}, { journal, journalPolicy: 'refuse-task' });
    expect(second.kernelLog.some((l) => /journal: boot 0, .*task fault \(task 0x7\)/.test(l))).toBe(true);
    expect(second.kernelLog).toContain("rampart: journal policy refuse-task: task 'bad' is not started (abnormal events in previous runs)");
    expect(second.result.tasks.map((t) => t.state)).toEqual(['not-started', 'finished']);

    const image = buildWatImage([{ name: 'bad', label: 7, wat: crasher }]);
    expect(() => bootImage(image, { seed: 0, console: { line: () => undefined }, journal, journalPolicy: 'refuse-boot' })).toThrow(ImageRefused);
  });

  it('a tampered journal is reported, not trusted', () => {
    const first = runWat([{ name: 'bad', label: 7, wat: crasher }]);
    const journal = Uint8Array.from(first.kernel.security.journal.bytes);
    journal[20] = journal[20]! ^ 1;
    const second = runWat([{ name: 'ok', label: 8, wat: fine }], {}, { journal });
    expect(second.kernelLog.some((l) => /journal record 0 does not verify \(tampered\)/.test(l))).toBe(true);
  });

  it('the watchdog journals a task that hogged a whole window while others were ready', () => {
    const hog = taskWat({ imports: ['log'], body: '(loop $l (br $l))' });
    const run = runWat([{ name: 'hog', label: 1, priority: 9, quantum: 200, wat: hog }, { name: 'meek', label: 2, quantum: 1, wat: taskWat({ imports: ['log', 'sched_yield'], body: '(loop $l (drop (call $sched_yield)) (br $l))' }) }], {}, { maxCycles: 64_000 * 1100 });
    expect(kinds(run)).toContain(JournalKind.WatchdogBudget);
    expect(run.kernelLog.some((l) => /watchdog: task 'hog' used (9\d|100)% of a 1000 ms window/.test(l))).toBe(true);
  });
});
