/**
 * The Rust build backend: one Cargo app directory in, one task module (.wasm) out.
 *
 * Owns the choice of Rust toolchain (a rustup toolchain with the wasm32-unknown-unknown
 * standard library, else Debian's `rustc` + `libstd-rust-dev-wasm32`), the Cargo invocation
 * (flags, profile, an isolated offline `CARGO_HOME`, the SDK's local registry), the
 * post-link fix-ups that make rustc's output a task module, and a content-hash cache of
 * finished modules.
 *
 * How a build runs: the SDK crates are packaged for the configuration as a local registry
 * (toolchain/sdk/cargo-registry.ts); the app's files are mirrored into a work directory
 * whose `.cargo/config.toml` replaces crates.io with that registry; `cargo build --release
 * --target wasm32-unknown-unknown --offline` runs there with `CARGO_TARGET_DIR` and
 * `CARGO_HOME` under the cache directory. The app's `Cargo.toml` is the user's, used as is
 * (plus an empty `[workspace]` so no enclosing workspace captures it); the profile and link
 * flags come from the environment, which Cargo lets override the manifest.
 *
 * Invariants:
 * - The module follows docs/task-abi.md: memory defined and exported as `memory`, initial
 *   equal to maximum (stack + data + heap), `_start` and `__svcexchange` exported, stack
 *   first, imports only `rampart.<syscall>` functions. Anything else is a BuildError naming
 *   the offending import or the missing export.
 * - Cargo never touches the network and never sees the user's `~/.cargo`: `--offline`,
 *   `CARGO_NET_OFFLINE`, a private `CARGO_HOME`, and every `CARGO_*` / `RUST*` variable of
 *   the caller's environment removed.
 * - The user's app directory is only read: Cargo.lock and build output go to the work and
 *   target directories.
 * - A cache hit is only possible when every input byte, every flag and the toolchain
 *   identity (`rustc -vV`) are the same. The SDK files an app can include (through
 *   `RAMPART_SDK` and `RAMPART_TASK_SDK`, which only the build sets) are input bytes too.
 */

import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { BUS_IMPORTS, SYSCALLS, SYSCALL_IMPORT_MODULE } from '../abi/syscalls.js';
import { packageRustSdk, writeRustSdkRegistry } from '../sdk/cargo-registry.js';
import { BuildError } from './c.js';
import { displayPath, readCache, replaceCacheEntry, sha256, type AppBuildResult } from './build-files.js';
import { encodeLeb128 as leb, readLeb128 } from '../integrate/leb128.js';

/** Options of one Rust app build. */
export interface RustBuildOptions {
  /** The app directory: a Cargo package (`Cargo.toml`, `src/lib.rs`) whose lib is a `cdylib`. */
  readonly appDir: string;
  /** Task name, used for the cache entry and the work directory. */
  readonly appName: string;
  /** `CONFIG_SVC_EXCHANGE_AREA_LEN` (64..1024). */
  readonly exchangeAreaLen: number;
  /** Stack bytes, a multiple of 16. The stack sits at the bottom of memory (`--stack-first`). */
  readonly stackSize: number;
  /** Heap bytes after the data; rounded up to whole 64 KiB pages. */
  readonly heapSize: number;
  /** Cache directory; default `<appDir>/../../build/.cache`; `false` builds in a temporary directory and caches nothing. */
  readonly cacheDir?: string | false;
  /**
   * The SDK folder (toolchain/sdk/sdk.ts), given to the build as `RAMPART_SDK`: the app
   * may `include!(concat!(env!("RAMPART_SDK"), "/rust/autoconf.rs"))`.
   */
  readonly sdkDir?: string;
  /**
   * The task's folder in the SDK (`tasks/<label>`), given as `RAMPART_TASK_SDK`: the app may
   * include `rust/resources.rs` and `rust/task_autoconf.rs` from it.
   */
  readonly taskSdkDir?: string;
}

/** A built task module (the shape every backend returns). */
export type RustBuildResult = AppBuildResult;

