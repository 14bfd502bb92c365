/**
 * The C build backend: one app directory in, one task module (.wasm) out.
 *
 * Owns the compiler and linker command lines of a C task, the choice of toolchain (a system
 * `clang` when it can target wasm32 and link with `wasm-ld`, else the bundled
 * `@yowasp/clang`), the translation of compiler diagnostics back to real file paths, and
 * a content-hash cache of finished modules.
 *
 * Two flavours. Freestanding (the default): `--target=wasm32-unknown-unknown`, `-nostdlib`,
 * the UAPI and `uapi-c/src/crt0.c` only. Hosted (`libc: true`, CONFIG_TASK_LIBC=y):
 * `--target=wasm32-wasip1` against the wasi-libc sysroot bundled with @yowasp/clang
 * (`/usr/include/wasm32-wasip1`, `/usr/lib/wasm32-wasip1/libc.a` inside its file system),
 * linked with `-nostartfiles` so that `uapi-c/src/crt0-hosted.c` provides Rampart's
 * `_start(label, seed)` instead of wasi-libc's crt1. The hosted module imports from
 * `wasi_snapshot_preview1` too; the kernel serves those from the task's capabilities
 * (kernel/syscalls/gate-wasi.ts). Hosted builds always use the bundled compiler: its
 * sysroot is the one this kernel serves, and a system clang rarely has one.
 *
 * How a build runs: the generated UAPI headers (toolchain/sdk/c-headers.ts), the runtime
 * (`uapi-c/src/*.c`) and the app's `src/` and `include/` are laid out in one small tree
 * with fixed virtual roots (`__app/`, `__rt/`, `__sdk/`, ...). Every source is compiled on
 * its own to `__obj/...`, then everything is linked with `wasm-ld`. The same tree and the
 * same relative command lines serve both toolchains (in memory for @yowasp/clang, in a
 * temporary directory for a system clang), so diagnostics come back in one shape and one
 * rewrite maps them to the paths the user knows.
 *
 * Invariants:
 * - The module follows docs/task-abi.md: memory defined and exported as `memory`, initial
 *   equal to maximum, `_start` and `__svcexchange` exported, imports only from `rampart`
 *   (and, hosted, wasi-libc's `wasi_snapshot_preview1`), stack first. The link never allows
 *   undefined symbols: anything but an explicit import is a link error carrying the
 *   linker's own message.
 * - Unused syscall wrappers are garbage-collected with their imports (see uapi-c/src/uapi.c);
 *   this is what keeps an app's imports equal to the syscalls it calls.
 * - A cache hit is only possible when every input byte, every flag and the toolchain
 *   identity are the same.
 */

import { execFile } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { generateCHeaders } from '../sdk/c-headers.js';
import { displayPath, readCache, replaceCacheEntry, sha256, writeCache, type AppBuildResult } from './build-files.js';

/** Options of one C app build. */
export interface CBuildOptions {
  /** The app directory: sources in `src/` (compiled: every `*.c`, recursively), headers in `include/`. */
  readonly appDir: string;
  /** Task name, used for the cache entry and `__FILE__` prefixes. */
  readonly appName: string;
  /**
   * Optional directory of additional SDK headers: the task's folder of the SDK
   * (`tasks/<label>/include`: `devices-dt.h`, ..., and an `autoconf.h` with the task's
   * `CONFIG_*` after the kernel's), first on the include path, so its `autoconf.h` is the
   * one `#include <autoconf.h>` finds; then the UAPI headers, then the app's own `include/`.
   */
  readonly sdkIncludeDir?: string;
  /**
   * The SDK folder (toolchain/sdk/sdk.ts): its `include/` is the UAPI header tree, instead
   * of headers generated from `exchangeAreaLen` alone, so the app sees every configured
   * value (`uapi/platform.h`'s per-task limits) and the kernel's `autoconf.h`.
   */
  readonly sdkDir?: string;
  /** `CONFIG_SVC_EXCHANGE_AREA_LEN` (64..1024). */
  readonly exchangeAreaLen: number;
  /** Stack bytes, a multiple of 16. The stack sits at the bottom of memory (`--stack-first`). */
  readonly stackSize: number;
  /** Heap bytes after the data; rounded up to whole 64 KiB pages (wasm-ld's `--initial-heap` unit). */
  readonly heapSize: number;
  /** Extra `-D` macros for the app's sources (not the runtime's). */
  readonly extraDefines?: Readonly<Record<string, string>>;
  /** Extra compiler flags for the app's sources (e.g. `-Werror`, `-std=c11`), after the defaults. */
  readonly extraCFlags?: readonly string[];
  /** Cache directory; default `<appDir>/../../build/.cache` (a project's `build/.cache` for `<project>/apps/<app>`); `false` disables the cache. */
  readonly cacheDir?: string | false;
  /** Toolchain choice; default `auto` (system clang when usable, else the bundled one; hosted: bundled). */
  readonly toolchain?: 'auto' | 'system' | 'bundled';
  /**
   * Hosted C (CONFIG_TASK_LIBC=y): standard C from wasi-libc, the UAPI still available.
   * Default false: freestanding, `-nostdlib`.
   */
  readonly libc?: boolean;
}

