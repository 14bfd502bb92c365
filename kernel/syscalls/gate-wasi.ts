/**
 * The WASI gate: every `wasi_snapshot_preview1` function, served from the calling task's
 * capabilities, so that standard C from wasi-libc builds and runs on Rampart.
 *
 * Owns the table of WASI functions (`WASI_FUNCTIONS`: name, exact signature, gating
 * capability, whether it may switch tasks, and for what Rampart does not provide the errno
 * it answers), the console, clock, entropy and argument gates, and the import wrappers
 * `table.ts` installs. What each function means on Rampart:
 * - `fd_write` to fd 1 or 2 is the task's console, assembled into lines exactly like
 *   `log`; fd 0 and every other fd are `EBADF`.
 * - `fd_fdstat_get` on 0/1/2 describes a character device without seek/tell rights, which
 *   is what makes wasi-libc treat stdout as a terminal (line-buffered). Other fds: `EBADF`.
 * - `fd_close`, `fd_read` (0/1/2: `ENOSYS`, the console cannot be closed or read) and
 *   `fd_seek` (0/1/2: `ESPIPE`, a character device has no offset); other fds `EBADF`.
 * - `clock_time_get` / `clock_res_get`: REALTIME and MONOTONIC are both the virtual time
 *   since boot (`kernel.now()` cycles at the nominal frequency, exact integer nanoseconds).
 *   Rampart has no wall clock and runs must be reproducible, so the epoch is the boot.
 *   The CPU-time clocks and unknown ids are `EINVAL`.
 * - `random_get`: the kernel entropy, only with CAP_CRY_KRNG. The import itself is refused
 *   at integration and boot without the capability (imports are capabilities); the gate
 *   still answers `ENOTCAPABLE` should it ever be reached without it.
 * - `args_*`, `environ_*`: a task has no arguments and no environment (0 and 0).
 * - `proc_exit` is the `exit` syscall: the job ends and the task unwinds.
 * - `sched_yield` and `poll_oneoff` (sleeping on clocks) switch tasks: gate-wasi-poll.ts.
 * - Everything else (files, directories, sockets, signals) is not provided and answers an
 *   error, never a fake success; `WASI_REFUSALS` below says which, and why.
 * Every name of `wasi_snapshot_preview1` is in the table; any other name, and any name
 * imported with another signature, is refused at integration and boot (import-policy.ts).
 *
 * Task memory. WASI passes pointers, so this is the one place where the kernel reads and
 * writes task memory outside the exchange area. That is acceptable because the memory is
 * the caller's own: the gate can neither reach another task's memory nor any kernel
 * state through it, and the worst a bad pointer can do is hand the caller its own bytes
 * or overwrite its own data, which it could do itself. Every pointer and length is
 * hostile all the same: each access is checked against the current memory size with
 * exact arithmetic (wasi-common.ts), a whole request is validated before anything is
 * written (an `EFAULT` leaves memory untouched), and the work per call is bounded
 * (`fd_write` copies at most one console line buffer, `random_get` at most
 * `MAX_RANDOM_BYTES`, `poll_oneoff` reads at most `MAX_POLL_SUBSCRIPTIONS`). A refusal
 * reads no memory at all, so its answer does not depend on the pointers passed.
 *
 * Invariants: no gate throws for a task's mistake (errno values are results); nothing is
 * allocated per call (the console copy goes through one preallocated scratch buffer, and
 * text is decoded only when the console completes a line); results are written only on
 * success.
 *
 * Must never: throw for a task's mistake, touch any memory but the caller's, answer
 * success for something it did not do, or serve a WASI name that is not in the table.
 */

import { Cap } from '../../toolchain/abi/index.js';
import type { Kernel } from '../kernel.js';
import { gateExit } from './gate-lifecycle.js';
import { errnoOfWake, wasiPollOneoff, wasiSchedYield } from './gate-wasi-poll.js';
import { inBounds, loadU32, memoryOf, storeU32, WASI_IMPORT_MODULE, WasiErrno } from './wasi-common.js';

