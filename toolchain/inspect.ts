/**
 * `rampart inspect IMAGE` and `rampart verify IMAGE`: what an image holds, and whether it
 * can be trusted.
 *
 * `inspect` reads an image with the kernel's own reader (so it shows exactly what boot
 * would see) and reports its tasks (label, priority, capabilities, resources, memory,
 * hashes), its sections with sizes and hashes, the signer, each app's source signer and an SBOM summary, as a table
 * or as JSON. It does not judge the signature; `verify` does, and checks everything a
 * release auditor would: the embedded signature against a trust anchor (the project's key
 * by default), that the signing key is not revoked or expired now, the manifest against
 * the content, the SBOM against the CycloneDX schema, and the companion files beside the
 * image (SBOM, manifest, detached signatures) against the image. Every check is listed
 * with its result; one failure makes the whole verification fail.
 */

import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as openpgp from 'openpgp';
import { capabilityNames } from './abi/index.js';
import { readImage, type Image } from '../kernel/image/image.js';
import { ImageError } from '../kernel/image/image-error.js';
import { verifyImageSignature, ImageSignatureError, OPENPGP_CONFIG } from '../kernel/boot/verify.js';
import { keyUnusableReason, projectTrustAnchorFile, readPublicKeyFile, KeyError } from './integrate/keys.js';
import { SignatureError, signatureFacts, verifyDetached } from './integrate/sign.js';
import { validateSbom } from './integrate/sbom.js';

/** The inspection report (the `--json` output). */
export interface InspectReport {
  readonly file: string;
  readonly formatVersion: number;
  readonly bytes: number;
  readonly kernel: Image['kernel'];
  readonly kernelConfigSha256: string;
  readonly board: { readonly model: string; readonly devices: number; readonly shms: number; readonly dmaStreams: number };
  readonly tasks: readonly {
    readonly name: string; readonly label: string; readonly priority: number; readonly quantum: number;
    readonly capabilities: readonly string[]; readonly autoStart: boolean; readonly exitPolicy: number; readonly domain: number;
    readonly entry: string; readonly memoryPages: number; readonly exchangeAddress: number;
    readonly asyncifyDataAddress: number; readonly asyncifyDataSize: number;
    readonly resources: { readonly devices: readonly string[]; readonly shms: readonly string[]; readonly dmaStreams: readonly string[] };
    readonly moduleBytes: number; readonly moduleSha256: string; readonly sectionSha256: string;
  }[];
  readonly sections: Image['sections'];
  readonly signature: { readonly keyIds: readonly string[]; readonly signedAt: string; readonly bytes: number } | null;
  readonly manifest: {
    readonly product: unknown; readonly integrator: unknown; readonly date: unknown;
    /** Per app, from the manifest: identity, toolchain and who signed its sources (null: unsigned). */
    readonly apps: readonly ManifestAppSummary[];
  } | null;
  readonly sbom: { readonly specVersion: string; readonly serialNumber: string; readonly product: string; readonly cpe: string; readonly components: readonly { readonly type: string; readonly name: string; readonly version: string; readonly license: string }[] } | null;
}

/** One app as the manifest records it. */
export interface ManifestAppSummary {
  readonly name: string; readonly version: string | null; readonly license: string | null; readonly supplier: string | null;
  readonly toolchain: string | null;
  readonly signer: { readonly name: string; readonly fingerprint: string; readonly signedAt: string } | null;
}

const hex = (v: number) => `0x${v.toString(16)}`;

function summarizeSbom(bytes: Uint8Array): InspectReport['sbom'] {
  const d = JSON.parse(new TextDecoder().decode(bytes)) as {
    specVersion?: string; serialNumber?: string;
    metadata?: { component?: { name?: string; version?: string; cpe?: string } };
    components?: { type?: string; name?: string; group?: string; version?: string; licenses?: { license?: { id?: string; name?: string }; expression?: string }[] }[];
  };
  const lic = (c: NonNullable<typeof d.components>[number]) => (c.licenses ?? []).map((l) => l.expression ?? l.license?.id ?? l.license?.name ?? '?').join(' AND ') || '-';
  return {
    specVersion: d.specVersion ?? '?',
    serialNumber: d.serialNumber ?? '?',
    product: `${d.metadata?.component?.name ?? '?'} ${d.metadata?.component?.version ?? ''}`.trim(),
    cpe: d.metadata?.component?.cpe ?? '-',
    components: (d.components ?? []).map((c) => ({ type: c.type ?? '?', name: c.group !== undefined ? `${c.group}/${c.name}` : c.name ?? '?', version: c.version ?? '-', license: lic(c) })),
  };
}

