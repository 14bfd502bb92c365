/**
 * The Integrator Kit end to end on the demo project: a signed image with its SBOM,
 * manifest and detached signatures (checked by the real GnuPG too), reproducible in another
 * directory, per-app byte identity, app signatures against trust.json, the release
 * flavour's refusals, and `rampart verify` catching altered companions. Then a project's
 * problems listed in one refusal, and the board's RAM budget at build and at boot.
 *
 * Builds are the slow part (a fresh C build of the demo takes tens of seconds on this
 * machine); projects are copied with their build cache where a test does not need a fresh
 * build, so most builds below only re-run integration.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as openpgp from 'openpgp';
import { buildProject, integrateModule, ProjectError, type BuildProjectResult } from '../../toolchain/build/project.js';
import { DEFAULT_KERNEL_CONFIG } from '../../kernel/config.js';
import { taskWat, watToWasm } from '../helpers/wat.js';
import { runImageFile } from '../../toolchain/run.js';
import { readImage } from '../../kernel/image/image.js';
import { readContainer } from '../../kernel/image/sections.js';
import { bootSignedImage, ImageRefused } from '../../kernel/boot/boot.js';
import { generateKeyPair } from '../../toolchain/integrate/keys.js';
import { signApp } from '../../toolchain/integrate/trust.js';
import { validateSbom } from '../../toolchain/integrate/sbom.js';
import { verifyImageFile, inspectImage, formatInspectReport } from '../../toolchain/inspect.js';
import { OPENPGP_CONFIG } from '../../kernel/boot/verify.js';

const demo = join(import.meta.dirname, '../../apps/demo');
const work = mkdtempSync(join(tmpdir(), 'rampart-integrator-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const OUTPUTS = ['image.rimg', 'image.rimg.asc', 'image.cdx.json', 'image.cdx.json.asc', 'image.manifest.json', 'image.manifest.json.asc'];

/** Copy a project; `withCache` keeps build/.cache so unchanged apps are not recompiled. */
function copyProject(from: string, name: string, withCache = false): string {
  const to = join(work, name);
  cpSync(from, to, {
    recursive: true,
    filter: (s) => {
      const rel = s.slice(from.length);
      // These tests are about integration, not languages: the demo's two C apps are enough.
      if (/^\/apps\/(rusty|scripty)(\/|$)/.test(rel)) return false;
      if (!/^\/build(\/|$)/.test(rel)) return true;
      return withCache && /^\/build(\/\.cache(\/|$)|$)/.test(rel);
    },
  });
  return to;
}

async function build(dir: string, env: Record<string, string> = {}): Promise<{ result: BuildProjectResult; log: string[]; ms: number }> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const log: string[] = [];
  const started = performance.now();
  try {
    const result = await buildProject(dir, { progress: (l) => log.push(l) });
    return { result, log, ms: performance.now() - started };
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

async function refusal(dir: string, options: { signingKey?: string } = {}): Promise<string> {
  try {
    await buildProject(dir, { progress: () => undefined, ...options });
  } catch (error) {
    if (error instanceof ProjectError) return error.message;
    throw error;
  }
  throw new Error('build succeeded');
}

async function run(image: string, trust?: string) {
  let stdout = '';
  let stderr = '';
  const code = await runImageFile(image, { seed: 0, ...(trust !== undefined ? { trust } : {}), stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; } });
  return { code, stdout, stderr };
}

function gpg(home: string, ...args: string[]) {
  return spawnSync('gpg', ['--batch', '--no-tty', ...args], { env: { ...process.env, GNUPGHOME: home }, encoding: 'utf8' });
}

const first = copyProject(demo, 'first');
let firstBuild: Awaited<ReturnType<typeof build>>;

