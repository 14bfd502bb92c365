/**
 * The AssemblyScript UAPI, generated from `toolchain/abi` for one kernel configuration.
 *
 * Owns the text of the `rampart` AssemblyScript package that a task imports
 * (`import { syscall, println, Status } from "rampart"`) and of the task entry that the
 * build compiles around the app's `main`:
 *  - `rampart/types.ts`: Status, Syscall and every UAPI enumeration, the wait/event
 *    constants, capability bits and handle type aliases;
 *  - `rampart/uapi.ts`: one `@external("rampart", "<name>")` declaration per syscall, the
 *    typed wrappers in namespace `syscall` (Rust names, C `__sys_*` semantics), the
 *    register-access helpers in namespace `bus` (over the `BUS_IMPORTS`), the exchange
 *    area and its helpers, `print`/`println`;
 *  - `rampart/dma.ts`, `rampart/device.ts`: the GPDMA and device description types
 *    (text owned by `assemblyscript-device.ts`);
 *  - `rampart/runtime.ts`: what the AssemblyScript compiler is pointed at instead of host
 *    imports (`abort`, `trace`, `seed`), and the per-start task state;
 *  - `rampart/index.ts`: the public surface;
 *  - {@link AS_ENTRY_SOURCE}: `_start(label, seed)` around the app's `main` (docs/task-abi.md).
 *
 * Invariants:
 * - Every number comes from `toolchain/abi`. The AssemblyScript parameter lists are spelled
 *   out here (the ABI table knows widths, not AS types) and checked against the table on
 *   every generation: a syscall without a wrapper, or with a different arity, throws.
 * - Only the pre-checks of spec §0.3 item 7 (as amended by Part 1 §1.2) refuse input before
 *   calling the kernel, exactly as in uapi-c/src/uapi.c; every other wrapper is a plain call.
 * - Nothing here makes an import reachable by itself: AssemblyScript compiles only what the
 *   app reaches, so an unused wrapper costs nothing and does not import its syscall (imports
 *   are capabilities, spec Part 1 §1.3).
 * - The exchange area is a static, zero-filled, 8-aligned block of exactly
 *   `CONFIG_SVC_EXCHANGE_AREA_LEN` bytes (`memory.data`), so it lies inside the initial
 *   memory; its address is a compile-time constant the entry exports as `__svcexchange`.
 * - The console writer (print, println, abort) never allocates: `abort` must work when the
 *   heap is what failed.
 * - The output depends only on the configuration (the build cache hashes it).
 */

import { STATUS_TABLE } from '../abi/status.js';
import { CAPABILITIES, CAP_DEV_MASK, CAP_MEM_MASK, CAP_SYS_MASK } from '../abi/capabilities.js';
import { BUS_IMPORTS, SYSCALLS, SYSCALL_IMPORT_MODULE, type SyscallInfo } from '../abi/syscalls.js';
import { EVENT_HEADER_SIZE, EVENT_MAGIC, UAPI_ENUMS, WFE_WAIT_FOREVER, WFE_WAIT_NO } from '../abi/types.js';
import { AS_DEVICE_FILE, AS_DMA_FILE, asDeviceSource, asDmaSource } from './assemblyscript-device.js';

/** Configuration the generated sources depend on. */
export interface AsSourceConfig {
  /** `CONFIG_SVC_EXCHANGE_AREA_LEN`, 64..1024 (spec §2.16). */
  readonly exchangeAreaLen: number;
}

/** Package name under which the generated sources are importable (`import ... from "rampart"`). */
export const AS_PACKAGE = 'rampart';

/** Paths (relative to the package search root) of the generated package files. */
export const AS_SDK_FILES = ['rampart/index.ts', 'rampart/types.ts', 'rampart/uapi.ts', 'rampart/runtime.ts', AS_DMA_FILE, AS_DEVICE_FILE] as const;

/** Prefix of the raw import declarations (`__rampart_sys_log`, ...), as in the C runtime. */
export const AS_RAW_IMPORT_PREFIX = '__rampart_sys_';

/** Prefix of the raw bus-access import declarations (`__rampart_bus_read32`, ...), as in C's `uapi/bus.h`. */
export const AS_RAW_BUS_IMPORT_PREFIX = '__rampart_';

/**
 * The standard library's host hooks and the runtime functions that replace them, for the
 * build's `--use hook=target` options. Targets are compiler-internal names: `~lib/` is the
 * compiler's prefix for package files.
 */
export const AS_RUNTIME_ALIASES: Readonly<Record<string, string>> = {
  abort: '~lib/rampart/runtime/abort',
  trace: '~lib/rampart/runtime/trace',
  seed: '~lib/rampart/runtime/seed',
};

/*
 * Compiler-internal names the build uses to adjust the compiled entry (see AS_ENTRY_SOURCE).
 * An internal name is the file's path without extension, a slash, and the declaration's name.
 */

/** File name of the generated entry, at the root of the build's virtual tree. */
export const AS_ENTRY_FILE = '__rampart_entry.ts';

/** Compiler name of the entry's placeholder whose body the build replaces with a call to the module initialiser. */
export const AS_MODULE_INIT_PLACEHOLDER = '__rampart_entry/__rampart_module_init';

/** Compiler name of the entry's placeholder whose body the build replaces with a call to `main`. */
export const AS_MAIN_PLACEHOLDER = '__rampart_entry/__rampart_main';

/** Name under which the entry re-exports the app's `main` for the build to find (the export is removed). */
export const AS_MAIN_EXPORT = 'main';

/** Exit status of a task that called `abort` (128 + SIGABRT, as the C runtime's stack-smash exit). */
export const AS_ABORT_EXIT_STATUS = 134;

/** Exchange-area length bounds from Kconfig (spec §1.1 / §2.16). */
const EXCHANGE_LEN_MIN = 64;
const EXCHANGE_LEN_MAX = 1024;

