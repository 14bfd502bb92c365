/**
 * Every WASI preview-1 function: what ordinary C asks of an OS, and what it gets on Rampart.
 *
 * A hosted C app built with the real toolchain sleeps (`sleep`, `usleep`, `nanosleep`,
 * `clock_nanosleep`, `poll`), yields to another task, and tries files, directories and
 * sockets: the sleeps advance virtual time by what was asked (never less, at most one tick
 * more), the yield lets the other task run, and everything Rampart does not provide fails
 * with an errno, never a success. Hand-written WAT tasks then drive `poll_oneoff` and every
 * refused function directly, with pointers out of bounds, overflowing and overlapping, and
 * check each answer against the documented table (docs/kernel.md, "WASI for hosted C").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitPolicy } from '../../toolchain/abi/index.js';
import { buildCApp } from '../../toolchain/build/c.js';
import { integrateModule } from '../../toolchain/build/project.js';
import { readTaskConfig } from '../../toolchain/config/kconfig.js';
import { readImage, writeImage } from '../../kernel/image/image.js';
import { bootImage, ImageRefused } from '../../kernel/boot/boot.js';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';
import { EMPTY_BOARD } from '../../kernel/board.js';
import { WASI_FUNCTIONS, wasiRandomGet } from '../../kernel/syscalls/gate-wasi.js';
import { nanosecondsToCycles } from '../../kernel/syscalls/gate-wasi-poll.js';
import { buildWatImage, runWat, taskWat, watToWasm } from '../helpers/wat.js';
import { bystander, end, r, WASI_PREVIEW1, wasiTask } from '../helpers/wasi-wat.js';

const FREQ = DEFAULT_KERNEL_CONFIG.nominalFrequencyHz;

describe('the WASI table', () => {
  it('has every wasi_snapshot_preview1 function with its exact signature, and nothing else', () => {
    const table = Object.fromEntries([...WASI_FUNCTIONS.values()].map((f) => {
      const params = f.params.length > 0 ? `(param ${f.params.join(' ')})` : '';
      const results = f.results.length > 0 ? `(result ${f.results.join(' ')})` : '';
      return [f.name, [params, results].filter((s) => s !== '').join(' ')];
    }));
    expect(table).toEqual(WASI_PREVIEW1);
    expect(Object.keys(table)).toHaveLength(46);
  });

  it('lists the three switching functions as blocking (Asyncify instruments them)', () => {
    expect([...WASI_FUNCTIONS.values()].filter((f) => f.blocking).map((f) => f.name).sort()).toEqual(['poll_oneoff', 'proc_exit', 'sched_yield']);
  });

  it('converts nanoseconds to cycles rounding up, exactly', () => {
    const cases: [number, number][] = [
      [0, 64_000_000], [1, 64_000_000], [15, 64_000_000], [16, 64_000_000], [999_999_999, 64_000_000], [1e9, 64_000_000],
      [1e9 + 1, 64_000_000], [2.5e6, 64_000_000], [123_456_789_123, 64_000_000], [999_999_999, 4_000_000_000],
      [987_654_321_987, 1_000_003], [140_737_488_355_327, 64_000_000], [2 ** 53 - 1, 1_000_000], [3_999_999_999, 3_999_999_937],
    ];
    for (const [ns, freq] of cases) {
      const exact = (BigInt(ns) * BigInt(freq) + 999_999_999n) / 1_000_000_000n;
      expect(nanosecondsToCycles(ns, freq), `${ns} ns at ${freq} Hz`).toBe(Number(exact));
    }
  });
});

// ---------------------------------------------------------------------------------------
// Hosted C.

const POSIX_C = `
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A sleep lasts until the first 1 ms tick at or after its deadline: never less. */
static void slept(const char *what, int r, long long before, long long asked_ns)
{
    long long took = now_ns() - before;
    printf("%s: %d, at least %lld ns: %s, at most a tick more: %s\\n", what, r, asked_ns,
           took >= asked_ns ? "yes" : "no", took < asked_ns + 1000000 + 100000 ? "yes" : "no");
}

static void outcome(const char *what, int failed, int e)
{
    printf("%s: %s, errno %d (%s)\\n", what, failed ? "fails" : "SUCCEEDS", e, strerror(e));
}

