/**
 * OpenPGP keys of the Integrator Kit: generation, loading, checks, the project's key.
 *
 * Owns where a project's integrator key lives and what makes a key usable:
 * - `PROJECT/keys/integrator.asc` is a release key (armored private key, optionally
 *   passphrase-protected; the passphrase comes from RAMPART_KEY_PASSPHRASE). A key given
 *   with `--key` or RAMPART_SIGNING_KEY takes precedence, so release keys need not live in
 *   the project tree at all.
 * - Without one, the first build generates `PROJECT/keys/integrator-DEVELOPMENT-ONLY.asc`
 *   (and its `.pub.asc`). Its user ID carries DEVELOPMENT_KEY_MARKER, which is what marks
 *   it (renaming the file does not launder it); every build that uses it warns loudly, and
 *   release builds refuse it.
 * - A key is usable when it is neither revoked nor expired *now* (the toolchain has a wall
 *   clock, unlike the kernel) and can sign.
 * Generation writes files with an exclusive create, so two concurrent first builds end up
 * with one key, never with a private key and a public key from two different pairs.
 */

import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as openpgp from 'openpgp';
import { OPENPGP_CONFIG } from '../../kernel/boot/verify.js';

/** The marker in a development key's user ID. */
export const DEVELOPMENT_KEY_MARKER = 'DEVELOPMENT ONLY';
export const RELEASE_KEY_FILE = 'integrator.asc';
export const DEVELOPMENT_KEY_FILE = 'integrator-DEVELOPMENT-ONLY.asc';

/** A key problem a user must fix. */
export class KeyError extends Error {
  override readonly name = 'KeyError';
}

/** Full openpgp.js configuration with the project's settings. */
export function pgpConfig(): openpgp.Config {
  return { ...openpgp.config, ...OPENPGP_CONFIG };
}

/** The public file name beside a private key file (`x.asc` → `x.pub.asc`). */
export function publicKeyFileOf(privateFile: string): string {
  return privateFile.replace(/\.asc$/, '') + '.pub.asc';
}

export interface GeneratedKey {
  readonly privateKey: string;
  readonly publicKey: string;
  readonly revocationCertificate: string;
  readonly fingerprint: string;
}

export interface KeygenOptions {
  readonly name: string;
  readonly email?: string;
  /** Creation time; default now. */
  readonly date?: Date;
  /** Lifetime in seconds; default: no expiry. */
  readonly expiresInSeconds?: number;
  readonly passphrase?: string;
}

/** Generate an Ed25519 (v4, EdDSA) signing key: GnuPG 2.2 and later verify its signatures. */
export async function generateKeyPair(options: KeygenOptions): Promise<GeneratedKey> {
  const { privateKey, publicKey, revocationCertificate } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name: options.name, ...(options.email !== undefined ? { email: options.email } : {}) }],
    ...(options.date !== undefined ? { date: options.date } : {}),
    ...(options.expiresInSeconds !== undefined ? { keyExpirationTime: options.expiresInSeconds } : {}),
    ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    format: 'armored',
    config: OPENPGP_CONFIG,
  });
  const key = await openpgp.readKey({ armoredKey: publicKey });
  return { privateKey, publicKey, revocationCertificate, fingerprint: key.getFingerprint() };
}

/** Read an armored public key file; a private key file yields its public half. */
export async function readPublicKeyFile(file: string): Promise<openpgp.PublicKey> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new KeyError(`${file}: cannot read: ${(error as Error).message}`);
  }
  try {
    const key = await openpgp.readKey({ armoredKey: text });
    return key.isPrivate() ? key.toPublic() : key;
  } catch (error) {
    throw new KeyError(`${file}: not an armored OpenPGP key: ${(error as Error).message}`);
  }
}

/** Read an armored private key file and unlock it (passphrase from the argument or RAMPART_KEY_PASSPHRASE). */
export async function readPrivateKeyFile(file: string, passphrase = process.env.RAMPART_KEY_PASSPHRASE): Promise<openpgp.PrivateKey> {
  let key: openpgp.PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey: readFileSync(file, 'utf8') });
  } catch (error) {
    throw new KeyError(`${file}: not an armored OpenPGP private key: ${(error as Error).message}`);
  }
  if (key.isDecrypted()) return key;
  if (passphrase === undefined) throw new KeyError(`${file}: the key is passphrase-protected; set RAMPART_KEY_PASSPHRASE`);
  try {
    return await openpgp.decryptKey({ privateKey: key, passphrase });
  } catch (error) {
    throw new KeyError(`${file}: cannot unlock the key: ${(error as Error).message}`);
  }
}