/**
 * The SDK files a Rust app may `include!`: the `.rs` files of `<sdk>/rust/` (not the
 * registry below it, which `packageRustSdk` already hashes) and of `<task>/rust/`. They are
 * part of the cache key, so a configuration or board change rebuilds the app.
 */
async function includableSdkFiles(opts: RustBuildOptions): Promise<[string, Uint8Array][]> {
  const out: [string, Uint8Array][] = [];
  for (const [env, dir] of [['RAMPART_SDK', opts.sdkDir], ['RAMPART_TASK_SDK', opts.taskSdkDir]] as const) {
    if (dir === undefined) continue;
    const rustDir = path.join(path.resolve(dir), 'rust');
    const entries = await fs.readdir(rustDir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries.filter((e) => e.isFile() && e.name.endsWith('.rs')).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      out.push([`${env}/rust/${entry.name}`, new Uint8Array(await fs.readFile(path.join(rustDir, entry.name)))]);
    }
  }
  return out;
}

/** The one target. */
export const RUST_TARGET = 'wasm32-unknown-unknown';

/** Oldest rustc the SDK crates are written for (Debian 12's). */
const RUSTC_MIN: readonly [number, number] = [1, 63];

/** What installs a usable toolchain on Debian 12 (as root). `lld-14` provides `rust-lld`. */
export const RUST_INSTALL_COMMAND = 'apt-get update && apt-get install -y rustc cargo libstd-rust-dev-wasm32 lld-14';

/**
 * No Rust toolchain able to build for wasm32-unknown-unknown was found. The message says
 * how to install one; `reasons` lists why each candidate was rejected.
 */
export class RustToolchainMissing extends BuildError {
  constructor(
    appName: string,
    /** One line per toolchain examined. */
    readonly reasons: readonly string[],
    /** The app's manifest, as the user knows it (`apps/NAME/Cargo.toml`). */
    manifest?: string,
  ) {
    super(
      [
        `${manifest !== undefined ? `${manifest}: ` : ''}${appName}: no Rust toolchain that can build for ${RUST_TARGET} was found.`,
        'Install one (as root, on Debian 12):',
        `    ${RUST_INSTALL_COMMAND}`,
        'or run scripts/ensure-rust.sh, which does exactly that when needed.',
        `(With rustup and network access, \`rustup target add ${RUST_TARGET}\` works too.)`,
        ...(reasons.length > 0 ? ['Toolchains examined:', ...reasons.map((r) => `  - ${r}`)] : []),
      ].join('\n'),
      appName,
    );
    // BuildError's `name` is typed as its literal; set the run-time name for stack traces.
    Object.defineProperty(this, 'name', { value: 'RustToolchainMissing' });
  }
}

// ---------------------------------------------------------------------------------------
// Processes.

interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runProcess(file: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let child;
    try {
      child = spawn(file, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: -1, stdout: '', stderr: (err as Error).message });
      return;
    }
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', (err) => resolve({ code: -1, stdout, stderr: stderr + err.message }));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * The caller's environment without anything that would steer Cargo or rustc: our flags and
 * paths must be the only ones (a `RUSTFLAGS` or `CARGO_BUILD_TARGET` from a surrounding
 * Cargo build, a `RUSTUP_TOOLCHAIN` override, a `RUSTC_WRAPPER`...).
 */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(CARGO|RUSTC|RUSTDOC|RUSTFLAGS|RUST_|RUSTUP_TOOLCHAIN)/.test(key)) continue;
    // Only the build sets these, from its own options (they are in the cache key).
    if (key === 'RAMPART_SDK' || key === 'RAMPART_TASK_SDK') continue;
    env[key] = value;
  }
  return env;
}

// ---------------------------------------------------------------------------------------
// Toolchain detection.

/** A usable toolchain: concrete binaries (never rustup proxies), so the choice is explicit. */
export interface RustToolchain {
  /** Human-readable identity, e.g. `rustc 1.63.0 (Debian /usr/bin/rustc)`. */
  readonly description: string;
  /** `rustc -vV`, part of the cache key. */
  readonly identity: string;
  readonly rustc: string;
  readonly cargo: string;
}

/** A candidate pair of binaries and where it came from. */
interface Candidate {
  readonly rustc: string;
  readonly cargo: string;
  readonly origin: string;
}

