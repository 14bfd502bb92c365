/**
 * The AssemblyScript build backend: one app directory in, one task module (.wasm) out.
 *
 * Owns the AssemblyScript compiler (`asc`) command line of a task, the in-memory file tree
 * it compiles from, the adjustments the compiler cannot express (module initialiser and
 * `main` called from `_start`, fixed memory size), the check of the result against the
 * task binary contract, the translation of compiler diagnostics back to real file paths,
 * and a content-hash cache of finished modules.
 *
 * How a build runs: the app's `assembly/**.ts`, the `rampart` package generated for this
 * configuration (toolchain/sdk/assemblyscript.ts), under `rampart build` the SDK's own
 * modules (`rampart/autoconf`, and the task's `rampart/resources` and
 * `rampart/task_autoconf`), and the generated task entry are laid out in a virtual tree (`assembly/...`, `__sdk/rampart/...`, `__rampart_entry.ts`) that
 * asc reads through its file-system hooks, so nothing is written next to the user's
 * sources. The entry is the only entry file: it exports `_start`, `__svcexchange` (and the
 * compiler adds `memory`); the app's own exports never reach the module.
 *
 * Runtime choice: `incremental` (TLSF allocator + incremental tracing GC). A task is a
 * long-lived loop in a fixed memory: with `stub` (bump allocator, never frees) every
 * temporary string of a `println` in that loop is leaked until the heap runs out; `minimal`
 * only collects when the host calls `__collect`, which no one does in a task and which is
 * unsafe with live references on the stack. The incremental collector runs from inside
 * allocations, so it is as deterministic as the rest of the task (the same allocations
 * give the same collection steps, hence the same metered cycles), and its threshold is
 * derived from the memory size, which here never changes. The configured stack size is its
 * shadow stack (the roots of managed references; AssemblyScript's own call stack is the
 * engine's, not linear memory); overflowing it aborts with "stack overflow".
 *
 * Memory layout: [static data, exchange area included][shadow stack][heap]. Initial and
 * maximum memory are equal: page-rounded (end of shadow stack + heap size), so the heap is
 * at least the configured size plus the rest of the last page. Running out of heap traps
 * inside the task (the allocator's `unreachable`), which the kernel treats as a fault.
 *
 * Invariants:
 * - The module follows docs/task-abi.md: memory defined and exported as `memory`, initial
 *   equal to maximum, `_start(i32, i32)` and an immutable, 8-aligned `__svcexchange`
 *   exported, imports only `rampart.<syscall>` functions of type (i32 × nargs) -> i32, no
 *   start function. Every build is checked against this before it is returned or cached.
 * - Host hooks of the standard library are routed to the generated runtime (`abort`,
 *   `trace`, `seed`); any other host import (console, Date, WASI, ...) is a build error that
 *   says what to use instead.
 * - A cache hit is only possible when every input byte, every option and the compiler
 *   version are the same; it never loads the compiler.
 * - Builds in one process run one at a time (the compiler and Binaryen keep global state).
 * - Only `assembly/**.ts` and the generated package are visible to the compiler: an
 *   `asconfig.json` or `node_modules` next to the app is not read, so every build of the
 *   same sources is the same build.
 */