describe('rampart build: the signed product image', () => {
  it('writes the image, SBOM, manifest and detached signatures, with a loudly marked development key', async () => {
    firstBuild = await build(first);
    const { result, log } = firstBuild;
    for (const f of OUTPUTS) expect(existsSync(join(first, 'build', f)), f).toBe(true);
    expect(existsSync(join(first, 'keys', 'integrator-DEVELOPMENT-ONLY.asc'))).toBe(true);
    expect(log.join('\n')).toContain('!! SIGNING WITH A DEVELOPMENT KEY');
    expect(result.integration.signer.development).toBe(true);
    const image = readImage(readFileSync(result.imagePath));
    expect(image.sections.map((s) => s.task ?? s.kind)).toEqual(['kernel-config', 'board', 'ping', 'pong', 'sbom', 'manifest']);
    expect(image.signature).toBeDefined();
    const manifest = JSON.parse(readFileSync(result.integration.manifestPath, 'utf8')) as { product: { cpe: string }; inputs: { path: string }[]; tools: { name: string }[] };
    expect(manifest.product.cpe).toBe('cpe:2.3:o:rampart:rampart-demo:0.1.0:*:*:*:*:*:*:*');
    expect(manifest.inputs.map((i) => i.path)).toEqual(expect.arrayContaining(['prj.conf', 'board.dts', 'apps/ping/src/main.c', 'apps/pong/task.conf', 'sdk/uapi-c/src/uapi.c']));
    expect(manifest.inputs.some((i) => i.path === 'keys/integrator-DEVELOPMENT-ONLY.asc')).toBe(false);
    expect(manifest.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['node', 'binaryen', 'rampart-integrator', 'dtc', 'kconfiglib']));
    // The C compiler: the bundled clang, or a system clang >= 18 when one is installed.
    expect(manifest.tools.map((t) => t.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^(bundled|system) clang$/)]));
    // Figures for the report.
    console.log(`integration of apps/demo: full build ${firstBuild.ms.toFixed(0)} ms; image ${result.integration.imageBytes} bytes: ${result.integration.sections.map((s) => `${s.name ?? s.kind} ${s.bytes}`).join(', ')}, signature trailer ${result.integration.signatureBytes}`);
  }, 300_000);

  it('boot refuses the built image with any byte flipped: every byte of header, table and trailer, 24 of every section', async () => {
    const signed = new Uint8Array(readFileSync(firstBuild.result.imagePath));
    const anchor = readFileSync(join(first, 'keys', 'integrator-DEVELOPMENT-ONLY.pub.asc'), 'utf8');
    const quietBoot = { seed: 0, console: { line: () => undefined }, kernelLog: () => undefined, trustAnchor: anchor };
    await expect(bootSignedImage(signed, quietBoot)).resolves.toBeDefined();
    const container = readContainer(signed);
    const parts = [
      { name: 'header', from: 0, to: 12, every: true },
      { name: 'section table', from: 12, to: container.sections[0]!.offset, every: true },
      ...container.sections.map((x) => ({ name: `section ${x.index}`, from: x.offset, to: x.offset + x.length, every: false })),
      { name: 'signature trailer', from: container.signature!.signedLength, to: signed.length, every: true },
    ];
    const accepted: string[] = [];
    let tried = 0;
    for (const part of parts) {
      const length = part.to - part.from;
      const positions = part.every || length <= 24 ? Array.from({ length }, (_, i) => part.from + i)
        : Array.from({ length: 24 }, (_, i) => part.from + Math.floor((i * (length - 1)) / 23));
      for (const at of positions) {
        const flipped = new Uint8Array(signed);
        flipped[at]! ^= 0x01;
        tried++;
        try {
          await bootSignedImage(flipped, quietBoot);
          accepted.push(`${part.name} byte ${at}`);
        } catch (error) {
          if (!(error instanceof ImageRefused)) throw error;
        }
      }
    }
    console.log(`byte-flip sweep of the demo image: ${tried} positions over ${parts.length} parts (${signed.length} bytes), ${tried - accepted.length} refused`);
    expect(accepted).toEqual([]);
  }, 300_000);

  it('makes a CycloneDX SBOM that validates and lists kernel, apps, toolchains and npm packages', async () => {
    const text = readFileSync(join(first, 'build', 'image.cdx.json'), 'utf8');
    expect(await validateSbom(text)).toBeNull();
    const sbom = JSON.parse(text) as { specVersion: string; metadata: { component: { cpe: string }; tools: { components: { name: string; version: string }[] } }; components: { name: string; version?: string; licenses?: unknown[]; supplier?: { name: string }; hashes?: { alg: string; content: string }[]; purl?: string }[] };
    expect(sbom.specVersion).toBe('1.6');
    const ping = sbom.components.find((c) => c.name === 'ping')!;
    expect(ping).toMatchObject({ version: '0.1.0', supplier: { name: 'Rampart' }, licenses: [{ license: { id: 'Apache-2.0' } }] });
    expect(ping.hashes?.[0]).toEqual({ alg: 'SHA-256', content: readImage(readFileSync(join(first, 'build', 'image.rimg'))).tasks[0]!.moduleSha256 });
    expect(sbom.components.map((c) => c.name)).toEqual(expect.arrayContaining(['rampart-kernel', 'pong', 'openpgp', 'binaryen']));
    expect(sbom.components.find((c) => c.name === 'openpgp')!.purl).toMatch(/^pkg:npm\/openpgp@\d/);
    expect(sbom.metadata.tools.components.map((t) => t.name)).toEqual(expect.arrayContaining(['node', 'binaryen', expect.stringMatching(/^(bundled|system) clang$/)]));
  });

  it('signatures verify with GnuPG, and GnuPG refuses a tampered file', () => {
    const home = mkdtempSync(join(work, 'gnupg-'));
    expect(gpg(home, '--import', join(first, 'keys', 'integrator-DEVELOPMENT-ONLY.pub.asc')).status).toBe(0);
    for (const f of ['image.rimg', 'image.cdx.json', 'image.manifest.json']) {
      const file = join(first, 'build', f);
      const r = gpg(home, '--verify', `${file}.asc`, file);
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toContain('Good signature');
    }
    const tampered = join(work, 'tampered.rimg');
    const bytes = readFileSync(join(first, 'build', 'image.rimg')); bytes[100]! ^= 1;
    writeFileSync(tampered, bytes);
    const bad = gpg(home, '--verify', join(first, 'build', 'image.rimg.asc'), tampered);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('BAD signature');
  });

  it('runs a project image against the project key by default, and refuses it against another key', async () => {
    const good = await run(join(first, 'build', 'image.rimg'));
    expect(good.code).toBe(0);
    expect(good.stderr).toContain(`rampart: image signature verified: key ${firstBuild.result.integration.signer.fingerprint}`);
    const other = await generateKeyPair({ name: 'Someone else' });
    writeFileSync(join(work, 'other.pub.asc'), other.publicKey);
    const refused = await run(join(first, 'build', 'image.rimg'), join(work, 'other.pub.asc'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/image is signed by key [0-9a-f]{16}, not by the trust anchor/);
    const truncated = join(work, 'truncated.rimg');
    writeFileSync(truncated, readFileSync(join(first, 'build', 'image.rimg')).subarray(0, 5000));
    expect((await run(truncated, join(first, 'keys', 'integrator-DEVELOPMENT-ONLY.pub.asc'))).stderr).toMatch(/truncated image: section \d \(\w+\) ends at byte \d+, the file has 5000/);
  });

  it('rampart verify passes a good build, and names a companion that disagrees with the image', async () => {
    const image = join(first, 'build', 'image.rimg');
    const checks = await verifyImageFile(image);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual(['format', 'sbom', 'signature', 'signer key', 'image file', 'SBOM file', 'manifest file']);
    const copy = copyProject(first, 'verify-copy');
    cpSync(join(first, 'build'), join(copy, 'build'), { recursive: true });
    const manifestFile = join(copy, 'build', 'image.manifest.json');
    writeFileSync(manifestFile, readFileSync(manifestFile, 'utf8').replace('"rampart-demo"', '"rampart-demx"'));
    const bad = await verifyImageFile(join(copy, 'build', 'image.rimg'));
    expect(bad.filter((c) => !c.ok).map((c) => c.detail)).toEqual([`${manifestFile} differs from the copy inside the image`]);
    const report = formatInspectReport(await inspectImage(image));
    expect(report).toMatch(/ping\s+0x1000\s+2\s+10\s+auto\s+norestart\s+128 KiB/);
    expect(report).toContain('[DEVELOPMENT KEY]');
    expect(report).toContain('cpe:2.3:o:rampart:rampart-demo:0.1.0');
  });
});

