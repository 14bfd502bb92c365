/**
 * The ABI tables pinned to the spec: every number here is copied from the spec's tables
 * (shared/spec/uapi.md §1.1, §2), not computed from `toolchain/abi`, so a change to the
 * ABI data that the spec does not make fails here, whatever else was regenerated from it.
 *
 * Covered: syscall numbers, names and argument widths (§1.1), which calls may block and
 * which imports a capability gates (§1.1 "cap" column, Part 1 §1.3), Status (§2.1), the
 * enumerations (§2.3–§2.8, §2.15), the event header (§2.9), capability bits and family
 * masks (§2.13), handle bit layouts (§2.14) and the reserved labels (§2.15).
 */
import { describe, expect, it } from 'vitest';
import {
  AUTOTEST_TASK_LABEL, AlarmFlag, CAPABILITIES, CAP_ALL_DEFINED, CAP_DEV_MASK, CAP_MEM_MASK, CAP_SYS_MASK, Cap, CpuSleep,
  DEVICE_HANDLE_FAMILY, DMA_HANDLE_FAMILY, EVENT_HEADER_SIZE, EVENT_MAGIC, EventType, ExitPolicy, IDLE_TASK_LABEL, JobState,
  Precision, STATUS_TABLE, SYSCALLS, SYSCALL_COUNT, SleepMode, Signal, Status, TASK_HANDLE_ID_MASK, TASK_HANDLE_ID_SHIFT,
  TASK_HANDLE_RERUN_BITS, TASK_HANDLE_RERUN_MASK, UAPI_ENUMS, USER_STATUS_MAX, WFE_WAIT_FOREVER, WFE_WAIT_NO,
  makeDeviceHandle, makeDmaHandle, makeShmHandle, makeTaskHandle, syscallByName, taskHandleId,
} from './index.js';
import { generateCHeaders } from '../sdk/c-headers.js';

/**
 * Spec §1.1, one row per syscall: number, C enum, Rust variant, C function, raw name and
 * the kernel-side width of each argument ("args (width)" column).
 */
