/**
 * Task memory layout at integration: make room for the board's shared-memory windows, and
 * check that the product fits the board's RAM.
 *
 * A shared memory is reachable at its devicetree `reg` address inside every task that maps
 * it, and any task may become an SHM's user at run time, so every task's linear memory must
 * extend over the whole SHM range, and the task's own stack, data and heap must stay below
 * it. This module checks that and rewrites the memory section's limits (initial and
 * maximum) before instrumentation, which then appends the Asyncify save area above.
 *
 * The RAM budget (what counts is kernel/image/ram-budget.ts, shared with boot so that both
 * report the same figures) is checked on the instrumented modules of the whole project.
 */

import type { Board } from '../../kernel/board.js';
import type { ImageTaskInput } from '../../kernel/image/image.js';
import { describeRamBudget, isWithinRam, ramBudget, taskRamShare, type TaskRamShare } from '../../kernel/image/ram-budget.js';
import { readWasmInterface } from '../../kernel/platform/wasm-sections.js';
import { encodeLeb128 as writeU32, readLeb128 } from './leb128.js';

const PAGE = 65536;

export class MemoryLayoutError extends Error {
  override readonly name = 'MemoryLayoutError';
}

function readU32(bytes: Uint8Array, at: number): [number, number] {
  const decoded = readLeb128(bytes, at);
  if (decoded === undefined) throw new MemoryLayoutError('malformed module: bad LEB128');
  return [decoded.value, decoded.next];
}

/** Initial pages of the module's defined memory, or undefined. */
export function memoryPages(wasm: Uint8Array): { initial: number; maximum: number | undefined } | undefined {
  const found = findMemorySection(wasm);
  return found?.limits;
}

function findMemorySection(wasm: Uint8Array): { start: number; end: number; limits: { initial: number; maximum: number | undefined } } | undefined {
  let pos = 8;
  while (pos < wasm.length) {
    const id = wasm[pos]!;
    const [size, body] = readU32(wasm, pos + 1);
    const end = body + size;
    if (end > wasm.length) throw new MemoryLayoutError('malformed module: section past end');
    if (id === 5) {
      const [count, p0] = readU32(wasm, body);
      if (count !== 1) throw new MemoryLayoutError(`a task module must define exactly one memory (found ${count})`);
      const flags = wasm[p0]!;
      if (flags > 1) throw new MemoryLayoutError('shared or 64-bit memories are not supported for tasks');
      const [initial, p1] = readU32(wasm, p0 + 1);
      const maximum = flags === 1 ? readU32(wasm, p1)[0] : undefined;
      return { start: pos, end, limits: { initial, maximum } };
    }
    pos = end;
  }
  return undefined;
}

/**
 * Extend the memory so that it covers `[0, minBytes)`; the module's own initial size must
 * not exceed `ownLimitBytes` (the start of the SHM range). Returns the module (unchanged
 * when it already covers the range) and the size of its own memory, which the rewrite hides
 * and the RAM budget needs (instrument's `ownMemoryBytes`).
 */
export function reserveSharedRange(wasm: Uint8Array, taskName: string, ownLimitBytes: number, minBytes: number): { wasm: Uint8Array; ownBytes: number } {
  const found = findMemorySection(wasm);
  if (found === undefined) throw new MemoryLayoutError(`task '${taskName}': module defines no memory`);
  const { initial, maximum } = found.limits;
  const ownBytes = initial * PAGE;
  if (ownBytes > ownLimitBytes) {
    throw new MemoryLayoutError(`task '${taskName}': its stack, data and heap take ${ownBytes} bytes, past the start of the shared-memory range at 0x${ownLimitBytes.toString(16)}; reduce CONFIG_TASK_STACK_SIZE or CONFIG_TASK_HEAP_SIZE`);
  }
  const pages = Math.ceil(minBytes / PAGE);
  if (initial >= pages) return { wasm, ownBytes };
  const newMax = Math.max(pages, maximum ?? pages);
  // vec(memtype) with one entry: count, flags (1 = has maximum), initial, maximum.
  const payload = [...writeU32(1), 0x01, ...writeU32(pages), ...writeU32(newMax)];
  const section = [5, ...writeU32(payload.length), ...payload];
  const out = new Uint8Array(wasm.length - (found.end - found.start) + section.length);
  out.set(wasm.subarray(0, found.start), 0);
  out.set(section, found.start);
  out.set(wasm.subarray(found.end), found.start + section.length);
  return { wasm: out, ownBytes };
}

/**
 * The build's RAM check: the integrated tasks, the board's SHMs and the kernel reservation
 * against the board's memory node. Returns the refusal (naming `boardFile`, every figure and
 * the fix), or an empty list when the board has no memory node or everything fits.
 */
export function ramBudgetProblems(board: Board, tasks: readonly ImageTaskInput[], kernelExchangeLength: number, boardFile: string): string[] {
  if (board.ramSize === 0) return [];
  const problems: string[] = [];
  const shares: TaskRamShare[] = [];
  for (const task of tasks) {
    const layout = { exchangeAddress: task.exchangeAddress, exchangeLength: kernelExchangeLength, asyncifyDataAddress: task.asyncifyDataAddress };
    const { share, problems: own } = taskRamShare(task.name, readWasmInterface(task.module), layout, board);
    problems.push(...own);
    if (share !== undefined) shares.push(share);
  }
  if (problems.length > 0) return problems;
  const budget = ramBudget(board, shares);
  if (budget === undefined || isWithinRam(budget)) return [];
  return [`${boardFile}: the tasks, shared memories and kernel do not fit the board's RAM: ${describeRamBudget(budget)}. `
    + `Shrink CONFIG_TASK_STACK_SIZE or CONFIG_TASK_HEAP_SIZE in the apps' task.conf, or enlarge the memory node (device_type = "memory") in ${boardFile}`];
}
