/**
 * Small non-blocking gates: log, get_random, pm_manage (spec §1.2.14, §1.2.16, §1.2.18).
 */

import { Cap, CpuSleep, Status } from '../../toolchain/abi/index.js';
import type { Kernel } from '../kernel.js';
import { writeExchangeU32 } from './gate.js';

/** log(len): raw bytes exch[0, len) to the console; silent OK in release builds. */
export function gateLog(k: Kernel, t: number, length: number): number {
  if (k.config.buildTarget === 'release') return Status.Ok;
  const len = length >>> 0;
  if (len > k.config.exchangeAreaLen) return Status.Invalid;
  k.console.write(t, k.instances[t]!.bytes(), len);
  return Status.Ok;
}

export function gateGetRandom(k: Kernel, t: number): number {
  if (!k.injectSkipCheck() && (k.capsOf(t) & Cap.CryKrng) === 0) return Status.Denied;
  // Countermeasure: a second, independent check right before the privileged action.
  k.confirmCapability(t, Cap.CryKrng);
  writeExchangeU32(k, t, 0, k.entropy.next32());
  return Status.Ok;
}

/** pm_manage: WFI/WFE are the idle task's alone; sleep forbid/allow are accepted no-ops. */
export function gatePmManage(k: Kernel, t: number, mode: number): number {
  const m = mode >>> 0;
  if (m > CpuSleep.AllowSleep) return Status.Invalid;
  if (m <= CpuSleep.WaitForEvent && t !== k.idleIndex) return Status.Denied;
  return Status.Ok;
}