/** One wrapper parameter: name and AssemblyScript type. */
type AsParam = readonly [name: string, type: string];

/**
 * The wrapper parameter lists, keyed by raw syscall name: the C prototypes of spec §1.1 in
 * AssemblyScript types (enums and handle aliases where C has them). `generateAsSources`
 * refuses to run if this list and `SYSCALLS` disagree on names or arity.
 */
const AS_PARAMETERS: Readonly<Record<string, readonly AsParam[]>> = {
  exit: [['status', 'i32']],
  get_process_handle: [['label', 'u32']],
  get_device_handle: [['devlabel', 'u8']],
  sched_yield: [],
  sleep: [['duration_ms', 'SleepDuration'], ['mode', 'SleepMode']],
  start: [['label', 'u32']],
  map_dev: [['dev', 'DeviceHandle']],
  map_shm: [['shm', 'ShmHandle']],
  unmap_dev: [['dev', 'DeviceHandle']],
  unmap_shm: [['shm', 'ShmHandle']],
  shm_set_credential: [['shm', 'ShmHandle'], ['target', 'TaskHandle'], ['perms', 'u32']],
  send_ipc: [['target', 'TaskHandle'], ['len', 'u8']],
  send_signal: [['target', 'TaskHandle'], ['signal', 'Signal']],
  wait_for_event: [['mask', 'u8'], ['timeout', 'i32']],
  pm_manage: [['mode', 'CPUSleep']],
  pm_set_clock: [['clk_reg', 'u32'], ['clkmsk', 'u32'], ['val', 'u32']],
  log: [['len', 'usize']],
  alarm: [['timeout_ms', 'u32'], ['flag', 'AlarmFlag']],
  get_random: [],
  get_cycle: [['precision', 'Precision']],
  gpio_get: [['devh', 'DeviceHandle'], ['io', 'u8']],
  gpio_set: [['devh', 'DeviceHandle'], ['io', 'u8'], ['val', 'bool']],
  gpio_reset: [['devh', 'DeviceHandle'], ['io', 'u8']],
  gpio_toggle: [['devh', 'DeviceHandle'], ['io', 'u8']],
  gpio_configure: [['devh', 'DeviceHandle'], ['io', 'u8']],
  irq_acknowledge: [['irq', 'u16']],
  irq_enable: [['irq', 'u16']],
  irq_disable: [['irq', 'u16']],
  get_shm_handle: [['label', 'u32']],
  get_dma_stream_handle: [['label', 'u32']],
  dma_start_stream: [['dmah', 'StreamHandle']],
  dma_suspend_stream: [['dmah', 'StreamHandle']],
  dma_get_stream_status: [['dmah', 'StreamHandle']],
  shm_get_infos: [['shm', 'ShmHandle']],
  dma_assign_stream: [['dmah', 'StreamHandle']],
  dma_unassign_stream: [['dmah', 'StreamHandle']],
  dma_get_stream_info: [['dmah', 'StreamHandle']],
  dma_resume_stream: [['dmah', 'StreamHandle']],
};

/**
 * Wrappers whose body is not a plain call: the UAPI pre-checks and the conversions the C
 * runtime does. Each body may use `len` (the configured exchange length constant) and the
 * raw import of its own syscall. Kept next to the table so drift is visible in one place.
 */
const CUSTOM_BODIES: Readonly<Record<string, readonly string[]>> = {
  exit: [
    `${AS_RAW_IMPORT_PREFIX}exit(<u32>status);`,
    '// The kernel never resumes an exited job; trap rather than run on if it ever did.',
    'unreachable();',
    'return Status.Ok;',
  ],
  sleep: [
    '// The kernel only sees milliseconds (spec §1.2.4); an unknown tag is refused, not guessed.',
    'const ms = duration_ms.toMilliseconds();',
    'if (ms < 0) return Status.Invalid;',
    `return <Status>${AS_RAW_IMPORT_PREFIX}sleep(<u32>ms, <u32>mode);`,
  ],
  wait_for_event: [
    '// Rampart rule (spec Part 1 §1.2): WFE_WAIT_NO (-1) is passed through and polls; any',
    '// other negative timeout is refused here, without calling the kernel.',
    'if (timeout < WFE_WAIT_NO) return Status.Invalid;',
    `let status = ${AS_RAW_IMPORT_PREFIX}wait_for_event(<u32>mask, <u32>timeout);`,
    '// Woken by an event outside the mask: it stays queued, so ask exactly once more; the',
    '// second result is final, INTR included (the reference UAPI does the same).',
    `if (status == <u32>Status.Intr) status = ${AS_RAW_IMPORT_PREFIX}wait_for_event(<u32>mask, <u32>timeout);`,
    'return <Status>status;',
  ],
  log: [
    '// UAPI pre-check (spec §0.3 item 7) with the configured length instead of 128.',
    'if (len > <usize>SVC_EXCHANGE_AREA_LEN) return Status.Invalid;',
    `return <Status>${AS_RAW_IMPORT_PREFIX}log(<u32>len);`,
  ],
};

/** Wrapper behaviour worth stating in the TSDoc, beyond the table's doc line (mirrors the C header). */
const WRAPPER_NOTES: Readonly<Record<string, string>> = {
  sleep: 'The duration is converted to milliseconds (1/2/5/10/20/50/arbitrary) before calling the kernel; an unknown tag is Status.Invalid without calling it.',
  wait_for_event: 'timeout < WFE_WAIT_NO is Status.Invalid without calling the kernel; WFE_WAIT_NO polls (Status.Again when nothing is pending); on Status.Intr the call is re-issued once and the second result returned.',
  log: 'len > SVC_EXCHANGE_AREA_LEN is Status.Invalid without calling the kernel.',
  send_ipc: 'The payload is the first len bytes of the exchange area (at most SVC_EXCHANGE_AREA_LEN - 8).',
};

