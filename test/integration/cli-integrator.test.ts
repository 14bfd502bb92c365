/**
 * The Integrator Kit from the command line, as a user drives it: `rampart build` of the whole
 * demo (C, Rust and AssemblyScript apps) reproduced byte for byte in another directory, then
 * `keygen`, `sign`, a trust file, `build --key`, `inspect` (table and `--json`) and `verify`,
 * which must refuse a flipped byte and a revoked integrator key.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as cli } from '../helpers/cli.js';

const demo = join(import.meta.dirname, '../../apps/demo');
const work = mkdtempSync(join(tmpdir(), 'rampart-cli-integrator-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const OUTPUTS = ['image.rimg', 'image.rimg.asc', 'image.cdx.json', 'image.cdx.json.asc', 'image.manifest.json', 'image.manifest.json.asc'];
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Copy the demo's sources (no build folder, no keys) to `to`. */
function copyDemo(to: string): string {
  cpSync(demo, to, { recursive: true, filter: (s) => !/\/(build|keys)(\/|$)/.test(s.slice(demo.length)) });
  return to;
}

const first = join(work, 'a', 'demo');
const second = join(work, 'b', 'deeper', 'elsewhere');

describe('rampart build from the command line', () => {
  it('builds the whole demo (C, Rust, AssemblyScript) and gives byte-identical outputs in another directory', async () => {
    copyDemo(first);
    const a = await cli('build', first);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout.trim()).toBe(join(first, 'build', 'image.rimg'));
    // Same inputs, including the development key the first build generated; no build cache.
    copyDemo(second);
    cpSync(join(first, 'keys'), join(second, 'keys'), { recursive: true });
    const b = await cli('build', second);
    expect(b.code, b.stderr).toBe(0);
    for (const f of OUTPUTS) expect(sha(join(second, 'build', f)), f).toBe(sha(join(first, 'build', f)));
  }, 600_000);
});

describe('keygen, sign, trust, inspect and verify from the command line', () => {
  const keys = join(work, 'keys');

  it('keygen writes the private key, the public key and a revocation certificate, and never overwrites them', async () => {
    mkdirSync(keys, { recursive: true });
    for (const who of ['alice', 'integrator']) {
      const r = await cli('keygen', '--name', who === 'alice' ? 'Alice' : 'Release integrator', '--out', join(keys, who));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toMatch(/^[0-9a-f]{40}$/);
      for (const f of ['.asc', '.pub.asc', '.rev.asc']) expect(existsSync(join(keys, `${who}${f}`))).toBe(true);
    }
    const again = await cli('keygen', '--name', 'Alice', '--out', join(keys, 'alice'));
    expect(again.code).toBe(64);
    expect(again.stderr).toContain('keygen will not overwrite');
  }, 120_000);

  it('sign + trust.json + build --key: inspect shows every app\'s signer, verify passes', async () => {
    cpSync(join(keys, 'alice.pub.asc'), join(first, 'keys', 'alice.pub.asc'));
    writeFileSync(join(first, 'trust.json'), JSON.stringify({ version: 1, signers: [{ name: 'Alice', key: 'keys/alice.pub.asc', apps: ['*'] }] }));
    const apps = ['ping', 'pong', 'rusty', 'scripty'].map((a) => join(first, 'apps', a));
    const signed = await cli('sign', '--key', join(keys, 'alice.asc'), ...apps);
    expect(signed.code, signed.stderr).toBe(0);
    for (const a of apps) expect(existsSync(join(a, 'app-sources.txt.asc'))).toBe(true);
    const built = await cli('build', first, '--key', join(keys, 'integrator.asc'));
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr).not.toContain('DEVELOPMENT KEY');

    const image = join(first, 'build', 'image.rimg');
    const json = await cli('inspect', image, '--json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { tasks: { name: string }[]; manifest: { apps: { name: string; signer: { name: string } | null }[] } };
    expect(report.tasks.map((t) => t.name)).toEqual(['ping', 'pong', 'rusty', 'scripty']);
    expect(report.manifest.apps.map((a) => [a.name, a.signer?.name])).toEqual([['ping', 'Alice'], ['pong', 'Alice'], ['rusty', 'Alice'], ['scripty', 'Alice']]);
    const text = await cli('inspect', image);
    expect(text.stdout).toMatch(/rusty\s+0\.1\.0\s+Apache-2\.0\s+Rampart\s+rustc .*Alice [0-9a-f]{40}/);

    const verified = await cli('verify', image, '--trust', join(keys, 'integrator.pub.asc'));
    expect(verified.code, verified.stdout).toBe(0);
  }, 300_000);

  it('verify refuses a flipped byte, and an image checked against another key', async () => {
    const image = join(first, 'build', 'image.rimg');
    const bytes = readFileSync(image);
    const flipped = join(work, 'flipped.rimg');
    const copy = Uint8Array.from(bytes);
    copy[Math.floor(copy.length / 2)]! ^= 0x10;
    writeFileSync(flipped, copy);
    const bad = await cli('verify', flipped, '--trust', join(keys, 'integrator.pub.asc'));
    expect(bad.code).toBe(2);
    const other = await cli('verify', image, '--trust', join(keys, 'alice.pub.asc'));
    expect(other.code).toBe(2);
  }, 120_000);
});