export { WASI_IMPORT_MODULE, WasiErrno } from './wasi-common.js';

/**
 * How a WASI function Rampart does not provide answers: `errno`, after checking its leading
 * descriptor arguments. Answers are chosen for what wasi-libc's callers do with them:
 * - descriptor operations (`fd_*`): a task has no descriptor but the console, so any fd
 *   other than 0/1/2 is `EBADF`, as from every served `fd_*` function; on the console,
 *   `ESPIPE` for positioned I/O (a character device has no offset, like `fd_seek`) and
 *   `ENOTSUP` for the rest (no file behind it);
 * - `fd_prestat_get`, `fd_prestat_dir_name`: `EBADF` for every fd. There is no preopened
 *   directory, and wasi-libc's preopen scan (run before main when `fopen`, `stat`,
 *   `opendir`... are linked) stops at the first `EBADF`: any other errno makes it exit the
 *   program with EX_OSERR. With no preopen, path-based calls then fail in libc itself
 *   (`ENOENT` from `fopen`, `stat`, `opendir`, `remove`) without reaching the kernel;
 * - `path_*`: `ENOTSUP` whatever the directory descriptor (Rampart has no file system);
 * - `sock_*`: `ENOTSUP` (no network);
 * - `proc_raise`: `ENOSYS` (no signals at all; wasi-libc's `raise` does not call it).
 */
export interface WasiRefusal {
  /** How many leading arguments are descriptors: any of them above 2 is answered `EBADF`. */
  readonly fdArguments: 0 | 1 | 2;
  /** The errno otherwise. */
  readonly errno: number;
}

/** One `wasi_snapshot_preview1` function. */
export interface WasiFunctionInfo {
  readonly name: string;
  /** Exact parameter types; a module importing it with another signature is refused. */
  readonly params: readonly ('i32' | 'i64')[];
  readonly results: readonly 'i32'[];
  /** Capability a task must hold to import it (0: none). */
  readonly capability: number;
  /** True when the call may switch tasks (Asyncify must instrument it). */
  readonly blocking: boolean;
  /** What a program calls that ends up here, for messages and docs. */
  readonly usedBy: string;
  /** Set when Rampart does not provide it: the error it answers instead. */
  readonly refusal?: WasiRefusal;
}

type WasmType = 'i32' | 'i64';

const I32 = 'i32' as const;
const I64 = 'i64' as const;

interface ServedOptions { readonly capability?: number; readonly blocking?: boolean; readonly results?: readonly 'i32'[] }

const served = (name: string, params: readonly WasmType[], usedBy: string, o: ServedOptions = {}): WasiFunctionInfo =>
  Object.freeze({ name, params, results: o.results ?? [I32], capability: o.capability ?? 0, blocking: o.blocking ?? false, usedBy });

const refused = (name: string, params: readonly WasmType[], usedBy: string, errno: number, fdArguments: 0 | 1 | 2): WasiFunctionInfo =>
  Object.freeze({ name, params, results: [I32], capability: 0, blocking: false, usedBy, refusal: Object.freeze({ errno, fdArguments }) });

const { BadF, NoSys, NotSup, SPipe } = WasiErrno;

/**
 * Every `wasi_snapshot_preview1` function, in the order of its witx definition, with the
 * core-wasm signature wasi-libc imports it with (checked against wasi-libc's `libc.a`).
 * A task may import any of them; those with a `refusal` answer an error.
 */