/** Check the hand-written parameter table against the ABI table; throws on any drift. */
function checkParameterTable(): void {
  const known = new Set(SYSCALLS.map((s) => s.name));
  for (const name of [...Object.keys(AS_PARAMETERS), ...Object.keys(CUSTOM_BODIES)]) {
    if (!known.has(name)) throw new Error(`as-sdk: AssemblyScript wrapper for unknown syscall '${name}'`);
  }
  for (const sys of SYSCALLS) {
    const params = AS_PARAMETERS[sys.name];
    if (params === undefined) throw new Error(`as-sdk: no AssemblyScript wrapper for syscall '${sys.name}'`);
    if (params.length !== sys.args.length) {
      throw new Error(`as-sdk: '${sys.name}' has ${sys.args.length} ABI argument(s) but ${params.length} AssemblyScript parameter(s)`);
    }
  }
}

function checkConfig(config: AsSourceConfig): number {
  const len = config.exchangeAreaLen;
  if (!Number.isInteger(len) || len < EXCHANGE_LEN_MIN || len > EXCHANGE_LEN_MAX) {
    throw new RangeError(`exchangeAreaLen must be an integer in ${EXCHANGE_LEN_MIN}..${EXCHANGE_LEN_MAX}, got ${len}`);
  }
  return len;
}

