/**
 * Hosted C (CONFIG_TASK_LIBC=y) through the real toolchain and kernel, and the WASI gate
 * against hostile callers.
 *
 * The sample app (apps/samples/c-hosted/apps/c-hosted) is built with `buildProject` in a temporary project
 * (wasi-libc from the bundled clang, Rampart's hosted crt0, instrumentation, signed image)
 * and booted; its console lines are asserted exactly. A second hosted app exercises
 * `main(argc, argv)`, getenv, stderr, time and getentropy, and is refused at integration
 * without CAP_CRY_KRNG. Hand-written WAT tasks then call the WASI imports with pointers and
 * lengths out of bounds, overflowing, huge, and with bad descriptors: every call gets an
 * errno and the kernel goes on running the other tasks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cap, ExitPolicy } from '../../toolchain/abi/index.js';
import { buildCApp } from '../../toolchain/build/c.js';
import { buildProject, integrateModule, ProjectError } from '../../toolchain/build/project.js';
import { readTaskConfig } from '../../toolchain/config/kconfig.js';
import { readImage, writeImage } from '../../kernel/image/image.js';
import { bootImage } from '../../kernel/boot/boot.js';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';
import { EMPTY_BOARD } from '../../kernel/board.js';
import { storeNanoseconds } from '../../kernel/syscalls/gate-wasi.js';
import { runWat } from '../helpers/wat.js';
import { bystander, end, iov, r, wasiTask } from '../helpers/wasi-wat.js';

const SAMPLE = join(import.meta.dirname, '../../apps/samples/c-hosted/apps/c-hosted');

/** Boot an image and run it to the end, collecting console lines. */
function boot(image: Uint8Array) {
  const lines: string[] = [];
  const kernelLog: string[] = [];
  const k = bootImage(image, { seed: 7, console: { line: (l) => lines.push(l) }, kernelLog: (l) => kernelLog.push(l) });
  const result = k.run();
  return { lines, kernelLog, result };
}

