/**
 * Kconfig fragments (`prj.conf`, `task.conf`): strict reading into typed configuration.
 *
 * A fragment is what Kconfig users write: `CONFIG_NAME=value` lines, `# CONFIG_NAME is not
 * set`, comments and blank lines. Every symbol must be one this SDK defines, with a value
 * of its type and in its range; every problem is reported with `file:line` and the fix.
 * Choices (build target, scheduler, exit policy) take exactly one `=y` member.
 */

import { readFileSync } from 'node:fs';
import { CAPABILITIES, ExitPolicy } from '../abi/index.js';
import type { KernelConfig } from '../../kernel/config.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

type SymbolType = 'bool' | 'int' | 'hex' | 'string';

interface SymbolDef {
  readonly type: SymbolType;
  readonly min?: number;
  readonly max?: number;
  /** For strings: what the unquoted text must match. */
  readonly pattern?: RegExp;
  readonly help: string;
}

/** A parsed assignment with where it came from. */
interface Assignment {
  readonly value: boolean | number | string;
  readonly line: number;
}

const KERNEL_SYMBOLS: Record<string, SymbolDef> = {
  CONFIG_BUILD_TARGET_DEBUG: { type: 'bool', help: 'debug build (choice BUILD_TARGET)' },
  CONFIG_BUILD_TARGET_AUTOTEST: { type: 'bool', help: 'autotest build: self-IPC and self-signal allowed' },
  CONFIG_BUILD_TARGET_RELEASE: { type: 'bool', help: 'release build: log silent, security failures panic' },
  CONFIG_SCHED_RRMQ: { type: 'bool', help: 'round-robin multi-queue scheduler (default)' },
  CONFIG_SCHED_FIFO: { type: 'bool', help: 'FIFO scheduler' },
  CONFIG_SVC_EXCHANGE_AREA_LEN: { type: 'int', min: 64, max: 1024, help: 'exchange area length in bytes' },
  CONFIG_MAX_TASKS: { type: 'int', min: 1, max: 255, help: 'maximum number of user tasks' },
  CONFIG_NOMINAL_FREQUENCY_HZ: { type: 'int', min: 1_000_000, max: 4_000_000_000, help: 'virtual CPU frequency in Hz' },
  CONFIG_SYSTICK_HZ: { type: 'int', min: 1000, max: 1000, help: 'system tick rate; fixed at 1000 (1 ms ticks)' },
  // Product identity: the SBOM, the build manifest and the CPE name; not part of the kernel configuration.
  CONFIG_PRODUCT_NAME: { type: 'string', pattern: /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/, help: 'product name (letters, digits, _ . + -)' },
  CONFIG_PRODUCT_VENDOR: { type: 'string', pattern: /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/, help: 'product vendor (letters, digits, _ . + -)' },
  CONFIG_PRODUCT_VERSION: { type: 'string', pattern: /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/, help: 'product version, e.g. 1.2.0' },
};

