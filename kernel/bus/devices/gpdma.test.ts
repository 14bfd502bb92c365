/**
 * Tests — GPDMA: copies through a fake DmaMemory with completion at the documented cycle, states, errors, circular, priority.
 */

import { describe, expect, it } from 'vitest';
import {
  GpdmaController, GpdmaInterrupt, GpdmaReg, GpdmaState, GPDMA_SETUP_CYCLES,
  GPDMA_STATUS_COMPLETED, GPDMA_STATUS_HALF_REACHED,
} from './gpdma.js';
import { InterruptController } from '../interrupt-controller.js';
import { BusClock } from '../bus-clock.js';
import type { DmaEndpoint, DmaMemory } from '../device-model.js';

/** SHM id → bytes; every copy is logged and bounds-checked like the kernel's would be. */
class FakeMemory implements DmaMemory {
  readonly shm = new Map<number, Uint8Array>();
  readonly log: string[] = [];
  constructor(private readonly clock: BusClock) {}
  copy(source: DmaEndpoint, sourceOffset: number, dest: DmaEndpoint, destOffset: number, length: number): boolean {
    this.log.push(`${this.clock.now()}:${source.id}+${sourceOffset}->${dest.id}+${destOffset}x${length}`);
    const s = this.shm.get(source.id);
    const d = this.shm.get(dest.id);
    if (s === undefined || d === undefined || sourceOffset + length > s.length || destOffset + length > d.length) return false;
    d.set(s.subarray(sourceOffset, sourceOffset + length), destOffset);
    return true;
  }
}

const SRC: DmaEndpoint = { kind: 'shm', id: 0 };
const DST: DmaEndpoint = { kind: 'shm', id: 1 };

function setup() {
  const clock = new BusClock();
  const ic = new InterruptController(clock);
  const raised: string[] = [];
  ic.setClient({ onRaise: (line) => raised.push(`${clock.now()}:${line}`) });
  const memory = new FakeMemory(clock);
  memory.shm.set(0, Uint8Array.from({ length: 64 }, (_, i) => i + 1));
  memory.shm.set(1, new Uint8Array(64));
  const lines = [];
  for (let ch = 0; ch < 8; ch++) { lines.push(ic.line(11 + ch)); ic.unmask(11 + ch); }
  const dma = new GpdmaController('gpdma1', lines, memory);
  clock.register(dma);
  return { clock, ic, dma, memory, raised };
}

const stream = (length: number, extra: Partial<{ circularSource: boolean; circularDest: boolean; priority: number; interrupts: number }> = {}) =>
  ({ source: SRC, dest: DST, length, circularSource: false, circularDest: false, priority: 1, ...extra });

