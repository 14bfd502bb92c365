/**
 * Every core syscall's statuses, through a booted kernel and hand-written WAT tasks.
 * Each task reports statuses as console lines "s=NN" (see test/helpers/wat.ts).
 */
import { describe, expect, it } from 'vitest';
import { Cap, ExitPolicy } from '../../toolchain/abi/index.js';
import { bootImage } from '../../kernel/boot/boot.js';
import { buildWatImage, runWat, taskWat, type TestTask } from '../helpers/wat.js';

const r = (expr: string) => `(call $report ${expr})`;

describe('log, exit and the console', () => {
  it('logs raw bytes as a console line and records the exit status', () => {
    const run = runWat([{ name: 'a', label: 1, wat: taskWat({
      imports: ['log', 'exit'], extra: '(data (i32.const 4096) "hello\\n")',
      body: '(call $say (i32.const 4096) (i32.const 6)) (drop (call $exit (i32.const 3)))',
    }) }]);
    expect(run.lines).toEqual(['[a] hello']);
    expect(run.result.tasks[0]).toMatchObject({ state: 'aborted', exitStatus: 3 });
    expect(run.result.end.kind).toBe('idle');
  });
  it('refuses a log longer than the exchange area and accepts the maximum', () => {
    const run = runWat([{ name: 'a', label: 1, wat: taskWat({ imports: ['log'], body: `${r('(call $log (i32.const 129))')} ${r('(call $log (i32.const 0))')}` }) }]);
    expect(run.lines).toEqual(['[a] s=01', '[a] s=00']);
  });
  it('treats returning from _start as exit(0)', () => {
    const run = runWat([{ name: 'a', label: 1, wat: taskWat({ imports: ['log'], body: 'nop' }) }]);
    expect(run.result.tasks[0]).toMatchObject({ state: 'finished', exitStatus: 0 });
  });
  it('is silent in release builds', () => {
    const run = runWat([{ name: 'a', label: 1, wat: taskWat({ imports: ['log'], body: r('(call $log (i32.const 5))') }) }], { buildTarget: 'release' });
    expect(run.lines).toEqual([]);
  });
});

describe('get_cycle, get_random, pm_manage', () => {
  it('checks precision and the chrono capability', () => {
    const body = [4, 0, 1, 2, 3].map((p) => r(`(call $get_cycle (i32.const ${p}))`)).join(' ');
    const run = runWat([{ name: 'a', label: 1, wat: taskWat({ imports: ['log', 'get_cycle'], body }) }]);
    expect(run.lines).toEqual(['[a] s=01', '[a] s=02', '[a] s=00', '[a] s=00', '[a] s=00']);
    const chrono = runWat([{ name: 'a', label: 1, capabilities: Cap.TimHpChrono, wat: taskWat({ imports: ['log', 'get_cycle'], body: r('(call $get_cycle (i32.const 0))') }) }]);
    expect(chrono.lines).toEqual(['[a] s=00']);
  });
  it('writes a growing u64 cycle count and exact milliseconds', () => {
    const body = `
      (drop (call $get_cycle (i32.const 0))) (local.set $i (i32.load (i32.const 1024)))
      (drop (call $sleep (i32.const 7) (i32.const 0)))
      (drop (call $get_cycle (i32.const 0))) (local.set $j (i32.load (i32.const 1024)))
      ${r('(i32.gt_u (local.get $j) (local.get $i))')}
      (drop (call $get_cycle (i32.const 3)))
      ${r('(i32.load (i32.const 1024))')}
      ${r('(i32.load (i32.const 1028))')}`;
    const run = runWat([{ name: 'a', label: 1, capabilities: Cap.TimHpChrono, wat: taskWat({ imports: ['log', 'get_cycle', 'sleep'], body }) }]);
    // slept 7 ms from tick 0: woken on the 7th tick
    expect(run.lines).toEqual(['[a] s=01', '[a] s=07', '[a] s=00']);
  });
  it('denies get_random without its capability at integration, and serves it with', () => {
    expect(() => runWat([{ name: 'a', label: 1, wat: taskWat({ imports: ['get_random'], body: 'nop' }) }]))
      .toThrow("task 'a': imports syscall 'get_random' (__sys_get_random) without capability CAP_CRY_KRNG; add CONFIG_CAP_CRY_KRNG=y to a/task.conf");
    const run = runWat([{ name: 'a', label: 1, capabilities: Cap.CryKrng, wat: taskWat({ imports: ['log', 'get_random'], body: r('(call $get_random)') }) }]);
    expect(run.lines).toEqual(['[a] s=00']);
  });
  it('gives WFI/WFE to the idle task only', () => {
    const body = [0, 1, 2, 3, 4].map((m) => r(`(call $pm_manage (i32.const ${m}))`)).join(' ');
    const run = runWat([{ name: 'a', label: 1, wat: taskWat({ imports: ['log', 'pm_manage'], body }) }]);
    expect(run.lines).toEqual(['[a] s=02', '[a] s=02', '[a] s=00', '[a] s=00', '[a] s=01']);
  });
});

