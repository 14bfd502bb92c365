/**
 * The `.rimg` v2 container: fixed header, section table, sections, signature trailer.
 *
 * Owns the byte layout (docs/image-format.md) and nothing about what a section means:
 *   0        "RIMG"                magic
 *   4        u32 LE                format version (2)
 *   8        u32 LE N              section count
 *   12       N × 44-byte entries   kind u32, offset u32, length u32, sha256[32]
 *   12+44N                         the sections, back to back, in table order
 *   then, optionally: "RSIG", u32 LE L, L bytes of ASCII-armored detached OpenPGP
 *   signature over every byte before "RSIG"; it ends exactly at the end of the file.
 *
 * Invariants enforced here (never weaken one: a hostile image is exactly what they stop):
 * - sections are contiguous and in table order, the first right after the table, so there
 *   is one valid layout for a given content and no byte of the file escapes the hashes
 *   or the signature; each section's SHA-256 matches the table;
 * - each kind has a size limit; the count is bounded before anything is allocated;
 * - after the last section there is either nothing or exactly one well-formed trailer.
 * Pure parsing and hashing: signature *verification* lives in kernel/boot/verify.ts.
 */

import { createHash } from 'node:crypto';
import { ImageError } from './image-error.js';

export const IMAGE_MAGIC = 'RIMG';
export const IMAGE_VERSION = 2;
export const SIGNATURE_MAGIC = 'RSIG';

/** Section kinds. Numbers are part of the format: never renumber, only add. */
export enum SectionKind {
  KernelConfig = 1,
  Board = 2,
  Task = 3,
  Sbom = 4,
  Manifest = 5,
}

/** Names used in messages and in the manifest. */
export const SECTION_KIND_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [SectionKind.KernelConfig]: 'kernel-config',
  [SectionKind.Board]: 'board',
  [SectionKind.Task]: 'task',
  [SectionKind.Sbom]: 'sbom',
  [SectionKind.Manifest]: 'manifest',
});

/**
 * Size limits per kind. No real image comes near them; a hostile one could claim gigabytes
 * and make a reader allocate or hash them before noticing.
 * - kernel-config: six small fields; 4 KiB leaves room for growth.
 * - board: 256 devices + 256 SHMs + 256 streams of a few hundred bytes each stay under 1 MiB.
 * - task: 64 KiB of metadata plus a module; 32 MiB is beyond any microcontroller-class task.
 * - SBOM and manifest: one entry per input file; 8 MiB is thousands of files.
 */
export const SECTION_LIMITS: Readonly<Record<number, number>> = Object.freeze({
  [SectionKind.KernelConfig]: 4 * 1024,
  [SectionKind.Board]: 1024 * 1024,
  [SectionKind.Task]: 32 * 1024 * 1024,
  [SectionKind.Sbom]: 8 * 1024 * 1024,
  [SectionKind.Manifest]: 8 * 1024 * 1024,
});

/** kernel-config + board + 255 tasks (CONFIG_MAX_TASKS ceiling) + SBOM + manifest. */
export const MAX_SECTIONS = 259;
/** An armored Ed25519 or RSA-4096 signature is well under 2 KiB; 64 KiB is generous. */
export const MAX_SIGNATURE_BYTES = 64 * 1024;

const FIXED_HEADER = 12;
const ENTRY_SIZE = 44;
const TRAILER_HEADER = 8;

/** One entry of the section table, checked. */
export interface SectionEntry {
  /** Position in the table, from 0. */
  readonly index: number;
  readonly kind: SectionKind;
  readonly offset: number;
  readonly length: number;
  readonly sha256: string;
  /** The section's bytes (a view into the image, not a copy). */
  readonly bytes: Uint8Array;
}

/** The signature trailer, when present. */
export interface SignatureTrailer {
  /** The armored signature text, exactly as stored. */
  readonly armored: string;
  /** Number of leading bytes the signature covers (everything before "RSIG"). */
  readonly signedLength: number;
}

/** The container, checked: sections with verified hashes and the optional trailer. */
export interface ImageContainer {
  readonly version: number;
  readonly sections: readonly SectionEntry[];
  readonly signature: SignatureTrailer | undefined;
}

/** Lowercase hex SHA-256 (the form every hash of the format is written in). */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function kindName(kind: number): string {
  return SECTION_KIND_NAMES[kind] ?? `kind ${kind}`;
}

/**
 * Parse the container and verify every section hash. Section *contents* are not looked
 * at; the caller decodes them. Throws `ImageError` naming the section and the reason.
 */