export const WASI_FUNCTIONS: ReadonlyMap<string, WasiFunctionInfo> = new Map([
  served('args_get', [I32, I32], 'main(int argc, char **argv)'),
  served('args_sizes_get', [I32, I32], 'main(int argc, char **argv)'),
  served('environ_get', [I32, I32], 'getenv'),
  served('environ_sizes_get', [I32, I32], 'getenv'),
  served('clock_res_get', [I32, I32], 'clock_getres'),
  served('clock_time_get', [I32, I64, I32], 'clock_gettime, time'),
  refused('fd_advise', [I32, I64, I64, I32], 'posix_fadvise', NotSup, 1),
  refused('fd_allocate', [I32, I64, I64], 'posix_fallocate', NotSup, 1),
  served('fd_close', [I32], 'close, fclose'),
  refused('fd_datasync', [I32], 'fdatasync', NotSup, 1),
  served('fd_fdstat_get', [I32, I32], 'stdio, isatty, fcntl(F_GETFL)'),
  refused('fd_fdstat_set_flags', [I32, I32], 'fcntl(F_SETFL), fopen', NotSup, 1),
  refused('fd_fdstat_set_rights', [I32, I64, I64], '(no libc function)', NotSup, 1),
  refused('fd_filestat_get', [I32, I32], 'fstat', NotSup, 1),
  refused('fd_filestat_set_size', [I32, I64], 'ftruncate', NotSup, 1),
  refused('fd_filestat_set_times', [I32, I64, I64, I32], 'futimens', NotSup, 1),
  refused('fd_pread', [I32, I32, I32, I64, I32], 'pread', SPipe, 1),
  refused('fd_prestat_get', [I32, I32], 'the preopen scan before main (fopen, stat, opendir...)', BadF, 0),
  refused('fd_prestat_dir_name', [I32, I32, I32], 'the preopen scan before main', BadF, 0),
  refused('fd_pwrite', [I32, I32, I32, I64, I32], 'pwrite', SPipe, 1),
  served('fd_read', [I32, I32, I32, I32], 'read, stdin'),
  refused('fd_readdir', [I32, I32, I32, I64, I32], 'readdir', NotSup, 1),
  refused('fd_renumber', [I32, I32], 'dup2', NotSup, 2),
  served('fd_seek', [I32, I64, I32, I32], 'lseek, stdio'),
  refused('fd_sync', [I32], 'fsync', NotSup, 1),
  refused('fd_tell', [I32, I32], 'ftell', SPipe, 1),
  served('fd_write', [I32, I32, I32, I32], 'printf, puts, write'),
  refused('path_create_directory', [I32, I32, I32], 'mkdir', NotSup, 0),
  refused('path_filestat_get', [I32, I32, I32, I32, I32], 'stat, lstat', NotSup, 0),
  refused('path_filestat_set_times', [I32, I32, I32, I32, I64, I64, I32], 'utimensat', NotSup, 0),
  refused('path_link', [I32, I32, I32, I32, I32, I32, I32], 'link', NotSup, 0),
  refused('path_open', [I32, I32, I32, I32, I32, I64, I64, I32, I32], 'fopen, open, opendir', NotSup, 0),
  refused('path_readlink', [I32, I32, I32, I32, I32, I32], 'readlink', NotSup, 0),
  refused('path_remove_directory', [I32, I32, I32], 'rmdir, remove', NotSup, 0),
  refused('path_rename', [I32, I32, I32, I32, I32, I32], 'rename', NotSup, 0),
  refused('path_symlink', [I32, I32, I32, I32, I32], 'symlink', NotSup, 0),
  refused('path_unlink_file', [I32, I32, I32], 'unlink, remove', NotSup, 0),
  served('poll_oneoff', [I32, I32, I32, I32], 'sleep, usleep, nanosleep, clock_nanosleep, poll', { blocking: true }),
  served('proc_exit', [I32], 'exit, returning from main', { blocking: true, results: [] }),
  refused('proc_raise', [I32], '(none: wasi-libc emulates raise)', NoSys, 0),
  served('sched_yield', [], 'sched_yield', { blocking: true }),
  served('random_get', [I32, I32], 'getentropy, arc4random, getrandom', { capability: Cap.CryKrng }),
  refused('sock_accept', [I32, I32, I32], 'accept', NotSup, 0),
  refused('sock_recv', [I32, I32, I32, I32, I32, I32], 'recv, read on a socket', NotSup, 0),
  refused('sock_send', [I32, I32, I32, I32, I32], 'send, write on a socket', NotSup, 0),
  refused('sock_shutdown', [I32, I32], 'shutdown', NotSup, 0),
].map((f) => [f.name, f]));