import { promises as fs, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import { BUS_IMPORTS, SYSCALLS, SYSCALL_IMPORT_MODULE } from '../abi/syscalls.js';
import {
  AS_ENTRY_FILE, AS_ENTRY_SOURCE, AS_MAIN_EXPORT, AS_MAIN_PLACEHOLDER, AS_MODULE_INIT_PLACEHOLDER, AS_PACKAGE,
  AS_RUNTIME_ALIASES, generateAsSources,
} from '../sdk/assemblyscript.js';
import { BuildError } from './c.js';
import { displayPath, readCache, replaceCacheEntry, sha256, type AppBuildResult } from './build-files.js';
import { encodeLeb128 as leb } from '../integrate/leb128.js';

/** Options of one AssemblyScript app build. */
export interface AsBuildOptions {
  /** The app directory: sources in `assembly/` (entry `assembly/index.ts`, which exports `main`). */
  readonly appDir: string;
  /** Task name, used for the cache entry and messages. */
  readonly appName: string;
  /** `CONFIG_SVC_EXCHANGE_AREA_LEN` (64..1024). */
  readonly exchangeAreaLen: number;
  /** Shadow-stack bytes (roots of managed references), a multiple of 16, at least 1024. */
  readonly stackSize: number;
  /** Heap bytes after the shadow stack; the memory is rounded up to whole 64 KiB pages. */
  readonly heapSize: number;
  /** Cache directory; default `<appDir>/../../build/.cache` (entries under `as/`); `false` disables the cache. */
  readonly cacheDir?: string | false;
  /**
   * The SDK folder (toolchain/sdk/sdk.ts): its `assemblyscript/` package joins the
   * generated one, so `import ... from "rampart/autoconf"` resolves.
   */
  readonly sdkDir?: string;
  /**
   * The task's folder in the SDK (`tasks/<label>`): its `assemblyscript/` modules join the
   * package too (`rampart/resources`, `rampart/task_autoconf`).
   */
  readonly taskSdkDir?: string;
}

/** A built task module (the shape every backend returns). */
export type AsBuildResult = AppBuildResult;

// ---------------------------------------------------------------------------------------
// Fixed parts of the command line.

/** Bump when the tree layout, the command line or the cache entries change. */
const CACHE_FORMAT = 'rampart-as-build/1';

const RUNTIME = 'incremental';

/** Virtual roots. Chosen so that they cannot be mistaken for anything in a diagnostic. */
const ROOT_APP = 'assembly';
const ROOT_SDK = '__sdk';
const OUT_FILE = '__out/task.wasm';

/** Export name under which asc emits the module initialiser; removed again by the build. */
const MODULE_INIT_EXPORT = '__rampart_module_init_export';

/** Global holding the first byte past the shadow stack (the heap start). */
const HEAP_BASE_GLOBAL = '~lib/memory/__heap_base';

/**
 * The asc arguments of every build (the entry file and the stack size are added per build).
 * - `--path __sdk`: `import ... from "rampart"` resolves to the generated package.
 * - `--exportStart`: the module initialiser is exported, not a Wasm start function (the
 *   kernel refuses those); the build then calls it from `_start` and drops the export.
 * - `--use`: the standard library's host hooks go to the generated runtime.
 * - `-O3`, not size-first: every executed instruction is metered against the task's budget.
 * - Features: the compiler's defaults (mutable globals, sign extension, non-trapping
 *   float-to-int, bulk memory), all of which the integrator accepts.
 */
const ASC_FLAGS: readonly string[] = [
  '--outFile', OUT_FILE,
  '--path', ROOT_SDK,
  '--runtime', RUNTIME,
  '--exportStart', MODULE_INIT_EXPORT,
  ...Object.entries(AS_RUNTIME_ALIASES).flatMap(([hook, target]) => ['--use', `${hook}=${target}`]),
  '--optimizeLevel', '3',
  '--shrinkLevel', '0',
  '--noColors',
];

const WASM_PAGE = 65536;
const MAX_PAGES = 65536;

// ---------------------------------------------------------------------------------------
// The compiler, in a worker thread.

/** A diagnostic as asc's `reportDiagnostic` hook gives it (plain data, so it crosses threads). */
interface AscDiagnostic {
  code: number;
  category: number;
  message: string;
  range: { start: number; end: number; source: { normalizedPath: string } } | null;
  relatedRange: { start: number; end: number; source: { normalizedPath: string } } | null;
}

/** One compile, as sent to the worker. */
interface CompileJob {
  id: number;
  ascUrl: string;
  argv: string[];
  files: [string, string][];
  initExport: string;
  initPlaceholder: string;
  mainExport: string;
  mainPlaceholder: string;
  heapBaseGlobal: string;
}

/** What the worker answers. */
interface CompileOutcome {
  id: number;
  /** asc's own failure (`N compile error(s)`, a bad option), or null. */
  error: string | null;
  /** Set instead of everything else when the compiler threw. */
  crash?: string;
  outputs: [string, Uint8Array | string][];
  reports: AscDiagnostic[];
  stderr: string;
  /** First byte past the shadow stack, read from the module before optimisation. */
  heapBase: number | null;
  /** An internal inconsistency (a placeholder missing): a bug, not a user error. */
  problem: string | null;
  /** Set when main has another signature than () -> i32 / () -> (): a description of it. */
  mainSignature: string | null;
  /** Standard-library sources named by a diagnostic, for the excerpt. */
  library: Record<string, string>;
}

/**
 * The worker's program. asc and its Binaryen are ~30 MB of JavaScript: loaded in the main
 * thread of the CLI, which runs under tsx's module hooks, they take seconds to import; in
 * a worker they load natively in well under a second. The worker stays alive between builds
 * (one compiler load per process) and is unreferenced while idle so it never keeps the
 * process alive. Plain JavaScript in a string: the file itself may be running as
 * TypeScript, and a worker must not depend on that.
 *
 * The transform (asc calls `afterCompile` before optimising, so the optimiser then inlines
 * the calls it adds) does what the command line cannot: it fills the entry's two
 * placeholders (see AS_ENTRY_SOURCE) with direct calls to the module initialiser and to
 * `main`, after checking main's signature, removes the two exports that located them, and
 * reads the heap base so the build can size the memory. A class, because asc hands a
 * transform its Binaryen instance through the prototype.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const path = require('node:path');
let ascLoad;
parentPort.on('message', async (job) => {
  try {
    ascLoad ??= import(job.ascUrl).then((m) => m.default);
    const asc = await ascLoad;
    const tree = new Map(job.files);
    const outputs = [];
    const reports = [];
    let stderr = '';
    let heapBase = null;
    let problem = null;
    let mainSignature = null;
    class RampartTransform {
      afterCompile(module) {
        const b = this.binaryen;
        const init = module.getExport(job.initExport);
        if (init !== 0) {
          const initName = b.getExportInfo(init).value;
          module.removeExport(job.initExport);
          const placeholder = module.getFunction(job.initPlaceholder);
          if (placeholder === 0) problem = 'internal: ' + job.initPlaceholder + ' not found';
          else b.Function.setBody(placeholder, module.call(initName, [], b.none));
        }
        const main = module.getExport(job.mainExport);
        const mainPlaceholder = module.getFunction(job.mainPlaceholder);
        if (main === 0 || mainPlaceholder === 0) {
          problem = 'internal: main or ' + job.mainPlaceholder + ' not found';
        } else {
          const info = b.getFunctionInfo(module.getFunction(b.getExportInfo(main).value));
          module.removeExport(job.mainExport);
          const call = module.call(info.name, [], info.results);
          if (info.params !== b.none || (info.results !== b.none && info.results !== b.i32)) {
            mainSignature = (info.params === b.none ? 0 : b.expandType(info.params).length) + ' parameter(s), result ' +
              (info.results === b.none ? 'none' : info.results === b.i64 ? 'i64' : info.results === b.f32 ? 'f32' : info.results === b.f64 ? 'f64' : 'other');
          } else {
            b.Function.setBody(mainPlaceholder, info.results === b.none ? module.block(null, [call, module.i32.const(0)], b.i32) : call);
          }
        }
        const hb = module.getGlobal(job.heapBaseGlobal);
        if (hb !== 0) {
          const value = b.getExpressionInfo(b.getGlobalInfo(hb).init).value;
          if (typeof value === 'number') heapBase = value;
        }
      }
    }
    const key = (file, base) => path.posix.normalize(path.posix.join(base, file));
    const result = await asc.main(job.argv, {
      stdout: { write() {} },
      stderr: { write(chunk) { stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(); } },
      readFile: (file, base) => tree.get(key(file, base)) ?? null,
      writeFile: (file, contents, base) => { outputs.push([key(file, base), contents]); },
      listFiles: () => [],
      reportDiagnostic: (d) => { reports.push(d); },
      transforms: [RampartTransform],
    });
    const library = {};
    for (const d of reports) {
      for (const r of [d.range, d.relatedRange]) {
        const p = r && r.source.normalizedPath;
        if (p && p.startsWith('~lib/')) {
          const text = asc.libraryFiles[p.slice(5).replace(/\\.ts$/, '')];
          if (text !== undefined) library[p] = text;
        }
      }
    }
    parentPort.postMessage({
      id: job.id, error: result.error ? String(result.error.message) : null,
      outputs, reports, stderr, heapBase, problem, mainSignature, library,
    });
  } catch (e) {
    parentPort.postMessage({ id: job.id, crash: String((e && e.stack) || e) });
  }
});
`;

const requireHere = createRequire(import.meta.url);

function assemblyscriptVersion(): string {
  const pkg = JSON.parse(readFileSync(requireHere.resolve('assemblyscript/package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

let worker: Worker | undefined;
let nextJobId = 1;

/** Run one compile in the (lazily started) worker. Callers serialise; see `serialised`. */
function compileInWorker(job: Omit<CompileJob, 'id' | 'ascUrl'>): Promise<CompileOutcome> {
  const w = worker ??= new Worker(WORKER_SOURCE, { eval: true });
  const id = nextJobId++;
  // asc's package exports only allow `import`; its file is reached through the `./*` export.
  const ascUrl = pathToFileURL(requireHere.resolve('assemblyscript/dist/asc.js')).href;
  return new Promise<CompileOutcome>((resolve, reject) => {
    const cleanup = (): void => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      w.unref();
    };
    const onMessage = (outcome: CompileOutcome): void => {
      if (outcome.id !== id) return;
      cleanup();
      resolve(outcome);
    };
    const onError = (err: Error): void => {
      cleanup();
      worker = undefined;
      reject(err);
    };
    const onExit = (code: number): void => {
      cleanup();
      worker = undefined;
      reject(new Error(`AssemblyScript compiler worker exited with code ${code}`));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.ref();
    w.postMessage({ ...job, id, ascUrl } satisfies CompileJob);
  });
}

/** Serialises builds: one compile at a time in the one worker. */
let compileQueue: Promise<unknown> = Promise.resolve();

function serialised<T>(job: () => Promise<T>): Promise<T> {
  const run = compileQueue.then(job);
  compileQueue = run.catch(() => undefined);
  return run;
}

// ---------------------------------------------------------------------------------------
// Diagnostics.

const CATEGORY = ['pedantic', 'info', 'warning', 'error'] as const;
const CATEGORY_ERROR = 3;

/** 1-based line and column of `offset` in `text`, and the text of that line. */
function locate(text: string, offset: number): { line: number; column: number; lineText: string } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = text.indexOf('\n', offset);
  return { line, column: offset - lineStart + 1, lineText: text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd).replace(/\r$/, '') };
}