async function rustupCandidates(): Promise<Candidate[]> {
  const env = cleanEnvironment();
  const list = await runProcess('rustup', ['toolchain', 'list'], { env });
  if (list.code !== 0) return [];
  const names = list.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  // The default toolchain (`stable-... (default)`, `(active, default)`) first: it is the one
  // the user expects. The sort is stable, so the others keep rustup's order.
  const isDefault = (line: string): number => Number(/\([^)]*\bdefault\b[^)]*\)/.test(line));
  names.sort((a, b) => isDefault(b) - isDefault(a));
  const out: Candidate[] = [];
  for (const line of names) {
    const name = line.split(/\s+/)[0] ?? '';
    const rustc = await runProcess('rustup', ['which', '--toolchain', name, 'rustc'], { env });
    const cargo = await runProcess('rustup', ['which', '--toolchain', name, 'cargo'], { env });
    if (rustc.code === 0 && cargo.code === 0) {
      out.push({ rustc: rustc.stdout.trim(), cargo: cargo.stdout.trim(), origin: `rustup ${name}` });
    }
  }
  return out;
}

function systemCandidates(): Candidate[] {
  const out: Candidate[] = [];
  for (const dir of ['/usr/bin', '/usr/local/bin']) {
    const rustc = path.join(dir, 'rustc');
    const cargo = path.join(dir, 'cargo');
    if (existsSync(rustc) && existsSync(cargo)) out.push({ rustc, cargo, origin: dir === '/usr/bin' ? `Debian ${rustc}` : rustc });
  }
  return out;
}

/** A no_std cdylib: compiling it proves the wasm32 `core` and the linker are both there. */
const PROBE_SOURCE = '#![no_std]\n#[panic_handler]\nfn panic(_: &core::panic::PanicInfo) -> ! { loop {} }\n#[no_mangle]\npub extern "C" fn probe() -> u32 { 7 }\n';

