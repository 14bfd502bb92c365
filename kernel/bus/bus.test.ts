/**
 * Tests — Bus: address decoding, attach-time refusals, faults as values, the access-check hook.
 */

import { describe, expect, it } from 'vitest';
import { Bus, BusConfigError, BusFault, BUS_OK, isBusFault } from './bus.js';
import type { AccessWidth, MmioDevice } from './device-model.js';

class Recorder implements MmioDevice {
  readonly log: string[] = [];
  constructor(readonly size: number, private readonly value = 0x11223344) {}
  read(offset: number, width: AccessWidth): number { this.log.push(`r${width}@${offset}`); return this.value; }
  write(offset: number, width: AccessWidth, value: number): void { this.log.push(`w${width}@${offset}=${value}`); }
}

describe('Bus', () => {
  it('decodes addresses to region-relative offsets, in any attach order', () => {
    const bus = new Bus();
    const b = new Recorder(0x400);
    const a = new Recorder(0x400);
    bus.attach(0x40004400, b, 'usart2');
    bus.attach(0x40000000, a, 'tim2');
    expect(bus.read(0x40000024, 4)).toBe(0x11223344);
    expect(bus.write(0x40004428, 1, 0x41)).toBe(BUS_OK);
    expect(a.log).toEqual(['r4@36']);
    expect(b.log).toEqual(['w1@40=65']);
    const t = bus.find(0x400047fc, 4);
    expect(t?.device).toBe(b);
    expect(t?.offset).toBe(0x3fc);
    expect(t?.name).toBe('usart2');
  });

  it('refuses overlapping and malformed windows at attach', () => {
    const bus = new Bus();
    bus.attach(0x48000000, new Recorder(0x400), 'gpioa');
    expect(() => bus.attach(0x480003fc, new Recorder(0x400), 'bad')).toThrow(/bad .*overlaps gpioa/);
    expect(() => bus.attach(0x47fffc00, new Recorder(0x404), 'bad2')).toThrow(BusConfigError);
    expect(() => bus.attach(0xfffffc00, new Recorder(0x800), 'past')).toThrow(/outside the 32-bit bus/);
    expect(() => bus.attach(0x50000002, new Recorder(0x400), 'odd')).toThrow(/word-aligned/);
    bus.attach(0x48000400, new Recorder(0x400), 'gpiob'); // adjacent is fine
    expect(bus.regionCount).toBe(2);
  });

  it('faults unmapped, crossing, misaligned and denied accesses without touching devices', () => {
    const bus = new Bus();
    const d = new Recorder(0x400);
    bus.attach(0x40013800, d, 'usart1', 7);
    expect(bus.read(0x40013c00, 4)).toBe(BusFault.Unmapped);
    expect(bus.read(0x40013bfe, 4)).toBe(BusFault.Misaligned);
    expect(bus.read(0x40013801, 2)).toBe(BusFault.Misaligned);
    expect(bus.read(0x40013800, 3 as AccessWidth)).toBe(BusFault.Misaligned);
    expect(bus.write(-4, 4, 0)).toBe(BusFault.Unmapped);
    expect(bus.write(0x1_0000_0000, 4, 0)).toBe(BusFault.Unmapped);
    const seen: string[] = [];
    bus.setAccessCheck({ isAccessAllowed: (tag, offset, width, isWrite) => { seen.push(`${tag}:${offset}:${width}:${isWrite}`); return !isWrite; } });
    expect(bus.read(0x4001381c, 4)).toBe(0x11223344);
    expect(bus.write(0x40013828, 1, 1)).toBe(BusFault.Denied);
    expect(isBusFault(BusFault.Denied)).toBe(true);
    expect(seen).toEqual(['7:28:4:false', '7:40:1:true']);
    expect(d.log).toEqual(['r4@28']);
  });

  it('reuses one result object for find (no allocation per access)', () => {
    const bus = new Bus();
    bus.attach(0x1000, new Recorder(0x100), 'x');
    expect(bus.find(0x1000, 4)).toBe(bus.find(0x1004, 4));
    expect(bus.find(0x2000, 4)).toBeUndefined();
  });
});