interface DiagnosticContext {
  /** Source text by compiler path (`assembly/index.ts`, `~lib/rampart/uapi.ts`, ...). */
  source(normalizedPath: string): string | undefined;
  /** The path the user knows for a compiler path. */
  display(normalizedPath: string): string;
}

/** One diagnostic in the shape of a C compiler's: `file:line:col: error TS2322: message`, then the line and a marker. */
function formatDiagnostic(d: AscDiagnostic, ctx: DiagnosticContext): string {
  const kind = CATEGORY[d.category] ?? 'error';
  const code = `${d.code < 1000 ? 'AS' : 'TS'}${d.code}`;
  const where = (range: NonNullable<AscDiagnostic['range']>): { head: string; excerpt: string[] } => {
    const file = ctx.display(range.source.normalizedPath);
    const text = ctx.source(range.source.normalizedPath);
    if (text === undefined) return { head: file, excerpt: [] };
    const at = locate(text, range.start);
    const width = Math.max(1, Math.min(range.end, range.start + at.lineText.length - at.column + 1) - range.start);
    const gutter = String(at.line).padStart(5);
    return {
      head: `${file}:${at.line}:${at.column}`,
      excerpt: [`${gutter} | ${at.lineText}`, `${' '.repeat(gutter.length)} | ${' '.repeat(at.column - 1)}^${'~'.repeat(width - 1)}`],
    };
  };
  const lines: string[] = [];
  if (d.range !== null) {
    const main = where(d.range);
    lines.push(`${main.head}: ${kind} ${code}: ${d.message}`, ...main.excerpt);
  } else {
    lines.push(`${kind} ${code}: ${d.message}`);
  }
  if (d.relatedRange !== null) {
    const related = where(d.relatedRange);
    lines.push(`${related.head}: note: related location`, ...related.excerpt);
  }
  return lines.join('\n');
}

