/**
 * `rampart sdk`: one self-contained SDK folder per kernel configuration and board.
 *
 * Owns the SDK folder (layout in docs/sdk.md): the resolved `.config` and the Kconfig tree,
 * `autoconf.h` / `autoconf.rs` / `autoconf.ts` with the same `CONFIG_*` constants, the C
 * UAPI headers, `libuapi.a` and the task runtime object `crt0.o` compiled for wasm32 by the
 * bundled clang, per task (`tasks/<label>/`) the resource tables of the board for C, Rust
 * and AssemblyScript and, given its `task.conf`, its `.config` and `CONFIG_*` constants in
 * the three languages, `rampart-uapi.pc` and a meson
 * cross file for a system clang, the Cargo local registry and its `.cargo/config.toml`, the
 * AssemblyScript package, and `sdk.json`. Also owns the SDK stamp: the configuration hash
 * carried by every module built against an SDK (wasm custom section `rampart.sdk`), and
 * the integrator's check of it.
 *
 * Invariants:
 * - The configuration hash depends only on what a module is built against: the kernel
 *   `CONFIG_*` values (the product identity excluded), the board, and the ABI tables. Two
 *   SDKs with the same hash are interchangeable for an app. A task's own `task.conf` is not
 *   in it: it changes that task's files (and its build), not what the others link against.
 * - The folder is built aside (`OUT.tmp-*`) and renamed into place: a failed or
 *   interrupted generation never leaves a half-built SDK where a build would pick it up.
 *   An existing folder is replaced only when it is an SDK (it has `sdk.json`) or the caller
 *   says it owns it.
 * - Generation is deterministic (no dates, sorted inputs); an SDK whose `sdk.json` already
 *   records the same content key is reused as is.
 * - No system compiler is needed: the C library is compiled by @yowasp/clang.
 */

import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { CAPABILITIES } from '../abi/capabilities.js';
import { STATUS_TABLE } from '../abi/status.js';
import { SYSCALLS } from '../abi/syscalls.js';
import type { Board } from '../../kernel/board.js';
import type { KernelConfig } from '../../kernel/config.js';
import { COMPILE_FLAGS, TARGET, linkFlags } from '../build/c.js';
import { BoardError, readBoard } from '../config/devicetree.js';
import { generateTaskResourceHeaders } from '../config/board-headers.js';
import { asTaskResources, rustTaskResources } from '../config/board-modules.js';
import { ConfigError, kconfigTreeFiles, kernelConfigOf, resolveKernelFragments, uapiLimitsOf, type ResolvedConfig, type UapiLimits } from '../config/kconfig.js';
import { generateAsSources } from './assemblyscript.js';
import { asConstants, resolveTaskFragments, rustConstants } from './autoconf.js';
import { generateCHeaders } from './c-headers.js';
import { cargoSourceReplacement, packageRustSdk, writeRustSdkRegistry } from './cargo-registry.js';
import { encodeLeb128 as leb, readLeb128 } from '../integrate/leb128.js';

/** Bump when the layout or the meaning of a file changes. */
export const SDK_FORMAT = 'rampart-sdk/1';

/** Name of the wasm custom section holding the configuration hash a module was built against. */
export const SDK_STAMP_SECTION = 'rampart.sdk';

/** Default stack of the link flags (the task tree's CONFIG_TASK_STACK_SIZE default). */
const DEFAULT_STACK_SIZE = 0x2000;

/** Runtime sources that are task entry objects, not library members (each defines `_start`). */
const FREESTANDING_RUNTIME = 'crt0.c';
const isRuntimeObject = (file: string): boolean => /^crt0.*\.c$/.test(file);

const RUNTIME_SRC_DIR = fileURLToPath(new URL('../../uapi-c/src/', import.meta.url));

