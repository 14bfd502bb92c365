/**
 * The SDK generator: layout, hashes and reuse, refusals, the stamp and the integrator's
 * check of it, a "make"-style link with only the SDK's files, and a meson + ninja build
 * with a system clang (skipped, saying why, where those tools cannot be installed).
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { bootImage } from '../../kernel/boot/boot.js';
import { writeImage } from '../../kernel/image/image.js';
import { ExitPolicy } from '../abi/index.js';
import { integrateModule, ProjectError } from '../build/project.js';
import type { TaskConfig } from '../config/kconfig.js';
import { checkSdkStamp, generateSdk, readSdkStamps, SdkError, sdkCommand, shortHash, stampModule, type SdkManifest, type SdkResult } from './sdk.js';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
/** The smallest valid module: magic and version. */
const EMPTY_MODULE = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);

describe('SDK stamp', () => {
  it('is a custom section a module carries once, and the check names both hashes', () => {
    const stamped = stampModule(EMPTY_MODULE, HASH_A);
    expect(readSdkStamps(stamped)).toEqual([HASH_A]);
    // Already stamped: unchanged (the stamp records what it was built against).
    expect(readSdkStamps(stampModule(stamped, HASH_B))).toEqual([HASH_A]);
    expect(checkSdkStamp('x', stamped, HASH_A, 'build/sdk')).toBeUndefined();
    expect(checkSdkStamp('x', stamped, HASH_B, 'build/sdk')).toBe(
      `task 'x': built against SDK ${shortHash(HASH_A)}, but this kernel configuration and board are SDK ${shortHash(HASH_B)}; rebuild it against the SDK in build/sdk (configuration ${shortHash(HASH_B)})`,
    );
    expect(checkSdkStamp('x', EMPTY_MODULE, HASH_A, 'build/sdk')).toMatch(/^task 'x': the module carries no SDK stamp \(custom section rampart\.sdk\); rebuild it/);
    // wasm-ld concatenates the stamps of every stamped object it links.
    const twice = stampModule(EMPTY_MODULE, HASH_A + HASH_A);
    expect(checkSdkStamp('x', twice, HASH_A, 'sdk')).toBeUndefined();
    expect(checkSdkStamp('x', stampModule(EMPTY_MODULE, HASH_A + HASH_B), HASH_A, 'sdk')).toMatch(/links objects of several SDKs \(aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb\)/);
    expect(checkSdkStamp('x', stampModule(EMPTY_MODULE, 'nonsense'), HASH_A, 'sdk')).toMatch(/SDK stamp is malformed/);
    expect(checkSdkStamp('x', new Uint8Array([1, 2, 3]), HASH_A, 'sdk')).toMatch(/cannot read its module/);
  });
});

