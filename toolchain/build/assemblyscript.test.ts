/**
 * Tests of the AssemblyScript build backend, the generated `rampart` package and its runtime.
 *
 * Most tests compile real AssemblyScript (about a second each once the compiler is warm;
 * the first one also loads it), so each checks several things. Runtime behaviour is
 * checked by instantiating the built module with fake `rampart` imports: these are unit
 * tests of the generated wrappers and runtime, not of the kernel.
 */

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Status, STATUS_TABLE } from '../abi/status.js';
import { BUS_IMPORTS, SYSCALLS } from '../abi/syscalls.js';
import {
  AS_ABORT_EXIT_STATUS, AS_ENTRY_SOURCE, AS_SDK_FILES, asWrapperSignature, generateAsSources,
} from '../sdk/assemblyscript.js';
import { buildAsApp, type AsBuildOptions } from './assemblyscript.js';
import { BuildError } from './c.js';

const COMPILE_TIMEOUT = 180_000;
const LEN = 128;
const SAMPLE_DIR = path.resolve(import.meta.dirname, '../../apps/samples/as-hello/apps/as-hello');

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rampart-as-test-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Write `files` (relative path → text) as an app directory and return its path. */
async function makeApp(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(root, 'apps', name);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}

function options(appDir: string, appName: string, extra: Partial<AsBuildOptions> = {}): AsBuildOptions {
  return { appDir, appName, exchangeAreaLen: LEN, stackSize: 8192, heapSize: 16384, cacheDir: false, ...extra };
}

function importNames(wasm: Uint8Array<ArrayBuffer>): string[] {
  return WebAssembly.Module.imports(new WebAssembly.Module(wasm)).map((i) => `${i.module}.${i.name}`).sort();
}

function exportNames(wasm: Uint8Array<ArrayBuffer>): string[] {
  return WebAssembly.Module.exports(new WebAssembly.Module(wasm)).map((e) => `${e.name}:${e.kind}`).sort();
}

/** Thrown by the fake `exit`, as the kernel never returns from it. */
class TaskExit extends Error {
  constructor(readonly status: number) {
    super(`exit(${status})`);
  }
}

type Fake = (...args: number[]) => number;

interface TaskRun {
  /** Bytes of every log call, UTF-8 decoded, one entry per call. */
  readonly logs: string[];
  /** Exit status, or undefined when `_start` returned without calling exit. */
  readonly exit: number | undefined;
  /** Every import call, `name(args)`, in order. */
  readonly calls: string[];
  readonly memory: WebAssembly.Memory;
  readonly exchange: number;
}

/**
 * Instantiate `wasm` with fake imports and run `_start(label, seed)`. `log` and `exit` are
 * always provided; `fakes` adds or overrides imports and may use `run.memory`/`run.exchange`.
 */
function runTask(wasm: Uint8Array<ArrayBuffer>, fakes: Record<string, (run: TaskRun, ...args: number[]) => number> = {}, label = 0x4000, seed = 1): TaskRun {
  const logs: string[] = [];
  const calls: string[] = [];
  let exit: number | undefined;
  let instance: WebAssembly.Instance | undefined;
  const run = {
    logs, calls,
    get exit() { return exit; },
    get memory() { return instance?.exports.memory as WebAssembly.Memory; },
    get exchange() { return (instance?.exports.__svcexchange as WebAssembly.Global).value as number; },
  };
  const rampart: Record<string, Fake> = {
    log: (len) => {
      logs.push(Buffer.from(run.memory.buffer, run.exchange, len).toString('utf8'));
      return Status.Ok;
    },
    exit: (status) => {
      exit = status;
      throw new TaskExit(status);
    },
  };
  for (const [name, fake] of Object.entries(fakes)) rampart[name] = (...args: number[]) => fake(run, ...args);
  const module = new WebAssembly.Module(wasm);
  const wanted = Object.fromEntries(WebAssembly.Module.imports(module).map((i) => {
    const fake = rampart[i.name];
    const recorded: Fake = (...args) => {
      calls.push(`${i.name}(${args.join(',')})`);
      if (fake === undefined) throw new Error(`unexpected import ${i.name}`);
      return fake(...args);
    };
    return [i.name, recorded];
  }));
  instance = new WebAssembly.Instance(module, { rampart: wanted });
  try {
    (instance.exports._start as (label: number, seed: number) => void)(label, seed);
  } catch (err) {
    if (!(err instanceof TaskExit)) throw err;
  }
  return run;
}

