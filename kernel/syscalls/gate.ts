/**
 * The one shape every gate has, and the exchange-area writers the gates share.
 *
 * A gate receives the kernel, the calling task's index and the raw 32-bit arguments
 * exactly as the task passed them; it truncates each to its ABI width itself (the
 * widths are in `toolchain/abi/syscalls.ts`) and returns a `Status`. Blocking gates
 * return the value of `kernel.switchFrom()`, which is either the status (same task goes
 * on) or a dummy while the task unwinds. Gates write the exchange area only on success
 * and only through these helpers, which are bounded by the area's fixed view.
 */

import type { Kernel } from '../kernel.js';

export type Gate = (kernel: Kernel, task: number, a: number, b: number, c: number) => number;

/** Write a u32 (LE) at exchange offset `offset` of task t. */
export function writeExchangeU32(k: Kernel, t: number, offset: number, value: number): void {
  k.instances[t]!.views().setUint32(offset, value >>> 0, true);
}

/**
 * Write a u64 (LE) from a non-negative safe integer, without BigInt. The low word is
 * `value >>> 0` (ToUint32 is exact modulo 2^32 for any integer-valued double) rather than
 * `value % 2^32`, which V8 compiles to the x87 `fprem` loop: a get_cycle paid more for it
 * than for its capability check.
 */
export function writeExchangeU64(k: Kernel, t: number, offset: number, value: number): void {
  const view = k.instances[t]!.views();
  const low = value >>> 0;
  view.setUint32(offset, low, true);
  view.setUint32(offset + 4, (value - low) / 0x1_0000_0000, true);
}