async function probeCandidate(candidate: Candidate): Promise<RustToolchain | string> {
  const env = cleanEnvironment();
  const vv = await runProcess(candidate.rustc, ['-vV'], { env });
  if (vv.code !== 0) return `${candidate.origin}: \`rustc -vV\` failed`;
  const release = /^release: (\d+)\.(\d+)\.(\S+)$/m.exec(vv.stdout);
  if (release === null) return `${candidate.origin}: unrecognised \`rustc -vV\` output`;
  const major = Number(release[1]);
  const minor = Number(release[2]);
  const version = `${major}.${minor}.${release[3]}`;
  if (major < RUSTC_MIN[0] || (major === RUSTC_MIN[0] && minor < RUSTC_MIN[1])) {
    return `${candidate.origin}: rustc ${version} is older than ${RUSTC_MIN.join('.')}`;
  }
  const sysroot = (await runProcess(candidate.rustc, ['--print', 'sysroot'], { env })).stdout.trim();
  const libDir = path.join(sysroot, 'lib', 'rustlib', RUST_TARGET, 'lib');
  const libs = await fs.readdir(libDir).catch(() => [] as string[]);
  if (!libs.some((f) => /^libcore-.*\.rlib$/.test(f))) return `${candidate.origin}: rustc ${version} has no ${RUST_TARGET} standard library`;
  if ((await runProcess(candidate.cargo, ['--version'], { env })).code !== 0) return `${candidate.origin}: ${candidate.cargo} does not run`;

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-rust-probe-'));
  try {
    await fs.writeFile(path.join(dir, 'probe.rs'), PROBE_SOURCE);
    const compiled = await runProcess(candidate.rustc, [
      '--crate-type', 'cdylib', '--target', RUST_TARGET, '-C', 'panic=abort', '-C', 'opt-level=1',
      '-o', path.join(dir, 'probe.wasm'), path.join(dir, 'probe.rs'),
    ], { env, cwd: dir });
    if (compiled.code !== 0) {
      const why = compiled.stderr.split('\n').find((l) => l.startsWith('error')) ?? compiled.stderr.trim();
      return `${candidate.origin}: rustc ${version} cannot link for ${RUST_TARGET} (${why})`;
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  return {
    description: `rustc ${version} (${candidate.origin})`,
    identity: vv.stdout.trim(),
    rustc: candidate.rustc,
    cargo: candidate.cargo,
  };
}

let toolchainProbe: Promise<RustToolchain | string[]> | undefined;

/**
 * The first usable toolchain: rustup toolchains (the default one first), then a system
 * `rustc` in /usr/bin (Debian) or /usr/local/bin. Probed once per process.
 *
 * @returns the toolchain, or the reasons every candidate was rejected.
 */
export function detectRustToolchain(): Promise<RustToolchain | string[]> {
  toolchainProbe ??= (async () => {
    const reasons: string[] = [];
    const seen = new Set<string>();
    for (const candidate of [...(await rustupCandidates()), ...systemCandidates()]) {
      if (seen.has(candidate.rustc)) continue;
      seen.add(candidate.rustc);
      const result = await probeCandidate(candidate);
      if (typeof result !== 'string') return result;
      reasons.push(result);
    }
    if (seen.size === 0) reasons.push('no rustup and no rustc in /usr/bin or /usr/local/bin');
    return reasons;
  })();
  return toolchainProbe;
}

/** The idempotent installer (Debian packages), kept apart from the build so setup can call it. */
export const ENSURE_RUST_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-rust.sh', import.meta.url));

/**
 * Like {@link detectRustToolchain}, but when nothing is usable runs
 * `scripts/ensure-rust.sh` (which installs Debian's packages when run as root and says what
 * it installs) and probes again.
 *
 * @param log receives the script's output lines (default: standard error).
 */
export async function ensureRustToolchain(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<RustToolchain | string[]> {
  const found = await detectRustToolchain();
  if (!Array.isArray(found)) return found;
  const run = await runProcess('bash', [ENSURE_RUST_SCRIPT], { env: cleanEnvironment() });
  for (const line of `${run.stdout}${run.stderr}`.split('\n')) if (line.trim() !== '') log(line);
  toolchainProbe = undefined;
  const again = await detectRustToolchain();
  return Array.isArray(again) && run.code !== 0 ? [...again, `scripts/ensure-rust.sh exited with status ${run.code}`] : again;
}

// ---------------------------------------------------------------------------------------
// The module fix-ups.

const WASM_PAGE = 65536;
const MAX_PAGES = 65536;

/** rustc exports these linker symbols from every wasm32 cdylib; they are not part of the task ABI. */
const LINKER_EXPORTS = new Set(['__data_end', '__heap_base']);

function readLeb(bytes: Uint8Array, at: number): { value: number; next: number } {
  const decoded = readLeb128(bytes, at);
  if (decoded === undefined) throw new Error('malformed LEB128');
  return decoded;
}

/**
 * Rewrites the linked module into a task module: the memory gets `heapPages` more pages and
 * a maximum equal to its initial size (wasm-ld of older Rust toolchains has neither
 * `--initial-heap` nor `--no-growable-memory`), and the linker-symbol exports are dropped.
 * Only the memory and export sections change; every other section is copied byte for byte.
 */
function finalizeModule(wasm: Uint8Array, heapPages: number): Uint8Array<ArrayBuffer> {
  const out: number[] = [...wasm.subarray(0, 8)];
  let pos = 8;
  while (pos < wasm.length) {
    const id = wasm[pos] as number;
    const size = readLeb(wasm, pos + 1);
    const start = size.next;
    const end = start + size.value;
    let payload: number[] | undefined;
    if (id === 5) {
      const count = readLeb(wasm, start);
      if (count.value !== 1) throw new Error(`the module defines ${count.value} memories`);
      const flags = wasm[count.next] as number;
      if (flags & ~1) throw new Error(`unsupported memory limits flags 0x${flags.toString(16)}`);
      const initial = readLeb(wasm, count.next + 1);
      const pages = initial.value + heapPages;
      if (pages > MAX_PAGES) throw new Error(`memory of ${pages} pages exceeds ${MAX_PAGES}`);
      payload = [1, 1, ...leb(pages), ...leb(pages)];
    } else if (id === 7) {
      const count = readLeb(wasm, start);
      let at = count.next;
      const kept: number[][] = [];
      for (let i = 0; i < count.value; i++) {
        const nameLen = readLeb(wasm, at);
        const name = new TextDecoder().decode(wasm.subarray(nameLen.next, nameLen.next + nameLen.value));
        const index = readLeb(wasm, nameLen.next + nameLen.value + 1);
        if (!LINKER_EXPORTS.has(name)) kept.push([...wasm.subarray(at, index.next)]);
        at = index.next;
      }
      payload = [...leb(kept.length), ...kept.flat()];
    }
    if (payload === undefined) out.push(...wasm.subarray(pos, end));
    else out.push(id, ...leb(payload.length), ...payload);
    pos = end;
  }
  return new Uint8Array(out);
}

/** Problems of a finished module against docs/task-abi.md, as user-facing sentences. */
function abiProblems(wasm: Uint8Array<ArrayBuffer>): string[] {
  const module = new WebAssembly.Module(wasm);
  const problems: string[] = [];
  // Syscalls and the bus accesses (sentry_uapi::bus); whether the task may import each is the integrator's check.
  const known = new Set([...SYSCALLS, ...BUS_IMPORTS].map((s) => s.name));
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== SYSCALL_IMPORT_MODULE || imp.kind !== 'function') {
      problems.push(`imports ${imp.kind} ${imp.module}.${imp.name}: a task may only import \`${SYSCALL_IMPORT_MODULE}\` syscall functions ` +
        '(an `extern` function with no definition becomes such an import; call the kernel through sentry_uapi::syscall)');
    } else if (!known.has(imp.name)) {
      problems.push(`imports ${imp.module}.${imp.name}, which is not a syscall`);
    }
  }
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  if (exports.get('_start') !== 'function') problems.push('exports no `_start` function: add `shield::shield_main!();` to src/lib.rs');
  if (exports.get('memory') !== 'memory') problems.push('exports no `memory`');
  if (exports.get('__svcexchange') !== 'global') problems.push('exports no `__svcexchange` global: the crate must depend on sentry-uapi');
  return problems;
}

// ---------------------------------------------------------------------------------------
// Files, cache, diagnostics.

/** Entries of an app directory that are not inputs: VCS and editor files, build output, the lock file. */
function isIgnored(name: string): boolean {
  return name.startsWith('.') || name === 'target' || name === 'Cargo.lock';
}

/** The app's input files (relative path → bytes), sorted. */
async function readAppFiles(dir: string): Promise<[string, Uint8Array][]> {
  const out: [string, Uint8Array][] = [];
  const walk = async (abs: string, rel: string): Promise<void> => {
    const entries = await fs.readdir(abs, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (isIgnored(entry.name)) continue;
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) await walk(path.join(abs, entry.name), childRel);
      else if (entry.isFile()) out.push([childRel, new Uint8Array(await fs.readFile(path.join(abs, entry.name)))]);
    }
  };
  await walk(dir, '');
  return out;
}

