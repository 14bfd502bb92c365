/**
 * The syscall table: every syscall of the Sentry UAPI, written once.
 *
 * Each entry gives the number, the names (C enum, Rust variant, C function, raw import),
 * each argument with its kernel-side width, whether the call can block (so the integrator
 * restricts Asyncify to exactly these imports), and the capability that gates importing it.
 *
 * The kernel's dispatch table is built from this list *by name* and checked for
 * completeness; the C header and the exchange-area library are generated from it.
 * Numbers are ABI: they are asserted dense and in order (0..37) by `abi.test.ts`.
 *
 * `importGate` is Rampart's rule "imports are capabilities" (spec Part 1 §1.3): a syscall
 * every use of which needs one of these capabilities cannot be imported by a task holding
 * none of them. Argument-dependent checks stay run-time checks in the gates.
 */

import { Cap, CAP_DEV_MASK } from './capabilities.js';

/** Kernel-side width of one argument: the gate truncates the raw 32-bit value to it. */
export type ArgWidth = 'u8' | 'u16' | 'u32' | 'i32' | 'bool';

export interface SyscallArg {
  readonly name: string;
  readonly width: ArgWidth;
}

/** Which issue/feature set provides the gate; absent families are refused at integration. */
export type SyscallFamily = 'core' | 'device' | 'shm' | 'dma' | 'power';

export interface SyscallInfo {
  readonly number: number;
  /** Raw import name (module `rampart`) and kernel-side identifier. */
  readonly name: string;
  /** C enum constant (`SYSCALL_*`, spelling preserved). */
  readonly cEnum: string;
  /** Rust `Syscall` variant. */
  readonly rustVariant: string;
  /** Exported C function of the UAPI. */
  readonly cFunction: string;
  readonly args: readonly SyscallArg[];
  /** True when the call may deschedule its caller (an Asyncify import). */
  readonly blocking: boolean;
  /** Import is refused unless the task holds at least one of these capability bits (mask). 0 = ungated. */
  readonly importGate: number;
  readonly family: SyscallFamily;
  readonly doc: string;
}

/** Wasm import module name of every kernel entry point. */
export const SYSCALL_IMPORT_MODULE = 'rampart';

/** The instrumentation's preemption hook: always granted, blocking, not a syscall. */
export const PREEMPT_IMPORT = 'preempt';

const u32 = (name: string): SyscallArg => ({ name, width: 'u32' });
const u8 = (name: string): SyscallArg => ({ name, width: 'u8' });
const u16 = (name: string): SyscallArg => ({ name, width: 'u16' });

const DMA = Cap.DevDma as number;
const GPIO = (Cap.DevIo | Cap.DevBuses) as number;

