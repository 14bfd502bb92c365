/**
 * Tests of the Rust build backend, the generated Rust sources, the SDK's local registry and
 * the `sentry-uapi` / `shield` crates.
 *
 * The compile tests run real Cargo builds (a few seconds the first time, while the SDK
 * crates compile; later apps reuse them through the shared cache directory). The runtime
 * tests instantiate built modules with fake `rampart` imports: they are unit tests of the
 * crates, not of the kernel. When no toolchain is installed the suite installs one with
 * scripts/ensure-rust.sh if it can (root + apt-get); it only skips when it cannot.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { STATUS_TABLE, Status } from '../abi/status.js';
import { BUS_IMPORTS, SYSCALLS } from '../abi/syscalls.js';
import { RUST_SDK_SOURCE_DIR, packageRustSdk, writeCargoRegistry } from '../sdk/cargo-registry.js';
import { RUST_FFI_FILE, RUST_GENERATED_BANNER, RUST_SYSTYPES_FILE, generateRustSources } from '../sdk/rust.js';
import { BuildError } from './c.js';
import { RUST_INSTALL_COMMAND, RustToolchainMissing, buildRustApp, ensureRustToolchain, type RustBuildOptions } from './rust.js';

const COMPILE_TIMEOUT = 300_000;
const SAMPLE_DIR = fileURLToPath(new URL('../../apps/samples/rust-hello/apps/rust-hello/', import.meta.url));

// Install the toolchain when it is missing and installing is possible (root with apt-get);
// skip the compile tests only when it is not.
const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
const toolchain = await ensureRustToolchain(() => undefined);
const noToolchain = Array.isArray(toolchain) && !canInstall;
const SKIP_REASON = `no Rust toolchain for wasm32 and none can be installed here (needs root: ${RUST_INSTALL_COMMAND})`;

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rampart-rust-test-'));
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

/** A Cargo.toml for a test app depending on the SDK by version, as apps do. */
function manifest(name: string): string {
  return [
    '[package]', `name = "${name}"`, 'version = "0.1.0"', 'edition = "2021"', '',
    '[lib]', 'crate-type = ["cdylib"]', '',
    '[dependencies]', 'sentry-uapi = "0.4.1"', 'shield = "0.1.0"', '',
  ].join('\n');
}

function options(appDir: string, appName: string, extra: Partial<RustBuildOptions> = {}): RustBuildOptions {
  return { appDir, appName, exchangeAreaLen: 128, stackSize: 8192, heapSize: 0, cacheDir: path.join(root, 'cache'), ...extra };
}

function importNames(wasm: Uint8Array<ArrayBuffer>): string[] {
  return WebAssembly.Module.imports(new WebAssembly.Module(wasm)).map((i) => `${i.module}.${i.name}`).sort();
}

function exportNames(wasm: Uint8Array<ArrayBuffer>): string[] {
  return WebAssembly.Module.exports(new WebAssembly.Module(wasm)).map((e) => e.name).sort();
}

/** Fake kernel: `handlers` per import; every call is recorded; `exit` stops the task. */
interface FakeRun {
  readonly calls: string[];
  readonly logs: Buffer[];
  readonly exit: number | undefined;
}

function runTask(
  wasm: Uint8Array<ArrayBuffer>,
  handlers: Record<string, (exch: Uint8Array, ...args: number[]) => number>,
  setup: (exch: Uint8Array) => void = () => undefined,
  label = 0x3000,
): FakeRun {
  const module = new WebAssembly.Module(wasm);
  const calls: string[] = [];
  const logs: Buffer[] = [];
  let exit: number | undefined;
  let exch = new Uint8Array();
  const imports: Record<string, (...args: number[]) => number> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    imports[imp.name] = (...args: number[]): number => {
      calls.push(`${imp.name}(${args.join(',')})`);
      if (imp.name === 'exit') {
        exit = args[0];
        throw new Error('exit');
      }
      if (imp.name === 'log' && handlers.log === undefined) {
        logs.push(Buffer.from(exch.subarray(0, args[0])));
        return Status.Ok;
      }
      const handler = handlers[imp.name];
      if (handler === undefined) throw new Error(`unexpected syscall ${imp.name}`);
      return handler(exch, ...args);
    };
  }
  const instance = new WebAssembly.Instance(module, { rampart: imports });
  const memory = instance.exports.memory as WebAssembly.Memory;
  const base = (instance.exports.__svcexchange as WebAssembly.Global).value as number;
  exch = new Uint8Array(memory.buffer, base, 1024);
  setup(exch);
  expect(() => (instance.exports._start as (label: number, seed: number) => void)(label, 0x12345678)).toThrow('exit');
  return { calls, logs, exit };
}