/** Extra guidance for mistakes whose compiler message names generated code. */
function entryHint(d: AscDiagnostic): string | undefined {
  if (d.range?.source.normalizedPath !== AS_ENTRY_FILE) return undefined;
  return 'note: an AssemblyScript task exports `function main(): i32` (the exit status) or `function main(): void` from assembly/index.ts';
}

// ---------------------------------------------------------------------------------------
// Wasm binary: just enough reading to check the contract and to fix the memory limits.

class WasmReader {
  pos: number;
  constructor(readonly bytes: Uint8Array, pos = 0, readonly end = bytes.length) {
    this.pos = pos;
  }

  byte(): number {
    if (this.pos >= this.end) throw new Error('unexpected end of module');
    return this.bytes[this.pos++] ?? 0;
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 28) throw new Error('LEB128 too long');
    }
  }

  s32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while ((b & 0x80) !== 0 && shift < 35);
    return shift < 32 && (b & 0x40) !== 0 ? result | (-1 << shift) : result;
  }

  name(): string {
    const n = this.u32();
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  limits(): { initial: number; maximum: number | undefined; flags: number } {
    const flags = this.byte();
    const initial = this.u32();
    return { flags, initial, maximum: (flags & 1) !== 0 ? this.u32() : undefined };
  }
}

