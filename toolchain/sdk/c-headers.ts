/**
 * The C UAPI headers, generated from `toolchain/abi` for one kernel configuration.
 *
 * Owns the text of `uapi/uapi.h`, `uapi/types.h`, `uapi/handle.h`, `uapi/platform.h`,
 * `uapi/dma.h` (the Outpost-compatible surface: `#include <uapi/uapi.h>` alone gives an app
 * every type, constant and `__sys_*` prototype it uses), of `uapi/device.h` (the
 * build-time device types, whose text `toolchain/config/board-headers.ts` owns, shipped
 * with the others), of `rampart/syscall-imports.h`, the raw
 * Wasm import declarations that only the runtime (`uapi-c/src/uapi.c`) includes, and of
 * `uapi/bus.h`, Rampart's register-access helpers for drivers (`ioread32`, `iowrite32`,
 * ...), generated from `BUS_IMPORTS`.
 *
 * Invariants:
 * - Every number comes from `toolchain/abi`; nothing numeric is typed in here except the
 *   C spellings of the §1.1 prototypes, which the ABI table does not carry (it knows widths,
 *   not C types). Those are checked against the table at generation time: a syscall
 *   without a prototype, or with a different arity, throws, so drift cannot ship.
 * - The output depends only on the configuration: same config, byte-identical headers
 *   (the build cache hashes them).
 * - Struct layouts are pinned with `_Static_assert`s, so a header that would give C code a
 *   different layout from the kernel's does not compile. Those and the anonymous union of
 *   `SleepDuration` are C11; each carries `__extension__` so that Outpost code built with
 *   `-std=c99 -pedantic -Werror` still compiles against these headers.
 */

import { STATUS_TABLE } from '../abi/status.js';
import { CAPABILITIES, CAP_DEV_MASK, CAP_MEM_MASK, CAP_SYS_MASK } from '../abi/capabilities.js';
import { BUS_IMPORTS, SYSCALLS, SYSCALL_IMPORT_MODULE, type SyscallInfo } from '../abi/syscalls.js';
import { DEVICE_HANDLE_FAMILY, DMA_HANDLE_FAMILY, TASK_HANDLE_ID_SHIFT, TASK_HANDLE_RERUN_BITS } from '../abi/handles.js';
import {
  DMA_ENUMS, EVENT_HEADER_SIZE, EVENT_MAGIC, GPDMA_STREAM_CFG_LAYOUT, GPDMA_STREAM_CFG_SIZE, UAPI_ENUMS, WFE_WAIT_FOREVER, WFE_WAIT_NO,
} from '../abi/types.js';
import { deviceTypesHeader } from '../config/board-headers.js';

/** Configuration the headers depend on. */
export interface CHeaderConfig {
  /** `CONFIG_SVC_EXCHANGE_AREA_LEN`, 64..1024 (spec §2.16); exported as `SENTRY_SVCEXCHANGE_LEN`. */
  readonly exchangeAreaLen: number;
  /** `CONFIG_MAX_DEV_PER_TASK` (default 4), exported as `SENTRY_TASK_MAXDEV`. */
  readonly maxDevPerTask?: number;
  /** `CONFIG_MAX_SHM_PER_TASK` (default 4), exported as `SENTRY_TASK_MAXSHM`. */
  readonly maxShmPerTask?: number;
  /** `CONFIG_MAX_DMA_STREAMS_PER_TASK` (default 4), exported as `SENTRY_TASK_MAXDMA`. */
  readonly maxDmaPerTask?: number;
}

/** Paths (relative to an include directory) of the Outpost-compatible public headers. */
export const C_PUBLIC_HEADERS = ['uapi/uapi.h', 'uapi/types.h', 'uapi/handle.h', 'uapi/platform.h', 'uapi/dma.h', 'uapi/device.h'] as const;

/** Path of the runtime-private header declaring the raw `rampart.*` imports. */
export const C_IMPORTS_HEADER = 'rampart/syscall-imports.h';

/** Prefix of the raw import symbols the runtime calls (`__rampart_sys_log`, ...). */
export const RAW_IMPORT_PREFIX = '__rampart_sys_';

/** Path of the register-access header (Rampart's own, not part of the Outpost surface). */
export const C_BUS_HEADER = 'uapi/bus.h';