describe('get_process_handle and start', () => {
  it('resolves labels, the idle task included, and refuses unknown ones', () => {
    const body = `${r('(call $get_process_handle (i32.const 0x99))')} ${r('(call $get_process_handle (i32.const 0xcafe))')} ${r('(call $get_process_handle (i32.const 2))')}`;
    const run = runWat([
      { name: 'a', label: 1, wat: taskWat({ imports: ['log', 'get_process_handle'], body }) },
      { name: 'b', label: 2, autoStart: false, wat: taskWat({ imports: ['log'], body: 'nop' }) },
    ]);
    expect(run.lines).toEqual(['[a] s=01', '[a] s=00', '[a] s=00']);
  });
  it('starts a not-started task once; INVALID for running, unknown and ended tasks', () => {
    const body = `${r('(call $start (i32.const 2))')} ${r('(call $start (i32.const 2))')} ${r('(call $start (i32.const 1))')} ${r('(call $start (i32.const 77))')}`;
    const run = runWat([
      { name: 'a', label: 1, capabilities: Cap.SysProcstart, wat: taskWat({ imports: ['log', 'start'], body }) },
      { name: 'b', label: 2, autoStart: false, wat: taskWat({ imports: ['log'], extra: '(data (i32.const 4096) "b runs\\n")', body: '(call $say (i32.const 4096) (i32.const 7))' }) },
    ]);
    expect(run.lines).toEqual(['[a] s=00', '[a] s=01', '[a] s=01', '[a] s=01', '[b] b runs']);
  });
  it('leaves a never-started task not-started', () => {
    const run = runWat([
      { name: 'a', label: 1, wat: taskWat({ imports: ['log'], body: 'nop' }) },
      { name: 'b', label: 2, autoStart: false, wat: taskWat({ imports: ['log'], body: 'nop' }) },
    ]);
    expect(run.result.tasks.map((t) => t.state)).toEqual(['finished', 'not-started']);
  });
});

describe('wait_for_event, sleep and alarms', () => {
  it('WAIT_NO answers AGAIN, other negatives INVALID, a timeout TIMEOUT', () => {
    const body = `${r('(call $wait_for_event (i32.const 15) (i32.const -1))')} ${r('(call $wait_for_event (i32.const 15) (i32.const -2))')} ${r('(call $wait_for_event (i32.const 15) (i32.const 3))')}`;
    const run = runWat([{ name: 'a', label: 1, wat: taskWat({ imports: ['log', 'wait_for_event'], body }) }]);
    expect(run.lines).toEqual(['[a] s=08', '[a] s=01', '[a] s=07']);
  });
  it('refuses sleep modes above DEEP and times a sleep in virtual ticks', () => {
    const body = `${r('(call $sleep (i32.const 1) (i32.const 2))')} ${r('(call $sleep (i32.const 25) (i32.const 0))')}
      (drop (call $get_cycle (i32.const 3))) ${r('(i32.load (i32.const 1024))')}
      ${r('(call $sleep (i32.const 0) (i32.const 1))')}
      (drop (call $get_cycle (i32.const 3))) ${r('(i32.load (i32.const 1024))')}`;
    const run = runWat([{ name: 'a', label: 1, wat: taskWat({ imports: ['log', 'sleep', 'get_cycle'], body }) }]);
    expect(run.lines).toEqual(['[a] s=01', '[a] s=07', '[a] s=25', '[a] s=07', '[a] s=26']);
  });
  it('alarm: a waiter is woken with INTR, then reads SIGNAL_ALARM from its own handle', () => {
    const body = `
      (drop (call $get_process_handle (i32.const 1))) (local.set $h (i32.load (i32.const 1024)))
      ${r('(call $alarm (i32.const 5) (i32.const 0))')}
      ${r('(call $wait_for_event (i32.const 2) (i32.const 0))')}
      ${r('(call $wait_for_event (i32.const 2) (i32.const -1))')}
      ${r('(i32.load8_u (i32.const 1024))')} ${r('(i32.load8_u (i32.const 1025))')}
      ${r('(i32.eq (i32.load16_u (i32.const 1026)) (i32.const 0x4242))')}
      ${r('(i32.eq (i32.load (i32.const 1028)) (local.get $h))')}
      ${r('(i32.load (i32.const 1032))')}
      ${r('(call $alarm (i32.const 9) (i32.const 2))')}
      ${r('(call $alarm (i32.const 9) (i32.const 7))')}`;
    const run = runWat([{ name: 'a', label: 1, wat: taskWat({ imports: ['log', 'alarm', 'wait_for_event', 'get_process_handle'], body }) }]);
    expect(run.lines).toEqual(['[a] s=00', '[a] s=09', '[a] s=00', '[a] s=02', '[a] s=04', '[a] s=01', '[a] s=01', '[a] s=02', '[a] s=03', '[a] s=01']);
  });
  it('periodic alarm fires every period until stopped', () => {
    const body = `
      (drop (call $alarm (i32.const 10) (i32.const 1)))
      (loop $l
        (drop (call $wait_for_event (i32.const 2) (i32.const 0)))
        (if (i32.eqz (call $wait_for_event (i32.const 2) (i32.const -1)))
          (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))
        (br_if $l (i32.lt_u (local.get $i) (i32.const 3))))
      (drop (call $get_cycle (i32.const 3))) ${r('(i32.load (i32.const 1024))')}
      ${r('(call $alarm (i32.const 10) (i32.const 2))')}`;
    const run = runWat([{ name: 'a', label: 1, wat: taskWat({ imports: ['log', 'alarm', 'wait_for_event', 'get_cycle'], body }) }]);
    expect(run.lines).toEqual(['[a] s=30', '[a] s=00']);
  });
});