export const SYSCALLS: readonly SyscallInfo[] = [
  { number: 0, name: 'exit', cEnum: 'SYSCALL_EXIT', rustVariant: 'Exit', cFunction: '__sys_exit', args: [u32('status')], blocking: true, importGate: 0, family: 'core', doc: 'terminate the current job with a status; never returns' },
  { number: 1, name: 'get_process_handle', cEnum: 'SYSCALL_GET_PROCESS_HANDLE', rustVariant: 'GetProcessHandle', cFunction: '__sys_get_process_handle', args: [u32('label')], blocking: false, importGate: 0, family: 'core', doc: 'task label -> task handle in exch[0..4)' },
  { number: 2, name: 'get_device_handle', cEnum: 'SYSCALL_GET_DEVICE_HANDLE', rustVariant: 'GetDeviceHandle', cFunction: '__sys_get_device_handle', args: [u8('devlabel')], blocking: false, importGate: 0, family: 'device', doc: 'device id -> device handle in exch[0..4)' },
  { number: 3, name: 'sched_yield', cEnum: 'SYSCALL_YIELD', rustVariant: 'Yield', cFunction: '__sys_sched_yield', args: [], blocking: true, importGate: 0, family: 'core', doc: 'give the CPU away; the caller goes to the backed queue' },
  { number: 4, name: 'sleep', cEnum: 'SYSCALL_SLEEP', rustVariant: 'Sleep', cFunction: '__sys_sleep', args: [u32('duration_ms'), u32('mode')], blocking: true, importGate: 0, family: 'core', doc: 'sleep for a duration, shallow or deep' },
  { number: 5, name: 'start', cEnum: 'SYSCALL_START', rustVariant: 'Start', cFunction: '__sys_start', args: [u32('label')], blocking: false, importGate: Cap.SysProcstart, family: 'core', doc: 'start a task that is not started' },
  { number: 6, name: 'map_dev', cEnum: 'SYSCALL_MAP_DEV', rustVariant: 'MapDev', cFunction: '__sys_map_dev', args: [u32('devh')], blocking: false, importGate: CAP_DEV_MASK, family: 'device', doc: 'map an owned device' },
  { number: 7, name: 'map_shm', cEnum: 'SYSCALL_MAP_SHM', rustVariant: 'MapShm', cFunction: '__sys_map_shm', args: [u32('shmh')], blocking: false, importGate: 0, family: 'shm', doc: 'map a shared memory' },
  { number: 8, name: 'unmap_dev', cEnum: 'SYSCALL_UNMAP_DEV', rustVariant: 'UnmapDev', cFunction: '__sys_unmap_dev', args: [u32('devh')], blocking: false, importGate: CAP_DEV_MASK, family: 'device', doc: 'unmap an owned device' },
  { number: 9, name: 'unmap_shm', cEnum: 'SYSCALL_UNMAP_SHM', rustVariant: 'UnmapShm', cFunction: '__sys_unmap_shm', args: [u32('shmh')], blocking: false, importGate: 0, family: 'shm', doc: 'unmap a shared memory' },
  { number: 10, name: 'shm_set_credential', cEnum: 'SYSCALL_SHM_SET_CREDENTIAL', rustVariant: 'SHMSetCredential', cFunction: '__sys_shm_set_credential', args: [u32('shmh'), u32('taskh'), u32('perms')], blocking: false, importGate: 0, family: 'shm', doc: 'set owner or user credentials of a shared memory' },
  { number: 11, name: 'send_ipc', cEnum: 'SYSCALL_SEND_IPC', rustVariant: 'SendIPC', cFunction: '__sys_send_ipc', args: [u32('target'), u32('len')], blocking: true, importGate: 0, family: 'core', doc: 'send exch[0..len) to a task; blocks until it is read' },
  { number: 12, name: 'send_signal', cEnum: 'SYSCALL_SEND_SIGNAL', rustVariant: 'SendSignal', cFunction: '__sys_send_signal', args: [u32('target'), u32('signal')], blocking: false, importGate: 0, family: 'core', doc: 'post a signal to a task' },
  { number: 13, name: 'wait_for_event', cEnum: 'SYSCALL_WAIT_FOR_EVENT', rustVariant: 'WaitForEvent', cFunction: '__sys_wait_for_event', args: [u8('mask'), { name: 'timeout', width: 'i32' }], blocking: true, importGate: 0, family: 'core', doc: 'fetch one pending event, optionally waiting' },
  { number: 14, name: 'pm_manage', cEnum: 'SYSCALL_PM_MANAGE', rustVariant: 'PmManage', cFunction: '__sys_pm_manage', args: [u32('mode')], blocking: false, importGate: 0, family: 'core', doc: 'CPU sleep policy' },
  { number: 15, name: 'pm_set_clock', cEnum: 'SYSCALL_PM_SET_CLOCK', rustVariant: 'PmSetClock', cFunction: '__sys_pm_set_clock', args: [u32('clk_reg'), u32('clkmsk'), u32('val')], blocking: false, importGate: Cap.SysPower, family: 'power', doc: 'clock mux selection' },
  { number: 16, name: 'log', cEnum: 'SYSCALL_LOG', rustVariant: 'Log', cFunction: '__sys_log', args: [u32('len')], blocking: false, importGate: 0, family: 'core', doc: 'write exch[0..len) to the console' },
  { number: 17, name: 'alarm', cEnum: 'SYSCALL_ALARM', rustVariant: 'Alarm', cFunction: '__sys_alarm', args: [u32('delay_ms'), u32('flag')], blocking: false, importGate: 0, family: 'core', doc: 'arm, arm periodic or stop an alarm' },
  { number: 18, name: 'get_random', cEnum: 'SYSCALL_GET_RANDOM', rustVariant: 'GetRandom', cFunction: '__sys_get_random', args: [], blocking: false, importGate: Cap.CryKrng, family: 'core', doc: '32-bit random value in exch[0..4)' },
  { number: 19, name: 'get_cycle', cEnum: 'SYSCALL_GET_CYCLE', rustVariant: 'GetCycle', cFunction: '__sys_get_cycle', args: [u32('precision')], blocking: false, importGate: 0, family: 'core', doc: 'time since boot as u64 in exch[0..8)' },
  { number: 20, name: 'gpio_get', cEnum: 'SYSCALL_GPIO_GET', rustVariant: 'GpioGet', cFunction: '__sys_gpio_get', args: [u32('devh'), u8('io')], blocking: false, importGate: GPIO, family: 'device', doc: 'read a pin level into exch[0]' },
  { number: 21, name: 'gpio_set', cEnum: 'SYSCALL_GPIO_SET', rustVariant: 'GpioSet', cFunction: '__sys_gpio_set', args: [u32('devh'), u8('io'), { name: 'val', width: 'bool' }], blocking: false, importGate: GPIO, family: 'device', doc: 'drive a pin' },
  { number: 22, name: 'gpio_reset', cEnum: 'SYSCALL_GPIO_RESET', rustVariant: 'GpioReset', cFunction: '__sys_gpio_reset', args: [u32('devh'), u8('io')], blocking: false, importGate: GPIO, family: 'device', doc: 'drive a pin low' },
  { number: 23, name: 'gpio_toggle', cEnum: 'SYSCALL_GPIO_TOGGLE', rustVariant: 'GpioToggle', cFunction: '__sys_gpio_toggle', args: [u32('devh'), u8('io')], blocking: false, importGate: GPIO, family: 'device', doc: 'toggle a pin' },
  { number: 24, name: 'gpio_configure', cEnum: 'SYSCALL_GPIO_CONFIGURE', rustVariant: 'GpioConfigure', cFunction: '__sys_gpio_configure', args: [u32('devh'), u8('io')], blocking: false, importGate: GPIO, family: 'device', doc: 'apply the pin configuration' },
  { number: 25, name: 'irq_acknowledge', cEnum: 'SYSCALL_IRQ_ACKNOWLEDGE', rustVariant: 'IrqAcknowledge', cFunction: '__sys_irq_acknowledge', args: [u16('irq')], blocking: false, importGate: CAP_DEV_MASK, family: 'device', doc: 'acknowledge and unmask an owned IRQ' },
  { number: 26, name: 'irq_enable', cEnum: 'SYSCALL_IRQ_ENABLE', rustVariant: 'IrqEnable', cFunction: '__sys_irq_enable', args: [u16('irq')], blocking: false, importGate: CAP_DEV_MASK, family: 'device', doc: 'unmask an owned IRQ' },
  { number: 27, name: 'irq_disable', cEnum: 'SYSCALL_IRQ_DISABLE', rustVariant: 'IrqDisable', cFunction: '__sys_irq_disable', args: [u16('irq')], blocking: false, importGate: CAP_DEV_MASK, family: 'device', doc: 'mask an owned IRQ' },
  { number: 28, name: 'get_shm_handle', cEnum: 'SYSCALL_GET_SHM_HANDLE', rustVariant: 'GetShmHandle', cFunction: '__sys_get_shm_handle', args: [u32('label')], blocking: false, importGate: 0, family: 'shm', doc: 'SHM label -> SHM handle in exch[0..4)' },
  { number: 29, name: 'get_dma_stream_handle', cEnum: 'SYSCALL_GET_DMA_STREAM_HANDLE', rustVariant: 'GetDmaStreamHandle', cFunction: '__sys_get_dma_stream_handle', args: [u32('label')], blocking: false, importGate: DMA, family: 'dma', doc: 'stream label -> DMA handle in exch[0..4)' },
  { number: 30, name: 'dma_start_stream', cEnum: 'SYSCALL_DMA_START_SREAM', rustVariant: 'DmaStartStream', cFunction: '__sys_dma_start_stream', args: [u32('dmah')], blocking: false, importGate: DMA, family: 'dma', doc: 'start an assigned or suspended stream' },
  { number: 31, name: 'dma_suspend_stream', cEnum: 'SYSCALL_DMA_SUSPEND_STREAM', rustVariant: 'DmaSuspendStream', cFunction: '__sys_dma_suspend_stream', args: [u32('dmah')], blocking: false, importGate: DMA, family: 'dma', doc: 'suspend a started stream' },
  { number: 32, name: 'dma_get_stream_status', cEnum: 'SYSCALL_DMA_GET_STREAM_STATUS', rustVariant: 'DmaGetStreamStatus', cFunction: '__sys_dma_get_stream_status', args: [u32('dmah')], blocking: false, importGate: DMA, family: 'dma', doc: 'stream state in exch[0]' },
  { number: 33, name: 'shm_get_infos', cEnum: 'SYSCALL_SHM_GET_INFOS', rustVariant: 'ShmGetInfos', cFunction: '__sys_shm_get_infos', args: [u32('shmh')], blocking: false, importGate: 0, family: 'shm', doc: 'shm_infos_t in exch[0..20)' },
  { number: 34, name: 'dma_assign_stream', cEnum: 'SYSCALL_DMA_ASSIGN_STREAM', rustVariant: 'DmaAssignStream', cFunction: '__sys_dma_assign_stream', args: [u32('dmah')], blocking: false, importGate: DMA, family: 'dma', doc: 'program the channel of a stream' },
  { number: 35, name: 'dma_unassign_stream', cEnum: 'SYSCALL_DMA_UNASSIGN_STREAM', rustVariant: 'DmaUnassignStream', cFunction: '__sys_dma_unassign_stream', args: [u32('dmah')], blocking: false, importGate: DMA, family: 'dma', doc: 'release the channel of a stream' },
  { number: 36, name: 'dma_get_stream_info', cEnum: 'SYSCALL_DMA_GET_STREAM_INFO', rustVariant: 'DmaGetStreamInfo', cFunction: '__sys_dma_get_stream_info', args: [u32('dmah')], blocking: false, importGate: DMA, family: 'dma', doc: 'gpdma_stream_cfg_t in exch[0..32)' },
  { number: 37, name: 'dma_resume_stream', cEnum: 'SYSCALL_DMA_RESUME_STREAM', rustVariant: 'DmaResumeStream', cFunction: '__sys_dma_resume_stream', args: [u32('dmah')], blocking: false, importGate: DMA, family: 'dma', doc: 'resume a suspended stream' },
];