async function buildError(opts: AsBuildOptions): Promise<BuildError> {
  const error = await buildAsApp(opts).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BuildError);
  return error as BuildError;
}

describe('generated AssemblyScript sources (no compiler)', () => {
  const sources = generateAsSources({ exchangeAreaLen: 256 });
  const uapi = sources['rampart/uapi.ts'] ?? '';
  const types = sources['rampart/types.ts'] ?? '';

  it('declares the import and a wrapper for every syscall of the table (drift check)', () => {
    for (const sys of SYSCALLS) {
      const raw = sys.args.map((a) => `${a.name}: u32`).join(', ');
      expect(uapi).toContain(`@external("rampart", "${sys.name}") declare function __rampart_sys_${sys.name}(${raw}): u32;`);
      expect(uapi).toContain(`  export function ${asWrapperSignature(sys)} {`);
      expect(types).toContain(`  ${sys.rustVariant} = ${sys.number},`);
    }
    for (const b of BUS_IMPORTS) {
      const raw = b.write ? 'addr: u32, value: u32' : 'addr: u32';
      expect(uapi).toContain(`@external("rampart", "${b.name}") declare function __rampart_${b.name}(${raw}): u32;`);
      expect(uapi).toMatch(new RegExp(`  export function ${b.write ? 'write' : 'read'}${b.width * 8}\\(addr: u32[,)][^{]*\\{\\n[^\\n]*__rampart_${b.name}\\(`));
    }
    expect(uapi).toContain('export namespace bus {');
    expect(uapi).toContain('  export function set32(addr: u32, bits: u32): void {');
    expect(uapi.match(/@external\("rampart", /g)).toHaveLength(SYSCALLS.length + BUS_IMPORTS.length);
    expect(uapi).toContain('export function manage_cpu_sleep(mode: CPUSleep): Status {');
    expect(uapi).toContain('export function send_ipc(target: TaskHandle, len: u8): Status {');
    expect(uapi).toContain('export function sleep(duration_ms: SleepDuration, mode: SleepMode): Status {');
  });

  it('carries the configuration, the banner, the statuses and the enumerations', () => {
    for (const file of AS_SDK_FILES) expect(sources[file]).toContain('generated by rampart — do not edit');
    expect(Object.keys(sources).sort()).toEqual([...AS_SDK_FILES].sort());
    expect(AS_ENTRY_SOURCE).toContain('generated by rampart — do not edit');
    expect(types).toContain('export const SVC_EXCHANGE_AREA_LEN: i32 = 256;');
    expect(uapi).toContain('export const SVC_EXCHANGE: usize = memory.data(256, 8);');
    expect(types).toContain('export const WFE_WAIT_NO: i32 = -1;');
    for (const s of STATUS_TABLE.filter((x) => x.rust !== '')) expect(types).toContain(`  ${s.rust} = ${s.value},`);
    expect(types).not.toContain('NonSense');
    for (const line of ['export enum EventType {', '  Dma = 8,', 'export enum Signal {', '  Usr2 = 12,', 'export enum Precision {',
      'export enum SleepMode {', 'export enum AlarmFlag {', '  StartPeriodic = 1,', 'export enum SleepDurationTag {', '  ArbitraryMs = 6,',
      'export enum CPUSleep {', 'export enum EraseType {', '  Zerofiy = 0x5a,', 'export const CAP_CRY_KRNG: u32 = 0x200000;']) {
      expect(types).toContain(line);
    }
    expect(() => generateAsSources({ exchangeAreaLen: 32 })).toThrow(RangeError);
    expect(() => generateAsSources({ exchangeAreaLen: 2048 })).toThrow(RangeError);
  });
});

describe('buildAsApp (real compiles)', () => {
  it('builds the as-hello sample to a contract-conforming module that logs and exits 0; caches it', async () => {
    const cacheDir = path.join(root, 'cache');
    const first = await buildAsApp(options(SAMPLE_DIR, 'as-hello', { cacheDir }));
    expect(first.cached).toBe(false);
    expect(first.toolchain).toMatch(/^AssemblyScript 0\.\d+\.\d+ \(runtime incremental\)$/);
    expect(first.diagnostics).toBe('');
    // Only the syscalls the app reaches: unused wrappers cost no import (imports are capabilities).
    expect(importNames(first.wasm)).toEqual(['rampart.exit', 'rampart.get_cycle', 'rampart.log']);
    expect(exportNames(first.wasm)).toEqual(['__svcexchange:global', '_start:function', 'memory:memory']);

    const run = runTask(first.wasm, {
      get_cycle: (r, precision) => {
        expect(precision).toBe(3); // Precision.Milliseconds
        new DataView(r.memory.buffer).setBigUint64(r.exchange, 1234n, true);
        return Status.Ok;
      },
    });
    expect(run.logs).toEqual([
      'hello from AssemblyScript\n',
      'as-hello: 1234 ms since boot\n',
      'as-hello: 1² + 2² + … + 10² = 385\n',
    ]);
    expect(run.exit).toBe(0);
    expect(run.exchange % 8).toBe(0);
    const global = new WebAssembly.Instance(new WebAssembly.Module(first.wasm), { rampart: { exit: () => 0, log: () => 0, get_cycle: () => 0 } })
      .exports.__svcexchange;
    expect(global).toBeInstanceOf(WebAssembly.Global);
    expect(() => { (global as WebAssembly.Global).value = 0; }).toThrow(); // immutable
    // Fixed memory: initial == maximum, enough for the configured heap after the shadow stack.
    expect(run.memory.buffer.byteLength).toBeGreaterThanOrEqual(run.exchange + 8192 + 16384);
    expect(() => run.memory.grow(1)).toThrow(RangeError);

    const again = await buildAsApp(options(SAMPLE_DIR, 'as-hello', { cacheDir }));
    expect(again.cached).toBe(true);
    expect(Buffer.from(again.wasm).equals(Buffer.from(first.wasm))).toBe(true);
    const otherConfig = await buildAsApp(options(SAMPLE_DIR, 'as-hello', { cacheDir, exchangeAreaLen: 256 }));
    expect(otherConfig.cached).toBe(false);
  }, COMPILE_TIMEOUT);

  it('compiles every wrapper and helper, and each wrapper imports exactly its syscall or bus access', async () => {
    const zero = (type: string): string => {
      if (type === 'SleepDuration') return 'SleepDuration.D1ms';
      if (type === 'bool') return 'false';
      if (/^[A-Z]/.test(type) && !type.endsWith('Handle')) return `<${type}>0`;
      return '0';
    };
    const calls = SYSCALLS.filter((s) => s.name !== 'exit').map((sys) => {
      const params = /\((.*)\)/.exec(asWrapperSignature(sys))?.[1] ?? '';
      const args = params === '' ? [] : params.split(', ').map((p) => zero(p.slice(p.indexOf(': ') + 2)));
      return `  s |= <i32>syscall.${sys.name}(${args.join(', ')});`;
    });
    const dir = await makeApp('every', {
      'assembly/index.ts': [
        'import {',
        '  syscall, Status, SleepDuration, SleepMode, Signal, CPUSleep, AlarmFlag, Precision, copyToKernel, copyFromKernel,',
        '  cleanSvcexchange, svcexchangeGetMaxlen, exchangeU8, exchangeU16, exchangeU32, exchangeU64, readExchangeHeader,',
        '  readShmInfo, print, println, taskLabel, SVC_EXCHANGE_AREA_LEN, bus,',
        '} from "rampart";',
        '',
        'export function main(): i32 {',
        '  let s: i32 = 0;',
        ...calls,
        '  s |= <i32>syscall.manage_cpu_sleep(CPUSleep.AllowSleep);',
        '  s |= <i32>syscall.sleep(SleepDuration.ArbitraryMs(7), SleepMode.Deep);',
        '  s |= <i32>copyToKernel(new Uint8Array(4)) | <i32>copyToKernel(new ArrayBuffer(4), 2) | <i32>copyToKernel(new StaticArray<u16>(3));',
        '  s |= <i32>copyFromKernel(new Uint32Array(2)) | <i32>copyFromKernel(new DataView(new ArrayBuffer(8)));',
        '  s |= <i32>cleanSvcexchange() | <i32>print("x") | <i32>println("y");',
        '  s += <i32>svcexchangeGetMaxlen() + <i32>exchangeU8() + <i32>exchangeU16(2) + <i32>exchangeU32(4) + <i32>exchangeU64(8);',
        '  s += <i32>readExchangeHeader().isValid() + <i32>readShmInfo().len + <i32>taskLabel() + SVC_EXCHANGE_AREA_LEN;',
        '  bus.write8(0x40004428, bus.read8(0x40004424));',
        '  bus.write16(0x40004428, bus.read16(0x40004424));',
        '  bus.write32(0x40004428, bus.read32(0x40004424));',
        '  bus.set32(0x40004400, 1);',
        '  bus.clear32(0x40004400, 1);',
        '  syscall.exit(s);',
        '  return s;',
        '}',
        '',
      ].join('\n'),
    });
    const result = await buildAsApp(options(dir, 'every'));
    expect(result.diagnostics).toBe('');
    expect(importNames(result.wasm)).toEqual([...SYSCALLS, ...BUS_IMPORTS].map((s) => `rampart.${s.name}`).sort());
  }, COMPILE_TIMEOUT);

  it('imports only the bus accesses an app makes, with the addresses and values it gives (fake imports)', async () => {
    const dir = await makeApp('bus-user', {
      'assembly/index.ts': [
        'import { bus } from "rampart";',
        'const CR1: u32 = 0x40004400;',
        'export function main(): i32 {',
        '  bus.set32(CR1, 1 << 5);',
        '  bus.clear32(CR1, 1);',
        '  bus.write8(0x40004428, bus.read8(0x40004424));',
        '  return 0;',
        '}',
        '',
      ].join('\n'),
    });
    const result = await buildAsApp(options(dir, 'bus-user'));
    expect(importNames(result.wasm)).toEqual(['rampart.bus_read32', 'rampart.bus_read8', 'rampart.bus_write32', 'rampart.bus_write8', 'rampart.exit', 'rampart.log']);
    let cr1 = 0x0d;
    const run = runTask(result.wasm, {
      bus_read32: () => cr1,
      bus_write32: (_r, _addr, value) => { cr1 = value!; return Status.Ok; },
      bus_read8: () => 0x1ff, // only the low byte is the register's
      bus_write8: () => Status.Ok,
    });
    expect(run.calls).toEqual([
      `bus_read32(${0x40004400})`, `bus_write32(${0x40004400},${0x2d})`, `bus_read32(${0x40004400})`, `bus_write32(${0x40004400},${0x2c})`,
      `bus_read8(${0x40004424})`, `bus_write8(${0x40004428},${0xff})`, 'exit(0)',
    ]);
  }, COMPILE_TIMEOUT);

  it('applies the UAPI pre-checks without calling the kernel, and bounds the exchange-area copies', async () => {
    const dir = await makeApp('prechecks', {
      'assembly/index.ts': [
        'import { syscall, Status, EventType, WFE_WAIT_NO, SVC_EXCHANGE_AREA_LEN, copyToKernel, copyFromKernel, SleepDuration, SleepDurationTag, SleepMode } from "rampart";',
        '',
        'export function main(): i32 {',
        '  // timeout < -1: refused in the wrapper',
        '  if (syscall.wait_for_event(<u8>EventType.All, -5) != Status.Invalid) return 1;',
        '  // -1 (WFE_WAIT_NO) is passed through',
        '  if (syscall.wait_for_event(<u8>EventType.All, WFE_WAIT_NO) != Status.Again) return 2;',
        '  // INTR is re-issued once; the second result is final',
        '  if (syscall.wait_for_event(<u8>EventType.Ipc, 10) != Status.Timeout) return 3;',
        '  if (syscall.wait_for_event(<u8>EventType.Ipc, 20) != Status.Intr) return 4;',
        '  // log: len > LEN refused, len == LEN passed',
        '  if (syscall.log(<usize>SVC_EXCHANGE_AREA_LEN + 1) != Status.Invalid) return 5;',
        '  const big = new Uint8Array(SVC_EXCHANGE_AREA_LEN + 16);',
        '  for (let i = 0; i < big.length; i++) big[i] = <u8>(i + 1);',
        '  copyToKernel(big);',
        '  if (syscall.log(<usize>SVC_EXCHANGE_AREA_LEN) != Status.Ok) return 6;',
        '  // copyFromKernel stops at the destination size',
        '  const small = new Uint8Array(3);',
        '  copyFromKernel(small);',
        '  if (small[0] != 1 || small[2] != 3) return 7;',
        '  // sleep: tag -> milliseconds; an unknown tag is refused',
        '  if (syscall.sleep(SleepDuration.D50ms, SleepMode.Shallow) != Status.Ok) return 8;',
        '  if (syscall.sleep(new SleepDuration(<SleepDurationTag>42), SleepMode.Shallow) != Status.Invalid) return 9;',
        '  return 0;',
        '}',
        '',
      ].join('\n'),
    });
    const result = await buildAsApp(options(dir, 'prechecks'));
    let intrRounds = 0;
    const run = runTask(result.wasm, {
      wait_for_event: (_r, mask, timeout) => {
        if (timeout === -1) return Status.Again;
        if (timeout === 10) return intrRounds++ === 0 ? Status.Intr : Status.Timeout;
        return Status.Intr;
      },
      sleep: () => Status.Ok,
    });
    expect(run.exit).toBe(0);
    expect(run.calls).toEqual([
      'wait_for_event(15,-1)',
      'wait_for_event(1,10)', 'wait_for_event(1,10)',
      'wait_for_event(1,20)', 'wait_for_event(1,20)',
      `log(${LEN})`,
      'sleep(50,0)',
      'exit(0)',
    ]);
    // The copy was truncated to the exchange area: bytes 1..LEN, nothing past it.
    expect([...Buffer.from(run.logs[0] ?? '', 'utf8').subarray(0, 4)]).toEqual([1, 2, 3, 4]);
  }, COMPILE_TIMEOUT);

  it('decodes the gpdma_stream_cfg_t the kernel writes, field by field, and spells the DMA enums and dev types (fake imports)', async () => {
    const dir = await makeApp('dma-types', {
      'assembly/index.ts': [
        'import { syscall, Status, readGpdmaStreamConfig, GpdmaTransferType, GpdmaPriority, GpdmaChanInt, GpdmaChanState, GPDMA_STREAM_CFG_SIZE, dev } from "rampart";',
        '',
        'export function main(): i32 {',
        '  if (syscall.dma_get_stream_info(0x40200000) != Status.Ok) return 1;',
        '  const c = readGpdmaStreamConfig();',
        '  if (c.channel != 3 || c.stream != 0x1234 || c.controller != 1 || c.transfer_type != <u16>GpdmaTransferType.MemoryToMemory) return 2;',
        '  if (c.source != 0x40000 || c.dest != 0x40100 || c.transfer_len != 0x40) return 3;',
        '  if (!c.circular_source || c.circular_dest || c.interrupts != <u8>(GpdmaChanInt.TransferComplete | GpdmaChanInt.Error) || c.is_triggered) return 4;',
        '  if (c.trigger != 7 || c.priority != <u8>GpdmaPriority.High || c.transfer_mode != 2 || c.src_beat_len != 1 || c.dest_beat_len != 2) return 5;',
        '  if (GPDMA_STREAM_CFG_SIZE != 32 || GpdmaChanState.HalfTransfer != 9) return 6;',
        '  const d = new dev.DevInfo(8, false, 0x48000000, 0x400, [new dev.ItInfo(37)], []);',
        '  const shm = new dev.ShmInfo(0xd0, true, true, 0x40000, 0x100);',
        '  if (d.num_interrupt != 1 || d.num_ios != 0 || d.its[0].it_num != 37 || !shm.dmapool) return 7;',
        '  return 0;',
        '}',
        '',
      ].join('\n'),
    });
    const result = await buildAsApp(options(dir, 'dma-types'));
    const run = runTask(result.wasm, {
      dma_get_stream_info: (r) => {
        // As kernel/syscalls/gate-dma.ts writes it (spec 2.11 offsets).
        const v = new DataView(r.memory.buffer, r.exchange, 32);
        v.setUint16(0, 3, true); v.setUint16(2, 0x1234, true); v.setUint16(4, 1, true); v.setUint16(6, 2, true);
        v.setUint32(8, 0x40000, true); v.setUint32(12, 0x40100, true); v.setUint32(16, 0x40, true);
        for (const [at, byte] of [[20, 1], [21, 0], [22, 5], [23, 0], [24, 7], [25, 2], [26, 2], [27, 1], [28, 2]] as const) v.setUint8(at, byte);
        return Status.Ok;
      },
    });
    expect(run.exit).toBe(0);
    // log: the bounds checks of its[0] may abort, and abort logs.
    expect(importNames(result.wasm)).toEqual(['rampart.dma_get_stream_info', 'rampart.exit', 'rampart.log']);
  }, COMPILE_TIMEOUT);

  it('routes abort to a log line with the real file:line and exit 134', async () => {
    const dir = await makeApp('aborts', {
      'assembly/index.ts': [
        'import { println } from "rampart";',
        'export function main(): i32 {',
        '  println("before");',
        '  assert(false, "boom");',
        '  println("after");',
        '  return 0;',
        '}',
        '',
      ].join('\n'),
    });
    const result = await buildAsApp(options(dir, 'aborts'));
    expect(importNames(result.wasm)).toEqual(['rampart.exit', 'rampart.log']);
    const run = runTask(result.wasm);
    expect(run.logs[0]).toBe('before\n');
    expect(run.logs.slice(1).join('')).toMatch(/^abort: boom at assembly\/index\.ts:4:\d+\n$/);
    expect(run.exit).toBe(AS_ABORT_EXIT_STATUS);
  }, COMPILE_TIMEOUT);

  it('runs top-level code before main, seeds Math.random from _start, and exits 0 after a void main', async () => {
    const dir = await makeApp('voidmain', {
      'assembly/index.ts': [
        'import { println, taskLabel } from "rampart";',
        'import { scale } from "./util";',
        '',
        '// Top-level code: runs in the module initialiser, after the _start arguments are recorded.',
        'const drawn = <u32>(Math.random() * scale);',
        '',
        'export function main(): void {',
        '  println("label " + taskLabel().toString() + " drew " + drawn.toString());',
        '}',
        '',
      ].join('\n'),
      'assembly/util.ts': 'export const scale: f64 = 1e9;\n',
    });
    const result = await buildAsApp(options(dir, 'voidmain'));
    expect(importNames(result.wasm)).toEqual(['rampart.exit', 'rampart.log']); // no env.seed
    const a = runTask(result.wasm, {}, 0x4000, 7);
    const b = runTask(result.wasm, {}, 0x4000, 7);
    const c = runTask(result.wasm, {}, 0x4000, 8);
    expect(a.exit).toBe(0);
    expect(a.logs[0]).toMatch(/^label 16384 drew \d+\n$/);
    expect(b.logs).toEqual(a.logs);
    expect(c.logs).not.toEqual(a.logs);
  }, COMPILE_TIMEOUT);

  it('surfaces type errors at assembly/index.ts:LINE:COL, and explains a missing or mistyped main', async () => {
    const dir = await makeApp('typeerror', {
      'assembly/index.ts': ['export function main(): i32 {', '  const x: i32 = "not a number";', '  return x;', '}', ''].join('\n'),
    });
    const error = await buildError(options(dir, 'typeerror'));
    expect(error.message).toContain(`${path.join(dir, 'assembly', 'index.ts')}:2:18: error TS2322:`);
    expect(error.message).toContain('  const x: i32 = "not a number";');
    expect(error.diagnostics).not.toContain('__sdk');

    const noMain = await makeApp('nomain', { 'assembly/index.ts': 'export function start(): i32 { return 0; }\n' });
    const missing = await buildError(options(noMain, 'nomain'));
    expect(missing.message).toContain('<generated task entry>');
    expect(missing.message).toContain('exports `function main(): i32`');

    const badMain = await makeApp('badmain', { 'assembly/index.ts': 'export function main(code: i32): f64 { return <f64>code; }\n' });
    const signature = await buildError(options(badMain, 'badmain'));
    expect(signature.message).toContain(`${path.join(badMain, 'assembly', 'index.ts')}: error: main must take no parameters and return i32`);
    expect(signature.message).toContain('1 parameter(s), result f64');

    const noSources = await buildError(options(path.join(root, 'apps', 'nothing'), 'nothing'));
    expect(noSources.message).toMatch(/no source directory/);
  }, COMPILE_TIMEOUT);

  it('refuses host imports with a hint instead of producing a module the kernel would reject', async () => {
    const dir = await makeApp('console', {
      'assembly/index.ts': ['export function main(): i32 {', '  console.log("hi");', '  return 0;', '}', ''].join('\n'),
    });
    const error = await buildError(options(dir, 'console'));
    expect(error.message).toContain('task contract');
    expect(error.message).toMatch(/imports function 'env\.console\.log': console is not available; use println/);
  }, COMPILE_TIMEOUT);
});