describe('shallow and deep sleep against events', () => {
  it('a shallow sleeper is woken with INTR by a signal, an IPC and its alarm; a deep sleeper by none of them', () => {
    // s (first to run) sleeps shallowly three times, woken each time by a different event
    // that it then takes; t times its sends with sleeps. Then s arms an alarm and sleeps
    // deeply for 30 ms, during which the alarm fires and t sends a signal and an IPC: s
    // wakes on TIMEOUT and finds the three events queued (its own slot first: the alarm).
    const s = taskWat({
      imports: ['log', 'sleep', 'alarm', 'wait_for_event', 'get_process_handle', 'get_cycle'],
      body: `(drop (call $get_process_handle (i32.const 2))) (local.set $h (i32.load (i32.const 1024)))
        ${r('(call $sleep (i32.const 1000) (i32.const 0))')}
        ${r('(call $wait_for_event (i32.const 2) (i32.const -1))')} ${r('(i32.load (i32.const 1032))')}
        ${r('(call $sleep (i32.const 1000) (i32.const 0))')}
        ${r('(call $wait_for_event (i32.const 1) (i32.const -1))')} ${r('(i32.load8_u (i32.const 1025))')}
        ${r('(call $alarm (i32.const 5) (i32.const 0))')}
        ${r('(call $sleep (i32.const 1000) (i32.const 0))')}
        ${r('(call $wait_for_event (i32.const 2) (i32.const -1))')} ${r('(i32.load (i32.const 1032))')}
        ${r('(call $alarm (i32.const 2) (i32.const 0))')}
        (drop (call $get_cycle (i32.const 3))) (local.set $i (i32.load (i32.const 1024)))
        ${r('(call $sleep (i32.const 30) (i32.const 1))')}
        (drop (call $get_cycle (i32.const 3))) ${r('(i32.sub (i32.load (i32.const 1024)) (local.get $i))')}
        ${r('(call $wait_for_event (i32.const 15) (i32.const -1))')} ${r('(i32.load8_u (i32.const 1024))')} ${r('(i32.load (i32.const 1032))')}
        ${r('(call $wait_for_event (i32.const 15) (i32.const -1))')} ${r('(i32.load8_u (i32.const 1024))')} ${r('(i32.eq (i32.load (i32.const 1028)) (local.get $h))')} ${r('(i32.load (i32.const 1032))')}
        ${r('(call $wait_for_event (i32.const 15) (i32.const -1))')} ${r('(i32.load8_u (i32.const 1024))')} ${r('(i32.load8_u (i32.const 1025))')}`,
    });
    const t = taskWat({
      imports: ['log', 'sleep', 'send_signal', 'send_ipc', 'get_process_handle'],
      body: `(drop (call $get_process_handle (i32.const 1))) (local.set $h (i32.load (i32.const 1024)))
        ${r('(call $send_signal (local.get $h) (i32.const 11))')}
        (drop (call $sleep (i32.const 2) (i32.const 0)))
        ${r('(call $send_ipc (local.get $h) (i32.const 3))')}
        (drop (call $sleep (i32.const 10) (i32.const 0)))
        ${r('(call $send_signal (local.get $h) (i32.const 12))')}
        ${r('(call $send_ipc (local.get $h) (i32.const 6))')}`,
    });
    const run = runWat([{ name: 's', label: 1, priority: 5, wat: s }, { name: 't', label: 2, wat: t }]);
    expect(run.lines).toEqual([
      '[t] s=00', // USR1 sent: s woken, t goes on (no preemption)
      '[s] s=09', '[s] s=00', '[s] s=11', // INTR by the signal, then the signal itself
      '[s] s=09', '[s] s=00', '[s] s=03', // INTR by the IPC, then the IPC (3 bytes): t is released
      '[s] s=00', // alarm armed (t, released, waits for s to block)
      '[t] s=00', // t's send returned OK; t sleeps
      '[s] s=09', '[s] s=00', '[s] s=02', // INTR by the alarm, then SIGNAL_ALARM
      '[s] s=00', // second alarm armed; s sleeps deeply
      '[t] s=00', // USR2 sent to the deep sleeper; then t blocks sending its IPC
      '[s] s=07', '[s] s=30', // TIMEOUT, woken by nothing but the delay: the whole 30 ms
      '[s] s=00', '[s] s=02', '[s] s=02', // the alarm (own slot, index 0, comes first)
      '[s] s=00', '[s] s=02', '[s] s=01', '[s] s=12', // USR2 from t
      '[s] s=00', '[s] s=01', '[s] s=06', // t's IPC
      '[t] s=00',
    ]);
  });
});