/** Read and describe an image. Throws `ImageError` when the image does not parse. */
export async function inspectImage(file: string): Promise<InspectReport> {
  const bytes = readFileSync(file);
  const image = readImage(bytes);
  let signature: InspectReport['signature'] = null;
  if (image.signature !== undefined) {
    const facts = await signatureFacts(image.signature.armored);
    signature = { keyIds: facts.keyIds, signedAt: facts.created.toISOString(), bytes: bytes.length - image.signature.signedLength };
  }
  let manifest: InspectReport['manifest'] = null;
  if (image.manifest !== undefined) {
    const m = JSON.parse(new TextDecoder().decode(image.manifest)) as Record<string, unknown>;
    const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    const apps = (Array.isArray(m.apps) ? m.apps as Record<string, unknown>[] : []).map((a): ManifestAppSummary => {
      const signer = a.signer as Record<string, unknown> | null | undefined;
      return {
        name: text(a.name) ?? '?', version: text(a.version), license: text(a.license), supplier: text(a.supplier), toolchain: text(a.toolchain),
        signer: signer !== null && typeof signer === 'object' ? { name: text(signer.name) ?? '?', fingerprint: text(signer.fingerprint) ?? '?', signedAt: text(signer.signedAt) ?? '?' } : null,
      };
    });
    manifest = { product: m.product, integrator: m.integrator, date: m.date, apps };
  }
  return {
    file, formatVersion: image.version, bytes: bytes.length, kernel: image.kernel, kernelConfigSha256: image.configHash,
    board: { model: image.board.model, devices: image.board.devices.length, shms: image.board.shms.length, dmaStreams: image.board.dmaStreams.length },
    tasks: image.tasks.map((t) => ({
      name: t.name, label: hex(t.label), priority: t.priority, quantum: t.quantum, capabilities: capabilityNames(t.capabilities),
      autoStart: t.autoStart, exitPolicy: t.exitPolicy, domain: t.domain, entry: t.entry, memoryPages: t.memoryPages,
      exchangeAddress: t.exchangeAddress, asyncifyDataAddress: t.asyncifyDataAddress, asyncifyDataSize: t.asyncifyDataSize,
      resources: { devices: t.resources.devices, shms: t.resources.shms.map(hex), dmaStreams: t.resources.dmaStreams.map(hex) },
      moduleBytes: t.module.length, moduleSha256: t.moduleSha256, sectionSha256: t.sectionSha256,
    })),
    sections: image.sections,
    signature,
    manifest,
    sbom: image.sbom !== undefined ? summarizeSbom(image.sbom) : null,
  };
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}`);
}

/** The readable form of an inspection report. */
export function formatInspectReport(r: InspectReport): string {
  const out: string[] = [];
  out.push(`image ${r.file}: format v${r.formatVersion}, ${r.bytes} bytes`);
  out.push(`kernel: ${r.kernel.buildTarget}, ${r.kernel.scheduler}, exchange area ${r.kernel.exchangeAreaLen} B, max ${r.kernel.maxTasks} tasks, ${r.kernel.nominalFrequencyHz} Hz; configuration ${r.kernelConfigSha256.slice(0, 16)}`);
  out.push(`board: ${r.board.model}: ${r.board.devices} devices, ${r.board.shms} shared memories, ${r.board.dmaStreams} DMA streams`);
  out.push('', 'tasks:');
  out.push(...table([
    ['name', 'label', 'prio', 'quantum', 'start', 'exit', 'memory', 'module', 'module sha256', 'capabilities', 'resources'],
    ...r.tasks.map((t) => [t.name, t.label, String(t.priority), String(t.quantum), t.autoStart ? 'auto' : 'manual', ['norestart', 'restart', 'panic'][t.exitPolicy] ?? '?',
      `${t.memoryPages * 64} KiB`, `${t.moduleBytes} B`, t.moduleSha256.slice(0, 16),
      t.capabilities.join(',') || '-',
      [...t.resources.devices.map((d) => `dev:${d}`), ...t.resources.shms.map((s) => `shm:${s}`), ...t.resources.dmaStreams.map((s) => `dma:${s}`)].join(',') || '-']),
  ]));
  out.push('', 'sections:');
  out.push(...table([
    ['#', 'kind', 'offset', 'bytes', 'sha256'],
    ...r.sections.map((s) => [String(s.index), s.task !== undefined ? `task ${s.task}` : s.kind, String(s.offset), String(s.length), s.sha256]),
    ...(r.signature !== null ? [['-', 'signature', '', String(r.signature.bytes), '']] : []),
  ]));
  out.push('');
  if (r.signature === null) out.push('signature: none (unsigned image)');
  else out.push(`signature: by key ${r.signature.keyIds.join(', ')}, made ${r.signature.signedAt} (not verified here; use rampart verify)`);
  if (r.manifest !== null) {
    const integrator = r.manifest.integrator as { fingerprint?: string; userIds?: string[]; development?: boolean } | undefined;
    out.push(`integrator: ${integrator?.fingerprint ?? '?'} ${(integrator?.userIds ?? []).join(', ')}${integrator?.development === true ? '  [DEVELOPMENT KEY]' : ''}`);
    out.push(`build date: ${String(r.manifest.date)}`);
    out.push('', 'apps (from the manifest):');
    out.push(...table([
      ['name', 'version', 'license', 'supplier', 'toolchain', 'sources signed by'],
      ...r.manifest.apps.map((a) => [a.name, a.version ?? '-', a.license ?? '-', a.supplier ?? '-', a.toolchain ?? '-',
        a.signer === null ? 'unsigned' : `${a.signer.name} ${a.signer.fingerprint} at ${a.signer.signedAt}`]),
    ]));
  } else {
    out.push('manifest: none');
  }
  if (r.sbom !== null) {
    out.push('', `SBOM: CycloneDX ${r.sbom.specVersion}, ${r.sbom.serialNumber}, product ${r.sbom.product}, ${r.sbom.cpe}`);
    out.push(...table([['type', 'name', 'version', 'license'], ...r.sbom.components.map((c) => [c.type, c.name, c.version, c.license])]));
  } else {
    out.push('SBOM: none');
  }
  return out.join('\n');
}

/** One line of `rampart verify`. */
export interface VerifyCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface VerifyOptions {
  /** Trust anchor file; default: the project's key when the image is PROJECT/build/*.rimg. */
  readonly trust?: string;
  /** When key validity is judged (default now). */
  readonly now?: Date;
}

/** Run every check on an image file; the result lists each with its outcome. */
export async function verifyImageFile(file: string, options: VerifyOptions = {}): Promise<VerifyCheck[]> {
  const checks: VerifyCheck[] = [];
  const pass = (name: string, detail: string) => checks.push({ name, ok: true, detail });
  const fail = (name: string, detail: string) => checks.push({ name, ok: false, detail });
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    fail('read', (error as Error).message);
    return checks;
  }
  let image: Image;
  try {
    image = readImage(bytes);
    pass('format', `image format v${image.version}: ${image.sections.length} sections, every section hash and field checked${image.manifest !== undefined ? ', manifest agrees with the content' : ''}`);
  } catch (error) {
    if (!(error instanceof ImageError)) throw error;
    fail('format', error.message);
    return checks;
  }
  if (image.manifest === undefined) fail('manifest', 'the image carries no build manifest');
  if (image.sbom === undefined) fail('sbom', 'the image carries no SBOM');
  else {
    const error = await validateSbom(new TextDecoder().decode(image.sbom));
    if (error === null) pass('sbom', 'CycloneDX 1.6 JSON, valid against the schema');
    else fail('sbom', `does not validate against the CycloneDX schema: ${JSON.stringify(error)}`);
  }

  const anchorFile = options.trust ?? projectTrustAnchorFile(file);
  let anchor: openpgp.PublicKey | undefined;
  if (anchorFile === undefined) {
    fail('signature', 'no trust anchor: pass --trust KEY.asc (the integrator public key)');
  } else {
    try {
      anchor = await readPublicKeyFile(anchorFile);
      const signer = await verifyImageSignature(bytes, image.signature, anchor.armor({ ...openpgp.config, ...OPENPGP_CONFIG }));
      pass('signature', `signed by ${signer.fingerprint} (${signer.userIds.join(', ')}) at ${signer.signedAt.toISOString()}, trust anchor ${anchorFile}`);
      const reason = await keyUnusableReason(anchor, options.now ?? new Date());
      if (reason === undefined) pass('signer key', 'neither revoked nor expired now');
      else fail('signer key', reason);
    } catch (error) {
      if (error instanceof ImageSignatureError || error instanceof KeyError) fail('signature', error.message);
      else throw error;
    }
  }

  // Companion files beside the image: present ones must match the image and their signatures.
  const stem = join(dirname(file), basename(file).replace(/\.rimg$/, ''));
  const companions: [string, string, Uint8Array | undefined][] = [
    ['image file', file, bytes],
    ['SBOM file', `${stem}.cdx.json`, image.sbom],
    ['manifest file', `${stem}.manifest.json`, image.manifest],
  ];
  for (const [name, path, inImage] of companions) {
    if (!existsSync(path)) continue;
    const content = readFileSync(path);
    if (inImage !== undefined && !Buffer.from(inImage).equals(content)) { fail(name, `${path} differs from the copy inside the image`); continue; }
    const asc = `${path}.asc`;
    if (!existsSync(asc)) { fail(name, `${asc}: missing detached signature`); continue; }
    if (anchor === undefined) { fail(name, `${asc}: cannot check without a trust anchor`); continue; }
    try {
      await verifyDetached(content, readFileSync(asc, 'utf8'), [anchor]);
      pass(name, `${path}${inImage !== undefined && path !== file ? ' matches the image;' : ''} ${asc} verifies`);
    } catch (error) {
      if (error instanceof SignatureError) fail(name, `${asc}: ${error.message}`);
      else throw error;
    }
  }
  return checks;
}

/** The readable form of a verification. */
export function formatVerifyChecks(file: string, checks: readonly VerifyCheck[]): string {
  const ok = checks.every((c) => c.ok);
  return [...checks.map((c) => `  ${c.ok ? 'ok    ' : 'FAILED'}  ${c.name.padEnd(13)} ${c.detail}`), `rampart: ${file}: ${ok ? 'verified' : 'NOT verified'}`].join('\n');
}