/** Keep a comment on one line and free of a premature `*\/`. */
const commentText = (text: string): string => text.replace(/\*\//g, '* /').replace(/\s+/g, ' ').trim();

const hex = (value: number): string => `0x${(value >>> 0).toString(16)}`;

function banner(file: string, what: string, len: number): string[] {
  return [
    '/**',
    ` * ${file}: ${what}`,
    ' *',
    ' * generated by rampart — do not edit.',
    ' * Source: toolchain/abi (syscall table, statuses, enums, capabilities), configuration',
    ` * CONFIG_SVC_EXCHANGE_AREA_LEN=${len}. Regenerate instead of editing.`,
    ' */',
    '',
  ];
}

/** `SLEEP_DURATION_D1MS` → `D1ms`: the member part of a C enum constant in PascalCase. */
function pascal(words: string): string {
  return words.toLowerCase().split('_').filter((w) => w !== '').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** The longest prefix ending in `_` shared by every name (the C enum's member prefix). */
function memberPrefix(names: readonly string[]): string {
  let prefix = names[0] ?? '';
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const cut = prefix.lastIndexOf('_');
  return cut < 0 ? '' : prefix.slice(0, cut + 1);
}

/** The AssemblyScript spelling of a C enum type name (`SleepDuration_Tag` → `SleepDurationTag`). */
const asEnumName = (cType: string): string => cType.replace(/_/g, '');

/** Enums whose values are byte patterns (0x5a, 0x72, ...), unreadable in decimal. */
const HEX_ENUMS = new Set(['EraseType', 'EraseMode']);

function enumBlock(name: string, doc: string, members: readonly { name: string; value: number; doc?: string }[]): string[] {
  const lines = [`/** ${commentText(doc)} */`, `export enum ${name} {`];
  for (const m of members) {
    if (m.doc !== undefined && m.doc !== '') lines.push(`  /** ${commentText(m.doc)} */`);
    lines.push(`  ${m.name} = ${HEX_ENUMS.has(name) ? hex(m.value) : String(m.value)},`);
  }
  lines.push('}', '');
  return lines;
}

function typesSource(len: number): string {
  const out: string[] = [...banner('rampart/types.ts', 'UAPI enumerations, constants and handle types', len)];
  const users = STATUS_TABLE.filter((s) => s.rust !== '');
  out.push(...enumBlock(
    'Status',
    'Syscall status, what every syscall wrapper returns (spec §2.1). The kernel-internal NON_SENSE (11) is never returned to a task and has no member.',
    users.map((s) => ({ name: s.rust, value: s.value, doc: s.doc })),
  ));
  out.push(...enumBlock(
    'Syscall',
    'Syscall numbers (spec §1.1), for reference: the kernel entry points are imports named after the syscall, not numbers.',
    SYSCALLS.map((s) => ({ name: s.rustVariant, value: s.number, doc: s.doc })),
  ));
  for (const group of UAPI_ENUMS) {
    const prefix = memberPrefix(group.members.map((m) => m.c));
    out.push(...enumBlock(asEnumName(group.cType), `${group.doc} (C \`${group.cType}\`)`, group.members.map((m) => ({ name: pascal(m.c.slice(prefix.length)), value: m.value }))));
  }
  out.push(
    '/** Bytes in the exchange area: the configured CONFIG_SVC_EXCHANGE_AREA_LEN (C: SENTRY_SVCEXCHANGE_LEN). */',
    `export const SVC_EXCHANGE_AREA_LEN: i32 = ${len};`,
    '',
    '/** wait_for_event: poll, Status.Again when nothing is pending (Rampart passes it to the kernel). */',
    `export const WFE_WAIT_NO: i32 = ${WFE_WAIT_NO};`,
    '/** wait_for_event: block until an event arrives. */',
    `export const WFE_WAIT_FOREVER: i32 = ${WFE_WAIT_FOREVER};`,
    '/** wait_for_event: block at most `ms` milliseconds (ms > 0). */',
    '// @ts-ignore: decorator',
    '@inline export function WFE_WAIT_UPTO(ms: i32): i32 { return ms; }',
    '',
    '/** Magic of every event header the kernel writes (bytes 42 42 at offset 2). */',
    `export const EVENT_MAGIC: u16 = ${hex(EVENT_MAGIC)};`,
    '/** Size of the event header that precedes the payload in the exchange area. */',
    `export const EVENT_HEADER_SIZE: i32 = ${EVENT_HEADER_SIZE};`,
    '',
    '/** Task handle (spec §2.14): opaque, compared on all 32 bits, regenerated at every (re)start. */',
    'export type TaskHandle = u32;',
    '/** Device handle (spec §2.14). */',
    'export type DeviceHandle = u32;',
    '/** Shared-memory handle (spec §2.14). */',
    'export type ShmHandle = u32;',
    '/** DMA stream handle (spec §2.14). */',
    'export type StreamHandle = u32;',
    '',
    '/* Capability bits of the task metadata (spec §2.13). */',
  );
  for (const cap of CAPABILITIES) out.push(`export const ${cap.name}: u32 = ${hex(1 << cap.bit)};`);
  out.push(
    `export const CAP_DEV_MASK: u32 = ${hex(CAP_DEV_MASK)};`,
    `export const CAP_SYS_MASK: u32 = ${hex(CAP_SYS_MASK)};`,
    `export const CAP_MEM_MASK: u32 = ${hex(CAP_MEM_MASK)};`,
    '',
  );
  return out.join('\n');
}

function gateNote(sys: SyscallInfo): string {
  if (sys.importGate === 0) return '';
  const names = CAPABILITIES.filter((c) => (sys.importGate >>> c.bit) & 1).map((c) => c.name);
  const text = sys.importGate === CAP_DEV_MASK ? 'any CAP_DEV_* capability' : names.join(' or ');
  return ` Importable only with ${text}.`;
}

/** Expression converting one wrapper argument to the raw u32 the import takes. */
function rawArgument([name, type]: AsParam): string {
  return type === 'u32' || type.endsWith('Handle') ? name : `<u32>${name}`;
}

/** The AssemblyScript signature (without `export function`) of one syscall's wrapper. */
export function asWrapperSignature(sys: SyscallInfo): string {
  const params = AS_PARAMETERS[sys.name];
  if (params === undefined) throw new Error(`as-sdk: no AssemblyScript wrapper for syscall '${sys.name}'`);
  return `${sys.name}(${params.map(([n, t]) => `${n}: ${t}`).join(', ')}): Status`;
}

function wrapper(sys: SyscallInfo, name = sys.name, docOverride?: string): string[] {
  const params = AS_PARAMETERS[sys.name] ?? [];
  const note = WRAPPER_NOTES[sys.name];
  const doc = docOverride ?? `#${sys.number} (C \`${sys.cFunction}\`): ${commentText(sys.doc)}.${note !== undefined ? ` ${note}` : ''}${gateNote(sys)}`;
  const body = CUSTOM_BODIES[sys.name] ?? [`return <Status>${AS_RAW_IMPORT_PREFIX}${sys.name}(${params.map(rawArgument).join(', ')});`];
  return [
    `  /** ${commentText(doc)} */`,
    `  export function ${asWrapperSignature(sys).replace(/^\w+/, name)} {`,
    ...body.map((l) => `    ${l}`),
    '  }',
    '',
  ];
}

/** AssemblyScript integer type of a register of `width` bytes. */
const busType = (width: 1 | 2 | 4): string => `u${width * 8}`;

/** Namespace `bus`: one function per bus import (C `ioread8` is `bus.read8`), plus set32/clear32. */
function busNamespace(): string[] {
  const out: string[] = [
    '/**',
    ' * Device registers (C <uapi/bus.h>, Rust `sentry_uapi::bus`). A register is a bus address',
    ' * (the device\'s base address plus the register offset), not task memory: each access is',
    ' * one import call the kernel checks against the devices mapped with syscall.map_dev. An',
    ' * address outside them, or not aligned to the width, faults the task; it never returns.',
    ' */',
    'export namespace bus {',
  ];
  for (const b of BUS_IMPORTS) {
    const type = busType(b.width);
    const raw = `${AS_RAW_BUS_IMPORT_PREFIX}${b.name}`;
    if (b.write) {
      out.push(
        `  /** Write the ${b.width * 8}-bit register at addr (C \`iowrite${b.width * 8}\`). */`,
        `  export function write${b.width * 8}(addr: u32, value: ${type}): void {`,
        `    ${raw}(addr, <u32>value);`,
        '  }',
        '',
      );
    } else {
      out.push(
        `  /** Read the ${b.width * 8}-bit register at addr (C \`ioread${b.width * 8}\`). */`,
        `  export function read${b.width * 8}(addr: u32): ${type} {`,
        `    return <${type}>${raw}(addr);`,
        '  }',
        '',
      );
    }
  }
  out.push(
    '  /**',
    '   * Set `bits` in the 32-bit register at addr (C `ioset32`): a read, then a write. Not atomic',
    '   * against the device: not for registers whose bits the hardware changes or clears on write.',
    '   */',
    '  export function set32(addr: u32, bits: u32): void {',
    '    write32(addr, read32(addr) | bits);',
    '  }',
    '',
    '  /** Clear `bits` in the 32-bit register at addr (C `ioclear32`), read-modify-write as set32. */',
    '  export function clear32(addr: u32, bits: u32): void {',
    '    write32(addr, read32(addr) & ~bits);',
    '  }',
    '}',
    '',
  );
  return out;
}

function uapiSource(len: number): string {
  const out: string[] = [
    ...banner('rampart/uapi.ts', 'syscalls, exchange area and console output of a Rampart task', len),
    'import {',
    '  Status, SleepDurationTag, SleepMode, Signal, CPUSleep, AlarmFlag, Precision,',
    '  TaskHandle, DeviceHandle, ShmHandle, StreamHandle,',
    '  SVC_EXCHANGE_AREA_LEN, WFE_WAIT_NO, EVENT_HEADER_SIZE, EVENT_MAGIC,',
    '} from "./types";',
    '',
    '/*',
    ' * The raw kernel entry points: one import per syscall, module "rampart", every one',
    ' * (i32 x nargs) -> i32. A declaration costs nothing: the import only appears in the',
    ' * module when a compiled function calls it. Apps use the `syscall` wrappers below.',
    ' */',
  ];
  for (const sys of SYSCALLS) {
    const params = sys.args.map((a) => `${a.name}: u32`).join(', ');
    out.push(`@external("${SYSCALL_IMPORT_MODULE}", "${sys.name}") declare function ${AS_RAW_IMPORT_PREFIX}${sys.name}(${params}): u32;`);
  }
  out.push(
    '',
    '/*',
    ' * The bus accesses (Rampart\'s own, not syscalls): device registers, checked by the kernel',
    ' * against the devices the task has mapped. Apps use namespace `bus` below; importing one',
    ' * needs a CAP_DEV_* capability, and only the widths an app calls are imported.',
    ' */',
  );
  for (const b of BUS_IMPORTS) {
    const params = b.write ? 'addr: u32, value: u32' : 'addr: u32';
    out.push(`@external("${SYSCALL_IMPORT_MODULE}", "${b.name}") declare function ${AS_RAW_BUS_IMPORT_PREFIX}${b.name}(${params}): u32;`);
  }
  out.push(
    '',
    '/**',
    ' * The exchange area (spec §3): the only window of this task\'s memory the kernel reads or',
    ' * writes. Static and zero-filled, 8-aligned so an event header or the u64 of get_cycle',
    ' * at offset 0 is naturally aligned. The task entry exports this address as the',
    ' * immutable global `__svcexchange`. Content is ephemeral: any syscall may overwrite it.',
    ' */',
    `export const SVC_EXCHANGE: usize = memory.data(${len}, 8);`,
    '',
    '/**',
    ' * Sleep duration (C `SleepDuration`, Rust `SleepDuration`): a tag, plus the milliseconds',
    ' * when the tag is ArbitraryMs. The fixed durations are shared instances; ArbitraryMs allocates.',
    ' */',
    '@final export class SleepDuration {',
    '  static readonly D1ms: SleepDuration = new SleepDuration(SleepDurationTag.D1ms);',
    '  static readonly D2ms: SleepDuration = new SleepDuration(SleepDurationTag.D2ms);',
    '  static readonly D5ms: SleepDuration = new SleepDuration(SleepDurationTag.D5ms);',
    '  static readonly D10ms: SleepDuration = new SleepDuration(SleepDurationTag.D10ms);',
    '  static readonly D20ms: SleepDuration = new SleepDuration(SleepDurationTag.D20ms);',
    '  static readonly D50ms: SleepDuration = new SleepDuration(SleepDurationTag.D50ms);',
    '  /** An arbitrary number of milliseconds. */',
    '  static ArbitraryMs(ms: u32): SleepDuration { return new SleepDuration(SleepDurationTag.ArbitraryMs, ms); }',
    '',
    '  constructor(public readonly tag: SleepDurationTag, public readonly arbitrary_ms: u32 = 0) {}',
    '',
    '  /** Milliseconds the kernel is asked for, or -1 for a tag that is none of the above. */',
    '  toMilliseconds(): i64 {',
    '    switch (this.tag) {',
    '      case SleepDurationTag.D1ms: return 1;',
    '      case SleepDurationTag.D2ms: return 2;',
    '      case SleepDurationTag.D5ms: return 5;',
    '      case SleepDurationTag.D10ms: return 10;',
    '      case SleepDurationTag.D20ms: return 20;',
    '      case SleepDurationTag.D50ms: return 50;',
    '      case SleepDurationTag.ArbitraryMs: return <i64>this.arbitrary_ms;',
    '      default: return -1;',
    '    }',
    '  }',
    '}',
    '',
    '/**',
    ' * The syscalls, named as in the Rust UAPI (`sentry_uapi::syscall::*`) with the semantics of',
    ' * the C `__sys_*` functions. Each returns the kernel\'s Status; results and bulk data go',
    ' * through the exchange area (copyFromKernel, exchangeU32, readExchangeHeader, ...).',
    ' */',
    'export namespace syscall {',
  );
  for (const sys of SYSCALLS) {
    out.push(...wrapper(sys));
    if (sys.name === 'pm_manage') {
      out.push(...wrapper(sys, 'manage_cpu_sleep', 'Alias of pm_manage, the name the Outpost C header declares (`__sys_manage_cpu_sleep`).'));
    }
  }
  out.push('}', '', ...busNamespace());
  out.push(
    '// -- exchange-area helpers (spec §3.2) ----------------------------------------------',
    '',
    '/** Clamp a copy to the exchange area and to the buffer (the kernel bounds its side itself). */',
    '// @ts-ignore: decorator',
    '@inline function copyLength(length: usize, available: usize): usize {',
    '  const n = length < available ? length : available;',
    '  return n < <usize>SVC_EXCHANGE_AREA_LEN ? n : <usize>SVC_EXCHANGE_AREA_LEN;',
    '}',
    '',
    '/*',
    ' * Start and size in bytes of a buffer argument: an ArrayBuffer, a typed array, a DataView',
    ' * or a StaticArray. Resolved at compile time (each test on T folds to a constant and only',
    ' * the matching branch is compiled); any other type is a compile error naming the helper.',
    ' */',
    '// @ts-ignore: decorator',
    '@inline function bufferStart<T>(buf: T): usize {',
    '  if (buf instanceof ArrayBuffer) return changetype<usize>(buf);',
    '  if (buf instanceof ArrayBufferView) return buf.dataStart;',
    '  if (buf instanceof DataView) return buf.dataStart;',
    '  if (isArrayLike<T>() && !isArray<T>() && !isString<T>()) {',
    '    if (buf instanceof StaticArray<valueof<T>>) return changetype<usize>(buf);',
    '  }',
    '  ERROR("copyToKernel/copyFromKernel take an ArrayBuffer, a typed array, a DataView or a StaticArray");',
    '  return 0;',
    '}',
    '',
    '// @ts-ignore: decorator',
    '@inline function bufferLength<T>(buf: T): usize {',
    '  if (buf instanceof ArrayBuffer) return <usize>buf.byteLength;',
    '  if (buf instanceof ArrayBufferView) return <usize>buf.byteLength;',
    '  if (buf instanceof DataView) return <usize>buf.byteLength;',
    '  if (isArrayLike<T>() && !isArray<T>() && !isString<T>()) {',
    '    if (buf instanceof StaticArray<valueof<T>>) return <usize>buf.length << alignof<valueof<T>>();',
    '  }',
    '  return 0;',
    '}',
    '',
    '/**',
    ' * Copy min(length, buffer size, SVC_EXCHANGE_AREA_LEN) bytes of `from` to offset 0 of the',
    ' * exchange area (C `copy_to_kernel`). Silent truncation, as the reference does: Status.Ok.',
    ' * `from` is an ArrayBuffer, a typed array, a DataView or a StaticArray; `length` defaults to all of it.',
    ' */',
    'export function copyToKernel<T>(from: T, length: usize = <usize>-1): Status {',
    '  memory.copy(SVC_EXCHANGE, bufferStart<T>(from), copyLength(length, bufferLength<T>(from)));',
    '  return Status.Ok;',
    '}',
    '',
    '/**',
    ' * Copy min(length, buffer size, SVC_EXCHANGE_AREA_LEN) bytes from offset 0 of the exchange',
    ' * area into `to` (C `copy_from_kernel`): Status.Ok. The area is not cleared.',
    ' */',
    'export function copyFromKernel<T>(to: T, length: usize = <usize>-1): Status {',
    '  memory.copy(bufferStart<T>(to), SVC_EXCHANGE, copyLength(length, bufferLength<T>(to)));',
    '  return Status.Ok;',
    '}',
    '',
    '/** Largest event payload (and IPC message): SVC_EXCHANGE_AREA_LEN minus the event header (C `svcexchange_get_maxlen`). */',
    'export function svcexchangeGetMaxlen(): usize {',
    '  return <usize>(SVC_EXCHANGE_AREA_LEN - EVENT_HEADER_SIZE);',
    '}',
    '',
    '/** Zero-fill the whole exchange area (C `clean_svcexchange`): Status.Ok. */',
    'export function cleanSvcexchange(): Status {',
    '  memory.fill(SVC_EXCHANGE, 0, <usize>SVC_EXCHANGE_AREA_LEN);',
    '  return Status.Ok;',
    '}',
    '',
    '/** Address of byte `offset` of the exchange area for a `size`-byte access; out of range is an abort. */',
    '// @ts-ignore: decorator',
    '@inline function exchangeAt(offset: usize, size: usize): usize {',
    '  if (offset > <usize>SVC_EXCHANGE_AREA_LEN - size) throw new RangeError("exchange area access out of range");',
    '  return SVC_EXCHANGE + offset;',
    '}',
    '',
    '/** The u8 at `offset` of the exchange area (gpio_get level, DMA stream state, ...). */',
    'export function exchangeU8(offset: usize = 0): u8 { return load<u8>(exchangeAt(offset, 1)); }',
    '/** The little-endian u16 at `offset` of the exchange area. */',
    'export function exchangeU16(offset: usize = 0): u16 { return load<u16>(exchangeAt(offset, 2)); }',
    '/** The little-endian u32 at `offset` of the exchange area (handles, get_random). */',
    'export function exchangeU32(offset: usize = 0): u32 { return load<u32>(exchangeAt(offset, 4)); }',
    '/** The little-endian u64 at `offset` of the exchange area (get_cycle). */',
    'export function exchangeU64(offset: usize = 0): u64 { return load<u64>(exchangeAt(offset, 8)); }',
    '',
    '/** The event header wait_for_event leaves at offset 0 of the exchange area (spec §2.9; Rust `ExchangeHeader`). */',
    '@final export class ExchangeHeader {',
    '  /** EventType of this event (1, 2, 4 or 8). */',
    '  event: u8 = 0;',
    '  /** Payload bytes following the header. */',
    '  length: u8 = 0;',
    '  /** Always EVENT_MAGIC for a header the kernel wrote. */',
    '  magic: u16 = 0;',
    '  /** Sender task handle (IPC, signal), device handle (IRQ) or stream handle (DMA). */',
    '  peer: u32 = 0;',
    '  /** True when the magic is EVENT_MAGIC. */',
    '  isValid(): bool { return this.magic == EVENT_MAGIC; }',
    '}',
    '',
    '/** Read the event header at offset 0 of the exchange area; the payload starts at EVENT_HEADER_SIZE. */',
    'export function readExchangeHeader(): ExchangeHeader {',
    '  const h = new ExchangeHeader();',
    '  h.event = load<u8>(SVC_EXCHANGE);',
    '  h.length = load<u8>(SVC_EXCHANGE, 1);',
    '  h.magic = load<u16>(SVC_EXCHANGE, 2);',
    '  h.peer = load<u32>(SVC_EXCHANGE, 4);',
    '  return h;',
    '}',
    '',
    '/** What shm_get_infos writes at offset 0 of the exchange area (spec §2.10; C `shm_infos_t`, 20 bytes). */',
    '@final export class ShmInfo {',
    '  handle: ShmHandle = 0;',
    '  /** devicetree outpost,label */',
    '  label: u32 = 0;',
    '  /** address of the SHM window in this task\'s memory */',
    '  base: usize = 0;',
    '  /** size in bytes */',
    '  len: usize = 0;',
    '  /** SHMPermission bits */',
    '  perms: u32 = 0;',
    '}',
    '',
    '/** Read the shm_infos_t that a successful shm_get_infos left in the exchange area. */',
    'export function readShmInfo(): ShmInfo {',
    '  const info = new ShmInfo();',
    '  info.handle = load<u32>(SVC_EXCHANGE);',
    '  info.label = load<u32>(SVC_EXCHANGE, 4);',
    '  info.base = <usize>load<u32>(SVC_EXCHANGE, 8);',
    '  info.len = <usize>load<u32>(SVC_EXCHANGE, 12);',
    '  info.perms = load<u32>(SVC_EXCHANGE, 16);',
    '  return info;',
    '}',
    '',
    '// -- console output --------------------------------------------------------------------',
    '//',
    '// UTF-8 is encoded straight into the exchange area and logged whenever the next character',
    '// would not fit, so every log call carries at most SVC_EXCHANGE_AREA_LEN bytes and never',
    '// splits a character. Nothing here allocates: abort uses it when the heap may be broken.',
    '// Each print is flushed before it returns, so no other syscall can clobber pending bytes.',
    '',
    '// @lazy: compiled on first use, so the standard library (its abort) may reach these before',
    '// this file\'s own top-level code is compiled.',
    '// @ts-ignore: decorator',
    '@lazy let consoleUsed: usize = 0;',
    '// @ts-ignore: decorator',
    '@lazy let consoleStatus: Status = Status.Ok;',
    '',
    'function consoleFlush(): void {',
    '  if (consoleUsed == 0) return;',
    '  const status = syscall.log(consoleUsed);',
    '  if (consoleStatus == Status.Ok) consoleStatus = status;',
    '  consoleUsed = 0;',
    '}',
    '',
    '/** Append one code point (encoded as UTF-8). @internal */',
    'export function __rampart_console_char(cp: u32): void {',
    '  const size: usize = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;',
    '  if (consoleUsed + size > <usize>SVC_EXCHANGE_AREA_LEN) consoleFlush();',
    '  const at = SVC_EXCHANGE + consoleUsed;',
    '  if (size == 1) {',
    '    store<u8>(at, <u8>cp);',
    '  } else if (size == 2) {',
    '    store<u8>(at, <u8>(0xc0 | (cp >> 6)));',
    '    store<u8>(at, <u8>(0x80 | (cp & 0x3f)), 1);',
    '  } else if (size == 3) {',
    '    store<u8>(at, <u8>(0xe0 | (cp >> 12)));',
    '    store<u8>(at, <u8>(0x80 | ((cp >> 6) & 0x3f)), 1);',
    '    store<u8>(at, <u8>(0x80 | (cp & 0x3f)), 2);',
    '  } else {',
    '    store<u8>(at, <u8>(0xf0 | (cp >> 18)));',
    '    store<u8>(at, <u8>(0x80 | ((cp >> 12) & 0x3f)), 1);',
    '    store<u8>(at, <u8>(0x80 | ((cp >> 6) & 0x3f)), 2);',
    '    store<u8>(at, <u8>(0x80 | (cp & 0x3f)), 3);',
    '  }',
    '  consoleUsed += size;',
    '}',
    '',
    '/** Append a string; an unpaired surrogate becomes U+FFFD. @internal */',
    'export function __rampart_console_string(s: string): void {',
    '  const n = s.length;',
    '  for (let i = 0; i < n; i++) {',
    '    let cp = <u32>s.charCodeAt(i);',
    '    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < n) {',
    '      const lo = <u32>s.charCodeAt(i + 1);',
    '      if (lo >= 0xdc00 && lo < 0xe000) {',
    '        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);',
    '        i++;',
    '      }',
    '    }',
    '    if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;',
    '    __rampart_console_char(cp);',
    '  }',
    '}',
    '',
    '/** Append the decimal form of `value`. @internal */',
    'export function __rampart_console_u32(value: u32): void {',
    '  let divisor: u32 = 1;',
    '  while (value / divisor >= 10) divisor *= 10;',
    '  while (divisor > 0) {',
    '    __rampart_console_char(0x30 + (value / divisor) % 10);',
    '    divisor /= 10;',
    '  }',
    '}',
    '',
    '/** Log what was appended; returns the first non-Ok status of the log calls since the last end. @internal */',
    'export function __rampart_console_end(): Status {',
    '  consoleFlush();',
    '  const status = consoleStatus;',
    '  consoleStatus = Status.Ok;',
    '  return status;',
    '}',
    '',
    '/**',
    ' * Write `s` to the console, UTF-8 encoded, in log calls of at most SVC_EXCHANGE_AREA_LEN',
    ' * bytes. The kernel console prints a line per newline, so text without one waits for',
    ' * the next println (or the end of the task). Overwrites the exchange area.',
    ' * Returns Status.Ok, or the first failing log status.',
    ' */',
    'export function print(s: string): Status {',
    '  __rampart_console_string(s);',
    '  return __rampart_console_end();',
    '}',
    '',
    '/** `print(s)` followed by a newline. */',
    'export function println(s: string): Status {',
    '  __rampart_console_string(s);',
    '  __rampart_console_char(0x0a);',
    '  return __rampart_console_end();',
    '}',
    '',
  );
  return out.join('\n');
}

function runtimeSource(len: number): string {
  return [
    ...banner('rampart/runtime.ts', 'what the compiler calls instead of host imports, and per-start task state', len),
    'import { syscall, __rampart_console_string, __rampart_console_u32, __rampart_console_char, __rampart_console_end } from "./uapi";',
    '',
    '/*',
    ' * The build routes the compiler\'s host hooks here (`--use abort=...`, `trace=...`,',
    ' * `seed=...`), so a task module imports nothing but `rampart.*` syscalls.',
    ' */',
    '',
    '// @lazy: the standard library (abort, Math.random) may reach these before this file is compiled.',
    '// @ts-ignore: decorator',
    '@lazy let startLabel: u32 = 0;',
    '// @ts-ignore: decorator',
    '@lazy let startSeed: u32 = 0;',
    '',
    '/** Record the `_start` arguments. Called first thing by the task entry. @internal */',
    'export function __rampart_task_begin(label: u32, seed: u32): void {',
    '  startLabel = label;',
    '  startSeed = seed;',
    '}',
    '',
    '/** The task label the kernel passed to `_start`. */',
    'export function taskLabel(): u32 {',
    '  return startLabel;',
    '}',
    '',
    '/**',
    ' * `abort` of the AssemblyScript standard library (failed assertion, `throw`, bounds check,',
    ' * stack overflow...): logs `abort: <message> at <file>:<line>:<column>` and exits with',
    ` * status ${AS_ABORT_EXIT_STATUS}. Allocation-free, so it also works when the heap is what failed.`,
    ' */',
    'export function abort(message: string | null = null, fileName: string | null = null, lineNumber: u32 = 0, columnNumber: u32 = 0): void {',
    '  __rampart_console_end();',
    '  __rampart_console_string("abort: ");',
    '  __rampart_console_string(message !== null ? message : "(no message)");',
    '  if (fileName !== null) {',
    '    __rampart_console_string(" at ");',
    '    __rampart_console_string(fileName);',
    '    __rampart_console_char(0x3a);',
    '    __rampart_console_u32(lineNumber);',
    '    __rampart_console_char(0x3a);',
    '    __rampart_console_u32(columnNumber);',
    '  }',
    '  __rampart_console_char(0x0a);',
    '  __rampart_console_end();',
    `  syscall.exit(${AS_ABORT_EXIT_STATUS});`,
    '}',
    '',
    '/** `trace` of the standard library: logs `trace: <message> <a0>, ...` (the first `n` values). */',
    'export function trace(message: string, n: i32 = 0, a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, a4: f64 = 0): void {',
    '  __rampart_console_string("trace: ");',
    '  __rampart_console_string(message);',
    '  const values: f64[] = [a0, a1, a2, a3, a4];',
    '  for (let i = 0; i < n && i < 5; i++) {',
    '    __rampart_console_string(i == 0 ? " " : ", ");',
    '    __rampart_console_string(unchecked(values[i]).toString());',
    '  }',
    '  __rampart_console_char(0x0a);',
    '  __rampart_console_end();',
    '}',
    '',
    '/**',
    ' * Seed of `Math.random`: the fresh 32-bit value the kernel passes to `_start` at every',
    ' * (re)start. Math.random is a xorshift generator, predictable from its output; use',
    ' * syscall.get_random (CAP_CRY_KRNG) for anything secret.',
    ' */',
    'export function seed(): f64 {',
    '  return <f64>startSeed;',
    '}',
    '',
  ].join('\n');
}

function indexSource(len: number): string {
  return [
    ...banner('rampart/index.ts', 'the Rampart UAPI for AssemblyScript tasks', len),
    'export * from "./types";',
    'export * from "./uapi";',
    'export * from "./dma";',
    'export { dev } from "./device";',
    'export { taskLabel } from "./runtime";',
    '',
  ].join('\n');
}

/**
 * The task entry the build compiles around the app (never part of the package: only the
 * build passes it to the compiler, as the one entry file, so the module exports exactly
 * `_start`, `__svcexchange` and `memory` once the build has removed the two helper exports
 * below).
 *
 * Two bodies are filled in by the build, on the compiled module, because the source
 * language cannot express them:
 *  - The compiler gathers top-level code and non-constant global initialisers into a
 *    module initialiser. Run as a Wasm start function it would execute at instantiation,
 *    before the kernel controls the task, which the kernel refuses; so the build exports
 *    it instead and makes `__rampart_module_init` call it. It runs after the `_start`
 *    arguments are recorded (top-level code may use Math.random) and before `main`.
 *  - `main` may return i32 (the exit status) or nothing. AssemblyScript has no way to
 *    branch on the return type of a named function without calling it through a function
 *    reference (an indirect call, and a table, in every task); so `main` is re-exported,
 *    and the build makes `__rampart_main` call it directly, returning its result or 0,
 *    checks its signature, and removes the export.
 */
export const AS_ENTRY_SOURCE = [
  '/**',
  ' * The Rampart task entry: _start(label, seed) around the app\'s main.',
  ' *',
  ' * generated by rampart — do not edit.',
  ' */',
  '',
  'import { __rampart_task_begin } from "rampart/runtime";',
  'import { syscall } from "rampart/uapi";',
  '',
  '/** Address of the exchange area: an immutable i32 global (docs/task-abi.md). */',
  'export { SVC_EXCHANGE as __svcexchange } from "rampart/uapi";',
  '',
  '/** The app\'s entry: `export function main(): i32` (or `void`) in assembly/index.ts. Export removed by the build. */',
  'export { main } from "./assembly/index";',
  '',
  '/** Placeholder; the build makes it call the module initialiser. */',
  'function __rampart_module_init(): void {}',
  '',
  '/** Placeholder; the build makes it call main and return its exit status (0 for a void main). */',
  'function __rampart_main(): i32 { return 0; }',
  '',
  'export function _start(label: u32, seed: u32): void {',
  '  __rampart_task_begin(label, seed);',
  '  __rampart_module_init();',
  '  syscall.exit(__rampart_main());',
  '}',
  '',
].join('\n');

/**
 * Generate the AssemblyScript UAPI package for one configuration.
 *
 * @returns package-relative path → file content, the files of `AS_SDK_FILES`.
 * @throws RangeError on an out-of-range configuration; Error if the wrapper table has
 *   drifted from `SYSCALLS`.
 */
export function generateAsSources(config: AsSourceConfig): Record<string, string> {
  checkParameterTable();
  const len = checkConfig(config);
  return {
    'rampart/index.ts': indexSource(len),
    'rampart/types.ts': typesSource(len),
    'rampart/uapi.ts': uapiSource(len),
    'rampart/runtime.ts': runtimeSource(len),
    [AS_DMA_FILE]: asDmaSource(),
    [AS_DEVICE_FILE]: asDeviceSource(),
  };
}
