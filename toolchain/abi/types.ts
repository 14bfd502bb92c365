/**
 * The UAPI's enumerations and exchange-area layouts (spec §2.3–§2.11, §2.15).
 *
 * Plain data: the kernel imports these directly, the C/Rust/AS headers are generated
 * from the tables. Values are ABI and must match the Sentry UAPI exactly.
 */

export const enum EventType {
  None = 0,
  Ipc = 1,
  Signal = 2,
  Irq = 4,
  Dma = 8,
  All = 15,
}

export const enum Signal {
  Abort = 1,
  Alarm = 2,
  Bus = 3,
  Cont = 4,
  Ill = 5,
  Io = 6,
  Pipe = 7,
  Poll = 8,
  Term = 9,
  Trap = 10,
  Usr1 = 11,
  Usr2 = 12,
}

export const enum Precision {
  Cycle = 0,
  Nanoseconds = 1,
  Microseconds = 2,
  Milliseconds = 3,
}

export const enum SleepMode {
  Shallow = 0,
  Deep = 1,
}

export const enum CpuSleep {
  WaitForInterrupt = 0,
  WaitForEvent = 1,
  ForbidSleep = 2,
  AllowSleep = 3,
}

export const enum AlarmFlag {
  Start = 0,
  StartPeriodic = 1,
  Stop = 2,
}

export const enum JobState {
  NotStarted = 0,
  Ready = 1,
  Sleeping = 2,
  SleepingDeep = 3,
  Fault = 4,
  Security = 5,
  Aborting = 6,
  Finished = 7,
  IpcSendBlocked = 8,
  WaitForEvent = 9,
}

/** wait_for_event timeouts. */
export const WFE_WAIT_NO = -1;
export const WFE_WAIT_FOREVER = 0;

/** Event header in the exchange area: 8 bytes, magic 0x4242 at offset 2. */
export const EVENT_HEADER_SIZE = 8;
export const EVENT_MAGIC = 0x4242;

/** Reserved task labels. */
export const IDLE_TASK_LABEL = 0xcafe;
export const AUTOTEST_TASK_LABEL = 0xbabe;

/** Exit policies (job_flags_t exit_mode). */
export const enum ExitPolicy {
  NoRestart = 0,
  Restart = 1,
  Panic = 2,
  PeriodicRestart = 3,
  Reset = 4,
}

/** A named constant group, as rendered into the generated headers. */
export interface ConstGroup {
  /** C typedef name (enum), e.g. `EventType`. */
  readonly cType: string;
  readonly doc: string;
  readonly members: readonly { readonly c: string; readonly value: number }[];
}

