/**
 * The two WASI functions that give up the CPU: `sched_yield` and `poll_oneoff`.
 *
 * Both are blocking imports (the integrator lists them for Asyncify through
 * `WASI_BLOCKING_IMPORTS`): a call may switch to another task and the caller resumes later,
 * inside this very import, with the result the kernel stored for it. What they mean here:
 * - `sched_yield` is the kernel's `sched_yield`: the caller goes behind the other ready
 *   tasks of its priority with a fresh quantum. Always success.
 * - `poll_oneoff` with clock subscriptions sleeps in virtual time until the earliest one is
 *   due. REALTIME and MONOTONIC are the same virtual clock (ns since boot, as
 *   `clock_time_get` reads it); a timeout is relative to the call unless the subscription
 *   has `ABSTIME`, in which case it is that clock's value. This is what `sleep`, `usleep`,
 *   `nanosleep` and `clock_nanosleep` end in.
 *   Any subscription that can never fire on Rampart is an event at once, with its error:
 *   an fd_read/fd_write subscription on fd 0/1/2 gets `ENOTSUP` (the console cannot be
 *   polled), on any other fd `EBADF` (a task has no other descriptor; wasi-libc's `poll`
 *   turns that into POLLNVAL); a clock subscription on another clock, or with unknown
 *   flags, gets `EINVAL`. WASI returns as soon as one event is ready, so such a
 *   subscription means no sleep at all.
 *
 * Time granularity. A sleeping task wakes at a system tick, so the sleep lasts until the
 * first tick at or after the deadline: never less than asked (the virtual clock read after
 * the call is at least the deadline), at most one tick more. Deadlines are converted from
 * nanoseconds to cycles rounding up, exactly while the cycle count stays below 2^53 (the
 * kernel's own clock is a double and exact that far). The sleep is deep (JobState
 * SleepingDeep): an IPC or a signal does not cut it short, since WASI has no way to say
 * "interrupted" for a clock event.
 *
 * Hostile input. `nsubscriptions` is bounded (`MAX_POLL_SUBSCRIPTIONS`); the subscription
 * array, the event array (room for `nsubscriptions` events) and `nevents` are bounds-checked
 * before anything is read or written (`EFAULT`, memory untouched); a subscription with an
 * unknown tag makes the whole call `EINVAL`, with nothing written. Each subscription is
 * read once, into preallocated scratch, before any event is written, so overlapping
 * arrays cannot make the kernel act on half-overwritten input. Events and `nevents` are
 * written once, when the call is accepted and before the task sleeps: it cannot observe
 * them earlier, and the sleep cannot fail afterwards (a deep sleep ends only at its
 * deadline, or with the job).
 *
 * Must never: write outside [out, out + 32 × events) and [nevents, nevents + 4), sleep less
 * than asked, or report a clock event that is not due by the time the task runs again.
 */

import { JobState, Status } from '../../toolchain/abi/index.js';
import type { Kernel } from '../kernel.js';
import { gateYield } from './gate-lifecycle.js';
import { inBounds, loadU16, loadU32, loadU64, memoryOf, storeU16, storeU32, WasiErrno } from './wasi-common.js';

/**
 * Most subscriptions accepted per call: bounds the kernel's work per call. A task has three
 * descriptors, so even `poll` over every one of them many times over stays far below it.
 */
export const MAX_POLL_SUBSCRIPTIONS = 1024;

/** sizeof(__wasi_subscription_t) and the offsets of the fields read. */
const SUBSCRIPTION_SIZE = 48;
const SUB_USERDATA = 0;
const SUB_TAG = 8;
const SUB_CLOCK_ID = 16;
const SUB_CLOCK_TIMEOUT = 24;
const SUB_CLOCK_FLAGS = 40;
const SUB_FD = 16;

/** sizeof(__wasi_event_t) and the offsets of the fields written (the rest are zero). */
const EVENT_SIZE = 32;
const EVENT_ERROR = 8;
const EVENT_TYPE = 10;

/** `__wasi_eventtype_t`. */
const EVENTTYPE_CLOCK = 0;
const EVENTTYPE_FD_WRITE = 2;

/** `__wasi_subclockflags_t` SUBSCRIPTION_CLOCK_ABSTIME, its only flag. */
const SUBCLOCKFLAGS_ABSTIME = 1;

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;

/**
 * Per-subscription results of the read pass, shared by every task: gates run one at a time.
 * `dueAt` is the cycle at which the event is due; `errno` its error; `type` its event type;
 * `userdata` its 8 bytes, copied as they were.
 */
const dueAt = new Float64Array(MAX_POLL_SUBSCRIPTIONS);
const errnoOf = new Uint16Array(MAX_POLL_SUBSCRIPTIONS);
const typeOf = new Uint8Array(MAX_POLL_SUBSCRIPTIONS);
const userdata = new Uint8Array(MAX_POLL_SUBSCRIPTIONS * 8);

/**
 * ceil(ns × freq / 1e9): the first cycle count whose virtual time, as `clock_time_get` reads
 * it (floor(cycles × 1e9 / freq)), is at least `ns`. Exact for results below 2^53: the
 * product, which passes 2^53 long before, is never formed (the sub-second part is split
 * into pieces whose products stay below 2^50).
 */
export function nanosecondsToCycles(ns: number, freq: number): number {
  let seconds = Math.floor(ns / 1e9);
  let rest = ns - seconds * 1e9;
  // The division may round up to the next integer just below a whole second.
  if (rest < 0) { seconds -= 1; rest += 1e9; }
  // rest × freq / 1e9 with rest = high × 1e5 + low (high < 1e4, low < 1e5):
  // = qa + (ra × 1e5 + low × freq) / 1e9, where high × freq = qa × 1e4 + ra.
  const high = Math.floor(rest / 1e5);
  const low = rest - high * 1e5;
  const a = high * freq; // < 4e13
  const qa = Math.floor(a / 1e4);
  const ra = a - qa * 1e4;
  const b = ra * 1e5 + low * freq; // < 4.1e14: exact; its quotient by 1e9 rounds correctly
  return seconds * freq + qa + Math.ceil(b / 1e9);
}

