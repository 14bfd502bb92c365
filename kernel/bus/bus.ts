/**
 * The peripheral bus: address decoding from bus addresses to device register windows.
 *
 * Owns the region table (base, end, device, name, tag), built at boot by `attach`, which
 * refuses overlapping or malformed windows. On each access it finds the one region that
 * covers the whole access, asks the kernel's access-check hook (the software MPU) whether
 * the access is allowed, and forwards it to the device with a region-relative offset.
 *
 * The bus, not the device, decides faults: an address no region covers, an access that
 * crosses a region's end, a misaligned access (device memory on Cortex-M faults on those)
 * and an access the hook refuses are all faults, reported as values, never thrown. The bus
 * has no notion of a task: the hook decides per region tag, with whatever "current task"
 * state the kernel keeps.
 *
 * Invariants: regions never overlap; the region arrays are sorted by base; an access
 * allocates nothing (the lookup result is a reused scratch object).
 */

import type { AccessWidth, MmioDevice } from './device-model.js';

/** Why an access did not reach a device. Negative, so `read` can return it in-band. */
export const enum BusFault {
  /** No region covers the whole access. */
  Unmapped = -1,
  /** The address is not a multiple of the width, or the width is not 1, 2 or 4. */
  Misaligned = -2,
  /** The access-check hook refused it. */
  Denied = -3,
}

/** The `write` result when the access reached the device. */
export const BUS_OK = 0;

/**
 * The kernel's per-access decision (software MPU). `tag` is the number given at `attach`
 * (the kernel uses its device id); `offset` is region-relative.
 */
export interface BusAccessCheck {
  isAccessAllowed(tag: number, offset: number, width: AccessWidth, isWrite: boolean): boolean;
}

/** Result of `find`: the device and the region-relative offset. */
export interface BusTarget {
  readonly device: MmioDevice;
  readonly offset: number;
  readonly name: string;
  readonly tag: number;
}

/** A window refused at `attach`: a wiring bug, found at boot. */
export class BusConfigError extends Error {
  override readonly name = 'BusConfigError';
}

/** The highest bus address plus one: addresses are 32-bit. */
const ADDRESS_SPACE_END = 0x1_0000_0000;

/** Address decoder from bus addresses to device windows; see the file header. */
export class Bus {
  // Parallel arrays, sorted by base. Float64 holds `end` up to 2^32 exactly.
  private bases: Float64Array = new Float64Array(0);
  private ends: Float64Array = new Float64Array(0);
  private tags: Int32Array = new Int32Array(0);
  private devices: MmioDevice[] = [];
  private names: string[] = [];
  private check: BusAccessCheck | undefined;
  // The single scratch result of `find`: valid until the next call.
  private readonly scratch: { device: MmioDevice; offset: number; name: string; tag: number } =
    { device: undefined as unknown as MmioDevice, offset: 0, name: '', tag: -1 };

  /**
   * Maps `device` at `base`. `tag` is handed to the access check (default -1). Returns the
   * region index. Throws `BusConfigError` on a misaligned, out-of-range or overlapping window.
   */
  attach(base: number, device: MmioDevice, name: string, tag = -1): number {
    const size = device.size;
    if (!Number.isInteger(base) || base < 0 || !Number.isInteger(size) || size <= 0 || base + size > ADDRESS_SPACE_END) {
      throw new BusConfigError(`${name}: window 0x${base.toString(16)}+0x${size.toString(16)} is outside the 32-bit bus`);
    }
    if (base % 4 !== 0 || size % 4 !== 0) {
      throw new BusConfigError(`${name}: window 0x${base.toString(16)}+0x${size.toString(16)} is not word-aligned`);
    }
    const end = base + size;
    for (let i = 0; i < this.devices.length; i++) {
      if (base < this.ends[i]! && this.bases[i]! < end) {
        throw new BusConfigError(
          `${name} (0x${base.toString(16)}..0x${(end - 1).toString(16)}) overlaps ${this.names[i]!} ` +
          `(0x${this.bases[i]!.toString(16)}..0x${(this.ends[i]! - 1).toString(16)})`);
      }
    }
    // Insert in base order; attach runs at boot only, so rebuilding the arrays is fine.
    let at = 0;
    while (at < this.devices.length && this.bases[at]! < base) at++;
    this.bases = insertF64(this.bases, at, base);
    this.ends = insertF64(this.ends, at, end);
    this.tags = insertI32(this.tags, at, tag);
    this.devices.splice(at, 0, device);
    this.names.splice(at, 0, name);
    return at;
  }