/**
 * Makes `workDir` hold exactly `files` (plus `.cargo/`). Unchanged files keep their mtime,
 * so Cargo's own fingerprints stay fresh between builds. Everything else goes, the
 * `Cargo.lock` of the previous build included: it records the SDK crates' checksums, which
 * change with the configuration, and Cargo refuses a lock whose checksums changed.
 */
async function mirrorFiles(workDir: string, files: readonly (readonly [string, Uint8Array])[]): Promise<void> {
  const wanted = new Map(files.map(([rel, bytes]) => [rel, bytes]));
  const walk = async (abs: string, rel: string): Promise<void> => {
    for (const entry of await fs.readdir(abs, { withFileTypes: true }).catch(() => [])) {
      if (rel === '' && entry.name === '.cargo') continue;
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const childAbs = path.join(abs, entry.name);
      if (entry.isDirectory()) await walk(childAbs, childRel);
      else if (!wanted.has(childRel)) await fs.rm(childAbs, { force: true });
    }
  };
  await walk(workDir, '');
  for (const [rel, bytes] of wanted) {
    const abs = path.join(workDir, rel);
    const current = await fs.readFile(abs).catch(() => undefined);
    if (current !== undefined && Buffer.compare(current, bytes) === 0) continue;
    await fs.mkdir(path.dirname(abs), { recursive: true });
    await fs.writeFile(abs, bytes);
  }
}