/** Prefix of the raw bus-access import symbols declared in `uapi/bus.h` (`__rampart_bus_read32`, ...). */
export const RAW_BUS_IMPORT_PREFIX = '__rampart_';

/** Exchange-area length bounds from Kconfig (spec §1.1 / §2.16). */
const EXCHANGE_LEN_MIN = 64;
const EXCHANGE_LEN_MAX = 1024;

/**
 * The C parameter lists of spec §1.1, keyed by raw syscall name.
 *
 * The ABI table gives each argument a kernel-side width; the C UAPI gives some of them
 * richer types (enums, handle typedefs, `size_t`, a by-value struct for sleep). Outpost code
 * was written against these exact prototypes, so they are spelled out rather than derived.
 * `generateCHeaders` refuses to run if this list and `SYSCALLS` disagree on names or arity.
 */
const C_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  exit: ['int32_t status'],
  get_process_handle: ['uint32_t label'],
  get_device_handle: ['uint8_t devlabel'],
  sched_yield: [],
  sleep: ['SleepDuration duration_ms', 'SleepMode mode'],
  start: ['uint32_t label'],
  map_dev: ['devh_t dev'],
  map_shm: ['shmh_t shm'],
  unmap_dev: ['devh_t dev'],
  unmap_shm: ['shmh_t shm'],
  shm_set_credential: ['shmh_t shm', 'taskh_t target', 'uint32_t perms'],
  send_ipc: ['uint32_t target', 'uint8_t len'],
  send_signal: ['uint32_t target', 'Signal signal'],
  wait_for_event: ['uint8_t mask', 'int32_t timeout'],
  pm_manage: ['CPUSleep mode'],
  pm_set_clock: ['uint32_t clk_reg', 'uint32_t clkmsk', 'uint32_t val'],
  log: ['size_t len'],
  alarm: ['uint32_t timeout_ms', 'AlarmFlag flag'],
  get_random: [],
  get_cycle: ['Precision precision'],
  gpio_get: ['uint32_t devh', 'uint8_t io'],
  gpio_set: ['uint32_t devh', 'uint8_t io', 'bool val'],
  gpio_reset: ['uint32_t devh', 'uint8_t io'],
  gpio_toggle: ['uint32_t devh', 'uint8_t io'],
  gpio_configure: ['uint32_t devh', 'uint8_t io'],
  irq_acknowledge: ['uint16_t irq'],
  irq_enable: ['uint16_t irq'],
  irq_disable: ['uint16_t irq'],
  get_shm_handle: ['uint32_t label'],
  get_dma_stream_handle: ['uint32_t label'],
  dma_start_stream: ['dmah_t dmah'],
  dma_suspend_stream: ['dmah_t dmah'],
  dma_get_stream_status: ['dmah_t dmah'],
  shm_get_infos: ['shmh_t shm'],
  dma_assign_stream: ['dmah_t dmah'],
  dma_unassign_stream: ['dmah_t dmah'],
  dma_get_stream_info: ['dmah_t dmah'],
  dma_resume_stream: ['dmah_t dmah'],
};

/**
 * Wrapper behaviour worth stating in the prototype's comment, beyond the table's doc line.
 * Kept next to the prototypes so a reader of `uapi.h` sees what the wrapper does before
 * (or instead of) trapping.
 */
const WRAPPER_NOTES: Readonly<Record<string, string>> = {
  sleep: 'The tag is converted to milliseconds (1/2/5/10/20/50/arbitrary) before trapping; an unknown tag is STATUS_INVALID without trapping.',
  wait_for_event: 'timeout < WFE_WAIT_NO is STATUS_INVALID without trapping; WFE_WAIT_NO polls (STATUS_AGAIN when nothing is pending); on STATUS_INTR the call is re-issued once and the second result returned.',
  log: 'len > SENTRY_SVCEXCHANGE_LEN is STATUS_INVALID without trapping.',
  send_ipc: 'The payload is the first len bytes of the exchange area (at most SENTRY_SVCEXCHANGE_LEN - 8).',
};

/** The C prototype (without trailing `;`) of one syscall's UAPI function. */
export function cPrototype(sys: SyscallInfo): string {
  const params = C_PARAMETERS[sys.name];
  if (params === undefined) throw new Error(`c-headers: no C prototype for syscall '${sys.name}'`);
  return `Status ${sys.cFunction}(${params.length === 0 ? 'void' : params.join(', ')})`;
}