describe('reproducibility and per-app integration', () => {
  const second = join(work, 'second-elsewhere');

  it('gives byte-identical image, SBOM, manifest and signatures in another directory', async () => {
    // Same inputs: the project as built first, including the key that build generated;
    // no build cache, so every app is compiled again.
    copyProject(first, 'second-elsewhere');
    const again = await build(second);
    expect(again.result.integration.sections.map((s) => s.sha256)).toEqual(firstBuild.result.integration.sections.map((s) => s.sha256));
    for (const f of OUTPUTS) expect(sha(join(second, 'build', f)), f).toBe(sha(join(first, 'build', f)));
  }, 300_000);

  it('takes its dates from SOURCE_DATE_EPOCH, still reproducibly', async () => {
    const a = await build(second, { SOURCE_DATE_EPOCH: '1900000000' });
    const hashes = OUTPUTS.map((f) => sha(join(second, 'build', f)));
    const manifest = JSON.parse(readFileSync(a.result.integration.manifestPath, 'utf8')) as { date: string; sourceDateEpoch: number };
    expect(manifest).toMatchObject({ date: '2030-03-17T17:46:40.000Z', sourceDateEpoch: 1900000000 });
    expect(JSON.parse(readFileSync(a.result.integration.sbomPath, 'utf8')).metadata.timestamp).toBe('2030-03-17T17:46:40.000Z');
    await build(second, { SOURCE_DATE_EPOCH: '1900000000' });
    expect(OUTPUTS.map((f) => sha(join(second, 'build', f)))).toEqual(hashes);
  }, 300_000);

  it('leaves the other apps\' sections byte-identical when one app changes or one is added', async () => {
    const p = copyProject(first, 'per-app', true);
    const before = new Map((await build(p)).result.integration.sections.map((s) => [s.name ?? s.kind, s.sha256]));
    const source = join(p, 'apps/pong/src/main.c');
    // A change that reaches the module (an unused function would be garbage-collected away).
    writeFileSync(source, readFileSync(source, 'utf8').replace('pong: ready', 'pong: ready and waiting'));
    cpSync(join(p, 'apps/pong'), join(p, 'apps/pang'), { recursive: true });
    writeFileSync(join(p, 'apps/pang/task.conf'), readFileSync(join(p, 'apps/pang/task.conf'), 'utf8').replace('CONFIG_TASK_LABEL=0x2000', 'CONFIG_TASK_LABEL=0x3000'));
    const after = new Map((await build(p)).result.integration.sections.map((s) => [s.name ?? s.kind, s.sha256]));
    expect(after.get('ping')).toBe(before.get('ping'));
    expect(after.get('kernel-config')).toBe(before.get('kernel-config'));
    expect(after.get('pong')).not.toBe(before.get('pong'));
    expect(after.has('pang')).toBe(true);
  }, 300_000);
});

