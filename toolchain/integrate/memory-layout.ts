/**
 * Task memory layout at integration: make room for the board's shared-memory windows.
 *
 * A shared memory is reachable at its devicetree `reg` address inside every task that maps
 * it, and any task may become an SHM's user at run time, so every task's linear memory must
 * extend over the whole SHM range, and the task's own stack, data and heap must stay below
 * it. This module checks that and rewrites the memory section's limits (initial and
 * maximum) before instrumentation, which then appends the Asyncify save area above.
 */

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