/** Check the hand-written prototype list against the ABI table; throws on any drift. */
function checkPrototypeTable(): void {
  const known = new Set(SYSCALLS.map((s) => s.name));
  for (const name of Object.keys(C_PARAMETERS)) {
    if (!known.has(name)) throw new Error(`c-headers: C prototype for unknown syscall '${name}'`);
  }
  for (const sys of SYSCALLS) {
    const params = C_PARAMETERS[sys.name];
    if (params === undefined) throw new Error(`c-headers: no C prototype for syscall '${sys.name}'`);
    if (params.length !== sys.args.length) {
      throw new Error(`c-headers: '${sys.name}' has ${sys.args.length} ABI argument(s) but ${params.length} C parameter(s)`);
    }
  }
}

function checkConfig(config: CHeaderConfig): Required<CHeaderConfig> {
  const len = config.exchangeAreaLen;
  if (!Number.isInteger(len) || len < EXCHANGE_LEN_MIN || len > EXCHANGE_LEN_MAX) {
    throw new RangeError(`exchangeAreaLen must be an integer in ${EXCHANGE_LEN_MIN}..${EXCHANGE_LEN_MAX}, got ${len}`);
  }
  const limit = (name: string, value: number | undefined): number => {
    const v = value ?? 4;
    if (!Number.isInteger(v) || v < 0 || v > 8) throw new RangeError(`${name} must be an integer in 0..8, got ${v}`);
    return v;
  };
  return {
    exchangeAreaLen: len,
    maxDevPerTask: limit('maxDevPerTask', config.maxDevPerTask),
    maxShmPerTask: limit('maxShmPerTask', config.maxShmPerTask),
    maxDmaPerTask: limit('maxDmaPerTask', config.maxDmaPerTask),
  };
}

const hex = (value: number, digits = 8): string => `0x${(value >>> 0).toString(16).padStart(digits, '0')}u`;

