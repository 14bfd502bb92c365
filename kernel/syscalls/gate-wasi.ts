/**
 * The WASI gate: the few `wasi_snapshot_preview1` functions hosted C (wasi-libc) imports,
 * served from the calling task's capabilities.
 *
 * Owns the table of WASI functions a task may import (`WASI_FUNCTIONS`: name, exact
 * signature, gating capability), their implementations, and the import wrappers
 * `table.ts` installs for them. What each function means on Rampart:
 * - `fd_write` to fd 1 or 2 is the task's console, assembled into lines exactly like
 *   `log`; fd 0 and every other fd are `EBADF`.
 * - `fd_fdstat_get` on 0/1/2 describes a character device without seek/tell rights, which
 *   is what makes wasi-libc treat stdout as a terminal (line-buffered). Other fds: `EBADF`.
 * - `fd_close`, `fd_read` (0/1/2: `ENOSYS`, the console cannot be closed or read) and
 *   `fd_seek` (0/1/2: `ESPIPE`, a character device has no offset); other fds `EBADF`.
 *   Never a fake success.
 * - `clock_time_get` / `clock_res_get`: REALTIME and MONOTONIC are both the virtual time
 *   since boot (`kernel.now()` cycles at the nominal frequency, exact integer nanoseconds).
 *   Rampart has no wall clock and runs must be reproducible, so the epoch is the boot.
 *   The CPU-time clocks and unknown ids are `EINVAL`.
 * - `random_get`: the kernel entropy, only with CAP_CRY_KRNG. The import itself is refused
 *   at integration and boot without the capability (imports are capabilities); the gate
 *   still answers `ENOTCAPABLE` should it ever be reached without it.
 * - `args_*`, `environ_*`: a task has no arguments and no environment (0 and 0).
 * - `proc_exit` is the `exit` syscall: the job ends and the task unwinds. It is the one
 *   blocking WASI import (the integrator lists it for Asyncify).
 * Every other WASI name is refused at integration and boot, by name (import-policy.ts).
 *
 * Task memory. WASI passes pointers, so this is the one place where the kernel reads and
 * writes task memory outside the exchange area. That is acceptable because the memory is
 * the caller's own: the gate can neither reach another task's memory nor any kernel
 * state through it, and the worst a bad pointer can do is hand the caller its own bytes
 * or overwrite its own data, which it could do itself. Every pointer and length is
 * hostile all the same: each access is checked against the current memory size with
 * exact arithmetic (pointer + length is computed in doubles, exact far beyond 2^33, so
 * nothing wraps), a whole request is validated before anything is written (an `EFAULT`
 * leaves memory untouched), and the work per call is bounded (`fd_write` copies at most
 * one console line buffer, `random_get` at most `MAX_RANDOM_BYTES`).
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

/** The WASI preview-1 import module wasi-libc uses. */
export const WASI_IMPORT_MODULE = 'wasi_snapshot_preview1';

/** The WASI errno values the gate returns (`__wasi_errno_t`). */
export const WasiErrno = {
  Success: 0,
  BadF: 8,
  Canceled: 11,
  Fault: 21,
  Inval: 28,
  NoSys: 52,
  SPipe: 70,
  NotCapable: 76,
} as const;

/** One WASI function the kernel serves. */
export interface WasiFunctionInfo {
  readonly name: string;
  /** Exact parameter types; a module importing it with another signature is refused. */
  readonly params: readonly ('i32' | 'i64')[];
  readonly results: readonly 'i32'[];
  /** Capability a task must hold to import it (0: none). */
  readonly capability: number;
  /** True when the call may switch tasks (Asyncify must instrument it). */
  readonly blocking: boolean;
  /** What a program calls that ends up here, for refusal messages. */
  readonly usedBy: string;
}

const fn = (name: string, params: readonly ('i32' | 'i64')[], results: readonly 'i32'[], usedBy: string, capability = 0, blocking = false): WasiFunctionInfo =>
  Object.freeze({ name, params, results, capability, blocking, usedBy });