describe('GpdmaController', () => {
  it('copies through DmaMemory and raises the channel IRQ at start + setup + length, never inside start()', () => {
    const { clock, dma, memory, raised } = setup();
    clock.advanceTo(1000);
    expect(dma.program(2, stream(32))).toBe(true);
    expect(dma.status(2)).toBe(GpdmaState.Idle);
    expect(dma.start(2)).toBe(true);
    expect(raised).toEqual([]);
    expect(memory.log).toEqual([]);
    expect(dma.status(2)).toBe(GpdmaState.Running);
    const done = 1000 + GPDMA_SETUP_CYCLES + 32;
    expect(clock.nextEventCycle()).toBe(1000 + GPDMA_SETUP_CYCLES + 16); // HT: no IRQ (TC|ERROR only) but an event
    clock.advanceTo(1020);
    expect(dma.transferred(2)).toBe(4);
    clock.advanceTo(done - 1);
    expect(raised).toEqual([]);
    clock.advanceTo(done);
    expect(raised).toEqual([`${done}:13`]);
    expect(dma.status(2)).toBe(GpdmaState.TransferComplete | GPDMA_STATUS_HALF_REACHED | GPDMA_STATUS_COMPLETED);
    expect(dma.pendingFlags(2)).toBe(GpdmaInterrupt.TransferComplete | GpdmaInterrupt.HalfTransfer);
    expect([...memory.shm.get(1)!.subarray(0, 33)]).toEqual([...Array.from({ length: 32 }, (_, i) => i + 1), 0]);
    // chunks: up to each advance, and up to HT (1032) and TC (1048) exactly
    expect(memory.log).toEqual(['1020:0+0->1+0x4', '1032:0+4->1+4x12', '1047:0+16->1+16x15', '1048:0+31->1+31x1']);
    expect(dma.read(GpdmaReg.ChannelStatus + 2 * 0x80, 4)).toBe(1 | (1 << 8) | (1 << 9));
    dma.clearFlags(2, GpdmaInterrupt.TransferComplete);
    expect(clock.nextEventCycle()).toBe(Infinity);
  });

  it('raises HT when enabled, and the line follows the sticky flags', () => {
    const { clock, ic, dma, raised } = setup();
    dma.program(0, stream(10, { interrupts: GpdmaInterrupt.HalfTransfer | GpdmaInterrupt.TransferComplete }));
    dma.start(0);
    clock.advanceTo(GPDMA_SETUP_CYCLES + 5);
    expect(raised).toEqual([`${GPDMA_SETUP_CYCLES + 5}:11`]);
    ic.mask(11); ic.acknowledge(11);
    dma.clearFlags(0, GpdmaInterrupt.HalfTransfer);
    expect(ic.isLevelHigh(11)).toBe(false);
    clock.advanceTo(100);
    ic.unmask(11);
    expect(raised).toEqual([`${GPDMA_SETUP_CYCLES + 5}:11`, '100:11']);
  });

  it('suspends and resumes where it stopped; control calls refuse the wrong states', () => {
    const { clock, dma, memory } = setup();
    expect(dma.start(1)).toBe(false); // not programmed
    dma.program(1, stream(20));
    expect(dma.suspend(1)).toBe(false); // not running
    dma.start(1);
    expect(dma.start(1)).toBe(false);
    expect(dma.program(1, stream(4))).toBe(false);
    expect(dma.reset(1)).toBe(false);
    clock.advanceTo(GPDMA_SETUP_CYCLES + 5);
    expect(dma.suspend(1)).toBe(true);
    expect(dma.status(1) & 0xf).toBe(GpdmaState.Suspended);
    expect(dma.nextEventCycle()).toBe(Infinity);
    clock.advanceTo(500);
    expect(dma.transferred(1)).toBe(5);
    expect(dma.resume(1)).toBe(true);
    expect(dma.nextEventCycle()).toBe(500 + 5); // HT at 10 bytes
    clock.advanceTo(515);
    expect(dma.status(1) & 0xf).toBe(GpdmaState.TransferComplete);
    expect([...memory.shm.get(1)!.subarray(0, 20)]).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(dma.reset(1)).toBe(true);
    expect(dma.isProgrammed(1)).toBe(false);
  });

  it('reports a refused copy as a transmission error with the ERROR interrupt', () => {
    const { clock, dma, raised } = setup();
    dma.program(3, { ...stream(100), dest: { kind: 'shm', id: 1 } }); // 100 > 64: runs off the end
    dma.start(3);
    clock.advanceTo(1000);
    expect(dma.channelState(3)).toBe(GpdmaState.TransmissionFailure);
    expect(dma.pendingFlags(3) & GpdmaInterrupt.Error).toBe(GpdmaInterrupt.Error);
    expect(raised.length).toBe(1);
    expect(dma.read(GpdmaReg.ChannelStatus + 3 * 0x80, 4) & (1 << 10)).toBe(1 << 10);
  });

  it('fails a zero-length transfer with a configuration error at the end of setup', () => {
    const { clock, dma, raised } = setup();
    dma.program(4, stream(0));
    dma.start(4);
    expect(raised).toEqual([]);
    clock.advanceTo(GPDMA_SETUP_CYCLES);
    expect(dma.channelState(4)).toBe(GpdmaState.ConfigurationFailure);
    expect(raised).toEqual([`${GPDMA_SETUP_CYCLES}:15`]);
  });

  it('repeats circular blocks, the circular side restarting at 0', () => {
    const { clock, dma, memory, raised } = setup();
    dma.program(5, stream(8, { circularSource: true, circularDest: true }));
    dma.start(5);
    clock.advanceTo(GPDMA_SETUP_CYCLES + 8);
    expect(raised).toEqual([`${GPDMA_SETUP_CYCLES + 8}:16`]);
    expect(dma.channelState(5)).toBe(GpdmaState.Running);
    clock.advanceTo(GPDMA_SETUP_CYCLES + 20);
    expect(dma.completedBlocks(5)).toBe(2);
    expect(memory.log.at(-1)).toBe(`${GPDMA_SETUP_CYCLES + 20}:0+0->1+0x4`);
  });

  it('fires same-cycle events in priority order, then channel order', () => {
    const { clock, dma, raised } = setup();
    dma.program(0, stream(4, { priority: 0 }));
    dma.program(6, stream(4, { priority: 3 }));
    dma.program(7, stream(4, { priority: 0 }));
    dma.start(0); dma.start(7); dma.start(6);
    clock.advanceTo(100);
    const at = GPDMA_SETUP_CYCLES + 4;
    expect(raised).toEqual([`${at}:17`, `${at}:11`, `${at}:18`]);
  });
});
