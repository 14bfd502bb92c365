/**
 * The `.rimg` image: reading and strict validation (pure parsing, no side effects).
 *
 * Format version 1 (see docs/image-format.md):
 *   0   "RIMG"             magic
 *   4   u32 LE version     1
 *   8   u32 LE H           header length
 *   12  H bytes            header, UTF-8 JSON (kernel configuration, task metadata)
 *   12+H                   payload: the instrumented task modules, at header-given offsets
 * Every field is checked: unknown keys, wrong types, out-of-range values, sections past the
 * end of the file or overlapping, and module hashes. An image is hostile until it passes.
 */

import { createHash } from 'node:crypto';
import type { KernelConfig } from '../config.js';
import { CAP_ALL_DEFINED, ExitPolicy } from '../../toolchain/abi/index.js';
import { EMPTY_BOARD, type Board } from '../board.js';
import { readBoardJson } from './board-json.js';
import { ImageError } from './image-error.js';

export const IMAGE_MAGIC = 'RIMG';
export const IMAGE_VERSION = 1;
/** Refuse headers larger than this: no real image comes near it, a hostile one could. */
const MAX_HEADER_BYTES = 4 * 1024 * 1024;

export { ImageError };

export interface ImageTask {
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
  readonly moduleSha256: string;
  readonly module: Uint8Array;
}

export interface Image {
  readonly version: number;
  readonly kernel: KernelConfig;
  readonly board: Board;
  readonly configHash: string;
  readonly tasks: readonly ImageTask[];
}

/** The header as written by the packer. */
export interface ImageHeader {
  readonly kernel: KernelConfig;
  readonly board: Board;
  readonly configHash: string;
  readonly tasks: readonly (Omit<ImageTask, 'module' | 'moduleSha256'> & { readonly module: { readonly offset: number; readonly length: number; readonly sha256: string } })[];
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Canonical hash of a kernel configuration (key order fixed). */
export function kernelConfigHash(config: KernelConfig): string {
  const keys: (keyof KernelConfig)[] = ['buildTarget', 'scheduler', 'exchangeAreaLen', 'maxTasks', 'nominalFrequencyHz', 'systickHz'];
  return sha256Hex(JSON.stringify(keys.map((k) => [k, config[k]])));
}

type Json = Record<string, unknown>;

function obj(v: unknown, where: string, keys: readonly string[]): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ImageError(`${where}: expected an object`);
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw new ImageError(`${where}: unknown field '${k}'`);
  for (const k of keys) if (!(k in v)) throw new ImageError(`${where}: missing field '${k}'`);
  return v as Json;
}

