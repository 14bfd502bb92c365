/**
 * `rampart build PROJECT`: a project folder in, one image file out.
 *
 * A project holds `prj.conf` (kernel Kconfig fragment), `board.dts` (devicetree) and
 * `apps/<name>/` per task, each with `task.conf` and its sources. Each app is built on
 * its own (no link step between apps), its imports are checked against the capabilities
 * in its `task.conf`, it is instrumented (metering + Asyncify), and the image is written
 * atomically: a failed build never leaves a half-written image where `run` would pick it up.
 * The tasks, SHMs and kernel reservation must fit the board's RAM (kernel/image/ram-budget.ts).
 * Every problem of every app and of the board is reported in one `ProjectError`, each naming
 * the file to fix; a stage is skipped only when something it depends on failed.
 */

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { SYSCALLS, PREEMPT_IMPORT } from '../abi/index.js';
import type { KernelConfig } from '../../kernel/config.js';
import type { ImageTaskInput } from '../../kernel/image/image.js';
import { sha256Hex } from '../../kernel/image/sections.js';
import { readWasmInterface, exportedGlobalConst, WasmFormatError, type WasmInterface } from '../../kernel/platform/wasm-sections.js';
import { checkTaskImports } from '../../kernel/boot/import-policy.js';
import { WASI_BLOCKING_IMPORTS } from '../../kernel/syscalls/gate-wasi.js';
import { ConfigError, readKernelConfigFile, readTaskConfigFile, type TaskConfig } from '../config/kconfig.js';
import { buildCApp, BuildError } from './c.js';
import { buildRustApp } from './rust.js';
import type { AsBuildOptions } from './assemblyscript.js';
import { BoardError, checkBoard, readBoard } from '../config/devicetree.js';
import { checkTaskLimits } from '../config/board-rules.js';
import type { Board } from '../../kernel/board.js';
import { instrument, InstrumentError, type InstrumentOptions, type InstrumentResult } from '../integrate/instrument.js';
import { replaceCacheEntrySync, sha256 } from './build-files.js';
import { IntegrationError, packProject, type PackResult } from '../integrate/pack.js';
import { MemoryLayoutError, ramBudgetProblems, reserveSharedRange } from '../integrate/memory-layout.js';
import { checkSdkStamp, generateSdk, SdkError, stampModule } from '../sdk/sdk.js';

/**
 * Blocking imports: Asyncify is restricted to these (plus preempt). Syscalls by name, and
 * hosted C's `wasi_snapshot_preview1.proc_exit` (it ends the job, so the task unwinds).
 */
export const BLOCKING_IMPORTS: readonly string[] = [...SYSCALLS.filter((s) => s.blocking).map((s) => s.name), ...WASI_BLOCKING_IMPORTS];