describe('generated Rust sources and the SDK registry (no compiler)', () => {
  const sources = generateRustSources({ exchangeAreaLen: 256 });
  const systypes = sources[RUST_SYSTYPES_FILE] ?? '';
  const ffi = sources[RUST_FFI_FILE] ?? '';
  const wrappers = readFileSync(path.join(RUST_SDK_SOURCE_DIR, 'sentry-uapi', 'src', 'syscall.rs'), 'utf8');

  it('declares every syscall of the table: variant, raw import and wrapper (drift check)', () => {
    for (const sys of SYSCALLS) {
      expect(systypes).toContain(`    ${sys.rustVariant} = ${sys.number},`);
      expect(systypes).toContain(`Syscall::${sys.rustVariant} => "${sys.name}",`);
      expect(ffi).toContain(`    #[link_name = "${sys.name}"]\n    pub(crate) fn __rampart_sys_${sys.name}(`);
      const params = new RegExp(`fn __rampart_sys_${sys.name}\\(([^)]*)\\) -> u32;`).exec(ffi)?.[1] ?? '';
      expect(params === '' ? 0 : params.split(', ').length).toBe(sys.args.length);
      expect(wrappers).toMatch(new RegExp(`pub fn ${sys.name}\\([^)]*\\) -> Status \\{`));
    }
    expect(ffi).toContain('#[link(wasm_import_module = "rampart")]');
    expect(systypes).toContain('DmaStartStream = 30,');
  });

  it('declares every bus import in the ffi and wraps it in the bus module (drift check)', () => {
    const bus = readFileSync(path.join(RUST_SDK_SOURCE_DIR, 'sentry-uapi', 'src', 'bus.rs'), 'utf8');
    for (const b of BUS_IMPORTS) {
      const params = b.write ? 'addr: u32, value: u32' : 'addr: u32';
      expect(ffi).toContain(`    #[link_name = "${b.name}"]\n    pub(crate) fn __rampart_${b.name}(${params}) -> u32;`);
      expect(bus).toMatch(new RegExp(`pub fn ${b.write ? 'write' : 'read'}${b.width * 8}\\(addr: u32[,)][^{]*\\{\\n[^\\n]*ffi::__rampart_${b.name}\\(`));
    }
    expect(ffi.match(/#\[link_name = "bus_/g)).toHaveLength(BUS_IMPORTS.length);
    expect(bus).toContain('pub fn set32(addr: u32, bits: u32) {');
    expect(bus).toContain('pub fn clear32(addr: u32, bits: u32) {');
  });

  it('carries the statuses (without NonSense), the configuration and the banner', () => {
    for (const s of STATUS_TABLE.filter((st) => st.rust !== '')) expect(systypes).toContain(`    ${s.rust} = ${s.value},`);
    expect(systypes).not.toMatch(/NonSense\s*=/);
    expect(systypes).toContain('            _ => Status::Invalid,');
    expect(systypes).toContain('pub const SVC_EXCHANGE_AREA_LEN: usize = 256;');
    expect(systypes).toContain('pub const WFE_WAIT_NO: i32 = -1;');
    expect(systypes).toContain('pub const CAP_CRY_KRNG: u32 = 0x200000;');
    expect(systypes).toContain('SHMPermission::Write => 0x4,');
    for (const text of Object.values(sources)) expect(text.startsWith(RUST_GENERATED_BANNER)).toBe(true);
    expect(generateRustSources({ exchangeAreaLen: 256 })).toEqual(sources);
    expect(() => generateRustSources({ exchangeAreaLen: 32 })).toThrow(RangeError);
    expect(() => generateRustSources({ exchangeAreaLen: 2048 })).toThrow(RangeError);
  });

  it('writes a deterministic local registry: index entries, checksummed .crate files, source replacement', async () => {
    const first = await packageRustSdk({ exchangeAreaLen: 128 });
    const again = await packageRustSdk({ exchangeAreaLen: 128 });
    expect(again.hash).toBe(first.hash);
    expect((await packageRustSdk({ exchangeAreaLen: 64 })).hash).not.toBe(first.hash);

    const { registryDir, cargoConfigToml } = await writeCargoRegistry(path.join(root, 'registry'), { exchangeAreaLen: 128 });
    expect(path.basename(registryDir)).toBe(`rampart-sdk-${first.hash.slice(0, 16)}`);
    expect(cargoConfigToml).toContain('[source.crates-io]\nreplace-with = "rampart-sdk"');
    expect(cargoConfigToml).toContain(`local-registry = ${JSON.stringify(registryDir)}`);

    const uapiIndex = JSON.parse(await readFile(path.join(registryDir, 'index', 'se', 'nt', 'sentry-uapi'), 'utf8')) as { vers: string; cksum: string };
    const shieldIndex = JSON.parse(await readFile(path.join(registryDir, 'index', 'sh', 'ie', 'shield'), 'utf8')) as { deps: { name: string; req: string }[] };
    expect(uapiIndex.vers).toBe('0.4.1');
    expect(shieldIndex.deps).toEqual([expect.objectContaining({ name: 'sentry-uapi', req: '^0.4.1', kind: 'normal' })]);
    const crate = await readFile(path.join(registryDir, 'sentry-uapi-0.4.1.crate'));
    expect(createHash('sha256').update(crate).digest('hex')).toBe(uapiIndex.cksum);

    // The archive: sorted `sentry-uapi-0.4.1/...` entries with the generated sources inside.
    const tar = gunzipSync(crate);
    const names: string[] = [];
    for (let at = 0; at + 512 <= tar.length && tar[at] !== 0;) {
      names.push(tar.subarray(at, at + 100).toString('latin1').replace(/\0.*$/s, ''));
      const size = parseInt(tar.subarray(at + 124, at + 136).toString('latin1'), 8);
      at += 512 + Math.ceil(size / 512) * 512;
    }
    expect(names).toEqual([...names].sort());
    expect(names).toContain('sentry-uapi-0.4.1/Cargo.toml');
    expect(names).toContain('sentry-uapi-0.4.1/src/ffi_gen.rs');
    expect(names).toContain('sentry-uapi-0.4.1/src/systypes_gen.rs');
    const shieldTar = gunzipSync(await readFile(path.join(registryDir, 'shield-0.1.0.crate'))).toString('latin1');
    expect(shieldTar).not.toMatch(/path\s*=/); // a published manifest has no path dependencies
    expect((await readdir(path.join(root, 'registry'))).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('says how to install a toolchain when there is none', () => {
    const error = new RustToolchainMissing('app', ['rustup stable: no wasm32 standard library'], 'apps/app/Cargo.toml');
    expect(error).toBeInstanceOf(BuildError);
    expect(error.message.split('\n')[0]).toBe('apps/app/Cargo.toml: app: no Rust toolchain that can build for wasm32-unknown-unknown was found.');
    expect(error.message).toContain('apt-get install -y rustc cargo libstd-rust-dev-wasm32');
    expect(error.message).toContain('scripts/ensure-rust.sh');
    expect(error.message).toContain('rustup stable: no wasm32 standard library');
  });
});

describe(noToolchain ? `buildRustApp — skipped: ${SKIP_REASON}` : 'buildRustApp (real Cargo builds)', () => {
  it.skipIf(noToolchain)('builds the rust-hello sample into a task module that prints through log and exits 0; caches it', async () => {
    const started = Date.now();
    const first = await buildRustApp(options(SAMPLE_DIR, 'rust-hello'));
    const firstMs = Date.now() - started;
    expect(first.cached).toBe(false);
    expect(first.toolchain).toMatch(/^rustc \d+\.\d+/);
    expect(first.diagnostics).toBe('');
    // Only the syscalls the app calls, and only from `rampart`.
    expect(importNames(first.wasm)).toEqual(['rampart.exit', 'rampart.get_cycle', 'rampart.get_process_handle', 'rampart.log']);
    expect(exportNames(first.wasm)).toEqual(['__svcexchange', '_start', 'memory']);

    const run = runTask(first.wasm, {
      get_process_handle: (exch, label) => {
        new DataView(exch.buffer, exch.byteOffset).setUint32(0, 0x00301234 + (label === 0x3000 ? 0 : 1), true);
        return Status.Ok;
      },
      get_cycle: (exch) => {
        new DataView(exch.buffer, exch.byteOffset).setBigUint64(0, 42n, true);
        return Status.Ok;
      },
    });
    expect(Buffer.concat(run.logs).toString('utf8')).toBe('hello from Rust, label 0x3000\nmy task handle is 0x00301234\nup for 42 ms\n');
    expect(run.calls).toEqual(['log(30)', 'get_process_handle(12288)', 'log(29)', 'get_cycle(3)', 'log(13)', 'exit(0)']);
    expect(run.exit).toBe(0);

    const startedAgain = Date.now();
    const again = await buildRustApp(options(SAMPLE_DIR, 'rust-hello'));
    const cachedMs = Date.now() - startedAgain;
    expect(again.cached).toBe(true);
    expect(Buffer.from(again.wasm).equals(Buffer.from(first.wasm))).toBe(true);
    console.info(`rust-hello: first build ${firstMs} ms, cached ${cachedMs} ms (${first.toolchain})`);
  }, COMPILE_TIMEOUT);

  it.skipIf(noToolchain)('lays memory out per the task ABI: stack first, 8-aligned exchange area, heap pages, no growth', async () => {
    const { wasm } = await buildRustApp(options(SAMPLE_DIR, 'rust-hello-heap', { stackSize: 16384, heapSize: 2 * 65536 }));
    const plain = await buildRustApp(options(SAMPLE_DIR, 'rust-hello', { stackSize: 16384 }));
    const instance = (w: Uint8Array<ArrayBuffer>): WebAssembly.Instance => new WebAssembly.Instance(new WebAssembly.Module(w), {
      rampart: { exit: () => 0, log: () => 0, get_cycle: () => 0, get_process_handle: () => 0 },
    });
    const withHeap = instance(wasm);
    const without = instance(plain.wasm);
    const memory = withHeap.exports.memory as WebAssembly.Memory;
    const base = (withHeap.exports.__svcexchange as WebAssembly.Global).value as number;
    expect(base % 8).toBe(0);
    expect(base).toBeGreaterThanOrEqual(16384);
    expect(memory.buffer.byteLength - (without.exports.memory as WebAssembly.Memory).buffer.byteLength).toBe(2 * 65536);
    expect(() => memory.grow(1)).toThrow(RangeError); // maximum == initial
  }, COMPILE_TIMEOUT);

  it.skipIf(noToolchain)('surfaces rustc\'s file:line diagnostics, and the ABI problems of a module', async () => {
    const dir = await makeApp('broken', {
      'Cargo.toml': manifest('broken'),
      'src/lib.rs': ['#![no_std]', 'shield::shield_main!();', '', 'fn main() {', '    let x: u32 = "not a number";', '    let _ = x;', '}', ''].join('\n'),
    });
    const error = await buildRustApp(options(dir, 'broken')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildError);
    const message = (error as BuildError).message;
    expect(message).toContain('error[E0308]: mismatched types');
    expect(message).toContain(`--> ${path.join(dir, 'src', 'lib.rs')}:5:`);
    expect(message).toContain('src/lib.rs:5');
    expect(message).not.toMatch(/\bCompiling\b/);
    expect(message).not.toContain(path.join(root, 'cache'));

    const foreign = await makeApp('foreign', {
      'Cargo.toml': manifest('foreign'),
      'src/lib.rs': [
        '#![no_std]', 'shield::shield_main!();', '',
        'extern "C" {', '    fn not_defined_anywhere() -> u32;', '}', '',
        'fn main() -> i32 {', '    unsafe { not_defined_anywhere() as i32 }', '}', '',
      ].join('\n'),
    });
    const foreignError = await buildRustApp(options(foreign, 'foreign')).catch((e: unknown) => e);
    expect(foreignError).toBeInstanceOf(BuildError);
    expect((foreignError as BuildError).message).toMatch(/not_defined_anywhere/);

    const noMain = await makeApp('no-main', {
      'Cargo.toml': manifest('no-main'),
      'src/lib.rs': ['#![no_std]', 'use shield as _;', 'use sentry_uapi as _;', ''].join('\n'),
    });
    const noMainError = await buildRustApp(options(noMain, 'no-main')).catch((e: unknown) => e);
    expect(noMainError).toBeInstanceOf(BuildError);
    expect((noMainError as BuildError).message).toContain('shield::shield_main!()');
  }, COMPILE_TIMEOUT);

  it.skipIf(noToolchain)('imports only the bus accesses an app makes, with the addresses and values it gives (fake imports)', async () => {
    const dir = await makeApp('bus-user', {
      'Cargo.toml': manifest('bus-user'),
      'src/lib.rs': [
        '#![no_std]', 'use sentry_uapi::bus;', 'shield::shield_main!();', '',
        'const CR1: u32 = 0x4000_4400;', '',
        'fn main() -> i32 {',
        '    bus::set32(CR1, 1 << 5);',
        '    bus::clear32(CR1, 1);',
        '    bus::write8(0x4000_4428, bus::read8(0x4000_4424));',
        '    0',
        '}', '',
      ].join('\n'),
    });
    const { wasm } = await buildRustApp(options(dir, 'bus-user'));
    expect(importNames(wasm)).toEqual(['rampart.bus_read32', 'rampart.bus_read8', 'rampart.bus_write32', 'rampart.bus_write8', 'rampart.exit']);
    let cr1 = 0x0d;
    const run = runTask(wasm, {
      bus_read32: () => cr1,
      bus_write32: (_exch, _addr, value) => { cr1 = value!; return Status.Ok; },
      bus_read8: () => 0x41,
      bus_write8: () => Status.Ok,
    });
    expect(run.calls).toEqual([
      `bus_read32(${0x40004400})`, `bus_write32(${0x40004400},${0x2d})`, `bus_read32(${0x40004400})`, `bus_write32(${0x40004400},${0x2c})`,
      `bus_read8(${0x40004424})`, `bus_write8(${0x40004428},${0x41})`, 'exit(0)',
    ]);
  }, COMPILE_TIMEOUT);

  it.skipIf(noToolchain)('applies the UAPI pre-checks, bounds the exchange helpers by the configured length, and panics cleanly (fake imports)', async () => {
    const dir = await makeApp('prechecks', {
      'Cargo.toml': manifest('prechecks'),
      'src/lib.rs': PRECHECKS_APP,
    });
    const { wasm } = await buildRustApp(options(dir, 'prechecks', { exchangeAreaLen: 64 }));
    expect(importNames(wasm)).toEqual(['rampart.exit', 'rampart.log', 'rampart.sleep', 'rampart.wait_for_event']);

    // Scripted kernel answers, in call order: poll, INTR then OK (with an IPC event), INTR twice.
    const waitAnswers = [Status.Again, Status.Intr, Status.Ok, Status.Intr, Status.Intr];
    const handlers = {
      wait_for_event: (exch: Uint8Array): number => {
        const status = waitAnswers.shift() ?? 0xff;
        if (status === Status.Ok) exch.set([1, 2, 0x42, 0x42, 0x34, 0x12, 0, 0, 0x68, 0x69]); // IPC "hi" from 0x1234
        return status;
      },
      sleep: (): number => Status.Timeout,
    };
    const plain = runTask(wasm, handlers, (exch) => { exch[0] = 0; });
    // -5 and i32::MIN never reach the kernel; -1 does; each INTR is re-issued exactly once;
    // log(65) is refused in the wrapper, so the only log is the results.
    expect(plain.calls).toEqual([
      'wait_for_event(15,-1)', 'wait_for_event(1,100)', 'wait_for_event(1,100)', 'wait_for_event(2,0)', 'wait_for_event(2,0)',
      'sleep(5,0)', 'sleep(1234,1)', `log(${plain.logs[0]?.length})`, 'exit(7)',
    ]);
    const ERR = 0x80;
    expect([...(plain.logs[0] ?? [])]).toEqual([
      Status.Invalid, Status.Invalid, Status.Again, Status.Ok, Status.Intr, // wait_for_event
      Status.Ok, 2, 0x34, 0x12, 0x68, 0x69, // the IPC event, decoded
      ERR | Status.Invalid, // payload larger than the buffer
      ERR | Status.Invalid, // bad magic
      ERR | Status.Invalid, // header + length beyond the 64-byte area
      Status.Ok, 0x68, // an IPC event sends its data
      ERR | Status.Invalid, // a signal event cannot be sent
      ERR | Status.Invalid, // a shared slice cannot receive
      0xaa, 0, // copies truncated at 64 bytes
      Status.Ok, 1, // u32 round trip
      0x11, 0x44, 0x0c, 0x10, // ShmInfo fields decoded at the wasm32 offsets
      ERR | Status.Invalid, // ShmInfo cannot be sent
      Status.Timeout, Status.Timeout, // sleep
      Status.Invalid, // log(LEN + 1)
      Status.Invalid, Status.Invalid, // Status::from(11), Status::from(0xdeadbeef)
      0, // EventType::from(3) is None
      64, // SVC_EXCHANGE_AREA_LEN
    ]);
    expect(plain.exit).toBe(7);

    const panicked = runTask(wasm, handlers, (exch) => { exch[0] = 1; });
    const panicText = Buffer.concat(panicked.logs).toString('utf8');
    expect(panicText).toMatch(/^panicked at /);
    expect(panicText).toContain('boom 42');
    expect(panicText).toMatch(/src\/lib\.rs:\d+:\d+/);
    expect(panicked.exit).toBe(101);

    // One println! longer than the exchange area: chunks of at most 64 bytes, never
    // splitting a character.
    const chunked = runTask(wasm, handlers, (exch) => { exch[0] = 2; });
    expect(chunked.logs.map((l) => l.length)).toEqual([63, 64, 39]);
    expect(Buffer.concat(chunked.logs).toString('utf8')).toBe(`${'a'.repeat(63)}é${'b'.repeat(100)}\n`);
    expect(chunked.exit).toBe(0);
  }, COMPILE_TIMEOUT);
});

/** Exercises the wrappers and the exchange helpers; results are logged as one byte each. */
const PRECHECKS_APP = String.raw`#![no_std]

use sentry_uapi::syscall;
use sentry_uapi::systypes::*;
use sentry_uapi::{copy_from_kernel, copy_to_kernel};

shield::shield_main!();

/// One byte per exchange result: the status, with bit 7 set for an Err.
fn code(result: Result<Status, Status>) -> u8 {
    match result {
        Ok(status) => status as u8,
        Err(status) => 0x80 | status as u8,
    }
}

fn main() -> i32 {
    // Mode byte planted in the exchange area by the test before _start.
    let mut mode: u8 = 0;
    let _ = copy_from_kernel(&mut mode);
    if mode == 1 {
        panic!("boom {}", 42);
    }
    if mode == 2 {
        shield::println!("{:a>63}é{:b>100}", "", "");
        return 0;
    }

    let mut r = [0u8; 48];
    let mut n = 0;
    macro_rules! put {
        ($value:expr) => {{
            let value: u8 = $value;
            r[n] = value;
            n += 1;
        }};
    }
    put!(syscall::wait_for_event(EventType::All.into(), -5) as u8);
    put!(syscall::wait_for_event(EventType::All.into(), i32::MIN) as u8);
    put!(syscall::wait_for_event(EventType::All.into(), WFE_WAIT_NO) as u8);
    put!(syscall::wait_for_event(EventType::Ipc.into(), 100) as u8);
    put!(syscall::wait_for_event(EventType::Signal.into(), WFE_WAIT_FOREVER) as u8);

    // The IPC event the fake kernel wrote on its OK answer.
    let mut buf = [0u8; 4];
    let mut event = Event { header: ExchangeHeader::default(), data: &mut buf };
    put!(code(copy_from_kernel(&mut event)));
    put!(event.header.length);
    put!(event.header.peer as u8);
    put!((event.header.peer >> 8) as u8);
    put!(event.data[0]);
    put!(event.data[1]);
    let mut tiny = [0u8; 1];
    let mut small = Event { header: ExchangeHeader::default(), data: &mut tiny };
    put!(code(copy_from_kernel(&mut small)));

    let mut big = [0u8; 100];
    let mut any = Event { header: ExchangeHeader::default(), data: &mut big };
    let _ = copy_to_kernel(&[0u8; 8][..]);
    put!(code(copy_from_kernel(&mut any)));
    let _ = copy_to_kernel(&[1u8, 57, 0x42, 0x42, 0, 0, 0, 0][..]);
    put!(code(copy_from_kernel(&mut any)));

    let mut payload = *b"hey";
    let ipc = Event { header: ExchangeHeader { event: EventType::Ipc.into(), ..ExchangeHeader::default() }, data: &mut payload };
    put!(code(copy_to_kernel(&ipc)));
    let mut first = 0u8;
    let _ = copy_from_kernel(&mut first);
    put!(first);
    let mut other = *b"no";
    let signal = Event { header: ExchangeHeader { event: EventType::Signal.into(), ..ExchangeHeader::default() }, data: &mut other };
    put!(code(copy_to_kernel(&signal)));
    let mut shared: &[u8] = b"abc";
    put!(code(copy_from_kernel(&mut shared)));

    let _ = copy_to_kernel(&[0xaau8; 100]);
    let mut back = [0u8; 100];
    let _ = copy_from_kernel(&mut back);
    put!(back[63]);
    put!(back[64]);

    let _ = copy_to_kernel(&0x1122_3344u32);
    let mut word = 0u32;
    put!(code(copy_from_kernel(&mut word)));
    put!((word == 0x1122_3344) as u8);

    let mut raw = [0u8; 20];
    raw[0] = 0x11;
    raw[4] = 0x44;
    raw[8] = 0x0c;
    raw[12] = 0x10;
    let _ = copy_to_kernel(&raw);
    let mut info = ShmInfo::default();
    let _ = copy_from_kernel(&mut info);
    put!(info.handle as u8);
    put!(info.label as u8);
    put!(info.base as u8);
    put!(info.len as u8);
    put!(code(copy_to_kernel(&info)));

    put!(syscall::sleep(SleepDuration::D5ms, SleepMode::Shallow) as u8);
    put!(syscall::sleep(SleepDuration::ArbitraryMs(1234), SleepMode::Deep) as u8);
    put!(syscall::log(SVC_EXCHANGE_AREA_LEN + 1) as u8);
    put!(Status::from(11) as u8);
    put!(Status::from(0xdead_beef) as u8);
    put!(u8::from(EventType::from(3)));
    put!(SVC_EXCHANGE_AREA_LEN as u8);

    let _ = copy_to_kernel(&r[..n]);
    let _ = syscall::log(n);
    7
}
`;