/** `module.name` of every blocking WASI import, for the integrator's Asyncify list. */
export const WASI_BLOCKING_IMPORTS: readonly string[] = [...WASI_FUNCTIONS.values()].filter((f) => f.blocking).map((f) => `${WASI_IMPORT_MODULE}.${f.name}`);

/** Largest `iovs_len` accepted (POSIX IOV_MAX on Linux and wasi-libc). */
const IOV_MAX = 1024;
/** `fd_write` copies at most this many bytes per call (a short write; libc writes the rest). */
const MAX_WRITE_BYTES = 4096;
/** `random_get` fills at most this many bytes per call (wasi-libc asks for at most 256). */
const MAX_RANDOM_BYTES = 4096;

/** `__wasi_filetype_t` CHARACTER_DEVICE. */
const FILETYPE_CHARACTER_DEVICE = 2;
/** `__wasi_rights_t` FD_WRITE. Deliberately no FD_SEEK/FD_TELL: the console is a terminal. */
const RIGHT_FD_WRITE = 1 << 6;
/** sizeof(__wasi_fdstat_t). */
const FDSTAT_SIZE = 24;

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;

/** The console copy buffer, shared by every task: gates run one at a time. */
const scratch = new Uint8Array(MAX_WRITE_BYTES);

const TWO_32 = 0x1_0000_0000;

// ---------------------------------------------------------------------------------------
// File descriptors: the console.

/** fd_write(fd, iovs, iovs_len, nwritten): fd 1/2 to the console; short write past 4 KiB. */
export function wasiFdWrite(k: Kernel, t: number, fd: number, iovs: number, iovsLen: number, nwrittenPtr: number): number {
  const f = fd >>> 0;
  if (f !== 1 && f !== 2) return WasiErrno.BadF;
  const base = iovs >>> 0;
  const count = iovsLen >>> 0;
  const out = nwrittenPtr >>> 0;
  if (count > IOV_MAX) return WasiErrno.Inval;
  const mem = memoryOf(k, t);
  const size = mem.length;
  if (!inBounds(base, count * 8, size) || !inBounds(out, 4, size)) return WasiErrno.Fault;
  // Validate every buffer before copying any byte: EFAULT means nothing was written.
  for (let i = 0; i < count; i++) {
    const p = loadU32(mem, base + i * 8);
    const len = loadU32(mem, base + i * 8 + 4);
    if (!inBounds(p, len, size)) return WasiErrno.Fault;
  }
  let used = 0;
  for (let i = 0; i < count && used < MAX_WRITE_BYTES; i++) {
    const p = loadU32(mem, base + i * 8);
    const len = Math.min(loadU32(mem, base + i * 8 + 4), MAX_WRITE_BYTES - used);
    for (let j = 0; j < len; j++) scratch[used + j] = mem[p + j]!;
    used += len;
  }
  k.console.write(t, scratch, used);
  storeU32(mem, out, used);
  return WasiErrno.Success;
}

/** fd_fdstat_get(fd, buf): 0/1/2 are a character device (a terminal: no seek, no tell). */
export function wasiFdFdstatGet(k: Kernel, t: number, fd: number, statPtr: number): number {
  const f = fd >>> 0;
  if (f > 2) return WasiErrno.BadF;
  const p = statPtr >>> 0;
  const mem = memoryOf(k, t);
  if (!inBounds(p, FDSTAT_SIZE, mem.length)) return WasiErrno.Fault;
  for (let i = 0; i < FDSTAT_SIZE; i++) mem[p + i] = 0;
  mem[p] = FILETYPE_CHARACTER_DEVICE;
  // fs_flags (u16 at 2) stay 0; fs_rights_base (u64 at 8): write for stdout/stderr only.
  if (f !== 0) storeU32(mem, p + 8, RIGHT_FD_WRITE);
  return WasiErrno.Success;
}

