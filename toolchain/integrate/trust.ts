/**
 * Who may sign which app: the project's trust file and the app developers' signatures.
 *
 * What an app developer signs. The integrator compiles every app from its sources, so a
 * signature over a finished module would vouch for bytes the integrator then replaces with
 * its own build. What the developer can meaningfully vouch for is the source tree they
 * hand over: the *app source manifest*, a text file listing the SHA-256 and path of every
 * file of `apps/<name>/` (task.conf included, the signature files and build outputs
 * excluded), with the app's name in its first lines so a signature cannot be replayed onto
 * another app. `rampart sign --key KEY apps/<name>` writes it as `app-sources.txt` and the
 * detached signature as `app-sources.txt.asc` (`gpg --verify` reads both). The integrator
 * recomputes the manifest from the tree it is about to compile and verifies the signature
 * over the recomputed text, so any changed, added or removed file is caught, and the
 * stored copy only serves to name what changed.
 *
 * The trust file `PROJECT/trust.json` lists app-signing keys and the apps each may sign:
 *   { "version": 1, "signers": [ { "name": "Alice", "key": "keys/alice.pub.asc", "apps": ["ping"] } ] }
 * ("*" allows every app). Keys that are revoked or expired now are refused. With a trust
 * file, every app must carry a valid signature by a key allowed for it; release builds
 * require a trust file. Every problem names the file, the app and the key.
 */

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type * as openpgp from 'openpgp';
import { sha256Hex } from '../../kernel/image/sections.js';
import { KeyError, keyUnusableReason, readPublicKeyFile } from './keys.js';
import { SignatureError, signDetached, signatureFacts, verifyDetached } from './sign.js';

export const TRUST_FILE = 'trust.json';
export const APP_SOURCES_FILE = 'app-sources.txt';
export const APP_SIGNATURE_FILE = 'app-sources.txt.asc';
const MANIFEST_HEADER = 'rampart-app-sources 1';
/** Folders that hold build outputs, not sources: never part of what a developer signs. */
const EXCLUDED_DIRS = new Set(['build', 'target', 'node_modules', '.git']);

/** One trusted app signer. */
export interface TrustedSigner {
  readonly name: string;
  /** The key file, relative to the project. */
  readonly keyFile: string;
  readonly key: openpgp.PublicKey;
  /** App names, or `*`. */
  readonly apps: readonly string[];
}

/** A trust file, read and checked. */
export interface TrustPolicy {
  readonly file: string;
  readonly signers: readonly TrustedSigner[];
}

/** Every problem found, each naming its file. */
export class TrustError extends Error {
  override readonly name = 'TrustError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Read `PROJECT/trust.json` (undefined when there is none). `now` is when key validity is
 * judged. `rel` turns absolute paths into the ones messages show.
 */
export async function readTrustFile(projectDir: string, now: Date, rel: (p: string) => string = (p) => p): Promise<TrustPolicy | undefined> {
  const file = join(projectDir, TRUST_FILE);
  if (!existsSync(file)) return undefined;
  const where = rel(file);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TrustError([`${where}: not valid JSON: ${(error as Error).message}`]);
  }
  const problems: string[] = [];
  if (!isObject(json)) throw new TrustError([`${where}: expected an object with "version" and "signers"`]);
  for (const k of Object.keys(json)) if (k !== 'version' && k !== 'signers') problems.push(`${where}: unknown field '${k}'`);
  if (json.version !== 1) problems.push(`${where}: "version" must be 1`);
  if (!Array.isArray(json.signers)) throw new TrustError([...problems, `${where}: "signers" must be an array`]);
  const signers: TrustedSigner[] = [];
  for (const [i, raw] of json.signers.entries()) {
    const w = `${where}: signers[${i}]`;
    if (!isObject(raw)) { problems.push(`${w}: expected an object`); continue; }
    for (const k of Object.keys(raw)) if (!['name', 'key', 'apps'].includes(k)) problems.push(`${w}: unknown field '${k}'`);
    const name = raw.name;
    const keyFile = raw.key;
    const apps = raw.apps;
    if (typeof name !== 'string' || name === '') { problems.push(`${w}: "name" must be a non-empty string`); continue; }
    if (typeof keyFile !== 'string' || keyFile === '') { problems.push(`${w} (${name}): "key" must be the path of an armored public key`); continue; }
    if (!Array.isArray(apps) || apps.length === 0 || !apps.every((a) => typeof a === 'string' && a !== '')) { problems.push(`${w} (${name}): "apps" must list app names (or "*")`); continue; }
    let key: openpgp.PublicKey;
    try {
      key = await readPublicKeyFile(join(projectDir, keyFile));
    } catch (error) {
      if (error instanceof KeyError) { problems.push(`${where}: signer '${name}': ${error.message.replace(join(projectDir, keyFile), keyFile)}`); continue; }
      throw error;
    }
    const reason = await keyUnusableReason(key, now);
    if (reason !== undefined) { problems.push(`${where}: signer '${name}' (${keyFile}): ${reason}; it may not sign apps`); continue; }
    signers.push({ name, keyFile, key, apps: apps as string[] });
  }
  if (problems.length > 0) throw new TrustError(problems);
  return { file: where, signers };
}

/** The app source manifest of one app. */
export interface AppSourceManifest {
  readonly text: string;
  readonly sha256: string;
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
}

