/**
 * The build manifest: what went into an image and what made it.
 *
 * A JSON document (schema `rampart-build-manifest/1`) with the product identity and CPE
 * name, the build date, the SHA-256 of every input file (project files by their path in
 * the project, SDK files under `sdk/`), every tool's version, each app's provenance (source
 * manifest hash, signer, toolchain, module hash) and the integrator key. Its `image` member
 * is the kernel-checked claim about the image content (kernel/image/manifest-claims.ts):
 * boot refuses an image whose manifest disagrees with it.
 *
 * Invariants: no absolute path and no wall-clock time appears in it (paths are relative,
 * the date is the build date), keys are sorted at every level; so the same inputs give
 * the same bytes, in any directory.
 */

import type { ManifestImageClaims } from '../../kernel/image/manifest-claims.js';

export const MANIFEST_SCHEMA = 'rampart-build-manifest/1';

export interface ManifestApp {
  readonly name: string;
  readonly label: number;
  readonly version: string | null;
  readonly license: string | null;
  readonly supplier: string | null;
  readonly toolchain: string;
  readonly sourceManifestSha256: string;
  readonly moduleSha256: string;
  readonly signer: { readonly name: string; readonly fingerprint: string; readonly signedAt: string } | null;
}

export interface ManifestInput {
  readonly product: { readonly name: string; readonly vendor: string; readonly version: string; readonly cpe: string };
  readonly date: Date;
  /** SOURCE_DATE_EPOCH when it set the date, else null (the date came from the inputs). */
  readonly sourceDateEpoch: number | null;
  readonly image: ManifestImageClaims;
  readonly kernel: { readonly version: string; readonly sourceSha256: string; readonly config: Readonly<Record<string, unknown>> };
  readonly apps: readonly ManifestApp[];
  readonly inputs: readonly { readonly path: string; readonly sha256: string }[];
  readonly tools: readonly { readonly name: string; readonly version: string }[];
  readonly integrator: { readonly fingerprint: string; readonly userIds: readonly string[]; readonly development: boolean };
  readonly sbom: { readonly format: string; readonly specVersion: string };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** The manifest as pretty JSON bytes (sorted keys, two-space indent, final newline). */
export function buildManifest(input: ManifestInput): Uint8Array {
  const doc = {
    schema: MANIFEST_SCHEMA,
    product: input.product,
    date: input.date.toISOString(),
    sourceDateEpoch: input.sourceDateEpoch,
    image: input.image,
    kernel: input.kernel,
    apps: [...input.apps].sort((a, b) => a.label - b.label),
    inputs: [...input.inputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    tools: [...input.tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    integrator: input.integrator,
    sbom: input.sbom,
  };
  return new TextEncoder().encode(`${JSON.stringify(sortKeys(doc), null, 2)}\n`);
}
