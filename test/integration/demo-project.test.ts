/**
 * The C demo project through the real toolchain: build, run headless twice (byte-identical
 * console), trace output, exit codes; and the build's refusals, each naming the file.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProject, ProjectError } from '../../toolchain/build/project.js';
import { runImageFile } from '../../toolchain/run.js';

const demo = join(import.meta.dirname, '../../apps/demo');

async function run(image: string, extra: { seed?: number; maxCycles?: number; traceOut?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runImageFile(image, { seed: extra.seed ?? 0, ...extra, stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; } });
  return { code, stdout, stderr };
}

function buildProblems(dir: string): Promise<string> {
  return buildProject(dir).then(() => { throw new Error('build succeeded'); }, (e) => {
    if (e instanceof ProjectError) return e.message;
    throw e;
  });
}

describe('the demo project', () => {
  const work = mkdtempSync(join(tmpdir(), 'rampart-demo-'));
  const image = join(work, 'demo.rimg');

  it('builds and runs: ping and pong talk over IPC and a signal, deterministically', async () => {
    const built = await buildProject(demo, { out: image });
    expect(built.apps.map((a) => a.name)).toEqual(['ping', 'pong', 'rusty', 'scripty']);
    const a = await run(image, { traceOut: join(work, 'trace.json') });
    const b = await run(image);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe([
      '[ping] ping: starting pong', '[rusty] rusty: ready', '[scripty] scripty: ready', '[pong] pong: ready',
      "[ping] ping: got 'pong 1'", "[ping] ping: got 'pong 2'", "[ping] ping: got 'pong 3'",
      "[ping] ping: got 'rust heard: hello from C'", "[ping] ping: got 'as heard: hello from C'",
      '[ping] ping: done', '[scripty] scripty: terminated, bye', '[pong] pong: terminated by ping, bye', '[rusty] rusty: terminated, bye', '',
    ].join('\n'));
    expect(b.stdout).toBe(a.stdout);
    expect(a.stderr).toMatch(/ping\s+0x1000\s+finished\s+0/);
    expect(a.stderr).toMatch(/pong\s+0x2000\s+finished\s+0/);
    expect(a.stderr).toMatch(/rusty\s+0x3000\s+finished\s+0/);
    expect(a.stderr).toMatch(/scripty\s+0x4000\s+finished\s+0/);
    const trace = JSON.parse(readFileSync(join(work, 'trace.json'), 'utf8')) as { traceEvents: { name: string; tid: number }[] };
    expect(trace.traceEvents.some((e) => e.name === 'send_ipc' && e.tid === 0)).toBe(true);
    expect(trace.traceEvents.some((e) => e.name === 'switch-in' && e.tid === 1)).toBe(true);
  });

  it('exit code 3 at --max-cycles, 2 for a refused image', async () => {
    expect((await run(image, { maxCycles: 1000 })).code).toBe(3);
    writeFileSync(join(work, 'bad.rimg'), 'RIMG');
    const bad = await run(join(work, 'bad.rimg'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('truncated image');
  });

  it('refuses bad projects with every problem, each naming its file', async () => {
    const p = mkdtempSync(join(tmpdir(), 'rampart-bad-'));
    cpSync(demo, p, { recursive: true, filter: (s) => !s.includes('/build') });
    writeFileSync(join(p, 'apps/pong/task.conf'), 'CONFIG_TASK_LABEL=0x1000\nCONFIG_TASK_PRIORTY=2\n');
    mkdirSync(join(p, 'apps/empty'));
    const message = await buildProblems(p);
    expect(message).toContain('apps/pong/task.conf:2: unknown symbol CONFIG_TASK_PRIORTY (did you mean CONFIG_TASK_PRIORITY?)');
    expect(message).toContain('apps/empty/task.conf: missing');
    rmSync(p, { recursive: true });
  });

  it('refuses a duplicate label, an ungranted syscall and a compile error', async () => {
    const p = mkdtempSync(join(tmpdir(), 'rampart-bad-'));
    cpSync(demo, p, { recursive: true, filter: (s) => !s.includes('/build') });
    writeFileSync(join(p, 'apps/pong/task.conf'), 'CONFIG_TASK_LABEL=0x1000\n');
    expect(await buildProblems(p)).toContain("apps/pong/task.conf: CONFIG_TASK_LABEL=0x1000 is already the label of app 'ping'");
    writeFileSync(join(p, 'apps/pong/task.conf'), 'CONFIG_TASK_LABEL=0x2000\n');
    writeFileSync(join(p, 'apps/ping/task.conf'), 'CONFIG_TASK_LABEL=0x1000\nCONFIG_TASK_AUTO_START=y\n');
    expect(await buildProblems(p)).toContain("task 'ping': imports syscall 'start' (__sys_start) without capability CAP_SYS_PROCSTART; add CONFIG_CAP_SYS_PROCSTART=y to");
    writeFileSync(join(p, 'apps/pong/src/main.c'), 'int main(void) { return undefined_thing; }\n');
    expect(await buildProblems(p)).toMatch(/apps\/pong\/src\/main\.c:1:\d+: error: use of undeclared identifier 'undefined_thing'/);
    rmSync(p, { recursive: true });
  });
});
