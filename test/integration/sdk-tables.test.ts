/**
 * What `rampart build` gives each app from its SDK, in C, Rust and AssemblyScript
 * (test/fixtures/sdk-tables): the kernel's CONFIG_* constants, the task's own (task.conf),
 * the per-task limits, and the task's resource table from the board. Each app prints them
 * under the kernel, and the values must be the board's and the configuration's. A change of
 * prj.conf or task.conf must rebuild the apps that can see it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProject, type BuildProjectResult } from '../../toolchain/build/project.js';
import { readBoard } from '../../toolchain/config/devicetree.js';
import { runImageFile } from '../../toolchain/run.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/sdk-tables');
/** Three builds of three languages (a first Cargo build compiles the SDK crates): minutes on a loaded machine. */
const TIMEOUT = 900_000;

const work = mkdtempSync(join(tmpdir(), 'rampart-sdk-tables-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The fixture as a project: apps/tbl-c, apps/tbl-rust, apps/tbl-as. */
function makeProject(): string {
  const dir = join(work, 'project');
  cpSync(join(FIXTURE, 'board.dts'), join(dir, 'board.dts'));
  cpSync(join(FIXTURE, 'prj.conf'), join(dir, 'prj.conf'));
  for (const language of ['c', 'rust', 'as']) cpSync(join(FIXTURE, language), join(dir, 'apps', `tbl-${language}`), { recursive: true });
  return dir;
}

async function buildAndRun(dir: string): Promise<{ built: BuildProjectResult; lines: Map<string, string[]> }> {
  const built = await buildProject(dir, { out: join(dir, 'tables.rimg') });
  let stdout = '';
  let stderr = '';
  const code = await runImageFile(built.imagePath, { seed: 5, stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; } });
  expect(code, stderr).toBe(0);
  const lines = new Map<string, string[]>();
  for (const line of stdout.trimEnd().split('\n')) {
    const m = /^\[([^\]]+)\] (.*)$/.exec(line);
    if (m === null) continue;
    lines.set(m[1]!, [...(lines.get(m[1]!) ?? []), m[2]!]);
  }
  return { built, lines };
}

/** What a task's table must print, computed from the board as the devicetree reader sees it. */
async function expectedTable(dir: string, label: number): Promise<string[]> {
  const board = await readBoard(join(dir, 'board.dts'), { includeDirs: [dir] });
  const devices = board.devices.filter((d) => d.owner === label);
  const shms = board.shms.filter((s) => s.owner === label);
  const streams = board.dmaStreams.filter((s) => s.owner === label);
  return [
    `devices=${devices.length} shms=${shms.length} streams=${streams.length}`,
    ...devices.map((d) => `dev id=${d.id} base=${d.baseAddress} size=${d.size} irqs=${d.irqs.length} ios=${d.ios.length}`),
    ...shms.map((s) => `shm label=${s.label} base=${s.baseAddress} size=${s.size}`),
  ];
}

describe('SDK constants and resource tables under rampart build', () => {
  it('C, Rust and AssemblyScript apps read their configuration and resource tables; a config change rebuilds them', async () => {
    const dir = makeProject();
    const first = await buildAndRun(dir);

    // C: CONFIG_TASK_LABEL and the other task values from <autoconf.h>, SENTRY_TASK_MAXSHM from platform.h.
    expect(first.lines.get('tbl-c')).toEqual([
      `label=${0x1000} prio=3 exch=128 maxshm=4`,
      ...await expectedTable(dir, 0x1000),
      'handle=0',
    ]);
    // Rust: the tables hold usart2 (its IRQ) and led0 (its pin), both used for handles.
    const rustTable = await expectedTable(dir, 0x2000);
    expect(rustTable).toContainEqual(expect.stringMatching(/^dev id=\d+ base=1073759232 size=1024 irqs=1 ios=0$/));
    expect(rustTable).toContainEqual(expect.stringMatching(/^dev id=\d+ base=0 size=0 irqs=0 ios=1$/));
    expect(first.lines.get('tbl-rust')).toEqual([`label=${0x2000} prio=2 exch=128 maxshm=4`, ...rustTable, 'handle=0']);
    // AssemblyScript: tim2, two SHMs and the stream.
    expect(first.lines.get('tbl-as')).toEqual([
      `label=${0x3000} prio=1 exch=128 maxshm=4`,
      ...await expectedTable(dir, 0x3000),
      `stream label=${0xe0}`,
      'handle=0',
    ]);
    expect(first.built.apps.map((a) => a.cached)).toEqual([false, false, false]);

    // Nothing changed: every app comes from the cache.
    const again = await buildProject(dir, { out: join(dir, 'tables.rimg') });
    expect(again.apps.map((a) => [a.name, a.cached])).toEqual([['tbl-c', true], ['tbl-rust', true], ['tbl-as', true]]);

    // A kernel value and a task value change: the apps that print them are rebuilt and print the new ones.
    writeFileSync(join(dir, 'prj.conf'), `${readFileSync(join(dir, 'prj.conf'), 'utf8')}CONFIG_SVC_EXCHANGE_AREA_LEN=256\nCONFIG_MAX_SHM_PER_TASK=6\n`);
    writeFileSync(join(dir, 'apps/tbl-as/task.conf'), readFileSync(join(dir, 'apps/tbl-as/task.conf'), 'utf8').replace('CONFIG_TASK_PRIORITY=1', 'CONFIG_TASK_PRIORITY=4'));
    const changed = await buildAndRun(dir);
    expect(changed.built.apps.map((a) => [a.name, a.cached])).toEqual([['tbl-c', false], ['tbl-rust', false], ['tbl-as', false]]);
    expect(changed.lines.get('tbl-c')?.[0]).toBe(`label=${0x1000} prio=3 exch=256 maxshm=6`);
    expect(changed.lines.get('tbl-rust')?.[0]).toBe(`label=${0x2000} prio=2 exch=256 maxshm=6`);
    expect(changed.lines.get('tbl-as')?.[0]).toBe(`label=${0x3000} prio=4 exch=256 maxshm=6`);

    // Only a task's own task.conf: that task alone is rebuilt.
    writeFileSync(join(dir, 'apps/tbl-rust/task.conf'), readFileSync(join(dir, 'apps/tbl-rust/task.conf'), 'utf8').replace('CONFIG_TASK_PRIORITY=2', 'CONFIG_TASK_PRIORITY=5'));
    const taskOnly = await buildAndRun(dir);
    expect(taskOnly.built.apps.map((a) => [a.name, a.cached])).toEqual([['tbl-c', true], ['tbl-rust', false], ['tbl-as', true]]);
    expect(taskOnly.lines.get('tbl-rust')?.[0]).toBe(`label=${0x2000} prio=5 exch=256 maxshm=6`);
  }, TIMEOUT);
});