function walk(dir: string, root: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    // stat, not lstat: a symlinked source is compiled through its target, so hash the target.
    const st = statSync(full);
    if (st.isDirectory()) {
      if (!EXCLUDED_DIRS.has(name)) walk(full, root, out);
    } else if (st.isFile()) {
      const path = relative(root, full).split('\\').join('/');
      if (path !== APP_SOURCES_FILE && path !== APP_SIGNATURE_FILE) out.push(path);
    }
  }
}

/** Compute the source manifest of `apps/<appName>/` (paths sorted, relative, '/'-separated). */
export function appSourceManifest(appDir: string, appName: string): AppSourceManifest {
  const paths: string[] = [];
  walk(appDir, appDir, paths);
  paths.sort();
  const files = paths.map((path) => ({ path, sha256: sha256Hex(readFileSync(join(appDir, path))) }));
  const text = [MANIFEST_HEADER, `app ${appName}`, ...files.map((f) => `${f.sha256}  ${f.path}`), ''].join('\n');
  return { text, sha256: sha256Hex(text), files };
}

/** What changed between a stored manifest text and the current one, file by file. */
function describeChanges(stored: string, current: AppSourceManifest, appRel: string): string[] {
  const before = new Map<string, string>();
  for (const line of stored.split('\n')) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (m !== null) before.set(m[2]!, m[1]!);
  }
  const out: string[] = [];
  for (const f of current.files) {
    const old = before.get(f.path);
    if (old === undefined) out.push(`${appRel}/${f.path}: added since the app was signed`);
    else if (old !== f.sha256) out.push(`${appRel}/${f.path}: changed since the app was signed`);
    before.delete(f.path);
  }
  for (const path of before.keys()) out.push(`${appRel}/${path}: removed since the app was signed`);
  return out;
}

/** The verified origin of one app. */
export interface AppOrigin {
  readonly app: string;
  readonly sourceManifestSha256: string;
  /** Null when the project has no trust file (unsigned development integration). */
  readonly signer: { readonly name: string; readonly fingerprint: string; readonly signedAt: Date } | null;
}

/**
 * Verify every app's signature against the trust policy. Returns each app's origin, or
 * throws `TrustError` listing every problem. Without a policy, apps are not checked.
 */
export async function verifyAppSignatures(projectDir: string, appNames: readonly string[], policy: TrustPolicy | undefined, rel: (p: string) => string = (p) => p): Promise<AppOrigin[]> {
  const problems: string[] = [];
  const origins: AppOrigin[] = [];
  for (const app of appNames) {
    const appDir = join(projectDir, 'apps', app);
    const manifest = appSourceManifest(appDir, app);
    if (policy === undefined) { origins.push({ app, sourceManifestSha256: manifest.sha256, signer: null }); continue; }
    const sigFile = join(appDir, APP_SIGNATURE_FILE);
    const allowed = policy.signers.filter((s) => s.apps.includes(app) || s.apps.includes('*'));
    if (!existsSync(sigFile)) {
      problems.push(`${rel(sigFile)}: missing; app '${app}' must be signed by a key ${policy.file} allows for it (${allowed.map((s) => s.name).join(', ') || 'none listed'}): rampart sign --key KEY ${rel(appDir)}`);
      continue;
    }
    const armored = readFileSync(sigFile, 'utf8');
    let facts: { keyIds: readonly string[]; created: Date };
    try {
      facts = await signatureFacts(armored);
    } catch (error) {
      problems.push(`${rel(sigFile)}: not an OpenPGP signature: ${(error as Error).message}`);
      continue;
    }
    const byKey = (s: TrustedSigner) => s.key.getKeys().some((k) => facts.keyIds.includes(k.getKeyID().toHex()));
    const signer = policy.signers.find(byKey);
    if (signer === undefined) {
      problems.push(`${rel(sigFile)}: app '${app}' is signed by key ${facts.keyIds.join(', ')}, which ${policy.file} does not list`);
      continue;
    }
    if (!allowed.includes(signer)) {
      problems.push(`${rel(sigFile)}: app '${app}' is signed by '${signer.name}' (${signer.key.getFingerprint()}), whom ${policy.file} does not allow to sign '${app}' (allowed: ${signer.apps.join(', ')})`);
      continue;
    }
    try {
      const verified = await verifyDetached(new TextEncoder().encode(manifest.text), armored, [signer.key]);
      origins.push({ app, sourceManifestSha256: manifest.sha256, signer: { name: signer.name, fingerprint: verified.fingerprint, signedAt: verified.signedAt } });
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      const stored = join(appDir, APP_SOURCES_FILE);
      const changes = existsSync(stored) ? describeChanges(readFileSync(stored, 'utf8'), manifest, rel(appDir)) : [];
      problems.push(`${rel(sigFile)}: app '${app}' signature by '${signer.name}' does not verify: ${error.message}${changes.length > 0 ? `\n    ${changes.join('\n    ')}` : ''}`);
    }
  }
  if (problems.length > 0) throw new TrustError(problems);
  return origins;
}

/** Sign an app's sources: write `app-sources.txt` and `app-sources.txt.asc`. */
export async function signApp(appDir: string, appName: string, key: openpgp.PrivateKey, date: Date): Promise<AppSourceManifest> {
  const manifest = appSourceManifest(appDir, appName);
  const signature = await signDetached(new TextEncoder().encode(manifest.text), key, date);
  writeFileSync(join(appDir, APP_SOURCES_FILE), manifest.text);
  writeFileSync(join(appDir, APP_SIGNATURE_FILE), signature);
  return manifest;
}
