/**
 * One task section: the task's metadata and its instrumented module.
 *
 * Layout: u32 LE M, M bytes of canonical JSON metadata, then the module (the rest of the
 * section). The metadata describes this task alone: label, scheduling, capabilities,
 * flags, the resources the board gives it, its memory layout, its entry point, the hash of
 * the kernel configuration it was integrated for and the hash of its module. It holds no
 * offset or index of any other section, so a section is a function of this task, the board
 * entries it owns and the kernel configuration only: adding, changing or reordering
 * another app leaves it byte-identical (the Integrator Kit's per-app integration rests on
 * this; never add a field that depends on another task).
 */

import type { ExitPolicy } from '../../toolchain/abi/index.js';
import { CAP_ALL_DEFINED } from '../../toolchain/abi/index.js';
import type { Board } from '../board.js';
import { readWasmInterface, WasmFormatError } from '../platform/wasm-sections.js';
import { ImageError } from './image-error.js';
import { array, boolean, canonicalJson, integer, object, parseJsonSection, SHA256_HEX, text } from './json-fields.js';
import { sha256Hex } from './sections.js';

/** The fixed entry point of every task (docs/task-abi.md). */
export const TASK_ENTRY = '_start';
/** Metadata is a few hundred bytes; 64 KiB bounds a hostile length before decoding. */
export const MAX_TASK_METADATA_BYTES = 64 * 1024;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The board resources a task owns, as the integrator recorded them. */
export interface TaskResources {
  /** Device names (devicetree labels), sorted. */
  readonly devices: readonly string[];
  /** Shared-memory labels, ascending. */
  readonly shms: readonly number[];
  /** DMA stream labels, ascending. */
  readonly dmaStreams: readonly number[];
}

/** What the packer is given for a task (everything else is derived from it). */
export interface ImageTaskInput {
  readonly name: string;
  readonly label: number;
  readonly priority: number;
  readonly quantum: number;
  readonly capabilities: number;
  readonly autoStart: boolean;
  readonly exitPolicy: ExitPolicy;
  readonly domain: number;
  readonly exchangeAddress: number;
  readonly asyncifyDataAddress: number;
  readonly asyncifyDataSize: number;
  readonly module: Uint8Array;
}

/** A task as read from an image. */
export interface ImageTask extends ImageTaskInput {
  readonly moduleSha256: string;
  /** Exported function the kernel calls first; always `_start`. */
  readonly entry: string;
  /** Initial (= maximum) memory of the module, in 64 KiB pages, as recorded at integration. */
  readonly memoryPages: number;
  readonly resources: TaskResources;
  /** `kernelConfigHash` of the configuration the task was integrated for. */
  readonly kernelConfigSha256: string;
  /** SHA-256 of the whole task section (metadata + module), as in the section table. */
  readonly sectionSha256: string;
}

/** Resources of the task with `label`, derived from the board (owner = label). */
export function resourcesOf(board: Board, label: number): TaskResources {
  return {
    devices: board.devices.filter((d) => d.owner === label).map((d) => d.name).sort(),
    shms: board.shms.filter((s) => s.owner === label).map((s) => s.label).sort((a, b) => a - b),
    dmaStreams: board.dmaStreams.filter((s) => s.owner === label).map((s) => s.label).sort((a, b) => a - b),
  };
}

function memoryPagesOf(module: Uint8Array, name: string): number {
  try {
    return readWasmInterface(module).memory?.initial ?? 0;
  } catch (error) {
    if (error instanceof WasmFormatError) throw new ImageError(`task '${name}': module is not valid WebAssembly: ${error.message}`);
    throw error;
  }
}

/** Encode one task section. */
export function encodeTaskSection(task: ImageTaskInput, board: Board, kernelConfigSha256: string): Uint8Array {
  const metadata = canonicalJson({
    name: task.name,
    label: task.label,
    priority: task.priority,
    quantum: task.quantum,
    capabilities: task.capabilities >>> 0,
    autoStart: task.autoStart,
    exitPolicy: task.exitPolicy,
    domain: task.domain,
    entry: TASK_ENTRY,
    memory: {
      pages: memoryPagesOf(task.module, task.name),
      exchangeAddress: task.exchangeAddress,
      asyncifyDataAddress: task.asyncifyDataAddress,
      asyncifyDataSize: task.asyncifyDataSize,
    },
    resources: resourcesOf(board, task.label),
    kernelConfigSha256,
    module: { length: task.module.length, sha256: sha256Hex(task.module) },
  });
  const out = new Uint8Array(4 + metadata.length + task.module.length);
  new DataView(out.buffer).setUint32(0, metadata.length, true);
  out.set(metadata, 4);
  out.set(task.module, 4 + metadata.length);
  return out;
}

const KEYS = ['name', 'label', 'priority', 'quantum', 'capabilities', 'autoStart', 'exitPolicy', 'domain', 'entry', 'memory', 'resources', 'kernelConfigSha256', 'module'];

/**
 * Decode a task section (its hash already checked by the container). `where` names the
 * section in messages, e.g. `tasks[1]`.
 */