describe('app signatures and the trust file', () => {
  const date = new Date('2024-01-01T00:00:00Z');
  let trusted: string;
  const keys: Record<string, { priv: openpgp.PrivateKey; pub: string }> = {};

  it('integrates apps signed by the keys trust.json allows for them, and records the signers', async () => {
    trusted = copyProject(first, 'trusted', true);
    for (const name of ['alice', 'bob']) {
      const pair = await generateKeyPair({ name, date });
      writeFileSync(join(trusted, 'keys', `${name}.pub.asc`), pair.publicKey);
      keys[name] = { priv: await openpgp.readPrivateKey({ armoredKey: pair.privateKey }), pub: pair.publicKey };
    }
    writeFileSync(join(trusted, 'trust.json'), JSON.stringify({ version: 1, signers: [
      { name: 'Alice', key: 'keys/alice.pub.asc', apps: ['ping'] },
      { name: 'Bob', key: 'keys/bob.pub.asc', apps: ['pong'] },
    ] }));
    await signApp(join(trusted, 'apps/ping'), 'ping', keys.alice!.priv, date);
    await signApp(join(trusted, 'apps/pong'), 'pong', keys.bob!.priv, date);
    const { result } = await build(trusted);
    expect(result.integration.origins.map((o) => [o.app, o.signer?.name])).toEqual([['ping', 'Alice'], ['pong', 'Bob']]);
    const manifest = readFileSync(result.integration.manifestPath, 'utf8');
    expect(manifest).toContain(keys.alice!.priv.getFingerprint());
  }, 300_000);

  it('refuses a module signed by a key not allowed for that app, and an unsigned app', async () => {
    await signApp(join(trusted, 'apps/pong'), 'pong', keys.alice!.priv, date);
    rmSync(join(trusted, 'apps/ping/app-sources.txt.asc'));
    const message = await refusal(trusted);
    expect(message).toMatch(/apps\/pong\/app-sources\.txt\.asc: app 'pong' is signed by 'Alice' \([0-9a-f]{40}\), whom \S*trust\.json does not allow to sign 'pong' \(allowed: ping\)/);
    expect(message).toMatch(/apps\/ping\/app-sources\.txt\.asc: missing; app 'ping' must be signed by a key \S*trust\.json allows for it \(Alice\): rampart sign --key KEY \S*apps\/ping/);
    await signApp(join(trusted, 'apps/ping'), 'ping', keys.alice!.priv, date);
    await signApp(join(trusted, 'apps/pong'), 'pong', keys.bob!.priv, date);
  }, 300_000);

  it('refuses sources changed after signing, naming the file', async () => {
    const source = join(trusted, 'apps/pong/src/main.c');
    const original = readFileSync(source, 'utf8');
    writeFileSync(source, `${original}\n/* sneaky */\n`);
    expect(await refusal(trusted)).toMatch(/app 'pong' signature by 'Bob' does not verify: signature does not match the content \(it changed after signing\)\n\s+.*apps\/pong\/src\/main\.c: changed since the app was signed/);
    writeFileSync(source, original);
  }, 300_000);

  it('refuses an expired or a revoked signer key in trust.json', async () => {
    const expired = await generateKeyPair({ name: 'carol', date, expiresInSeconds: 3600 });
    writeFileSync(join(trusted, 'keys/carol.pub.asc'), expired.publicKey);
    const dave = await generateKeyPair({ name: 'dave', date });
    const daveRevoked = await openpgp.revokeKey({ key: await openpgp.readKey({ armoredKey: dave.publicKey }), revocationCertificate: dave.revocationCertificate, format: 'armored', config: OPENPGP_CONFIG });
    writeFileSync(join(trusted, 'keys/dave.pub.asc'), daveRevoked.publicKey);
    const trust = JSON.parse(readFileSync(join(trusted, 'trust.json'), 'utf8')) as { signers: unknown[] };
    trust.signers.push({ name: 'Carol', key: 'keys/carol.pub.asc', apps: ['*'] }, { name: 'Dave', key: 'keys/dave.pub.asc', apps: ['pong'] });
    writeFileSync(join(trusted, 'trust.json'), JSON.stringify(trust));
    const message = await refusal(trusted);
    expect(message).toMatch(/trust\.json: signer 'Carol' \(keys\/carol\.pub\.asc\): key [0-9a-f]{40} expired on 2024-01-01T01:00:00\.000Z; it may not sign apps/);
    expect(message).toMatch(/trust\.json: signer 'Dave' \(keys\/dave\.pub\.asc\): key [0-9a-f]{40} is revoked; it may not sign apps/);
    trust.signers.splice(2);
    writeFileSync(join(trusted, 'trust.json'), JSON.stringify(trust));
  }, 300_000);

  it('refuses an expired integrator key', async () => {
    const old = await generateKeyPair({ name: 'old integrator', date, expiresInSeconds: 60 });
    writeFileSync(join(work, 'old-integrator.asc'), old.privateKey);
    expect(await refusal(trusted, { signingKey: join(work, 'old-integrator.asc') })).toMatch(/old-integrator\.asc: key [0-9a-f]{40} expired on 2024-01-01T00:01:00\.000Z; it may not sign/);
  }, 300_000);

  it('the release flavour refuses the development key and an unsigned project', async () => {
    const release = copyProject(first, 'release', true);
    writeFileSync(join(release, 'prj.conf'), readFileSync(join(release, 'prj.conf'), 'utf8').replace('CONFIG_BUILD_TARGET_DEBUG=y', 'CONFIG_BUILD_TARGET_RELEASE=y'));
    const message = await refusal(release);
    expect(message).toMatch(/keys\/integrator-DEVELOPMENT-ONLY\.asc: a release build \(CONFIG_BUILD_TARGET_RELEASE\) refuses to sign with the development key [0-9a-f]{40}/);
    expect(message).toMatch(/trust\.json: missing; a release build integrates only apps signed by keys that trust\.json allows/);
  }, 300_000);
});