/** The project was refused; `problems` lists every reason, one per entry. */
export class ProjectError extends Error {
  override readonly name = 'ProjectError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

export interface BuildProjectOptions {
  readonly out?: string;
  /** Integrator private key file (default: PROJECT/keys/, see toolchain/integrate/keys.ts). */
  readonly signingKey?: string;
  /** Progress lines (stderr in the CLI). */
  readonly progress?: (line: string) => void;
}

export interface BuiltApp {
  readonly name: string;
  readonly config: TaskConfig;
  readonly toolchain: string;
  readonly cached: boolean;
  readonly moduleBytes: number;
}

export interface BuildProjectResult {
  readonly imagePath: string;
  readonly kernel: KernelConfig;
  readonly apps: readonly BuiltApp[];
  /** What packing and signing produced: companion files, section sizes, signer. */
  readonly integration: PackResult;
}

/** Task names appear in console lines and file names: keep them plain. */
const APP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** Binaryen's version, read from its package (its passes shape the instrumented bytes). */
const BINARYEN_VERSION = ((): string => {
  try {
    return (JSON.parse(readFileSync(new URL('../../node_modules/binaryen/package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();

/** What the instrumentation's output depends on besides its input: its own code and Binaryen's. */
const INSTRUMENTER_IDENTITY = sha256(
  'rampart-instrument-cache-1',
  ...['../integrate/instrument.ts', '../integrate/leb128.ts'].map((f) => readFileSync(new URL(f, import.meta.url))),
  JSON.stringify(BINARYEN_VERSION),
);

/**
 * `instrument`, remembered in the project's build cache: its output is a pure function of
 * the module, the options and the instrumenter (the key covers all three), and it is the
 * slowest step of integrating an unchanged app. One entry per task name is kept. Integration
 * checks always run; only the instrumented bytes come from the cache.
 */
function instrumentCached(name: string, wasm: Uint8Array, options: InstrumentOptions, cacheDir: string | undefined): InstrumentResult {
  if (cacheDir === undefined) return instrument(wasm, options);
  const key = sha256(INSTRUMENTER_IDENTITY, JSON.stringify(options), wasm).slice(0, 32);
  const base = join(cacheDir, 'instrument', `${name}-${key}`);
  try {
    const meta = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as { asyncifyDataAddress: number; asyncifyDataSize: number };
    return { wasm: new Uint8Array(readFileSync(`${base}.wasm`)), asyncifyDataAddress: meta.asyncifyDataAddress, asyncifyDataSize: meta.asyncifyDataSize };
  } catch {
    // Not cached (or unreadable): instrument below.
  }
  const result = instrument(wasm, options);
  replaceCacheEntrySync(base, result.wasm, { asyncifyDataAddress: result.asyncifyDataAddress, asyncifyDataSize: result.asyncifyDataSize });
  return result;
}

/**
 * Turn one app module into an image task: check imports, instrument, locate its windows.
 * Every problem of the module is listed together (a stale SDK stamp does not hide the
 * imports); instrumentation runs only on a module that passed them all.
 */
export function integrateModule(name: string, config: TaskConfig, module: Uint8Array, configFile: string, kernel: KernelConfig, board?: Board, sdk?: { readonly hash: string; readonly dir: string }, cacheDir?: string): ImageTaskInput {
  const problems: string[] = [];
  // An app built against another kernel configuration or board (toolchain/sdk/sdk.ts).
  const stale = sdk === undefined ? undefined : checkSdkStamp(name, module, sdk.hash, sdk.dir);
  if (stale !== undefined) problems.push(stale);
  let wasm = module;
  let ownMemoryBytes: number | undefined;
  if (board !== undefined && board.shms.length > 0) {
    // Every task may map any SHM: its memory spans the SHM windows, its own data stays below.
    const lowest = Math.min(...board.shms.map((s) => s.baseAddress));
    const highest = Math.max(...board.shms.map((s) => s.baseAddress + s.size));
    try {
      ({ wasm, ownBytes: ownMemoryBytes } = reserveSharedRange(wasm, name, lowest, highest));
    } catch (error) {
      if (error instanceof MemoryLayoutError) problems.push(error.message);
      else throw error;
    }
  }
  let before: WasmInterface;
  try {
    before = readWasmInterface(wasm);
  } catch (error) {
    if (error instanceof WasmFormatError) throw new ProjectError([...problems, `task '${name}': ${error.message}`]);
    throw error;
  }
  problems.push(...checkTaskImports(name, before, config.capabilities, { configFile, allowPreempt: false }));
  if (before.imports.some((i) => i.name === PREEMPT_IMPORT)) problems.push(`task '${name}': already instrumented (imports rampart.preempt)`);
  const exchange = exportedGlobalConst(before, '__svcexchange');
  if (exchange === undefined) problems.push(`task '${name}': module does not export '__svcexchange' (the exchange area); build it with the Rampart SDK`);
  if (!before.exports.some((e) => e.kind === 'function' && e.name === '_start')) problems.push(`task '${name}': module does not export '_start'`);
  if (before.hasStart) problems.push(`task '${name}': module has a start function; tasks must begin in _start`);
  if (problems.length > 0) throw new ProjectError(problems);
  let result;
  try {
    result = instrumentCached(name, wasm, { blockingImports: BLOCKING_IMPORTS, ...(ownMemoryBytes !== undefined ? { ownMemoryBytes } : {}) }, cacheDir);
  } catch (error) {
    if (error instanceof InstrumentError) throw new ProjectError([`task '${name}': cannot instrument the module: ${error.message}`]);
    throw error;
  }
  return {
    name,
    label: config.label,
    priority: config.priority,
    quantum: config.quantum,
    capabilities: config.capabilities,
    autoStart: config.autoStart,
    exitPolicy: config.exitPolicy,
    domain: config.domain,
    exchangeAddress: exchange! >>> 0,
    asyncifyDataAddress: result.asyncifyDataAddress,
    asyncifyDataSize: result.asyncifyDataSize,
    module: result.wasm,
  };
}

export type AppLanguage = 'c' | 'rust' | 'assemblyscript' | 'prebuilt';

/** The `*.wasm` files at the top of an app folder (a prebuilt module is one of them). */
export function prebuiltModules(appDir: string): string[] {
  return existsSync(appDir) ? readdirSync(appDir).filter((f) => f.endsWith('.wasm')).sort() : [];
}

/**
 * The language of an app, from what its folder holds: sources for C, Rust or
 * AssemblyScript, else one prebuilt module (`*.wasm`, built against the SDK with the user's
 * own tools: meson, make, cargo), which is integrated as it is.
 */
export function languageOf(appDir: string): AppLanguage | undefined {
  if (existsSync(join(appDir, 'Cargo.toml'))) return 'rust';
  if (existsSync(join(appDir, 'assembly', 'index.ts'))) return 'assemblyscript';
  const src = join(appDir, 'src');
  if (existsSync(src) && readdirSync(src).some((f) => f.endsWith('.c'))) return 'c';
  if (prebuiltModules(appDir).length === 1) return 'prebuilt';
  return undefined;
}

/** AssemblyScript apps: the backend is loaded on demand (it pulls in the AS compiler). */
async function buildAssemblyScript(options: AsBuildOptions) {
  const backend = await import('./assemblyscript.js');
  return backend.buildAsApp(options);
}

/** The kernel configuration, or undefined with its problems added to `problems`. */
function readKernelConfig(prj: string, rel: (p: string) => string, problems: string[]): KernelConfig | undefined {
  if (!existsSync(prj)) {
    problems.push(`${rel(prj)}: missing; a project needs a kernel Kconfig fragment (an empty file selects the defaults)`);
    return undefined;
  }
  try {
    return readKernelConfigFile(prj);
  } catch (error) {
    if (error instanceof ConfigError) { problems.push(...error.problems.map((p) => p.replace(prj, rel(prj)))); return undefined; }
    throw error;
  }
}

/**
 * Every app folder's name, task.conf and sources, checked app by app. `complete` says that
 * every app has a readable task.conf with a label of its own: what the board check and the
 * SDK need (both work from the whole set of labels).
 */
function readApps(appsDir: string, rel: (p: string) => string, problems: string[]): { names: string[]; configs: Map<string, TaskConfig>; complete: boolean } {
  const configs = new Map<string, TaskConfig>();
  if (!existsSync(appsDir)) {
    problems.push(`${rel(appsDir)}: missing; put one folder per task under apps/`);
    return { names: [], configs, complete: false };
  }
  const names = readdirSync(appsDir).filter((n) => statSync(join(appsDir, n)).isDirectory()).sort();
  if (names.length === 0) problems.push(`${rel(appsDir)}: no apps; add apps/<name>/task.conf and apps/<name>/src/*.c`);
  let complete = names.length > 0;
  const labels = new Map<number, string>();
  for (const name of names) {
    const appDir = join(appsDir, name);
    const taskConf = join(appDir, 'task.conf');
    if (!APP_NAME.test(name)) { problems.push(`${rel(appDir)}: app folder names must be letters, digits, '_', '-' or '.' (at most 64)`); complete = false; continue; }
    if (!existsSync(taskConf)) { problems.push(`${rel(taskConf)}: missing; every app needs a task.conf with at least CONFIG_TASK_LABEL`); complete = false; continue; }
    try {
      const config = readTaskConfigFile(taskConf);
      const other = labels.get(config.label);
      if (other !== undefined) { problems.push(`${rel(taskConf)}: CONFIG_TASK_LABEL=0x${config.label.toString(16)} is already the label of app '${other}'; labels must be unique`); complete = false; }
      labels.set(config.label, name);
      configs.set(name, config);
    } catch (error) {
      if (error instanceof ConfigError) { problems.push(...error.problems.map((p) => p.replace(taskConf, rel(taskConf)))); complete = false; }
      else throw error;
    }
    const language = languageOf(appDir);
    const modules = prebuiltModules(appDir);
    if (language === undefined && modules.length > 1) {
      problems.push(`${rel(appDir)}: ${modules.length} prebuilt modules (${modules.join(', ')}); an app folder holds exactly one, or sources`);
    } else if (language === undefined) {
      problems.push(`${rel(appDir)}: no sources found (expected src/*.c for C, Cargo.toml for Rust, assembly/index.ts for AssemblyScript, or one prebuilt module NAME.wasm built against this project's SDK)`);
    } else if (language !== 'c' && language !== 'prebuilt' && configs.get(name)?.libc === true) {
      problems.push(`${rel(taskConf)}: CONFIG_TASK_LIBC=y selects hosted C; this app is ${language}, remove the line`);
    }
  }
  return { names, configs, complete };
}

/** The board, compiled by the real devicetree compiler; undefined with its problems added to `problems`. */
async function readBoardFile(board: string, dir: string, rel: (p: string) => string, progress: (line: string) => void, problems: string[]): Promise<Board | undefined> {
  if (!existsSync(board)) {
    problems.push(`${rel(board)}: missing; a project needs a board description (for now "/dts-v1/; / { };" is enough)`);
    return undefined;
  }
  try {
    return await readBoard(board, { includeDirs: [dir], onWarning: (w) => progress(`  warning: ${w}`) });
  } catch (error) {
    if (error instanceof BoardError) { problems.push(...error.problems.map((p) => p.split(board).join(rel(board)))); return undefined; }
    throw error;
  }
}

/**
 * Build every app of a project and write the image.
 *
 * Checks run in stages, and a stage runs only when what it depends on succeeded, but
 * everything that does not depend on a failure runs anyway, and one `ProjectError` lists it
 * all: the kernel configuration, every app's task.conf and sources and the board file are read
 * independently; the board's ownership rules need every app's label and capabilities; the
 * SDK needs the configuration, the board and the labels, and the apps need the SDK, but not
 * the ownership rules, so a board problem does not hide an app's imports (an app's compile
 * errors are held back then: it compiles against the board's resources, so they may be the
 * board's problems again); the RAM budget needs every integrated app; packing needs
 * everything to be right.
 */
export async function buildProject(projectDir: string, options: BuildProjectOptions = {}): Promise<BuildProjectResult> {
  const dir = resolve(projectDir);
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  const progress = options.progress ?? (() => undefined);
  const prj = join(dir, 'prj.conf');
  const board = join(dir, 'board.dts');
  const appsDir = join(dir, 'apps');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ProjectError([`${rel(dir)}: no such project folder`]);

  // Independent: the kernel configuration, the apps' folders and task.conf, the board file.
  const problems: string[] = [];
  const kernel = readKernelConfig(prj, rel, problems);
  const apps = readApps(appsDir, rel, problems);
  if (kernel !== undefined && apps.names.length > kernel.maxTasks) problems.push(`${rel(prj)}: ${apps.names.length} apps but CONFIG_MAX_TASKS=${kernel.maxTasks}; raise CONFIG_MAX_TASKS`);
  const boardDesc = await readBoardFile(board, dir, rel, progress, problems);
  const configs = apps.configs;
  const canBuild = problems.length === 0;

  // The board against the tasks: owners, capabilities, overlaps. Reported with whatever the
  // app checks below find.
  const boardProblems = boardDesc !== undefined && apps.complete ? checkBoard(boardDesc, [...configs.entries()].map(([name, c]) => ({
    name, label: c.label, capabilities: c.capabilities, configFile: rel(join(appsDir, name, 'task.conf')),
  })), rel(board)) : [];
  problems.push(...boardProblems);
  if (!canBuild || kernel === undefined || boardDesc === undefined) throw new ProjectError(problems);

  // The SDK of this configuration and board (toolchain/sdk/sdk.ts): headers, libraries and the
  // per-task resource headers the apps build against; reused when already up to date.
  let sdk;
  try {
    sdk = await generateSdk({
      configFiles: [prj], boardFile: board, board: boardDesc, out: join(dir, 'build', 'sdk'), ownsOut: true,
      taskLabels: [...configs.values()].map((c) => c.label), display: rel, progress,
      // Each task's .config and CONFIG_* (task_autoconf.h/.rs/.ts) in its SDK folder.
      taskConfigFiles: [...configs.keys()].map((name) => join(appsDir, name, 'task.conf')),
    });
  } catch (error) {
    if (error instanceof SdkError) throw new ProjectError([...problems, ...error.problems]);
    throw error;
  }

  // What each task owns against the configuration's per-task limits (spec §2.16).
  problems.push(...checkTaskLimits(boardDesc, [...configs.entries()].map(([name, c]) => ({ name, label: c.label })), sdk.limits, rel(board), rel(prj)));

  const tasks: ImageTaskInput[] = [];
  const built: BuiltApp[] = [];
  // Tasks in label order: the task table order of the reference metadata table.
  const ordered = [...configs.entries()].sort((a, b) => a[1].label - b[1].label);
  for (const [name, config] of ordered) {
    const appDir = join(appsDir, name);
    const started = Date.now();
    try {
      // The task's resource tables (devices-dt.h, shms-dt.h, dma-dt.h, uapi/device.h) and autoconf.h, in the SDK.
      const resourceDir = sdk.taskIncludeDirs.get(config.label)!;
      const common = {
        appDir, appName: name, exchangeAreaLen: kernel.exchangeAreaLen, stackSize: config.stackSize, heapSize: config.heapSize,
        cacheDir: join(dir, 'build', '.cache'),
        // The SDK and the task's folder in it: autoconf, task_autoconf and resources for every language.
        sdkDir: sdk.dir, taskSdkDir: sdk.taskDirs.get(config.label)!,
      };
      const language = languageOf(appDir)!;
      if (language === 'prebuilt') {
        // Built elsewhere against the SDK: integrated as it is, so its own SDK stamp must
        // name this configuration (a module built against another SDK is refused, naming both).
        const file = join(appDir, prebuiltModules(appDir)[0]!);
        const wasm = new Uint8Array(readFileSync(file));
        tasks.push(integrateModule(name, config, wasm, rel(join(appDir, 'task.conf')), kernel, boardDesc, { hash: sdk.hash, dir: rel(sdk.dir) }, join(dir, 'build', '.cache')));
        const toolchain = `prebuilt module ${basename(file)} (sha256 ${sha256Hex(wasm).slice(0, 16)})`;
        built.push({ name, config, toolchain, cached: false, moduleBytes: wasm.length });
        progress(`  WASM    ${name} (${rel(file)}, ${Date.now() - started} ms)`);
        continue;
      }
      const result = language === 'rust' ? await buildRustApp(common)
        : language === 'assemblyscript' ? await buildAssemblyScript(common)
          : await buildCApp({ ...common, sdkIncludeDir: resourceDir, libc: config.libc });
      if (result.diagnostics.trim() !== '') progress(result.diagnostics.trimEnd());
      // Built here against this SDK: the module carries its configuration hash.
      tasks.push(integrateModule(name, config, stampModule(result.wasm, sdk.hash), rel(join(appDir, 'task.conf')), kernel, boardDesc, { hash: sdk.hash, dir: rel(sdk.dir) }, join(dir, 'build', '.cache')));
      built.push({ name, config, toolchain: result.toolchain, cached: result.cached, moduleBytes: result.wasm.length });
      progress(`  ${result.cached ? 'CACHED ' : ({ c: 'CC     ', rust: 'CARGO  ', assemblyscript: 'ASC    ' } as const)[language]} ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      if (error instanceof ProjectError) problems.push(...error.problems);
      else if (error instanceof BuildError && boardProblems.length > 0) {
        // An app compiles against the resources the board gives it (devices-dt.h, ...): with
        // the board wrong, its compile errors may only be the board's problems again.
        progress(`  NOT BUILT ${name}: it does not compile against ${rel(board)} as it stands; fix the board first`);
      } else if (error instanceof BuildError) problems.push(error.message);
      else throw error;
    }
  }
  // The board's RAM against the whole product: only meaningful once every app is integrated.
  if (tasks.length === ordered.length) problems.push(...ramBudgetProblems(boardDesc, tasks, kernel.exchangeAreaLen, rel(board)));
  if (problems.length > 0) throw new ProjectError(problems);

  // Pack and sign (toolchain/integrate/pack.ts): app signatures against trust.json, SBOM,
  // manifest, the signed image and the detached signatures beside it, written atomically.
  const started = Date.now();
  let packed: PackResult;
  try {
    packed = await packProject({
      projectDir: dir, kernel, board: boardDesc, tasks, apps: built, progress, rel,
      ...(options.out !== undefined ? { out: options.out } : {}),
      ...(options.signingKey !== undefined ? { signingKey: options.signingKey } : {}),
    });
  } catch (error) {
    if (error instanceof IntegrationError) throw new ProjectError(error.problems);
    throw error;
  }
  progress(`  IMAGE   ${rel(packed.imagePath)} (${packed.imageBytes} bytes, ${tasks.length} tasks, signed by ${packed.signer.fingerprint}${packed.signer.development ? ' DEVELOPMENT KEY' : ''}, ${Date.now() - started} ms)`);
  progress(`  SBOM    ${rel(packed.sbomPath)}`);
  progress(`  MANIFEST ${rel(packed.manifestPath)}`);
  return { imagePath: packed.imagePath, kernel, apps: built, integration: packed };
}

