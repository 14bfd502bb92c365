/**
 * GPIO gates (spec §1.2.20–24, §4.8): get, set, reset, toggle, configure.
 *
 * Common checks in the reference order: handle, owner, IO-or-BUSES capability, I/O index
 * within the device's `pinctrl-0`, then the pin operation itself. GPIO calls work on
 * unmapped devices, as in the reference.
 */

import { Cap, Status } from '../../toolchain/abi/index.js';
import type { Kernel } from '../kernel.js';

/** Resolve (handle, io) to a pin; returns a negative status on failure, else port * 256 + pin. */
function resolvePin(k: Kernel, t: number, handle: number, io: number): number {
  const dm = k.devices;
  const d = dm.resolve(handle);
  if (d < 0) return -Status.Invalid;
  if (dm.ownerTask[d] !== t) return -Status.Denied;
  if ((k.capsOf(t) & (Cap.DevIo | Cap.DevBuses)) === 0) return -Status.Denied;
  const ios = dm.devices[d]!.ios;
  const i = io & 0xff;
  if (i >= ios.length) return -Status.Invalid;
  const pin = ios[i]!;
  if (k.res.gpioPort(pin.port) === undefined || pin.pin > 15) return -Status.Invalid;
  return pin.port * 256 + pin.pin;
}

export function gateGpioGet(k: Kernel, t: number, handle: number, io: number): number {
  const p = resolvePin(k, t, handle, io);
  if (p < 0) return -p;
  const level = k.res.gpioPort(p >> 8)!.getPin(p & 0xff);
  k.instances[t]!.views().setUint8(0, level ? 1 : 0);
  return Status.Ok;
}

export function gateGpioSet(k: Kernel, t: number, handle: number, io: number, value: number): number {
  const p = resolvePin(k, t, handle, io);
  if (p < 0) return -p;
  k.res.gpioPort(p >> 8)!.setPin(p & 0xff, value !== 0);
  return Status.Ok;
}

export function gateGpioReset(k: Kernel, t: number, handle: number, io: number): number {
  const p = resolvePin(k, t, handle, io);
  if (p < 0) return -p;
  k.res.gpioPort(p >> 8)!.setPin(p & 0xff, false);
  return Status.Ok;
}

export function gateGpioToggle(k: Kernel, t: number, handle: number, io: number): number {
  const p = resolvePin(k, t, handle, io);
  if (p < 0) return -p;
  const port = k.res.gpioPort(p >> 8)!;
  port.setPin(p & 0xff, !port.getPin(p & 0xff));
  return Status.Ok;
}

export function gateGpioConfigure(k: Kernel, t: number, handle: number, io: number): number {
  const p = resolvePin(k, t, handle, io);
  if (p < 0) return -p;
  const d = k.devices.resolve(handle);
  const ok = k.res.gpioPort(p >> 8)!.configurePin(p & 0xff, k.devices.devices[d]!.ios[io & 0xff]!);
  return ok === false ? Status.Invalid : Status.Ok;
}
