/**
 * The board's RAM budget: what the tasks, the shared memories and the kernel take, against
 * the RAM of the board's memory node.
 *
 * The integrator checks it at build (toolchain/integrate/memory-layout.ts) and boot checks it
 * again from the image (kernel/boot/boot.ts). Both derive every number from the instrumented
 * module and the board through this file, so the two report the same figures.
 *
 * What counts (docs/task-abi.md, "The board's RAM"):
 * - per task, its own memory (stack, data, heap: the module's memory before the integrator
 *   extended it over the SHM range) plus what its memory holds above the SHM window (the
 *   Asyncify save area). The window itself is not per-task RAM: it is where every task sees
 *   the same shared memories, so charging it to each task would count each SHM once per
 *   task. Nor is the unused stretch between the own memory and the window: on a target it is
 *   address space, not RAM.
 * - each SHM's size, once;
 * - {@link KERNEL_RAM_RESERVATION}.
 * A board without a memory node (`ramSize` 0, e.g. the bare `/ { };` board) has no budget and
 * nothing is checked.
 *
 * The end of the own memory is the one figure the module's memory does not show (to Wasm, the
 * stretch below the window is ordinary memory), so the integrator records it as the exported
 * constant {@link OWN_MEMORY_END_EXPORT}. Boot checks that it is a page boundary between the
 * exchange area and the save area. A module without it is charged all its memory below the
 * SHM window, an upper bound. Beyond that the kernel takes the image's word for it, like every
 * other claim of an unsigned image: the signature is what vouches for it.
 */

import type { Board } from '../board.js';
import { exportedGlobalConst, type WasmInterface } from '../platform/wasm-sections.js';

/** WebAssembly page size. */
const PAGE = 65536;

/**
 * Board RAM the kernel keeps for itself, whatever the tasks: its stack, the task table and
 * per-task state (contexts, event and IRQ queues, handles), the scheduler, the trace ring and
 * the 4 KiB abnormal-event journal. 32 KiB is the order of what a small microcontroller kernel
 * of this kind needs on its target; it is a fixed budget, not a measurement of this emulator.
 */
export const KERNEL_RAM_RESERVATION = 32 * 1024;

/** Exported immutable i32 the integrator adds: the end (bytes) of the task's own memory. */
export const OWN_MEMORY_END_EXPORT = '__rampart_own_memory_end';

/** One task's share of the board's RAM. */
export interface TaskRamShare {
  readonly name: string;
  /** Own memory: stack, data and heap, below the SHM window. */
  readonly ownBytes: number;
  /** Memory above the SHM window, i.e. the Asyncify save area. */
  readonly saveAreaBytes: number;
}

/** The whole budget of a board that has a memory node. */
export interface RamBudget {
  readonly tasks: readonly TaskRamShare[];
  readonly shms: readonly { readonly path: string; readonly size: number }[];
  readonly kernelBytes: number;
  readonly totalBytes: number;
  /** The board's `ramSize`. */
  readonly ramBytes: number;
}

/** Where a task's memory layout puts its exchange area and save area (image metadata). */
export interface TaskMemoryLayout {
  readonly exchangeAddress: number;
  readonly exchangeLength: number;
  readonly asyncifyDataAddress: number;
}

/**
 * A task's share, from its module and layout. `problems` names a recorded own-memory end that
 * cannot be right; `share` is then undefined (as it is for a module without memory, which
 * boot refuses on its own).
 */
export function taskRamShare(name: string, info: WasmInterface, layout: TaskMemoryLayout, board: Board): { share?: TaskRamShare; problems: string[] } {
  if (info.memory === undefined) return { problems: [] };
  const memoryBytes = info.memory.initial * PAGE;
  const saveArea = Math.min(layout.asyncifyDataAddress, memoryBytes);
  let own = saveArea;
  const recorded = info.exports.some((e) => e.kind === 'global' && e.name === OWN_MEMORY_END_EXPORT);
  if (recorded) {
    const end = exportedGlobalConst(info, OWN_MEMORY_END_EXPORT);
    const exchangeEnd = layout.exchangeAddress + layout.exchangeLength;
    if (end === undefined) return { problems: [`task '${name}': '${OWN_MEMORY_END_EXPORT}' is not an i32 constant`] };
    own = end >>> 0;
    if (own % PAGE !== 0 || own < exchangeEnd || own > saveArea) {
      return { problems: [`task '${name}': '${OWN_MEMORY_END_EXPORT}' is ${own}, which is not a page boundary between the end of its exchange area (${exchangeEnd}) and its Asyncify save area (${layout.asyncifyDataAddress})`] };
    }
  }
  if (board.shms.length > 0) {
    const lowest = Math.min(...board.shms.map((s) => s.baseAddress));
    const top = Math.ceil(Math.max(...board.shms.map((s) => s.baseAddress + s.size)) / PAGE) * PAGE;
    // Only a memory that spans the window, with the own memory below it, has a window to
    // leave out; anything else is charged in full (an upper bound).
    if (top <= memoryBytes) {
      if (!recorded) own = Math.min(own, lowest);
      if (own <= lowest) return { share: { name, ownBytes: own, saveAreaBytes: memoryBytes - top }, problems: [] };
    }
  }
  return { share: { name, ownBytes: own, saveAreaBytes: memoryBytes - own }, problems: [] };
}

/** The budget of `board` for these shares; undefined when the board gives no RAM size. */
export function ramBudget(board: Board, tasks: readonly TaskRamShare[]): RamBudget | undefined {
  if (board.ramSize === 0) return undefined;
  const shms = board.shms.map((s) => ({ path: s.path, size: s.size }));
  const totalBytes = tasks.reduce((sum, t) => sum + t.ownBytes + t.saveAreaBytes, 0)
    + shms.reduce((sum, s) => sum + s.size, 0) + KERNEL_RAM_RESERVATION;
  return { tasks, shms, kernelBytes: KERNEL_RAM_RESERVATION, totalBytes, ramBytes: board.ramSize };
}

/** True when the budget fits the board's RAM. */
export function isWithinRam(budget: RamBudget): boolean {
  return budget.totalBytes <= budget.ramBytes;
}

function size(bytes: number): string {
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return bytes === 1 ? '1 byte' : `${bytes} bytes`;
}

/**
 * The figures of a budget, one line: each task's share, the SHMs, the reservation, the total
 * and the RAM size (the last two also in hex, as a devicetree `reg` writes them).
 */
export function describeRamBudget(budget: RamBudget): string {
  const tasks = budget.tasks.map((t) => `${t.name} ${size(t.ownBytes + t.saveAreaBytes)} (own memory ${size(t.ownBytes)} + Asyncify save area ${size(t.saveAreaBytes)})`);
  const shms = budget.shms.length === 0 ? 'none' : budget.shms.map((s) => `${s.path} ${size(s.size)}`).join(', ');
  const over = budget.totalBytes - budget.ramBytes;
  return `tasks ${tasks.length === 0 ? 'none' : tasks.join(', ')}; shared memories ${shms}; kernel reservation ${size(budget.kernelBytes)}; `
    + `total ${size(budget.totalBytes)} (0x${budget.totalBytes.toString(16)}), RAM ${size(budget.ramBytes)} (0x${budget.ramBytes.toString(16)})`
    + (over > 0 ? `, ${size(over)} over` : '');
}