export function decodeTaskSection(bytes: Uint8Array, where: string, sectionSha256: string): ImageTask {
  if (bytes.length < 4) throw new ImageError(`truncated image: ${where} section is ${bytes.length} bytes, shorter than its length field`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (length > MAX_TASK_METADATA_BYTES) throw new ImageError(`oversized ${where} metadata: ${length} bytes (limit ${MAX_TASK_METADATA_BYTES})`);
  if (4 + length > bytes.length) throw new ImageError(`truncated image: ${where} metadata needs ${length} bytes, the section has ${bytes.length - 4}`);
  const o = object(parseJsonSection(bytes.subarray(4, 4 + length), `${where} metadata`), where, KEYS);
  const module = bytes.subarray(4 + length);
  const m = object(o.module, `${where}.module`, ['length', 'sha256']);
  const moduleLength = integer(m.length, `${where}.module.length`, 8, SECTION_MODULE_MAX);
  if (moduleLength !== module.length) throw new ImageError(`truncated image: ${where} module should be ${moduleLength} bytes, the section holds ${module.length}`);
  const moduleSha256 = text(m.sha256, `${where}.module.sha256`, SHA256_HEX);
  if (sha256Hex(module) !== moduleSha256) throw new ImageError(`${where}: module content does not match its hash`);
  const caps = integer(o.capabilities, `${where}.capabilities`, 0, 0xffffffff);
  if ((caps & ~CAP_ALL_DEFINED) !== 0) throw new ImageError(`${where}.capabilities: undefined capability bits 0x${((caps & ~CAP_ALL_DEFINED) >>> 0).toString(16)}`);
  const mem = object(o.memory, `${where}.memory`, ['pages', 'exchangeAddress', 'asyncifyDataAddress', 'asyncifyDataSize']);
  const res = object(o.resources, `${where}.resources`, ['devices', 'shms', 'dmaStreams']);
  const entry = text(o.entry, `${where}.entry`, /^_start$/);
  return {
    name: text(o.name, `${where}.name`, NAME),
    label: integer(o.label, `${where}.label`, 1, 0xffffffff),
    priority: integer(o.priority, `${where}.priority`, 0, 255),
    quantum: integer(o.quantum, `${where}.quantum`, 1, 255),
    capabilities: caps,
    autoStart: boolean(o.autoStart, `${where}.autoStart`),
    exitPolicy: integer(o.exitPolicy, `${where}.exitPolicy`, 0, 2) as ExitPolicy,
    domain: integer(o.domain, `${where}.domain`, 0, 255),
    exchangeAddress: integer(mem.exchangeAddress, `${where}.memory.exchangeAddress`, 0, 0xffffffff),
    asyncifyDataAddress: integer(mem.asyncifyDataAddress, `${where}.memory.asyncifyDataAddress`, 0, 0xffffffff),
    asyncifyDataSize: integer(mem.asyncifyDataSize, `${where}.memory.asyncifyDataSize`, 1024, 16 * 1024 * 1024),
    module,
    moduleSha256,
    entry,
    memoryPages: integer(mem.pages, `${where}.memory.pages`, 0, 65536),
    resources: Object.freeze({
      devices: Object.freeze(array(res.devices, `${where}.resources.devices`, 256).map((d, i) => text(d, `${where}.resources.devices[${i}]`, /^.{1,64}$/))),
      shms: Object.freeze(array(res.shms, `${where}.resources.shms`, 256).map((s, i) => integer(s, `${where}.resources.shms[${i}]`, 0, 0xffffffff))),
      dmaStreams: Object.freeze(array(res.dmaStreams, `${where}.resources.dmaStreams`, 256).map((s, i) => integer(s, `${where}.resources.dmaStreams[${i}]`, 0, 0xffffffff))),
    }),
    kernelConfigSha256: text(o.kernelConfigSha256, `${where}.kernelConfigSha256`, SHA256_HEX),
    sectionSha256,
  };
}

/** A module cannot be larger than its section. */
const SECTION_MODULE_MAX = 32 * 1024 * 1024;

/**
 * Boot's re-check of a task's metadata against the board and its module: the resources it
 * lists must be exactly those the board gives its label, and its memory size must be the
 * module's. Each problem names the task and the resource.
 */
export function taskClaimProblems(task: ImageTask, board: Board, modulePages: number | undefined): string[] {
  const problems: string[] = [];
  const actual = resourcesOf(board, task.label);
  const compare = <T>(what: string, listed: readonly T[], given: readonly T[], show: (v: T) => string) => {
    for (const v of listed) if (!given.includes(v)) problems.push(`task '${task.name}': metadata lists ${what} ${show(v)}, which the board does not give it`);
    for (const v of given) if (!listed.includes(v)) problems.push(`task '${task.name}': the board gives it ${what} ${show(v)}, which its metadata does not list`);
  };
  const hex = (v: number) => `0x${v.toString(16)}`;
  compare('device', task.resources.devices, actual.devices, (v) => `'${v}'`);
  compare('shared memory', task.resources.shms, actual.shms, hex);
  compare('DMA stream', task.resources.dmaStreams, actual.dmaStreams, hex);
  if (modulePages !== undefined && modulePages !== task.memoryPages) {
    problems.push(`task '${task.name}': metadata says ${task.memoryPages} memory pages, its module defines ${modulePages}`);
  }
  return problems;
}