/** Every problem of an SDK generation, one line each, naming the file and the fix. */
export class SdkError extends Error {
  override readonly name = 'SdkError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** Options of {@link generateSdk}. */
export interface GenerateSdkOptions {
  /** Kernel Kconfig fragments, applied in order (`prj.conf` first, overrides after). */
  readonly configFiles: readonly string[];
  /** The board devicetree (`board.dts`). */
  readonly boardFile: string;
  /** The SDK folder to create or replace. */
  readonly out: string;
  /** Task labels to generate resource headers for, besides the owners named by the board. */
  readonly taskLabels?: readonly number[];
  /**
   * Task fragments (`task.conf`): each task's `.config` and `CONFIG_*` constants are written
   * into its folder (`tasks/<CONFIG_TASK_LABEL>/`), and its label joins `taskLabels`.
   */
  readonly taskConfigFiles?: readonly string[];
  /** The board, when the caller has already read `boardFile` (it is not read again). */
  readonly board?: Board;
  /** Extra `#include` directories for the board. */
  readonly includeDirs?: readonly string[];
  /**
   * Replace `out` even when it is not an SDK (the caller owns the folder, as `rampart build`
   * owns PROJECT/build/sdk). Default false: a non-empty folder without `sdk.json` is refused.
   */
  readonly ownsOut?: boolean;
  /** Names shown in messages instead of the paths given (e.g. paths relative to the cwd). */
  readonly display?: (file: string) => string;
  /** Cache of compiled runtimes; default {@link SDK_CACHE_DIR}; false disables it. */
  readonly cacheDir?: string | false;
  /** Progress lines. */
  readonly progress?: (line: string) => void;
  /** Receives each board warning. */
  readonly onWarning?: (message: string) => void;
}

/** A generated (or reused) SDK. */
export interface SdkResult {
  readonly dir: string;
  /** The configuration hash (hex sha256), also in `sdk.json` and every module's stamp. */
  readonly hash: string;
  readonly kernel: KernelConfig;
  readonly board: Board;
  /** True when an up-to-date SDK was already there. */
  readonly reused: boolean;
  /** The include directory of each task label's resource headers. */
  readonly taskIncludeDirs: ReadonlyMap<number, string>;
  /** The folder of each task label (`tasks/<label>`: include/, rust/, assemblyscript/, .config). */
  readonly taskDirs: ReadonlyMap<number, string>;
  /** The per-task resource limits of the configuration (spec §2.16), as `uapi/platform.h` has them. */
  readonly limits: UapiLimits;
}

/** What `sdk.json` records. */
export interface SdkManifest {
  readonly format: string;
  readonly configHash: string;
  readonly contentKey: string;
  readonly kernel: KernelConfig;
  readonly config: Readonly<Record<string, string>>;
  readonly board: { readonly model: string; readonly sha256: string };
  readonly tasks: readonly string[];
  /** The task labels whose configuration (`task.conf`) the SDK carries. */
  readonly taskConfigs: readonly string[];
  readonly stampSection: string;
  readonly c: { readonly target: string; readonly compiler: string; readonly cflags: readonly string[]; readonly ldflags: readonly string[] };
  readonly rust: { readonly registry: string; readonly crates: readonly string[] };
  readonly assemblyscript: { readonly package: string };
  readonly kconfiglib: string;
}

// ---------------------------------------------------------------------------------------
// Hashes.

function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with sorted object keys: the same data always gives the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && typeof v !== 'function');
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Symbols that are product identity, not kernel configuration. */
const isIdentitySymbol = (name: string): boolean => name.startsWith('CONFIG_PRODUCT_');

/** Fingerprint of the ABI tables a module is compiled against. */
function abiFingerprint(): string {
  return sha256(canonicalJson({ syscalls: SYSCALLS, capabilities: CAPABILITIES, statuses: STATUS_TABLE }));
}

/**
 * The configuration hash of a kernel configuration and board: what an SDK records and
 * every module built against it carries. Hex sha256.
 */
export function sdkConfigHash(config: ResolvedConfig, board: Board): string {
  const lines = [SDK_FORMAT, `abi ${abiFingerprint()}`];
  for (const sym of config.symbols.values()) if (!isIdentitySymbol(sym.name)) lines.push(`${sym.name}=${sym.value}`);
  lines.push(`board ${sha256(canonicalJson(board))}`);
  return sha256(`${lines.join('\n')}\n`);
}

/** Short form of a hash for messages. */
export const shortHash = (hash: string): string => hash.slice(0, 16);

// ---------------------------------------------------------------------------------------
// The stamp.

function readLeb(bytes: Uint8Array, at: number): { value: number; next: number } {
  const decoded = readLeb128(bytes, at);
  if (decoded === undefined) throw new Error('malformed LEB128');
  return decoded;
}

/**
 * The contents of every `rampart.sdk` custom section of a module, in order.
 *
 * @throws Error when the module's section structure is malformed.
 */
export function readSdkStamps(wasm: Uint8Array): string[] {
  if (wasm.length < 8 || wasm[0] !== 0 || wasm[1] !== 0x61 || wasm[2] !== 0x73 || wasm[3] !== 0x6d) throw new Error('not a WebAssembly module');
  const out: string[] = [];
  const decoder = new TextDecoder();
  let pos = 8;
  while (pos < wasm.length) {
    const id = wasm[pos]!;
    const size = readLeb(wasm, pos + 1);
    const end = size.next + size.value;
    if (end > wasm.length) throw new Error('section runs past the end of the module');
    if (id === 0) {
      const nameLen = readLeb(wasm, size.next);
      const nameEnd = nameLen.next + nameLen.value;
      if (nameEnd > end) throw new Error('custom section name runs past its section');
      if (decoder.decode(wasm.subarray(nameLen.next, nameEnd)) === SDK_STAMP_SECTION) out.push(decoder.decode(wasm.subarray(nameEnd, end)));
    }
    pos = end;
  }
  return out;
}

/**
 * A copy of `wasm` carrying `hash` in a `rampart.sdk` custom section (appended; custom
 * sections may sit anywhere). A module that already carries a stamp is returned unchanged:
 * the stamp records what it was built against, which is the integrator's to judge.
 */
