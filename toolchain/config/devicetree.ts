/**
 * The board devicetree: `board.dts` in, the kernel's typed `Board` out (the build-time
 * ownership checks against the project's tasks are in board-rules.ts).
 *
 * Owns the pipeline cpp → dtc → DTB → `Board` and the Outpost derivation rules of spec
 * §6.2–§6.5 (active nodes, device ids, capabilities, SHM and DMA-stream tables), with the
 * Rampart rules on top: DMA priority is read from `prio` (A.34), `bkpsram` compatibles
 * need CAP_DEV_STORAGE, the console named by `/chosen/sentry,debug_stdout` is listed as a
 * kernel-owned device (owner 0) so the kernel can attach its model, and so is every enabled
 * DMA controller no task owns, whose channel lines the kernel takes for itself. A pin's GPIO
 * port is numbered by the port node's name (`gpioa` = 0), the rule the kernel attaches its
 * port models by (`gpioPortOfDevice`).
 *
 * Invariants:
 * - The real devicetree compiler does the language (includes, labels, overlays, syntax
 *   errors with file:line); this module only reads the compiled DTB, through the
 *   bounds-checked reader of `fdt.ts`. Every DTS is hostile input.
 * - `readBoard` either returns a complete `Board` or throws one `BoardError` listing every
 *   problem found, each naming the DTS file, the node path and the fix.
 * - Numbering is exactly the reference's: a device id is the node's index among *all*
 *   active nodes (so ids have gaps), an SHM id its index among SHM nodes, a stream id its
 *   index among labelled `dma-stream` nodes, all in depth-first source order.
 * - No address translation: Rampart boards keep `ranges;` empty, so a `reg` is the address.
 */

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Board, BoardDevice, BoardDmaStream, BoardIo, BoardShm, DeviceModelKind, DmaEndpoint } from '../../kernel/board.js';
import { gpioPortOfDevice } from '../../kernel/boot/board-check.js';
import { Cap } from '../abi/capabilities.js';
import { FdtError, cells, parseFdt, strings, walk, type FdtNode } from './fdt.js';
import { ownerAssignments } from './dts-owners.js';

export { generateTaskResourceHeaders } from './board-headers.js';
export { checkBoard, type BoardTask } from './board-rules.js';
export { ownerAssignments } from './dts-owners.js';

/** Every problem of a board description, one line each. */
export class BoardError extends Error {
  override readonly name = 'BoardError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** Options of `readBoard`. */
export interface ReadBoardOptions {
  /** Extra `-I` directories for `#include <...>`, searched after the SDK's `rampart/`. */
  readonly includeDirs?: readonly string[];
  /** Receives each dtc warning (file:line: text); warnings do not fail the read. */
  readonly onWarning?: (message: string) => void;
  /** Devicetree compiler command (default `dtc`). */
  readonly dtc?: string;
  /** C preprocessor command (default `cpp`). */
  readonly cpp?: string;
}

/** The SDK's board directory: `#include <rampart/NAME.dtsi>` resolves to `BOARDS_DIR/NAME.dtsi`. */
export const BOARDS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'sdk', 'boards');

/** Board sources larger than this are refused before cpp sees them. */
const MAX_DTS_BYTES = 1024 * 1024;
/** Preprocessed text and tool output caps. */
const MAX_PREPROCESSED_BYTES = 8 * 1024 * 1024;
const TOOL_TIMEOUT_MS = 60_000;
/** devinfo_t holds 8 interrupts and 8 pins; the generator keeps the first 8 (spec §6.3). */
const MAX_DEVICE_IRQS = 8;
const MAX_DEVICE_IOS = 8;

const INSTALL_DTC = 'install it with scripts/ensure-dtc.sh (or: apt-get install device-tree-compiler)';

// ---------------------------------------------------------------------------------------
// Capability and model rules
// ---------------------------------------------------------------------------------------

/**
 * Spec §6.3: the first rule with a word that is a substring of the node's compatible
 * strings gives the device capability. Rampart's `bkpsram` rule comes first so that no
 * vendor prefix can shadow it.
 */
const CAPABILITY_RULES: readonly { readonly words: readonly string[]; readonly cap: number }[] = [
  { words: ['bkpsram'], cap: Cap.DevStorage },
  { words: ['gpio', 'leds'], cap: Cap.DevIo },
  { words: ['usart', 'lpuart', 'ethernet', 'i2c', 'i2s', 'otgfs', 'otghs', 'ospi', 'qspi', 'spi', 'bxcan', 'fdcan', 'mipi-dsi', 'exti', 'ltdc'], cap: Cap.DevBuses },
  { words: ['dma', 'bdma', 'dmamux'], cap: Cap.DevDma },
  { words: ['adc', 'dac', 'pwm'], cap: Cap.DevAnalog },
  { words: ['timers', 'timer', 'lptim', 'rtc', 'watchdog'], cap: Cap.DevTimer },
  { words: ['flash', 'fmc', 'sdmmc'], cap: Cap.DevStorage },
  { words: ['aes', 'cryp', 'rng', 'syscfg'], cap: Cap.DevCrypto },
  { words: ['ucpd', 'rcc'], cap: Cap.DevPower },
];