interface Section {
  readonly id: number;
  /** Offset of the section id byte. */
  readonly at: number;
  /** Payload range. */
  readonly start: number;
  readonly end: number;
}

function readSections(bytes: Uint8Array): Section[] {
  const r = new WasmReader(bytes, 8);
  const sections: Section[] = [];
  while (r.pos < bytes.length) {
    const at = r.pos;
    const id = r.byte();
    const size = r.u32();
    sections.push({ id, at, start: r.pos, end: r.pos + size });
    r.pos += size;
  }
  return sections;
}

/** The module with its (single, defined) memory set to `pages` initial and maximum. */
function setMemoryPages(bytes: Uint8Array, pages: number): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let found = false;
  for (const s of readSections(bytes)) {
    if (s.id === 5) {
      found = true;
      const payload = [1, 0x01, ...leb(pages), ...leb(pages)];
      parts.push(new Uint8Array([5, ...leb(payload.length), ...payload]));
    } else {
      parts.push(bytes.subarray(s.at, s.end));
    }
  }
  if (!found) throw new Error('module defines no memory');
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

interface ModuleFacts {
  imports: { module: string; name: string; kind: number; params?: number[]; results?: number[] }[];
  exports: Map<string, { kind: number; index: number }>;
  memory?: { initial: number; maximum: number | undefined; imported: boolean };
  /** Defined globals by global index: value type, mutability, i32.const initialiser when it is one. */
  globals: Map<number, { type: number; mutable: boolean; i32?: number }>;
  /** Function type (params, results) by function index. */
  funcTypes: Map<number, { params: number[]; results: number[] }>;
  hasStart: boolean;
}

const EXTERNAL_KIND = ['function', 'table', 'memory', 'global', 'tag'] as const;
const I32 = 0x7f;

function readModuleFacts(bytes: Uint8Array): ModuleFacts {
  const types: { params: number[]; results: number[] }[] = [];
  const facts: ModuleFacts = { imports: [], exports: new Map(), globals: new Map(), funcTypes: new Map(), hasStart: false };
  let funcIndex = 0;
  let globalIndex = 0;
  for (const s of readSections(bytes)) {
    const r = new WasmReader(bytes, s.start, s.end);
    switch (s.id) {
      case 1: {
        for (let n = r.u32(); n > 0; n--) {
          if (r.byte() !== 0x60) throw new Error('unsupported type form');
          const params = Array.from({ length: r.u32() }, () => r.byte());
          const results = Array.from({ length: r.u32() }, () => r.byte());
          types.push({ params, results });
        }
        break;
      }
      case 2: {
        for (let n = r.u32(); n > 0; n--) {
          const module = r.name();
          const name = r.name();
          const kind = r.byte();
          if (kind === 0) {
            const type = types[r.u32()];
            facts.imports.push({ module, name, kind, params: type?.params, results: type?.results });
            if (type !== undefined) facts.funcTypes.set(funcIndex, type);
            funcIndex++;
          } else {
            facts.imports.push({ module, name, kind });
            if (kind === 1) { r.byte(); r.limits(); } else if (kind === 2) { const l = r.limits(); facts.memory = { initial: l.initial, maximum: l.maximum, imported: true }; } else if (kind === 3) { r.byte(); r.byte(); globalIndex++; } else r.u32();
          }
        }
        break;
      }
      case 3: {
        for (let n = r.u32(); n > 0; n--) {
          const type = types[r.u32()];
          if (type !== undefined) facts.funcTypes.set(funcIndex, type);
          funcIndex++;
        }
        break;
      }
      case 5: {
        if (r.u32() > 0) { const l = r.limits(); facts.memory = { initial: l.initial, maximum: l.maximum, imported: false }; }
        break;
      }
      case 6: {
        for (let n = r.u32(); n > 0; n--) {
          const type = r.byte();
          const mutable = r.byte() === 1;
          const op = r.byte();
          let i32: number | undefined;
          if (op === 0x41) {
            const v = r.s32();
            if (r.byte() === 0x0b) i32 = v;
          }
          facts.globals.set(globalIndex++, { type, mutable, ...(i32 !== undefined ? { i32 } : {}) });
          // Skip the rest of a non-trivial initialiser: AssemblyScript only emits plain constants.
          if (i32 === undefined) { while (r.pos < r.end && r.byte() !== 0x0b) { /* skip */ } }
        }
        break;
      }
      case 7: {
        for (let n = r.u32(); n > 0; n--) {
          const name = r.name();
          const kind = r.byte();
          facts.exports.set(name, { kind, index: r.u32() });
        }
        break;
      }
      case 8:
        facts.hasStart = true;
        break;
      default:
        break;
    }
  }
  return facts;
}