/** Keep a comment on one line and free of a premature `*\/`. */
const commentText = (text: string): string => text.replace(/\*\//g, '* /').replace(/\s+/g, ' ').trim();

function banner(path: string, what: string, config: Required<CHeaderConfig>): string {
  return [
    '/*',
    ` * ${path}: ${what}`,
    ' *',
    ' * generated by rampart — do not edit.',
    ` * Source: toolchain/abi (syscall table, statuses, enums, capabilities), configuration`,
    ` * CONFIG_SVC_EXCHANGE_AREA_LEN=${config.exchangeAreaLen}. Regenerate instead of editing.`,
    ' */',
  ].join('\n');
}

function guard(path: string): string {
  return `RAMPART_${path.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`;
}

function wrap(path: string, what: string, config: Required<CHeaderConfig>, body: string[]): string {
  const g = guard(path);
  return [banner(path, what, config), '', `#ifndef ${g}`, `#define ${g}`, '', ...body, '', `#endif /* ${g} */`, ''].join('\n');
}

const CPLUSPLUS_OPEN = ['#ifdef __cplusplus', 'extern "C" {', '#endif'];
const CPLUSPLUS_CLOSE = ['#ifdef __cplusplus', '}', '#endif'];

function platformHeader(config: Required<CHeaderConfig>): string {
  return wrap('uapi/platform.h', 'configuration values exported to userspace', config, [
    '/** Marks the Rampart SDK (Outpost code can test for it; Outpost itself does not define it). */',
    '#define RAMPART_UAPI 1',
    '',
    '/** CONFIG_SVC_EXCHANGE_AREA_LEN: bytes in the task\'s exchange area. */',
    `#define SENTRY_SVCEXCHANGE_LEN ${config.exchangeAreaLen}`,
    '/** CONFIG_MAX_DEV_PER_TASK. */',
    `#define SENTRY_TASK_MAXDEV ${config.maxDevPerTask}`,
    '/** CONFIG_MAX_SHM_PER_TASK. */',
    `#define SENTRY_TASK_MAXSHM ${config.maxShmPerTask}`,
    '/** CONFIG_MAX_DMA_STREAMS_PER_TASK. */',
    `#define SENTRY_TASK_MAXDMA ${config.maxDmaPerTask}`,
  ]);
}

function handleHeader(config: Required<CHeaderConfig>): string {
  return wrap('uapi/handle.h', 'kernel object handles (opaque 32-bit values, spec §2.14)', config, [
    '#include <stdint.h>',
    '',
    '/*',
    ' * Handles are forged by the kernel and compared on all 32 bits; userspace treats them as',
    ' * opaque. A task handle changes every time its task (re)starts.',
    ' */',
    `/** Task handle: rerun (bits 0..${TASK_HANDLE_RERUN_BITS - 1}), table id (${TASK_HANDLE_ID_SHIFT}..${TASK_HANDLE_ID_SHIFT + 7}), family 0 (28..30). */`,
    'typedef uint32_t taskh_t;',
    `/** Device handle: device capability (0..11), device id (13..28), family ${DEVICE_HANDLE_FAMILY} (29..31). */`,
    'typedef uint32_t devh_t;',
    '/** Shared-memory handle: table id (0..7), 24 random bits (8..31). */',
    'typedef uint32_t shmh_t;',
    `/** DMA stream handle: 21 random bits (0..20), stream id (21..28), family ${DMA_HANDLE_FAMILY} (29..31). */`,
    'typedef uint32_t dmah_t;',
    '',
    '__extension__ _Static_assert(sizeof(taskh_t) == 4, "taskh_t is a u32");',
    '__extension__ _Static_assert(sizeof(devh_t) == 4, "devh_t is a u32");',
    '__extension__ _Static_assert(sizeof(shmh_t) == 4, "shmh_t is a u32");',
    '__extension__ _Static_assert(sizeof(dmah_t) == 4, "dmah_t is a u32");',
  ]);
}

/** Enums whose values are byte patterns (0x5a, 0x72, ...), unreadable in decimal. */
const HEX_ENUMS = new Set(['EraseType', 'EraseMode']);

function enumBlock(cType: string, doc: string, members: readonly { c: string; value: number; doc?: string }[]): string[] {
  const lines = [`/** ${commentText(doc)} */`, `typedef enum ${cType} {`];
  for (const m of members) {
    const comment = m.doc !== undefined && m.doc !== '' ? ` /**< ${commentText(m.doc)} */` : '';
    const value = HEX_ENUMS.has(cType) ? `0x${m.value.toString(16)}` : String(m.value);
    lines.push(`  ${m.c} = ${value},${comment}`);
  }
  lines.push(`} ${cType};`, `__extension__ _Static_assert(sizeof(${cType}) == 4, "${cType} is passed as a u32");`, '');
  return lines;
}

function typesHeader(config: Required<CHeaderConfig>): string {
  const body: string[] = [
    '#include <stdint.h>',
    '#include <stddef.h>',
    '#include <stdbool.h>',
    '#include <uapi/handle.h>',
    '',
    ...CPLUSPLUS_OPEN,
    '',
  ];
  body.push(...enumBlock('Status', 'syscall status, the u32 every __sys_* function returns (spec §2.1)',
    STATUS_TABLE.map((s) => ({ c: s.c, value: s.value, doc: s.doc }))));
  body.push(...enumBlock('Syscall', 'syscall numbers (spec §1.1; SYSCALL_DMA_START_SREAM is the real spelling)',
    SYSCALLS.map((s) => ({ c: s.cEnum, value: s.number, doc: s.doc }))));
  for (const group of UAPI_ENUMS) body.push(...enumBlock(group.cType, group.doc, group.members));

  body.push(
    '/**',
    ' * Sleep duration: a tag, plus the milliseconds when the tag is SLEEP_DURATION_ARBITRARY_MS.',
    ' * Passed by value to __sys_sleep, which converts it to milliseconds before trapping.',
    ' */',
    'typedef struct SleepDuration {',
    '  SleepDuration_Tag tag;',
    '  __extension__ union {',
    '    uint32_t arbitrary_ms;',
    '  };',
    '} SleepDuration;',
    '__extension__ _Static_assert(sizeof(SleepDuration) == 8, "SleepDuration is tag + u32");',
    '',
    '/** wait_for_event: poll, STATUS_AGAIN when nothing is pending (Rampart passes it to the kernel). */',
    `#define WFE_WAIT_NO (${WFE_WAIT_NO})`,
    '/** wait_for_event: block until an event arrives. */',
    `#define WFE_WAIT_FOREVER (${WFE_WAIT_FOREVER})`,
    '/** wait_for_event: block at most x milliseconds (x > 0). */',
    '#define WFE_WAIT_UPTO(x) (x)',
    '',
    '/** Magic of every event header the kernel writes (bytes 42 42 at offset 2). */',
    `#define EVENT_MAGIC ${hex(EVENT_MAGIC, 4)}`,
    '/** Size of the event header that precedes the payload in the exchange area. */',
    `#define EVENT_HEADER_SIZE ${EVENT_HEADER_SIZE}u`,
    '',
    '/**',
    ' * An event as wait_for_event leaves it at offset 0 of the exchange area (spec §2.9).',
    ' * `source` is the sender task handle (IPC, signal), device handle (IRQ) or DMA handle.',
    ' */',
    'typedef struct exchange_event {',
    '  uint8_t type;     /**< EventType of this event */',
    '  uint8_t length;   /**< payload bytes following the header */',
    '  uint16_t magic;   /**< always EVENT_MAGIC */',
    '  uint32_t source;  /**< handle of the event\'s origin */',
    '  uint8_t data[];   /**< payload */',
    '} exchange_event_t;',
    `__extension__ _Static_assert(sizeof(exchange_event_t) == EVENT_HEADER_SIZE, "event header is ${EVENT_HEADER_SIZE} bytes");`,
    '__extension__ _Static_assert(offsetof(exchange_event_t, magic) == 2, "magic at offset 2");',
    '__extension__ _Static_assert(offsetof(exchange_event_t, source) == 4, "source at offset 4");',
    '__extension__ _Static_assert(offsetof(exchange_event_t, data) == 8, "payload at offset 8");',
    '',
    '/** What shm_get_infos writes at offset 0 of the exchange area (spec §2.10). */',
    'typedef struct shm_infos {',
    '  shmh_t handle;',
    '  uint32_t label;  /**< devicetree outpost,label */',
    '  size_t base;     /**< address of the SHM window in this task\'s memory */',
    '  size_t len;      /**< size in bytes */',
    '  uint32_t perms;  /**< SHMPermission bits */',
    '} shm_infos_t;',
    '__extension__ _Static_assert(sizeof(shm_infos_t) == 20, "shm_infos_t is 20 bytes on wasm32");',
    '__extension__ _Static_assert(offsetof(shm_infos_t, base) == 8, "base at offset 8");',
    '__extension__ _Static_assert(offsetof(shm_infos_t, perms) == 16, "perms at offset 16");',
    '',
    '/* Capability bits of the task metadata (spec §2.13). */',
  );
  for (const cap of CAPABILITIES) body.push(`#define ${cap.name} ${hex(1 << cap.bit)}`);
  body.push(
    `#define CAP_DEV_MASK ${hex(CAP_DEV_MASK)}`,
    `#define CAP_SYS_MASK ${hex(CAP_SYS_MASK)}`,
    `#define CAP_MEM_MASK ${hex(CAP_MEM_MASK)}`,
    '',
    ...CPLUSPLUS_CLOSE,
  );
  return wrap('uapi/types.h', 'UAPI enumerations, constants and exchange-area layouts', config, body);
}

/** C type of each gpdma_stream_cfg_t field (the layout table knows sizes, C knows bool and size_t). */
const GPDMA_STREAM_CFG_C_TYPES: Readonly<Record<keyof typeof GPDMA_STREAM_CFG_LAYOUT, string>> = {
  channel: 'uint16_t', stream: 'uint16_t', controller: 'uint16_t', transfer_type: 'uint16_t',
  source: 'size_t', dest: 'size_t', transfer_len: 'size_t',
  circular_source: 'bool', circular_dest: 'bool', interrupts: 'uint8_t', is_triggered: 'bool',
  trigger: 'uint8_t', priority: 'uint8_t', transfer_mode: 'uint8_t', src_beat_len: 'uint8_t', dest_beat_len: 'uint8_t',
};

/** What each gpdma_stream_cfg_t field holds, for the header's comments. */
const GPDMA_STREAM_CFG_DOCS: Readonly<Record<keyof typeof GPDMA_STREAM_CFG_LAYOUT, string>> = {
  channel: 'channel number on its controller',
  stream: 'hardware request line (devicetree streamid)',
  controller: 'index of the controller among the enabled, non-owned GPDMA controllers',
  transfer_type: 'a gpdma_transfer_type value',
  source: 'source address: the SHM base, 0 for a device',
  dest: 'destination address: the SHM base, 0 for a device',
  transfer_len: 'bytes per transfer',
  circular_source: 'the source restarts at its base after each transfer',
  circular_dest: 'the destination restarts at its base after each transfer',
  interrupts: 'gpdma_chan_int bits (always TC | ERROR)',
  is_triggered: 'triggered transfer (always false)',
  trigger: 'trigger id',
  priority: 'a gpdma_priority value',
  transfer_mode: 'gpdma_transfer_mode bits',
  src_beat_len: 'a gpdma_beat_len value',
  dest_beat_len: 'a gpdma_beat_len value',
};

/**
 * `uapi/dma.h` (spec §2.11): the GPDMA enumerations, the packed channel status byte and
 * `gpdma_stream_cfg_t`, the 32 bytes `__sys_dma_get_stream_info` leaves in the exchange
 * area. The struct is emitted from `GPDMA_STREAM_CFG_LAYOUT` and every offset is pinned.
 */
function dmaHeader(config: Required<CHeaderConfig>): string {
  const body: string[] = ['#include <stdint.h>', '#include <stddef.h>', '#include <stdbool.h>', '', ...CPLUSPLUS_OPEN, ''];
  for (const group of DMA_ENUMS) {
    body.push(`/** ${commentText(`${group.doc} (Rust systypes::dma::${group.rust})`)} */`, `typedef enum ${group.cType} {`);
    for (const m of group.members) body.push(`  ${m.c} = ${m.value},`);
    body.push(`} ${group.cType}_t;`, '');
  }
  body.push(
    '/**',
    ' * Channel status byte (kernel-internal; no syscall returns it): bits 0-3 a',
    ' * gpdma_chan_state, bit 4 half_reached, bit 5 completed, bits 6-7 reserved.',
    ' */',
    'typedef struct __attribute__((packed)) gpdma_chan_status {',
    '  uint8_t state : 4;',
    '  uint8_t half_reached : 1;',
    '  uint8_t completed : 1;',
    '  uint8_t reserved : 2;',
    '} gpdma_chan_status_t;',
    '__extension__ _Static_assert(sizeof(gpdma_chan_status_t) == 1, "gpdma_chan_status_t is one byte");',
    '',
    '/** Static configuration of a DMA stream, what __sys_dma_get_stream_info writes at offset 0 of the exchange area. */',
    'typedef struct gpdma_stream_cfg {',
  );
  const fields = Object.entries(GPDMA_STREAM_CFG_LAYOUT) as [keyof typeof GPDMA_STREAM_CFG_LAYOUT, readonly [number, number]][];
  for (const [name] of fields) body.push(`  ${`${GPDMA_STREAM_CFG_C_TYPES[name]} ${name};`.padEnd(26)}/**< ${commentText(GPDMA_STREAM_CFG_DOCS[name])} */`);
  body.push('} gpdma_stream_cfg_t;');
  body.push(`__extension__ _Static_assert(sizeof(gpdma_stream_cfg_t) == ${GPDMA_STREAM_CFG_SIZE}, "gpdma_stream_cfg_t is ${GPDMA_STREAM_CFG_SIZE} bytes on wasm32");`);
  body.push('__extension__ _Static_assert(_Alignof(gpdma_stream_cfg_t) == 4, "gpdma_stream_cfg_t is 4-aligned");');
  for (const [name, [offset]] of fields) {
    body.push(`__extension__ _Static_assert(offsetof(gpdma_stream_cfg_t, ${name}) == ${offset}, "gpdma_stream_cfg_t.${name} at offset ${offset}");`);
  }
  body.push('', ...CPLUSPLUS_CLOSE);
  return wrap('uapi/dma.h', 'GPDMA types: enumerations and the stream configuration (spec §2.11)', config, body);
}

function gateNote(sys: SyscallInfo): string {
  if (sys.importGate === 0) return '';
  const names = CAPABILITIES.filter((c) => (sys.importGate >>> c.bit) & 1).map((c) => c.name);
  // The DEV family gate lists ten names; say what it means instead.
  const text = sys.importGate === CAP_DEV_MASK ? 'any CAP_DEV_* capability' : names.join(' or ');
  return ` Importable only with ${text}.`;
}

function uapiHeader(config: Required<CHeaderConfig>): string {
  const body: string[] = [
    '#include <stdint.h>',
    '#include <stddef.h>',
    '#include <stdbool.h>',
    '#include <uapi/platform.h>',
    '#include <uapi/handle.h>',
    '#include <uapi/types.h>',
    '#include <uapi/dma.h>',
    '',
    ...CPLUSPLUS_OPEN,
    '',
    '/*',
    ' * Syscalls. Each returns the kernel\'s Status; bulk data goes through the exchange area',
    ' * (copy_to_kernel / copy_from_kernel). A wrapper the app never calls is dropped at link',
    ' * time together with its import, so the module only imports what it uses.',
    ' */',
  ];
  for (const sys of SYSCALLS) {
    const note = WRAPPER_NOTES[sys.name];
    body.push(`/** #${sys.number}: ${commentText(sys.doc)}.${note !== undefined ? ` ${note}` : ''}${gateNote(sys)} */`);
    body.push(`${cPrototype(sys)};`);
    if (sys.name === 'pm_manage') {
      body.push('/** Alias of __sys_pm_manage, the name the Outpost header declares. */');
      body.push('Status __sys_manage_cpu_sleep(CPUSleep mode);');
    }
  }
  body.push(
    '',
    '/* Exchange-area helpers (spec §3.2), with the configured SENTRY_SVCEXCHANGE_LEN. */',
    '/** Copy min(length, SENTRY_SVCEXCHANGE_LEN) bytes from `from` to offset 0 of the exchange area; STATUS_OK. */',
    'Status copy_to_kernel(const uint8_t *from, size_t length);',
    '/** Copy min(length, SENTRY_SVCEXCHANGE_LEN) bytes from offset 0 of the exchange area to `to`; STATUS_OK. */',
    'Status copy_from_kernel(uint8_t *to, size_t length);',
    '/** Largest event payload (and IPC message): SENTRY_SVCEXCHANGE_LEN minus the event header. */',
    'size_t svcexchange_get_maxlen(void);',
    '/** Zero-fill the whole exchange area; STATUS_OK. */',
    'Status clean_svcexchange(void);',
    '',
    ...CPLUSPLUS_CLOSE,
  );
  return wrap('uapi/uapi.h', 'the Sentry-compatible C UAPI for Rampart tasks', config, body);
}

function importsHeader(config: Required<CHeaderConfig>): string {
  const body: string[] = [
    '/*',
    ' * The raw kernel entry points: one Wasm import per syscall, module "rampart", every one',
    ' * (i32 x nargs) -> i32. Only the UAPI runtime may include this; apps call the __sys_*',
    ' * wrappers, which apply the UAPI-side pre-checks. A declaration costs nothing: an import',
    ' * only appears in the module when a linked function references it.',
    ' */',
    '#ifndef RAMPART_UAPI_RUNTIME',
    '#error "rampart/syscall-imports.h is private to the UAPI runtime; include <uapi/uapi.h>"',
    '#endif',
    '',
    '#include <stdint.h>',
    '',
  ];
  for (const sys of SYSCALLS) {
    const params = sys.args.length === 0 ? 'void' : sys.args.map((a) => `uint32_t ${a.name}`).join(', ');
    body.push(
      `__attribute__((import_module("${SYSCALL_IMPORT_MODULE}"), import_name("${sys.name}")))`,
      `extern uint32_t ${RAW_IMPORT_PREFIX}${sys.name}(${params});`,
    );
  }
  return wrap(C_IMPORTS_HEADER, 'raw syscall imports (runtime-private)', config, body);
}

/** C type of a register of `width` bytes. */
const busType = (width: 1 | 2 | 4): string => `uint${width * 8}_t`;

/** Name of the inline helper of one bus import (`bus_read32` -> `ioread32`). */
export function busHelperName(bus: { readonly width: 1 | 2 | 4; readonly write: boolean }): string {
  return `io${bus.write ? 'write' : 'read'}${bus.width * 8}`;
}

function busHeader(config: Required<CHeaderConfig>): string {
  const body: string[] = [
    '#include <stdint.h>',
    '',
    ...CPLUSPLUS_OPEN,
    '',
    '/*',
    ' * Device registers are bus addresses (devinfo_t.baseaddr in <devices-dt.h> plus the',
    ' * register offset), not task memory: a pointer dereference cannot reach them. Each',
    ' * access is one import call that the kernel checks against the devices this task has',
    ' * mapped with __sys_map_dev (a software MPU). An address outside them, or one not',
    ' * aligned to the access width, faults the task at once.',
    ' *',
    ' * Importing any of these needs a CAP_DEV_* capability. The helpers are static inline and',
    ' * the declarations below cost nothing by themselves, so a module imports exactly the',
    ' * access widths it uses, and a task that includes this header without touching a',
    ' * register imports none of them.',
    ' */',
    '',
  ];
  for (const bus of BUS_IMPORTS) {
    const params = bus.write ? 'uint32_t addr, uint32_t value' : 'uint32_t addr';
    const what = bus.write
      ? `write the low ${bus.width * 8} bits of value at bus address addr; STATUS_OK (a refused access never returns)`
      : `read ${bus.width * 8} bits at bus address addr, zero-extended`;
    body.push(
      `/** Raw import: ${what}. Call ${busHelperName(bus)} instead. */`,
      `__attribute__((import_module("${SYSCALL_IMPORT_MODULE}"), import_name("${bus.name}")))`,
      `extern uint32_t ${RAW_BUS_IMPORT_PREFIX}${bus.name}(${params});`,
    );
  }
  body.push('');
  for (const bus of BUS_IMPORTS) {
    const type = busType(bus.width);
    const raw = `${RAW_BUS_IMPORT_PREFIX}${bus.name}`;
    if (bus.write) {
      body.push(
        `/** Write the ${bus.width * 8}-bit register at addr (the device must be mapped). */`,
        `static inline void ${busHelperName(bus)}(uint32_t addr, ${type} value)`,
        '{',
        `    (void)${raw}(addr, (uint32_t)value);`,
        '}',
        '',
      );
    } else {
      body.push(
        `/** Read the ${bus.width * 8}-bit register at addr (the device must be mapped). */`,
        `static inline ${type} ${busHelperName(bus)}(uint32_t addr)`,
        '{',
        `    return (${type})${raw}(addr);`,
        '}',
        '',
      );
    }
  }
  body.push(
    '/**',
    ' * Set `bits` in the 32-bit register at addr: a read, then a write of the value or-ed',
    ' * with bits. Two accesses, so not atomic against the device: do not use it on a',
    ' * register whose bits the hardware changes or clears on write (status, ICR, BSRR).',
    ' */',
    'static inline void ioset32(uint32_t addr, uint32_t bits)',
    '{',
    '    iowrite32(addr, ioread32(addr) | bits);',
    '}',
    '',
    '/** Clear `bits` in the 32-bit register at addr (read-modify-write, as ioset32). */',
    'static inline void ioclear32(uint32_t addr, uint32_t bits)',
    '{',
    '    iowrite32(addr, ioread32(addr) & ~bits);',
    '}',
    '',
    ...CPLUSPLUS_CLOSE,
  );
  return wrap(C_BUS_HEADER, 'device register access through the kernel-checked bus imports', config, body);
}

/**
 * Generate the C UAPI headers for one configuration.
 *
 * @returns include-relative path → file content: the public headers of
 *   `C_PUBLIC_HEADERS`, the runtime-private `C_IMPORTS_HEADER`, and `C_BUS_HEADER`
 *   (register access for drivers).
 * @throws RangeError on an out-of-range configuration; Error if the C prototype list has
 *   drifted from `SYSCALLS`.
 */
export function generateCHeaders(config: CHeaderConfig): Record<string, string> {
  checkPrototypeTable();
  const c = checkConfig(config);
  return {
    'uapi/uapi.h': uapiHeader(c),
    'uapi/types.h': typesHeader(c),
    'uapi/handle.h': handleHeader(c),
    'uapi/platform.h': platformHeader(c),
    'uapi/dma.h': dmaHeader(c),
    'uapi/device.h': deviceTypesHeader(),
    [C_IMPORTS_HEADER]: importsHeader(c),
    [C_BUS_HEADER]: busHeader(c),
  };
}
