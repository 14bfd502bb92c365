/**
 * File and hashing helpers shared by the language backends (C, Rust, AssemblyScript).
 *
 * Cache entries are written through a temporary name and renamed, so a concurrent reader
 * never sees half a file; content keys hash each part with its kind and length, so two
 * different part lists can never produce the same key by concatenation.
 */

import { createHash } from 'node:crypto';
import { promises as fs, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** What every app backend (C, Rust, AssemblyScript) returns. */
export interface AppBuildResult {
  /** The module, before the integrator's instrumentation (a fresh, unshared buffer). */
  readonly wasm: Uint8Array<ArrayBuffer>;
  /** Which compiler produced it, e.g. `rustc 1.63.0 (Debian /usr/bin/rustc)`. */
  readonly toolchain: string;
  /** True when the module came from the cache without compiling. */
  readonly cached: boolean;
  /** Compiler (and linker) warnings, with real file paths (empty when clean). */
  readonly diagnostics: string;
}

/** How a path is shown to the user: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const abs = path.resolve(file);
  const rel = path.relative(process.cwd(), abs);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel;
}

/** SHA-256 over framed parts (kind and length before each), as a hex cache key. */
export function sha256(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(typeof part === 'string' ? `s${part.length}:` : `b${part.length}:`);
    hash.update(part);
  }
  return hash.digest('hex');
}

/** A cache entry's bytes, or undefined when it is not there. */
export async function readCache(file: string): Promise<Uint8Array<ArrayBuffer> | undefined> {
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch {
    return undefined;
  }
}

/** Write through a temporary name so a concurrent reader never sees half a file. */
export async function writeCache(file: string, content: Uint8Array | string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(tmp, content);
  await fs.rename(tmp, file);
}

/** Write through a temporary name, synchronously (integration and packing are synchronous). */
export function writeFileAtomically(file: string, content: Uint8Array | string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

/**
 * The other entries of the same app among `files`, for the cache entry `base`
 * (`<dir>/<app>-<hex key>`, files `.wasm` and `.json`), its own files included: one entry
 * per app is kept, and it is written again after these are dropped.
 */
export function olderEntries(files: readonly string[], base: string): string[] {
  const name = path.basename(base);
  const dash = name.lastIndexOf('-');
  const app = name.slice(0, dash);
  const keyLength = name.length - dash - 1;
  const entry = new RegExp(`^[0-9a-f]{${keyLength}}\\.(wasm|json)$`);
  return files.filter((f) => f.startsWith(`${app}-`) && entry.test(f.slice(app.length + 1)));
}

/** Store a module and its metadata as the app's one cache entry `base`, dropping its older ones. */
export async function replaceCacheEntry(base: string, wasm: Uint8Array, meta: unknown): Promise<void> {
  const dir = path.dirname(base);
  for (const f of olderEntries(await fs.readdir(dir).catch(() => [] as string[]), base)) await fs.rm(path.join(dir, f), { force: true });
  await writeCache(`${base}.wasm`, wasm);
  await writeCache(`${base}.json`, JSON.stringify(meta));
}

/** {@link replaceCacheEntry}, synchronously. */
export function replaceCacheEntrySync(base: string, wasm: Uint8Array, meta: unknown): void {
  const dir = path.dirname(base);
  mkdirSync(dir, { recursive: true });
  for (const f of olderEntries(readdirSync(dir), base)) rmSync(path.join(dir, f), { force: true });
  writeFileAtomically(`${base}.wasm`, wasm);
  writeFileAtomically(`${base}.json`, JSON.stringify(meta));
}