const SPEC_SYSCALLS: readonly (readonly [number, string, string, string, string, readonly string[]])[] = [
  [0, 'SYSCALL_EXIT', 'Exit', '__sys_exit', 'exit', ['u32']],
  [1, 'SYSCALL_GET_PROCESS_HANDLE', 'GetProcessHandle', '__sys_get_process_handle', 'get_process_handle', ['u32']],
  [2, 'SYSCALL_GET_DEVICE_HANDLE', 'GetDeviceHandle', '__sys_get_device_handle', 'get_device_handle', ['u8']],
  [3, 'SYSCALL_YIELD', 'Yield', '__sys_sched_yield', 'sched_yield', []],
  [4, 'SYSCALL_SLEEP', 'Sleep', '__sys_sleep', 'sleep', ['u32', 'u32']],
  [5, 'SYSCALL_START', 'Start', '__sys_start', 'start', ['u32']],
  [6, 'SYSCALL_MAP_DEV', 'MapDev', '__sys_map_dev', 'map_dev', ['u32']],
  [7, 'SYSCALL_MAP_SHM', 'MapShm', '__sys_map_shm', 'map_shm', ['u32']],
  [8, 'SYSCALL_UNMAP_DEV', 'UnmapDev', '__sys_unmap_dev', 'unmap_dev', ['u32']],
  [9, 'SYSCALL_UNMAP_SHM', 'UnmapShm', '__sys_unmap_shm', 'unmap_shm', ['u32']],
  [10, 'SYSCALL_SHM_SET_CREDENTIAL', 'SHMSetCredential', '__sys_shm_set_credential', 'shm_set_credential', ['u32', 'u32', 'u32']],
  [11, 'SYSCALL_SEND_IPC', 'SendIPC', '__sys_send_ipc', 'send_ipc', ['u32', 'u32']],
  [12, 'SYSCALL_SEND_SIGNAL', 'SendSignal', '__sys_send_signal', 'send_signal', ['u32', 'u32']],
  [13, 'SYSCALL_WAIT_FOR_EVENT', 'WaitForEvent', '__sys_wait_for_event', 'wait_for_event', ['u8', 'i32']],
  [14, 'SYSCALL_PM_MANAGE', 'PmManage', '__sys_pm_manage', 'pm_manage', ['u32']],
  [15, 'SYSCALL_PM_SET_CLOCK', 'PmSetClock', '__sys_pm_set_clock', 'pm_set_clock', ['u32', 'u32', 'u32']],
  [16, 'SYSCALL_LOG', 'Log', '__sys_log', 'log', ['u32']],
  [17, 'SYSCALL_ALARM', 'Alarm', '__sys_alarm', 'alarm', ['u32', 'u32']],
  [18, 'SYSCALL_GET_RANDOM', 'GetRandom', '__sys_get_random', 'get_random', []],
  [19, 'SYSCALL_GET_CYCLE', 'GetCycle', '__sys_get_cycle', 'get_cycle', ['u32']],
  [20, 'SYSCALL_GPIO_GET', 'GpioGet', '__sys_gpio_get', 'gpio_get', ['u32', 'u8']],
  [21, 'SYSCALL_GPIO_SET', 'GpioSet', '__sys_gpio_set', 'gpio_set', ['u32', 'u8', 'bool']],
  [22, 'SYSCALL_GPIO_RESET', 'GpioReset', '__sys_gpio_reset', 'gpio_reset', ['u32', 'u8']],
  [23, 'SYSCALL_GPIO_TOGGLE', 'GpioToggle', '__sys_gpio_toggle', 'gpio_toggle', ['u32', 'u8']],
  [24, 'SYSCALL_GPIO_CONFIGURE', 'GpioConfigure', '__sys_gpio_configure', 'gpio_configure', ['u32', 'u8']],
  [25, 'SYSCALL_IRQ_ACKNOWLEDGE', 'IrqAcknowledge', '__sys_irq_acknowledge', 'irq_acknowledge', ['u16']],
  [26, 'SYSCALL_IRQ_ENABLE', 'IrqEnable', '__sys_irq_enable', 'irq_enable', ['u16']],
  [27, 'SYSCALL_IRQ_DISABLE', 'IrqDisable', '__sys_irq_disable', 'irq_disable', ['u16']],
  [28, 'SYSCALL_GET_SHM_HANDLE', 'GetShmHandle', '__sys_get_shm_handle', 'get_shm_handle', ['u32']],
  [29, 'SYSCALL_GET_DMA_STREAM_HANDLE', 'GetDmaStreamHandle', '__sys_get_dma_stream_handle', 'get_dma_stream_handle', ['u32']],
  // sic: the real C identifier misses a T (spec §2.2)
  [30, 'SYSCALL_DMA_START_SREAM', 'DmaStartStream', '__sys_dma_start_stream', 'dma_start_stream', ['u32']],
  [31, 'SYSCALL_DMA_SUSPEND_STREAM', 'DmaSuspendStream', '__sys_dma_suspend_stream', 'dma_suspend_stream', ['u32']],
  [32, 'SYSCALL_DMA_GET_STREAM_STATUS', 'DmaGetStreamStatus', '__sys_dma_get_stream_status', 'dma_get_stream_status', ['u32']],
  [33, 'SYSCALL_SHM_GET_INFOS', 'ShmGetInfos', '__sys_shm_get_infos', 'shm_get_infos', ['u32']],
  [34, 'SYSCALL_DMA_ASSIGN_STREAM', 'DmaAssignStream', '__sys_dma_assign_stream', 'dma_assign_stream', ['u32']],
  [35, 'SYSCALL_DMA_UNASSIGN_STREAM', 'DmaUnassignStream', '__sys_dma_unassign_stream', 'dma_unassign_stream', ['u32']],
  [36, 'SYSCALL_DMA_GET_STREAM_INFO', 'DmaGetStreamInfo', '__sys_dma_get_stream_info', 'dma_get_stream_info', ['u32']],
  [37, 'SYSCALL_DMA_RESUME_STREAM', 'DmaResumeStream', '__sys_dma_resume_stream', 'dma_resume_stream', ['u32']],
];

