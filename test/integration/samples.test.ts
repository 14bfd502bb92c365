/**
 * The single-app samples of apps/samples/ are projects a newcomer builds and runs as they
 * are (`rampart build apps/samples/NAME`, then `rampart run`): each is built here from a
 * copy (so the checkout stays clean) through the same command-line path, and run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { buildProject, ProjectError } from '../../toolchain/build/project.js';
import { runImageFile } from '../../toolchain/run.js';

const SAMPLES = join(import.meta.dirname, '../../apps/samples');
const work = mkdtempSync(join(tmpdir(), 'rampart-samples-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function buildAndRun(sample: string, copy = true): Promise<{ code: number; lines: string[] }> {
  const dir = join(work, sample);
  if (copy) cpSync(join(SAMPLES, sample), dir, { recursive: true, filter: (s) => !/\/(build|keys|target)(\/|$)/.test(s.slice(SAMPLES.length)) });
  const built = await runCli('build', dir);
  expect(built.code, built.stderr).toBe(0);
  let stdout = '';
  const code = await runImageFile(join(dir, 'build', 'image.rimg'), { seed: 1, stdout: (s) => { stdout += s; }, stderr: () => undefined });
  return { code, lines: stdout.split('\n').filter((l) => l !== '') };
}

describe('single-app samples build and run as projects', () => {
  it('c-hello: freestanding C sleeps 5 ms of virtual time and exits 0', async () => {
    const r = await buildAndRun('c-hello');
    expect(r.lines).toEqual(['[c-hello] hello from freestanding C', '[c-hello] slept 5 ms; my handle is valid']);
    expect(r.code).toBe(0);
  }, 300_000);

  it('an unchanged rebuild takes the instrumented module from the build cache and gives the same image', async () => {
    const image = join(work, 'c-hello', 'build', 'image.rimg');
    const before = readFileSync(image);
    const cache = join(work, 'c-hello', 'build', '.cache', 'instrument');
    expect(readdirSync(cache).sort().map((f) => f.replace(/[0-9a-f]{32}/, 'KEY'))).toEqual(['c-hello-KEY.json', 'c-hello-KEY.wasm']);
    const again = await buildAndRun('c-hello', false);
    expect(again.code).toBe(0);
    expect(readFileSync(image).equals(before)).toBe(true);
  }, 300_000);

  it('c-hosted, rust-hello and as-hello run to a normal end', async () => {
    for (const sample of ['c-hosted', 'rust-hello', 'as-hello']) {
      const r = await buildAndRun(sample);
      expect(r.code, `${sample}: ${r.lines.join('\n')}`).toBe(0);
      expect(r.lines.length, sample).toBeGreaterThan(1);
      expect(r.lines.every((l) => l.startsWith(`[${sample}] `)), sample).toBe(true);
    }
  }, 600_000);
});

describe('per-task resource limits (spec 2.16)', () => {
  it('refuses a task owning more devices than CONFIG_MAX_DEV_PER_TASK, naming them, the limit and the fix', async () => {
    const dir = join(work, 'limits');
    cpSync(join(SAMPLES, 'led-blink'), dir, { recursive: true, filter: (s) => !/\/(build|keys)(\/|$)/.test(s.slice(SAMPLES.length)) });
    appendFileSync(join(dir, 'prj.conf'), 'CONFIG_MAX_DEV_PER_TASK=0\n');
    let message = '';
    try { await buildProject(dir, { progress: () => undefined }); } catch (e) { if (e instanceof ProjectError) message = e.message; else throw e; }
    expect(message).toMatch(/board\.dts: task 'blinky' \(0x[0-9a-f]+\) owns 1 devices \(\/\S+\), more than CONFIG_MAX_DEV_PER_TASK=0 in \S*prj\.conf; raise CONFIG_MAX_DEV_PER_TASK \(at most 8\) or give some to another task/);
  }, 300_000);
});