/** Every enumeration exported to userspace, in header order. */
export const UAPI_ENUMS: readonly ConstGroup[] = [
  {
    cType: 'EventType', doc: 'event kinds, a bit mask for wait_for_event', members: [
      { c: 'EVENT_TYPE_NONE', value: 0 }, { c: 'EVENT_TYPE_IPC', value: 1 }, { c: 'EVENT_TYPE_SIGNAL', value: 2 },
      { c: 'EVENT_TYPE_IRQ', value: 4 }, { c: 'EVENT_TYPE_DMA', value: 8 }, { c: 'EVENT_TYPE_ALL', value: 15 },
    ],
  },
  {
    cType: 'Signal', doc: 'signals', members: [
      { c: 'SIGNAL_ABORT', value: 1 }, { c: 'SIGNAL_ALARM', value: 2 }, { c: 'SIGNAL_BUS', value: 3 },
      { c: 'SIGNAL_CONT', value: 4 }, { c: 'SIGNAL_ILL', value: 5 }, { c: 'SIGNAL_IO', value: 6 },
      { c: 'SIGNAL_PIPE', value: 7 }, { c: 'SIGNAL_POLL', value: 8 }, { c: 'SIGNAL_TERM', value: 9 },
      { c: 'SIGNAL_TRAP', value: 10 }, { c: 'SIGNAL_USR1', value: 11 }, { c: 'SIGNAL_USR2', value: 12 },
    ],
  },
  {
    cType: 'Precision', doc: 'get_cycle precision', members: [
      { c: 'PRECISION_CYCLE', value: 0 }, { c: 'PRECISION_NANOSECONDS', value: 1 },
      { c: 'PRECISION_MICROSECONDS', value: 2 }, { c: 'PRECISION_MILLISECONDS', value: 3 },
    ],
  },
  {
    cType: 'SleepDuration_Tag', doc: 'sleep duration tag', members: [
      { c: 'SLEEP_DURATION_D1MS', value: 0 }, { c: 'SLEEP_DURATION_D2MS', value: 1 }, { c: 'SLEEP_DURATION_D5MS', value: 2 },
      { c: 'SLEEP_DURATION_D10MS', value: 3 }, { c: 'SLEEP_DURATION_D20MS', value: 4 }, { c: 'SLEEP_DURATION_D50MS', value: 5 },
      { c: 'SLEEP_DURATION_ARBITRARY_MS', value: 6 },
    ],
  },
  { cType: 'SleepMode', doc: 'sleep depth', members: [{ c: 'SLEEP_MODE_SHALLOW', value: 0 }, { c: 'SLEEP_MODE_DEEP', value: 1 }] },
  {
    cType: 'CPUSleep', doc: 'power management modes', members: [
      { c: 'CPU_SLEEP_WAIT_FOR_INTERRUPT', value: 0 }, { c: 'CPU_SLEEP_WAIT_FOR_EVENT', value: 1 },
      { c: 'CPU_SLEEP_FORBID_SLEEP', value: 2 }, { c: 'CPU_SLEEP_ALLOW_SLEEP', value: 3 },
    ],
  },
  { cType: 'AlarmFlag', doc: 'alarm operations', members: [{ c: 'O_ALRM_START', value: 0 }, { c: 'O_ALRM_START_PERIODIC', value: 1 }, { c: 'O_ALRM_STOP', value: 2 }] },
  {
    cType: 'SHMPermission', doc: 'shared memory credential bits', members: [
      { c: 'SHM_PERMISSION_MAP', value: 1 }, { c: 'SHM_PERMISSION_READ', value: 2 },
      { c: 'SHM_PERMISSION_WRITE', value: 4 }, { c: 'SHM_PERMISSION_TRANSFER', value: 8 },
    ],
  },
  {
    cType: 'ResourceType', doc: 'resource kinds (declared, unused by the kernel)', members: [
      { c: 'RESOURCE_TYPE_PID', value: 1 }, { c: 'RESOURCE_TYPE_DEVICE', value: 2 },
      { c: 'RESOURCE_TYPE_SHM', value: 4 }, { c: 'RESOURCE_TYPE_DMA', value: 8 },
    ],
  },
  { cType: 'EraseType', doc: 'clean_svcexchange erase type', members: [{ c: 'SVC_ERASETYPE_ZEROFIY', value: 0x5a }, { c: 'SVC_ERASETYPE_RANDOM', value: 0xa5 }] },
  { cType: 'EraseMode', doc: 'clean_svcexchange erase mode', members: [{ c: 'SVC_ERASEMODE_USER', value: 0x72 }, { c: 'SVC_ERASEMODE_KERNEL', value: 0x27 }] },
];

/** A member of a DMA enumeration: its C constant, its value and its Rust variant. */
export interface DmaEnumMember {
  readonly c: string;
  readonly value: number;
  /** Variant name in `sentry_uapi::systypes::dma` (also the AssemblyScript member name). */
  readonly rust: string;
}

/** A DMA enumeration of `uapi/dma.h` (spec §2.11), with its Rust type name. */
export interface DmaEnumGroup extends ConstGroup {
  /** Rust (and AssemblyScript) type name, e.g. `GpdmaChanInt`. */
  readonly rust: string;
  readonly members: readonly DmaEnumMember[];
}

/**
 * The GPDMA enumerations of `uapi/dma.h` (spec §2.11), in header order. The kernel writes
 * the `gpdma_stream_cfg_t` of `dma_get_stream_info` with these values; the C, Rust and
 * AssemblyScript SDKs spell them from this table. `gpdma_chan_state` is the hardware channel
 * state, not what a DMA event carries (spec §4.10: the kernel's stream state).
 */
