/**
 * `rampart build` with a system clang: the backend finds a usable clang among `clang` and the
 * versioned names (`clang-18` ... `clang-24`, beside Debian 12's clang 14), and the module
 * it builds behaves like the bundled clang's: same imports, same console output under the
 * kernel. The system LLVM comes from scripts/ensure-meson-tools.sh (installed with apt-get
 * when missing; the test skips with the script's reason where it cannot be).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCApp, type CBuildOptions } from './c.js';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';
import { writeImage } from '../../kernel/image/image.js';
import { bootImage } from '../../kernel/boot/boot.js';
import { integrateModule } from './project.js';
import { ExitPolicy } from '../abi/index.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'rampart-c-system-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SOURCE = `#include <uapi/uapi.h>
int main(void)
{
    static const uint8_t msg[] = "same bytes from any clang\\n";
    copy_to_kernel(msg, sizeof(msg) - 1);
    __sys_log(sizeof(msg) - 1);
    return 0;
}
`;

function imports(wasm: Uint8Array<ArrayBuffer>): string[] {
  return WebAssembly.Module.imports(new WebAssembly.Module(wasm)).map((i) => `${i.module}.${i.name}`).sort();
}

function runModule(wasm: Uint8Array): string[] {
  const task = integrateModule('hello', {
    label: 1, priority: 1, quantum: 10, autoStart: true, exitPolicy: ExitPolicy.NoRestart,
    stackSize: 8192, heapSize: 0, domain: 0, capabilities: 0,
  }, wasm, 'hello/task.conf', DEFAULT_KERNEL_CONFIG);
  const lines: string[] = [];
  const k = bootImage(writeImage(DEFAULT_KERNEL_CONFIG, [task]), { seed: 1, console: { line: (l) => lines.push(l) }, kernelLog: () => undefined });
  const result = k.run();
  expect(result.tasks[0]!.exitStatus).toBe(0);
  return lines;
}

describe('C builds with a system clang', () => {
  it('finds a versioned system clang and builds a module that runs like the bundled clang\'s', async (context) => {
    const ensure = spawnSync('bash', ['scripts/ensure-meson-tools.sh'], { encoding: 'utf8' });
    if (ensure.status === 3) {
      context.skip(`system clang test skipped: ${ensure.stderr.trim()}`);
      return;
    }
    expect(ensure.status, ensure.stderr).toBe(0);
    const app = path.join(root, 'apps', 'hello');
    mkdirSync(path.join(app, 'src'), { recursive: true });
    writeFileSync(path.join(app, 'src', 'main.c'), SOURCE);
    const options = (toolchain: CBuildOptions['toolchain']): CBuildOptions => ({ appDir: app, appName: 'hello', exchangeAreaLen: 128, stackSize: 8192, heapSize: 0, cacheDir: false, toolchain });
    const system = await buildCApp(options('system'));
    expect(system.toolchain).toMatch(/^system clang (1[89]|2\d)\b/);
    const bundled = await buildCApp(options('bundled'));
    expect(imports(system.wasm)).toEqual(imports(bundled.wasm));
    expect(runModule(system.wasm)).toEqual(['[hello] same bytes from any clang']);
    expect(runModule(bundled.wasm)).toEqual(['[hello] same bytes from any clang']);
  }, 900_000);
});

describe('RAMPART_CLANG', () => {
  it('names a clang on purpose: one that is not usable fails the build with the reason, never falls back', () => {
    // A fresh process: the system-clang probe is made once per process.
    const project = path.join(root, 'named');
    mkdirSync(path.join(project, 'apps', 'hello', 'src'), { recursive: true });
    writeFileSync(path.join(project, 'prj.conf'), 'CONFIG_SCHED_RRMQ=y\n');
    writeFileSync(path.join(project, 'board.dts'), '/dts-v1/;\n/ { };\n');
    writeFileSync(path.join(project, 'apps', 'hello', 'task.conf'), 'CONFIG_TASK_LABEL=0x1000\n');
    writeFileSync(path.join(project, 'apps', 'hello', 'src', 'main.c'), SOURCE);
    const run = spawnSync(process.execPath, ['bin/rampart.mjs', 'build', project], { encoding: 'utf8', env: { ...process.env, RAMPART_CLANG: '/no/such/clang' } });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('hello: RAMPART_CLANG=/no/such/clang is not a usable clang (no `/no/such/clang` on PATH); fix or unset it');
  }, 300_000);
});