/** The DEV capability a device with these `compatible` strings requires (0 = none). */
export function deviceCapability(compatible: string): number {
  for (const rule of CAPABILITY_RULES) {
    if (rule.words.some((w) => compatible.includes(w))) return rule.cap;
  }
  return 0;
}

/** Which emulated model serves a node with these `compatible` strings. */
export function deviceModelKind(compatible: readonly string[]): DeviceModelKind {
  const has = (word: string): boolean => compatible.some((c) => c.includes(word));
  if (has('gpio-leds')) return 'led';
  if (has('gpio-keys')) return 'button';
  if (has('bkpsram')) return 'bkpsram';
  if (has('usart') || has('uart')) return 'usart';
  if (has('stm32-gpio')) return 'gpio';
  if (has('timer')) return 'timer';
  if (has('rng')) return 'rng';
  if (has('adc')) return 'adc';
  if (has('stm32u5-dma')) return 'gpdma';
  return 'none';
}

// ---------------------------------------------------------------------------------------
// Running cpp and dtc
// ---------------------------------------------------------------------------------------

interface ToolRun {
  readonly missing: boolean;
  readonly code: number;
  readonly stderr: string;
}

function runTool(command: string, args: readonly string[]): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(command, [...args], { timeout: TOOL_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (error === null) { resolve({ missing: false, code: 0, stderr }); return; }
      const err = error as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
      if (err.code === 'ENOENT') { resolve({ missing: true, code: -1, stderr: '' }); return; }
      const timedOut = err.killed === true ? `${command} did not finish within ${TOOL_TIMEOUT_MS / 1000} s\n` : '';
      resolve({ missing: false, code: typeof err.code === 'number' ? err.code : 1, stderr: timedOut + stderr });
    });
  });
}

/** Rewrite temporary include paths in tool messages back to files the user can open. */
type PathMapper = (text: string) => string;

/**
 * cpp diagnostics → problems. With -fdiagnostics-plain-output they are
 * `file:line:col: error: text`; "compilation terminated." and notes are noise.
 */
function cppProblems(stderr: string, mapPaths: PathMapper, dtsFile: string): string[] {
  const out: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = mapPaths(raw.trim());
    const m = /^(.+?):(\d+):(\d+): (?:fatal error|error): (.*)$/.exec(line);
    if (m !== null) {
      const missing = /^(.*): No such file or directory$/.exec(m[4]!);
      const fix = missing !== null
        ? `; check the name (the SDK boards are included as <rampart/rampart-m4.dtsi>) or pass its folder in includeDirs`
        : '';
      out.push(`${m[1]}:${m[2]}:${m[3]}: ${m[4]}${fix}`);
    }
  }
  if (out.length === 0) out.push(`${dtsFile}: the C preprocessor failed: ${mapPaths(stderr.trim()) || 'no message'}`);
  return out;
}

/**
 * dtc diagnostics → `file:line:col: text`. dtc writes `Error: f:L.C-C text`,
 * `f:L.C-L.C: ERROR (check): /path: text` (followed by `also defined at f:L.C-C` lines)
 * and `f:L.C-C: Warning (check): /path: text`; the final "FATAL ERROR"/"ERROR: Input
 * tree has errors" lines only repeat that it failed.
 */
function dtcMessages(stderr: string, mapPaths: PathMapper): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  let last: string[] | undefined;
  const loc = (file: string, line: string, col: string): string => `${file}:${line}:${col}`;
  for (const raw of stderr.split('\n')) {
    const line = mapPaths(raw.trim());
    if (line === '') continue;
    let m = /^Error: (.+?):(\d+)\.(\d+)(?:-[\d.]+)? (.*)$/.exec(line);
    if (m !== null) {
      errors.push(`${loc(m[1]!, m[2]!, m[3]!)}: ${dtcFix(m[4]!)}`);
      last = errors;
      continue;
    }
    m = /^(.+?):(\d+)\.(\d+)(?:-[\d.]+)?: (ERROR|Warning) \(([\w-]+)\): (.*)$/.exec(line);
    if (m !== null) {
      const text = `${loc(m[1]!, m[2]!, m[3]!)}: ${dtcFix(m[6]!)} (dtc check ${m[5]})`;
      last = m[4] === 'ERROR' ? errors : warnings;
      last.push(text);
      continue;
    }
    m = /^also defined at (.+?):(\d+)\.(\d+)/.exec(line);
    if (m !== null && last !== undefined && last.length > 0) {
      last[last.length - 1] += `; also defined at ${loc(m[1]!, m[2]!, m[3]!)}`;
      continue;
    }
    if (/^(FATAL ERROR|ERROR): /.test(line)) {
      // Keep it only when nothing more precise was said (e.g. "Couldn't open").
      if (errors.length === 0) errors.push(line.replace(/^(FATAL ERROR|ERROR): /, 'dtc: '));
      continue;
    }
    if (/^(Warning|Error)/.test(line)) (line.startsWith('Error') ? errors : warnings).push(line);
  }
  return { errors, warnings };
}

