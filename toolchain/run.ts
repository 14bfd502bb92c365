/**
 * `rampart run IMAGE`: boot an image headless and report.
 *
 * stdout carries the console lines `[task] text` and nothing else, so two runs compare
 * byte for byte; kernel messages and the summary go to stderr. Exit codes:
 * 0 normal end (every task ended normally, or nothing left to do), 1 kernel panic
 * (including a panic-policy task), 2 image refused, 3 stopped at --max-cycles,
 * 4 a task faulted or exited with a non-zero status, 5 stopped by --wall-timeout.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { bootImage, bootSignedImage, ImageRefused, type BootOptions } from '../kernel/boot/boot.js';
import { projectTrustAnchorFile } from './integrate/keys.js';
import { ScenarioError } from '../kernel/bus/scenario.js';
import { parseInjections, InjectionError } from '../kernel/managers/security/injection.js';
import type { JournalPolicy } from '../kernel/managers/security/security-manager.js';
import { JOURNAL_BYTES } from '../kernel/managers/security/journal.js';
import { existsSync } from 'node:fs';
import type { EmulatedBoard } from '../kernel/boot/board-runtime-factory.js';
import type { RunResult } from '../kernel/kernel.js';

export interface RunOptions {
  readonly seed: number;
  readonly maxCycles?: number;
  /** Wall-clock guard (`--wall-timeout`, seconds): ends a run whose task never yields. */
  readonly wallTimeoutSeconds?: number;
  readonly traceOut?: string;
  /** Scenario file injecting input at virtual times. */
  readonly scenario?: string;
  /** Write GPIO pins and IRQ lines as a VCD waveform here. */
  readonly vcdOut?: string;
  /**
   * Trust anchor (armored integrator public key file): the image must be signed by it. By
   * default, an image at PROJECT/build/*.rimg is checked against the project's key; other
   * images boot unverified (a kernel without a trust anchor, as in the tests).
   */
  readonly trust?: string;
  /** Backup memory file (`--backup`): backup SRAM and the abnormal-event journal, kept across runs. */
  readonly backup?: string;
  /** Faults to inject into the kernel (`--inject`), see kernel/managers/security/injection.ts. */
  readonly inject?: string;
  /** Policy when the journal holds events from previous runs. */
  readonly journalPolicy?: JournalPolicy;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** The backup file: 4 KiB of backup SRAM (the bkpsram device) then 4 KiB of journal. */
const BACKUP_SRAM_BYTES = 4096;

export const EXIT_OK = 0;
export const EXIT_PANIC = 1;
export const EXIT_REFUSED = 2;
export const EXIT_MAX_CYCLES = 3;
/** `--wall-timeout` stopped a run whose task never returned to the kernel. */
export const EXIT_WALL_TIMEOUT = 5;
export const EXIT_TASK_FAILED = 4;

/** Batch console output: one write per 64 KiB instead of one per line. */
class LineWriter {
  private chunks: string[] = [];
  private size = 0;
  constructor(private readonly out: (text: string) => void) {}
  line(text: string): void {
    this.chunks.push(text, '\n');
    this.size += text.length + 1;
    if (this.size > 65536) this.flush();
  }
  flush(): void {
    if (this.chunks.length > 0) this.out(this.chunks.join(''));
    this.chunks = [];
    this.size = 0;
  }
}