describe('alarm table', () => {
  it('holds CONFIG_MAX_TASKS alarms shared by all tasks; then BUSY, one-shot and periodic alike', () => {
    // a arms 5 far alarms and sleeps; b fills the rest of the table, is refused, frees one
    // and arms again; a then stops its five.
    const far = 60_000;
    const a = taskWat({
      imports: ['log', 'alarm', 'sleep'],
      body: `(loop $l (drop (call $alarm (i32.const ${far}) (i32.const 0))) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const 5))))
        (drop (call $sleep (i32.const 5) (i32.const 0)))
        (loop $l (if (i32.eqz (call $alarm (i32.const ${far}) (i32.const 2))) (then (local.set $j (i32.add (local.get $j) (i32.const 1))) (br $l))))
        ${r('(local.get $j)')}`,
    });
    const b = taskWat({
      imports: ['log', 'alarm'],
      body: `(block $full (loop $l
          (local.set $k (call $alarm (i32.const ${far + 1}) (i32.const 0)))
          (br_if $full (local.get $k))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
        ${r('(local.get $i)')} ${r('(local.get $k)')}
        ${r(`(call $alarm (i32.const ${far + 1}) (i32.const 1))`)}
        ${r(`(call $alarm (i32.const ${far + 1}) (i32.const 2))`)}
        ${r(`(call $alarm (i32.const ${far + 1}) (i32.const 1))`)}
        ${r(`(call $alarm (i32.const 7) (i32.const 0))`)}`,
    });
    const run = runWat([{ name: 'a', label: 1, priority: 5, wat: a }, { name: 'b', label: 2, wat: b }]);
    // b: 3 entries left of 8, then BUSY for a one-shot and a periodic; a stop makes room
    expect(run.lines).toEqual(['[b] s=03', '[b] s=04', '[b] s=04', '[b] s=00', '[b] s=00', '[b] s=04', '[a] s=05']);
  });
  it('frees the entries of a job that ended: a crashed task cannot leave the table full', () => {
    // a arms five periodic alarms and traps; b, running after it, still finds all 8 entries.
    const a = taskWat({
      imports: ['log', 'alarm'],
      body: `(loop $l (drop (call $alarm (i32.const 1) (i32.const 1))) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const 5))))
        unreachable`,
    });
    const b = taskWat({
      imports: ['log', 'alarm'],
      body: `(block $full (loop $l
          (br_if $full (call $alarm (i32.const 60000) (i32.const 0)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
        ${r('(local.get $i)')}`,
    });
    const run = runWat([{ name: 'a', label: 1, priority: 5, wat: a }, { name: 'b', label: 2, wat: b }]);
    expect(run.result.tasks[0]!.state).toBe('fault');
    expect(run.lines).toEqual(['[b] s=08']);
  });
});