/** Append the usual remedy to dtc's terse messages. */
function dtcFix(text: string): string {
  if (/^syntax error$/.test(text)) return 'syntax error (look for a missing ";" or "}" on this line or the one before)';
  const label = /^Label or path (\S+) not found$/.exec(text);
  if (label !== null) return `label or path ${label[1]} not found; check its spelling and that the file defining it (e.g. <rampart/rampart-m4.dtsi>) is included first`;
  const ref = /^Reference to non-existent node or label "(.*)"$/.exec(text);
  if (ref !== null) return `reference to non-existent node or label "${ref[1]}"; check its spelling and that the file defining it is included`;
  return text;
}

// ---------------------------------------------------------------------------------------
// readBoard
// ---------------------------------------------------------------------------------------

/**
 * Read a project's board devicetree into the kernel's `Board`.
 *
 * `board.dts` may `#include <rampart/rampart-m4.dtsi>` (the SDK boards) and anything under
 * `options.includeDirs`. The file is preprocessed with `cpp`, compiled with `dtc -@` (so
 * labels survive in `__symbols__`), and the DTB is read per spec §6.2–§6.5.
 *
 * @throws BoardError listing every problem: a missing `dtc`, preprocessor and dtc errors
 *   (with file:line), and every semantic problem (node path and fix).
 */