describe('generateSdk', () => {
  let work: string;
  let sdkA: SdkResult;
  let sdkB: SdkResult;
  const project = (name: string, prj: string): { prj: string; board: string; out: string } => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'prj.conf'), prj);
    cpSync('apps/samples/led-blink/board.dts', join(dir, 'board.dts'));
    return { prj: join(dir, 'prj.conf'), board: join(dir, 'board.dts'), out: join(dir, 'sdk') };
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'rampart-sdk-test-'));
    const a = project('a', '# SDK test\nCONFIG_SCHED_RRMQ=y\nCONFIG_PRODUCT_NAME="a"\n');
    const b = project('b', 'CONFIG_SCHED_FIFO=y\n');
    writeFileSync(join(work, 'a', 'task.conf'), 'CONFIG_TASK_LABEL=0x2000\nCONFIG_TASK_PRIORITY=7\nCONFIG_CAP_DEV_IO=y\n');
    sdkA = await generateSdk({ configFiles: [a.prj], boardFile: a.board, out: a.out, taskLabels: [0x2000], taskConfigFiles: [join(work, 'a', 'task.conf')] });
    sdkB = await generateSdk({ configFiles: [b.prj], boardFile: b.board, out: b.out });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('writes the documented layout, with the same constants for C, Rust and AssemblyScript', () => {
    const dir = sdkA.dir;
    const manifest = JSON.parse(readFileSync(join(dir, 'sdk.json'), 'utf8')) as SdkManifest;
    expect(manifest).toMatchObject({ format: 'rampart-sdk/1', configHash: sdkA.hash, stampSection: 'rampart.sdk', tasks: ['0x1000', '0x2000'], taskConfigs: ['0x2000'] });
    expect(manifest.config.CONFIG_SVC_EXCHANGE_AREA_LEN).toBe('128');
    for (const file of [
      '.config', 'kconfig/Kconfig', 'kconfig/Kconfig.task', 'kconfig/Kconfig.caps', 'include/uapi/uapi.h', 'include/autoconf.h',
      'include/uapi/dma.h', 'include/uapi/device.h', 'assemblyscript/rampart/dma.ts', 'assemblyscript/rampart/device.ts',
      'lib/crt0.o', 'lib/libuapi.a', 'lib/pkgconfig/rampart-uapi.pc', 'meson/wasm32-rampart.ini', 'meson/wasm-ld',
      'tasks/0x1000/include/devices-dt.h', 'tasks/0x1000/include/autoconf.h', 'tasks/0x2000/include/shms-dt.h',
      'rust/autoconf.rs', 'assemblyscript/rampart/index.ts', 'assemblyscript/rampart/autoconf.ts', '.cargo/config.toml',
      'tasks/0x1000/rust/resources.rs', 'tasks/0x1000/assemblyscript/rampart/resources.ts',
      'tasks/0x2000/.config', 'tasks/0x2000/include/task_autoconf.h', 'tasks/0x2000/rust/task_autoconf.rs', 'tasks/0x2000/assemblyscript/rampart/task_autoconf.ts',
    ]) expect(existsSync(join(dir, file)), file).toBe(true);
    // The task's configuration (task.conf) only where the SDK was given it.
    for (const file of ['.config', 'include/task_autoconf.h', 'rust/task_autoconf.rs']) expect(existsSync(join(dir, 'tasks/0x1000', file)), file).toBe(false);
    const task = (rel: string): string => readFileSync(join(dir, 'tasks/0x2000', rel), 'utf8');
    expect(task('.config')).toContain('CONFIG_TASK_PRIORITY=7\n');
    expect(task('include/task_autoconf.h')).toContain('#define CONFIG_TASK_LABEL 0x2000\n#define CONFIG_TASK_MAGIC 0xdeadcafe\n#define CONFIG_TASK_PRIORITY 7\n');
    expect(task('include/task_autoconf.h')).toContain('#define CONFIG_CAP_DEV_IO 1\n');
    expect(task('include/autoconf.h')).toMatch(/#define CONFIG_SCHED_RRMQ 1\n[\s\S]*#include "task_autoconf.h"\n$/);
    expect(readFileSync(join(dir, 'tasks/0x1000/include/autoconf.h'), 'utf8')).not.toContain('task_autoconf');
    expect(task('rust/task_autoconf.rs')).toContain('pub const CONFIG_TASK_PRIORITY: u32 = 7;');
    expect(task('rust/task_autoconf.rs')).toContain('pub const CONFIG_CAP_DEV_IO: bool = true;');
    expect(task('assemblyscript/rampart/task_autoconf.ts')).toContain('export const CONFIG_TASK_LABEL: u32 = 0x2000;');
    expect(readFileSync(join(dir, 'tasks/0x1000/rust/resources.rs'), 'utf8')).toContain('pub const DEV_ID_LED0: u8 = ');
    expect(readFileSync(join(dir, 'tasks/0x1000/assemblyscript/rampart/resources.ts'), 'utf8')).toContain('export const DEVICES: StaticArray<dev.DevInfo> = [');
    expect(sdkA.taskDirs.get(0x2000)).toBe(join(dir, 'tasks/0x2000'));
    // The board's owner (0x1000 owns led0) gets its device table.
    expect(readFileSync(join(dir, 'tasks/0x1000/include/devices-dt.h'), 'utf8')).toMatch(/led0/i);
    const autoconf = readFileSync(join(dir, 'include/autoconf.h'), 'utf8');
    expect(autoconf).toContain('#define CONFIG_SCHED_RRMQ 1\n');
    expect(autoconf).toContain('#define CONFIG_SVC_EXCHANGE_AREA_LEN 128\n');
    expect(autoconf).toContain(`#define RAMPART_SDK_CONFIG_HASH "${sdkA.hash}"`);
    const rust = readFileSync(join(dir, 'rust/autoconf.rs'), 'utf8');
    expect(rust).toContain('pub const CONFIG_SCHED_RRMQ: bool = true;');
    expect(rust).toContain('pub const CONFIG_SCHED_FIFO: bool = false;');
    expect(rust).toContain('pub const CONFIG_SVC_EXCHANGE_AREA_LEN: u32 = 128;');
    expect(rust).toContain('pub const CONFIG_PRODUCT_NAME: &str = "a";');
    const as = readFileSync(join(dir, 'assemblyscript/rampart/autoconf.ts'), 'utf8');
    expect(as).toContain('export const CONFIG_SVC_EXCHANGE_AREA_LEN: u32 = 128;');
    expect(as).toContain('export const CONFIG_SCHED_RRMQ: bool = true;');
    // The runtime object carries the stamp; the library is an archive.
    expect(readSdkStamps(readFileSync(join(dir, 'lib/crt0.o')))).toEqual([sdkA.hash]);
    expect(readFileSync(join(dir, 'lib/libuapi.a')).subarray(0, 8).toString('latin1')).toBe('!<arch>\n');
    const pc = readFileSync(join(dir, 'lib/pkgconfig/rampart-uapi.pc'), 'utf8');
    expect(pc).toMatch(/^Cflags: --target=wasm32-unknown-unknown .* -I\$\{includedir\}$/m);
    expect(pc).toMatch(/^Libs: \$\{libdir\}\/crt0\.o \$\{libdir\}\/libuapi\.a .*-Wl,--stack-first.*-Wl,--no-growable-memory/m);
    const cross = readFileSync(join(dir, 'meson/wasm32-rampart.ini'), 'utf8');
    for (const line of ["c = 'clang'", "ar = 'llvm-ar'", "system = 'none'", "cpu_family = 'wasm32'", "cpu = 'wasm32'", "endian = 'little'"]) expect(cross).toContain(line);
    expect(cross).toMatch(/^c_args = \['--target=wasm32-unknown-unknown'/m);
    expect(cross).toMatch(/^c_link_args = \[.*'-Wl,--stack-first'/m);
    // Cargo: the snippet points at the registry inside this SDK.
    const cargo = readFileSync(join(dir, '.cargo/config.toml'), 'utf8');
    const registry = /local-registry = "(.*)"/.exec(cargo)?.[1];
    expect(registry).toBe(join(dir, manifest.rust.registry));
    expect(existsSync(join(registry!, 'index/se/nt/sentry-uapi'))).toBe(true);
  });

  it('hashes what a module is built against: the configuration and the board, not the product identity', async () => {
    expect(sdkA.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(sdkB.hash).not.toBe(sdkA.hash);
    const c = project('c', '# same kernel configuration as a, another product name\nCONFIG_SCHED_RRMQ=y\nCONFIG_PRODUCT_NAME="other"\n');
    const sdkC = await generateSdk({ configFiles: [c.prj], boardFile: c.board, out: c.out });
    expect(sdkC.hash).toBe(sdkA.hash);
    // An unchanged SDK is reused; an overlay fragment changes it.
    expect((await generateSdk({ configFiles: [c.prj], boardFile: c.board, out: c.out })).reused).toBe(true);
    writeFileSync(join(work, 'c', 'overlay.conf'), 'CONFIG_SVC_EXCHANGE_AREA_LEN=256\nCONFIG_MAX_SHM_PER_TASK=6\nCONFIG_MAX_DMA_STREAMS_PER_TASK=0\n');
    const overlaid = await generateSdk({ configFiles: [c.prj, join(work, 'c', 'overlay.conf')], boardFile: c.board, out: c.out });
    expect(overlaid.reused).toBe(false);
    expect(overlaid.hash).not.toBe(sdkA.hash);
    const platform = readFileSync(join(c.out, 'include/uapi/platform.h'), 'utf8');
    expect(platform).toMatch(/SENTRY_SVCEXCHANGE_LEN\s+256/);
    // The spec 2.16 per-task limits: the default, and the overlay's values.
    expect(platform).toContain('#define SENTRY_TASK_MAXDEV 4\n');
    expect(platform).toContain('#define SENTRY_TASK_MAXSHM 6\n');
    expect(platform).toContain('#define SENTRY_TASK_MAXDMA 0\n');
  });

  it('refuses bad inputs, naming the file and the fix, and leaves nothing half-built', async () => {
    const bad = project('bad', 'CONFIG_SVC_EXCHANGE_AREA_LEN=2048\nCONFIG_SCHED_FIFOO=y\n');
    const problems = async (p: Promise<unknown>): Promise<readonly string[]> => {
      try { await p; } catch (e) { if (e instanceof SdkError) return e.problems; throw e; }
      throw new Error('expected an SdkError');
    };
    expect(await problems(generateSdk({ configFiles: [bad.prj], boardFile: bad.board, out: bad.out }))).toEqual([
      `${bad.prj}:1: CONFIG_SVC_EXCHANGE_AREA_LEN=2048 is out of range 64..1024 (exchange area length in bytes)`,
      `${bad.prj}:2: unknown symbol CONFIG_SCHED_FIFOO (did you mean CONFIG_SCHED_FIFO?)`,
    ]);
    expect(existsSync(bad.out)).toBe(false);
    expect(await problems(generateSdk({ configFiles: [join(work, 'nope.conf')], boardFile: bad.board, out: bad.out }))).toEqual([
      `${join(work, 'nope.conf')}: cannot read: ENOENT; give an existing Kconfig fragment (prj.conf)`,
    ]);
    const missingBoard = await problems(generateSdk({ configFiles: [sdkA.dir + '/../prj.conf'], boardFile: join(work, 'nope.dts'), out: bad.out }));
    expect(missingBoard[0]).toMatch(/nope\.dts: cannot read/);
    // A folder that is not an SDK is never replaced.
    mkdirSync(bad.out);
    writeFileSync(join(bad.out, 'precious.txt'), 'keep');
    expect(await problems(generateSdk({ configFiles: [join(work, 'b', 'prj.conf')], boardFile: bad.board, out: bad.out }))).toEqual([
      `${bad.out}: exists and is not a Rampart SDK (no sdk.json); choose a new or empty folder for --out`,
    ]);
    expect(readFileSync(join(bad.out, 'precious.txt'), 'utf8')).toBe('keep');
    // Task fragments: every problem with file:line, and a label given twice.
    writeFileSync(join(work, 'bad', 't1.conf'), 'CONFIG_TASK_LABEL=0x3000\nCONFIG_TASK_PRIORTY=2\n');
    writeFileSync(join(work, 'bad', 't2.conf'), 'CONFIG_TASK_LABEL=0x4000\n');
    writeFileSync(join(work, 'bad', 't3.conf'), 'CONFIG_TASK_LABEL=0x4000\n');
    expect(await problems(generateSdk({ configFiles: [join(work, 'b', 'prj.conf')], boardFile: bad.board, out: join(work, 'bad', 'sdk2'), taskConfigFiles: ['t1.conf', 't2.conf', 't3.conf'].map((f) => join(work, 'bad', f)) }))).toEqual([
      `${join(work, 'bad', 't1.conf')}:2: unknown symbol CONFIG_TASK_PRIORTY (did you mean CONFIG_TASK_PRIORITY?)`,
      `${join(work, 'bad', 't3.conf')}: CONFIG_TASK_LABEL=0x4000 is also the label of ${join(work, 'bad', 't2.conf')}; labels must be unique`,
    ]);
    expect(existsSync(join(work, 'bad', 'sdk2'))).toBe(false);
    // No temporary folder is left beside any SDK.
    for (const name of ['a', 'b', 'bad']) expect(readdirSync(join(work, name)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('rampart sdk: usage errors and refusals', async () => {
    const run = async (args: string[]) => {
      let stderr = '';
      let stdout = '';
      const code = await sdkCommand(args, { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; } });
      return { code, stderr, stdout };
    };
    expect((await run(['--config', 'x'])).stderr).toMatch(/^rampart: sdk needs --config FILE, --board FILE and --out DIR/);
    expect((await run(['--bogus', 'x'])).code).toBe(64);
    const refused = await run(['--config', join(work, 'bad', 'prj.conf'), '--board', join(work, 'a', 'board.dts'), '--out', join(work, 'cli-out')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(':2: unknown symbol CONFIG_SCHED_FIFOO');
    const ok = await run(['--config', join(work, 'a', 'prj.conf'), '--board', join(work, 'a', 'board.dts'), '--task', join(work, 'a', 'task.conf'), '--out', join(work, 'cli-out')]);
    expect(ok).toMatchObject({ code: 0, stdout: `${join(work, 'cli-out')}\n` });
    expect(readFileSync(join(work, 'cli-out', 'tasks/0x2000/include/task_autoconf.h'), 'utf8')).toContain('#define CONFIG_TASK_PRIORITY 7\n');
  });

  it('links an app from the SDK files alone; the integrator refuses it against another configuration, naming both', async () => {
    const manifest = JSON.parse(readFileSync(join(sdkA.dir, 'sdk.json'), 'utf8')) as SdkManifest;
    const { commands } = (await import('@yowasp/clang')) as unknown as {
      commands: { clang: (a: string[], t: Record<string, unknown>, o: Record<string, unknown>) => Promise<Record<string, unknown>> };
    };
    let output = '';
    const opts = { stdout: (b: Uint8Array | null) => { if (b) output += new TextDecoder().decode(b); }, stderr: (b: Uint8Array | null) => { if (b) output += new TextDecoder().decode(b); }, fetchProgress: () => undefined };
    await commands.clang(['--version'], {}, opts);
    const tree: Record<string, unknown> = {
      'main.c': [
        '#include <uapi/uapi.h>',
        '#include <uapi/dma.h>',
        '#include <autoconf.h>',
        '#include <devices-dt.h>',
        // The task's folder first: its autoconf.h has the kernel's CONFIG_* and the task's.
        '_Static_assert(CONFIG_TASK_LABEL == 0x2000 && CONFIG_TASK_PRIORITY == 7 && SENTRY_TASK_MAXDEV == 4, "task configuration");',
        'int main(void) { return CONFIG_SVC_EXCHANGE_AREA_LEN == 128 ? 0 : 1; }',
        '',
      ].join('\n'),
      include: {}, task: {}, 'crt0.o': readFileSync(join(sdkA.dir, 'lib/crt0.o')), 'libuapi.a': readFileSync(join(sdkA.dir, 'lib/libuapi.a')),
    };
    // The SDK's include tree, as a make build would use it via -I.
    const addDir = (rel: string, node: Record<string, unknown>): void => {
      for (const entry of execFileSync('ls', [join(sdkA.dir, rel)], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
        const full = join(sdkA.dir, rel, entry);
        if (spawnSync('test', ['-d', full]).status === 0) { node[entry] = {}; addDir(join(rel, entry), node[entry] as Record<string, unknown>); } else node[entry] = readFileSync(full);
      }
    };
    addDir('include', tree.include as Record<string, unknown>);
    addDir('tasks/0x2000/include', tree.task as Record<string, unknown>);
    let built: Record<string, unknown>;
    try {
      built = await commands.clang([...manifest.c.cflags, '-O2', '-Wall', '-Werror', '-Itask', '-Iinclude', 'main.c', 'crt0.o', 'libuapi.a', ...manifest.c.ldflags, '-o', 'app.wasm'], tree, opts);
    } catch (error) {
      throw new Error(`link failed: ${output}`, { cause: error });
    }
    const wasm = built['app.wasm'] as Uint8Array;
    expect(readSdkStamps(wasm)).toEqual([sdkA.hash]);
    const config: TaskConfig = { label: 0x1000, priority: 1, quantum: 10, autoStart: true, exitPolicy: ExitPolicy.NoRestart, stackSize: 0x2000, heapSize: 0, domain: 0, capabilities: 1 << 1 /* CAP_DEV_IO: the board gives 0x1000 led0 */ };
    // Against its own configuration: accepted, and it runs.
    const task = integrateModule('app', config, wasm, 'app/task.conf', sdkA.kernel, sdkA.board, { hash: sdkA.hash, dir: 'sdk-a' });
    const kernel = bootImage(writeImage(sdkA.kernel, [task], sdkA.board), { seed: 1, console: { line: () => undefined }, kernelLog: () => undefined, trace: false });
    expect(kernel.run().tasks.map((t) => [t.name, t.state, t.exitStatus])).toEqual([['app', 'finished', 0]]);
    // Against another: refused, naming both configurations and the fix.
    let message = '';
    try {
      integrateModule('app', config, wasm, 'app/task.conf', sdkB.kernel, sdkB.board, { hash: sdkB.hash, dir: 'build/sdk' });
    } catch (error) {
      if (!(error instanceof ProjectError)) throw error;
      message = error.message;
    }
    expect(message).toBe(`task 'app': built against SDK ${shortHash(sdkA.hash)}, but this kernel configuration and board are SDK ${shortHash(sdkB.hash)}; rebuild it against the SDK in build/sdk (configuration ${shortHash(sdkB.hash)})`);
  });

  it('builds an app with meson + ninja and a system clang, using only the SDK', (context) => {
    const ensure = spawnSync('bash', ['scripts/ensure-meson-tools.sh'], { encoding: 'utf8' });
    if (ensure.status === 3) {
      context.skip(`meson test skipped: ${ensure.stderr.trim()}`);
      return;
    }
    expect(ensure.status, ensure.stderr).toBe(0);
    const tools = Object.fromEntries([...ensure.stdout.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    const app = join(work, 'meson-app');
    mkdirSync(app);
    writeFileSync(join(app, 'meson.build'), "project('hello', 'c')\nexecutable('hello', 'main.c', name_suffix: 'wasm', dependencies: dependency('rampart-uapi'))\n");
    writeFileSync(join(app, 'main.c'), [
      '#include <uapi/uapi.h>',
      '#include <autoconf.h>',
      'int main(void)',
      '{',
      '    static const char msg[] = "hello from meson";',
      '    copy_to_kernel((const uint8_t *)msg, sizeof(msg) - 1);',
      '    (void)__sys_log(sizeof(msg) - 1);',
      '    return CONFIG_SVC_EXCHANGE_AREA_LEN == 128 ? 0 : 1;',
      '}',
      '',
    ].join('\n'));
    // The user's own machine file naming their clang, as docs/sdk.md says.
    writeFileSync(join(app, 'clang.ini'), `[binaries]\nc = '${tools.CLANG}'\nar = '${tools.AR}'\n`);
    const setup = spawnSync('meson', ['setup', 'build', '--cross-file', join(sdkA.dir, 'meson/wasm32-rampart.ini'), '--cross-file', 'clang.ini'], { cwd: app, encoding: 'utf8' });
    expect(setup.status, `${setup.stdout}\n${setup.stderr}`).toBe(0);
    const ninja = spawnSync('ninja', ['-C', 'build'], { cwd: app, encoding: 'utf8' });
    expect(ninja.status, `${ninja.stdout}\n${ninja.stderr}`).toBe(0);
    const wasm = new Uint8Array(readFileSync(join(app, 'build', 'hello.wasm')));
    expect(readSdkStamps(wasm)).toEqual([sdkA.hash]);
    const config: TaskConfig = { label: 0x1000, priority: 1, quantum: 10, autoStart: true, exitPolicy: ExitPolicy.NoRestart, stackSize: 0x2000, heapSize: 0, domain: 0, capabilities: 1 << 1 /* CAP_DEV_IO: the board gives 0x1000 led0 */ };
    const task = integrateModule('hello', config, wasm, 'hello/task.conf', sdkA.kernel, sdkA.board, { hash: sdkA.hash, dir: 'sdk' });
    const lines: string[] = [];
    bootImage(writeImage(sdkA.kernel, [task], sdkA.board), { seed: 1, console: { line: (l) => lines.push(l) }, kernelLog: () => undefined, trace: false }).run();
    expect(lines.join('\n')).toContain('hello from meson');
    expect(() => integrateModule('hello', config, wasm, 'hello/task.conf', sdkB.kernel, sdkB.board, { hash: sdkB.hash, dir: 'sdk-b' })).toThrow(`built against SDK ${shortHash(sdkA.hash)}`);
  });
});
