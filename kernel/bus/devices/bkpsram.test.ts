/**
 * Tests — Backup SRAM: byte lanes, snapshot/restore, DMA port bounds.
 */

import { describe, expect, it } from 'vitest';
import { BackupSram, BKPSRAM_SIZE } from './bkpsram.js';

describe('BackupSram', () => {
  it('is byte-addressable memory with little-endian wider accesses', () => {
    const m = new BackupSram();
    m.write(0x10, 4, 0xdeadbeef);
    expect(m.read(0x10, 1)).toBe(0xef);
    expect(m.read(0x12, 2)).toBe(0xdead);
    m.write(0x13, 1, 0x12);
    expect(m.read(0x10, 4)).toBe(0x12adbeef);
    m.write(0x11, 2, 0xffff); // misaligned: ignored
    expect(m.read(0x11, 2)).toBe(0);
  });

  it('snapshots and restores exactly 4 KiB, refusing anything else', () => {
    const m = new BackupSram();
    m.write(BKPSRAM_SIZE - 4, 4, 0x01020304);
    const image = m.snapshot();
    expect(image.length).toBe(4096);
    const other = new BackupSram();
    expect(other.restore(new Uint8Array(10))).toBe(false);
    expect(other.restore(image)).toBe(true);
    expect(other.read(BKPSRAM_SIZE - 4, 4)).toBe(0x01020304);
    image[0] = 9; // the snapshot is a copy
    expect(m.read(0, 1)).toBe(0);
  });

  it('is a DMA port with bounds checks', () => {
    const m = new BackupSram();
    expect(m.dmaWrite(4, Uint8Array.of(1, 2, 3), 1, 2)).toBe(true);
    const out = new Uint8Array(4);
    expect(m.dmaRead(3, out, 0, 4)).toBe(true);
    expect([...out]).toEqual([0, 2, 3, 0]);
    expect(m.dmaRead(BKPSRAM_SIZE - 1, out, 0, 2)).toBe(false);
    expect(m.dmaWrite(0, out, 3, 2)).toBe(false);
  });
});