/** Cargo's progress lines: not diagnostics. */
const PROGRESS = /^\s*(Compiling|Finished|Unpacking|Blocking|Fresh|Locking|Updating|Adding|Downloaded|Packaging|Checking)\b/;

/**
 * Cargo's stderr as the user should read it: progress lines dropped, the work directory
 * (absolute, or the relative paths rustc prints for the app's own files) shown as the real
 * app directory.
 */
function rewriteDiagnostics(stderr: string, workDir: string, appDir: string): string {
  const shown = displayPath(appDir);
  return stderr
    .split('\n')
    .filter((line) => !PROGRESS.test(line))
    .map((line) => line
      .split(workDir).join(shown)
      // `--> src/lib.rs:5:9` and `::: src/x.rs:1:1`: relative to the package root.
      .replace(/^(\s*(?:-->|:::) )(?![/\\])([^\s:][^:]*:\d+)/, (_m, lead: string, loc: string) => `${lead}${path.join(shown, loc)}`))
    .join('\n')
    .trim();
}

/** Hints for failures whose message names something the user never wrote or cannot change. */
function linkHint(output: string): string {
  const hints: string[] = [];
  if (/--export[^\n]*\b_start\b|\b_start\b[^\n]*not found/.test(output)) hints.push('note: the task has no `_start`: add `shield::shield_main!();` to src/lib.rs');
  if (/--export[^\n]*__svcexchange|__svcexchange[^\n]*not found/.test(output)) hints.push('note: no exchange area was linked: the crate must depend on sentry-uapi');
  if (/no matching package named/.test(output)) {
    hints.push('note: builds are offline; the only registry crates are the SDK\'s (sentry-uapi 0.4.1, shield 0.1.0)');
  }
  return hints.length > 0 ? `\n${hints.join('\n')}` : '';
}

// ---------------------------------------------------------------------------------------
// The build.

/** Bump when the work layout, the flags' meaning or the cache entries change. */
const CACHE_FORMAT = 'rampart-rust-build/1';

function checkOptions(opts: RustBuildOptions): void {
  const fail = (why: string): never => {
    throw new BuildError(`${opts.appName}: ${why}`, opts.appName);
  };
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(opts.appName)) fail(`invalid app name '${opts.appName}'`);
  if (!Number.isInteger(opts.stackSize) || opts.stackSize < 1024 || opts.stackSize % 16 !== 0) {
    fail(`stackSize must be a multiple of 16, at least 1024, got ${opts.stackSize}`);
  }
  if (!Number.isInteger(opts.heapSize) || opts.heapSize < 0) fail(`heapSize must be a non-negative integer, got ${opts.heapSize}`);
}

/** rustc flags for every crate of the build; `-C link-arg`s only matter to the final link. */
function rustFlags(stackSize: number, cargoHome: string, workDir: string, appName: string, sdkDirs: readonly string[]): string[] {
  return [
    '-C', 'link-arg=--no-entry',
    '-C', 'link-arg=--export=_start',
    '-C', 'link-arg=--export=__svcexchange',
    // The stack at [0, stackSize): an overflow is an out-of-bounds trap, not corruption.
    '-C', 'link-arg=--stack-first',
    '-C', `link-arg=-zstack-size=${stackSize}`,
    // Machine paths out of the module (panic locations): the app is named by its task name.
    `--remap-path-prefix=${workDir}=${appName}`,
    `--remap-path-prefix=${cargoHome}=/rampart-cargo`,
    // An included SDK file is named relative to the SDK, not to the machine.
    ...sdkDirs.map((dir) => `--remap-path-prefix=${dir}=/rampart-sdk`),
  ];
}

/**
 * The release profile of every task, whatever the app's Cargo.toml says (Cargo lets the
 * environment override the manifest): `panic = "abort"` (no unwinding machinery to
 * import), LTO and one codegen unit (unused wrappers and their imports disappear), size
 * optimisation.
 */
