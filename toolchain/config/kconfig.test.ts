import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAP_ALL_DEFINED, CAPABILITIES } from '../abi/capabilities.js';
import {
  ConfigError, generateCapabilityKconfig, kernelConfigOf, menuconfigCommandLine, readKernelConfig, readKernelConfigFile, readProductConfig,
  readTaskConfig, readTaskConfigFile, resolveKernelFragments, resolveTaskFragment, uapiLimitsOf,
} from './kconfig.js';

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

describe('Kconfig through kconfiglib', () => {
  it('applies kconfiglib defaults, ranges and choices', () => {
    const t = readTaskConfig('CONFIG_TASK_LABEL=0x1000\n', 't.conf');
    expect(t).toEqual({ label: 0x1000, priority: 1, quantum: 10, autoStart: false, exitPolicy: 0, stackSize: 0x2000, heapSize: 0, domain: 0, capabilities: 0, libc: false });
    expect(readKernelConfig('', 'prj.conf')).toEqual({ buildTarget: 'debug', scheduler: 'rrmq', exchangeAreaLen: 128, maxTasks: 8, nominalFrequencyHz: 64_000_000, systickHz: 1000 });
  });
  it('has the per-task limits of spec 2.16 with their defaults and ranges', () => {
    expect(uapiLimitsOf(resolveKernelFragments([{ file: 'prj.conf', text: '' }]))).toEqual({ maxDevPerTask: 4, maxShmPerTask: 4, maxDmaPerTask: 4 });
    const set = resolveKernelFragments([{ file: 'prj.conf', text: 'CONFIG_MAX_DEV_PER_TASK=0\nCONFIG_MAX_SHM_PER_TASK=8\nCONFIG_MAX_DMA_STREAMS_PER_TASK=2\n' }]);
    expect(uapiLimitsOf(set)).toEqual({ maxDevPerTask: 0, maxShmPerTask: 8, maxDmaPerTask: 2 });
    expect(problems(() => readKernelConfig('CONFIG_MAX_DEV_PER_TASK=9\nCONFIG_MAX_SHM_PER_TASK=-1\nCONFIG_MAX_DMA_STREAMS_PER_TASK=16\n', 'prj.conf'))).toEqual([
      'prj.conf:1: CONFIG_MAX_DEV_PER_TASK=9 is out of range 0..8 (maximum devices one task may own)',
      'prj.conf:2: CONFIG_MAX_SHM_PER_TASK=-1 is out of range 0..8 (maximum shared memories one task may own)',
      'prj.conf:3: CONFIG_MAX_DMA_STREAMS_PER_TASK=16 is out of range 0..8 (maximum DMA streams one task may own)',
    ]);
  });
  it('reads the files Rampart ships', () => {
    expect(readKernelConfigFile('apps/demo/prj.conf')).toMatchObject({ scheduler: 'rrmq', exchangeAreaLen: 128 });
    expect(readTaskConfigFile('apps/demo/apps/ping/task.conf')).toMatchObject({ label: 0x1000, autoStart: true, capabilities: 1 << 14, version: '0.1.0', license: 'Apache-2.0' });
  });
  it('has one CONFIG_CAP_* per capability of the ABI table, with its bit', () => {
    const kconfig = generateCapabilityKconfig();
    for (const c of CAPABILITIES) expect(kconfig).toContain(`config ${c.name}\n\tbool "capability ${c.name}"`);
    const t = readTaskConfig(`CONFIG_TASK_LABEL=0x1\n${CAPABILITIES.map((c) => `CONFIG_${c.name}=y`).join('\n')}\n`, 't.conf');
    expect(t.capabilities).toBe(CAP_ALL_DEFINED);
  });
  it('refuses what Kconfig would silently misread, naming the fix', () => {
    // kconfiglib reads hex values without 0x as hex (8192 would be 0x8192) and ints as decimal only.
    expect(problems(() => readTaskConfig('CONFIG_TASK_LABEL=0x1\nCONFIG_TASK_STACK_SIZE=8192\n', 'a.conf'))).toEqual([
      "a.conf:2: CONFIG_TASK_STACK_SIZE expects a hex number like 0x1000, got '8192'; Kconfig reads hex values without 0x as hex, so write 0x2000 for 8192",
    ]);
    expect(problems(() => readKernelConfig('CONFIG_MAX_TASKS=0x10\n', 'prj.conf'))).toEqual([
      "prj.conf:1: CONFIG_MAX_TASKS expects an integer, got '0x10'; Kconfig ints are decimal, so write 16",
    ]);
    expect(problems(() => readKernelConfig('# CONFIG_MAX_TASKS is not set\n', 'prj.conf'))).toEqual(["prj.conf:1: CONFIG_MAX_TASKS expects an integer, got 'n'"]);
    // kconfiglib takes the first character of a bool only ("yes" would be y).
    expect(problems(() => readKernelConfig('CONFIG_SCHED_FIFO=yes\n', 'prj.conf'))).toEqual(["prj.conf:1: CONFIG_SCHED_FIFO is a bool; write CONFIG_SCHED_FIFO=y or CONFIG_SCHED_FIFO=n, not 'yes'"]);
    expect(problems(() => readKernelConfig('CONFIG_PRODUCT_NAME=demo\n', 'prj.conf'))).toEqual([
      `prj.conf:1: CONFIG_PRODUCT_NAME is a string; write CONFIG_PRODUCT_NAME="text" (no quotes or backslashes inside), not 'demo'`,
    ]);
    expect(problems(() => readKernelConfig('CONFIG_PRODUCT_NAME="a b"\n', 'prj.conf'))).toEqual(['prj.conf:1: CONFIG_PRODUCT_NAME="a b" is not valid (product name (letters, digits, _ . + -))']);
    expect(problems(() => readKernelConfig('CONFIG_MAX_TASKS=4\nCONFIG_MAX_TASKS=5\n', 'prj.conf'))).toEqual(['prj.conf:2: CONFIG_MAX_TASKS is set twice (first on line 1)']);
    // Unsetting the selected member of a choice does not deselect it in Kconfig.
    expect(problems(() => readKernelConfig('# CONFIG_SCHED_RRMQ is not set\n', 'prj.conf'))).toEqual([
      'prj.conf:1: CONFIG_SCHED_RRMQ=n has no effect (it stays y); to change a choice, set the member you want to y',
    ]);
    expect(problems(() => readKernelConfig('CONFIG_NOMINAL_FREQUENCY_HZ=5000000000\n', 'prj.conf'))).toEqual([
      'prj.conf:1: CONFIG_NOMINAL_FREQUENCY_HZ=5000000000 is out of range 1000000..4000000000 (virtual CPU frequency in Hz)',
    ]);
    expect(problems(() => readTaskConfig('CONFIG_TASK_LABEL=0x1\nCONFIG_TASK_STACK_SIZE=0x408\n', 'a.conf'))).toEqual([
      'a.conf:2: CONFIG_TASK_STACK_SIZE=0x408 is not a multiple of 16; write 0x410',
    ]);
    expect(problems(() => readTaskConfig('CONFIG_TASK_LABEL=0x1\nCONFIG_TASK_HEAP_SIZE=0x2000000\n', 'a.conf'))).toEqual([
      'a.conf:2: CONFIG_TASK_HEAP_SIZE=0x2000000 is out of range 0x0..0x1000000 (heap size in bytes)',
    ]);
    expect(problems(() => readKernelConfig('CONFIG_SCHED_RRMQ=y\nCONFIG_SCHED_FIFO=y\n', 'prj.conf'))).toEqual([
      'prj.conf: CONFIG_SCHED_RRMQ and CONFIG_SCHED_FIFO are one choice; set only one of them to y',
    ]);
  });
  it('treats an empty string as not set, as kconfiglib writes it', () => {
    expect(readProductConfig('CONFIG_PRODUCT_NAME=""\nCONFIG_PRODUCT_VERSION="1.2.0"\n', 'prj.conf')).toEqual({ version: '1.2.0' });
  });
  it('reads CONFIG_TASK_LIBC', () => {
    expect(readTaskConfig('CONFIG_TASK_LABEL=0x1\nCONFIG_TASK_LIBC=y\n', 't.conf').libc).toBe(true);
  });
  it('applies later fragments over earlier ones and writes .config and autoconf.h', () => {
    const r = resolveKernelFragments([
      { file: 'prj.conf', text: 'CONFIG_SCHED_RRMQ=y\nCONFIG_SVC_EXCHANGE_AREA_LEN=256\n' },
      { file: 'overlay.conf', text: 'CONFIG_SCHED_FIFO=y\n' },
    ], { outputs: ['config', 'autoconf'] });
    expect(kernelConfigOf(r)).toMatchObject({ scheduler: 'fifo', exchangeAreaLen: 256 });
    expect(r.outputs.config).toContain('CONFIG_SCHED_FIFO=y\n');
    expect(r.outputs.config).toContain('# CONFIG_SCHED_RRMQ is not set\n');
    expect(r.outputs.autoconf).toContain('#define CONFIG_SVC_EXCHANGE_AREA_LEN 256\n');
    expect(r.outputs.autoconf).not.toContain('CONFIG_SCHED_RRMQ');
    // Problems name the fragment they are in.
    expect(problems(() => resolveKernelFragments([{ file: 'prj.conf', text: '' }, { file: 'overlay.conf', text: 'CONFIG_MAX_TASK=3\n' }]))).toEqual([
      'overlay.conf:1: unknown symbol CONFIG_MAX_TASK (did you mean CONFIG_MAX_TASKS?)',
    ]);
  });
  it('a full .config that kconfiglib wrote reads back as a fragment', () => {
    const full = resolveTaskFragment('CONFIG_TASK_LABEL=0x1000\nCONFIG_CAP_DEV_IO=y\nCONFIG_APP_VERSION="1.0"\n', 't.conf', { outputs: ['config'] }).outputs.config!;
    expect(readTaskConfig(full, '.config')).toMatchObject({ label: 0x1000, capabilities: 2, version: '1.0' });
  });
  it('says how to install kconfiglib when it is missing', () => {
    const before = process.env.RAMPART_KCONFIG_PYTHON;
    process.env.RAMPART_KCONFIG_PYTHON = '/nonexistent/python3';
    try {
      expect(problems(() => readKernelConfig('', 'apps/x/prj.conf'))).toEqual([
        'apps/x/prj.conf: cannot read the Kconfig fragment: kconfiglib (Python) is not installed; run scripts/ensure-kconfig.sh (as root: apt-get install -y python3-kconfiglib)',
      ]);
    } finally {
      if (before === undefined) delete process.env.RAMPART_KCONFIG_PYTHON; else process.env.RAMPART_KCONFIG_PYTHON = before;
    }
  });
});

