/**
 * Handle bit layouts (spec §2.14), written once.
 *
 * A task handle is `rerun` (bits 0..19, regenerated from boot entropy at every start),
 * `id` (bits 20..27, the task-table index) and `family` (bits 28..30, 0). Validation is
 * always "decode the index, bounds-check it, then compare all 32 bits with the stored
 * handle": any flipped bit is not found.
 */

export const TASK_HANDLE_RERUN_BITS = 20;
export const TASK_HANDLE_RERUN_MASK = 0xfffff;
export const TASK_HANDLE_ID_SHIFT = 20;
export const TASK_HANDLE_ID_MASK = 0xff;

export const DEVICE_HANDLE_FAMILY = 1;
export const DMA_HANDLE_FAMILY = 2;

/** Forge a task handle from a table index and a 20-bit rerun value. */
export function makeTaskHandle(id: number, rerun: number): number {
  return (((id & TASK_HANDLE_ID_MASK) << TASK_HANDLE_ID_SHIFT) | (rerun & TASK_HANDLE_RERUN_MASK)) >>> 0;
}

/** Table index encoded in a task handle (unvalidated: callers compare the whole value). */
export function taskHandleId(handle: number): number {
  return (handle >>> TASK_HANDLE_ID_SHIFT) & 0xfff;
}

/** Device handle: deterministic `0x20000000 | id << 13 | cap`. */
export function makeDeviceHandle(id: number, devCap: number): number {
  return ((DEVICE_HANDLE_FAMILY << 29) | ((id & 0xffff) << 13) | (devCap & 0xfff)) >>> 0;
}

/** SHM handle: id in bits 0..7, 24 random bits above. */
export function makeShmHandle(id: number, random24: number): number {
  return (((random24 & 0xffffff) << 8) | (id & 0xff)) >>> 0;
}

/** DMA stream handle: 21 random bits, stream id in bits 21..28, family 2. */
export function makeDmaHandle(streamId: number, random21: number): number {
  return ((DMA_HANDLE_FAMILY << 29) | ((streamId & 0xff) << 21) | (random21 & 0x1fffff)) >>> 0;
}