/** fd_close(fd): the console cannot be closed. */
export function wasiFdClose(_k: Kernel, _t: number, fd: number): number {
  return fd >>> 0 <= 2 ? WasiErrno.NoSys : WasiErrno.BadF;
}

/** fd_read(fd, ...): there is no console input. */
export function wasiFdRead(_k: Kernel, _t: number, fd: number): number {
  return fd >>> 0 <= 2 ? WasiErrno.NoSys : WasiErrno.BadF;
}

/** fd_seek(fd, ...): a character device has no offset. */
export function wasiFdSeek(_k: Kernel, _t: number, fd: number): number {
  return fd >>> 0 <= 2 ? WasiErrno.SPipe : WasiErrno.BadF;
}

// ---------------------------------------------------------------------------------------
// Clocks: virtual time.

/**
 * Store the virtual time `cycles` at `freq` Hz as u64 nanoseconds at m[p..p+8), exactly.
 * Every intermediate stays below 2^53: the sub-second part is a three-digit-group long
 * division (rest < freq <= 4e9, times 1000 < 2^53), and the seconds are split so that
 * `seconds * 1e9` (which passes 2^53 after 104 virtual days) is assembled in 32-bit words.
 */
export function storeNanoseconds(m: Uint8Array, p: number, cycles: number, freq: number): void {
  const seconds = Math.floor(cycles / freq);
  let rest = cycles - seconds * freq;
  let frac = 0;
  for (let i = 0; i < 3; i++) {
    rest *= 1000;
    const q = Math.floor(rest / freq);
    rest -= q * freq;
    frac = frac * 1000 + q;
  }
  // ns = seconds * 1e9 + frac, with seconds = sHigh * 2^20 + sLow.
  const sHigh = Math.floor(seconds / 0x10_0000);
  const a = (seconds - sHigh * 0x10_0000) * 1e9 + frac; // < 2^50
  const b = sHigh * 1e9; // ns = b * 2^20 + a
  let low = (a % TWO_32) + (b % 4096) * 0x10_0000;
  let high = Math.floor(a / TWO_32) + Math.floor(b / 4096);
  if (low >= TWO_32) { low -= TWO_32; high += 1; }
  storeU32(m, p, low);
  storeU32(m, p + 4, high % TWO_32);
}

/** clock_time_get(id, precision, time): REALTIME and MONOTONIC are virtual ns since boot. */
export function wasiClockTimeGet(k: Kernel, t: number, id: number, timePtr: number): number {
  const c = id >>> 0;
  if (c !== CLOCK_REALTIME && c !== CLOCK_MONOTONIC) return WasiErrno.Inval;
  const p = timePtr >>> 0;
  const mem = memoryOf(k, t);
  if (!inBounds(p, 8, mem.length)) return WasiErrno.Fault;
  storeNanoseconds(mem, p, k.now(), k.config.nominalFrequencyHz);
  return WasiErrno.Success;
}

/** clock_res_get(id, res): one cycle, rounded up to whole nanoseconds. */
export function wasiClockResGet(k: Kernel, t: number, id: number, resPtr: number): number {
  const c = id >>> 0;
  if (c !== CLOCK_REALTIME && c !== CLOCK_MONOTONIC) return WasiErrno.Inval;
  const p = resPtr >>> 0;
  const mem = memoryOf(k, t);
  if (!inBounds(p, 8, mem.length)) return WasiErrno.Fault;
  storeU32(mem, p, Math.ceil(1e9 / k.config.nominalFrequencyHz));
  storeU32(mem, p + 4, 0);
  return WasiErrno.Success;
}