const I32 = 'i32' as const;
const I64 = 'i64' as const;

/**
 * The WASI functions a task may import: what wasi-libc imports for printf, malloc,
 * string.h, time.h, exit and `main(int, char **)`, plus entropy. Nothing else.
 */
export const WASI_FUNCTIONS: ReadonlyMap<string, WasiFunctionInfo> = new Map([
  fn('args_get', [I32, I32], [I32], 'main(int argc, char **argv)'),
  fn('args_sizes_get', [I32, I32], [I32], 'main(int argc, char **argv)'),
  fn('environ_get', [I32, I32], [I32], 'getenv'),
  fn('environ_sizes_get', [I32, I32], [I32], 'getenv'),
  fn('clock_res_get', [I32, I32], [I32], 'clock_getres'),
  fn('clock_time_get', [I32, I64, I32], [I32], 'clock_gettime, time'),
  fn('fd_close', [I32], [I32], 'stdio'),
  fn('fd_fdstat_get', [I32, I32], [I32], 'stdio, isatty'),
  fn('fd_read', [I32, I32, I32, I32], [I32], 'stdin'),
  fn('fd_seek', [I32, I64, I32, I32], [I32], 'stdio'),
  fn('fd_write', [I32, I32, I32, I32], [I32], 'printf, puts, write'),
  fn('proc_exit', [I32], [], 'exit, returning from main', 0, true),
  fn('random_get', [I32, I32], [I32], 'getentropy, arc4random, getrandom', Cap.CryKrng),
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

/** True when [ptr, ptr + len) lies inside a memory of `size` bytes (exact: no wrap-around). */
function inBounds(ptr: number, len: number, size: number): boolean {
  return ptr + len <= size;
}

function loadU32(m: Uint8Array, p: number): number {
  return (m[p]! | (m[p + 1]! << 8) | (m[p + 2]! << 16) | (m[p + 3]! << 24)) >>> 0;
}

function storeU32(m: Uint8Array, p: number, v: number): void {
  m[p] = v & 0xff;
  m[p + 1] = (v >>> 8) & 0xff;
  m[p + 2] = (v >>> 16) & 0xff;
  m[p + 3] = (v >>> 24) & 0xff;
}

/** The whole memory of task t (a cached view, refreshed only after a growth). */
function memoryOf(k: Kernel, t: number): Uint8Array {
  return k.instances[t]!.memoryBytes();
}

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
 * Gates by name, with their arguments re-ordered past the i64 ones the gates ignore
 * (clock precision, seek offset arrive as BigInt and are never read).
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
  random_get: (k, t, a, b) => wasiRandomGet(k, t, a, b),
};

/** Fails loudly at load if the served table and the gates disagree. */
function checkWasiTable(): void {
  for (const f of WASI_FUNCTIONS.values()) {
    if (!f.blocking && WASI_GATES[f.name] === undefined) throw new Error(`WASI gate table incomplete: no gate for '${f.name}'`);
  }
  for (const name of Object.keys(WASI_GATES)) {
    if (!WASI_FUNCTIONS.has(name)) throw new Error(`WASI gate table names unserved function '${name}'`);
  }
}
checkWasiTable();

/** A WASI import function as the engine calls it. */
export type WasiImportFunction = (a: number, b: number, c: number, d: number) => number | undefined;

/**
 * The import function of WASI function `name` for task t, or undefined when the kernel
 * does not serve that name (boot refuses such a module before instantiation).
 *
 * Same protocol as the syscall imports: a killed job's calls are refused (`ECANCELED`);
 * `proc_exit` is blocking, so it first finishes a pending rewind. WASI signatures are fixed
 * by WASI, so these imports never get the instrumentation's budget argument: each one
 * refreshes `kernel.budgetSeen` from the task's global on entry.
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
  const gate = WASI_GATES[name];
  if (gate === undefined) return undefined;
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
