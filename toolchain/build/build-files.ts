/**
 * File and hashing helpers shared by the language backends (C, Rust, AssemblyScript).
 *
 * Cache entries are written through a temporary name and renamed, so a concurrent reader
 * never sees half a file; content keys hash each part with its kind and length, so two
 * different part lists can never produce the same key by concatenation.
 */

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
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