/** What to use instead of a host import the standard library asked for. */
function hostImportHint(module: string, name: string): string {
  if (module === 'wasi_snapshot_preview1' || module === 'wasi') return 'WASI is not available to a task (no files, no process); use the rampart package';
  if (module === 'env' && name.startsWith('console.')) return 'console is not available; use println from "rampart"';
  if (module === 'env' && name.startsWith('Date.')) return 'Date is not available; use syscall.get_cycle(Precision.Milliseconds) and exchangeU64()';
  if (module === 'env' && name.startsWith('process.')) return 'process is not available; return the exit status from main or call syscall.exit';
  return 'only the rampart package\'s syscalls can be imported; declare nothing with @external';
}

/** Every way `wasm` breaks docs/task-abi.md; empty when it conforms. */
function contractProblems(wasm: Uint8Array, exchangeAreaLen: number): string[] {
  const problems: string[] = [];
  const facts = readModuleFacts(wasm);
  // Syscalls and the bus accesses (namespace bus); whether the task may import each is the integrator's check.
  const arity = new Map([...SYSCALLS.map((s) => [s.name, s.args.length] as const), ...BUS_IMPORTS.map((b) => [b.name, b.write ? 2 : 1] as const)]);
  for (const imp of facts.imports) {
    const what = `${imp.module}.${imp.name}`;
    if (imp.module !== SYSCALL_IMPORT_MODULE) {
      problems.push(`imports ${EXTERNAL_KIND[imp.kind] ?? 'item'} '${what}': ${hostImportHint(imp.module, imp.name)}`);
      continue;
    }
    const n = arity.get(imp.name);
    if (imp.kind !== 0 || n === undefined) { problems.push(`imports '${what}', which is not a syscall`); continue; }
    const params = imp.params ?? [];
    const results = imp.results ?? [];
    if (params.length !== n || params.some((t) => t !== I32) || results.length !== 1 || results[0] !== I32) {
      problems.push(`imports '${what}' with the wrong signature (expected ${n} i32 parameter(s) and an i32 result)`);
    }
  }
  const start = facts.exports.get('_start');
  const startType = start?.kind === 0 ? facts.funcTypes.get(start.index) : undefined;
  if (start?.kind !== 0) problems.push('does not export function _start');
  else if (startType === undefined || startType.params.length !== 2 || startType.params.some((t) => t !== I32) || startType.results.length !== 0) {
    problems.push('_start is not (i32, i32) -> ()');
  }
  if (facts.exports.get('memory')?.kind !== 2) problems.push('does not export its memory as memory');
  const memBytes = (facts.memory?.initial ?? 0) * WASM_PAGE;
  if (facts.memory === undefined || facts.memory.imported) problems.push('does not define its memory');
  else if (facts.memory.maximum !== facts.memory.initial) problems.push('memory maximum differs from its initial size');
  const exch = facts.exports.get('__svcexchange');
  const global = exch?.kind === 3 ? facts.globals.get(exch.index) : undefined;
  if (global === undefined) problems.push('does not export the global __svcexchange');
  else if (global.mutable || global.type !== I32 || global.i32 === undefined) problems.push('__svcexchange is not an immutable i32 constant');
  else if (global.i32 % 8 !== 0 || global.i32 < 0 || global.i32 + exchangeAreaLen > memBytes) {
    problems.push(`exchange area [${global.i32}, +${exchangeAreaLen}) is not an 8-aligned window of the ${memBytes}-byte memory`);
  }
  const extra = [...facts.exports.keys()].filter((name) => !['_start', 'memory', '__svcexchange'].includes(name));
  if (extra.length > 0) problems.push(`exports more than the contract: ${extra.join(', ')}`);
  if (facts.hasStart) problems.push('has a start function (it would run before the kernel controls the task)');
  return problems;
}

// ---------------------------------------------------------------------------------------
// Cache.

// ---------------------------------------------------------------------------------------
// The build.

