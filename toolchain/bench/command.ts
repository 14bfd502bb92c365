/**
 * The `rampart bench` command: run the benchmark, print the table, write JSON and SVG.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { runBench, type BenchReport } from './bench.js';
import { formatTable, svgChart } from './report.js';

export interface BenchCommandOptions {
  readonly quick: boolean;
  readonly json?: string | undefined;
  readonly svg?: string | undefined;
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export async function benchCommand(o: BenchCommandOptions): Promise<BenchReport> {
  const report = await runBench({ quick: o.quick, progress: (line) => o.stderr(`${line}\n`) });
  o.stdout(`${formatTable(report)}\n`);
  if (o.json !== undefined) {
    write(o.json, `${JSON.stringify(report, null, 2)}\n`);
    o.stderr(`rampart: wrote ${o.json}\n`);
  }
  if (o.svg !== undefined) {
    write(o.svg, svgChart(report));
    o.stderr(`rampart: wrote ${o.svg}\n`);
  }
  return report;
}