/** Number of syscalls; any number >= this is invalid. */
export const SYSCALL_COUNT = 38;

/** Lookup by raw import name (build-time use; the kernel's hot path never uses it). */
export function syscallByName(name: string): SyscallInfo | undefined {
  return SYSCALLS.find((s) => s.name === name);
}

/**
 * Bus-access imports (Rampart's own, not Sentry syscalls): the only way a task reaches
 * device registers. Each takes a bus address (and a value for writes); the kernel checks
 * the access against the devices the task has mapped (a software MPU) and faults the task
 * on a violation. Importing them needs at least one device capability.
 */
export interface BusImportInfo {
  readonly name: string;
  readonly width: 1 | 2 | 4;
  readonly write: boolean;
  readonly importGate: number;
}

export const BUS_IMPORTS: readonly BusImportInfo[] = [
  { name: 'bus_read8', width: 1, write: false, importGate: CAP_DEV_MASK },
  { name: 'bus_read16', width: 2, write: false, importGate: CAP_DEV_MASK },
  { name: 'bus_read32', width: 4, write: false, importGate: CAP_DEV_MASK },
  { name: 'bus_write8', width: 1, write: true, importGate: CAP_DEV_MASK },
  { name: 'bus_write16', width: 2, write: true, importGate: CAP_DEV_MASK },
  { name: 'bus_write32', width: 4, write: true, importGate: CAP_DEV_MASK },
];