describe('wait_for_event order', () => {
  it('signals before IPCs, and within each, the lowest sender index first, whatever the arrival order', () => {
    // r sleeps deeply while s2 (index 1) sends first, a signal then an IPC, and s1
    // (index 0) second, a signal then an IPC.
    const sender = (signal: number, byte: number) => taskWat({
      imports: ['log', 'send_signal', 'send_ipc', 'get_process_handle'],
      body: `(drop (call $get_process_handle (i32.const 3))) (local.set $h (i32.load (i32.const 1024)))
        (drop (call $send_signal (local.get $h) (i32.const ${signal})))
        (i32.store8 (i32.const 1024) (i32.const ${byte}))
        (drop (call $send_ipc (local.get $h) (i32.const 1)))`,
    });
    const take = `${r('(call $wait_for_event (i32.const 15) (i32.const -1))')} ${r('(i32.load8_u (i32.const 1024))')}
      ${r('(select (i32.const 1) (i32.const 2) (i32.eq (i32.load (i32.const 1028)) (local.get $i)))')}
      ${r('(select (i32.load8_u (i32.const 1032)) (i32.load (i32.const 1032)) (i32.eq (i32.load8_u (i32.const 1024)) (i32.const 1)))')}`;
    const receiver = taskWat({
      imports: ['log', 'sleep', 'wait_for_event', 'get_process_handle'],
      body: `(drop (call $get_process_handle (i32.const 1))) (local.set $i (i32.load (i32.const 1024)))
        (drop (call $sleep (i32.const 10) (i32.const 1)))
        ${take} ${take} ${take} ${take}
        ${r('(call $wait_for_event (i32.const 15) (i32.const -1))')}`,
    });
    const run = runWat([
      { name: 's1', label: 1, priority: 3, wat: sender(11, 41) },
      { name: 's2', label: 2, priority: 4, wat: sender(12, 42) },
      { name: 'r', label: 3, priority: 5, wat: receiver },
    ]);
    // each event: status, type, sender (1 = s1, 2 = s2), payload (signal number or first byte)
    expect(run.lines).toEqual([
      '[r] s=00', '[r] s=02', '[r] s=01', '[r] s=11',
      '[r] s=00', '[r] s=02', '[r] s=02', '[r] s=12',
      '[r] s=00', '[r] s=01', '[r] s=01', '[r] s=41',
      '[r] s=00', '[r] s=01', '[r] s=02', '[r] s=42',
      '[r] s=08',
    ]);
  });
});