export function stampModule(wasm: Uint8Array, hash: string): Uint8Array<ArrayBuffer> {
  if (readSdkStamps(wasm).length > 0) return new Uint8Array(wasm);
  const name = new TextEncoder().encode(SDK_STAMP_SECTION);
  const payload = [...leb(name.length), ...name, ...new TextEncoder().encode(hash)];
  const out = new Uint8Array(wasm.length + 1 + leb(payload.length).length + payload.length);
  out.set(wasm, 0);
  out.set([0, ...leb(payload.length), ...payload], wasm.length);
  return out;
}

/**
 * The integrator's check: the module was built against the SDK of this configuration.
 *
 * @returns undefined when it was, else one message naming both hashes and the fix.
 */
export function checkSdkStamp(taskName: string, wasm: Uint8Array, expected: string, sdkDir: string): string | undefined {
  let stamps: string[];
  try {
    stamps = readSdkStamps(wasm);
  } catch (error) {
    return `task '${taskName}': cannot read its module (${(error as Error).message})`;
  }
  const fix = `rebuild it against the SDK in ${sdkDir} (configuration ${shortHash(expected)})`;
  if (stamps.length === 0) return `task '${taskName}': the module carries no SDK stamp (custom section ${SDK_STAMP_SECTION}); ${fix}`;
  // wasm-ld concatenates same-named custom sections of its inputs: one hash per stamped object.
  const text = stamps.join('');
  if (!/^([0-9a-f]{64})+$/.test(text)) return `task '${taskName}': the module's SDK stamp is malformed (custom section ${SDK_STAMP_SECTION}); ${fix}`;
  const distinct = [...new Set(text.match(/[0-9a-f]{64}/g) ?? [])];
  if (distinct.length > 1) {
    return `task '${taskName}': the module links objects of several SDKs (${distinct.map(shortHash).join(', ')}); this kernel configuration and board are SDK ${shortHash(expected)}; ${fix}`;
  }
  if (distinct[0] !== expected) {
    return `task '${taskName}': built against SDK ${shortHash(distinct[0]!)}, but this kernel configuration and board are SDK ${shortHash(expected)}; ${fix}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// The kernel configuration for Rust and AssemblyScript.

/** `autoconf.rs`: every symbol as a Rust constant (bools as `bool`, n included), and the stamp. */
export function rustAutoconf(config: ResolvedConfig, hash: string): string {
  return rustConstants(config, [
    '// generated by rampart — do not edit.',
    `// The kernel configuration of this SDK (${SDK_FORMAT}, configuration ${hash}),`,
    '// the same constants as include/autoconf.h. Use it with',
    '//     include!(concat!(env!("RAMPART_SDK"), "/rust/autoconf.rs"));',
    '// or `#[path = ".../rust/autoconf.rs"] mod autoconf;`.',
    '',
    '/// The configuration hash this SDK was generated for (the modules\' `rampart.sdk` stamp).',
    `pub const RAMPART_SDK_CONFIG_HASH: &str = "${hash}";`,
    '',
    '/// The SDK stamp: on wasm32 a `link_section` static is a custom section, so a crate that',
    '/// includes this file carries the hash the integrator checks (docs/sdk.md).',
    '#[cfg(target_arch = "wasm32")]',
    `#[link_section = "${SDK_STAMP_SECTION}"]`,
    '#[used]',
    `static RAMPART_SDK_STAMP: [u8; ${hash.length}] = *b"${hash}";`,
    '',
  ]);
}

/** `rampart/autoconf.ts`: every symbol as an AssemblyScript constant. */
export function asAutoconf(config: ResolvedConfig, hash: string): string {
  return asConstants(config, [
    '// generated by rampart — do not edit.',
    `// The kernel configuration of this SDK (${SDK_FORMAT}, configuration ${hash}),`,
    '// the same constants as include/autoconf.h: import { CONFIG_SVC_EXCHANGE_AREA_LEN } from "rampart/autoconf".',
    '',
    '/** The configuration hash this SDK was generated for (the modules\' `rampart.sdk` stamp). */',
    `export const RAMPART_SDK_CONFIG_HASH: string = "${hash}";`,
  ]);
}

// ---------------------------------------------------------------------------------------
// C: pkg-config and meson.

/** Compile flags a user's C build needs (the target and its ABI choices; no -O or warnings). */
function userCFlags(): string[] {
  return COMPILE_FLAGS.filter((f) => !/^-(O|W)|^-fno-color-diagnostics$/.test(f));
}

/** Link flags a user's C build needs: the task memory layout (docs/task-abi.md). */
function userLdFlags(): string[] {
  return linkFlags(DEFAULT_STACK_SIZE, 0, false);
}