function int(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ImageError(`${where}: expected an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function str(v: unknown, where: string, pattern: RegExp): string {
  if (typeof v !== 'string' || !pattern.test(v)) throw new ImageError(`${where}: invalid value ${JSON.stringify(v)}`);
  return v;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new ImageError(`${where}: expected true or false`);
  return v;
}

function readKernelConfig(v: unknown): KernelConfig {
  const o = obj(v, 'kernel', ['buildTarget', 'scheduler', 'exchangeAreaLen', 'maxTasks', 'nominalFrequencyHz', 'systickHz']);
  return Object.freeze({
    buildTarget: str(o.buildTarget, 'kernel.buildTarget', /^(debug|autotest|release)$/) as KernelConfig['buildTarget'],
    scheduler: str(o.scheduler, 'kernel.scheduler', /^(rrmq|fifo)$/) as KernelConfig['scheduler'],
    exchangeAreaLen: int(o.exchangeAreaLen, 'kernel.exchangeAreaLen', 64, 1024),
    maxTasks: int(o.maxTasks, 'kernel.maxTasks', 1, 255),
    nominalFrequencyHz: int(o.nominalFrequencyHz, 'kernel.nominalFrequencyHz', 1_000_000, 4_000_000_000),
    systickHz: int(o.systickHz, 'kernel.systickHz', 1000, 1000),
  });
}

const TASK_KEYS = ['name', 'label', 'priority', 'quantum', 'capabilities', 'autoStart', 'exitPolicy', 'domain', 'exchangeAddress', 'asyncifyDataAddress', 'asyncifyDataSize', 'module'] as const;

/** Parse and validate an image file. Throws `ImageError` with the reason. */
export function readImage(bytes: Uint8Array): Image {
  if (bytes.length < 12) throw new ImageError(`truncated image: ${bytes.length} bytes, the fixed header alone is 12`);
  const magic = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  if (magic !== IMAGE_MAGIC) throw new ImageError('not a Rampart image (bad magic; expected "RIMG")');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== IMAGE_VERSION) throw new ImageError(`unsupported image format version ${version} (this kernel reads version ${IMAGE_VERSION})`);
  const headerLength = view.getUint32(8, true);
  if (headerLength > MAX_HEADER_BYTES) throw new ImageError(`oversized header section: ${headerLength} bytes (limit ${MAX_HEADER_BYTES})`);
  if (12 + headerLength > bytes.length) throw new ImageError(`truncated image: header section needs ${headerLength} bytes, ${bytes.length - 12} present`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + headerLength)));
  } catch (error) {
    throw new ImageError(`corrupt header section: ${(error as Error).message}`);
  }
  const h = obj(header, 'header', ['kernel', 'board', 'configHash', 'tasks']);
  const kernel = readKernelConfig(h.kernel);
  const board = readBoardJson(h.board);
  const configHash = str(h.configHash, 'header.configHash', /^[0-9a-f]{64}$/);
  if (configHash !== kernelConfigHash(kernel)) throw new ImageError('header.configHash does not match the kernel configuration it carries');
  if (!Array.isArray(h.tasks)) throw new ImageError('header.tasks: expected an array');
  if (h.tasks.length > kernel.maxTasks) throw new ImageError(`image has ${h.tasks.length} tasks; the kernel configuration allows ${kernel.maxTasks} (CONFIG_MAX_TASKS)`);
  const payloadStart = 12 + headerLength;
  const payloadLength = bytes.length - payloadStart;
  const claimed: [number, number][] = [];
  const tasks = h.tasks.map((raw, i): ImageTask => {
    const w = `tasks[${i}]`;
    const o = obj(raw, w, TASK_KEYS);
    const m = obj(o.module, `${w}.module`, ['offset', 'length', 'sha256']);
    const offset = int(m.offset, `${w}.module.offset`, 0, 0xffffffff);
    const length = int(m.length, `${w}.module.length`, 8, 0xffffffff);
    if (offset + length > payloadLength) throw new ImageError(`truncated image: module of ${w} ends at payload byte ${offset + length}, payload has ${payloadLength}`);
    for (const [a, b] of claimed) if (offset < b && a < offset + length) throw new ImageError(`${w}.module overlaps another module`);
    claimed.push([offset, offset + length]);
    const module = bytes.subarray(payloadStart + offset, payloadStart + offset + length);
    const sha = str(m.sha256, `${w}.module.sha256`, /^[0-9a-f]{64}$/);
    if (sha256Hex(module) !== sha) throw new ImageError(`${w}: module content does not match its hash`);
    const caps = int(o.capabilities, `${w}.capabilities`, 0, 0xffffffff);
    if ((caps & ~CAP_ALL_DEFINED) !== 0) throw new ImageError(`${w}.capabilities: undefined capability bits 0x${(caps & ~CAP_ALL_DEFINED >>> 0).toString(16)}`);
    return {
      name: str(o.name, `${w}.name`, /^[A-Za-z0-9_.-]{1,64}$/),
      label: int(o.label, `${w}.label`, 1, 0xffffffff),
      priority: int(o.priority, `${w}.priority`, 0, 255),
      quantum: int(o.quantum, `${w}.quantum`, 1, 255),
      capabilities: caps,
      autoStart: bool(o.autoStart, `${w}.autoStart`),
      exitPolicy: int(o.exitPolicy, `${w}.exitPolicy`, 0, 2) as ExitPolicy,
      domain: int(o.domain, `${w}.domain`, 0, 255),
      exchangeAddress: int(o.exchangeAddress, `${w}.exchangeAddress`, 0, 0xffffffff),
      asyncifyDataAddress: int(o.asyncifyDataAddress, `${w}.asyncifyDataAddress`, 0, 0xffffffff),
      asyncifyDataSize: int(o.asyncifyDataSize, `${w}.asyncifyDataSize`, 1024, 16 * 1024 * 1024),
      moduleSha256: sha,
      module,
    };
  });
  const end = claimed.reduce((max, [, b]) => Math.max(max, b), 0);
  if (end !== payloadLength) throw new ImageError(`image has ${payloadLength - end} trailing bytes after its last section`);
  return { version, kernel, board, configHash, tasks };
}

/** Serialise an image (used by the integrator; kept beside the reader so both agree). */
export function writeImage(kernel: KernelConfig, tasks: readonly Omit<ImageTask, 'moduleSha256'>[], board: Board = EMPTY_BOARD): Uint8Array {
  let offset = 0;
  const headerTasks = tasks.map((t) => {
    const entry = {
      name: t.name, label: t.label, priority: t.priority, quantum: t.quantum, capabilities: t.capabilities,
      autoStart: t.autoStart, exitPolicy: t.exitPolicy, domain: t.domain, exchangeAddress: t.exchangeAddress,
      asyncifyDataAddress: t.asyncifyDataAddress, asyncifyDataSize: t.asyncifyDataSize,
      module: { offset, length: t.module.length, sha256: sha256Hex(t.module) },
    };
    offset += t.module.length;
    return entry;
  });
  const header: ImageHeader = { kernel, board, configHash: kernelConfigHash(kernel), tasks: headerTasks };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(12 + headerBytes.length + offset);
  out.set([0x52, 0x49, 0x4d, 0x47], 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, IMAGE_VERSION, true);
  view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  let at = 12 + headerBytes.length;
  for (const t of tasks) { out.set(t.module, at); at += t.module.length; }
  return out;
}