describe('IPC', () => {
  const sender = (target: number, len: number, extra = '') => taskWat({
    imports: ['log', 'send_ipc', 'get_process_handle', 'wait_for_event'],
    extra: '(data (i32.const 4096) "hello")',
    body: `(drop (call $get_process_handle (i32.const ${target}))) (local.set $h (i32.load (i32.const 1024)))
      (memory.copy (i32.const 1024) (i32.const 4096) (i32.const 5))
      ${r(`(call $send_ipc (local.get $h) (i32.const ${len}))`)} ${extra}`,
  });
  const receiver = taskWat({
    imports: ['log', 'wait_for_event'],
    body: `${r('(call $wait_for_event (i32.const 1) (i32.const 0))')}
      ${r('(i32.load8_u (i32.const 1024))')} ${r('(i32.load8_u (i32.const 1025))')}
      (memory.copy (i32.const 2000) (i32.const 1032) (i32.const 5))
      (memory.copy (i32.const 1024) (i32.const 2000) (i32.const 5))
      (drop (call $log (i32.const 5)))`,
  });

  it('copies the sender exchange into the receiver exchange once it is read; the sender then gets OK', () => {
    const run = runWat([{ name: 'a', label: 1, wat: sender(2, 5) }, { name: 'b', label: 2, wat: receiver }]);
    expect(run.lines).toEqual(['[b] s=00', '[b] s=01', '[b] s=05', '[b] hello', '[a] s=00']);
  });
  it('refuses a length above LEN - 8 and an invalid handle', () => {
    const run = runWat([{ name: 'a', label: 1, wat: taskWat({
      imports: ['log', 'send_ipc', 'get_process_handle'],
      body: `(drop (call $get_process_handle (i32.const 2))) (local.set $h (i32.load (i32.const 1024)))
        ${r('(call $send_ipc (local.get $h) (i32.const 121))')} ${r('(call $send_ipc (i32.xor (local.get $h) (i32.const 1)) (i32.const 4))')}
        ${r('(call $send_ipc (i32.const 0x7fffffff) (i32.const 4))')}`,
    }) }, { name: 'b', label: 2, wat: taskWat({ imports: ['log'], body: 'nop' }) }]);
    expect(run.lines).toEqual(['[a] s=01', '[a] s=01', '[a] s=01']);
  });
  it('detects a direct deadlock: B sending back to a blocked A gets DEADLK', () => {
    const b = taskWat({
      imports: ['log', 'send_ipc', 'get_process_handle', 'wait_for_event'],
      body: `(drop (call $get_process_handle (i32.const 1))) (local.set $h (i32.load (i32.const 1024)))
        ${r('(call $send_ipc (local.get $h) (i32.const 4))')}
        ${r('(call $wait_for_event (i32.const 1) (i32.const 0))')}`,
    });
    const run = runWat([{ name: 'a', label: 1, priority: 5, wat: sender(2, 5) }, { name: 'b', label: 2, wat: b }]);
    expect(run.lines).toEqual(['[b] s=10', '[b] s=00', '[a] s=00']);
  });
  it('detects an indirect cycle A -> B -> C -> A', () => {
    const mk = (target: number) => taskWat({
      imports: ['log', 'send_ipc', 'get_process_handle'],
      body: `(drop (call $get_process_handle (i32.const ${target}))) (local.set $h (i32.load (i32.const 1024)))
        ${r('(call $send_ipc (local.get $h) (i32.const 4))')}`,
    });
    const run = runWat([
      { name: 'a', label: 1, priority: 9, wat: mk(2) }, { name: 'b', label: 2, priority: 8, wat: mk(3) }, { name: 'c', label: 3, priority: 7, wat: mk(1) },
    ]);
    // c is refused; when c then ends, b (blocked on c) gets INTR, ends, and so a gets INTR.
    expect(run.lines).toEqual(['[c] s=10', '[b] s=09', '[a] s=09']);
  });
  it('SIGNAL_PIPE carries the dead task\'s handle as its source, whether it died during or before the send', () => {
    const extra = `${r('(call $wait_for_event (i32.const 2) (i32.const -1))')} ${r('(i32.load (i32.const 1032))')}
      ${r('(i32.eq (i32.load (i32.const 1028)) (local.get $h))')}
      (memory.copy (i32.const 1024) (i32.const 4096) (i32.const 5))
      ${r('(call $send_ipc (local.get $h) (i32.const 5))')}
      ${r('(call $wait_for_event (i32.const 2) (i32.const -1))')} ${r('(i32.load (i32.const 1032))')}
      ${r('(i32.eq (i32.load (i32.const 1028)) (local.get $h))')}`;
    const dies = taskWat({ imports: ['log', 'exit'], body: '(drop (call $exit (i32.const 0)))' });
    const run = runWat([{ name: 'a', label: 1, priority: 5, wat: sender(2, 5, extra) }, { name: 'b', label: 2, wat: dies }]);
    // blocked when b exits: INTR, then PIPE from b; sending to the dead b: INTR at once, PIPE again
    expect(run.lines).toEqual(['[a] s=09', '[a] s=00', '[a] s=07', '[a] s=01', '[a] s=09', '[a] s=00', '[a] s=07', '[a] s=01']);
  });
  it('a sender whose target dies resumes with INTR and receives SIGNAL_PIPE from it', () => {
    const dies = taskWat({ imports: ['log', 'exit'], body: '(drop (call $exit (i32.const 0)))' });
    const extra = `${r('(call $wait_for_event (i32.const 2) (i32.const -1))')} ${r('(i32.load (i32.const 1032))')}`;
    const run = runWat([{ name: 'a', label: 1, priority: 5, wat: sender(2, 5, extra) }, { name: 'b', label: 2, wat: dies }]);
    expect(run.lines).toEqual(['[a] s=09', '[a] s=00', '[a] s=07']);
  });
  it('self-IPC is INVALID outside autotest; in autotest it succeeds, a second one is DEADLK', () => {
    const body = `(drop (call $get_process_handle (i32.const 1))) (local.set $h (i32.load (i32.const 1024)))
      (i32.store (i32.const 1024) (i32.const 0x64636261))
      ${r('(call $send_ipc (local.get $h) (i32.const 4))')} ${r('(call $send_ipc (local.get $h) (i32.const 4))')}
      ${r('(call $wait_for_event (i32.const 1) (i32.const -1))')} ${r('(i32.load8_u (i32.const 1025))')}`;
    const wat = taskWat({ imports: ['log', 'send_ipc', 'get_process_handle', 'wait_for_event'], body });
    expect(runWat([{ name: 'a', label: 1, wat }], { buildTarget: 'autotest' }).lines).toEqual(['[a] s=00', '[a] s=10', '[a] s=00', '[a] s=04']);
    expect(runWat([{ name: 'a', label: 1, wat }]).lines.slice(0, 2)).toEqual(['[a] s=01', '[a] s=10']);
  });
});