int main(void)
{
    printf("before yield\\n");
    printf("sched_yield: %d\\n", sched_yield());

    long long t0 = now_ns();
    slept("sleep(1)", sleep(1), t0, 1000000000LL);
    t0 = now_ns();
    slept("usleep(2500)", usleep(2500), t0, 2500000LL);
    t0 = now_ns();
    struct timespec req = { 0, 1500000 };
    slept("nanosleep(1.5 ms)", nanosleep(&req, NULL), t0, 1500000LL);
    t0 = now_ns();
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += 3000000;
    if (until.tv_nsec >= 1000000000) { until.tv_nsec -= 1000000000; until.tv_sec++; }
    slept("clock_nanosleep(absolute, +3 ms)", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL), t0, 3000000LL);
    t0 = now_ns();
    slept("poll(no fds, 5 ms)", poll(NULL, 0, 5), t0, 5000000LL);

    struct pollfd pfd = { .fd = 0, .events = POLLIN };
    t0 = now_ns();
    int r = poll(&pfd, 1, 10);
    printf("poll(stdin, 10 ms): %d, revents POLLERR: %s, waited: %s\\n", r, pfd.revents == POLLERR ? "yes" : "no", now_ns() - t0 >= 10000000LL ? "yes" : "no");
    struct pollfd none = { .fd = 5, .events = POLLIN };
    printf("poll(fd 5, 10 ms): %d, revents POLLNVAL: %s\\n", poll(&none, 1, 10), none.revents == POLLNVAL ? "yes" : "no");

    struct stat st;
    errno = 0; outcome("fopen(\\"x\\", \\"r\\")", fopen("x", "r") == NULL, errno);
    errno = 0; outcome("fopen(\\"/data/x\\", \\"w\\")", fopen("/data/x", "w") == NULL, errno);
    errno = 0; outcome("open(\\"x\\", O_RDONLY)", open("x", O_RDONLY) < 0, errno);
    errno = 0; outcome("stat(\\"x\\")", stat("x", &st) != 0, errno);
    errno = 0; outcome("opendir(\\".\\")", opendir(".") == NULL, errno);
    errno = 0; outcome("remove(\\"x\\")", remove("x") != 0, errno);
    errno = 0; outcome("fstat(1)", fstat(1, &st) != 0, errno);
    errno = 0; outcome("fsync(1)", fsync(1) != 0, errno);
    errno = 0; outcome("ftruncate(1, 0)", ftruncate(1, 0) != 0, errno);
    errno = 0; outcome("fstat(5)", fstat(5, &st) != 0, errno);
    errno = 0; outcome("lseek(1, 0, SEEK_CUR)", lseek(1, 0, SEEK_CUR) < 0, errno);
    errno = 0; outcome("accept(3)", accept(3, NULL, NULL) < 0, errno);
    errno = 0; outcome("send(3)", send(3, "x", 1, 0) < 0, errno);
    errno = 0; outcome("shutdown(3)", shutdown(3, SHUT_RDWR) != 0, errno);
    printf("bye\\n");
    return 0;
}
`;

describe('hosted C: sleeping, yielding, files, directories, sockets', () => {
  const work = mkdtempSync(join(tmpdir(), 'rampart-hosted-posix-'));
  const appDir = join(work, 'apps', 'posix');
  let wasm: Uint8Array;
  let run: { lines: string[]; cycles: number; tasks: readonly { name: string; state: string; exitStatus: number | null }[] };

  beforeAll(async () => {
    mkdirSync(join(appDir, 'src'), { recursive: true });
    writeFileSync(join(appDir, 'src', 'main.c'), POSIX_C);
    wasm = (await buildCApp({ appDir, appName: 'posix', exchangeAreaLen: 128, stackSize: 0x2000, heapSize: 0x2000, libc: true, cacheDir: false })).wasm;
    const config = readTaskConfig('CONFIG_TASK_LABEL=0x10\nCONFIG_TASK_AUTO_START=y\nCONFIG_TASK_LIBC=y\nCONFIG_TASK_PRIORITY=1\n', 'task.conf');
    const task = integrateModule('posix', config, wasm, 'apps/posix/task.conf', DEFAULT_KERNEL_CONFIG);
    // A second task of the same priority, queued behind it (a higher label): it runs before
    // the C task's end only if the C task yields.
    const other = integrateModule('z', { ...config, label: 0x20, heapSize: 0, stackSize: 0x2000, libc: false }, watToWasm(bystander.wat), 'z/task.conf', DEFAULT_KERNEL_CONFIG);
    const lines: string[] = [];
    const k = bootImage(writeImage(DEFAULT_KERNEL_CONFIG, [task, other], EMPTY_BOARD), { seed: 7, console: { line: (l) => lines.push(l) } });
    const result = k.run();
    run = { lines, cycles: result.cycles, tasks: result.tasks };
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('links the file, directory, socket, poll and yield imports, and integration accepts them', () => {
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>)).map((i) => `${i.module}.${i.name}`);
    for (const name of ['fd_prestat_get', 'fd_prestat_dir_name', 'path_open', 'path_filestat_get', 'path_unlink_file', 'fd_filestat_get', 'fd_sync', 'poll_oneoff', 'sched_yield', 'sock_accept', 'sock_send', 'sock_shutdown']) {
      expect(imports).toContain(`wasi_snapshot_preview1.${name}`);
    }
  });

  it('sched_yield lets the other task of its priority run', () => {
    expect(run.lines.slice(0, 3)).toEqual(['[posix] before yield', '[z] still here', '[posix] sched_yield: 0']);
  });

  it('sleep, usleep, nanosleep, clock_nanosleep and poll advance virtual time by what was asked', () => {
    expect(run.lines.slice(3, 10)).toEqual([
      '[posix] sleep(1): 0, at least 1000000000 ns: yes, at most a tick more: yes',
      '[posix] usleep(2500): 0, at least 2500000 ns: yes, at most a tick more: yes',
      '[posix] nanosleep(1.5 ms): 0, at least 1500000 ns: yes, at most a tick more: yes',
      '[posix] clock_nanosleep(absolute, +3 ms): 0, at least 3000000 ns: yes, at most a tick more: yes',
      '[posix] poll(no fds, 5 ms): 0, at least 5000000 ns: yes, at most a tick more: yes',
      // the console cannot be polled: an event at once, with an error (wasi-libc: POLLERR)
      '[posix] poll(stdin, 10 ms): 1, revents POLLERR: yes, waited: no',
      // a descriptor that does not exist: EBADF, which wasi-libc reports as POLLNVAL
      '[posix] poll(fd 5, 10 ms): 1, revents POLLNVAL: yes',
    ]);
    // The whole run: at least the 1.013 s slept, and not much more (nothing else takes time).
    expect(run.cycles).toBeGreaterThanOrEqual(1.013 * FREQ);
    expect(run.cycles).toBeLessThan(1.03 * FREQ);
  });

  it('files, directories and sockets fail with an errno, never a success', () => {
    expect(run.lines.slice(10)).toEqual([
      // no preopened directory: wasi-libc finds no directory for any path, ENOENT (44)
      '[posix] fopen("x", "r"): fails, errno 44 (No such file or directory)',
      '[posix] fopen("/data/x", "w"): fails, errno 44 (No such file or directory)',
      '[posix] open("x", O_RDONLY): fails, errno 44 (No such file or directory)',
      '[posix] stat("x"): fails, errno 44 (No such file or directory)',
      '[posix] opendir("."): fails, errno 44 (No such file or directory)',
      '[posix] remove("x"): fails, errno 44 (No such file or directory)',
      // the console is no file: ENOTSUP (58); any other descriptor does not exist: EBADF (8)
      '[posix] fstat(1): fails, errno 58 (Not supported)',
      '[posix] fsync(1): fails, errno 58 (Not supported)',
      '[posix] ftruncate(1, 0): fails, errno 58 (Not supported)',
      '[posix] fstat(5): fails, errno 8 (Bad file descriptor)',
      '[posix] lseek(1, 0, SEEK_CUR): fails, errno 70 (Invalid seek)',
      // no network
      '[posix] accept(3): fails, errno 58 (Not supported)',
      '[posix] send(3): fails, errno 58 (Not supported)',
      '[posix] shutdown(3): fails, errno 58 (Not supported)',
      '[posix] bye',
    ]);
    expect(run.tasks.map((t) => [t.name, t.state, t.exitStatus])).toEqual([['posix', 'finished', 0], ['z', 'finished', 0]]);
  });
});

// ---------------------------------------------------------------------------------------
// poll_oneoff and sched_yield from hand-written callers.

const IN = 8192;
const OUT = 12288;
const NEVENTS = 16000;
const CLOCK_AT = 20000;

/** Store a clock subscription at `at`. */
const clockSub = (at: number, userdata: number, id: number, timeoutNs: number | bigint, flags = 0) => `
  (i64.store (i32.const ${at}) (i64.const ${userdata}))
  (i32.store8 (i32.const ${at + 8}) (i32.const 0))
  (i32.store (i32.const ${at + 16}) (i32.const ${id}))
  (i64.store (i32.const ${at + 24}) (i64.const ${timeoutNs}))
  (i64.store (i32.const ${at + 32}) (i64.const 0))
  (i32.store16 (i32.const ${at + 40}) (i32.const ${flags}))`;
/** Store an fd subscription (tag 1 read, 2 write; another tag for hostile input) at `at`. */
const fdSub = (at: number, userdata: number, tag: number, fd: number) => `
  (i64.store (i32.const ${at}) (i64.const ${userdata}))
  (i32.store8 (i32.const ${at + 8}) (i32.const ${tag}))
  (i32.store (i32.const ${at + 16}) (i32.const ${fd}))`;
const poll = (count: number | string, inPtr: number | string = IN, outPtr: number | string = OUT, nevents: number | string = NEVENTS) => {
  const w = (x: number | string) => (typeof x === 'number' ? `(i32.const ${x})` : x);
  return `(call $poll_oneoff ${w(inPtr)} ${w(outPtr)} ${w(count)} ${w(nevents)})`;
};
/** Read the virtual clock (ns) into $a. */
const clockToA = `(drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const ${CLOCK_AT}))) (local.set $a (i64.load (i32.const ${CLOCK_AT})))`;
/** Elapsed ns since $a, as an i64 expression (reads the clock again). */
const elapsed = `(block (result i64) (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const ${CLOCK_AT}))) (i64.sub (i64.load (i32.const ${CLOCK_AT})) (local.get $a)))`;
/** Report event `n`: userdata (low byte), error, type. */
const event = (n: number) => [
  r(`(i32.load8_u (i32.const ${OUT + n * 32}))`),
  r(`(i32.load16_u (i32.const ${OUT + n * 32 + 8}))`),
  r(`(i32.load8_u (i32.const ${OUT + n * 32 + 10}))`),
].join(' ');
const POLLER = ['poll_oneoff', 'clock_time_get'];
const lines = (name: string, values: readonly number[]) => values.map((x) => `[${name}] s=${String(x).padStart(2, '0')}`);

describe('WASI gate: poll_oneoff', () => {
  it('sleeps until a relative clock deadline, never less, at most a tick more, while the others run', () => {
    const body = `
      ${clockSub(IN, 0x34, 1, 2_500_000)}
      ${clockToA}
      ${r(poll(1))}
      ${r(`(i32.load (i32.const ${NEVENTS}))`)} ${event(0)}
      (local.set $b ${elapsed})
      ${r('(i64.ge_u (local.get $b) (i64.const 2500000))')}
      ${r('(i64.lt_u (local.get $b) (i64.const 3600000))')}`;
    const run = runWat([{ name: 'a', label: 1, priority: 2, wat: wasiTask({ wasi: POLLER, body }) }, bystander]);
    // z (lower priority) runs only because a is asleep.
    expect(run.lines).toEqual(['[z] still here', ...lines('a', [0, 1, 0x34 % 100, 0, 0, 1, 1])]);
    expect(run.result.tasks.map((t) => t.state)).toEqual(['finished', 'finished']);
  });

  it('takes ABSTIME deadlines against the virtual clock and reports every clock due at the wake-up, in order', () => {
    // 10 ms is tick 10 exactly; 10 ms + 1 ns is one cycle later, so not due at that tick.
    const body = `
      ${clockSub(IN, 1, 0, 10_000_001, 1)} ${clockSub(IN + 48, 2, 1, 10_000_000, 1)} ${clockSub(IN + 96, 3, 0, 9_999_995, 1)}
      ${clockToA}
      ${r(poll(3))}
      ${r(`(i32.load (i32.const ${NEVENTS}))`)} ${event(0)} ${event(1)}
      (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const ${CLOCK_AT})))
      ${r(`(i64.ge_u (i64.load (i32.const ${CLOCK_AT})) (i64.const 10000000))`)}
      ${r(`(i64.lt_u (i64.load (i32.const ${CLOCK_AT})) (i64.const 10100000))`)}`;
    const run = runWat([{ name: 'a', label: 1, wat: wasiTask({ wasi: POLLER, body }) }]);
    expect(run.lines).toEqual(lines('a', [0, 2, 2, 0, 0, 3, 0, 0, 1, 1]));
  });

  it('does not sleep for a deadline already due (absolute in the past, relative 0)', () => {
    const body = `
      ${clockToA}
      ${clockSub(IN, 5, 1, 0, 1)} ${r(poll(1))} ${r(`(i32.load (i32.const ${NEVENTS}))`)} ${event(0)}
      ${clockSub(IN, 6, 0, 0)} ${r(poll(1))} ${r(`(i32.load (i32.const ${NEVENTS}))`)} ${event(0)}
      ${r(`(i64.lt_u ${elapsed} (i64.const 100000))`)}`;
    const run = runWat([{ name: 'a', label: 1, wat: wasiTask({ wasi: POLLER, body }) }]);
    expect(run.lines).toEqual(lines('a', [0, 1, 5, 0, 0, 0, 1, 6, 0, 0, 1]));
  });

  it('answers fd subscriptions at once with ENOTSUP (console) or EBADF (no such fd), and bad clocks with EINVAL', () => {
    const body = `
      ${clockToA}
      ${clockSub(IN, 9, 1, 1_000_000_000)} ${fdSub(IN + 48, 10, 1, 0)} ${fdSub(IN + 96, 11, 2, 7)}
      ${r(poll(3))} ${r(`(i32.load (i32.const ${NEVENTS}))`)} ${event(0)} ${event(1)}
      ${clockSub(IN, 12, 2, 1_000_000_000)} ${clockSub(IN + 48, 13, 1, 1_000_000_000, 2)} ${clockSub(IN + 96, 14, 99, 5)}
      ${r(poll(3))} ${r(`(i32.load (i32.const ${NEVENTS}))`)} ${event(0)} ${event(1)} ${event(2)}
      ${r(`(i64.lt_u ${elapsed} (i64.const 100000))`)}`;
    const run = runWat([{ name: 'a', label: 1, wat: wasiTask({ wasi: POLLER, body }) }]);
    expect(run.lines).toEqual(lines('a', [0, 2, 10, 58, 1, 11, 8, 2, 0, 3, 12, 28, 0, 13, 28, 0, 14, 28, 0, 1]));
  });

  it('is not cut short by a signal: the sleep is deep', () => {
    const sleeper = wasiTask({ wasi: POLLER, body: `${clockSub(IN, 1, 1, 5_000_000)} ${clockToA} ${r(poll(1))} ${r(`(i64.ge_u ${elapsed} (i64.const 5000000))`)}` });
    const signaller = taskWat({
      imports: ['log', 'get_process_handle', 'send_signal'],
      body: `(drop (call $get_process_handle (i32.const 1))) (local.set $h (i32.load (i32.const 1024))) (call $report (call $send_signal (local.get $h) (i32.const 8)))`,
    });
    const run = runWat([{ name: 'a', label: 1, priority: 2, wat: sleeper }, { name: 'b', label: 2, priority: 1, wat: signaller }]);
    expect(run.lines).toEqual(['[b] s=00', '[a] s=00', '[a] s=01']);
  });

  it('reads every subscription before writing any event: overlapping arrays give the right events', () => {
    const body = `
      ${clockSub(IN, 0x11, 1, 0)} ${clockSub(IN + 48, 0x22, 0, 0, 1)}
      ${r(poll(2, IN, IN))} ${r(`(i32.load (i32.const ${NEVENTS}))`)}
      ${r(`(i32.load8_u (i32.const ${IN}))`)} ${r(`(i32.load8_u (i32.const ${IN + 32}))`)}`;
    const run = runWat([{ name: 'a', label: 1, wat: wasiTask({ wasi: POLLER, body }) }]);
    expect(run.lines).toEqual(lines('a', [0, 2, 0x11 % 100, 0x22 % 100]));
  });

  it('refuses hostile arguments with EINVAL or EFAULT, writing nothing, and the kernel runs on', () => {
    const sentinel = `(i32.store (i32.const ${OUT}) (i32.const 0x5a5a5a5a)) (i32.store (i32.const ${NEVENTS}) (i32.const 0x5a5a5a5a))`;
    const untouched = `(i32.and (i32.eq (i32.load (i32.const ${OUT})) (i32.const 0x5a5a5a5a)) (i32.eq (i32.load (i32.const ${NEVENTS})) (i32.const 0x5a5a5a5a)))`;
    const cases = [
      // no subscription, too many, a count whose array size wraps in 32 bits
      poll(0), poll(1025), poll(-1), poll(0x05555556),
      // a tag that is neither clock, fd_read nor fd_write: the whole call
      `(block (result i32) ${fdSub(IN, 1, 3, 0)} ${poll(1)})`,
      `(block (result i32) ${clockSub(IN, 1, 1, 0)} ${fdSub(IN + 48, 1, 255, 0)} ${poll(2)})`,
      // the subscriptions out of bounds, straddling the end, wrapping
      poll(1, 0xffffffd0), poll(1, end(40)), poll(2, end(60)),
      // the events: out of bounds, room for 1 of 2, wrapping
      `(block (result i32) ${clockSub(IN, 1, 1, 0)} ${poll(1, IN, -16)})`,
      `(block (result i32) ${clockSub(IN, 1, 1, 0)} ${clockSub(IN + 48, 1, 1, 0)} ${poll(2, IN, end(40))})`,
      // nevents out of bounds or straddling
      `(block (result i32) ${clockSub(IN, 1, 1, 0)} ${poll(1, IN, OUT, -2)})`,
      `(block (result i32) ${clockSub(IN, 1, 1, 0)} ${poll(1, IN, OUT, end(3))})`,
    ];
    const body = cases.map((c) => `${sentinel} ${r(c)} ${r(untouched)}`).join(' ');
    const run = runWat([{ name: 'a', label: 1, priority: 2, wat: wasiTask({ wasi: POLLER, body }) }, bystander]);
    const errnos = [28, 28, 28, 28, 28, 28, 21, 21, 21, 21, 21, 21, 21];
    expect(run.lines).toEqual([...lines('a', errnos.flatMap((e) => [e, 1])), '[z] still here']);
    expect(run.result.tasks.map((t) => t.state)).toEqual(['finished', 'finished']);
  });
});

describe('WASI gate: sched_yield', () => {
  it('is the kernel yield, and a module may import it from both wasi_snapshot_preview1 and rampart', () => {
    const body = `${r('(i32.const 1)')} ${r('(call $sched_yield)')} ${r('(call $rampart_sched_yield)')} ${r('(i32.const 2)')}`;
    const run = runWat([
      { name: 'a', label: 1, priority: 1, wat: wasiTask({ wasi: ['sched_yield'], rampart: ['sched_yield'], body }) },
      { ...bystander, priority: 1 },
    ]);
    expect(run.lines).toEqual(['[a] s=01', '[z] still here', '[a] s=00', '[a] s=00', '[a] s=02']);
    // The same with the trace on (its own import paths), and a poll sleep recorded too.
    const traced = runWat([
      { name: 'a', label: 1, priority: 1, wat: wasiTask({ wasi: ['sched_yield', ...POLLER], rampart: ['sched_yield'], body: `${body} ${clockSub(IN, 1, 1, 2_000_000)} ${r(poll(1))}` }) },
      { ...bystander, priority: 1 },
    ], {}, { trace: true });
    expect(traced.lines).toEqual(['[a] s=01', '[z] still here', '[a] s=00', '[a] s=00', '[a] s=02', '[a] s=00']);
    expect(traced.result.cycles).toBeGreaterThanOrEqual(0.002 * FREQ);
  });
});

// ---------------------------------------------------------------------------------------
// What Rampart does not provide.

/** The documented answer of every refused function: [on fd 0/1/2, on any other fd]. */
const REFUSED: Readonly<Record<string, readonly [number, number]>> = {
  fd_advise: [58, 8], fd_allocate: [58, 8], fd_datasync: [58, 8], fd_fdstat_set_flags: [58, 8],
  fd_fdstat_set_rights: [58, 8], fd_filestat_get: [58, 8], fd_filestat_set_size: [58, 8],
  fd_filestat_set_times: [58, 8], fd_pread: [70, 8], fd_prestat_get: [8, 8], fd_prestat_dir_name: [8, 8],
  fd_pwrite: [70, 8], fd_readdir: [58, 8], fd_renumber: [58, 8], fd_sync: [58, 8], fd_tell: [70, 8],
  path_create_directory: [58, 58], path_filestat_get: [58, 58], path_filestat_set_times: [58, 58],
  path_link: [58, 58], path_open: [58, 58], path_readlink: [58, 58], path_remove_directory: [58, 58],
  path_rename: [58, 58], path_symlink: [58, 58], path_unlink_file: [58, 58],
  proc_raise: [52, 52],
  sock_accept: [58, 58], sock_recv: [58, 58], sock_send: [58, 58], sock_shutdown: [58, 58],
};

/** A call of WASI function `name`: fd `fd` first (both fds for fd_renumber), every other i32 `pointer`, every i64 0. */
function refusedCall(name: string, fd: number, pointer: number): string {
  const params = /\(param ([^)]*)\)/.exec(WASI_PREVIEW1[name]!)![1]!.split(' ');
  const fds = name === 'fd_renumber' ? 2 : 1;
  const args = params.map((type, i) => (type === 'i64' ? '(i64.const 0)' : `(i32.const ${i < fds ? fd : pointer})`));
  return `(call $${name} ${args.join(' ')})`;
}

describe('WASI gate: files, directories, sockets, signals', () => {
  it('the table refuses exactly the functions documented as not provided', () => {
    expect([...WASI_FUNCTIONS.values()].filter((f) => f.refusal !== undefined).map((f) => f.name).sort()).toEqual(Object.keys(REFUSED).sort());
  });

  it('every one answers its documented errno whatever the pointers, and writes nothing', () => {
    const names = Object.keys(REFUSED);
    const sentinel = '(i64.store (i32.const 8000) (i64.const 0x5a5a5a5a5a5a5a5a))';
    const untouched = '(i64.eq (i64.load (i32.const 8000)) (i64.const 0x5a5a5a5a5a5a5a5a))';
    const body = names.map((n) => [
      r(refusedCall(n, 1, -1)), r(refusedCall(n, 7, -1)), r(refusedCall(n, 0xffffffff, 0x7ffffff0)),
      sentinel, r(refusedCall(n, 2, 8000)), r(untouched),
    ].join(' ')).join('\n');
    const run = runWat([{ name: 'a', label: 1, priority: 2, wat: wasiTask({ wasi: names, body }) }, bystander]);
    const expected = names.flatMap((n) => [REFUSED[n]![0], REFUSED[n]![1], REFUSED[n]![1], REFUSED[n]![0], 1]);
    expect(run.lines).toEqual([...lines('a', expected), '[z] still here']);
  });

  it('random_get reached without CAP_CRY_KRNG answers ENOTCAPABLE (the import itself is refused at integration)', () => {
    const run = runWat([{ name: 'a', label: 1, exitPolicy: ExitPolicy.NoRestart, wat: wasiTask({ wasi: [], body: 'nop' }) }]);
    const t = run.kernel.findLabel(1);
    expect(wasiRandomGet(run.kernel, t, 8000, 4)).toBe(76);
  });
});

describe('WASI imports at boot', () => {
  /** An image whose only task imports `fd_sync` and `proc_raise`, with the names patched. */
  function patched(from: string, to: string): string {
    const good = buildWatImage([{ name: 'x', label: 1, wat: wasiTask({ wasi: ['fd_sync', 'proc_raise'], body: '(drop (call $fd_sync (i32.const 1))) (drop (call $proc_raise (i32.const 2)))' }) }]);
    const read = readImage(good);
    const tasks = read.tasks.map((t) => {
      const bytes = new Uint8Array(t.module);
      const needle = new TextEncoder().encode(from);
      for (let i = 0; i + needle.length <= bytes.length; i++) {
        if (needle.every((b, j) => bytes[i + j] === b)) bytes.set(new TextEncoder().encode(to), i);
      }
      return { ...t, module: bytes };
    });
    try {
      bootImage(writeImage(read.kernel, tasks, read.board), { seed: 0, console: { line: () => undefined } });
    } catch (e) {
      if (e instanceof ImageRefused) return e.message;
      throw e;
    }
    return 'booted';
  }

  it('accepts every WASI name it serves, refuses an unknown name and a wrong signature', () => {
    expect(patched('fd_sync', 'fd_sync')).toBe('booted');
    expect(patched('proc_raise', 'proc_raisX')).toBe([
      'image refused:',
      "  - task 'x': imports WASI function 'wasi_snapshot_preview1.proc_raisX', which Rampart does not provide (not a wasi_snapshot_preview1 function; every one of those is served, files and sockets as not supported)",
    ].join('\n'));
    expect(patched('fd_sync', 'fd_tell')).toBe([
      'image refused:',
      "  - task 'x': 'wasi_snapshot_preview1.fd_tell' has signature (i32) -> (i32), expected (i32, i32) -> (i32)",
    ].join('\n'));
  });
});
