/**
 * The `.rimg` image, format version 2: reading and strict validation, and the writer that
 * the integrator and the tests share (pure parsing and hashing, no side effects).
 *
 * An image is a section container (sections.ts): kernel-config (JSON), board (JSON,
 * checked by board-json.ts), one task section per task in label order (task-section.ts),
 * then optionally the SBOM and the build manifest, then optionally the signature trailer.
 * See docs/image-format.md.
 *
 * Invariants:
 * - every byte is accounted for: sections are contiguous, hashed, and typed; every JSON
 *   field is checked (unknown keys, wrong types, out-of-range values are errors);
 * - sections come in one order (kernel-config, board, task..., sbom?, manifest?) and task
 *   sections in ascending label order, so equal content gives equal bytes;
 * - each task section records the kernel configuration it was integrated for, and it must
 *   be this image's;
 * - a manifest, when present, must describe the image exactly (manifest-claims.ts).
 * An image is hostile until it passes. Signature verification is not done here: it needs
 * a trust anchor and OpenPGP, and lives in kernel/boot/verify.ts.
 */

import type { KernelConfig } from '../config.js';
import { EMPTY_BOARD, type Board } from '../board.js';
import { readBoardJson } from './board-json.js';
import { ImageError } from './image-error.js';
import { canonicalJson, integer, object, parseJsonSection, text } from './json-fields.js';
import { manifestDisagreements } from './manifest-claims.js';
import {
  IMAGE_MAGIC, IMAGE_VERSION, SECTION_KIND_NAMES, SectionKind, readContainer, sha256Hex, writeContainer,
  type SectionContent, type SignatureTrailer,
} from './sections.js';
import { decodeTaskSection, encodeTaskSection, type ImageTask, type ImageTaskInput } from './task-section.js';
export { taskClaimProblems } from './task-section.js';

export { IMAGE_MAGIC, IMAGE_VERSION, ImageError, SectionKind, sha256Hex };
export type { ImageTask, ImageTaskInput, SignatureTrailer };
export type { TaskResources } from './task-section.js';

/** One section as `inspect` shows it. */
export interface ImageSectionSummary {
  readonly index: number;
  readonly kind: string;
  readonly offset: number;
  readonly length: number;
  readonly sha256: string;
  /** The task's name, for task sections. */
  readonly task?: string;
}

export interface Image {
  readonly version: number;
  readonly kernel: KernelConfig;
  readonly board: Board;
  /** `kernelConfigHash(kernel)`. */
  readonly configHash: string;
  readonly tasks: readonly ImageTask[];
  /** SHA-256 of the board section. */
  readonly boardSha256: string;
  readonly sections: readonly ImageSectionSummary[];
  /** The SBOM section (CycloneDX JSON), when present. */
  readonly sbom: Uint8Array | undefined;
  /** The build manifest section (JSON), when present. */
  readonly manifest: Uint8Array | undefined;
  /** The signature trailer, when present (not verified here). */
  readonly signature: SignatureTrailer | undefined;
}

const KERNEL_KEYS = ['buildTarget', 'scheduler', 'exchangeAreaLen', 'maxTasks', 'nominalFrequencyHz', 'systickHz'] as const;

/** Canonical hash of a kernel configuration (key order fixed). */
export function kernelConfigHash(config: KernelConfig): string {
  return sha256Hex(JSON.stringify(KERNEL_KEYS.map((k) => [k, config[k]])));
}

function readKernelConfig(v: unknown): KernelConfig {
  const o = object(v, 'kernel', KERNEL_KEYS);
  return Object.freeze({
    buildTarget: text(o.buildTarget, 'kernel.buildTarget', /^(debug|autotest|release)$/) as KernelConfig['buildTarget'],
    scheduler: text(o.scheduler, 'kernel.scheduler', /^(rrmq|fifo)$/) as KernelConfig['scheduler'],
    exchangeAreaLen: integer(o.exchangeAreaLen, 'kernel.exchangeAreaLen', 64, 1024),
    maxTasks: integer(o.maxTasks, 'kernel.maxTasks', 1, 255),
    nominalFrequencyHz: integer(o.nominalFrequencyHz, 'kernel.nominalFrequencyHz', 1_000_000, 4_000_000_000),
    systickHz: integer(o.systickHz, 'kernel.systickHz', 1000, 1000),
  });
}

/** The grammar of the section sequence, as a message. */
const ORDER = 'kernel-config, board, task..., sbom, manifest';

