import { describe, expect, it } from 'vitest';
import { ConfigError, readKernelConfig, readTaskConfig } from './kconfig.js';

function problems(fn: () => unknown): string[] {
  try { fn(); } catch (e) { if (e instanceof ConfigError) return [...e.problems]; throw e; }
  throw new Error('expected a ConfigError');
}

describe('Kconfig fragments', () => {
  it('reads a kernel fragment with defaults', () => {
    const c = readKernelConfig('# comment\nCONFIG_SCHED_FIFO=y\nCONFIG_SVC_EXCHANGE_AREA_LEN=256\n', 'prj.conf');
    expect(c).toMatchObject({ scheduler: 'fifo', exchangeAreaLen: 256, buildTarget: 'debug', maxTasks: 8 });
  });
  it('reads a task fragment', () => {
    const t = readTaskConfig('CONFIG_TASK_LABEL=0x1000\nCONFIG_TASK_PRIORITY=3\nCONFIG_TASK_AUTO_START=y\nCONFIG_CAP_CRY_KRNG=y\nCONFIG_TASK_EXIT_RESTART=y\n', 't.conf');
    expect(t).toMatchObject({ label: 0x1000, priority: 3, autoStart: true, capabilities: 1 << 21, exitPolicy: 1 });
  });
  it('names file, line and fix for every bad line', () => {
    const p = problems(() => readTaskConfig('CONFIG_TASK_LABEL=0x10\nCONFIG_TASK_PRIORTY=3\nCONFIG_TASK_PRIORITY=300\nCONFIG_TASK_AUTO_START=maybe\n', 'apps/x/task.conf'));
    expect(p).toEqual([
      'apps/x/task.conf:2: unknown symbol CONFIG_TASK_PRIORTY (did you mean CONFIG_TASK_PRIORITY?)',
      'apps/x/task.conf:3: CONFIG_TASK_PRIORITY=300 is out of range 0..255 (RRMQ priority, higher runs first)',
      "apps/x/task.conf:4: CONFIG_TASK_AUTO_START is a bool; write CONFIG_TASK_AUTO_START=y or CONFIG_TASK_AUTO_START=n, not 'maybe'",
    ]);
  });
  it('refuses a missing label, the idle label, a zero quantum and a double choice', () => {
    expect(problems(() => readTaskConfig('CONFIG_TASK_PRIORITY=1\n', 'a.conf'))[0]).toMatch(/CONFIG_TASK_LABEL is required/);
    expect(problems(() => readTaskConfig('CONFIG_TASK_LABEL=0xcafe\n', 'a.conf'))[0]).toMatch(/reserved for the idle task/);
    expect(problems(() => readTaskConfig('CONFIG_TASK_LABEL=0x1\nCONFIG_TASK_QUANTUM=0\n', 'a.conf'))[0]).toMatch(/out of range 1\.\.255/);
    expect(problems(() => readKernelConfig('CONFIG_SCHED_RRMQ=y\nCONFIG_SCHED_FIFO=y\n', 'prj.conf'))[0]).toMatch(/one choice/);
    expect(problems(() => readKernelConfig('CONFIG_SVC_EXCHANGE_AREA_LEN=32\n', 'prj.conf'))[0]).toMatch(/out of range 64\.\.1024/);
    expect(problems(() => readKernelConfig('garbage\n', 'prj.conf'))[0]).toMatch(/prj.conf:1: cannot read/);
  });
});