export const DMA_ENUMS: readonly DmaEnumGroup[] = [
  {
    cType: 'gpdma_chan_int', rust: 'GpdmaChanInt', doc: 'channel interrupt bits', members: [
      { c: 'GPDMA_INT_TC', value: 1, rust: 'TransferComplete' },
      { c: 'GPDMA_INT_HT', value: 2, rust: 'HalfTransfer' },
      { c: 'GPDMA_INT_ERROR', value: 4, rust: 'Error' },
    ],
  },
  {
    cType: 'gpdma_transfer_type', rust: 'GpdmaTransferType', doc: 'transfer direction', members: [
      { c: 'GPDMA_TRANSFER_MEMORY_TO_DEVICE', value: 0, rust: 'MemoryToDevice' },
      { c: 'GPDMA_TRANSFER_DEVICE_TO_MEMORY', value: 1, rust: 'DeviceToMemory' },
      { c: 'GPDMA_TRANSFER_MEMORY_TO_MEMORY', value: 2, rust: 'MemoryToMemory' },
      { c: 'GPDMA_TRANSFER_DEVICE_TO_DEVICE', value: 3, rust: 'DeviceToDevice' },
    ],
  },
  {
    cType: 'gpdma_transfer_mode', rust: 'GpdmaTransferMode', doc: 'address increment bits', members: [
      { c: 'GPDMA_TRANSFER_MODE_INCREMENT_NONE', value: 0, rust: 'IncrementNone' },
      { c: 'GPDMA_TRANSFER_MODE_INCREMENT_SRC', value: 1, rust: 'IncrementSrc' },
      { c: 'GPDMA_TRANSFER_MODE_INCREMENT_DEST', value: 2, rust: 'IncrementDest' },
    ],
  },
  {
    cType: 'gpdma_beat_len', rust: 'GpdmaBeatLen', doc: 'beat length of one side of a transfer', members: [
      { c: 'GPDMA_BEAT_LEN_BYTE', value: 0, rust: 'Byte' },
      { c: 'GPDMA_BEAT_LEN_HALFWORD', value: 1, rust: 'Halfword' },
      { c: 'GPDMA_BEAT_LEN_WORD', value: 2, rust: 'Word' },
    ],
  },
  {
    cType: 'gpdma_priority', rust: 'GpdmaPriority', doc: 'channel priority', members: [
      { c: 'GPDMA_PRIORITY_LOW', value: 0, rust: 'Low' },
      { c: 'GPDMA_PRIORITY_MEDIUM', value: 1, rust: 'Medium' },
      { c: 'GPDMA_PRIORITY_HIGH', value: 2, rust: 'High' },
      { c: 'GPDMA_PRIORITY_VERY_HIGH', value: 3, rust: 'VeryHigh' },
    ],
  },
  {
    cType: 'gpdma_chan_state', rust: 'GpdmaChanState', doc: 'hardware channel state (not the payload of a DMA event)', members: [
      { c: 'GPDMA_STATE_IDLE', value: 1, rust: 'Idle' },
      { c: 'GPDMA_STATE_RUNNING', value: 2, rust: 'Running' },
      { c: 'GPDMA_STATE_ABORTED', value: 3, rust: 'Aborted' },
      { c: 'GPDMA_STATE_SUSPENDED', value: 4, rust: 'Suspended' },
      { c: 'GPDMA_STATE_TRANSMISSION_FAILURE', value: 5, rust: 'TransmissionFailure' },
      { c: 'GPDMA_STATE_CONFIGURATION_FAILURE', value: 6, rust: 'ConfigurationFailure' },
      { c: 'GPDMA_STATE_OVERRUN', value: 7, rust: 'Overrun' },
      { c: 'GPDMA_STATE_TRANSFER_COMPLETE', value: 8, rust: 'TransferComplete' },
      { c: 'GPDMA_STATE_HALF_TRANSFER', value: 9, rust: 'HalfTransfer' },
    ],
  },
];

/**
 * Layout of `gpdma_stream_cfg_t` / Rust `GpdmaStreamConfig` on wasm32 (spec §2.11): 32
 * bytes, alignment 4, what `dma_get_stream_info` writes at offset 0 of the exchange area.
 * Field → [byte offset, size].
 */
export const GPDMA_STREAM_CFG_LAYOUT = {
  channel: [0, 2], stream: [2, 2], controller: [4, 2], transfer_type: [6, 2],
  source: [8, 4], dest: [12, 4], transfer_len: [16, 4],
  circular_source: [20, 1], circular_dest: [21, 1], interrupts: [22, 1], is_triggered: [23, 1],
  trigger: [24, 1], priority: [25, 1], transfer_mode: [26, 1], src_beat_len: [27, 1], dest_beat_len: [28, 1],
} as const satisfies Readonly<Record<string, readonly [number, 1 | 2 | 4]>>;

/** Size of `gpdma_stream_cfg_t` on wasm32 (29 bytes of fields, padded to alignment 4). */
export const GPDMA_STREAM_CFG_SIZE = 32;