/** Parse and validate an image file. Throws `ImageError` with the reason. */
export function readImage(bytes: Uint8Array): Image {
  const container = readContainer(bytes);
  const sections = container.sections;
  const first = sections[0];
  const second = sections[1];
  if (first?.kind !== SectionKind.KernelConfig) throw new ImageError(`section 0: expected the kernel-config section (order is ${ORDER})`);
  if (second?.kind !== SectionKind.Board) throw new ImageError(`section 1: expected the board section (order is ${ORDER})`);
  const kernel = readKernelConfig(parseJsonSection(first.bytes, 'kernel-config section'));
  const configHash = kernelConfigHash(kernel);
  const board = readBoardJson(parseJsonSection(second.bytes, 'board section'));
  const tasks: ImageTask[] = [];
  let sbom: Uint8Array | undefined;
  let manifest: Uint8Array | undefined;
  const summaries: ImageSectionSummary[] = [];
  // A state machine over the kinds: tasks, then at most one SBOM, then at most one manifest.
  let stage: SectionKind = SectionKind.Board;
  for (const s of sections) {
    const summary = { index: s.index, kind: SECTION_KIND_NAMES[s.kind] ?? String(s.kind), offset: s.offset, length: s.length, sha256: s.sha256 };
    if (s.index < 2) { summaries.push(summary); continue; }
    const outOfOrder = () => new ImageError(`section ${s.index}: unexpected ${summary.kind} section (order is ${ORDER}, each of the others at most once)`);
    if (s.kind === SectionKind.Task) {
      if (stage !== SectionKind.Board && stage !== SectionKind.Task) throw outOfOrder();
      stage = SectionKind.Task;
      if (tasks.length === kernel.maxTasks) throw new ImageError(`image has more than ${kernel.maxTasks} tasks; the kernel configuration allows ${kernel.maxTasks} (CONFIG_MAX_TASKS)`);
      const task = decodeTaskSection(s.bytes, `tasks[${tasks.length}]`, s.sha256);
      const previous = tasks[tasks.length - 1];
      // Label order makes the image independent of the order apps were listed in. Equal
      // labels pass here so that boot reports them as what they are: a duplicate label.
      if (previous !== undefined && task.label < previous.label) {
        throw new ImageError(`task sections are not in label order: '${task.name}' (0x${task.label.toString(16)}) follows '${previous.name}' (0x${previous.label.toString(16)})`);
      }
      if (task.kernelConfigSha256 !== configHash) {
        throw new ImageError(`task '${task.name}' was integrated for another kernel configuration (${task.kernelConfigSha256.slice(0, 16)}); this image's is ${configHash.slice(0, 16)}`);
      }
      tasks.push(task);
      summaries.push({ ...summary, task: task.name });
    } else if (s.kind === SectionKind.Sbom) {
      if (stage === SectionKind.Sbom || stage === SectionKind.Manifest) throw outOfOrder();
      stage = SectionKind.Sbom;
      sbom = s.bytes;
      summaries.push(summary);
    } else if (s.kind === SectionKind.Manifest) {
      if (stage === SectionKind.Manifest) throw outOfOrder();
      stage = SectionKind.Manifest;
      manifest = s.bytes;
      summaries.push(summary);
    } else {
      throw outOfOrder();
    }
  }
  const boardSha256 = second.sha256;
  if (manifest !== undefined) {
    const sbomSection = sections.find((s) => s.kind === SectionKind.Sbom);
    const problems = manifestDisagreements(manifest, {
      formatVersion: container.version, configHash, boardSha256, sbomSha256: sbomSection?.sha256 ?? null,
      tasks: tasks.map((t) => ({ name: t.name, label: t.label, sectionSha256: t.sectionSha256, moduleSha256: t.moduleSha256 })),
    });
    if (problems.length > 0) throw new ImageError(`manifest disagrees with the image content: ${problems.join('; ')}`);
  }
  return {
    version: container.version, kernel, board, configHash, tasks: Object.freeze(tasks), boardSha256,
    sections: Object.freeze(summaries), sbom, manifest, signature: container.signature,
  };
}

/** Sections an image's content encodes to, before the optional SBOM and manifest. */
export function encodeImageSections(kernel: KernelConfig, tasks: readonly ImageTaskInput[], board: Board = EMPTY_BOARD): SectionContent[] {
  const configHash = kernelConfigHash(kernel);
  const kernelJson = Object.fromEntries(KERNEL_KEYS.map((k) => [k, kernel[k]]));
  // A stable sort: equal labels keep the caller's order (boot refuses them anyway).
  const ordered = [...tasks].sort((a, b) => a.label - b.label);
  return [
    { kind: SectionKind.KernelConfig, bytes: canonicalJson(kernelJson) },
    { kind: SectionKind.Board, bytes: canonicalJson(board) },
    ...ordered.map((t) => ({ kind: SectionKind.Task, bytes: encodeTaskSection(t, board, configHash) })),
  ];
}

/** Optional sections written after the tasks. */
export interface ImageAttachments {
  readonly sbom?: Uint8Array;
  readonly manifest?: Uint8Array;
}

/**
 * Serialise an unsigned image (used by the integrator and the tests; kept beside the
 * reader so both agree). Tasks are written in label order whatever order they come in.
 */
export function writeImage(kernel: KernelConfig, tasks: readonly ImageTaskInput[], board: Board = EMPTY_BOARD, attachments: ImageAttachments = {}): Uint8Array {
  const sections = encodeImageSections(kernel, tasks, board);
  if (attachments.sbom !== undefined) sections.push({ kind: SectionKind.Sbom, bytes: attachments.sbom });
  if (attachments.manifest !== undefined) sections.push({ kind: SectionKind.Manifest, bytes: attachments.manifest });
  return writeContainer(sections);
}