/**
 * Read clock subscription `s` at `p` into the scratch tables: due now with `EINVAL` for an
 * unknown clock or unknown flags, else at its deadline in cycles.
 */
function readClock(mem: Uint8Array, p: number, s: number, now: number, freq: number): void {
  typeOf[s] = EVENTTYPE_CLOCK;
  const id = loadU32(mem, p + SUB_CLOCK_ID);
  const flags = loadU16(mem, p + SUB_CLOCK_FLAGS);
  if ((id !== CLOCK_REALTIME && id !== CLOCK_MONOTONIC) || (flags & ~SUBCLOCKFLAGS_ABSTIME) !== 0) {
    dueAt[s] = now;
    errnoOf[s] = WasiErrno.Inval;
    return;
  }
  const cycles = nanosecondsToCycles(loadU64(mem, p + SUB_CLOCK_TIMEOUT), freq);
  dueAt[s] = (flags & SUBCLOCKFLAGS_ABSTIME) !== 0 ? cycles : now + cycles;
  errnoOf[s] = WasiErrno.Success;
}

/** The first system tick at or after cycle `cycle`, exactly (ticks start at multiples of `perTick`). */
function firstTickAtOrAfter(cycle: number, perTick: number): number {
  let tick = Math.floor(cycle / perTick);
  if (tick * perTick < cycle) tick += 1;
  else if ((tick - 1) * perTick >= cycle) tick -= 1;
  return tick;
}

/** The errno a resumed WASI call returns for the status the kernel stored for it. */
export function errnoOfWake(status: number): number {
  // Ok: a yield; Timeout: a poll's deadline. Anything else means the job was ended while it
  // was switched out (it never runs this result).
  return status === Status.Ok || status === Status.Timeout ? WasiErrno.Success : WasiErrno.Canceled;
}

/** sched_yield(): the kernel's yield. */
export function wasiSchedYield(k: Kernel, t: number): number {
  return errnoOfWake(gateYield(k, t));
}

/**
 * poll_oneoff(in, out, nsubscriptions, nevents): clocks sleep in virtual time; every other
 * subscription is an event at once with its error (see the header).
 */
export function wasiPollOneoff(k: Kernel, t: number, inPtr: number, outPtr: number, nsubscriptions: number, neventsPtr: number): number {
  const count = nsubscriptions >>> 0;
  // WASI: no subscription would wait forever for nothing; EINVAL.
  if (count === 0 || count > MAX_POLL_SUBSCRIPTIONS) return WasiErrno.Inval;
  const subs = inPtr >>> 0;
  const out = outPtr >>> 0;
  const nevents = neventsPtr >>> 0;
  const mem = memoryOf(k, t);
  const size = mem.length;
  if (!inBounds(subs, count * SUBSCRIPTION_SIZE, size) || !inBounds(out, count * EVENT_SIZE, size) || !inBounds(nevents, 4, size)) {
    return WasiErrno.Fault;
  }
  k.account();
  // Accounting can end the job (metering tampered with): it must not be put to sleep then,
  // which would make it runnable again at the deadline. It unwinds at its next check.
  if (k.instances[t]!.killed) return WasiErrno.Canceled;
  const now = k.now();
  const freq = k.config.nominalFrequencyHz;
  // Read pass: every subscription once, nothing written; an unknown tag refuses the call.
  let earliest = Infinity;
  for (let s = 0; s < count; s++) {
    const p = subs + s * SUBSCRIPTION_SIZE;
    const tag = mem[p + SUB_TAG]!;
    if (tag === EVENTTYPE_CLOCK) {
      readClock(mem, p, s, now, freq);
    } else if (tag <= EVENTTYPE_FD_WRITE) {
      typeOf[s] = tag;
      dueAt[s] = now;
      errnoOf[s] = loadU32(mem, p + SUB_FD) <= 2 ? WasiErrno.NotSup : WasiErrno.BadF;
    } else {
      return WasiErrno.Inval;
    }
    for (let i = 0; i < 8; i++) userdata[s * 8 + i] = mem[p + SUB_USERDATA + i]!;
    if (dueAt[s]! < earliest) earliest = dueAt[s]!;
  }
  // When the task runs again: now, or the first tick at or after the earliest deadline.
  const perTick = k.cyclesPerTick;
  const wakeTick = earliest <= now ? 0 : firstTickAtOrAfter(earliest, perTick);
  const wakeAt = earliest <= now ? now : wakeTick * perTick;
  // Write pass: the events due by then, in subscription order.
  let written = 0;
  for (let s = 0; s < count; s++) {
    if (dueAt[s]! > wakeAt) continue;
    const e = out + written * EVENT_SIZE;
    for (let i = 0; i < EVENT_SIZE; i++) mem[e + i] = 0;
    for (let i = 0; i < 8; i++) mem[e + i] = userdata[s * 8 + i]!;
    storeU16(mem, e + EVENT_ERROR, errnoOf[s]!);
    mem[e + EVENT_TYPE] = typeOf[s]!;
    written++;
  }
  storeU32(mem, nevents, written);
  if (earliest <= now) return WasiErrno.Success;
  k.state[t] = JobState.SleepingDeep;
  k.returnSlot[t] = Status.NonSense;
  // At least one tick: the earliest deadline is after now, so wakeTick > k.tick.
  k.armDelay(t, wakeTick - k.tick);
  return errnoOfWake(k.switchFrom(t, false));
}