// ---------------------------------------------------------------------------------------
// Entropy, arguments, environment, exit.

/** random_get(buf, len): kernel entropy, CAP_CRY_KRNG only. */
export function wasiRandomGet(k: Kernel, t: number, bufPtr: number, length: number): number {
  if ((k.capabilities[t]! & Cap.CryKrng) === 0) return WasiErrno.NotCapable;
  const p = bufPtr >>> 0;
  const len = length >>> 0;
  if (len > MAX_RANDOM_BYTES) return WasiErrno.Inval;
  const mem = memoryOf(k, t);
  if (!inBounds(p, len, mem.length)) return WasiErrno.Fault;
  for (let i = 0; i < len; i += 4) {
    const v = k.entropy.next32();
    const n = Math.min(4, len - i);
    for (let j = 0; j < n; j++) mem[p + i + j] = (v >>> (8 * j)) & 0xff;
  }
  return WasiErrno.Success;
}

/** args_sizes_get / environ_sizes_get(count, buf_size): a task has none (0, 0). */
export function wasiSizesGet(k: Kernel, t: number, countPtr: number, sizePtr: number): number {
  const c = countPtr >>> 0;
  const s = sizePtr >>> 0;
  const mem = memoryOf(k, t);
  if (!inBounds(c, 4, mem.length) || !inBounds(s, 4, mem.length)) return WasiErrno.Fault;
  storeU32(mem, c, 0);
  storeU32(mem, s, 0);
  return WasiErrno.Success;
}

/** args_get / environ_get: zero entries, so there is nothing to write (a real success). */
export function wasiEmptyGet(): number {
  return WasiErrno.Success;
}

// ---------------------------------------------------------------------------------------
// Import wrappers.

type WasiGate = (k: Kernel, t: number, a: number, b: number, c: number, d: number) => number;

/**
 * The gate of a function Rampart does not provide: `EBADF` when one of its leading
 * descriptor arguments is not 0/1/2, else its errno. It reads no memory, so whatever
 * pointers come with the call, nothing is read or written. One closure per refused name,
 * made once at load.
 */
function refusalGate(refusal: WasiRefusal): WasiGate {
  const errno = refusal.errno;
  switch (refusal.fdArguments) {
    case 0: return () => errno;
    case 1: return (_k, _t, fd) => (fd >>> 0 <= 2 ? errno : WasiErrno.BadF);
    case 2: return (_k, _t, fd, to) => (fd >>> 0 <= 2 && to >>> 0 <= 2 ? errno : WasiErrno.BadF);
  }
}

/**
 * Gates by name, with their arguments re-ordered past the i64 ones the gates ignore
 * (clock precision, seek offset arrive as BigInt and are never read). Refused names get
 * {@link refusalGate}; `proc_exit` has its own import (it returns nothing).
 */
const WASI_GATES: Readonly<Record<string, WasiGate>> = {
  args_get: wasiEmptyGet,
  args_sizes_get: (k, t, a, b) => wasiSizesGet(k, t, a, b),
  environ_get: wasiEmptyGet,
  environ_sizes_get: (k, t, a, b) => wasiSizesGet(k, t, a, b),
  clock_res_get: (k, t, a, b) => wasiClockResGet(k, t, a, b),
  clock_time_get: (k, t, id, _precision, timePtr) => wasiClockTimeGet(k, t, id, timePtr),
  fd_close: (k, t, fd) => wasiFdClose(k, t, fd),
  fd_fdstat_get: (k, t, fd, p) => wasiFdFdstatGet(k, t, fd, p),
  fd_read: (k, t, fd) => wasiFdRead(k, t, fd),
  fd_seek: (k, t, fd) => wasiFdSeek(k, t, fd),
  fd_write: wasiFdWrite,
  poll_oneoff: wasiPollOneoff,
  random_get: (k, t, a, b) => wasiRandomGet(k, t, a, b),
  sched_yield: (k, t) => wasiSchedYield(k, t),
  ...Object.fromEntries([...WASI_FUNCTIONS.values()].flatMap((f) => (f.refusal !== undefined ? [[f.name, refusalGate(f.refusal)]] : []))),
};

