/**
 * One small program written in C, Rust and AssemblyScript (test/fixtures/trio) gives the
 * same console output and the same exit status under the kernel: the three UAPIs agree.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProject } from '../../toolchain/build/project.js';
import { runImageFile } from '../../toolchain/run.js';

const fixtures = join(import.meta.dirname, '../fixtures/trio');
const work = mkdtempSync(join(tmpdir(), 'rampart-trio-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function runAs(language: 'c' | 'rust' | 'as'): Promise<{ lines: string[]; summary: string }> {
  const project = mkdtempSync(join(work, `${language}-`));
  writeFileSync(join(project, 'prj.conf'), 'CONFIG_SCHED_RRMQ=y\n');
  writeFileSync(join(project, 'board.dts'), '/dts-v1/;\n/ { model = "trio"; };\n');
  mkdirSync(join(project, 'apps'));
  cpSync(join(fixtures, language), join(project, 'apps', 'trio'), { recursive: true });
  const built = await buildProject(project, { out: join(project, 'trio.rimg') });
  let stdout = '';
  let stderr = '';
  const code = await runImageFile(built.imagePath, { seed: 3, stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; } });
  expect(code).toBe(4); // the program exits with status 3
  return { lines: stdout.trimEnd().split('\n'), summary: /trio\s+0x5000\s+\S+\s+\S+/.exec(stderr)?.[0] ?? stderr };
}

describe('the same program in C, Rust and AssemblyScript', () => {
  it('prints the same lines and ends the same way', async () => {
    const expected = ['sum=385', 'handle-status=0', 'self-signal=1', 'sleep=7', 'ms=5', 'wait-no=8'].map((l) => `[trio] ${l}`);
    const c = await runAs('c');
    expect(c.lines).toEqual(expected);
    const rust = await runAs('rust');
    expect(rust.lines).toEqual(expected);
    const as = await runAs('as');
    expect(as.lines).toEqual(expected);
    expect(rust.summary).toBe(c.summary);
    expect(as.summary).toBe(c.summary);
  });
});
