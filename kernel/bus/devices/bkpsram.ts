/**
 * Backup SRAM model: 4 KiB of byte-addressable memory that outlives a run.
 *
 * Owns the 4096 bytes. Tasks reach them through the bus (any width, little-endian, aligned
 * accesses), the kernel through `snapshot`/`restore` (to persist them across runs with
 * `--backup FILE`) and DMA through the `DmaPort` role. Reset content is all zeros; a
 * `restore` replaces it whole.
 *
 * Must never: change size (the persisted file is exactly `BKPSRAM_SIZE` bytes); accept a
 * partial image (restore refuses anything else and keeps the current content); allocate
 * on access.
 */

import type { AccessWidth, DmaPort, MmioDevice } from '../device-model.js';

/** Bytes of backup SRAM (the board's `reg` size). */
export const BKPSRAM_SIZE = 0x1000;

/** 4 KiB of backup SRAM, persisted by the kernel with `snapshot`/`restore`. */
export class BackupSram implements MmioDevice, DmaPort {
  readonly size = BKPSRAM_SIZE;
  private readonly bytes = new Uint8Array(BKPSRAM_SIZE);
  private readonly view = new DataView(this.bytes.buffer);

  read(offset: number, width: AccessWidth): number {
    if ((offset & (width - 1)) !== 0 || offset + width > BKPSRAM_SIZE || offset < 0) return 0;
    if (width === 1) return this.bytes[offset]!;
    if (width === 2) return this.view.getUint16(offset, true);
    return this.view.getUint32(offset, true);
  }

  write(offset: number, width: AccessWidth, value: number): void {
    if ((offset & (width - 1)) !== 0 || offset + width > BKPSRAM_SIZE || offset < 0) return;
    if (width === 1) this.bytes[offset] = value;
    else if (width === 2) this.view.setUint16(offset, value & 0xffff, true);
    else this.view.setUint32(offset, value >>> 0, true);
  }

  /** A copy of the content, to persist. */
  snapshot(): Uint8Array {
    return this.bytes.slice();
  }

  /** Replaces the content. False, changing nothing, unless exactly `BKPSRAM_SIZE` bytes. */
  restore(image: Uint8Array): boolean {
    if (image.length !== BKPSRAM_SIZE) return false;
    this.bytes.set(image);
    return true;
  }

  dmaRead(offset: number, into: Uint8Array, intoOffset: number, length: number): boolean {
    if (!isRange(offset, length, BKPSRAM_SIZE) || !isRange(intoOffset, length, into.length)) return false;
    // A byte loop, not `set(subarray())`: DMA moves small chunks often, and a view per chunk is garbage.
    for (let i = 0; i < length; i++) into[intoOffset + i] = this.bytes[offset + i]!;
    return true;
  }

  dmaWrite(offset: number, from: Uint8Array, fromOffset: number, length: number): boolean {
    if (!isRange(offset, length, BKPSRAM_SIZE) || !isRange(fromOffset, length, from.length)) return false;
    for (let i = 0; i < length; i++) this.bytes[offset + i] = from[fromOffset + i]!;
    return true;
  }
}

function isRange(offset: number, length: number, limit: number): boolean {
  return Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= limit;
}