describe('signals', () => {
  it('stores one signal per sender; BUSY for the second, INVALID for self, 0 and 13', () => {
    const a = taskWat({
      imports: ['log', 'send_signal', 'get_process_handle'],
      body: `(drop (call $get_process_handle (i32.const 2))) (local.set $h (i32.load (i32.const 1024)))
        ${r('(call $send_signal (local.get $h) (i32.const 11))')} ${r('(call $send_signal (local.get $h) (i32.const 12))')}
        ${r('(call $send_signal (local.get $h) (i32.const 0))')} ${r('(call $send_signal (local.get $h) (i32.const 13))')}
        (drop (call $get_process_handle (i32.const 1)))
        ${r('(call $send_signal (i32.load (i32.const 1024)) (i32.const 1))')}`,
    });
    const b = taskWat({
      imports: ['log', 'wait_for_event'],
      body: `${r('(call $wait_for_event (i32.const 2) (i32.const 0))')}
        ${r('(i32.load8_u (i32.const 1024))')} ${r('(i32.load8_u (i32.const 1025))')} ${r('(i32.load (i32.const 1032))')}
        ${r('(call $wait_for_event (i32.const 2) (i32.const -1))')}`,
    });
    const run = runWat([{ name: 'a', label: 1, priority: 5, wat: a }, { name: 'b', label: 2, wat: b }]);
    expect(run.lines).toEqual(['[a] s=00', '[a] s=04', '[a] s=01', '[a] s=01', '[a] s=01', '[b] s=00', '[b] s=02', '[b] s=04', '[b] s=11', '[b] s=08']);
  });
  it('self-signal is allowed in the autotest flavour: stored, BUSY while pending, delivered from its own handle', () => {
    const body = `(drop (call $get_process_handle (i32.const 1))) (local.set $h (i32.load (i32.const 1024)))
      ${r('(call $send_signal (local.get $h) (i32.const 11))')} ${r('(call $send_signal (local.get $h) (i32.const 11))')}
      ${r('(call $wait_for_event (i32.const 2) (i32.const -1))')} ${r('(i32.load8_u (i32.const 1024))')}
      ${r('(i32.eq (i32.load (i32.const 1028)) (local.get $h))')} ${r('(i32.load (i32.const 1032))')}`;
    const wat = taskWat({ imports: ['log', 'send_signal', 'get_process_handle', 'wait_for_event'], body });
    expect(runWat([{ name: 'a', label: 1, wat }], { buildTarget: 'autotest' }).lines).toEqual(['[a] s=00', '[a] s=04', '[a] s=00', '[a] s=02', '[a] s=01', '[a] s=11']);
    // outside autotest: INVALID twice, nothing pending
    expect(runWat([{ name: 'a', label: 1, wat }]).lines.slice(0, 3)).toEqual(['[a] s=01', '[a] s=01', '[a] s=08']);
  });
  it('domains: IPC and signals to a valid handle of another domain are DENIED, to the same domain they go through', () => {
    const tasks = (other: number): TestTask[] => [
      { name: 'a', label: 1, domain: 1, wat: taskWat({
        imports: ['log', 'send_signal', 'send_ipc', 'get_process_handle'],
        body: `${r(`(call $send_signal (i32.const ${other}) (i32.const 11))`)} ${r(`(call $send_ipc (i32.const ${other}) (i32.const 4))`)}
          (drop (call $get_process_handle (i32.const 3)))
          ${r('(call $send_signal (i32.load (i32.const 1024)) (i32.const 11))')}`,
      }) },
      { name: 'b', label: 2, domain: 2, wat: taskWat({ imports: ['log', 'wait_for_event'], body: r('(call $wait_for_event (i32.const 3) (i32.const 5))') }) },
      { name: 'c', label: 3, domain: 1, wat: taskWat({ imports: ['log', 'wait_for_event'], body: `${r('(call $wait_for_event (i32.const 2) (i32.const 5))')} ${r('(i32.load (i32.const 1032))')}` }) },
    ];
    // No task of domain 1 can learn b's handle (get_process_handle is DENIED): the test reads
    // it from a first boot of the same tasks, since handles depend only on the seed.
    const probe = bootImage(buildWatImage(tasks(0)), { seed: 1, console: { line: () => undefined } });
    const handleOfB = probe.handle[1]!;
    const run = runWat(tasks(handleOfB));
    expect(run.kernel.handle[1]).toBe(handleOfB);
    expect(run.lines).toEqual(['[a] s=02', '[a] s=02', '[a] s=00', '[c] s=00', '[c] s=11', '[b] s=07']);
  });
  it('domains: handles, IPC and signals across domains are DENIED', () => {
    const a = taskWat({ imports: ['log', 'get_process_handle'], body: `${r('(call $get_process_handle (i32.const 2))')} ${r('(call $get_process_handle (i32.const 0xcafe))')}` });
    const run = runWat([{ name: 'a', label: 1, domain: 1, wat: a }, { name: 'b', label: 2, domain: 2, wat: taskWat({ imports: ['log'], body: 'nop' }) }]);
    expect(run.lines).toEqual(['[a] s=02', '[a] s=00']);
  });
});