export function formatSummary(result: RunResult, frequencyHz: number): string {
  const rows = [['task', 'label', 'state', 'exit', 'cycles', 'syscalls', 'switches', 'restarts']];
  for (const t of result.tasks) {
    rows.push([t.name, `0x${t.label.toString(16)}`, t.state, t.fault ? `fault: ${t.fault.message}` : t.exitStatus === null ? '-' : String(t.exitStatus),
      String(t.cycles), String(t.syscalls), String(t.switches), String(t.restarts)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  const ms = (result.cycles / frequencyHz) * 1000;
  return [`rampart: ${result.end.kind === 'idle' ? 'run ended' : result.end.kind}: ${result.end.message}`,
    `rampart: ${result.cycles} cycles (${ms.toFixed(3)} ms virtual)${result.droppedEvents ? `, ${result.droppedEvents} events dropped` : ''}`,
    ...lines.map((l) => `  ${l}`)].join('\n');
}

/** Exit code for a finished run. */
export function exitCodeOf(result: RunResult): number {
  if (result.end.kind === 'panic') return EXIT_PANIC;
  if (result.end.kind === 'max-cycles') return EXIT_MAX_CYCLES;
  if (result.end.kind === 'wall-timeout') return EXIT_WALL_TIMEOUT;
  if (result.tasks.some((t) => t.fault !== null || (t.exitStatus !== null && t.exitStatus !== 0))) return EXIT_TASK_FAILED;
  return EXIT_OK;
}

export async function runImageFile(path: string, options: RunOptions): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    options.stderr(`rampart: cannot read image ${path}: ${(error as Error).message}\n`);
    return EXIT_REFUSED;
  }
  const out = new LineWriter(options.stdout);
  let scenario: { text: string; file: string } | undefined;
  if (options.scenario !== undefined) {
    try {
      scenario = { text: readFileSync(options.scenario, 'utf8'), file: options.scenario };
    } catch (error) {
      options.stderr(`rampart: cannot read scenario ${options.scenario}: ${(error as Error).message}\n`);
      return EXIT_REFUSED;
    }
  }
  const anchorFile = options.trust ?? projectTrustAnchorFile(path);
  let trustAnchor: string | undefined;
  if (anchorFile !== undefined) {
    try {
      trustAnchor = readFileSync(anchorFile, 'utf8');
    } catch (error) {
      options.stderr(`rampart: cannot read trust anchor ${anchorFile}: ${(error as Error).message}\n`);
      return EXIT_REFUSED;
    }
  }
  let backup: Uint8Array | undefined;
  if (options.backup !== undefined && existsSync(options.backup)) {
    backup = readFileSync(options.backup);
    if (backup.length !== BACKUP_SRAM_BYTES + JOURNAL_BYTES) {
      options.stderr(`rampart: ${options.backup}: not a Rampart backup memory file (${backup.length} bytes, expected ${BACKUP_SRAM_BYTES + JOURNAL_BYTES}); move it away to start with an empty one\n`);
      return EXIT_REFUSED;
    }
  }
  let inject;
  try {
    inject = options.inject !== undefined ? parseInjections(options.inject) : undefined;
  } catch (error) {
    if (error instanceof InjectionError) { options.stderr(`rampart: ${error.message}\n`); return EXIT_REFUSED; }
    throw error;
  }
  let kernel;
  try {
    const bootOptions: BootOptions = {
      ...(backup !== undefined ? { journal: backup.subarray(BACKUP_SRAM_BYTES), backupSram: backup.subarray(0, BACKUP_SRAM_BYTES) } : {}),
      ...(inject !== undefined ? { inject } : {}),
      ...(options.journalPolicy !== undefined ? { journalPolicy: options.journalPolicy } : {}),
      seed: options.seed,
      console: out,
      kernelLog: (line) => options.stderr(`${line}\n`),
      trace: options.traceOut !== undefined,
      ...(options.maxCycles !== undefined ? { maxCycles: options.maxCycles } : {}),
      ...(scenario !== undefined ? { scenario } : {}),
      ...(options.vcdOut !== undefined ? { vcd: true } : {}),
    };
    kernel = trustAnchor !== undefined ? await bootSignedImage(bytes, { ...bootOptions, trustAnchor }) : bootImage(bytes, bootOptions);
  } catch (error) {
    if (error instanceof ImageRefused) {
      options.stderr(`rampart: ${path}: ${error.message}\n`);
      return EXIT_REFUSED;
    }
    if (error instanceof ScenarioError) {
      options.stderr(`rampart: scenario refused:\n  ${error.problems.join('\n  ')}\n`);
      return EXIT_REFUSED;
    }
    throw error;
  }
  const result = kernel.run(options.wallTimeoutSeconds !== undefined ? { wallTimeoutMs: options.wallTimeoutSeconds * 1000 } : {});
  out.flush();
  if (options.backup !== undefined) {
    // Persist what survives a reboot: backup SRAM content and the journal.
    const file = new Uint8Array(BACKUP_SRAM_BYTES + JOURNAL_BYTES);
    const sram = (kernel.runtime as Partial<EmulatedBoard>).backupSram;
    if (sram !== undefined) file.set(sram.snapshot(), 0);
    else if (backup !== undefined) file.set(backup.subarray(0, BACKUP_SRAM_BYTES), 0);
    file.set(kernel.security.journal.bytes, BACKUP_SRAM_BYTES);
    writeFileSync(options.backup, file);
  }
  for (const fired of kernel.security.injector.fired) options.stderr(`rampart: injected fault '${fired.kind}' fired\n`);
  if (options.traceOut !== undefined && kernel.trace !== undefined) {
    writeFileSync(options.traceOut, JSON.stringify(kernel.trace.toJSON()));
  }
  if (options.vcdOut !== undefined) {
    const waveform = (kernel.runtime as Partial<EmulatedBoard>).waveform?.(result.cycles);
    if (waveform !== undefined) writeFileSync(options.vcdOut, waveform);
  }
  options.stderr(`${formatSummary(result, kernel.config.nominalFrequencyHz)}\n`);
  return exitCodeOf(result);
}
