/**
 * Shared-memory gates (spec §1.2.7, §1.2.9, §1.2.10, §1.2.28, §1.2.33, §4.6).
 *
 * Differences from the reference, both the documented intent: `shm_set_credential` is
 * BUSY when the *target* has the SHM mapped (A.14), and when the owner designates a new
 * user, the previous user's mapping is revoked (no stale "user mapped" flag).
 */

import { Status } from '../../toolchain/abi/index.js';
import type { Kernel } from '../kernel.js';
import { MAPPING_SLOTS } from '../managers/device/device-manager.js';
import { ShmRole } from '../managers/memory/shm-manager.js';
import { writeExchangeU32 } from './gate.js';

export function gateGetShmHandle(k: Kernel, t: number, label: number): number {
  const sm = k.shm;
  const s = sm.byLabel(label);
  if (s < 0 || sm.roleOf(s, t) === ShmRole.None) return Status.Invalid;
  writeExchangeU32(k, t, 0, sm.handles[s]!);
  return Status.Ok;
}

export function gateMapShm(k: Kernel, t: number, handle: number): number {
  const sm = k.shm;
  const s = sm.resolve(handle);
  if (s < 0) return Status.Invalid;
  const role = sm.roleOf(s, t);
  if (role === ShmRole.None) return Status.Invalid;
  if (sm.shms[s]!.noMap || !sm.canMap(s, role)) return Status.Denied;
  if (sm.isMapped(s, role)) return Status.AlreadyMapped;
  if (k.res.mappingCount(t) >= MAPPING_SLOTS) return Status.Busy;
  sm.setMapped(s, role, true);
  k.res.syncShmIn(t);
  return Status.Ok;
}

export function gateUnmapShm(k: Kernel, t: number, handle: number): number {
  const sm = k.shm;
  const s = sm.resolve(handle);
  if (s < 0) return Status.Invalid;
  const role = sm.roleOf(s, t);
  if (role === ShmRole.None || !sm.isMapped(s, role)) return Status.Invalid;
  // Take back what the task wrote before the window disappears.
  if (!k.res.syncShmOut(t)) return Status.Ok;
  sm.setMapped(s, role, false);
  return Status.Ok;
}

export function gateShmSetCredential(k: Kernel, t: number, handle: number, targetHandle: number, perms: number): number {
  const sm = k.shm;
  const s = sm.resolve(handle);
  if (s < 0) return Status.Invalid;
  const target = k.resolveTask(targetHandle);
  if (target < 0) return Status.Invalid;
  const role = sm.roleOf(s, t);
  if (role === ShmRole.None) return Status.Invalid;
  if (role === ShmRole.User) return Status.Denied;
  if (sm.mappedBy(s, target)) return Status.Busy;
  if (target === t) {
    sm.setCreds(s, ShmRole.Owner, perms >>> 0);
    return Status.Ok;
  }
  if (sm.user[s] !== target) {
    // A new user: the previous one (if any) loses access, and its mapping with it.
    sm.setMapped(s, ShmRole.User, false);
    sm.user[s] = target;
  }
  sm.setCreds(s, ShmRole.User, perms >>> 0);
  return Status.Ok;
}

/** shm_infos_t: handle, label, base, len, perms (MAP iff mappable for the role, WRITE iff writable). */
export function gateShmGetInfos(k: Kernel, t: number, handle: number): number {
  const sm = k.shm;
  const s = sm.resolve(handle);
  if (s < 0) return Status.Invalid;
  const role = sm.roleOf(s, t);
  if (role === ShmRole.None) return Status.Invalid;
  const shm = sm.shms[s]!;
  const perms = (!shm.noMap && sm.canMap(s, role) ? 1 : 0) | (sm.canWrite(s, role) ? 4 : 0);
  writeExchangeU32(k, t, 0, sm.handles[s]!);
  writeExchangeU32(k, t, 4, shm.label);
  writeExchangeU32(k, t, 8, shm.baseAddress);
  writeExchangeU32(k, t, 12, shm.size);
  writeExchangeU32(k, t, 16, perms);
  return Status.Ok;
}