describe('every problem in one refusal, and the board\'s RAM', () => {
  it('lists a board ownership violation together with an app\'s ungranted syscall', async () => {
    const p = copyProject(demo, 'board-and-imports', true);
    writeFileSync(join(p, 'board.dts'), '/dts-v1/;\n#include <rampart/rampart-m4.dtsi>\n/ { model = "two problems"; };\n&usart2 { outpost,owner = <0x2000>; status = "okay"; };\n');
    const pingConf = join(p, 'apps/ping/task.conf');
    writeFileSync(pingConf, readFileSync(pingConf, 'utf8').replace('CONFIG_CAP_SYS_PROCSTART=y\n', ''));
    const message = await refusal(p);
    expect(message).toMatch(/board\.dts: \S+: device usart2 needs CAP_DEV_BUSES, which its owner pong \(0x2000\) lacks; add CONFIG_CAP_DEV_BUSES=y to \S*apps\/pong\/task\.conf/);
    expect(message).toContain("task 'ping': imports syscall 'start' (__sys_start) without capability CAP_SYS_PROCSTART");
  }, 300_000);

  it('lists a stale SDK stamp together with the module\'s other problems', () => {
    const config = { label: 1, priority: 1, quantum: 10, autoStart: true, exitPolicy: 0, stackSize: 0x2000, heapSize: 0, domain: 0, capabilities: 0 } as const;
    const module = watToWasm(taskWat({ imports: ['start'], body: 'nop' }));
    let message = '';
    try { integrateModule('t', config, module, 'apps/t/task.conf', DEFAULT_KERNEL_CONFIG, undefined, { hash: 'a'.repeat(64), dir: 'build/sdk' }); } catch (e) {
      if (e instanceof ProjectError) message = e.message; else throw e;
    }
    expect(message).toContain("task 't': the module carries no SDK stamp");
    expect(message).toContain("task 't': imports syscall 'start' (__sys_start) without capability CAP_SYS_PROCSTART");
  });

  it('refuses tasks that do not fit the board\'s RAM with every figure, and builds and boots once they fit', async () => {
    const p = copyProject(demo, 'ram', true);
    // rampart-m4 with a smaller memory node, and one SHM: counted once, not once per task.
    const board = (ram: number) => `/dts-v1/;\n#include <rampart/rampart-m4.dtsi>\n/ { model = "small"; };\n&{/memory@0} { reg = <0x0 0x${ram.toString(16)}>; };\n`
      + '&reserved_memory { records: records@40000 { reg = <0x40000 0x1000>; outpost,shm; outpost,label = <0x5a>; outpost,owner = <0x1000>; }; };\n';
    writeFileSync(join(p, 'board.dts'), board(0x20000));
    const file = relative(process.cwd(), join(p, 'board.dts'));
    expect(await refusal(p)).toBe(`${file}: the tasks, shared memories and kernel do not fit the board's RAM: `
      + 'tasks ping 128 KiB (own memory 64 KiB + Asyncify save area 64 KiB), pong 128 KiB (own memory 64 KiB + Asyncify save area 64 KiB); '
      + 'shared memories /reserved-memory/records@40000 4 KiB; kernel reservation 32 KiB; total 292 KiB (0x49000), RAM 128 KiB (0x20000), 164 KiB over. '
      + `Shrink CONFIG_TASK_STACK_SIZE or CONFIG_TASK_HEAP_SIZE in the apps' task.conf, or enlarge the memory node (device_type = "memory") in ${file}`);
    // Exactly enough: the build and then boot (the same accounting) accept it.
    writeFileSync(join(p, 'board.dts'), board(0x49000));
    const { result } = await build(p);
    expect((await run(result.imagePath)).code).toBe(0);
  }, 300_000);
});