/** Every `.ts` file under `dir`, as (relative posix path, text), sorted; hidden entries skipped. */
async function readSources(dir: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  const walk = async (abs: string, rel: string): Promise<void> => {
    const entries = await fs.readdir(abs, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) await walk(path.join(abs, entry.name), childRel);
      else if (entry.isFile() && entry.name.endsWith('.ts')) out.push([childRel, await fs.readFile(path.join(abs, entry.name), 'utf8')]);
    }
  };
  await walk(dir, '');
  return out;
}

function checkOptions(opts: AsBuildOptions): void {
  const fail = (why: string): never => {
    throw new BuildError(`${opts.appName}: ${why}`, opts.appName);
  };
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(opts.appName)) fail(`invalid app name '${opts.appName}'`);
  if (!Number.isInteger(opts.stackSize) || opts.stackSize < 1024 || opts.stackSize % 16 !== 0) {
    fail(`stackSize must be a multiple of 16, at least 1024, got ${opts.stackSize}`);
  }
  if (!Number.isInteger(opts.heapSize) || opts.heapSize < 0) fail(`heapSize must be a non-negative integer, got ${opts.heapSize}`);
}

/**
 * Build one AssemblyScript app into a task module.
 *
 * Compiles `<appDir>/assembly/index.ts` (and what it imports from `assembly/` and from the
 * generated `rampart` package) under the generated task entry, then fixes the memory size
 * and checks the module against docs/task-abi.md.
 *
 * @throws BuildError on a compile error (message = the compiler's diagnostics with real
 *   paths), a module that breaks the task contract (e.g. a host import), invalid options,
 *   or a missing `assembly/index.ts`.
 */