/** Fails loudly at load if the table and the gates disagree. */
function checkWasiTable(): void {
  for (const f of WASI_FUNCTIONS.values()) {
    if (f.name !== 'proc_exit' && WASI_GATES[f.name] === undefined) throw new Error(`WASI gate table incomplete: no gate for '${f.name}'`);
    if (f.refusal !== undefined && (f.blocking || f.capability !== 0)) throw new Error(`WASI function '${f.name}' is refused: it can neither block nor need a capability`);
  }
  for (const name of Object.keys(WASI_GATES)) {
    if (!WASI_FUNCTIONS.has(name)) throw new Error(`WASI gate table names unknown function '${name}'`);
  }
}
checkWasiTable();

/** A WASI import function as the engine calls it. */
export type WasiImportFunction = (a: number, b: number, c: number, d: number) => number | undefined;

/**
 * The import function of WASI function `name` for task t, or undefined when `name` is not a
 * WASI function (boot refuses such a module before instantiation).
 *
 * Same protocol as the syscall imports: a killed job's non-blocking calls are refused
 * (`ECANCELED`); a blocking call (`proc_exit`, `sched_yield`, `poll_oneoff`) first finishes
 * a pending rewind, the task resuming into the very call it left, and then returns the
 * result the kernel stored for it. WASI signatures are fixed by WASI, so these imports
 * never get the instrumentation's budget argument: each one refreshes `kernel.budgetSeen`
 * from the task's global on entry (fresh on a rewind too: the kernel set the global right
 * before it).
 */
export function buildWasiImport(k: Kernel, t: number, name: string): WasiImportFunction | undefined {
  const stats = k.statSyscalls;
  const trace = k.trace;
  const traceName = `wasi:${name}`;
  if (name === 'proc_exit') {
    return (code: number) => {
      const inst = k.instances[t]!;
      k.budgetSeen = inst.budget.value as number;
      if (inst.rewinding) { inst.finishRewind(); k.takeReturn(t); return undefined; }
      stats[t] = stats[t]! + 1;
      if (trace !== undefined) {
        const start = k.now();
        trace.syscall(t, traceName, start, start, -1);
      }
      gateExit(k, t, code);
      return undefined;
    };
  }
  const info = WASI_FUNCTIONS.get(name);
  const gate = WASI_GATES[name];
  if (info === undefined || gate === undefined) return undefined;
  if (info.blocking) {
    return (a, b, c, d) => {
      const inst = k.instances[t]!;
      k.budgetSeen = inst.budget.value as number;
      if (inst.rewinding) { inst.finishRewind(); return errnoOfWake(k.takeReturn(t)); }
      stats[t] = stats[t]! + 1;
      if (trace !== undefined) {
        // A blocking call's end is the switch: recorded as such, like the syscalls.
        const start = k.now();
        trace.syscall(t, traceName, start, start, -1);
      }
      return gate(k, t, a, b, c, d);
    };
  }
  if (trace !== undefined) {
    return (a, b, c, d) => {
      const inst = k.instances[t]!;
      k.budgetSeen = inst.budget.value as number;
      if (inst.killed) return WasiErrno.Canceled;
      stats[t] = stats[t]! + 1;
      const start = k.now();
      const errno = gate(k, t, a, b, c, d);
      trace.syscall(t, traceName, start, k.now(), errno);
      return errno;
    };
  }
  return (a, b, c, d) => {
    const inst = k.instances[t]!;
    k.budgetSeen = inst.budget.value as number;
    if (inst.killed) return WasiErrno.Canceled;
    stats[t] = stats[t]! + 1;
    return gate(k, t, a, b, c, d);
  };
}