/** Facts about a key, for messages, `inspect` and the manifest. */
export interface KeyFacts {
  readonly fingerprint: string;
  readonly userIds: readonly string[];
  readonly created: Date;
  /** Null when the key never expires. */
  readonly expires: Date | null;
  readonly revoked: boolean;
  readonly development: boolean;
}

export async function keyFacts(key: openpgp.PublicKey | openpgp.PrivateKey): Promise<KeyFacts> {
  const expiration = await key.getExpirationTime(undefined, pgpConfig()).catch(() => null);
  const userIds = key.getUserIDs();
  return {
    fingerprint: key.getFingerprint(),
    userIds,
    created: key.getCreationTime(),
    expires: expiration instanceof Date ? expiration : null,
    revoked: await key.isRevoked(undefined, undefined, undefined, pgpConfig()),
    development: userIds.some((u) => u.includes(DEVELOPMENT_KEY_MARKER)),
  };
}

/** Why `key` cannot be trusted at `now`, or undefined when it can. */
export async function keyUnusableReason(key: openpgp.PublicKey | openpgp.PrivateKey, now: Date): Promise<string | undefined> {
  const facts = await keyFacts(key);
  if (facts.revoked) return `key ${facts.fingerprint} is revoked`;
  if (facts.expires !== null && facts.expires.getTime() <= now.getTime()) return `key ${facts.fingerprint} expired on ${facts.expires.toISOString()}`;
  if (facts.created.getTime() > now.getTime()) return `key ${facts.fingerprint} is created in the future (${facts.created.toISOString()})`;
  return undefined;
}

/** Write `text` to `file` only if it does not exist yet (atomic: link of a finished temp file). */
function createExclusive(file: string, text: string): boolean {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The integrator key a build signs with. */
export interface SigningKey {
  readonly key: openpgp.PrivateKey;
  /** Where it came from (absolute path). */
  readonly file: string;
  readonly publicKey: string;
  readonly facts: KeyFacts;
  /** True when this build generated it. */
  readonly generated: boolean;
}

/**
 * The key a build of `projectDir` signs with: `explicitFile`, else RAMPART_SIGNING_KEY, else
 * `keys/integrator.asc`, else `keys/integrator-DEVELOPMENT-ONLY.asc`, generated if missing.
 */
export async function projectSigningKey(projectDir: string, explicitFile?: string): Promise<SigningKey> {
  const keysDir = join(projectDir, 'keys');
  const chosen = explicitFile ?? process.env.RAMPART_SIGNING_KEY;
  let file = chosen !== undefined && chosen !== '' ? resolve(chosen) : join(keysDir, RELEASE_KEY_FILE);
  let generated = false;
  if (!existsSync(file)) {
    if (chosen !== undefined && chosen !== '') throw new KeyError(`${chosen}: no such signing key file`);
    file = join(keysDir, DEVELOPMENT_KEY_FILE);
    if (!existsSync(file)) {
      mkdirSync(keysDir, { recursive: true });
      const pair = await generateKeyPair({
        name: `Rampart integrator of ${basename(projectDir)} (${DEVELOPMENT_KEY_MARKER}, never ship)`,
        email: 'integrator@development.invalid',
      });
      generated = createExclusive(file, pair.privateKey);
    }
  }
  const key = await readPrivateKeyFile(file);
  const publicKey = key.toPublic().armor(pgpConfig());
  const facts = await keyFacts(key);
  // Keep the public file beside a project key in step with the private one.
  if (dirname(file) === keysDir) {
    const pub = publicKeyFileOf(file);
    if (!existsSync(pub) || readFileSync(pub, 'utf8') !== publicKey) writeFileSync(pub, publicKey);
  }
  return { key, file, publicKey, facts, generated };
}

/**
 * The trust anchor to run a project's image with: when `imagePath` is
 * `PROJECT/build/<image>` of a project that has an integrator public key, that key's file.
 */
export function projectTrustAnchorFile(imagePath: string): string | undefined {
  const buildDir = dirname(resolve(imagePath));
  if (basename(buildDir) !== 'build') return undefined;
  const project = dirname(buildDir);
  if (!existsSync(join(project, 'prj.conf'))) return undefined;
  for (const name of [RELEASE_KEY_FILE, DEVELOPMENT_KEY_FILE]) {
    const pub = join(project, 'keys', publicKeyFileOf(name));
    if (existsSync(pub)) return pub;
  }
  return undefined;
}
