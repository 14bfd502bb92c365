/**
 * An app built outside `rampart build` (meson, make, cargo: any tool that links against the
 * project's SDK) is integrated from its module alone: an app folder holding `task.conf` and
 * one `NAME.wasm`. Its SDK stamp must name the project's configuration; a module built
 * against another configuration is refused, naming both, and so is a folder with two modules.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProject, ProjectError } from '../../toolchain/build/project.js';
import { buildCApp } from '../../toolchain/build/c.js';
import { shortHash, stampModule } from '../../toolchain/sdk/sdk.js';
import { runImageFile } from '../../toolchain/run.js';

const work = mkdtempSync(join(tmpdir(), 'rampart-prebuilt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TASK_CONF = 'CONFIG_TASK_LABEL=0x1000\nCONFIG_TASK_PRIORITY=1\nCONFIG_TASK_QUANTUM=10\nCONFIG_TASK_AUTO_START=y\nCONFIG_TASK_EXIT_NORESTART=y\nCONFIG_TASK_STACK_SIZE=0x2000\n';
const SOURCE = `#include <uapi/uapi.h>
int main(void)
{
    static const uint8_t msg[] = "built elsewhere\\n";
    copy_to_kernel(msg, sizeof(msg) - 1);
    __sys_log(sizeof(msg) - 1);
    return 0;
}
`;

function project(name: string, prj: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'apps', 'outside'), { recursive: true });
  writeFileSync(join(dir, 'prj.conf'), prj);
  writeFileSync(join(dir, 'board.dts'), '/dts-v1/;\n/ { model = "prebuilt"; };\n');
  writeFileSync(join(dir, 'apps', 'outside', 'task.conf'), TASK_CONF);
  return dir;
}

async function refusal(dir: string): Promise<string> {
  try {
    await buildProject(dir, { progress: () => undefined });
  } catch (error) {
    if (error instanceof ProjectError) return error.message;
    throw error;
  }
  throw new Error('build succeeded');
}

describe('prebuilt app modules', () => {
  it('integrates a module built against the project\'s SDK as it is, and runs it', async () => {
    // First build with the sources: it generates the project's SDK (build/sdk).
    const dir = project('same', 'CONFIG_SVC_EXCHANGE_AREA_LEN=128\n');
    mkdirSync(join(dir, 'apps', 'outside', 'src'));
    writeFileSync(join(dir, 'apps', 'outside', 'src', 'main.c'), SOURCE);
    await buildProject(dir, { progress: () => undefined });
    const sdk = JSON.parse(readFileSync(join(dir, 'build', 'sdk', 'sdk.json'), 'utf8')) as { configHash: string };
    // The user's own build: the same compiler and runtime, stamped with the SDK's hash as
    // the SDK's crt0.o stamps what links it.
    const own = await buildCApp({ appDir: join(dir, 'apps', 'outside'), appName: 'outside', exchangeAreaLen: 128, stackSize: 0x2000, heapSize: 0, cacheDir: false });
    rmSync(join(dir, 'apps', 'outside', 'src'), { recursive: true });
    writeFileSync(join(dir, 'apps', 'outside', 'outside.wasm'), stampModule(own.wasm, sdk.configHash));
    const log: string[] = [];
    const built = await buildProject(dir, { progress: (l) => log.push(l) });
    expect(log.some((l) => /^ {2}WASM {4}outside \(.*apps\/outside\/outside\.wasm/.test(l))).toBe(true);
    expect(built.apps[0]!.toolchain).toMatch(/^prebuilt module outside\.wasm \(sha256 [0-9a-f]{16}\)$/);
    let stdout = '';
    const code = await runImageFile(built.imagePath, { seed: 1, stdout: (s) => { stdout += s; }, stderr: () => undefined });
    expect(code).toBe(0);
    expect(stdout).toBe('[outside] built elsewhere\n');

    // The same module in a project of another configuration: refused, naming both SDKs.
    const other = project('other', 'CONFIG_SVC_EXCHANGE_AREA_LEN=256\n');
    writeFileSync(join(other, 'apps', 'outside', 'outside.wasm'), readFileSync(join(dir, 'apps', 'outside', 'outside.wasm')));
    const message = await refusal(other);
    expect(message).toMatch(new RegExp(`task 'outside': built against SDK ${shortHash(sdk.configHash)}, but this kernel configuration and board are SDK [0-9a-f]+; rebuild it against the SDK in \\S*build/sdk`));
  }, 300_000);

  it('refuses an unstamped module, bytes that are no module, and a folder with two modules', async () => {
    const dir = project('unstamped', 'CONFIG_SVC_EXCHANGE_AREA_LEN=128\n');
    const src = join(work, 'src-copy', 'apps', 'outside');
    mkdirSync(join(src, 'src'), { recursive: true });
    writeFileSync(join(src, 'src', 'main.c'), SOURCE);
    const { wasm } = await buildCApp({ appDir: src, appName: 'outside', exchangeAreaLen: 128, stackSize: 0x2000, heapSize: 0, cacheDir: false });
    writeFileSync(join(dir, 'apps', 'outside', 'outside.wasm'), wasm);
    expect(await refusal(dir)).toContain("task 'outside': the module carries no SDK stamp");
    writeFileSync(join(dir, 'apps', 'outside', 'outside.wasm'), new TextEncoder().encode('not a module at all'));
    expect(await refusal(dir)).toBe("task 'outside': cannot read its module (not a WebAssembly module)\ntask 'outside': not a WebAssembly module (bad magic)");
    writeFileSync(join(dir, 'apps', 'outside', 'outside.wasm'), wasm);
    writeFileSync(join(dir, 'apps', 'outside', 'second.wasm'), wasm);
    expect(await refusal(dir)).toMatch(/apps\/outside: 2 prebuilt modules \(outside\.wasm, second\.wasm\); an app folder holds exactly one, or sources/);
  }, 300_000);
});