describe('the hosted C sample', () => {
  const work = mkdtempSync(join(tmpdir(), 'rampart-hosted-'));
  let lines: string[] = [];
  let result: ReturnType<typeof boot>['result'];
  let imports: string[] = [];
  let buildMs = 0;

  beforeAll(async () => {
    writeFileSync(join(work, 'prj.conf'), 'CONFIG_BUILD_TARGET_DEBUG=y\n');
    writeFileSync(join(work, 'board.dts'), '/dts-v1/;\n/ { };\n');
    mkdirSync(join(work, 'apps'));
    cpSync(SAMPLE, join(work, 'apps', 'hosted'), { recursive: true });
    const started = Date.now();
    const built = await buildProject(work, { out: join(work, 'hosted.rimg') });
    buildMs = Date.now() - started;
    expect(built.apps[0]?.config.libc).toBe(true);
    const image = readFileSync(built.imagePath);
    const ran = boot(image);
    lines = ran.lines;
    result = ran.result;
    // The imports of the module in the image (instrumented: plus rampart.preempt).
    const module = new WebAssembly.Module(readImage(image).tasks[0]!.module as Uint8Array<ArrayBuffer>);
    imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`).sort();
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('prints through printf, formats with snprintf and uses string.h', () => {
    expect(lines.slice(0, 3)).toEqual([
      '[hosted] hello from hosted C',
      '[hosted] snprintf: rampart-0042-beef-3.25 (22 chars, strlen 22)',
      "[hosted] strdup: rampart-0042-beef-3.25, strcmp 0, strchr '-0042-beef-3.25'",
    ]);
    console.log(`hosted sample: project build ${buildMs} ms`);
  });

  it('has a working, fixed heap: malloc returns NULL past it, memory never grows, free gives it back', () => {
    expect(lines[3]).toBe('[hosted] malloc/free: 100 rounds, 80800 bytes in total');
    // At least the configured 64 KiB heap (wasm-ld adds the rest of the data's last page).
    const full = /^\[hosted\] heap full after (\d+) blocks of 1 KiB: malloc returned NULL$/.exec(lines[4] ?? '');
    expect(full).not.toBeNull();
    const blocks = Number(full![1]);
    expect(blocks).toBeGreaterThanOrEqual(60);
    expect(blocks).toBeLessThanOrEqual(128);
    expect(lines.slice(5)).toEqual([
      '[hosted] blocks intact: yes',
      '[hosted] huge malloc: NULL',
      '[hosted] memory grew: no',
      '[hosted] after free: same number of blocks again',
      '[hosted] clock: monotonic yes',
      '[hosted] bye',
    ]);
  });

  it('exits 0 and the run ends cleanly', () => {
    expect(result.tasks[0]).toMatchObject({ name: 'hosted', state: 'finished', exitStatus: 0, fault: null });
    expect(result.end.kind).toBe('idle');
  });

  it('imports only the WASI functions a printf/malloc/time program needs', () => {
    // wasi-libc's link-time set is clock_time_get, fd_close, fd_fdstat_get, fd_seek, fd_write
    // and proc_exit; the integrator's optimizer may drop the ones no path reaches (fd_close).
    const allowed = ['clock_time_get', 'fd_close', 'fd_fdstat_get', 'fd_seek', 'fd_write', 'proc_exit'].map((n) => `wasi_snapshot_preview1.${n}`);
    expect(imports.filter((i) => !allowed.includes(i))).toEqual(['rampart.preempt']);
    for (const needed of ['clock_time_get', 'fd_fdstat_get', 'fd_write', 'proc_exit']) expect(imports).toContain(`wasi_snapshot_preview1.${needed}`);
  });
});

describe('hosted C: arguments, environment, stderr, time, entropy', () => {
  const work = mkdtempSync(join(tmpdir(), 'rampart-hosted-entropy-'));
  const appDir = join(work, 'apps', 'entropy');
  let wasm: Uint8Array;

  beforeAll(async () => {
    mkdirSync(join(appDir, 'src'), { recursive: true });
    writeFileSync(join(appDir, 'src', 'main.c'), `
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    unsigned char key[32] = {0};
    unsigned char any = 0;
    struct timespec res;
    const char *home = getenv("HOME");

    printf("argc %d, argv[0] %s, HOME %s\\n", argc, argc > 0 ? argv[0] : "(none)", home != NULL ? home : "(unset)");
    int r = getentropy(key, sizeof key);
    for (size_t i = 0; i < sizeof key; i++) any |= key[i];
    printf("getentropy: %d, %s\\n", r, any != 0 ? "random bytes" : "zeros");
    fprintf(stderr, "to stderr\\n");
    printf("clock_getres: %d, %ld ns\\n", clock_getres(CLOCK_MONOTONIC, &res), res.tv_nsec);
    printf("time: %lld\\n", (long long)time(NULL));
    return 5;
}
`);
    wasm = (await buildCApp({ appDir, appName: 'entropy', exchangeAreaLen: 128, stackSize: 0x2000, heapSize: 0x1000, libc: true, cacheDir: false })).wasm;
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('refuses getentropy at integration without CAP_CRY_KRNG, naming the capability', () => {
    const config = readTaskConfig('CONFIG_TASK_LABEL=0x10\nCONFIG_TASK_AUTO_START=y\nCONFIG_TASK_LIBC=y\n', 'task.conf');
    expect(() => integrateModule('entropy', config, wasm, 'apps/entropy/task.conf', DEFAULT_KERNEL_CONFIG)).toThrow(ProjectError);
    expect(() => integrateModule('entropy', config, wasm, 'apps/entropy/task.conf', DEFAULT_KERNEL_CONFIG)).toThrow(
      "task 'entropy': imports WASI function 'wasi_snapshot_preview1.random_get' (getentropy, arc4random, getrandom) without capability CAP_CRY_KRNG; add CONFIG_CAP_CRY_KRNG=y to apps/entropy/task.conf",
    );
  });

  it('serves it with the capability; argv and environ are empty; exit(5) aborts the job', () => {
    const config = readTaskConfig('CONFIG_TASK_LABEL=0x10\nCONFIG_TASK_AUTO_START=y\nCONFIG_TASK_LIBC=y\nCONFIG_CAP_CRY_KRNG=y\n', 'task.conf');
    const task = integrateModule('entropy', config, wasm, 'apps/entropy/task.conf', DEFAULT_KERNEL_CONFIG);
    const run = boot(writeImage(DEFAULT_KERNEL_CONFIG, [task], EMPTY_BOARD));
    expect(run.lines).toEqual([
      '[entropy] argc 0, argv[0] (none), HOME (unset)',
      '[entropy] getentropy: 0, random bytes',
      '[entropy] to stderr',
      // 64 MHz: one cycle is 15.625 ns, rounded up
      '[entropy] clock_getres: 0, 16 ns',
      // no wall clock: the epoch is the boot
      '[entropy] time: 0',
    ]);
    expect(run.result.tasks[0]).toMatchObject({ state: 'aborted', exitStatus: 5 });
  });
});

// ---------------------------------------------------------------------------------------
// The WASI gate against hand-written callers.

describe('WASI gate: fd_write', () => {
  it('writes iovecs to the console and reports the byte count', () => {
    const body = `
      ${iov(8000, 4096, 6)} ${iov(8008, 4102, 7)}
      ${r('(call $fd_write (i32.const 1) (i32.const 8000) (i32.const 2) (i32.const 8100))')}
      ${r('(i32.load (i32.const 8100))')}
      ${r('(call $fd_write (i32.const 2) (i32.const 8008) (i32.const 1) (i32.const 8100))')}
      ${r('(call $fd_write (i32.const 1) (i32.const 8000) (i32.const 0) (i32.const 8100))')}
      ${r('(i32.load (i32.const 8100))')}`;
    const run = runWat([{ name: 'a', label: 1, wat: wasiTask({ wasi: ['fd_write'], extra: '(data (i32.const 4096) "hello world!\\n")', body }) }]);
    expect(run.lines).toEqual(['[a] hello world!', '[a] s=00', '[a] s=13', '[a] world!', '[a] s=00', '[a] s=00', '[a] s=00']);
  });

  it('answers EFAULT to every out-of-bounds or overflowing pointer, writes nothing, and the kernel runs on', () => {
    const body = [
      // the iovec array itself out of bounds, or straddling the end of memory
      '(call $fd_write (i32.const 1) (i32.const 0xfffffff8) (i32.const 1) (i32.const 8100))',
      `(call $fd_write (i32.const 1) ${end(4)} (i32.const 1) (i32.const 8100))`,
      // 1000 iovecs 4000 bytes before the end: the array ends past the memory
      `(call $fd_write (i32.const 1) ${end(4000)} (i32.const 1000) (i32.const 8100))`,
      // a buffer past the end, straddling it, and one whose pointer + length wraps in 32 bits
      `(block (result i32) ${iov(8000, end(-100), 1)} (call $fd_write (i32.const 1) (i32.const 8000) (i32.const 1) (i32.const 8100)))`,
      `(block (result i32) ${iov(8000, end(6), 7)} (call $fd_write (i32.const 1) (i32.const 8000) (i32.const 1) (i32.const 8100)))`,
      `(block (result i32) ${iov(8000, '(i32.const 0xffffffff)', '(i32.const 0xffffffff)')} (call $fd_write (i32.const 1) (i32.const 8000) (i32.const 1) (i32.const 8100)))`,
      `(block (result i32) ${iov(8000, 16, '(i32.const 0xfffffff8)')} (call $fd_write (i32.const 1) (i32.const 8000) (i32.const 1) (i32.const 8100)))`,
      // a good buffer followed by a bad one: nothing at all is written
      `(block (result i32) ${iov(8000, 4096, 6)} ${iov(8008, end(1), 2)} (call $fd_write (i32.const 1) (i32.const 8000) (i32.const 2) (i32.const 8100)))`,
      // good buffers, nwritten out of bounds or straddling
      `(block (result i32) ${iov(8000, 4096, 6)} (call $fd_write (i32.const 1) (i32.const 8000) (i32.const 1) (i32.const 0xfffffffe)))`,
      `(block (result i32) ${iov(8000, 4096, 6)} (call $fd_write (i32.const 1) (i32.const 8000) (i32.const 1) ${end(3)}))`,
    ].map(r).join(' ');
    const run = runWat([
      { name: 'a', label: 1, priority: 2, wat: wasiTask({ wasi: ['fd_write'], extra: '(data (i32.const 4096) "hello\\n")', body }) },
      bystander,
    ]);
    expect(run.lines).toEqual([...new Array<string>(10).fill('[a] s=21'), '[z] still here']);
    expect(run.result.tasks.map((t) => t.state)).toEqual(['finished', 'finished']);
    expect(run.result.end.kind).toBe('idle');
  });

  it('refuses more than IOV_MAX iovecs (even when count * 8 wraps in 32 bits) with EINVAL', () => {
    const body = [
      '(call $fd_write (i32.const 1) (i32.const 8000) (i32.const 1025) (i32.const 8100))',
      '(call $fd_write (i32.const 1) (i32.const 8000) (i32.const 0x20000000) (i32.const 8100))',
      '(call $fd_write (i32.const 1) (i32.const 8000) (i32.const -1) (i32.const 8100))',
    ].map(r).join(' ');
    const run = runWat([{ name: 'a', label: 1, wat: wasiTask({ wasi: ['fd_write'], body }) }]);
    expect(run.lines).toEqual(['[a] s=28', '[a] s=28', '[a] s=28']);
  });

  it('caps a huge write at 4 KiB per call (a short write), never more', () => {
    const body = `
      (memory.fill (i32.const 16384) (i32.const 65) (i32.const 40000))
      ${iov(8000, 16384, 30000)} ${iov(8008, 16384, 10000)}
      (local.set $i (call $fd_write (i32.const 1) (i32.const 8000) (i32.const 2) (i32.const 8100)))
      ${r('(local.get $i)')}
      ${r('(i32.eq (i32.load (i32.const 8100)) (i32.const 4096))')}`;
    const run = runWat([{ name: 'a', label: 1, wat: wasiTask({ wasi: ['fd_write'], body }) }]);
    // The 4096 'A's fill exactly one console line buffer, cut when the next byte arrives.
    expect(run.lines).toEqual([`[a] ${'A'.repeat(4096)}`, '[a] s=00', '[a] s=01']);
  });

  it('answers EBADF for stdin and every fd but 1 and 2', () => {
    const body = [0, 3, 4, -1, 0x7fffffff].map((fd) => r(`(call $fd_write (i32.const ${fd}) (i32.const 8000) (i32.const 0) (i32.const 8100))`)).join(' ');
    const run = runWat([{ name: 'a', label: 1, wat: wasiTask({ wasi: ['fd_write'], body }) }]);
    expect(run.lines).toEqual(new Array<string>(5).fill('[a] s=08'));
  });
});

describe('WASI gate: descriptors, clocks, arguments, entropy, exit', () => {
  it('describes 0/1/2 as a terminal and refuses close, read and seek without faking success', () => {
    const body = [
      '(call $fd_fdstat_get (i32.const 1) (i32.const 8000))',
      '(i32.load8_u (i32.const 8000))', // CHARACTER_DEVICE
      '(i32.load (i32.const 8008))', // rights: FD_WRITE only (no seek/tell: a tty)
      '(call $fd_fdstat_get (i32.const 0) (i32.const 8000))',
      '(i32.load (i32.const 8008))',
      '(call $fd_fdstat_get (i32.const 3) (i32.const 8000))',
      `(call $fd_fdstat_get (i32.const 1) ${end(16)})`,
      '(call $fd_fdstat_get (i32.const 1) (i32.const -8))',
      '(call $fd_close (i32.const 1))',
      '(call $fd_close (i32.const 9))',
      '(call $fd_read (i32.const 0) (i32.const 8000) (i32.const 1) (i32.const 8100))',
      '(call $fd_read (i32.const 5) (i32.const 8000) (i32.const 1) (i32.const 8100))',
      '(call $fd_seek (i32.const 1) (i64.const 0) (i32.const 0) (i32.const 8100))',
      '(call $fd_seek (i32.const 6) (i64.const 0) (i32.const 0) (i32.const 8100))',
    ].map(r).join(' ');
    const run = runWat([{ name: 'a', label: 1, wat: wasiTask({ wasi: ['fd_fdstat_get', 'fd_close', 'fd_read', 'fd_seek'], body }) }]);
    expect(run.lines).toEqual(['00', '02', '64', '00', '00', '08', '21', '21', '52', '08', '52', '08', '70', '08'].map((s) => `[a] s=${s}`));
  });

  it('gives monotonic virtual nanoseconds, refuses other clocks and bad pointers', () => {
    const body = `
      ${r('(call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 8000))')}
      (local.set $a (i64.load (i32.const 8000)))
      (local.set $i (i32.const 0))
      (loop $spin (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $spin (i32.lt_u (local.get $i) (i32.const 1000))))
      ${r('(call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 8008))')}
      (local.set $b (i64.load (i32.const 8008)))
      ${r('(i64.gt_u (local.get $b) (local.get $a))')}
      ${r('(i64.lt_u (i64.sub (local.get $b) (local.get $a)) (i64.const 10000000))')}
      ${r('(call $clock_time_get (i32.const 2) (i64.const 1) (i32.const 8000))')}
      ${r('(call $clock_time_get (i32.const 99) (i64.const 1) (i32.const 8000))')}
      ${r(`(call $clock_time_get (i32.const 1) (i64.const 1) ${end(7)})`)}
      ${r('(call $clock_res_get (i32.const 1) (i32.const 8000))')}
      ${r('(i32.load (i32.const 8000))')}
      ${r('(call $clock_res_get (i32.const 3) (i32.const 8000))')}
      ${r('(call $clock_res_get (i32.const 1) (i32.const -4))')}`;
    const run = runWat([{ name: 'a', label: 1, wat: wasiTask({ wasi: ['clock_time_get', 'clock_res_get'], body }) }]);
    expect(run.lines).toEqual(['00', '00', '01', '01', '28', '28', '21', '00', '16', '28', '21'].map((s) => `[a] s=${s}`));
  });

  it('converts cycles to nanoseconds exactly, far past 2^53 ns', () => {
    const m = new Uint8Array(8);
    const view = new DataView(m.buffer);
    const cases: [number, number][] = [
      [0, 64_000_000], [1, 64_000_000], [63_999_999, 64_000_000], [64_000_000, 64_000_000],
      [2 ** 53 - 1, 64_000_000], [2 ** 53 - 1, 1_000_000], [123_456_789_012_345, 4_000_000_000], [987_654_321, 1_000_003],
    ];
    for (const [cycles, freq] of cases) {
      storeNanoseconds(m, 0, cycles, freq);
      expect(view.getBigUint64(0, true)).toBe((BigInt(cycles) * 1_000_000_000n) / BigInt(freq));
    }
  });

  it('has no arguments and no environment, and checks the pointers it writes', () => {
    const body = [
      '(call $args_sizes_get (i32.const 8000) (i32.const 8004))',
      '(i32.add (i32.load (i32.const 8000)) (i32.load (i32.const 8004)))',
      '(call $environ_sizes_get (i32.const 8000) (i32.const 8004))',
      '(call $args_get (i32.const 8000) (i32.const 8100))',
      `(call $args_sizes_get (i32.const 8000) ${end(3)})`,
      '(call $environ_sizes_get (i32.const -1) (i32.const 8004))',
    ].map(r).join(' ');
    const pre = '(i32.store (i32.const 8000) (i32.const 7)) (i32.store (i32.const 8004) (i32.const 7))';
    const run = runWat([{ name: 'a', label: 1, wat: wasiTask({ wasi: ['args_sizes_get', 'args_get', 'environ_sizes_get'], body: `${pre} ${body}` }) }]);
    expect(run.lines).toEqual(['00', '00', '00', '00', '21', '21'].map((s) => `[a] s=${s}`));
  });

  it('refuses random_get at integration without CAP_CRY_KRNG, and bounds it with', () => {
    const wat = wasiTask({
      wasi: ['random_get'],
      body: [
        '(call $random_get (i32.const 8000) (i32.const 32))',
        '(i64.ne (i64.or (i64.load (i32.const 8000)) (i64.load (i32.const 8008))) (i64.const 0))',
        `(call $random_get ${end(31)} (i32.const 32))`,
        '(call $random_get (i32.const -1) (i32.const 2))',
        '(call $random_get (i32.const 0) (i32.const 4097))',
        '(call $random_get (i32.const 8000) (i32.const 0))',
      ].map(r).join(' '),
    });
    expect(() => runWat([{ name: 'a', label: 1, wat }]))
      .toThrow("task 'a': imports WASI function 'wasi_snapshot_preview1.random_get' (getentropy, arc4random, getrandom) without capability CAP_CRY_KRNG; add CONFIG_CAP_CRY_KRNG=y to a/task.conf");
    const run = runWat([{ name: 'a', label: 1, capabilities: Cap.CryKrng, wat }]);
    expect(run.lines).toEqual(['00', '01', '21', '21', '28', '00'].map((s) => `[a] s=${s}`));
  });

  it('ends the job on proc_exit (unwinding it) and runs the others', () => {
    const body = `${r('(i32.const 1)')} (call $proc_exit (i32.const 7)) ${r('(i32.const 2)')}`;
    const run = runWat([
      { name: 'a', label: 1, priority: 2, exitPolicy: ExitPolicy.NoRestart, wat: wasiTask({ wasi: ['proc_exit'], body }) },
      bystander,
    ]);
    expect(run.lines).toEqual(['[a] s=01', '[z] still here']);
    expect(run.result.tasks[0]).toMatchObject({ state: 'aborted', exitStatus: 7 });
    expect(run.result.tasks[1]).toMatchObject({ state: 'finished' });
  });
});

describe('WASI gate: what is not WASI preview 1 is refused at integration, by name', () => {
  it('refuses a name that is not a wasi_snapshot_preview1 function (files and sockets are served, as not supported)', () => {
    const wat = wasiTask({ wasi: ['sock_open'], signatures: { sock_open: '(param i32 i32 i32) (result i32)' }, body: 'nop' });
    expect(() => runWat([{ name: 'a', label: 1, wat }]))
      .toThrow("task 'a': imports WASI function 'wasi_snapshot_preview1.sock_open', which Rampart does not provide (not a wasi_snapshot_preview1 function; every one of those is served, files and sockets as not supported)");
  });

  it('refuses a served function imported with the wrong signature', () => {
    const wat = wasiTask({ wasi: ['fd_write'], signatures: { fd_write: '(param i32 i32) (result i32)' }, body: 'nop' });
    expect(() => runWat([{ name: 'a', label: 1, wat }]))
      .toThrow("task 'a': 'wasi_snapshot_preview1.fd_write' has signature (i32, i32) -> (i32), expected (i32, i32, i32, i32) -> (i32)");
  });

  it('refuses CONFIG_TASK_LIBC on an app that is not C', async () => {
    const p = mkdtempSync(join(tmpdir(), 'rampart-hosted-as-'));
    writeFileSync(join(p, 'prj.conf'), '');
    writeFileSync(join(p, 'board.dts'), '/dts-v1/;\n/ { };\n');
    mkdirSync(join(p, 'apps', 'x', 'assembly'), { recursive: true });
    writeFileSync(join(p, 'apps', 'x', 'assembly', 'index.ts'), 'export function main(): i32 { return 0; }\n');
    writeFileSync(join(p, 'apps', 'x', 'task.conf'), 'CONFIG_TASK_LABEL=0x10\nCONFIG_TASK_LIBC=y\n');
    const message = await buildProject(p).then(() => 'built', (e: unknown) => (e instanceof ProjectError ? e.message : String(e)));
    expect(message).toContain('apps/x/task.conf: CONFIG_TASK_LIBC=y selects hosted C; this app is assemblyscript, remove the line');
    rmSync(p, { recursive: true, force: true });
  });
});