export async function buildAsApp(opts: AsBuildOptions): Promise<AsBuildResult> {
  checkOptions(opts);
  const appDir = path.resolve(opts.appDir);
  const srcDir = path.join(appDir, ROOT_APP);

  let sdk: Record<string, string>;
  try {
    sdk = generateAsSources({ exchangeAreaLen: opts.exchangeAreaLen });
  } catch (err) {
    throw new BuildError(`${opts.appName}: ${(err as Error).message}`, opts.appName);
  }

  let appSources: [string, string][];
  try {
    appSources = await readSources(srcDir);
  } catch {
    throw new BuildError(`${opts.appName}: no source directory ${displayPath(srcDir)}`, opts.appName);
  }
  if (!appSources.some(([rel]) => rel === 'index.ts')) {
    throw new BuildError(`${opts.appName}: no ${displayPath(path.join(srcDir, 'index.ts'))} (the task's entry, exporting main)`, opts.appName);
  }

  // The virtual tree, keyed by normalised posix path relative to the compiler's base directory.
  // The SDK folder's package and the task's modules join the generated package (same text
  // where they overlap); being in the tree, they are in the cache key.
  const tree = new Map<string, string>();
  for (const [rel, text] of Object.entries(sdk)) tree.set(`${ROOT_SDK}/${rel}`, text);
  for (const dir of [opts.sdkDir, opts.taskSdkDir]) {
    if (dir === undefined) continue;
    const packageRoot = path.join(path.resolve(dir), 'assemblyscript');
    let files: [string, string][];
    try {
      files = await readSources(packageRoot);
    } catch {
      throw new BuildError(`${opts.appName}: no AssemblyScript package in ${displayPath(packageRoot)}; generate the SDK again`, opts.appName);
    }
    for (const [rel, text] of files) tree.set(`${ROOT_SDK}/${rel}`, text);
  }
  for (const [rel, text] of appSources) tree.set(`${ROOT_APP}/${rel}`, text);
  tree.set(AS_ENTRY_FILE, AS_ENTRY_SOURCE);

  const argv = [AS_ENTRY_FILE, ...ASC_FLAGS, '--stackSize', String(opts.stackSize)];
  const toolchain = `AssemblyScript ${assemblyscriptVersion()} (runtime ${RUNTIME})`;
  const treeParts: string[] = [];
  for (const [rel, text] of [...tree].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) treeParts.push(rel, text);
  const key = sha256(CACHE_FORMAT, toolchain, argv.join('\0'), String(opts.heapSize), String(opts.exchangeAreaLen), opts.appName, ...treeParts);

  const cacheDir = opts.cacheDir === false ? undefined : path.join(path.resolve(opts.cacheDir ?? path.join(appDir, '..', '..', 'build', '.cache')), 'as');
  const cacheBase = cacheDir === undefined ? undefined : path.join(cacheDir, `${opts.appName}-${key.slice(0, 24)}`);
  if (cacheBase !== undefined) {
    const wasm = await readCache(`${cacheBase}.wasm`);
    const meta = await readCache(`${cacheBase}.json`);
    if (wasm !== undefined && meta !== undefined) {
      const { diagnostics } = JSON.parse(new TextDecoder().decode(meta)) as { diagnostics: string };
      return { wasm, toolchain, cached: true, diagnostics };
    }
  }

  const outcome = await serialised(() => compileInWorker({
    argv: [...argv],
    files: [...tree],
    initExport: MODULE_INIT_EXPORT,
    initPlaceholder: AS_MODULE_INIT_PLACEHOLDER,
    mainExport: AS_MAIN_EXPORT,
    mainPlaceholder: AS_MAIN_PLACEHOLDER,
    heapBaseGlobal: HEAP_BASE_GLOBAL,
  }));
  if (outcome.crash !== undefined) throw new Error(`the AssemblyScript compiler crashed:\n${outcome.crash}`);

  const appDisplay = displayPath(appDir);
  const ctx: DiagnosticContext = {
    source: (p) => (p.startsWith('~lib/') ? tree.get(`${ROOT_SDK}/${p.slice(5)}`) ?? outcome.library[p] : tree.get(p)),
    display: (p) => {
      if (p.startsWith(`${ROOT_APP}/`)) return `${appDisplay}/${p}`;
      if (p === AS_ENTRY_FILE) return '<generated task entry>';
      if (p.startsWith(`~lib/${AS_PACKAGE}/`)) return `<generated ${AS_PACKAGE} package>/${p.slice(`~lib/${AS_PACKAGE}/`.length)}`;
      return p;
    },
  };
  const { error, outputs, reports, stderr, heapBase, problem, mainSignature } = outcome;
  const formatted = reports.map((d) => {
    const hint = d.category === CATEGORY_ERROR ? entryHint(d) : undefined;
    return formatDiagnostic(d, ctx) + (hint !== undefined ? `\n${hint}` : '');
  });
  const errors = formatted.filter((_, i) => reports[i]?.category === CATEGORY_ERROR);
  const warnings = formatted.filter((_, i) => reports[i]?.category !== CATEGORY_ERROR).join('\n').trimEnd();
  if (error !== null || errors.length > 0) {
    // Errors without a diagnostic (a bad option, a compiler crash) only exist on stderr.
    const diagnostics = (errors.length > 0 ? formatted.join('\n') : stderr.replace(/^FAILURE /m, '').trim() || String(error)).trimEnd();
    throw new BuildError(`${opts.appName}: compilation failed\n${diagnostics}`, opts.appName, diagnostics);
  }
  if (problem !== null) throw new Error(problem);
  if (mainSignature !== null) {
    const diagnostics = `${appDisplay}/${ROOT_APP}/index.ts: error: main must take no parameters and return i32 (the exit status) or void; it has ${mainSignature}`;
    throw new BuildError(`${opts.appName}: compilation failed\n${diagnostics}`, opts.appName, diagnostics);
  }
  const emitted = outputs.find(([file]) => file === OUT_FILE)?.[1];
  if (!(emitted instanceof Uint8Array)) throw new Error('asc produced no module');

  // Fixed memory: shadow stack end (the heap base) + the configured heap, whole pages.
  const emittedFacts = readModuleFacts(emitted);
  const base = heapBase ?? (emittedFacts.memory?.initial ?? 1) * WASM_PAGE;
  const pages = Math.max(1, Math.ceil((base + opts.heapSize) / WASM_PAGE));
  if (pages > MAX_PAGES) throw new BuildError(`${opts.appName}: static data, stack and heap need ${pages} pages, more than a 32-bit memory holds`, opts.appName);
  const wasm = setMemoryPages(emitted, pages);

  const problems = contractProblems(wasm, opts.exchangeAreaLen);
  if (problems.length > 0) {
    const diagnostics = problems.map((p) => `${appDisplay}: error: module ${p}`).join('\n');
    throw new BuildError(`${opts.appName}: the module breaks the task contract (docs/task-abi.md)\n${diagnostics}`, opts.appName, diagnostics);
  }

  if (cacheBase !== undefined && cacheDir !== undefined) {
    await replaceCacheEntry(cacheBase, wasm, { toolchain, diagnostics: warnings });
  }
  return { wasm, toolchain, cached: false, diagnostics: warnings };
}