const PROFILE_ENV: Readonly<Record<string, string>> = {
  CARGO_PROFILE_RELEASE_PANIC: 'abort',
  CARGO_PROFILE_RELEASE_LTO: 'true',
  CARGO_PROFILE_RELEASE_OPT_LEVEL: 's',
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS: '1',
  CARGO_PROFILE_RELEASE_DEBUG: 'false',
  CARGO_PROFILE_RELEASE_INCREMENTAL: 'false',
};

interface CargoArtifact {
  reason?: string;
  manifest_path?: string;
  target?: { kind?: string[] };
  filenames?: string[];
}

/**
 * Build one Rust app into a task module.
 *
 * Runs Cargo on the app (whose `Cargo.toml` depends on `sentry-uapi = "0.4.1"` and
 * `shield`, resolved from the SDK registry generated for `exchangeAreaLen`), then fixes up
 * and checks the module per docs/task-abi.md.
 *
 * @throws RustToolchainMissing when no toolchain can build for wasm32 (the message says
 *   how to install one).
 * @throws BuildError on a compile or link error (message = Cargo's diagnostics with real
 *   paths), on invalid options, when the app is not a Cargo package, or when the module
 *   breaks the task ABI (a foreign import, a missing export).
 */
export async function buildRustApp(opts: RustBuildOptions): Promise<RustBuildResult> {
  checkOptions(opts);
  const { appName } = opts;
  const appDir = path.resolve(opts.appDir);
  if (!existsSync(path.join(appDir, 'Cargo.toml'))) throw new BuildError(`${appName}: no Cargo.toml in ${displayPath(appDir)}`, appName);

  let sdk;
  try {
    sdk = await packageRustSdk({ exchangeAreaLen: opts.exchangeAreaLen });
  } catch (err) {
    throw new BuildError(`${appName}: ${(err as Error).message}`, appName);
  }
  const appFiles = await readAppFiles(appDir);
  const sdkFiles = await includableSdkFiles(opts);
  const sdkEnv: Record<string, string> = {
    ...(opts.sdkDir !== undefined ? { RAMPART_SDK: path.resolve(opts.sdkDir) } : {}),
    ...(opts.taskSdkDir !== undefined ? { RAMPART_TASK_SDK: path.resolve(opts.taskSdkDir) } : {}),
  };
  const toolchain = await detectRustToolchain();
  if (Array.isArray(toolchain)) throw new RustToolchainMissing(appName, toolchain, path.join(path.relative(process.cwd(), appDir) || '.', 'Cargo.toml'));

  const heapPages = Math.ceil(opts.heapSize / WASM_PAGE);
  const cacheDir = opts.cacheDir === false ? undefined : path.resolve(opts.cacheDir ?? path.join(appDir, '..', '..', 'build', '.cache'));
  const key = sha256(
    CACHE_FORMAT, toolchain.identity, sdk.hash, appName, String(opts.stackSize), String(heapPages),
    JSON.stringify(PROFILE_ENV), JSON.stringify(sdkEnv), ...appFiles.flat(), ...sdkFiles.flat(),
  );
  const cacheBase = cacheDir === undefined ? undefined : path.join(cacheDir, 'rust', `${appName}-${key.slice(0, 24)}`);
  if (cacheBase !== undefined) {
    const wasm = await readCache(`${cacheBase}.wasm`);
    const meta = await readCache(`${cacheBase}.json`);
    if (wasm !== undefined && meta !== undefined) {
      const { diagnostics } = JSON.parse(new TextDecoder().decode(meta)) as { diagnostics: string };
      return { wasm, toolchain: toolchain.description, cached: true, diagnostics };
    }
  }

  // Work tree: <root>/{registry, cargo-home, target, work/<app>}. Under the cache directory
  // it persists, so Cargo reuses the compiled SDK crates and unchanged app artefacts.
  const root = cacheDir !== undefined ? path.join(cacheDir, 'rust') : await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-rust-'));
  try {
    const { cargoConfigToml } = await writeRustSdkRegistry(path.join(root, 'registry'), sdk);
    const cargoHome = path.join(root, 'cargo-home');
    const targetDir = path.join(root, 'target');
    const workDir = path.join(root, 'work', appName);
    await fs.mkdir(cargoHome, { recursive: true });

    // The user's manifest, made its own workspace root unless it already is one, so that a
    // Cargo.toml above the cache directory cannot claim it.
    const manifest = appFiles.find(([rel]) => rel === 'Cargo.toml');
    const manifestText = new TextDecoder().decode(manifest?.[1] ?? new Uint8Array());
    const workspaceManifest = /^\s*\[workspace\]/m.test(manifestText) ? manifestText : `${manifestText.trimEnd()}\n\n[workspace]\n`;
    const workFiles = appFiles.map(([rel, bytes]) => [rel, rel === 'Cargo.toml' ? new TextEncoder().encode(workspaceManifest) : bytes] as const);
    await mirrorFiles(workDir, workFiles);
    await fs.mkdir(path.join(workDir, '.cargo'), { recursive: true });
    await fs.writeFile(path.join(workDir, '.cargo', 'config.toml'), `${cargoConfigToml}\n[net]\noffline = true\n`);

    const env: NodeJS.ProcessEnv = {
      ...cleanEnvironment(),
      ...PROFILE_ENV,
      CARGO_HOME: cargoHome,
      CARGO_TARGET_DIR: targetDir,
      CARGO_NET_OFFLINE: 'true',
      CARGO_TERM_COLOR: 'never',
      RUSTC: toolchain.rustc,
      // The unit-separator form is the only one that carries arguments containing spaces.
      CARGO_ENCODED_RUSTFLAGS: rustFlags(opts.stackSize, cargoHome, workDir, appName, Object.values(sdkEnv).sort((a, b) => b.length - a.length)).join('\x1f'),
      // `env!("RAMPART_SDK")` / `env!("RAMPART_TASK_SDK")`; Cargo reruns rustc when they change.
      ...sdkEnv,
    };
    const cargo = await runProcess(toolchain.cargo, [
      'build', '--release', '--target', RUST_TARGET, '--offline', '--message-format=json-render-diagnostics',
    ], { cwd: workDir, env });

    const diagnostics = rewriteDiagnostics(cargo.stderr, workDir, appDir);
    if (cargo.code !== 0) {
      const message = diagnostics !== '' ? diagnostics : cargo.stderr.trim();
      throw new BuildError(`${appName}: cargo build failed\n${message}${linkHint(cargo.stderr)}`, appName, message);
    }
    const manifestPath = path.join(workDir, 'Cargo.toml');
    let artifact: string | undefined;
    for (const line of cargo.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      const message = JSON.parse(line) as CargoArtifact;
      if (message.reason !== 'compiler-artifact' || message.manifest_path !== manifestPath) continue;
      if (!(message.target?.kind ?? []).includes('cdylib')) continue;
      artifact = (message.filenames ?? []).find((f) => f.endsWith('.wasm')) ?? artifact;
    }
    if (artifact === undefined) {
      throw new BuildError(`${appName}: Cargo produced no .wasm: the app's Cargo.toml needs\n[lib]\ncrate-type = ["cdylib"]`, appName, diagnostics);
    }

    let wasm: Uint8Array<ArrayBuffer>;
    try {
      wasm = finalizeModule(await fs.readFile(artifact), heapPages);
    } catch (err) {
      throw new BuildError(`${appName}: cannot fix up the module: ${(err as Error).message}`, appName, diagnostics);
    }
    const problems = abiProblems(wasm);
    if (problems.length > 0) {
      throw new BuildError(`${appName}: the module breaks the task ABI (docs/task-abi.md):\n${problems.map((p) => `  - ${p}`).join('\n')}`, appName, diagnostics);
    }

    if (cacheBase !== undefined && cacheDir !== undefined) {
      await replaceCacheEntry(cacheBase, wasm, { toolchain: toolchain.description, diagnostics });
    }
    return { wasm, toolchain: toolchain.description, cached: false, diagnostics };
  } finally {
    if (cacheDir === undefined) await fs.rm(root, { recursive: true, force: true });
  }
}