describe('faults, exit policies and handles', () => {
  const trapper = taskWat({ imports: ['log'], body: 'unreachable' });
  const survivor = taskWat({ imports: ['log', 'sched_yield'], extra: '(data (i32.const 4096) "still here\\n")', body: '(drop (call $sched_yield)) (call $say (i32.const 4096) (i32.const 11))' });

  it('a trapping task faults alone; the others run on', () => {
    const run = runWat([{ name: 'bad', label: 1, priority: 9, wat: trapper }, { name: 'good', label: 2, wat: survivor }]);
    expect(run.lines).toEqual(['[good] still here']);
    expect(run.result.tasks[0]!.state).toBe('fault');
    expect(run.result.tasks[0]!.fault!.message).toMatch(/unreachable/);
  });
  it('out-of-bounds access and division by zero are faults too', () => {
    for (const body of ['(drop (i32.load (i32.const 0x7ffffff0)))', '(drop (i32.div_u (i32.const 1) (local.get $i)))']) {
      const run = runWat([{ name: 'bad', label: 1, wat: taskWat({ imports: ['log'], body }) }, { name: 'good', label: 2, wat: survivor }]);
      expect(run.result.tasks[0]!.state).toBe('fault');
      expect(run.lines).toEqual(['[good] still here']);
    }
  });
  it('unbounded recursion exhausts the stack as a fault', () => {
    const wat = taskWat({ imports: ['log'], extra: '(func $f (param i32) (result i32) (i32.add (call $f (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))', body: '(drop (call $f (i32.const 0)))' });
    const run = runWat([{ name: 'bad', label: 1, wat }, { name: 'good', label: 2, wat: survivor }]);
    expect(run.result.tasks[0]!.state).toBe('fault');
    expect(run.lines).toEqual(['[good] still here']);
  });
  it('release build: any task fault panics the kernel, whatever the exit policy', () => {
    const run = runWat([{ name: 'bad', label: 1, priority: 9, wat: trapper }, { name: 'good', label: 2, wat: survivor }], { buildTarget: 'release' });
    expect(run.result.end).toMatchObject({ kind: 'panic' });
    expect(run.result.end.message).toMatch(/release build: task 'bad' faulted \(.*unreachable/);
    expect(run.lines).toEqual([]);
  });
  it('panic policy turns an abnormal end into a kernel panic', () => {
    const run = runWat([{ name: 'bad', label: 1, exitPolicy: ExitPolicy.Panic, wat: trapper }]);
    expect(run.result.end).toMatchObject({ kind: 'panic' });
    expect(run.result.end.message).toMatch(/task 'bad' ended abnormally and its exit policy is panic/);
  });
  it('restart policy restarts with a fresh handle: the stale one is INVALID, the new one works', () => {
    const crasher = taskWat({ imports: ['log', 'wait_for_event'], body: '(drop (call $wait_for_event (i32.const 2) (i32.const 0))) unreachable' });
    const watcher = taskWat({
      imports: ['log', 'get_process_handle', 'send_signal', 'sleep'],
      body: `(drop (call $get_process_handle (i32.const 2))) (local.set $h (i32.load (i32.const 1024)))
        ${r('(call $send_signal (local.get $h) (i32.const 11))')}
        (drop (call $sleep (i32.const 5) (i32.const 0)))
        ${r('(call $send_signal (local.get $h) (i32.const 11))')}
        (drop (call $get_process_handle (i32.const 2)))
        ${r('(i32.ne (i32.load (i32.const 1024)) (local.get $h))')}
        ${r('(call $send_signal (i32.load (i32.const 1024)) (i32.const 11))')}`,
    });
    const run = runWat([{ name: 'watcher', label: 1, wat: watcher }, { name: 'crasher', label: 2, exitPolicy: ExitPolicy.Restart, wat: crasher }], {}, { maxCycles: 64_000 * 50 });
    expect(run.lines).toEqual(['[watcher] s=00', '[watcher] s=01', '[watcher] s=01', '[watcher] s=00']);
    expect(run.result.tasks[1]!.restarts).toBe(2);
  });
  it('a crash-looping task is restarted with a growing backoff', () => {
    const run = runWat([{ name: 'loop', label: 1, exitPolicy: ExitPolicy.Restart, wat: trapper }], {}, { maxCycles: 64_000 * 100 });
    expect(run.result.end.kind).toBe('max-cycles');
    // 3 immediate restarts, then 2, 4, 8, 16, 32 ms apart: a handful in 100 ms, not thousands
    expect(run.result.tasks[0]!.restarts).toBeGreaterThan(5);
    expect(run.result.tasks[0]!.restarts).toBeLessThan(12);
    expect(run.kernelLog.some((l) => /crash-looping/.test(l))).toBe(true);
  });
});