describe('syscalls (spec §1.1)', () => {
  it('are the 38 of the spec, dense and in order, with their names and argument widths', () => {
    expect(SYSCALL_COUNT).toBe(38);
    expect(SYSCALLS.map((s) => [s.number, s.cEnum, s.rustVariant, s.cFunction, s.name, s.args.map((a) => a.width)])).toEqual(SPEC_SYSCALLS);
    SYSCALLS.forEach((s, index) => expect(s.number, s.name).toBe(index));
  });

  it('names are unique and found by name', () => {
    for (const key of ['name', 'cEnum', 'rustVariant', 'cFunction'] as const) {
      expect(new Set(SYSCALLS.map((s) => s[key])).size, key).toBe(38);
    }
    expect(syscallByName('send_ipc')?.number).toBe(11);
    expect(syscallByName('dma_resume_stream')?.number).toBe(37);
    expect(syscallByName('sys_autotest')).toBeUndefined();
  });

  it('only exit, sched_yield, sleep, send_ipc and wait_for_event may take the CPU away from the caller', () => {
    expect(SYSCALLS.filter((s) => s.blocking).map((s) => s.number)).toEqual([0, 3, 4, 11, 13]);
  });

  it('a capability gates the import of exactly the calls every use of which needs it (Part 1 §1.3)', () => {
    const gates = Object.fromEntries(SYSCALLS.filter((s) => s.importGate !== 0).map((s) => [s.name, s.importGate]));
    const anyDev = 0xfff;
    const ioOrBuses = 0x2 | 0x1;
    const dma = 0x4;
    expect(gates).toEqual({
      start: 0x4000, // CAP_SYS_PROCSTART
      map_dev: anyDev, unmap_dev: anyDev, // the device's own CAP_DEV_* bit
      pm_set_clock: 0x2000, // CAP_SYS_POWER
      get_random: 0x200000, // CAP_CRY_KRNG
      gpio_get: ioOrBuses, gpio_set: ioOrBuses, gpio_reset: ioOrBuses, gpio_toggle: ioOrBuses, gpio_configure: ioOrBuses,
      irq_acknowledge: anyDev, irq_enable: anyDev, irq_disable: anyDev,
      get_dma_stream_handle: dma, dma_start_stream: dma, dma_suspend_stream: dma, dma_get_stream_status: dma,
      dma_assign_stream: dma, dma_unassign_stream: dma, dma_get_stream_info: dma, dma_resume_stream: dma,
    });
    // get_cycle's capability depends on its argument: a run-time check, never an import gate
    expect(syscallByName('get_cycle')?.importGate).toBe(0);
  });
});

describe('Status (spec §2.1)', () => {
  it('has the spec values and spellings; NON_SENSE (11) is the kernel-internal one', () => {
    expect(STATUS_TABLE.map((s) => [s.value, s.c, s.rust])).toEqual([
      [0, 'STATUS_OK', 'Ok'], [1, 'STATUS_INVALID', 'Invalid'], [2, 'STATUS_DENIED', 'Denied'],
      [3, 'STATUS_NO_ENTITY', 'NoEntity'], [4, 'STATUS_BUSY', 'Busy'], [5, 'STATUS_ALREADY_MAPPED', 'AlreadyMapped'],
      [6, 'STATUS_CRITICAL', 'Critical'], [7, 'STATUS_TIMEOUT', 'Timeout'], [8, 'STATUS_AGAIN', 'Again'],
      [9, 'STATUS_INTR', 'Intr'], [10, 'STATUS_DEADLK', 'Deadlk'], [11, 'STATUS_NON_SENSE', ''],
    ]);
    const enumValues = [Status.Ok, Status.Invalid, Status.Denied, Status.NoEntity, Status.Busy, Status.AlreadyMapped,
      Status.Critical, Status.Timeout, Status.Again, Status.Intr, Status.Deadlk, Status.NonSense];
    expect(enumValues).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(USER_STATUS_MAX).toBe(10);
  });
});