function pkgConfig(hash: string): string {
  return [
    '# generated by rampart — do not edit.',
    `# The Rampart UAPI for wasm32 tasks, SDK configuration ${hash}.`,
    '# Relocatable: every path is relative to this file.',
    'prefix=${pcfiledir}/../..',
    'includedir=${prefix}/include',
    'libdir=${prefix}/lib',
    '',
    'Name: rampart-uapi',
    `Description: Sentry-compatible UAPI and task runtime for Rampart wasm32 tasks (configuration ${shortHash(hash)})`,
    'Version: 0.4.1',
    `Cflags: ${userCFlags().join(' ')} -I\${includedir}`,
    // The runtime object first: it defines _start and carries the SDK stamp.
    `Libs: \${libdir}/crt0.o \${libdir}/libuapi.a ${userLdFlags().join(' ')}`,
    '',
  ].join('\n');
}

function mesonList(items: readonly string[]): string {
  return `[${items.map((i) => `'${i.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;
}

/**
 * The meson cross file. Its own link flags export `_start` only if defined, so that meson's
 * compiler sanity check (a bare `main`) links; the pkg-config `Libs` bring the runtime
 * object and the strict flags to the real link.
 */
function mesonCrossFile(hash: string, sdkDir: string): string {
  const ldflags = userLdFlags().map((f) => (f === '-Wl,--export=_start' ? '-Wl,--export-if-defined=_start' : f));
  return [
    '# generated by rampart — do not edit.',
    `# meson cross file for Rampart wasm32 tasks, SDK configuration ${hash}.`,
    '#   meson setup build --cross-file <sdk>/meson/wasm32-rampart.ini',
    "# and in meson.build: executable('app', 'main.c', name_suffix: 'wasm', dependencies: dependency('rampart-uapi')).",
    '# Needs clang >= 18 and wasm-ld >= 18 (e.g. Debian clang-19 + lld-19); if your clang is',
    '# named clang-19, add a second cross file with [binaries] c = \'clang-19\' and ar = \'llvm-ar-19\'.',
    '# The paths below are absolute: regenerate the SDK (rampart sdk) after moving it.',
    '',
    // An absolute path: meson before 1.3 (Debian 12 has 1.0) has no @DIRNAME@.
    '[constants]',
    `sdk = ${mesonList([sdkDir]).slice(1, -1)}`,
    '',
    '[binaries]',
    "c = 'clang'",
    "ar = 'llvm-ar'",
    "strip = 'llvm-strip'",
    "pkgconfig = 'pkg-config'",
    // clang runs an absolute -fuse-ld path as its linker: the wrapper below.
    `c_ld = ${mesonList([path.join(sdkDir, MESON_WASM_LD)])}`,
    '',
    '[host_machine]',
    "system = 'none'",
    "cpu_family = 'wasm32'",
    "cpu = 'wasm32'",
    "endian = 'little'",
    '',
    '[properties]',
    "pkg_config_libdir = sdk / 'lib' / 'pkgconfig'",
    'needs_exe_wrapper = true',
    '',
    '[built-in options]',
    `c_args = ${mesonList(userCFlags())}`,
    `c_link_args = ${mesonList(ldflags)}`,
    '',
  ].join('\n');
}

/** The linker wrapper of the meson cross file, relative to the SDK. */
const MESON_WASM_LD = 'meson/wasm-ld';

/**
 * meson before 1.4 takes wasm-ld for ELF `ld.lld` and adds options wasm-ld does not have
 * (`--no-undefined` or `--allow-shlib-undefined`, and `--start-group`/`--end-group` around
 * archives); no meson option turns both off. The cross file names this script as the
 * linker (clang's `-fuse-ld=/abs/path`): it drops those options and runs the newest
 * wasm-ld on PATH, or `RAMPART_WASM_LD`.
 */
