/**
 * The part of the build manifest the kernel reads: what the image should contain.
 *
 * The manifest section is JSON written by the Integrator Kit (toolchain/integrate/
 * manifest.ts). Its `image` member states the format version, the kernel configuration
 * hash, the board and SBOM section hashes, and each task's name, label, section hash and
 * module hash. The kernel holds the image to those claims: a manifest that disagrees with
 * the content it ships with is refused, whatever the signature says, because the manifest
 * is what auditors read. Everything else in the manifest (inputs, tools, signer) is the
 * toolchain's business and is not interpreted here; the signature still covers it.
 * The shape is defined here, once, and the toolchain builds it with `imageClaimsOf`.
 */

import { ImageError } from './image-error.js';
import { array, integer, object, parseJsonSection, SHA256_HEX, text, type JsonObject } from './json-fields.js';

/** One task as the manifest describes it. */
export interface TaskClaim {
  readonly name: string;
  readonly label: number;
  readonly sectionSha256: string;
  readonly moduleSha256: string;
}

/** The manifest's `image` member. */
export interface ManifestImageClaims {
  readonly formatVersion: number;
  readonly kernelConfigSha256: string;
  readonly boardSha256: string;
  /** SHA-256 of the SBOM section; null when the image carries no SBOM. */
  readonly sbomSha256: string | null;
  readonly tasks: readonly TaskClaim[];
}

/** What the image actually holds, in the same terms. */
export interface ImageFacts {
  readonly formatVersion: number;
  readonly configHash: string;
  readonly boardSha256: string;
  readonly sbomSha256: string | null;
  readonly tasks: readonly { readonly name: string; readonly label: number; readonly sectionSha256: string; readonly moduleSha256: string }[];
}

/** The claims that exactly describe `facts` (the integrator writes these). */
export function imageClaimsOf(facts: ImageFacts): ManifestImageClaims {
  return {
    formatVersion: facts.formatVersion,
    kernelConfigSha256: facts.configHash,
    boardSha256: facts.boardSha256,
    sbomSha256: facts.sbomSha256,
    tasks: facts.tasks.map((t) => ({ name: t.name, label: t.label, sectionSha256: t.sectionSha256, moduleSha256: t.moduleSha256 })),
  };
}

function readClaims(v: unknown): ManifestImageClaims {
  const o = object(v, 'manifest.image', ['formatVersion', 'kernelConfigSha256', 'boardSha256', 'sbomSha256', 'tasks']);
  return {
    formatVersion: integer(o.formatVersion, 'manifest.image.formatVersion', 1, 0xffff),
    kernelConfigSha256: text(o.kernelConfigSha256, 'manifest.image.kernelConfigSha256', SHA256_HEX),
    boardSha256: text(o.boardSha256, 'manifest.image.boardSha256', SHA256_HEX),
    sbomSha256: o.sbomSha256 === null ? null : text(o.sbomSha256, 'manifest.image.sbomSha256', SHA256_HEX),
    tasks: array(o.tasks, 'manifest.image.tasks', 255).map((raw, i) => {
      const w = `manifest.image.tasks[${i}]`;
      const t = object(raw, w, ['name', 'label', 'sectionSha256', 'moduleSha256']);
      return {
        name: text(t.name, `${w}.name`, /^.{1,64}$/),
        label: integer(t.label, `${w}.label`, 0, 0xffffffff),
        sectionSha256: text(t.sectionSha256, `${w}.sectionSha256`, SHA256_HEX),
        moduleSha256: text(t.moduleSha256, `${w}.moduleSha256`, SHA256_HEX),
      };
    }),
  };
}

/**
 * Compare the manifest's claims with the image. Returns every disagreement (empty when
 * the manifest describes the image exactly); throws `ImageError` when the manifest itself
 * cannot be read.
 */
export function manifestDisagreements(manifest: Uint8Array, facts: ImageFacts): string[] {
  const json = parseJsonSection(manifest, 'manifest section');
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !('image' in json)) throw new ImageError("manifest section: missing field 'image'");
  const claims = readClaims((json as JsonObject).image);
  const problems: string[] = [];
  const short = (h: string | null) => (h === null ? 'none' : h.slice(0, 16));
  if (claims.formatVersion !== facts.formatVersion) problems.push(`format version: manifest says ${claims.formatVersion}, image is ${facts.formatVersion}`);
  if (claims.kernelConfigSha256 !== facts.configHash) problems.push(`kernel configuration: manifest says ${short(claims.kernelConfigSha256)}, image has ${short(facts.configHash)}`);
  if (claims.boardSha256 !== facts.boardSha256) problems.push(`board section: manifest says ${short(claims.boardSha256)}, image has ${short(facts.boardSha256)}`);
  if (claims.sbomSha256 !== facts.sbomSha256) problems.push(`SBOM section: manifest says ${short(claims.sbomSha256)}, image has ${short(facts.sbomSha256)}`);
  const claimed = new Map(claims.tasks.map((t) => [t.name, t]));
  for (const task of facts.tasks) {
    const c = claimed.get(task.name);
    if (c === undefined) { problems.push(`task '${task.name}': in the image, not in the manifest`); continue; }
    claimed.delete(task.name);
    if (c.label !== task.label) problems.push(`task '${task.name}': manifest says label 0x${c.label.toString(16)}, image has 0x${task.label.toString(16)}`);
    if (c.sectionSha256 !== task.sectionSha256) problems.push(`task '${task.name}': manifest says section ${short(c.sectionSha256)}, image has ${short(task.sectionSha256)}`);
    if (c.moduleSha256 !== task.moduleSha256) problems.push(`task '${task.name}': manifest says module ${short(c.moduleSha256)}, image has ${short(task.moduleSha256)}`);
  }
  for (const name of claimed.keys()) problems.push(`task '${name}': in the manifest, not in the image`);
  return problems;
}
