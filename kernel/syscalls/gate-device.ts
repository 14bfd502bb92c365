/**
 * Device gates: get_device_handle, map_dev, unmap_dev (spec §1.2.2, §1.2.6, §1.2.8, §4.7),
 * and the bus-access imports that reach device registers through the software MPU.
 *
 * Rampart follows the documented intent where the reference differs: mapping a device
 * that is already mapped is ALREADY_MAPPED (A.7). A device whose capability is 0 cannot be
 * owned (refused at build and boot), so the reference's panic path is unreachable.
 */

import { CAP_DEV_MASK, Status } from '../../toolchain/abi/index.js';
import type { Kernel } from '../kernel.js';
import { MAPPING_SLOTS } from '../managers/device/device-manager.js';
import { writeExchangeU32 } from './gate.js';

export function gateGetDeviceHandle(k: Kernel, t: number, devLabel: number): number {
  const dm = k.devices;
  const d = dm.byId(devLabel & 0xff);
  // Not found and not owned give the same answer, so labels owned by others cannot be enumerated.
  if (d < 0 || dm.ownerTask[d] !== t) return Status.Invalid;
  writeExchangeU32(k, t, 0, dm.handles[d]!);
  return Status.Ok;
}

/** Shared prologue of map/unmap: returns the device index or a negative status. */
function ownedDevice(k: Kernel, t: number, handle: number): number {
  const dm = k.devices;
  const d = dm.resolve(handle);
  if (d < 0) return -Status.Invalid;
  if (dm.ownerTask[d] !== t) return -Status.Denied;
  const cap = dm.devices[d]!.capability & CAP_DEV_MASK;
  if (cap === 0 || (k.capsOf(t) & cap) === 0) return -Status.Denied;
  return d;
}

export function gateMapDev(k: Kernel, t: number, handle: number): number {
  const d = ownedDevice(k, t, handle);
  if (d < 0) return -d;
  const dm = k.devices;
  if (dm.mapped[d] === 1) return Status.AlreadyMapped;
  if (k.res.mappingCount(t) >= MAPPING_SLOTS) return Status.Busy;
  dm.mapped[d] = 1;
  dm.mappedBy[d] = t;
  k.res.onDeviceFirstMap(d);
  return Status.Ok;
}

export function gateUnmapDev(k: Kernel, t: number, handle: number): number {
  const d = ownedDevice(k, t, handle);
  if (d < 0) return -d;
  const dm = k.devices;
  if (dm.mapped[d] !== 1) return Status.Invalid;
  dm.mapped[d] = 0;
  dm.mappedBy[d] = -1;
  return Status.Ok;
}

/**
 * Bus read: the address must fall inside a device the caller has mapped, else the caller
 * faults like an MPU violation. Returns the register value.
 */
export function busRead(k: Kernel, t: number, address: number, width: 1 | 2 | 4): number {
  const a = address >>> 0;
  const d = k.devices.mappedDeviceAt(t, a, width);
  if (d < 0 || (a & (width - 1)) !== 0) {
    k.killTask(t, `bus read${width * 8} at 0x${a.toString(16)}: not inside a device it has mapped (MPU violation)`);
    return 0;
  }
  return k.res.deviceRead(d, a - k.devices.devices[d]!.baseAddress, width);
}

export function busWrite(k: Kernel, t: number, address: number, value: number, width: 1 | 2 | 4): number {
  const a = address >>> 0;
  const d = k.devices.mappedDeviceAt(t, a, width);
  if (d < 0 || (a & (width - 1)) !== 0) {
    k.killTask(t, `bus write${width * 8} at 0x${a.toString(16)}: not inside a device it has mapped (MPU violation)`);
    return Status.Denied;
  }
  k.res.deviceWrite(d, a - k.devices.devices[d]!.baseAddress, width, value >>> 0);
  return Status.Ok;
}