const TASK_SYMBOLS: Record<string, SymbolDef> = {
  CONFIG_TASK_LABEL: { type: 'hex', min: 1, max: 0xffffffff, help: 'task label (unique, 0xcafe reserved)' },
  CONFIG_TASK_MAGIC: { type: 'hex', min: 0xdeadcafe, max: 0xdeadcafe, help: 'metadata magic, always 0xdeadcafe' },
  CONFIG_TASK_PRIORITY: { type: 'int', min: 0, max: 255, help: 'RRMQ priority, higher runs first' },
  CONFIG_TASK_QUANTUM: { type: 'int', min: 1, max: 255, help: 'RRMQ quantum in ms (0 would disable preemption and is refused)' },
  CONFIG_TASK_AUTO_START: { type: 'bool', help: 'start at boot' },
  CONFIG_TASK_EXIT_NORESTART: { type: 'bool', help: 'exit policy: stay terminated' },
  CONFIG_TASK_EXIT_RESTART: { type: 'bool', help: 'exit policy: restart on abnormal end' },
  CONFIG_TASK_EXIT_PANIC: { type: 'bool', help: 'exit policy: kernel panic on abnormal end' },
  CONFIG_TASK_STACK_SIZE: { type: 'hex', min: 0x400, max: 0x100000, help: 'stack size in bytes' },
  CONFIG_TASK_HEAP_SIZE: { type: 'hex', min: 0, max: 0x1000000, help: 'heap size in bytes' },
  CONFIG_TASK_DOMAIN: { type: 'int', min: 0, max: 255, help: 'isolation domain' },
  // App identity for the SBOM; the licence is checked as an SPDX expression at integration.
  CONFIG_APP_VERSION: { type: 'string', pattern: /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/, help: 'app version, e.g. 1.0.0' },
  CONFIG_APP_LICENSE: { type: 'string', pattern: /^[A-Za-z0-9 ().:+-]{1,128}$/, help: 'SPDX licence expression, e.g. Apache-2.0' },
  CONFIG_APP_SUPPLIER: { type: 'string', pattern: /^[^"\\]{1,128}$/, help: 'supplier (organisation) name' },
  ...Object.fromEntries(CAPABILITIES.map((c) => [`CONFIG_${c.name}`, { type: 'bool', help: `capability ${c.name}` } satisfies SymbolDef])),
};

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

function suggest(name: string, known: readonly string[]): string {
  let best = '';
  let bestDistance = Infinity;
  for (const k of known) {
    const dist = editDistance(name, k);
    if (dist < bestDistance) { best = k; bestDistance = dist; }
  }
  return bestDistance <= Math.max(3, name.length / 4) ? ` (did you mean ${best}?)` : '';
}

/** Parse a fragment's text against a symbol table; throws ConfigError listing every problem. */
function parseFragment(text: string, file: string, symbols: Record<string, SymbolDef>): Map<string, Assignment> {
  const out = new Map<string, Assignment>();
  const problems: string[] = [];
  const known = Object.keys(symbols);
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '') return;
    const notSet = /^#\s*(CONFIG_[A-Za-z0-9_]+) is not set$/.exec(trimmed);
    let name: string;
    let valueText: string;
    if (notSet !== null) {
      name = notSet[1]!;
      valueText = 'n';
    } else if (trimmed.startsWith('#')) {
      return;
    } else {
      const m = /^(CONFIG_[A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(trimmed);
      if (m === null) { problems.push(`${file}:${line}: cannot read '${trimmed}'; expected CONFIG_NAME=value`); return; }
      name = m[1]!;
      valueText = m[2]!.trim();
    }
    const def = symbols[name];
    if (def === undefined) { problems.push(`${file}:${line}: unknown symbol ${name}${suggest(name, known)}`); return; }
    if (out.has(name)) { problems.push(`${file}:${line}: ${name} is set twice (first on line ${out.get(name)!.line})`); return; }
    if (def.type === 'bool') {
      if (valueText !== 'y' && valueText !== 'n') { problems.push(`${file}:${line}: ${name} is a bool; write ${name}=y or ${name}=n, not '${valueText}'`); return; }
      out.set(name, { value: valueText === 'y', line });
      return;
    }
    if (def.type === 'string') {
      const m = /^"([^"\\]*)"$/.exec(valueText);
      if (m === null) { problems.push(`${file}:${line}: ${name} is a string; write ${name}="text" (no quotes or backslashes inside), not '${valueText}'`); return; }
      if (def.pattern !== undefined && !def.pattern.test(m[1]!)) { problems.push(`${file}:${line}: ${name}="${m[1]}" is not valid (${def.help})`); return; }
      out.set(name, { value: m[1]!, line });
      return;
    }
    const unquoted = valueText.replace(/^"(.*)"$/, '$1');
    const value = /^0x[0-9a-fA-F]+$/.test(unquoted) ? parseInt(unquoted.slice(2), 16) : /^-?[0-9]+$/.test(unquoted) ? Number(unquoted) : NaN;
    if (!Number.isSafeInteger(value)) { problems.push(`${file}:${line}: ${name} expects ${def.type === 'hex' ? 'a hex number like 0x1000' : 'an integer'}, got '${valueText}'`); return; }
    if ((def.min !== undefined && value < def.min) || (def.max !== undefined && value > def.max)) {
      const fmt = (v: number) => (def.type === 'hex' ? `0x${v.toString(16)}` : String(v));
      problems.push(`${file}:${line}: ${name}=${valueText} is out of range ${fmt(def.min ?? 0)}..${fmt(def.max ?? 0)} (${def.help})`);
      return;
    }
    out.set(name, { value, line });
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/** Exactly one member of a choice may be y; none means the default. */
function choice<T>(values: Map<string, Assignment>, file: string, members: readonly [string, T][], fallback: T, problems: string[]): T {
  const chosen = members.filter(([name]) => values.get(name)?.value === true);
  if (chosen.length > 1) {
    problems.push(`${file}: ${chosen.map(([n]) => n).join(' and ')} are one choice; set only one of them to y`);
    return fallback;
  }
  return chosen[0]?.[1] ?? fallback;
}

function num(values: Map<string, Assignment>, name: string, fallback: number): number {
  const v = values.get(name)?.value;
  return typeof v === 'number' ? v : fallback;
}

/** Read a kernel fragment (`prj.conf`). */
export function readKernelConfig(text: string, file: string): KernelConfig {
  const values = parseFragment(text, file, KERNEL_SYMBOLS);
  const problems: string[] = [];
  const buildTarget = choice(values, file, [['CONFIG_BUILD_TARGET_DEBUG', 'debug'], ['CONFIG_BUILD_TARGET_AUTOTEST', 'autotest'], ['CONFIG_BUILD_TARGET_RELEASE', 'release']] as const, 'debug' as const, problems);
  const scheduler = choice(values, file, [['CONFIG_SCHED_RRMQ', 'rrmq'], ['CONFIG_SCHED_FIFO', 'fifo']] as const, 'rrmq' as const, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    buildTarget,
    scheduler,
    exchangeAreaLen: num(values, 'CONFIG_SVC_EXCHANGE_AREA_LEN', 128),
    maxTasks: num(values, 'CONFIG_MAX_TASKS', 8),
    nominalFrequencyHz: num(values, 'CONFIG_NOMINAL_FREQUENCY_HZ', 64_000_000),
    systickHz: 1000,
  });
}

/** A task's configuration (`task.conf`). */
export interface TaskConfig {
  readonly label: number;
  readonly priority: number;
  readonly quantum: number;
  readonly autoStart: boolean;
  readonly exitPolicy: ExitPolicy;
  readonly stackSize: number;
  readonly heapSize: number;
  readonly domain: number;
  readonly capabilities: number;
  /** `CONFIG_APP_VERSION`, for the SBOM. */
  readonly version?: string;
  /** `CONFIG_APP_LICENSE`, an SPDX licence expression, for the SBOM. */
  readonly license?: string;
  /** `CONFIG_APP_SUPPLIER`, for the SBOM. */
  readonly supplier?: string;
}

export function readTaskConfig(text: string, file: string): TaskConfig {
  const values = parseFragment(text, file, TASK_SYMBOLS);
  const problems: string[] = [];
  if (!values.has('CONFIG_TASK_LABEL')) problems.push(`${file}: CONFIG_TASK_LABEL is required (a unique hex label, e.g. CONFIG_TASK_LABEL=0x1000)`);
  if (values.get('CONFIG_TASK_LABEL')?.value === 0xcafe) problems.push(`${file}:${values.get('CONFIG_TASK_LABEL')!.line}: label 0xcafe is reserved for the idle task; pick another CONFIG_TASK_LABEL`);
  const exitPolicy = choice(values, file, [['CONFIG_TASK_EXIT_NORESTART', ExitPolicy.NoRestart], ['CONFIG_TASK_EXIT_RESTART', ExitPolicy.Restart], ['CONFIG_TASK_EXIT_PANIC', ExitPolicy.Panic]] as const, ExitPolicy.NoRestart, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  let capabilities = 0;
  for (const c of CAPABILITIES) if (values.get(`CONFIG_${c.name}`)?.value === true) capabilities |= 1 << c.bit;
  return Object.freeze({
    label: num(values, 'CONFIG_TASK_LABEL', 0),
    priority: num(values, 'CONFIG_TASK_PRIORITY', 1),
    quantum: num(values, 'CONFIG_TASK_QUANTUM', 10),
    autoStart: values.get('CONFIG_TASK_AUTO_START')?.value === true,
    exitPolicy,
    stackSize: num(values, 'CONFIG_TASK_STACK_SIZE', 0x2000),
    heapSize: num(values, 'CONFIG_TASK_HEAP_SIZE', 0),
    domain: num(values, 'CONFIG_TASK_DOMAIN', 0),
    capabilities: capabilities >>> 0,
    ...strings(values, { version: 'CONFIG_APP_VERSION', license: 'CONFIG_APP_LICENSE', supplier: 'CONFIG_APP_SUPPLIER' }),
  });
}

function strings<K extends string>(values: Map<string, Assignment>, names: Record<K, string>): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const key of Object.keys(names) as K[]) {
    const v = values.get(names[key])?.value;
    if (typeof v === 'string') out[key] = v;
  }
  return out;
}

/** The product identity from `prj.conf` (all optional; the integrator supplies defaults). */
export interface ProductConfig {
  readonly name?: string;
  readonly vendor?: string;
  readonly version?: string;
}

/** Read the `CONFIG_PRODUCT_*` symbols of a kernel fragment. */
export function readProductConfig(text: string, file: string): ProductConfig {
  return Object.freeze(strings(parseFragment(text, file, KERNEL_SYMBOLS), { name: 'CONFIG_PRODUCT_NAME', vendor: 'CONFIG_PRODUCT_VENDOR', version: 'CONFIG_PRODUCT_VERSION' }));
}

export function readProductConfigFile(file: string): ProductConfig {
  return readProductConfig(readFileSync(file, 'utf8'), file);
}

export function readKernelConfigFile(file: string): KernelConfig {
  return readKernelConfig(readFileSync(file, 'utf8'), file);
}

export function readTaskConfigFile(file: string): TaskConfig {
  return readTaskConfig(readFileSync(file, 'utf8'), file);
}