describe('rampart menuconfig', () => {
  const run = (args: string[], interactive: boolean) => {
    let stderr = '';
    const code = menuconfigCommandLine(args, { stdout: () => undefined, stderr: (s) => { stderr += s; }, interactive });
    return { code, stderr };
  };
  it('says it needs a terminal and exits non-zero without one', () => {
    expect(run(['apps/demo'], false)).toEqual({ code: 1, stderr: 'rampart: menuconfig needs an interactive terminal (stdin and stdout are not a TTY); edit apps/demo/prj.conf directly, or run this in a terminal\n' });
    expect(run(['apps/demo', '--task', 'ping'], false).stderr).toContain('edit apps/demo/apps/ping/task.conf directly');
  });
  it('names a missing fragment and a bad option', () => {
    expect(run(['apps/demo', '--task', 'nope'], true)).toEqual({ code: 2, stderr: "rampart: apps/demo/apps/nope/task.conf: no such file; no app 'nope' with a task.conf in apps/demo/apps\n" });
    expect(run(['apps/demo', '--bogus'], true).code).toBe(64);
  });
  it('refuses to open a fragment that does not resolve', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-mc-'));
    try {
      writeFileSync(join(dir, 'prj.conf'), 'CONFIG_MAX_TASKS=999\n');
      const r = run([dir], true);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${join(dir, 'prj.conf')}:1: CONFIG_MAX_TASKS=999 is out of range 1..255`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
