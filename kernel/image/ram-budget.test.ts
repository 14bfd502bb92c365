/**
 * The RAM budget's accounting on hand-made module interfaces: what a task is charged with and
 * without SHMs, the refusal of a recorded own-memory end that cannot be right, the sum and
 * its one-line description (the build and boot refusals both print it).
 */
import { describe, expect, it } from 'vitest';
import type { Board } from '../board.js';
import type { WasmInterface } from '../platform/wasm-sections.js';
import { describeRamBudget, isWithinRam, KERNEL_RAM_RESERVATION, OWN_MEMORY_END_EXPORT, ramBudget, taskRamShare } from './ram-budget.js';

const KIB = 1024;
const PAGE = 64 * KIB;

/** The interface of a module with `pages` of memory and, when given, a recorded own-memory end. */
function module(pages: number, ownEnd?: number): WasmInterface {
  return {
    imports: [], hasStart: false, importedGlobals: 0, mutableI32Globals: new Set(), memory: { initial: pages },
    exports: ownEnd === undefined ? [] : [{ name: OWN_MEMORY_END_EXPORT, kind: 'global', index: 0 }],
    globalInits: new Map(ownEnd === undefined ? [] : [[0, ownEnd]]),
  };
}

function board(ramSize: number, shms: readonly [number, number][] = []): Board {
  return {
    model: 'test', ramSize, devices: [], dmaStreams: [],
    shms: shms.map(([baseAddress, size], id) => ({ id, path: `/reserved-memory/shm@${baseAddress.toString(16)}`, label: 0x50 + id, owner: 1, baseAddress, size, dmaPool: false, noMap: false })),
  };
}

const layout = (asyncifyDataAddress: number) => ({ exchangeAddress: 1024, exchangeLength: 128, asyncifyDataAddress });

describe('a task\'s share of the board RAM', () => {
  it('without SHMs: the memory below the save area, plus the save area', () => {
    expect(taskRamShare('t', module(3, 2 * PAGE), layout(2 * PAGE), board(0))).toEqual({ share: { name: 't', ownBytes: 2 * PAGE, saveAreaBytes: PAGE }, problems: [] });
  });

  it('with SHMs: the own memory below the window and the save area above it, not the window nor the gap', () => {
    // Own memory 2 pages, the SHM window at 0x40000..0x41000 (pages 4), save area page 5.
    const shm = board(512 * KIB, [[0x40000, 0x1000]]);
    expect(taskRamShare('t', module(6, 2 * PAGE), layout(5 * PAGE), shm).share).toEqual({ name: 't', ownBytes: 2 * PAGE, saveAreaBytes: PAGE });
    // No recorded end (not from the integrator): everything below the window counts.
    expect(taskRamShare('t', module(6), layout(5 * PAGE), shm).share).toEqual({ name: 't', ownBytes: 4 * PAGE, saveAreaBytes: PAGE });
    // SHMs inside the own memory (integrated without the board): the whole memory counts.
    expect(taskRamShare('t', module(2, PAGE), layout(PAGE), board(0, [[0x8000, 0x100]])).share).toEqual({ name: 't', ownBytes: PAGE, saveAreaBytes: PAGE });
  });

  it('refuses a recorded end that is not a page boundary between the exchange area and the save area', () => {
    expect(taskRamShare('t', module(3, 1000), layout(2 * PAGE), board(0)).problems).toEqual([
      `task 't': '${OWN_MEMORY_END_EXPORT}' is 1000, which is not a page boundary between the end of its exchange area (1152) and its Asyncify save area (131072)`,
    ]);
    expect(taskRamShare('t', module(3, 3 * PAGE), layout(2 * PAGE), board(0)).share).toBeUndefined();
    expect(taskRamShare('t', module(3, 0), layout(2 * PAGE), board(0)).problems).toHaveLength(1);
  });
});

describe('the RAM budget', () => {
  const shares = [{ name: 'ping', ownBytes: PAGE, saveAreaBytes: PAGE }, { name: 'pong', ownBytes: 2 * PAGE, saveAreaBytes: PAGE }];

  it('is absent on a board without a memory node', () => {
    expect(ramBudget(board(0), shares)).toBeUndefined();
  });

  it('adds the tasks, each SHM once and the kernel reservation', () => {
    const shms: [number, number][] = [[0x40000, 0x1000], [0x41000, 0x100]];
    const budget = ramBudget(board(512 * KIB, shms), shares)!;
    expect(budget.totalBytes).toBe(5 * PAGE + 0x1100 + KERNEL_RAM_RESERVATION);
    expect(isWithinRam(budget)).toBe(true);
    expect(isWithinRam(ramBudget(board(budget.totalBytes, shms), shares)!)).toBe(true);
    expect(isWithinRam(ramBudget(board(budget.totalBytes - 1, shms), shares)!)).toBe(false);
  });

  it('names every figure', () => {
    expect(describeRamBudget(ramBudget(board(256 * KIB, [[0x40000, 0x1000]]), shares)!)).toBe(
      'tasks ping 128 KiB (own memory 64 KiB + Asyncify save area 64 KiB), pong 192 KiB (own memory 128 KiB + Asyncify save area 64 KiB); '
      + 'shared memories /reserved-memory/shm@40000 4 KiB; kernel reservation 32 KiB; total 356 KiB (0x59000), RAM 256 KiB (0x40000), 100 KiB over',
    );
  });
});