/** A built task module (the shape every backend returns). */
export type CBuildResult = AppBuildResult;

/**
 * A build that failed for a reason the user must fix: a compile or link error, a bad
 * option, or a missing source. `message` carries the compiler's own diagnostics with real
 * paths (`apps/demo/ping/src/main.c:12:5: error: ...`).
 */
export class BuildError extends Error {
  override readonly name = 'BuildError';

  constructor(
    message: string,
    /** The app being built. */
    readonly appName: string,
    /** Raw (path-rewritten) compiler/linker output, without the summary line. */
    readonly diagnostics: string = '',
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------
// Fixed parts of the command lines.

/** The one target: wasm32 with no OS and no libc. */
export const TARGET = '--target=wasm32-unknown-unknown';

/**
 * Compile flags shared by every source.
 * - `-ffreestanding`: no hosted library; the runtime supplies `_start` and the mem* functions.
 * - `-mbulk-memory`: explicit (it is the default of recent clangs only) because the
 *   runtime's memcpy/memset are memory.copy/memory.fill and would recurse without it.
 * - `-ffunction-sections -fdata-sections`: one section per symbol, so `--gc-sections`
 *   drops unused wrappers and their imports. wasm objects already give every function its
 *   own unit, so this is belt and braces, but it states the intent.
 * - `-fstack-protector-strong`: the canary the runtime seeds from `_start`'s seed argument.
 *   The stack overflowing its region is already a trap (`--stack-first`); this catches
 *   overruns *within* the stack.
 * - `-fno-color-diagnostics`: diagnostics are parsed and rewritten, never shown raw.
 */
export const COMPILE_FLAGS: readonly string[] = [
  TARGET, '-O2', '-ffreestanding', '-Wall', '-mbulk-memory',
  '-ffunction-sections', '-fdata-sections', '-fstack-protector-strong', '-fno-color-diagnostics',
];

/** The hosted target: the driver then uses the bundled wasi-libc sysroot (headers and libc.a). */
const TARGET_HOSTED = '--target=wasm32-wasip1';

/** Hosted compile flags: the freestanding ones for the hosted target, without `-ffreestanding`. */
const HOSTED_COMPILE_FLAGS: readonly string[] = [
  TARGET_HOSTED, ...COMPILE_FLAGS.filter((f) => f !== TARGET && f !== '-ffreestanding'),
];

/** Runtime sources of one flavour only (each defines `_start`). */
const FREESTANDING_ONLY_RUNTIME = 'crt0.c';
const HOSTED_ONLY_RUNTIME = 'crt0-hosted.c';

const WASM_PAGE = 65536;

/**
 * Link flags for one configuration (through the clang driver, hence `-Wl,`). Hosted links
 * keep the driver's `-lc` and compiler-rt but drop wasi-libc's crt1 (`-nostartfiles`): the
 * runtime's `_start(label, seed)` replaces it.
 */
export function linkFlags(stackSize: number, heapSize: number, libc: boolean): string[] {
  const heapPages = Math.ceil(heapSize / WASM_PAGE);
  return [
    ...(libc ? [TARGET_HOSTED, '-nostartfiles'] : [TARGET, '-nostdlib']),
    '-Wl,--no-entry',
    '-Wl,--export=_start',
    '-Wl,--export=__svcexchange',
    '-Wl,--stack-first',
    `-Wl,-z,stack-size=${stackSize}`,
    // The linker knows where the data ends; ask it for `heap` bytes after that and make the
    // maximum equal to the initial size (memory is static, docs/task-abi.md). Initial
    // memory = page-rounded (stack + data) + page-rounded heap, computed by wasm-ld.
    ...(heapPages > 0 ? [`-Wl,--initial-heap=${heapPages * WASM_PAGE}`] : []),
    '-Wl,--no-growable-memory',
    '-Wl,--gc-sections',
    // A signature mismatch (say `void main(void)`) is only a warning to wasm-ld, which then
    // links a stub that traps at run time. Make every linker warning an error instead.
    '-Wl,--fatal-warnings',
  ];
}

/** Bump when the layout of the tree or the cache entries changes. */
const CACHE_FORMAT = 'rampart-c-build/1';

// ---------------------------------------------------------------------------------------
// The virtual tree.

/** In-memory file tree, the shape @yowasp/clang consumes. */
interface FileTree {
  [name: string]: FileTree | string | Uint8Array;
}

/** Virtual roots. Chosen so that they cannot be mistaken for anything in a diagnostic. */
const ROOT_APP = '__app';
const ROOT_RUNTIME = '__rt';
const ROOT_SDK = '__sdk';
const ROOT_SDK_EXTRA = '__sdkx';
const ROOT_OBJ = '__obj';
const ROOT_OUT = '__out';

function putFile(tree: FileTree, rel: string, content: string | Uint8Array): void {
  const parts = rel.split('/');
  let dir = tree;
  for (const part of parts.slice(0, -1)) {
    const next = dir[part];
    if (next === undefined) {
      const created: FileTree = {};
      dir[part] = created;
      dir = created;
    } else if (typeof next === 'string' || next instanceof Uint8Array) {
      throw new Error(`virtual tree: ${rel} crosses a file`);
    } else {
      dir = next;
    }
  }
  dir[parts[parts.length - 1] ?? ''] = content;
}

function ensureDir(tree: FileTree, rel: string): void {
  let dir = tree;
  for (const part of rel.split('/')) {
    const next = dir[part];
    if (next === undefined) {
      const created: FileTree = {};
      dir[part] = created;
      dir = created;
    } else if (typeof next !== 'string' && !(next instanceof Uint8Array)) {
      dir = next;
    }
  }
}

function getFile(tree: FileTree, rel: string): Uint8Array | undefined {
  let node: FileTree | string | Uint8Array | undefined = tree;
  for (const part of rel.split('/')) {
    if (node === undefined || typeof node === 'string' || node instanceof Uint8Array) return undefined;
    node = node[part];
  }
  if (typeof node === 'string') return new TextEncoder().encode(node);
  return node instanceof Uint8Array ? node : undefined;
}

/** Every file of the tree as (path, content), sorted by path. */
function listFiles(tree: FileTree, prefix = ''): [string, string | Uint8Array][] {
  const out: [string, string | Uint8Array][] = [];
  for (const name of Object.keys(tree).sort()) {
    const node = tree[name];
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    if (node === undefined) continue;
    if (typeof node === 'string' || node instanceof Uint8Array) out.push([rel, node]);
    else out.push(...listFiles(node, rel));
  }
  return out;
}

/** Read a directory recursively into (relative path, bytes); hidden entries are skipped. */
async function readDirectory(dir: string): Promise<[string, Uint8Array][]> {
  const out: [string, Uint8Array][] = [];
  const walk = async (abs: string, rel: string): Promise<void> => {
    const entries = await fs.readdir(abs, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const childAbs = path.join(abs, entry.name);
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) await walk(childAbs, childRel);
      else if (entry.isFile()) out.push([childRel, new Uint8Array(await fs.readFile(childAbs))]);
    }
  };
  await walk(dir, '');
  return out;
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// Toolchains.

/** Outcome of one tool run inside a workspace. */
interface RunOutcome {
  readonly ok: boolean;
  /** stdout + stderr, as the tool printed them (virtual paths). */
  readonly output: string;
}

/** A tree the compiler runs in: in memory (bundled) or a temporary directory (system). */
interface Workspace {
  /** Run the clang driver with `args` (paths relative to the tree root). */
  clang(args: readonly string[]): Promise<RunOutcome>;
  read(rel: string): Promise<Uint8Array | undefined>;
  /** Add a file (e.g. a cached object) to the tree. */
  write(rel: string, content: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

interface Toolchain {
  /** Human-readable identity, also part of the cache key. */
  readonly description: string;
  open(tree: FileTree, outputDirs: readonly string[]): Promise<Workspace>;
}

/** Minimal view of the bundled compiler's module (its `.d.ts` omits `runClang`). */
interface YowaspClang {
  commands: { clang: (args?: string[], files?: FileTree, options?: Record<string, unknown>) => Promise<FileTree> | FileTree | undefined };
  Exit: new (...args: never[]) => Error & { code: number };
}

const requireHere = createRequire(import.meta.url);

function bundledPackageVersion(): string {
  const entry = requireHere.resolve('@yowasp/clang');
  const pkgPath = path.join(path.dirname(entry), '..', 'package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

let bundledLoad: Promise<{ mod: YowaspClang; clangVersion: string }> | undefined;

/**
 * Load @yowasp/clang once per process. The first run unpacks ~100 MB of resources and, left
 * alone, prints progress lines to the console; running `--version` first with a silent
 * progress callback absorbs that and yields the version string.
 */
function loadBundled(): Promise<{ mod: YowaspClang; clangVersion: string }> {
  bundledLoad ??= (async () => {
    const mod = (await import('@yowasp/clang')) as unknown as YowaspClang;
    let text = '';
    const decoder = new TextDecoder();
    await mod.commands.clang(['--version'], {}, {
      fetchProgress: () => undefined,
      stdout: (bytes: Uint8Array | null) => { if (bytes !== null) text += decoder.decode(bytes, { stream: true }); },
      stderr: () => undefined,
    });
    const match = /clang version (\S+)/.exec(text);
    return { mod, clangVersion: match?.[1] ?? 'unknown' };
  })();
  return bundledLoad;
}

class BundledWorkspace implements Workspace {
  constructor(private tree: FileTree, private readonly mod: YowaspClang) {}

  async clang(args: readonly string[]): Promise<RunOutcome> {
    let output = '';
    const decoder = new TextDecoder();
    const sink = (bytes: Uint8Array | null): void => {
      if (bytes !== null) output += decoder.decode(bytes, { stream: true });
    };
    try {
      const result = await this.mod.commands.clang([...args], this.tree, {
        stdout: sink, stderr: sink, decodeASCII: false, fetchProgress: () => undefined,
      });
      if (result !== undefined) this.tree = result;
      return { ok: true, output };
    } catch (err) {
      if (err instanceof this.mod.Exit) return { ok: false, output };
      throw err;
    }
  }

  async read(rel: string): Promise<Uint8Array | undefined> {
    return getFile(this.tree, rel);
  }

  async write(rel: string, content: Uint8Array): Promise<void> {
    putFile(this.tree, rel, content);
  }

  async close(): Promise<void> {}
}

function bundledToolchain(): Toolchain {
  // The identity comes from package.json so that a cache hit never loads the compiler.
  const version = bundledPackageVersion();
  return {
    description: `bundled clang (@yowasp/clang ${version})`,
    async open(tree, outputDirs) {
      const { mod } = await loadBundled();
      for (const dir of outputDirs) ensureDir(tree, dir);
      return new BundledWorkspace(tree, mod);
    },
  };
}

function run(file: string, args: readonly string[], cwd?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, [...args], { cwd, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

class SystemWorkspace implements Workspace {
  constructor(private readonly root: string, private readonly clangPath: string) {}

  async clang(args: readonly string[]): Promise<RunOutcome> {
    const result = await run(this.clangPath, args, this.root);
    return { ok: result.code === 0, output: result.output };
  }

  async read(rel: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await fs.readFile(path.join(this.root, rel)));
    } catch {
      return undefined;
    }
  }

  async write(rel: string, content: Uint8Array): Promise<void> {
    await fs.mkdir(path.dirname(path.join(this.root, rel)), { recursive: true });
    await fs.writeFile(path.join(this.root, rel), content);
  }

  async close(): Promise<void> {
    await fs.rm(this.root, { recursive: true, force: true });
  }
}

/** Oldest clang with `wasm-ld --no-growable-memory` (LLVM 18). */
const SYSTEM_CLANG_MIN_MAJOR = 18;

let systemProbe: Promise<Toolchain | string> | undefined;

/**
 * The commands tried as the system clang, in order: `RAMPART_CLANG` when set, else `clang`
 * and then the versioned names Debian and Ubuntu install beside an older default
 * (`clang-24` ... `clang-18`).
 */
function systemClangCandidates(): string[] {
  const override = process.env.RAMPART_CLANG;
  if (override !== undefined && override !== '') return [override];
  const versioned: string[] = [];
  for (let v = 24; v >= SYSTEM_CLANG_MIN_MAJOR; v--) versioned.push(`clang-${v}`);
  return ['clang', ...versioned];
}

/** Probe one clang command: the toolchain, or the reason it is not usable. */
async function probeClang(command: string): Promise<Toolchain | string> {
  const version = await run(command, ['--version']);
  if (version.code !== 0) return `no \`${command}\` on PATH`;
  const match = /clang version (\d+)(\S*)/.exec(version.output);
  if (match === null) return `unrecognised \`${command} --version\` output`;
  if (Number(match[1]) < SYSTEM_CLANG_MIN_MAJOR) return `${command} is clang ${match[1]}, older than ${SYSTEM_CLANG_MIN_MAJOR}`;
  const targets = await run(command, ['--print-targets']);
  if (!/\bwasm32\b/.test(targets.output)) return `${command} has no wasm32 backend`;
  const ld = await run(command, [TARGET, '-print-prog-name=wasm-ld']);
  const ldPath = ld.output.trim();
  if (ld.code !== 0 || ldPath === '' || (path.isAbsolute(ldPath) && !existsSync(ldPath))) return `${command} finds no wasm-ld`;
  if ((await run(ldPath, ['--version'])).code !== 0) return `${ldPath} (the wasm-ld of ${command}) does not run`;
  const description = `system clang ${match[1]}${match[2]}`;
  return {
    description,
    async open(tree, outputDirs) {
      const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-cc-'));
      for (const [rel, content] of listFiles(tree)) {
        await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
        await fs.writeFile(path.join(root, rel), content);
      }
      for (const dir of outputDirs) await fs.mkdir(path.join(root, dir), { recursive: true });
      return new SystemWorkspace(root, command);
    },
  };
}

/**
 * The first usable system clang (version >= 18, a wasm32 backend, a wasm-ld it can find)
 * among {@link systemClangCandidates}; otherwise the reasons, one per candidate that exists.
 */
function probeSystemClang(): Promise<Toolchain | string> {
  systemProbe ??= (async () => {
    const reasons: string[] = [];
    const candidates = systemClangCandidates();
    for (const command of candidates) {
      const probed = await probeClang(command);
      if (typeof probed !== 'string') return probed;
      // Absent versioned names are the normal case; a clang named by RAMPART_CLANG is not.
      if (!probed.startsWith('no `') || candidates.length === 1) reasons.push(probed);
    }
    return reasons.length > 0 ? reasons.join('; ') : 'no clang (clang, clang-18 ... clang-24) on PATH';
  })();
  return systemProbe;
}

async function selectToolchain(choice: CBuildOptions['toolchain'], appName: string, libc: boolean): Promise<Toolchain> {
  if (libc) {
    if (choice === 'system') throw new BuildError(`${appName}: hosted C (CONFIG_TASK_LIBC=y) is built with the bundled clang and its wasi-libc sysroot; the system clang cannot be requested`, appName);
    return bundledToolchain();
  }
  if (choice === 'bundled') return bundledToolchain();
  const system = await probeSystemClang();
  if (typeof system !== 'string') return system;
  if (choice === 'system') throw new BuildError(`${appName}: system clang requested but unusable: ${system}`, appName);
  // A clang named on purpose is never silently replaced by the bundled one.
  const named = process.env.RAMPART_CLANG;
  if (named !== undefined && named !== '') throw new BuildError(`${appName}: RAMPART_CLANG=${named} is not a usable clang (${system}); fix or unset it`, appName);
  return bundledToolchain();
}

// ---------------------------------------------------------------------------------------
// Diagnostics.

/** Rewrites virtual tree paths in tool output to the paths the user knows. */
function makeRewriter(map: readonly (readonly [string, string])[]): (text: string) => string {
  // Longest prefix first; a prefix only matches at the start of a path token.
  const sorted = [...map].sort((a, b) => b[0].length - a[0].length);
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(?<![\\w./-])(${sorted.map(([from]) => escape(from)).join('|')})`, 'g');
  const table = new Map(sorted);
  return (text) => text.replace(pattern, (m) => table.get(m) ?? m);
}

/**
 * clang gives `int main(void)` the wasm symbol `__original_main` (and `main(int, char **)`
 * the symbol `__main_argc_argv`), so a task whose main has another signature fails to link
 * with a message naming a symbol the user never wrote. Say what is actually wrong.
 */
function mainSignatureHint(linkOutput: string): string {
  return /undefined symbol: (__original_main|__main_void|main)\b/.test(linkOutput)
    ? '\nnote: the C runtime calls `int main(void)`; define main with exactly that signature'
    : '';
}

// ---------------------------------------------------------------------------------------
// Cache.

function hashTree(tree: FileTree): string {
  const parts: (string | Uint8Array)[] = [];
  for (const [rel, content] of listFiles(tree)) parts.push(rel, content);
  return sha256(...parts);
}

/** Runtime objects compiled in this process, by content key (they are shared by every app). */
const runtimeObjects = new Map<string, Uint8Array>();

// ---------------------------------------------------------------------------------------
// The build.

const RUNTIME_SRC_DIR = fileURLToPath(new URL('../../uapi-c/src/', import.meta.url));

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkOptions(opts: CBuildOptions): void {
  const fail = (why: string): never => {
    throw new BuildError(`${opts.appName}: ${why}`, opts.appName);
  };
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(opts.appName)) fail(`invalid app name '${opts.appName}'`);
  if (!Number.isInteger(opts.stackSize) || opts.stackSize < 1024 || opts.stackSize % 16 !== 0) {
    fail(`stackSize must be a multiple of 16, at least 1024, got ${opts.stackSize}`);
  }
  if (!Number.isInteger(opts.heapSize) || opts.heapSize < 0) fail(`heapSize must be a non-negative integer, got ${opts.heapSize}`);
  for (const [name, value] of Object.entries(opts.extraDefines ?? {})) {
    if (!IDENTIFIER.test(name)) fail(`extraDefines: '${name}' is not a C identifier`);
    if (/[\r\n]/.test(value)) fail(`extraDefines: value of ${name} contains a line break`);
  }
  for (const flag of opts.extraCFlags ?? []) {
    // Flags that change what the compiler produces or where would break the build plan.
    if (!flag.startsWith('-') || /^-(o|c|E|S|M|MM|MD|MMD|###)$/.test(flag) || flag.startsWith('--target')) {
      fail(`extraCFlags: '${flag}' is not allowed`);
    }
  }
}

/**
 * Build one C app into a task module.
 *
 * Compiles every `*.c` under `<appDir>/src` and the runtime (`uapi-c/src/*.c`, each flavour
 * with its own `crt0`) against the UAPI headers generated for `exchangeAreaLen`, and links
 * them per docs/task-abi.md; with `libc`, against wasi-libc too (hosted C).
 *
 * @throws BuildError on a compile or link error (message = the tool's diagnostics with real
 *   paths), on invalid options, or when the app has no sources.
 */
export async function buildCApp(opts: CBuildOptions): Promise<CBuildResult> {
  checkOptions(opts);
  const appDir = path.resolve(opts.appDir);
  const srcDir = path.join(appDir, 'src');
  if (!(await isDirectory(srcDir))) throw new BuildError(`${opts.appName}: no source directory ${displayPath(srcDir)}`, opts.appName);

  // Lay out the inputs. The app tree and the runtime tree are kept apart so each can be
  // hashed on its own: runtime objects do not depend on the app's files.
  const sdkTree: FileTree = {};
  if (opts.sdkDir !== undefined) {
    const include = path.join(path.resolve(opts.sdkDir), 'include');
    if (!(await isDirectory(include))) throw new BuildError(`${opts.appName}: the SDK has no ${displayPath(include)}; generate the SDK again`, opts.appName);
    for (const [rel, bytes] of await readDirectory(include)) putFile(sdkTree, `${ROOT_SDK}/include/${rel}`, bytes);
  } else {
    let headers: Record<string, string>;
    try {
      headers = generateCHeaders({ exchangeAreaLen: opts.exchangeAreaLen });
    } catch (err) {
      throw new BuildError(`${opts.appName}: ${(err as Error).message}`, opts.appName);
    }
    for (const [rel, text] of Object.entries(headers)) putFile(sdkTree, `${ROOT_SDK}/include/${rel}`, text);
  }
  if (opts.sdkIncludeDir !== undefined) {
    const extra = path.resolve(opts.sdkIncludeDir);
    if (!(await isDirectory(extra))) throw new BuildError(`${opts.appName}: sdkIncludeDir ${displayPath(extra)} is not a directory`, opts.appName);
    for (const [rel, bytes] of await readDirectory(extra)) putFile(sdkTree, `${ROOT_SDK_EXTRA}/${rel}`, bytes);
  }
  const libc = opts.libc === true;
  const otherFlavourRuntime = libc ? FREESTANDING_ONLY_RUNTIME : HOSTED_ONLY_RUNTIME;
  const runtimeTree: FileTree = {};
  const runtimeSources: string[] = [];
  for (const [rel, bytes] of await readDirectory(RUNTIME_SRC_DIR)) {
    if (rel === otherFlavourRuntime) continue;
    putFile(runtimeTree, `${ROOT_RUNTIME}/src/${rel}`, bytes);
    if (rel.endsWith('.c')) runtimeSources.push(`${ROOT_RUNTIME}/src/${rel}`);
  }
  const appTree: FileTree = {};
  const appSources: string[] = [];
  for (const [rel, bytes] of await readDirectory(srcDir)) {
    putFile(appTree, `${ROOT_APP}/src/${rel}`, bytes);
    if (rel.endsWith('.c')) appSources.push(`${ROOT_APP}/src/${rel}`);
  }
  const includeDir = path.join(appDir, 'include');
  const hasInclude = await isDirectory(includeDir);
  if (hasInclude) for (const [rel, bytes] of await readDirectory(includeDir)) putFile(appTree, `${ROOT_APP}/include/${rel}`, bytes);
  if (appSources.length === 0) throw new BuildError(`${opts.appName}: no C sources in ${displayPath(srcDir)}`, opts.appName);

  // Command lines. Include order: the SDK's headers (the task's, then the UAPI) first, so an
  // app that vendors its own copy of uapi/*.h cannot shadow the headers that match this
  // kernel's ABI; the task's folder before the UAPI tree, so <autoconf.h> is the task's
  // (the kernel's CONFIG_* and its own).
  const sdkIncludes = [...(opts.sdkIncludeDir !== undefined ? [`-I${ROOT_SDK_EXTRA}`] : []), `-I${ROOT_SDK}/include`];
  const compileFlags = libc ? HOSTED_COMPILE_FLAGS : COMPILE_FLAGS;
  const runtimeFlags = [...compileFlags, ...sdkIncludes, `-fmacro-prefix-map=${ROOT_RUNTIME}/=rampart/uapi-c/`];
  const appFlags = [
    ...compileFlags, ...sdkIncludes, ...(hasInclude ? [`-I${ROOT_APP}/include`] : []),
    // __FILE__ names the app, not the machine it was built on: reproducible across checkouts.
    `-fmacro-prefix-map=${ROOT_APP}/=${opts.appName}/`,
    ...Object.entries(opts.extraDefines ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `-D${k}=${v}`),
    ...(opts.extraCFlags ?? []),
  ];
  const objectOf = (src: string): string => `${ROOT_OBJ}/${src.slice(2)}.o`;
  const output = `${ROOT_OUT}/${opts.appName}.wasm`;
  const ldFlags = linkFlags(opts.stackSize, opts.heapSize, libc);

  const rewrite = makeRewriter([
    [`${ROOT_OBJ}/app/`, `${displayPath(appDir)}/`],
    [`${ROOT_OBJ}/rt/src/`, `${displayPath(RUNTIME_SRC_DIR)}/`],
    [`${ROOT_APP}/`, `${displayPath(appDir)}/`],
    [`${ROOT_RUNTIME}/src/`, `${displayPath(RUNTIME_SRC_DIR)}/`],
    [`${ROOT_SDK}/include/`, opts.sdkDir !== undefined ? `${displayPath(path.join(path.resolve(opts.sdkDir), 'include'))}/` : '<generated SDK headers>/'],
    ...(opts.sdkIncludeDir !== undefined ? [[`${ROOT_SDK_EXTRA}/`, `${displayPath(path.resolve(opts.sdkIncludeDir))}/`] as const] : []),
    [`${ROOT_OUT}/`, ''],
  ]);

  const toolchain = await selectToolchain(opts.toolchain, opts.appName, libc);
  const sdkHash = hashTree(sdkTree);
  const runtimeKey = sha256(CACHE_FORMAT, toolchain.description, runtimeFlags.join('\0'), sdkHash, hashTree(runtimeTree));
  const appKey = sha256(CACHE_FORMAT, toolchain.description, runtimeKey, appFlags.join('\0'), ldFlags.join('\0'), opts.appName, hashTree(appTree));

  const cacheDir = opts.cacheDir === false ? undefined : path.resolve(opts.cacheDir ?? path.join(appDir, '..', '..', 'build', '.cache'));
  const cacheBase = cacheDir === undefined ? undefined : path.join(cacheDir, `${opts.appName}-${appKey.slice(0, 24)}`);
  if (cacheBase !== undefined) {
    const wasm = await readCache(`${cacheBase}.wasm`);
    const meta = await readCache(`${cacheBase}.json`);
    if (wasm !== undefined && meta !== undefined) {
      const { diagnostics } = JSON.parse(new TextDecoder().decode(meta)) as { diagnostics: string };
      return { wasm, toolchain: toolchain.description, cached: true, diagnostics };
    }
  }

  const tree: FileTree = { ...sdkTree, ...runtimeTree, ...appTree };
  const outputDirs = [ROOT_OUT, ...[...runtimeSources, ...appSources].map((src) => path.posix.dirname(objectOf(src)))];
  const ws = await toolchain.open(tree, outputDirs);
  try {
    const logs: string[] = [];
    let failed = false;

    // Runtime objects: from this process, the disk cache, or the compiler, in that order.
    for (const src of runtimeSources) {
      const obj = objectOf(src);
      const key = sha256(runtimeKey, src);
      const diskFile = cacheDir === undefined ? undefined : path.join(cacheDir, 'runtime', `${path.posix.basename(src)}-${key.slice(0, 24)}.o`);
      let bytes = runtimeObjects.get(key) ?? (diskFile !== undefined ? await readCache(diskFile) : undefined);
      if (bytes === undefined) {
        const result = await ws.clang([...runtimeFlags, '-c', src, '-o', obj]);
        if (result.output !== '') logs.push(result.output);
        if (!result.ok) { failed = true; continue; }
        bytes = await ws.read(obj);
        if (bytes === undefined) throw new Error(`compiler produced no ${obj}`);
        if (diskFile !== undefined) await writeCache(diskFile, bytes);
      } else {
        await ws.write(obj, bytes);
      }
      runtimeObjects.set(key, bytes);
    }
    // Every app source, even after a failure, so one build reports every broken file.
    for (const src of appSources) {
      const result = await ws.clang([...appFlags, '-c', src, '-o', objectOf(src)]);
      if (result.output !== '') logs.push(result.output);
      if (!result.ok) failed = true;
    }
    if (failed) {
      const diagnostics = rewrite(logs.join('')).trimEnd();
      throw new BuildError(`${opts.appName}: compilation failed\n${diagnostics}`, opts.appName, diagnostics);
    }

    // App objects first: a symbol the app defines (its own memcpy) wins over the runtime's weak one.
    const objects = [...appSources, ...runtimeSources].map(objectOf);
    const link = await ws.clang([...ldFlags, ...objects, '-o', output]);
    if (link.output !== '') logs.push(link.output);
    if (!link.ok) {
      const diagnostics = rewrite(link.output).trimEnd() + mainSignatureHint(link.output);
      throw new BuildError(`${opts.appName}: link failed\n${diagnostics}`, opts.appName, diagnostics);
    }
    const linked = await ws.read(output);
    if (linked === undefined) throw new Error(`linker produced no ${output}`);
    // A copy, so the caller owns an ArrayBuffer-backed array nothing else refers to.
    const wasm = new Uint8Array(linked);
    const diagnostics = rewrite(logs.join('')).trimEnd();

    if (cacheBase !== undefined && cacheDir !== undefined) {
      await replaceCacheEntry(cacheBase, wasm, { toolchain: toolchain.description, diagnostics });
    }
    return { wasm, toolchain: toolchain.description, cached: false, diagnostics };
  } finally {
    await ws.close();
  }
}