export async function readBoard(dtsFile: string, options: ReadBoardOptions = {}): Promise<Board> {
  let size: number;
  try {
    const st = await stat(dtsFile);
    if (!st.isFile()) throw new BoardError([`${dtsFile}: not a file; a project's board description is its board.dts`]);
    size = st.size;
  } catch (error) {
    if (error instanceof BoardError) throw error;
    throw new BoardError([`${dtsFile}: cannot read: ${(error as Error).message}`]);
  }
  if (size > MAX_DTS_BYTES) throw new BoardError([`${dtsFile}: ${size} bytes; a board description over ${MAX_DTS_BYTES} bytes is refused`]);

  const tmp = await mkdtemp(path.join(tmpdir(), 'rampart-dt-'));
  try {
    const inc = path.join(tmp, 'inc');
    await mkdir(inc);
    // `<rampart/X>` must resolve to BOARDS_DIR/X, whose parent is not named `rampart`: a
    // private include root with one symlink gives cpp exactly that name space.
    await symlink(BOARDS_DIR, path.join(inc, 'rampart'), 'dir');
    const pre = path.join(tmp, 'board.pre.dts');
    const dtb = path.join(tmp, 'board.dtb');
    const boardsShown = displayPath(BOARDS_DIR);
    const mapPaths: PathMapper = (text) =>
      text.split(`${path.join(inc, 'rampart')}/`).join(`${boardsShown}/`).split(pre).join(dtsFile);

    const cppCommand = options.cpp ?? 'cpp';
    const cppArgs = ['-nostdinc', '-undef', '-x', 'assembler-with-cpp', '-fdiagnostics-plain-output', '-D__DTS__', '-I', inc];
    for (const dir of options.includeDirs ?? []) cppArgs.push('-I', dir);
    // A file name starting with '-' must not read as an option.
    const input = dtsFile.startsWith('-') ? `./${dtsFile}` : dtsFile;
    const cpp = await runTool(cppCommand, [...cppArgs, input, '-o', pre]);
    if (cpp.missing) throw new BoardError([`${dtsFile}: the C preprocessor '${cppCommand}' is not installed; apt-get install cpp`]);
    if (cpp.code !== 0) throw new BoardError(cppProblems(cpp.stderr, mapPaths, dtsFile));
    const preText = await readFile(pre, 'utf8');
    if (preText.length > MAX_PREPROCESSED_BYTES) throw new BoardError([`${dtsFile}: preprocesses to ${preText.length} bytes; more than ${MAX_PREPROCESSED_BYTES} is refused`]);

    const dtcCommand = options.dtc ?? 'dtc';
    const dtc = await runTool(dtcCommand, ['-@', '-I', 'dts', '-O', 'dtb', '-o', dtb, pre]);
    if (dtc.missing) throw new BoardError([`${dtsFile}: the devicetree compiler '${dtcCommand}' is not installed; ${INSTALL_DTC}`]);
    const messages = dtcMessages(dtc.stderr, mapPaths);
    if (dtc.code !== 0) throw new BoardError(messages.errors.length > 0 ? messages.errors : [`${dtsFile}: dtc failed with no message`]);
    for (const w of messages.warnings) options.onWarning?.(w);

    let root: FdtNode;
    try {
      root = parseFdt(new Uint8Array(await readFile(dtb)));
    } catch (error) {
      if (error instanceof FdtError) throw new BoardError([`${dtsFile}: dtc produced a DTB this reader refuses: ${error.message}`]);
      throw error;
    }
    const reader = new BoardReader(dtsFile, root);
    const board = reader.board(preText, mapPaths);
    if (reader.problems.length > 0) throw new BoardError(reader.problems);
    return deepFreeze(board);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * {@link readBoard} of a devicetree source held in memory (tests, benchmarks): written as
 * `board.dts` into a temporary folder, read, and the folder removed. Errors name that
 * temporary file.
 */
export async function readBoardSource(dts: string, options: ReadBoardOptions = {}): Promise<Board> {
  const dir = await mkdtemp(path.join(tmpdir(), 'rampart-board-'));
  try {
    const file = path.join(dir, 'board.dts');
    await writeFile(file, dts);
    return await readBoard(file, options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A path relative to the working directory when it lies inside it, else absolute. */
function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const hex8 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** One `reg` entry. */
interface Reg { readonly base: number; readonly size: number }

/** Nodes the compiler adds for overlays; not part of the board. */
const META_NODES = new Set(['/__symbols__', '/__fixups__', '/__local_fixups__']);

/**
 * Derivation of a `Board` from a compiled tree. Collects problems instead of throwing so
 * that one run reports everything.
 */
class BoardReader {
  readonly problems: string[] = [];
  private readonly nodes: FdtNode[];
  private readonly byPhandle = new Map<number, FdtNode>();
  private readonly labelOf = new Map<string, string>();
  private readonly symbols = new Map<string, string>();
  private readonly active: FdtNode[];
  private readonly activeIndex = new Map<FdtNode, number>();
  private readonly owners = new Map<FdtNode, number>();
  private readonly compatibles = new Map<FdtNode, string[]>();

  constructor(private readonly file: string, private readonly root: FdtNode) {
    this.nodes = [...walk(root)].filter((n) => ![...META_NODES].some((m) => n.path === m || n.path.startsWith(`${m}/`)));
    for (const node of this.nodes) {
      const ph = node.props.get('phandle') ?? node.props.get('linux,phandle');
      if (ph === undefined) continue;
      const c = cells(ph);
      if (c?.length === 1 && c[0] !== 0 && c[0] !== 0xffffffff) this.byPhandle.set(c[0]!, node);
    }
    const sym = root.children.find((c) => c.name === '__symbols__');
    for (const [label, value] of sym?.props ?? []) {
      const target = strings(value)?.[0];
      if (target === undefined) continue;
      this.symbols.set(label, target);
      if (!this.labelOf.has(target)) this.labelOf.set(target, label);
    }
    for (const node of this.nodes) {
      if (node.props.has('outpost,owner')) this.owners.set(node, this.readOwner(node));
      if (node.props.has('compatible')) {
        const compat = this.stringList(node, 'compatible');
        if (compat !== undefined) this.compatibles.set(node, compat);
      }
    }
    this.active = this.nodes.filter((n) => this.isActive(n));
    this.active.forEach((n, i) => this.activeIndex.set(n, i));
  }

  private problem(node: FdtNode | string, text: string): void {
    this.problems.push(`${this.file}: ${typeof node === 'string' ? node : node.path}: ${text}`);
  }

  private name(node: FdtNode): string {
    return this.labelOf.get(node.path) ?? node.name;
  }

  private stringList(node: FdtNode, prop: string): string[] | undefined {
    const v = node.props.get(prop);
    if (v === undefined) return undefined;
    const s = strings(v);
    if (s === undefined) this.problem(node, `${prop} must be a string (or a list of strings), e.g. ${prop} = "text";`);
    return s;
  }

  private string(node: FdtNode, prop: string): string | undefined {
    const s = this.stringList(node, prop);
    if (s === undefined) return undefined;
    if (s.length !== 1) { this.problem(node, `${prop} must be one string, not ${s.length}`); return undefined; }
    return s[0];
  }

  /** A one-cell property; a problem if present with another shape. */
  private u32(node: FdtNode, prop: string, what = 'one 32-bit cell'): number | undefined {
    const v = node.props.get(prop);
    if (v === undefined) return undefined;
    const c = cells(v);
    if (c === undefined || c.length !== 1) {
      this.problem(node, `${prop} must be ${what}, e.g. ${prop} = <0x1000>;`);
      return undefined;
    }
    return c[0];
  }

  /** `compatible` strings (validated once; a malformed one counts as absent). */
  private compatible(node: FdtNode): string[] | undefined {
    return this.compatibles.get(node);
  }

  /**
   * Spec §6.2: `status = "okay"` and a compatible that is not "clock" (Python's `in`: a
   * substring test on a single string, an element test on a list). A node without
   * `compatible` describes no device and is never active.
   */
  private isActive(node: FdtNode): boolean {
    const statusRaw = node.props.get('status');
    if (statusRaw === undefined) return false;
    const status = strings(statusRaw);
    if (status?.length !== 1) { this.problem(node, 'status must be "okay" or "disabled"'); return false; }
    if (status[0] !== 'okay') return false;
    const compat = this.compatible(node);
    if (compat === undefined || compat.length === 0) return false;
    return compat.length === 1 ? !compat[0]!.includes('clock') : !compat.includes('clock');
  }

  /** Owner label (validated once, in the constructor); absent or refused = 0. */
  private owner(node: FdtNode): number {
    return this.owners.get(node) ?? 0;
  }

  /** Validate `outpost,owner`: one cell, non-zero (spec §6.2: an explicit 0 is refused). */
  private readOwner(node: FdtNode): number {
    const c = cells(node.props.get('outpost,owner')!);
    if (c === undefined || c.length === 0) {
      this.problem(node, 'outpost,owner must be one task label, e.g. outpost,owner = <0x1000>;');
      return 0;
    }
    if (c.length > 1) {
      this.problem(node, `outpost,owner names ${c.length} owners (${c.map(hex).join(', ')}); a node has exactly one owner: keep one label`);
      return 0;
    }
    if (c[0] === 0) {
      this.problem(node, 'outpost,owner = <0> is refused (0 is the kernel); delete the property to leave the node to the kernel, or name a task label');
      return 0;
    }
    return c[0]!;
  }

  private phandleTarget(node: FdtNode, prop: string, value: number | undefined): FdtNode | undefined {
    if (value === undefined) return undefined;
    const target = this.byPhandle.get(value);
    if (target === undefined) this.problem(node, `${prop} refers to phandle ${hex(value)}, which is no node; use a label reference, e.g. ${prop} = <&label>;`);
    return target;
  }

  /** `#address-cells`/`#size-cells` of `parent` (spec defaults 2 and 1). */
  private cellCounts(parent: FdtNode): { ac: number; sc: number } | undefined {
    const read = (prop: string, dflt: number): number | undefined => {
      const v = parent.props.get(prop);
      if (v === undefined) return dflt;
      const c = cells(v);
      return c?.length === 1 && c[0]! <= 2 ? c[0] : undefined;
    };
    const ac = read('#address-cells', 2);
    const sc = read('#size-cells', 1);
    if (ac === undefined || sc === undefined || ac === 0) {
      this.problem(parent, '#address-cells must be 1 or 2 and #size-cells 0..2 (Rampart buses are 32-bit)');
      return undefined;
    }
    return { ac, sc };
  }

  /** `reg` entries as 32-bit base/size; 64-bit values beyond 4 GiB are problems. */
  private regs(node: FdtNode): Reg[] | undefined {
    const v = node.props.get('reg');
    if (v === undefined || node.parent === undefined) return undefined;
    const counts = this.cellCounts(node.parent);
    if (counts === undefined) return undefined;
    const { ac, sc } = counts;
    const c = cells(v);
    const per = ac + sc;
    if (c === undefined || c.length === 0 || c.length % per !== 0) {
      this.problem(node, `reg must be <address size> pairs of ${ac}+${sc} cell(s) (the parent's #address-cells/#size-cells)`);
      return undefined;
    }
    const out: Reg[] = [];
    for (let i = 0; i < c.length; i += per) {
      const num = (from: number, n: number): number | undefined => {
        if (n === 0) return 0;
        if (n === 2 && c[from] !== 0) return undefined;
        return c[from + n - 1]!;
      };
      const base = num(i, ac);
      const size = num(i + ac, sc);
      if (base === undefined || size === undefined || base + size > 0x1_0000_0000) {
        this.problem(node, 'reg lies beyond the 32-bit address space; Rampart boards are 32-bit');
        return undefined;
      }
      out.push({ base, size });
    }
    return out;
  }

  /** First cell of each `interrupts` specifier (cells per specifier from the interrupt parent). */
  private irqs(node: FdtNode): number[] {
    const v = node.props.get('interrupts');
    if (v === undefined) return [];
    let perIrq = 1;
    for (let n: FdtNode | undefined = node; n !== undefined; n = n.parent) {
      const parentRef = n.props.get('interrupt-parent');
      if (parentRef === undefined) continue;
      const c = cells(parentRef);
      const controller = c?.length === 1 ? this.byPhandle.get(c[0]!) : undefined;
      const ic = controller?.props.get('#interrupt-cells');
      const icc = ic === undefined ? undefined : cells(ic);
      if (icc?.length === 1 && icc[0]! >= 1 && icc[0]! <= 4) perIrq = icc[0]!;
      break;
    }
    const c = cells(v);
    if (c === undefined || c.length === 0 || c.length % perIrq !== 0) {
      this.problem(node, `interrupts must be a list of ${perIrq}-cell specifiers, e.g. interrupts = <38>;`);
      return [];
    }
    const out: number[] = [];
    for (let i = 0; i < c.length && out.length < MAX_DEVICE_IRQS; i += perIrq) {
      const irq = c[i]!;
      if (irq > 0xffff) { this.problem(node, `interrupt ${irq} does not fit it_info_t.it_num (16 bits)`); return []; }
      out.push(irq);
    }
    return out;
  }

  /**
   * `pinctrl-0` → io_info_t entries. The port is numbered by the kernel's rule, the port
   * node's name (`gpioa` = 0, `gpiob` = 1, ...; `gpioPortOfDevice`), not by its position
   * among the enabled ports: the kernel attaches each port model by name, so disabling
   * gpioa must not move gpiob's pins to port 0.
   */
  private ios(node: FdtNode, gpioPorts: readonly FdtNode[]): BoardIo[] {
    const v = node.props.get('pinctrl-0');
    if (v === undefined) return [];
    const refs = cells(v);
    if (refs === undefined) { this.problem(node, 'pinctrl-0 must be a list of pin references, e.g. pinctrl-0 = <&led0_pa5>;'); return []; }
    const out: BoardIo[] = [];
    for (const ref of refs.slice(0, MAX_DEVICE_IOS)) {
      const pin = this.phandleTarget(node, 'pinctrl-0', ref);
      if (pin === undefined) continue;
      const mux = pin.props.get('pinmux');
      const m = mux === undefined ? undefined : cells(mux);
      if (m?.length !== 3) {
        this.problem(pin, 'pinmux must be <&gpioX PIN MODE>, e.g. pinmux = <&gpioa 5 RAMPART_PIN_MODE_OUTPUT>;');
        continue;
      }
      const bank = this.phandleTarget(pin, 'pinmux', m[0]);
      if (bank === undefined) continue;
      if (!gpioPorts.includes(bank)) {
        this.problem(pin, `pinmux uses ${bank.path}, which is not an enabled st,stm32-gpio port; set status = "okay" on it`);
        continue;
      }
      const port = gpioPortOfDevice({ model: 'gpio', name: this.name(bank) });
      if (port === undefined) {
        this.problem(pin, `pinmux uses ${bank.path} (named ${this.name(bank)}), but the kernel knows a GPIO port by its label, gpioa for port 0 .. gpiok for port 10; label the port node accordingly`);
        continue;
      }
      const pinNo = m[1]!;
      const mode = m[2]! & 0xff;
      const af = (m[2]! >>> 8) & 0xff;
      if (pinNo > 15 || mode > 3 || af > 15 || m[2]! > 0xffff) {
        this.problem(pin, `pinmux <${hex(m[1]!)} ${hex(m[2]!)}> is out of range: pin 0..15, mode 0..3 (RAMPART_PIN_MODE_*), alternate function 0..15 (RAMPART_PIN_AF(n))`);
        continue;
      }
      let ppull = 0, speed = 0, pupdr = 0;
      const cfgRaw = pin.props.get('pincfg');
      if (cfgRaw !== undefined) {
        const cfg = cells(cfgRaw);
        if (cfg?.length !== 3 || cfg[0]! > 1 || cfg[1]! > 3 || cfg[2]! > 2) {
          this.problem(pin, 'pincfg must be <OTYPE SPEED PULL> with OTYPE 0..1, SPEED 0..3, PULL 0..2 (the RAMPART_PIN_* macros)');
          continue;
        }
        [ppull, speed, pupdr] = cfg as [number, number, number];
      }
      out.push({ port, pin: pinNo, mode, af, ppull, speed, pupdr });
    }
    return out;
  }

  /** The node `/chosen/sentry,debug_stdout` names, if any. */
  private console(): FdtNode | undefined {
    const chosen = this.root.children.find((c) => c.name === 'chosen');
    if (chosen === undefined) return undefined;
    const ref = this.u32(chosen, 'sentry,debug_stdout', 'one reference, e.g. <&usart1>');
    return this.phandleTarget(chosen, 'sentry,debug_stdout', ref);
  }

  /**
   * The DMA controllers the kernel keeps: enabled, served by the gpdma model, with no
   * `outpost,owner`. A stream's `controller` is its index here, and `devices` lists them
   * (owner 0) in the same order, which is the list `kernelDmaControllers` gives back.
   */
  private kernelDmaControllerNodes(): FdtNode[] {
    return this.active.filter((n) => deviceModelKind(this.compatible(n) ?? []) === 'gpdma' && !n.props.has('outpost,owner'));
  }

  private devices(): BoardDevice[] {
    const consoleNode = this.console();
    const gpioPorts = this.active.filter((n) => this.compatible(n)?.includes('st,stm32-gpio'));
    // The kernel's own devices: the console, and the DMA controllers it drives (their
    // channel lines are the kernel's, and the ownership checks must see them).
    const kernelNodes = new Set(this.kernelDmaControllerNodes());
    if (consoleNode !== undefined) kernelNodes.add(consoleNode);
    const out: BoardDevice[] = [];
    this.active.forEach((node, id) => {
      const owner = this.owner(node);
      if (owner === 0 && !kernelNodes.has(node)) return;
      if (id > 0xff) {
        this.problem(node, `device id ${id} does not fit the 8 bits get_device_handle takes; disable some of the ${id} enabled nodes before it`);
        return;
      }
      const compat = this.compatible(node) ?? [];
      const joined = compat.join(' ');
      const reg = this.regs(node)?.[0] ?? { base: 0, size: 0 };
      out.push({
        id,
        name: this.name(node),
        path: node.path,
        compatible: joined,
        owner,
        baseAddress: reg.base,
        size: reg.size,
        irqs: this.irqs(node),
        ios: this.ios(node, gpioPorts),
        capability: deviceCapability(joined),
        model: deviceModelKind(compat),
      });
    });
    // Nodes that are not active but carry an owner: the owner is checked but the node is no
    // device, which is almost always a forgotten status = "okay".
    for (const node of this.nodes) {
      if (this.activeIndex.has(node) || this.owner(node) === 0) continue;
      if (node.props.has('outpost,shm') || node.name.startsWith('dma-channel@')) continue;
      const status = node.props.get('status') === undefined ? undefined : strings(node.props.get('status')!)?.[0];
      if (status !== 'okay') this.problem(node, `has outpost,owner but is not enabled (status is ${status === undefined ? 'missing' : `"${status}"`}); add status = "okay";`);
      else this.problem(node, 'has outpost,owner but no compatible, so it is no device; add the compatible of its model');
    }
    return out;
  }

  private shms(): { shms: BoardShm[]; byNode: Map<FdtNode, number> } {
    // The window SHMs must lie in: `rampart,shm-range = <base size>` on a reserved-memory
    // node, read with that node's own cell counts (its children's address space).
    const pools: { node: FdtNode; reg: Reg }[] = [];
    for (const node of this.nodes) {
      const range = node.props.get('rampart,shm-range');
      if (range === undefined) continue;
      const counts = this.cellCounts(node);
      const c = cells(range);
      if (counts === undefined || c === undefined || counts.ac !== 1 || counts.sc !== 1 || c.length !== 2 || c[0]! + c[1]! > 0x1_0000_0000 || c[1] === 0) {
        this.problem(node, 'rampart,shm-range must be <base size> (one cell each, #address-cells = #size-cells = 1) inside the 32-bit space');
        continue;
      }
      pools.push({ node, reg: { base: c[0]!, size: c[1]! } });
    }
    const shms: BoardShm[] = [];
    const byNode = new Map<FdtNode, number>();
    for (const node of this.nodes) {
      if (!node.props.has('outpost,shm')) continue;
      const reg = this.regs(node)?.[0];
      if (reg === undefined || reg.base === 0 || reg.size === 0) {
        this.problem(node, 'has outpost,shm but no reg with a non-zero base and size; write reg = <base size>; inside the shared-memory range');
        continue;
      }
      const label = this.u32(node, 'outpost,label');
      if (label === undefined && !node.props.has('outpost,label')) this.problem(node, 'a shared memory needs outpost,label = <N>; (the value get_shm_handle takes)');
      const owner = this.owner(node);
      if (owner === 0 && !node.props.has('outpost,owner')) this.problem(node, 'a shared memory needs outpost,owner = <task label>;');
      const end = reg.base + reg.size;
      if (pools.length === 0) {
        this.problem(node, 'the board declares no shared-memory range (rampart,shm-range on /reserved-memory); include <rampart/rampart-m4.dtsi>');
      } else if (!pools.some((p) => reg.base >= p.reg.base && end <= p.reg.base + p.reg.size)) {
        const ranges = pools.map((p) => `${hex8(p.reg.base)}..${hex8(p.reg.base + p.reg.size)} (rampart,shm-range of ${p.node.path})`).join(', ');
        this.problem(node, `reg ${hex8(reg.base)}..${hex8(end)} lies outside the shared-memory range ${ranges}; move it inside`);
      }
      byNode.set(node, shms.length);
      shms.push({
        id: shms.length,
        path: node.path,
        label: label ?? 0,
        owner,
        baseAddress: reg.base,
        size: reg.size,
        dmaPool: node.props.has('dma-pool'),
        noMap: node.props.has('outpost,no-map'),
      });
    }
    return { shms, byNode };
  }

  private endpoint(stream: FdtNode, prop: 'source' | 'dest', shmByNode: ReadonlyMap<FdtNode, number>): DmaEndpoint | undefined {
    if (!stream.props.has(prop)) { this.problem(stream, `a DMA stream needs ${prop} = <&shm_or_device>;`); return undefined; }
    const target = this.phandleTarget(stream, prop, this.u32(stream, prop, 'one reference, e.g. <&label>'));
    if (target === undefined) return undefined;
    if (target.props.has('outpost,shm')) {
      const id = shmByNode.get(target);
      return id === undefined ? undefined : { kind: 'shm', id };
    }
    const id = this.activeIndex.get(target);
    if (id === undefined) {
      this.problem(stream, `${prop} ${target.path} is neither a shared memory (outpost,shm) nor an enabled device (status = "okay")`);
      return undefined;
    }
    return { kind: 'device', id };
  }

  private dmaStreams(shmByNode: ReadonlyMap<FdtNode, number>): BoardDmaStream[] {
    const controllers = this.kernelDmaControllerNodes();
    const out: BoardDmaStream[] = [];
    for (const node of this.nodes) {
      if (!this.compatible(node)?.includes('dma-stream')) continue;
      // Spec §6.5: a stream without outpost,label is not a stream.
      if (!node.props.has('outpost,label')) continue;
      const label = this.u32(node, 'outpost,label');
      const channelNode = this.phandleTarget(node, 'channel', this.u32(node, 'channel', 'one reference, e.g. <&gpdma1_ch0>'));
      if (!node.props.has('channel')) this.problem(node, 'a DMA stream needs channel = <&gpdma1_chN>;');
      let channel = 0, controller = 0, owner = 0;
      let channelOk = false;
      if (channelNode !== undefined) {
        const m = /^dma-channel@([0-9a-fA-F]{1,4})$/.exec(channelNode.name);
        const parent = channelNode.parent;
        if (m === null || parent === undefined || !(this.compatible(parent) ?? []).some((c) => c.includes('stm32u5-dma'))) {
          this.problem(node, `channel ${channelNode.path} is not a dma-channel@N child of an st,stm32u5-dma controller`);
        } else {
          channel = parseInt(m[1]!, 16);
          controller = controllers.indexOf(parent);
          channelOk = true;
          if (controller < 0) {
            this.problem(node, `controller ${parent.path} of its channel must be enabled (status = "okay") and kernel-owned (no outpost,owner)`);
            controller = 0;
          }
          const status = channelNode.props.get('status') === undefined ? undefined : strings(channelNode.props.get('status')!)?.[0];
          if (status !== 'okay') this.problem(channelNode, 'the channel of a DMA stream must be enabled; add status = "okay";');
          owner = this.owner(channelNode);
          if (owner === 0 && !channelNode.props.has('outpost,owner')) this.problem(channelNode, 'the channel of a DMA stream needs outpost,owner = <task label>; (the stream\'s owner)');
        }
      }
      const source = this.endpoint(node, 'source', shmByNode);
      const dest = this.endpoint(node, 'dest', shmByNode);
      const streamId = this.u32(node, 'streamid') ?? 0;
      if (streamId > 0xffff) this.problem(node, `streamid ${streamId} does not fit 16 bits`);
      const length = this.u32(node, 'length') ?? 0;
      let circularSource = false, circularDest = false;
      const circ = node.props.get('circular');
      if (circ !== undefined) {
        const c = cells(circ);
        if (c?.length !== 2 || c[0]! > 1 || c[1]! > 1) this.problem(node, 'circular must be <SRC DST>, each 0 or 1');
        else { circularSource = c[0] === 1; circularDest = c[1] === 1; }
      }
      // A.34: the documented property is `prio`; `priority` (what the reference reads) is
      // accepted too so that both spellings of existing boards work.
      const prio = this.u32(node, 'prio') ?? this.u32(node, 'priority') ?? 1;
      if (prio > 3) this.problem(node, `prio ${prio} is out of range 0..3 (RAMPART_DMA_PRIO_LOW..RAMPART_DMA_PRIO_VERY_HIGH)`);
      if (!channelOk || source === undefined || dest === undefined || label === undefined) continue;
      out.push({
        id: out.length,
        path: node.path,
        label,
        owner,
        channel,
        controller,
        streamId,
        source,
        dest,
        length,
        circularSource,
        circularDest,
        priority: prio,
      });
    }
    return out;
  }

  private ramSize(): number {
    let total = 0;
    for (const node of this.nodes) {
      if (this.string(node, 'device_type') !== 'memory') continue;
      for (const r of this.regs(node) ?? []) total += r.size;
    }
    if (total > 0xffffffff) { this.problem('/', `memory nodes add up to ${total} bytes; at most 4 GiB`); return 0; }
    return total;
  }

  /** Report nodes whose outpost,owner is assigned more than once in the source. */
  private doubleClaims(preText: string, mapPaths: (text: string) => string): void {
    const paths = new Set(this.nodes.map((n) => n.path));
    for (const [nodePath, claims] of ownerAssignments(preText, this.symbols)) {
      if (claims.length < 2 || !paths.has(nodePath)) continue;
      const where = claims.map((c) => `${mapPaths(c.file)}:${c.line} sets ${c.value}`).join(', ');
      this.problem(nodePath, `outpost,owner is assigned ${claims.length} times (${where}); a node has one owner: keep one assignment`);
    }
  }

  /** The board; `preText` is the preprocessed source, `mapPaths` shows its file names. */
  board(preText: string, mapPaths: (text: string) => string): Board {
    const model = this.string(this.root, 'model') ?? 'unnamed';
    const devices = this.devices();
    const { shms, byNode } = this.shms();
    const dmaStreams = this.dmaStreams(byNode);
    const ramSize = this.ramSize();
    this.doubleClaims(preText, mapPaths);
    return { model, ramSize, devices, shms, dmaStreams };
  }
}
