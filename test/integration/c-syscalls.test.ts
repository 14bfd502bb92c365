/**
 * Every core syscall's statuses through the real C UAPI: compiled C apps under the kernel.
 *
 * The fixture project (test/fixtures/c-status) is built with `buildProject` in a temporary
 * folder: SDK headers and libuapi, the bundled clang, instrumentation, a signed image. Its
 * seven apps share test/fixtures/c-status/report.h (copied into each app's include/); each
 * check prints a console line "key=value" and the test compares each task's lines with
 * the statuses of the spec (Part 1 §1.2, Part 2 §1.2), written out as numbers. The apps
 * interact in pairs only (ipc-a/ipc-b, sig-a/sig-b, priv starting late), their order
 * fixed by priorities, so each task's lines are deterministic on their own.
 *
 * A second project holds apps that call a capability-gated syscall without the
 * capability: `start` and `get_random` are never DENIED at run time, the import is refused
 * at integration, naming the syscall and the capability (spec Part 1 §1.3).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProject, ProjectError } from '../../toolchain/build/project.js';
import { bootImage } from '../../kernel/boot/boot.js';
import type { RunResult } from '../../kernel/kernel.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/c-status');

// Statuses (spec §2.1), spelled out so that the expectations read like the spec.
const OK = 0;
const INVALID = 1;
const DENIED = 2;
const NO_ENTITY = 3;
const BUSY = 4;
const TIMEOUT = 7;
const AGAIN = 8;
const INTR = 9;
const DEADLK = 10;
/** Event types and signals (spec §2.3, §2.4), and the header magic (§2.9). */
const EVENT_IPC = 1;
const EVENT_SIGNAL = 2;
const SIGNAL_ALARM = 2;
const SIGNAL_USR1 = 11;
const SIGNAL_USR2 = 12;
const MAGIC = 0x4242;

/** Copy the fixture into `dir`, with report.h in every app's include/. */
function layOut(dir: string): void {
  cpSync(FIXTURE, dir, { recursive: true });
  for (const app of readdirSync(join(dir, 'apps'))) {
    mkdirSync(join(dir, 'apps', app, 'include'), { recursive: true });
    copyFileSync(join(dir, 'report.h'), join(dir, 'apps', app, 'include', 'report.h'));
  }
}