export function readContainer(bytes: Uint8Array): ImageContainer {
  if (bytes.length < FIXED_HEADER) throw new ImageError(`truncated image: ${bytes.length} bytes, the fixed header alone is ${FIXED_HEADER}`);
  const magic = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  if (magic !== IMAGE_MAGIC) throw new ImageError(`not a Rampart image (bad magic; expected "${IMAGE_MAGIC}")`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== IMAGE_VERSION) throw new ImageError(`unsupported image format version ${version} (this kernel reads version ${IMAGE_VERSION})`);
  const count = view.getUint32(8, true);
  if (count > MAX_SECTIONS) throw new ImageError(`oversized section table: ${count} sections (limit ${MAX_SECTIONS})`);
  const tableEnd = FIXED_HEADER + count * ENTRY_SIZE;
  if (tableEnd > bytes.length) throw new ImageError(`truncated image: the section table needs ${tableEnd} bytes, the file has ${bytes.length}`);
  const sections: SectionEntry[] = [];
  let expected = tableEnd;
  for (let index = 0; index < count; index++) {
    const at = FIXED_HEADER + index * ENTRY_SIZE;
    const kind = view.getUint32(at, true);
    const offset = view.getUint32(at + 4, true);
    const length = view.getUint32(at + 8, true);
    const where = `section ${index} (${kindName(kind)})`;
    const limit = SECTION_LIMITS[kind];
    if (limit === undefined) throw new ImageError(`section ${index}: unknown section kind ${kind}`);
    if (length > limit) throw new ImageError(`oversized ${kindName(kind)} section: section ${index} claims ${length} bytes (limit ${limit})`);
    // Contiguity is what leaves no unhashed gap between sections for an attacker to use.
    if (offset !== expected) throw new ImageError(`${where} starts at byte ${offset}; sections are contiguous in table order, so it must start at ${expected}`);
    if (offset + length > bytes.length) throw new ImageError(`truncated image: ${where} ends at byte ${offset + length}, the file has ${bytes.length}`);
    const content = bytes.subarray(offset, offset + length);
    const sha256 = hex(bytes.subarray(at + 12, at + 44));
    if (sha256Hex(content) !== sha256) throw new ImageError(`${where}: content does not match its SHA-256 in the section table`);
    sections.push({ index, kind: kind as SectionKind, offset, length, sha256, bytes: content });
    expected = offset + length;
  }
  return { version, sections, signature: readTrailer(bytes, view, expected) };
}

function readTrailer(bytes: Uint8Array, view: DataView, end: number): SignatureTrailer | undefined {
  const rest = bytes.length - end;
  if (rest === 0) return undefined;
  const magic = rest >= 4 ? String.fromCharCode(bytes[end]!, bytes[end + 1]!, bytes[end + 2]!, bytes[end + 3]!) : '';
  if (magic !== SIGNATURE_MAGIC) throw new ImageError(`image has ${rest} trailing bytes after its last section (not a "${SIGNATURE_MAGIC}" signature trailer)`);
  if (rest < TRAILER_HEADER) throw new ImageError(`truncated image: the signature trailer header needs ${TRAILER_HEADER} bytes, ${rest} present`);
  const length = view.getUint32(end + 4, true);
  if (length > MAX_SIGNATURE_BYTES) throw new ImageError(`oversized signature trailer: ${length} bytes (limit ${MAX_SIGNATURE_BYTES})`);
  if (TRAILER_HEADER + length > rest) throw new ImageError(`truncated image: the signature trailer needs ${length} bytes, ${rest - TRAILER_HEADER} present`);
  if (TRAILER_HEADER + length < rest) throw new ImageError(`image has ${rest - TRAILER_HEADER - length} trailing bytes after its signature trailer`);
  const body = bytes.subarray(end + TRAILER_HEADER);
  // Armored text is printable ASCII plus line feeds; anything else cannot be a signature
  // this toolchain wrote, and refusing it here keeps odd bytes away from the OpenPGP parser.
  for (const b of body) {
    if (b !== 0x0a && (b < 0x20 || b > 0x7e)) throw new ImageError('signature trailer is not ASCII-armored text');
  }
  return { armored: new TextDecoder().decode(body), signedLength: end };
}

/** A section to write: its kind and content. */
export interface SectionContent {
  readonly kind: SectionKind;
  readonly bytes: Uint8Array;
}

/** Lay out sections into an unsigned image (no trailer). */
export function writeContainer(sections: readonly SectionContent[]): Uint8Array {
  if (sections.length > MAX_SECTIONS) throw new ImageError(`an image holds at most ${MAX_SECTIONS} sections, got ${sections.length}`);
  const tableEnd = FIXED_HEADER + sections.length * ENTRY_SIZE;
  const total = sections.reduce((n, s) => n + s.bytes.length, tableEnd);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set([0x52, 0x49, 0x4d, 0x47], 0);
  view.setUint32(4, IMAGE_VERSION, true);
  view.setUint32(8, sections.length, true);
  let offset = tableEnd;
  sections.forEach((s, i) => {
    const limit = SECTION_LIMITS[s.kind] ?? 0;
    if (s.bytes.length > limit) throw new ImageError(`${kindName(s.kind)} section of ${s.bytes.length} bytes exceeds the format limit of ${limit}`);
    const at = FIXED_HEADER + i * ENTRY_SIZE;
    view.setUint32(at, s.kind, true);
    view.setUint32(at + 4, offset, true);
    view.setUint32(at + 8, s.bytes.length, true);
    out.set(createHash('sha256').update(s.bytes).digest(), at + 12);
    out.set(s.bytes, offset);
    offset += s.bytes.length;
  });
  return out;
}

/** Append the signature trailer to an unsigned image. */
export function appendSignature(unsigned: Uint8Array, armored: string): Uint8Array {
  const text = new TextEncoder().encode(armored);
  if (text.length > MAX_SIGNATURE_BYTES) throw new ImageError(`signature of ${text.length} bytes exceeds the format limit of ${MAX_SIGNATURE_BYTES}`);
  const out = new Uint8Array(unsigned.length + TRAILER_HEADER + text.length);
  out.set(unsigned, 0);
  out.set([0x52, 0x53, 0x49, 0x47], unsigned.length);
  new DataView(out.buffer).setUint32(unsigned.length + 4, text.length, true);
  out.set(text, unsigned.length + TRAILER_HEADER);
  return out;
}