function mesonLinkerWrapper(): string {
  return [
    '#!/bin/sh',
    '# generated by rampart — do not edit.',
    '# wasm-ld for meson: drops the ELF-only options meson adds, then runs the newest wasm-ld',
    '# found (RAMPART_WASM_LD overrides). Rampart tasks need wasm-ld >= 18 (--no-growable-memory).',
    'ld="${RAMPART_WASM_LD:-}"',
    'if [ -z "$ld" ]; then',
    '  for candidate in wasm-ld-24 wasm-ld-23 wasm-ld-22 wasm-ld-21 wasm-ld-20 wasm-ld-19 wasm-ld-18 wasm-ld; do',
    '    if command -v "$candidate" >/dev/null 2>&1; then ld="$candidate"; break; fi',
    '  done',
    'fi',
    'if [ -z "$ld" ]; then',
    '  echo "rampart: no wasm-ld found; install lld (18 or newer, e.g. apt-get install lld-19) or set RAMPART_WASM_LD" >&2',
    '  exit 127',
    'fi',
    'n=$#',
    'while [ "$n" -gt 0 ]; do',
    '  arg=$1; shift; n=$((n - 1))',
    '  case "$arg" in',
    '    --no-undefined|--allow-shlib-undefined|--start-group|--end-group|--as-needed|--no-as-needed) ;;',
    '    *) set -- "$@" "$arg" ;;',
    '  esac',
    'done',
    'exec "$ld" "$@"',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------
// C: compiling the library with the bundled clang.

interface FileTree {
  [name: string]: FileTree | string | Uint8Array;
}

interface YowaspCommands {
  clang: (args: string[], files: FileTree, options: Record<string, unknown>) => Promise<FileTree>;
  'wasm-ld': (args: string[], files: FileTree, options: Record<string, unknown>) => Promise<FileTree>;
  ar: (args: string[], files: FileTree, options: Record<string, unknown>) => Promise<FileTree>;
}

const requireHere = createRequire(import.meta.url);

function bundledClangVersion(): string {
  const entry = requireHere.resolve('@yowasp/clang');
  const pkg = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version?: string };
  return `bundled clang (@yowasp/clang ${pkg.version ?? 'unknown'})`;
}

function put(tree: FileTree, rel: string, content: string | Uint8Array): void {
  const parts = rel.split('/');
  let dir = tree;
  for (const part of parts.slice(0, -1)) {
    const next = dir[part];
    if (next === undefined || typeof next === 'string' || next instanceof Uint8Array) {
      const created: FileTree = {};
      dir[part] = created;
      dir = created;
    } else {
      dir = next;
    }
  }
  dir[parts[parts.length - 1]!] = content;
}

function get(tree: FileTree, rel: string): Uint8Array | undefined {
  let node: FileTree | string | Uint8Array | undefined = tree;
  for (const part of rel.split('/')) {
    if (node === undefined || typeof node === 'string' || node instanceof Uint8Array) return undefined;
    node = node[part];
  }
  return node instanceof Uint8Array ? node : typeof node === 'string' ? new TextEncoder().encode(node) : undefined;
}

/** Where compiled runtimes are kept between generations (keyed by every compile input). */
export const SDK_CACHE_DIR = path.join(os.tmpdir(), 'rampart-sdk-cache');

/**
 * Compile the freestanding runtime: `crt0.o` (the task entry, defines `_start`) and
 * `libuapi.a` (every other runtime source), unstamped. One compiler run for all sources;
 * the result is cached on disk by its inputs, so SDKs that differ only in configuration
 * values the C runtime does not see share it.
 */
async function compileCLibrary(headers: Record<string, string>, cacheDir: string | false): Promise<{ crt0: Uint8Array; lib: Uint8Array }> {
  const sources = (await fs.readdir(RUNTIME_SRC_DIR)).filter((f) => f.endsWith('.c') && (!isRuntimeObject(f) || f === FREESTANDING_RUNTIME)).sort();
  if (!sources.includes(FREESTANDING_RUNTIME)) throw new SdkError([`uapi-c/src/${FREESTANDING_RUNTIME} is missing; the SDK cannot be built without the task runtime`]);
  const flags = [...COMPILE_FLAGS, '-Iinclude', '-fmacro-prefix-map=src/=rampart/uapi-c/'];
  const key = sha256(canonicalJson({
    format: SDK_FORMAT, compiler: bundledClangVersion(), flags, headers,
    sources: sources.map((f) => [f, sha256(readFileSync(path.join(RUNTIME_SRC_DIR, f)))]),
  })).slice(0, 32);
  const cached = cacheDir === false ? undefined : path.join(cacheDir, key);
  if (cached !== undefined) {
    const hit = await Promise.all([fs.readFile(path.join(cached, 'crt0.o')), fs.readFile(path.join(cached, 'libuapi.a'))]).catch(() => undefined);
    if (hit !== undefined) return { crt0: new Uint8Array(hit[0]), lib: new Uint8Array(hit[1]) };
  }

  const { commands } = (await import('@yowasp/clang')) as unknown as { commands: YowaspCommands };
  let output = '';
  const decoder = new TextDecoder();
  const sink = (bytes: Uint8Array | null): void => { if (bytes !== null) output += decoder.decode(bytes, { stream: true }); };
  const options = { stdout: sink, stderr: sink, fetchProgress: () => undefined };
  // The clang driver's first internal step ignores fetchProgress; a first `--version` run
  // passes it through, so the ~100 MB resource fetch stays silent (as in build/c.ts).
  await commands.clang(['--version'], {}, options);
  let tree: FileTree = {};
  for (const [rel, text] of Object.entries(headers)) put(tree, `include/${rel}`, text);
  for (const f of sources) put(tree, `src/${f}`, new Uint8Array(await fs.readFile(path.join(RUNTIME_SRC_DIR, f))));
  const run = async (what: string, step: () => Promise<FileTree>): Promise<void> => {
    output = '';
    try {
      tree = await step();
    } catch (error) {
      throw new SdkError([`the bundled clang failed to ${what}: ${output.trim() || (error as Error).message}; this is an SDK bug, please report it`]);
    }
  };
  // Several inputs, no -o: each object lands at the tree root under its own name.
  await run('compile uapi-c/src', () => commands.clang([...flags, '-c', ...sources.map((f) => `src/${f}`)], tree, options));
  const objectOf = (f: string): string => f.replace(/\.c$/, '.o');
  const members = sources.filter((f) => f !== FREESTANDING_RUNTIME).map(objectOf);
  await run('archive libuapi.a', () => commands.ar(['rcsD', 'libuapi.a', ...members], tree, options));
  const crt0 = get(tree, objectOf(FREESTANDING_RUNTIME));
  const lib = get(tree, 'libuapi.a');
  if (crt0 === undefined || lib === undefined) throw new SdkError(['the bundled clang produced no crt0.o or libuapi.a; this is an SDK bug, please report it']);
  if (cached !== undefined) {
    // Aside, then renamed: a concurrent generation sees a whole entry or none.
    await fs.mkdir(cacheDir as string, { recursive: true });
    const tmp = await fs.mkdtemp(`${cached}.tmp-`);
    await fs.writeFile(path.join(tmp, 'crt0.o'), crt0);
    await fs.writeFile(path.join(tmp, 'libuapi.a'), lib);
    await fs.rename(tmp, cached).catch(() => fs.rm(tmp, { recursive: true, force: true }));
  }
  return { crt0, lib };
}

// ---------------------------------------------------------------------------------------
// The folder.

function hexLabel(label: number): string {
  return `0x${(label >>> 0).toString(16)}`;
}

/** The folder of a task inside an SDK (`tasks/0x1000`): what `RAMPART_TASK_SDK` names. */
export function sdkTaskDir(sdkDir: string, label: number): string {
  return path.join(sdkDir, 'tasks', hexLabel(label));
}

/** The include directory of a task's resource headers inside an SDK. */
export function sdkTaskIncludeDir(sdkDir: string, label: number): string {
  return path.join(sdkTaskDir(sdkDir, label), 'include');
}

async function readManifest(dir: string): Promise<SdkManifest | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, 'sdk.json'), 'utf8')) as SdkManifest;
  } catch {
    return undefined;
  }
}

