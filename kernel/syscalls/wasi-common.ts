/**
 * What every WASI gate shares: the import module name, the errno values, and checked access
 * to the caller's own memory.
 *
 * WASI passes pointers, and a pointer from a task is hostile input. The helpers here take
 * raw numbers only after the gate has turned them into unsigned 32-bit values (`>>> 0`),
 * and `inBounds` is the one bounds check: `ptr + len` is computed in doubles, exact far
 * beyond 2^33, so a sum that would wrap in 32 bits simply lands past the memory's end.
 * The loads and stores assume a prior `inBounds` over the whole range they touch; they go
 * byte by byte, so alignment never matters (WASI asks for aligned structures, a hostile
 * task need not provide them).
 *
 * Must never: allocate (these run on every WASI call), or be used on memory other than the
 * calling task's.
 */

import type { Kernel } from '../kernel.js';

/** The WASI preview-1 import module wasi-libc uses. */
export const WASI_IMPORT_MODULE = 'wasi_snapshot_preview1';

/**
 * The WASI errno values the gates return (`__wasi_errno_t`, the same numbers as wasi-libc's
 * `errno`, so a C caller sees exactly these).
 */
export const WasiErrno = {
  Success: 0,
  BadF: 8,
  Canceled: 11,
  Fault: 21,
  Intr: 27,
  Inval: 28,
  NoSys: 52,
  NotSup: 58,
  SPipe: 70,
  NotCapable: 76,
} as const;

const TWO_32 = 0x1_0000_0000;

/** True when [ptr, ptr + len) lies inside a memory of `size` bytes (exact: no wrap-around). */
export function inBounds(ptr: number, len: number, size: number): boolean {
  return ptr + len <= size;
}

export function loadU16(m: Uint8Array, p: number): number {
  return m[p]! | (m[p + 1]! << 8);
}

export function loadU32(m: Uint8Array, p: number): number {
  return (m[p]! | (m[p + 1]! << 8) | (m[p + 2]! << 16) | (m[p + 3]! << 24)) >>> 0;
}

/** A u64 as a number: exact below 2^53, the nearest double above (WASI timestamps in ns). */
export function loadU64(m: Uint8Array, p: number): number {
  return loadU32(m, p + 4) * TWO_32 + loadU32(m, p);
}

export function storeU16(m: Uint8Array, p: number, v: number): void {
  m[p] = v & 0xff;
  m[p + 1] = (v >>> 8) & 0xff;
}

export function storeU32(m: Uint8Array, p: number, v: number): void {
  m[p] = v & 0xff;
  m[p + 1] = (v >>> 8) & 0xff;
  m[p + 2] = (v >>> 16) & 0xff;
  m[p + 3] = (v >>> 24) & 0xff;
}

/**
 * The own memory of task t (stack, data, heap; a cached view): every WASI pointer is bounded
 * by it, so the kernel never writes a task's SHM windows or its saved context on its behalf.
 */
export function memoryOf(k: Kernel, t: number): Uint8Array {
  return k.instances[t]!.ownMemoryBytes();
}