  /** Installs (or removes) the access-check hook. Without one, every mapped access is allowed. */
  setAccessCheck(check: BusAccessCheck | undefined): void { this.check = check; }

  /** Number of regions. */
  get regionCount(): number { return this.devices.length; }

  /**
   * The region covering [address, address + width), or -1. Binary search over the
   * sorted bases: no allocation, O(log regions).
   */
  regionOf(address: number, width: AccessWidth): number {
    let lo = 0;
    let hi = this.devices.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bases[mid]! <= address) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (found < 0 || address + width > this.ends[found]!) return -1;
    return found;
  }

  /**
   * The device and offset serving an access, or undefined. The returned object is reused
   * by the next `find`: copy what you need before calling again.
   */
  find(address: number, width: AccessWidth): BusTarget | undefined {
    if (!isAddress(address)) return undefined;
    const r = this.regionOf(address, width);
    if (r < 0) return undefined;
    const s = this.scratch;
    s.device = this.devices[r]!;
    s.offset = address - this.bases[r]!;
    s.name = this.names[r]!;
    s.tag = this.tags[r]!;
    return s;
  }

  /** Reads; returns the unsigned value, or a negative `BusFault`. */
  read(address: number, width: AccessWidth): number {
    if (!isAddress(address)) return BusFault.Unmapped;
    if (!isWidth(width) || (address & (width - 1)) !== 0) return BusFault.Misaligned;
    const r = this.regionOf(address, width);
    if (r < 0) return BusFault.Unmapped;
    const offset = address - this.bases[r]!;
    // The software MPU decision: never skip this when a hook is installed.
    if (this.check !== undefined && !this.check.isAccessAllowed(this.tags[r]!, offset, width, false)) return BusFault.Denied;
    return this.devices[r]!.read(offset, width) >>> 0;
  }

  /** Writes; returns `BUS_OK` or a negative `BusFault`. */
  write(address: number, width: AccessWidth, value: number): number {
    if (!isAddress(address)) return BusFault.Unmapped;
    if (!isWidth(width) || (address & (width - 1)) !== 0) return BusFault.Misaligned;
    const r = this.regionOf(address, width);
    if (r < 0) return BusFault.Unmapped;
    const offset = address - this.bases[r]!;
    if (this.check !== undefined && !this.check.isAccessAllowed(this.tags[r]!, offset, width, true)) return BusFault.Denied;
    this.devices[r]!.write(offset, width, value);
    return BUS_OK;
  }
}

/** True for a read result that is a fault rather than a value. */
export function isBusFault(result: number): boolean {
  return result < 0;
}

function isAddress(address: number): boolean {
  return Number.isInteger(address) && address >= 0 && address < ADDRESS_SPACE_END;
}

function isWidth(width: number): boolean {
  return width === 1 || width === 2 || width === 4;
}

function insertF64(a: Float64Array, at: number, v: number): Float64Array {
  const out = new Float64Array(a.length + 1);
  out.set(a.subarray(0, at), 0);
  out[at] = v;
  out.set(a.subarray(at), at + 1);
  return out;
}

function insertI32(a: Int32Array, at: number, v: number): Int32Array {
  const out = new Int32Array(a.length + 1);
  out.set(a.subarray(0, at), 0);
  out[at] = v;
  out.set(a.subarray(at), at + 1);
  return out;
}