async function writeTree(root: string, files: ReadonlyMap<string, string | Uint8Array>): Promise<void> {
  for (const [rel, content] of files) {
    const file = path.join(root, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }
}

/**
 * Generate the SDK of one kernel configuration and board into `out` (see docs/sdk.md).
 *
 * @throws SdkError listing every problem: of the fragments (file:line), of the board
 *   (file, node), of the output folder, or of a missing kconfiglib/dtc (with the fix).
 */
export async function generateSdk(options: GenerateSdkOptions): Promise<SdkResult> {
  const display = options.display ?? ((f: string) => f);
  const progress = options.progress ?? (() => undefined);
  const out = path.resolve(options.out);
  if (options.configFiles.length === 0) throw new SdkError(['no kernel configuration: give at least one Kconfig fragment (prj.conf)']);

  // Configuration.
  const fragments = [];
  for (const file of options.configFiles) {
    try {
      fragments.push({ file: display(file), text: await fs.readFile(file, 'utf8') });
    } catch (error) {
      throw new SdkError([`${display(file)}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; give an existing Kconfig fragment (prj.conf)`]);
    }
  }
  const header = `# generated by rampart (${SDK_FORMAT}) from ${fragments.map((f) => f.file).join(', ')} — do not edit.\n`;
  let resolved: ResolvedConfig;
  try {
    resolved = resolveKernelFragments(fragments, { outputs: ['config', 'autoconf'], header });
  } catch (error) {
    if (error instanceof ConfigError) throw new SdkError(error.problems);
    throw error;
  }
  const kernel = kernelConfigOf(resolved);

  // Board.
  let board: Board;
  try {
    board = options.board ?? await readBoard(options.boardFile, {
      includeDirs: [path.dirname(path.resolve(options.boardFile)), ...(options.includeDirs ?? [])],
      ...(options.onWarning !== undefined ? { onWarning: options.onWarning } : {}),
    });
  } catch (error) {
    if (error instanceof BoardError) throw new SdkError(error.problems.map((p) => p.split(options.boardFile).join(display(options.boardFile))));
    throw error;
  }
  const hash = sdkConfigHash(resolved, board);
  // Task fragments: per-task outputs only, never part of the configuration hash (a task's
  // own settings do not change what other modules are built against).
  let tasks;
  try {
    tasks = await resolveTaskFragments(options.taskConfigFiles ?? [], display, `# generated by rampart (${SDK_FORMAT}) from %s — do not edit.\n`);
  } catch (error) {
    if (error instanceof ConfigError) throw new SdkError(error.problems);
    throw error;
  }

  // Every text file, in memory; then the content key.
  const files = new Map<string, string | Uint8Array>();
  const autoconfH = `/* generated by rampart (${SDK_FORMAT}) — do not edit. Configuration ${hash}. */\n${(resolved.outputs.autoconf ?? '').replace(/^#.*\n/, '')}`
    + `#define RAMPART_SDK_CONFIG_HASH "${hash}"\n`;
  files.set('.config', resolved.outputs.config ?? '');
  for (const [name, text] of Object.entries(kconfigTreeFiles())) files.set(`kconfig/${name}`, text);
  // The exchange length and the §2.16 per-task limits reach C through uapi/platform.h.
  const headers = generateCHeaders({ exchangeAreaLen: kernel.exchangeAreaLen, ...uapiLimitsOf(resolved) });
  for (const [rel, text] of Object.entries(headers)) files.set(`include/${rel}`, text);
  files.set('include/autoconf.h', autoconfH);
  const owners = [...board.devices.map((d) => d.owner), ...board.shms.map((s) => s.owner), ...board.dmaStreams.map((d) => d.owner)];
  const labels = [...new Set([...owners.filter((o) => o !== 0), ...(options.taskLabels ?? []), ...tasks.keys()])].sort((a, b) => a - b);
  const taskIncludeDirs = new Map<number, string>();
  const taskDirs = new Map<number, string>();
  for (const label of labels) {
    const dir = `tasks/${hexLabel(label)}`;
    const base = `${dir}/include`;
    for (const [rel, text] of Object.entries(generateTaskResourceHeaders(board, label))) files.set(`${base}/${rel}`, text);
    // The same tables for Rust and AssemblyScript (toolchain/config/board-modules.ts).
    files.set(`${dir}/rust/resources.rs`, rustTaskResources(board, label));
    files.set(`${dir}/assemblyscript/rampart/resources.ts`, asTaskResources(board, label));
    const task = tasks.get(label);
    // The kernel's autoconf.h again, so `rampart build` (one extra include directory) sees it
    // too; with the task's own CONFIG_* after it when the SDK has its task.conf, as an
    // Outpost app's autoconf.h has both.
    files.set(`${base}/autoconf.h`, task === undefined ? autoconfH : `${autoconfH}\n/* The configuration of task ${hexLabel(label)}. */\n#include "task_autoconf.h"\n`);
    if (task !== undefined) {
      files.set(`${dir}/.config`, task.files.config);
      files.set(`${base}/task_autoconf.h`, task.files.c);
      files.set(`${dir}/rust/task_autoconf.rs`, task.files.rust);
      files.set(`${dir}/assemblyscript/rampart/task_autoconf.ts`, task.files.as);
    }
    taskIncludeDirs.set(label, sdkTaskIncludeDir(out, label));
    taskDirs.set(label, sdkTaskDir(out, label));
  }
  files.set('lib/pkgconfig/rampart-uapi.pc', pkgConfig(hash));
  files.set('meson/wasm32-rampart.ini', mesonCrossFile(hash, out));
  files.set(MESON_WASM_LD, mesonLinkerWrapper());
  files.set('rust/autoconf.rs', rustAutoconf(resolved, hash));
  for (const [rel, text] of Object.entries(generateAsSources({ exchangeAreaLen: kernel.exchangeAreaLen }))) files.set(`assemblyscript/${rel}`, text);
  files.set('assemblyscript/rampart/autoconf.ts', asAutoconf(resolved, hash));
  const rustSdk = await packageRustSdk({ exchangeAreaLen: kernel.exchangeAreaLen });
  const registryRel = `rust/registry/rampart-sdk-${rustSdk.hash.slice(0, 16)}`;
  files.set('.cargo/config.toml', [
    '# generated by rampart — do not edit.',
    `# Makes Cargo resolve sentry-uapi and shield from this SDK's local registry (configuration ${shortHash(hash)}).`,
    '# Copy these lines into your project\'s .cargo/config.toml.',
    cargoSourceReplacement(path.join(out, registryRel)),
  ].join('\n'));

  const runtimeSources = (await fs.readdir(RUNTIME_SRC_DIR)).filter((f) => f.endsWith('.c')).sort();
  const compiler = bundledClangVersion();
  const contentKey = sha256(canonicalJson({
    format: SDK_FORMAT, hash, compiler, rust: rustSdk.hash, out,
    files: [...files.entries()].map(([rel, content]) => [rel, sha256(content)]),
    runtime: runtimeSources.map((f) => [f, sha256(readFileSync(path.join(RUNTIME_SRC_DIR, f)))]),
    flags: [COMPILE_FLAGS, userLdFlags()],
  }));

  const existing = await readManifest(out);
  if (existing?.format === SDK_FORMAT && existing.contentKey === contentKey) {
    return { dir: out, hash, kernel, board, reused: true, taskIncludeDirs, taskDirs, limits: uapiLimitsOf(resolved) };
  }
  if (existing === undefined && existsSync(out) && options.ownsOut !== true) {
    const entries = await fs.readdir(out).catch(() => [] as string[]);
    if (entries.length > 0) throw new SdkError([`${display(options.out)}: exists and is not a Rampart SDK (no sdk.json); choose a new or empty folder for --out`]);
  }

  progress(`  SDK     ${display(options.out)} (configuration ${shortHash(hash)})`);
  const started = Date.now();
  const { crt0, lib } = await compileCLibrary(headers, options.cacheDir ?? SDK_CACHE_DIR);
  // The stamp rides on the runtime object every task links: wasm-ld keeps unknown custom
  // sections of its inputs, so each module built with this crt0.o carries the hash.
  files.set('lib/crt0.o', stampModule(crt0, hash));
  files.set('lib/libuapi.a', lib);
  const manifest: SdkManifest = {
    format: SDK_FORMAT,
    configHash: hash,
    contentKey,
    kernel,
    config: Object.fromEntries([...resolved.symbols.values()].map((s) => [s.name, s.value])),
    board: { model: board.model, sha256: sha256(canonicalJson(board)) },
    tasks: labels.map(hexLabel),
    taskConfigs: [...tasks.keys()].sort((a, b) => a - b).map(hexLabel),
    stampSection: SDK_STAMP_SECTION,
    c: { target: TARGET.replace(/^--target=/, ''), compiler, cflags: userCFlags(), ldflags: userLdFlags() },
    rust: { registry: registryRel, crates: rustSdk.crates.map((c) => `${c.name}-${c.version}`) },
    assemblyscript: { package: 'assemblyscript/rampart' },
    kconfiglib: resolved.kconfiglib,
  };
  files.set('sdk.json', `${JSON.stringify(manifest, null, 2)}\n`);

  // Aside, then renamed into place.
  await fs.mkdir(path.dirname(out), { recursive: true });
  const tmp = await fs.mkdtemp(`${out}.tmp-`);
  let old: string | undefined;
  try {
    await writeTree(tmp, files);
    await fs.chmod(path.join(tmp, MESON_WASM_LD), 0o755);
    await writeRustSdkRegistry(path.join(tmp, 'rust', 'registry'), rustSdk);
    if (existsSync(out)) {
      old = `${tmp}.old`;
      await fs.rename(out, old);
    }
    await fs.chmod(tmp, 0o755);
    await fs.rename(tmp, out);
  } catch (error) {
    // Put the previous SDK back if it was moved away.
    if (old !== undefined && !existsSync(out)) await fs.rename(old, out).catch(() => undefined);
    throw error;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
    if (old !== undefined) await fs.rm(old, { recursive: true, force: true });
  }
  progress(`  SDK     generated in ${Date.now() - started} ms`);
  return { dir: out, hash, kernel, board, reused: false, taskIncludeDirs, taskDirs, limits: uapiLimitsOf(resolved) };
}

// ---------------------------------------------------------------------------------------
// The command.

/** Usage of `rampart sdk`, for the CLI's help text. */
export const SDK_USAGE = `  rampart sdk --config FILE [--config FILE]... --board FILE [--task FILE]... --out DIR
                                         generate the SDK of a kernel configuration (prj.conf, later fragments
                                         override) and board: headers, libuapi.a, pkg-config, meson cross file,
                                         Cargo registry, AssemblyScript package, and per task (--task task.conf)
                                         its configuration constants (docs/sdk.md)`;

/**
 * `rampart sdk`: parse the arguments, generate, report. Returns the exit code: 0, 2 when
 * the inputs are refused (every problem printed), 64 on a usage error.
 */
export async function sdkCommand(argv: readonly string[], io: { readonly stdout: (s: string) => void; readonly stderr: (s: string) => void }): Promise<number> {
  const configs: string[] = [];
  const taskConfigs: string[] = [];
  const single = new Map<string, string>();
  const usage = (why: string): number => { io.stderr(`rampart: ${why}\nusage:\n${SDK_USAGE}\n`); return 64; };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.startsWith('--') ? (arg.split('=', 2) as [string, string | undefined]) : [arg, undefined];
    if (name !== '--config' && name !== '--board' && name !== '--out' && name !== '--task') return usage(arg.startsWith('--') ? `unknown option ${name}` : `sdk takes no positional argument ('${arg}')`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') return usage(`${name} needs a value`);
    if (name === '--config') configs.push(value);
    else if (name === '--task') taskConfigs.push(value);
    else if (single.has(name)) return usage(`${name} given twice`);
    else single.set(name, value);
  }
  const board = single.get('--board');
  const out = single.get('--out');
  if (configs.length === 0 || board === undefined || out === undefined) return usage('sdk needs --config FILE, --board FILE and --out DIR');
  const started = Date.now();
  try {
    const result = await generateSdk({
      configFiles: configs, boardFile: board, out, taskConfigFiles: taskConfigs,
      progress: (line) => io.stderr(`${line}\n`),
      onWarning: (w) => io.stderr(`  warning: ${w}\n`),
    });
    io.stderr(`rampart: SDK ${result.reused ? 'up to date' : 'written'}: ${out} (configuration ${shortHash(result.hash)}, ${Date.now() - started} ms)\n`);
    io.stdout(`${result.dir}\n`);
    return 0;
  } catch (error) {
    if (error instanceof SdkError) { io.stderr(`rampart: sdk refused:\n${error.message}\n`); return 2; }
    throw error;
  }
}
