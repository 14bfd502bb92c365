/**
 * The ABI: syscall table, statuses, capabilities, enumerations, handle layouts.
 *
 * Pure data with no Node imports, so the kernel can depend on it directly.
 */
export * from './status.js';
export * from './capabilities.js';
export * from './syscalls.js';
export * from './types.js';
export * from './handles.js';
