/**
 * Smoke test of `rampart bench --quick`, in-process: every case runs, the report has the
 * documented JSON shape and every goal figure is present with finite numbers. No timing
 * thresholds: CI machines are shared and the quick counts are small.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchCommand } from '../../toolchain/bench/command.js';
import { GOALS, type BenchReport } from '../../toolchain/bench/bench.js';

const GOAL_NAMES = ['null-syscall', 'ipc-roundtrip-20', 'cpu-crc32', 'cpu-sha256', 'cpu-matmul', 'election-1024', 'boot-256', 'worker-atomics-roundtrip'];

describe('rampart bench --quick', () => {
  it('runs every case and writes the JSON report, the SVG chart and the table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-'));
    try {
      let table = '';
      await benchCommand({ quick: true, json: join(dir, 'bench.json'), svg: join(dir, 'bench.svg'), stdout: (s) => { table += s; }, stderr: () => undefined });
      const report = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8')) as BenchReport;

      expect(report.mode).toBe('quick');
      expect(typeof report.machine.node).toBe('string');
      expect(typeof report.machine.cpu).toBe('string');
      expect(report.machine.cores).toBeGreaterThan(0);
      expect(report.machine.memory_bytes).toBeGreaterThan(0);
      expect(Array.isArray(report.results)).toBe(true);

      const names = report.results.map((r) => r.name);
      expect(new Set(names).size).toBe(names.length);
      for (const r of report.results) {
        expect(Object.keys(r)).toEqual(expect.arrayContaining(['name', 'median_ns', 'min_ns', 'max_ns', 'floor', 'floor_median_ns', 'ratio']));
        expect(typeof r.floor).toBe('string');
        if (r.unavailable !== undefined) {
          // Only a peer, or the SHM figure (a difference of two runs, which a quick run on a
          // busy machine may not resolve), may be unavailable: with a reason, no made-up figure.
          expect(r.name).toMatch(/^wasi-|^shm-sync-kib$/);
          expect(r.unavailable.length).toBeGreaterThan(0);
          expect(r.median_ns).toBeNull();
          continue;
        }
        // A difference figure: its median is positive, a single round's difference may not be.
        const values = r.name === 'shm-sync-kib' ? [r.median_ns, r.floor_median_ns, r.ratio] : [r.median_ns, r.min_ns, r.max_ns, r.floor_median_ns, r.ratio];
        for (const v of values) {
          expect(Number.isFinite(v)).toBe(true);
          expect(v).toBeGreaterThan(0);
        }
        expect(r.min_ns!).toBeLessThanOrEqual(r.median_ns!);
        expect(r.median_ns!).toBeLessThanOrEqual(r.max_ns!);
        expect(r.ratio!).toBeCloseTo(r.median_ns! / r.floor_median_ns!, 6);
      }

      expect(Object.keys(GOALS).sort()).toEqual([...GOAL_NAMES].sort());
      for (const name of GOAL_NAMES) {
        const r = report.results.find((x) => x.name === name);
        expect(r, name).toBeDefined();
        expect(Number.isFinite(r!.median_ns), name).toBe(true);
        expect(Number.isFinite(r!.floor_median_ns), name).toBe(true);
        expect(Number.isFinite(r!.ratio), name).toBe(true);
        expect(typeof r!.goal_met, name).toBe('boolean');
      }
      expect(report.results.find((r) => r.name === 'worker-atomics-roundtrip')!.floor).toBe('ipc-roundtrip-20');

      // Every figure the issue lists is there.
      for (const name of ['get-random', 'log-64', 'gpio-toggle', 'bus-read', 'ipc-roundtrip-full', 'signal-roundtrip', 'yield-switch',
        'sleep-wake', 'shm-map-unmap', 'dma-roundtrip', 'election-2', 'election-16', 'election-256', 'switch-2', 'switch-16', 'switch-255',
        'boot-1', 'boot-16', 'wasi-node-clock', 'wasi-node-random', 'wasi-wasmer-clock', 'wasi-wasmer-random']) {
        expect(names, name).toContain(name);
      }

      const svg = readFileSync(join(dir, 'bench.svg'), 'utf8');
      expect(svg.startsWith('<svg ')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      for (const name of GOAL_NAMES) expect(svg).toContain(`>${name}<`);
      for (const name of GOAL_NAMES) expect(table).toContain(name);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