describe('C UAPI statuses under the kernel', () => {
  const work = mkdtempSync(join(tmpdir(), 'rampart-c-status-'));
  const lines: string[] = [];
  let result: RunResult;

  beforeAll(async () => {
    layOut(work);
    const built = await buildProject(work, { out: join(work, 'status.rimg') });
    expect(built.apps.map((a) => a.name)).toEqual(['solo', 'priv', 'late', 'ipc-a', 'ipc-b', 'sig-a', 'sig-b']);
    const kernel = bootImage(readFileSync(built.imagePath), { seed: 7, console: { line: (l) => lines.push(l) } });
    result = kernel.run();
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** The "key=value" lines of one task, in order, as [key, value] pairs (text lines as [text, NaN]). */
  const linesOf = (task: string): [string, number][] => lines
    .filter((l) => l.startsWith(`[${task}] `))
    .map((l) => l.slice(task.length + 3))
    .map((l) => {
      const m = /^([^=]+)=(\d+)$/.exec(l);
      return m === null ? [l, Number.NaN] : [m[1]!, Number(m[2])];
    });

  /**
   * The checks `expected` names, taken from the task's lines in the order they were
   * printed: comparing it with `expected` checks both the values and the order.
   */
  const checks = (task: string, expected: Record<string, number>): Record<string, number> =>
    Object.fromEntries(linesOf(task).filter(([key]) => key in expected));
  const expectChecks = (task: string, expected: Record<string, number>) => {
    const got = checks(task, expected);
    expect(got).toEqual(expected);
    expect(Object.keys(got)).toEqual(Object.keys(expected));
  };

  it('exit: main returning 0 finishes the job; __sys_exit(7) aborts it and never returns', () => {
    expect(result.tasks.map((t) => [t.name, t.state, t.exitStatus])).toEqual([
      ['solo', 'finished', 0], ['priv', 'finished', 0], ['late', 'aborted', 7], ['ipc-a', 'finished', 0],
      ['ipc-b', 'finished', 0], ['sig-a', 'finished', 0], ['sig-b', 'finished', 0],
    ]);
    expect(linesOf('late')).toEqual([['late: started', Number.NaN]]);
    expect(result.end.kind).toBe('idle');
  });

  it('every other line is a check, and each check appears once', () => {
    for (const task of ['solo', 'priv', 'ipc-a', 'ipc-b', 'sig-a', 'sig-b']) {
      const keys = linesOf(task).map(([key, value]) => {
        expect(value, `${task}: ${key}`).not.toBeNaN();
        return key;
      });
      expect(new Set(keys).size, task).toBe(keys.length);
    }
  });

  it('get_process_handle: unknown label INVALID (exchange untouched); found OK with the handle in the exchange area', () => {
    expectChecks('solo', {
      'gph-unknown': INVALID, 'gph-failed-wrote-nothing': 1,
      // the lowest label is task-table entry 0, family 0 (spec §2.14)
      'gph-self': OK, 'gph-self-id': 0, 'gph-self-family': 0,
      // the idle task is found too, last in the table: after the seven apps
      'gph-idle': OK, 'gph-idle-id': 7,
    });
  });

  it('sched_yield OK; sleep: bad mode and bad tag INVALID, TIMEOUT on expiry, deep and 0 ms too', () => {
    expectChecks('solo', {
      yield: OK, 'sleep-bad-mode': INVALID, 'sleep-bad-tag': INVALID,
      'sleep-5': TIMEOUT, 'sleep-5-spans-5-or-6': 1, 'sleep-deep': TIMEOUT, 'sleep-0': TIMEOUT,
    });
  });

  it('sleep: a shallow sleeper is woken with INTR by a signal and by its alarm; a deep sleeper by neither', () => {
    expectChecks('sig-b', {
      'sleep-signal': INTR, 'wfe-signal': OK, 'wfe-signal-empty': AGAIN,
      'sleep-deep-signal': TIMEOUT, 'sleep-deep-signal-full': 1, 'wfe-signal-2': OK, 'signal-number-2': SIGNAL_USR2,
    });
    expectChecks('solo', {
      'alarm-start': OK, 'sleep-alarm': INTR, 'wfe-alarm': OK,
      'alarm-start-2': OK, 'sleep-deep-alarm': TIMEOUT, 'sleep-deep-alarm-full': 1, 'wfe-alarm-2': OK, 'alarm-signal-2': SIGNAL_ALARM,
    });
  });

  it('start: unknown and running tasks INVALID, a not-started task OK once, then INVALID', () => {
    expectChecks('priv', { 'start-unknown': INVALID, 'start-self': INVALID, 'start-late': OK, 'start-again': INVALID });
  });

  it('send_ipc: too long and bad handles INVALID, a cycle DEADLK, OK once the receiver read it', () => {
    expectChecks('ipc-a', {
      'ipc-too-long': INVALID, 'ipc-bad-handle': INVALID, 'ipc-no-task': INVALID,
      'ipc-send': OK, 'ipc-reply': OK,
    });
    expectChecks('ipc-b', { 'ipc-deadlock': DEADLK, 'wfe-masked': AGAIN, 'ipc-recv': OK, 'ipc-answer': OK });
  });

  it('send_signal: self, 0, 13 and a bad handle INVALID; BUSY while the first is pending; stored during a deep sleep', () => {
    expectChecks('sig-a', {
      'sig-self': INVALID, 'sig-zero': INVALID, 'sig-13': INVALID, 'sig-bad-handle': INVALID,
      'sig-usr1': OK, 'sig-usr1-again': BUSY, 'sig-sleep': TIMEOUT, 'sig-usr2': OK,
    });
  });

  it('wait_for_event: the event header (type, length, magic 0x4242, source) and payload of IPCs and signals', () => {
    expectChecks('ipc-b', { 'ipc-type': EVENT_IPC, 'ipc-length': 5, 'ipc-magic': MAGIC, 'ipc-from': 1, 'ipc-data': 1 });
    expectChecks('ipc-a', { 'reply-type': EVENT_IPC, 'reply-length': 3, 'reply-magic': MAGIC, 'reply-from': 1, 'reply-data': 1 });
    expectChecks('sig-b', { 'signal-type': EVENT_SIGNAL, 'signal-length': 4, 'signal-magic': MAGIC, 'signal-from': 1, 'signal-number': SIGNAL_USR1 });
    // the alarm's source is the task's own handle (spec §1.2.17)
    expectChecks('solo', { 'alarm-type': EVENT_SIGNAL, 'alarm-length': 4, 'alarm-magic': MAGIC, 'alarm-from': 1, 'alarm-signal': SIGNAL_ALARM });
  });

  it('wait_for_event: timeout, WFE_WAIT_NO passed through (AGAIN), other negative timeouts INVALID', () => {
    // Spec Part 1 §1.2 (WFE_WAIT_NO, A.20): the UAPI passes -1 through, the kernel answers
    // AGAIN when nothing is pending; below -1 the wrapper refuses without trapping.
    expectChecks('solo', { 'wfe-timeout': TIMEOUT, 'wfe-wait-no': AGAIN, 'wfe-negative': INVALID });
    expectChecks('sig-b', { 'wfe-nothing': TIMEOUT });
  });

  it('alarm: bad flag INVALID, periodic every period until stopped, STOP without a match NO_ENTITY, a full table BUSY', () => {
    expectChecks('solo', {
      'alarm-bad-flag': INVALID, 'alarm-stop-none': NO_ENTITY,
      'alarm-periodic': OK, 'alarm-periodic-fired': 3, 'alarm-periodic-ms': 9, 'alarm-stop': OK, 'alarm-stop-again': NO_ENTITY,
      // CONFIG_MAX_TASKS=8 entries (spec §1.2.17), all free: this task is the only one with alarms
      'alarm-table': 8, 'alarm-full': BUSY, 'alarm-full-periodic': BUSY, 'alarm-stopped': 8, 'alarm-stop-empty': NO_ENTITY,
    });
  });

  it('log: longer than the exchange area INVALID, empty OK', () => {
    expectChecks('solo', { 'log-too-long': INVALID, 'log-empty': OK });
  });

  it('get_random: OK with CAP_CRY_KRNG, a fresh value each call', () => {
    expectChecks('priv', { random: OK, 'random-changes': 1 });
  });

  it('get_cycle: CYCLE DENIED without CAP_TIM_HP_CHRONO, bad precision INVALID, the other units OK', () => {
    expectChecks('solo', { 'cycle-denied': DENIED, 'cycle-bad-precision': INVALID, 'cycle-ns': OK, 'cycle-us': OK, 'cycle-ms': OK });
  });

  it('get_cycle: with CAP_TIM_HP_CHRONO every precision OK, the four clocks consistent with each other', () => {
    expectChecks('priv', {
      cycle: OK, 'cycle-grows': 1, 'ns-consistent': 1, 'us-consistent': 1, 'ms-consistent': 1, 'units-agree': 1, 'ms-after-sleep': 1,
    });
  });

  it('pm_manage: WFI and WFE DENIED outside the idle task, FORBID/ALLOW OK, 4 INVALID; __sys_manage_cpu_sleep too', () => {
    expectChecks('solo', { 'pm-wfi': DENIED, 'pm-wfe': DENIED, 'pm-forbid': OK, 'pm-allow': OK, 'pm-bad': INVALID, 'pm-alias': OK });
  });
});

describe('C UAPI: a capability-gated syscall without the capability', () => {
  const work = mkdtempSync(join(tmpdir(), 'rampart-c-denied-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is refused at integration, naming the syscall and the capability, not DENIED at run time', async () => {
    writeFileSync(join(work, 'prj.conf'), 'CONFIG_BUILD_TARGET_DEBUG=y\n');
    writeFileSync(join(work, 'board.dts'), '/dts-v1/;\n/ { };\n');
    const app = (name: string, label: number, body: string) => {
      mkdirSync(join(work, 'apps', name, 'src'), { recursive: true });
      writeFileSync(join(work, 'apps', name, 'task.conf'), `CONFIG_TASK_LABEL=0x${label.toString(16)}\nCONFIG_TASK_AUTO_START=y\n`);
      writeFileSync(join(work, 'apps', name, 'src', 'main.c'), `#include <uapi/uapi.h>\nint main(void) { return (int)${body}; }\n`);
    };
    app('starter', 0x1000, '__sys_start(0x2000)');
    app('roller', 0x2000, '__sys_get_random()');
    const message = await buildProject(work, { out: join(work, 'denied.rimg') }).then(
      () => { throw new Error('build succeeded'); },
      (e: unknown) => { if (e instanceof ProjectError) return e.message; throw e; },
    );
    expect(message).toContain("task 'starter': imports syscall 'start' (__sys_start) without capability CAP_SYS_PROCSTART; add CONFIG_CAP_SYS_PROCSTART=y to");
    expect(message).toContain("task 'roller': imports syscall 'get_random' (__sys_get_random) without capability CAP_CRY_KRNG; add CONFIG_CAP_CRY_KRNG=y to");
  });
});