describe('enumerations (spec §2.3–§2.8, §2.15)', () => {
  const group = (cType: string) => UAPI_ENUMS.find((g) => g.cType === cType)?.members.map((m) => [m.c, m.value]);

  it('EventType (§2.3) and Signal (§2.4)', () => {
    expect(group('EventType')).toEqual([
      ['EVENT_TYPE_NONE', 0], ['EVENT_TYPE_IPC', 1], ['EVENT_TYPE_SIGNAL', 2], ['EVENT_TYPE_IRQ', 4], ['EVENT_TYPE_DMA', 8], ['EVENT_TYPE_ALL', 15],
    ]);
    expect([EventType.None, EventType.Ipc, EventType.Signal, EventType.Irq, EventType.Dma, EventType.All]).toEqual([0, 1, 2, 4, 8, 15]);
    expect(group('Signal')).toEqual([
      ['SIGNAL_ABORT', 1], ['SIGNAL_ALARM', 2], ['SIGNAL_BUS', 3], ['SIGNAL_CONT', 4], ['SIGNAL_ILL', 5], ['SIGNAL_IO', 6],
      ['SIGNAL_PIPE', 7], ['SIGNAL_POLL', 8], ['SIGNAL_TERM', 9], ['SIGNAL_TRAP', 10], ['SIGNAL_USR1', 11], ['SIGNAL_USR2', 12],
    ]);
    expect([Signal.Abort, Signal.Alarm, Signal.Bus, Signal.Cont, Signal.Ill, Signal.Io, Signal.Pipe, Signal.Poll, Signal.Term,
      Signal.Trap, Signal.Usr1, Signal.Usr2]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('Precision (§2.5), sleep (§2.6), CPUSleep (§2.7)', () => {
    expect(group('Precision')).toEqual([['PRECISION_CYCLE', 0], ['PRECISION_NANOSECONDS', 1], ['PRECISION_MICROSECONDS', 2], ['PRECISION_MILLISECONDS', 3]]);
    expect([Precision.Cycle, Precision.Nanoseconds, Precision.Microseconds, Precision.Milliseconds]).toEqual([0, 1, 2, 3]);
    expect(group('SleepDuration_Tag')).toEqual([
      ['SLEEP_DURATION_D1MS', 0], ['SLEEP_DURATION_D2MS', 1], ['SLEEP_DURATION_D5MS', 2], ['SLEEP_DURATION_D10MS', 3],
      ['SLEEP_DURATION_D20MS', 4], ['SLEEP_DURATION_D50MS', 5], ['SLEEP_DURATION_ARBITRARY_MS', 6],
    ]);
    expect(group('SleepMode')).toEqual([['SLEEP_MODE_SHALLOW', 0], ['SLEEP_MODE_DEEP', 1]]);
    expect([SleepMode.Shallow, SleepMode.Deep]).toEqual([0, 1]);
    expect(group('CPUSleep')).toEqual([
      ['CPU_SLEEP_WAIT_FOR_INTERRUPT', 0], ['CPU_SLEEP_WAIT_FOR_EVENT', 1], ['CPU_SLEEP_FORBID_SLEEP', 2], ['CPU_SLEEP_ALLOW_SLEEP', 3],
    ]);
    expect([CpuSleep.WaitForInterrupt, CpuSleep.WaitForEvent, CpuSleep.ForbidSleep, CpuSleep.AllowSleep]).toEqual([0, 1, 2, 3]);
  });

  it('AlarmFlag, SHMPermission, ResourceType, EraseType, EraseMode (§2.8)', () => {
    expect(group('AlarmFlag')).toEqual([['O_ALRM_START', 0], ['O_ALRM_START_PERIODIC', 1], ['O_ALRM_STOP', 2]]);
    expect([AlarmFlag.Start, AlarmFlag.StartPeriodic, AlarmFlag.Stop]).toEqual([0, 1, 2]);
    expect(group('SHMPermission')).toEqual([
      ['SHM_PERMISSION_MAP', 1], ['SHM_PERMISSION_READ', 2], ['SHM_PERMISSION_WRITE', 4], ['SHM_PERMISSION_TRANSFER', 8],
    ]);
    expect(group('ResourceType')).toEqual([['RESOURCE_TYPE_PID', 1], ['RESOURCE_TYPE_DEVICE', 2], ['RESOURCE_TYPE_SHM', 4], ['RESOURCE_TYPE_DMA', 8]]);
    // sic: ZEROFIY is the real spelling
    expect(group('EraseType')).toEqual([['SVC_ERASETYPE_ZEROFIY', 0x5a], ['SVC_ERASETYPE_RANDOM', 0xa5]]);
    expect(group('EraseMode')).toEqual([['SVC_ERASEMODE_USER', 0x72], ['SVC_ERASEMODE_KERNEL', 0x27]]);
  });

  it('job states, exit flags and reserved labels (§2.15)', () => {
    expect([JobState.NotStarted, JobState.Ready, JobState.Sleeping, JobState.SleepingDeep, JobState.Fault, JobState.Security,
      JobState.Aborting, JobState.Finished, JobState.IpcSendBlocked, JobState.WaitForEvent]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([ExitPolicy.NoRestart, ExitPolicy.Restart, ExitPolicy.Panic, ExitPolicy.PeriodicRestart, ExitPolicy.Reset]).toEqual([0, 1, 2, 3, 4]);
    expect(IDLE_TASK_LABEL).toBe(0xcafe);
    expect(AUTOTEST_TASK_LABEL).toBe(0xbabe);
  });
});

describe('events (spec §2.9)', () => {
  it('wait constants, an 8-byte header with magic 0x4242', () => {
    expect(WFE_WAIT_NO).toBe(-1);
    expect(WFE_WAIT_FOREVER).toBe(0);
    expect(EVENT_HEADER_SIZE).toBe(8);
    expect(EVENT_MAGIC).toBe(0x4242);
  });

  it('the header C code sees: type u8 @0, length u8 @1, magic u16 @2, source u32 @4, data @8, layout asserted at compile time', () => {
    const types = generateCHeaders({ exchangeAreaLen: 128 })['uapi/types.h']!;
    const struct = /typedef struct exchange_event \{([\s\S]*?)\} exchange_event_t;/.exec(types)?.[1] ?? '';
    const fields = [...struct.matchAll(/^\s*(\w+) (\w+(?:\[\])?);/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(fields).toEqual(['uint8_t type', 'uint8_t length', 'uint16_t magic', 'uint32_t source', 'uint8_t data[]']);
    expect(types).toContain('sizeof(exchange_event_t) == EVENT_HEADER_SIZE');
    expect(types).toContain('offsetof(exchange_event_t, magic) == 2');
    expect(types).toContain('offsetof(exchange_event_t, source) == 4');
    expect(types).toContain('offsetof(exchange_event_t, data) == 8');
    expect(types).toContain('#define EVENT_MAGIC 0x4242u');
  });
});

describe('capabilities (spec §2.13)', () => {
  it('have the spec bits, names and metadata labels', () => {
    expect(CAPABILITIES.map((c) => [c.name, c.bit, c.label])).toEqual([
      ['CAP_DEV_BUSES', 0, 'dev_buses'], ['CAP_DEV_IO', 1, 'dev_io'], ['CAP_DEV_DMA', 2, 'dev_dma'],
      ['CAP_DEV_ANALOG', 3, 'dev_analog'], ['CAP_DEV_TIMER', 4, 'dev_timer'], ['CAP_DEV_STORAGE', 5, 'dev_storage'],
      ['CAP_DEV_CRYPTO', 6, 'dev_crypto'], ['CAP_DEV_CLOCK', 7, 'dev_clock'], ['CAP_DEV_POWER', 8, 'dev_power'],
      ['CAP_DEV_NEURAL', 9, 'dev_neural'], ['CAP_SYS_UPGRADE', 12, 'sys_upgrade'], ['CAP_SYS_POWER', 13, 'sys_power'],
      ['CAP_SYS_PROCSTART', 14, 'sys_procstart'], ['CAP_MEM_SHM_OWN', 16, 'mem_shm_own'], ['CAP_MEM_SHM_USE', 17, 'mem_shm_use'],
      ['CAP_MEM_SHM_TRANSFER', 18, 'mem_shm_transfer'], ['CAP_TIM_HP_CHRONO', 20, 'tim_hp_chrono'], ['CAP_CRY_KRNG', 21, 'cry_krng'],
    ]);
    expect([Cap.DevBuses, Cap.DevIo, Cap.DevDma, Cap.DevAnalog, Cap.DevTimer, Cap.DevStorage, Cap.DevCrypto, Cap.DevClock,
      Cap.DevPower, Cap.DevNeural, Cap.SysUpgrade, Cap.SysPower, Cap.SysProcstart, Cap.MemShmOwn, Cap.MemShmUse,
      Cap.MemShmTransfer, Cap.TimHpChrono, Cap.CryKrng]).toEqual([
      0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x1000, 0x2000, 0x4000, 0x10000, 0x20000, 0x40000, 0x100000, 0x200000,
    ]);
  });

  it('family masks DEV 0xFFF, SYS 0xF000, MEM 0xF0000; bits 10, 11, 15, 19, 22..31 unused', () => {
    expect([CAP_DEV_MASK, CAP_SYS_MASK, CAP_MEM_MASK]).toEqual([0xfff, 0xf000, 0xf0000]);
    expect(CAP_ALL_DEFINED).toBe(0x3773ff);
    for (const bit of [10, 11, 15, 19, ...Array.from({ length: 10 }, (_, i) => 22 + i)]) {
      expect((CAP_ALL_DEFINED >>> bit) & 1, `bit ${bit}`).toBe(0);
    }
  });
});

describe('handles (spec §2.14)', () => {
  it('task handle: rerun bits 0..19, id bits 20..27, family 0 in 28..30, bit 31 clear', () => {
    expect([TASK_HANDLE_RERUN_BITS, TASK_HANDLE_RERUN_MASK, TASK_HANDLE_ID_SHIFT, TASK_HANDLE_ID_MASK]).toEqual([20, 0xfffff, 20, 0xff]);
    expect(makeTaskHandle(0xab, 0x12345)).toBe(0x0ab12345);
    expect(makeTaskHandle(0xff, 0xffffffff)).toBe(0x0fffffff);
    expect(makeTaskHandle(1, 0x123456)).toBe(0x00123456);
    expect(taskHandleId(0x0ab12345)).toBe(0xab);
    // family bits are part of the decoded index, so a handle with them set is out of range
    expect(taskHandleId(0x10012345)).toBeGreaterThan(0xff);
  });

  it('device handle: capability bits 0..11, bit 12 clear, id bits 13..28, family 1 in 29..31', () => {
    expect(DEVICE_HANDLE_FAMILY).toBe(1);
    expect(makeDeviceHandle(5, 0x2)).toBe(0x2000a002);
    expect(makeDeviceHandle(0xffff, 0xfff)).toBe(0x3fffefff);
    expect(makeDeviceHandle(0, 0x1fff)).toBe(0x20000fff);
  });

  it('SHM handle: id bits 0..7, 24 random bits above', () => {
    expect(makeShmHandle(3, 0xabcdef)).toBe(0xabcdef03);
    expect(makeShmHandle(0x1ff, 0x1abcdef)).toBe(0xabcdefff);
  });

  it('DMA handle: 21 random bits 0..20, stream id bits 21..28, family 2 in 29..31', () => {
    expect(DMA_HANDLE_FAMILY).toBe(2);
    expect(makeDmaHandle(5, 0x1fffff)).toBe(0x40bfffff);
    expect(makeDmaHandle(0xff, 0)).toBe(0x5fe00000);
    expect(makeDmaHandle(0, 0xffffffff)).toBe(0x401fffff);
  });
});
