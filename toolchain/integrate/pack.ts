/**
 * Packing and signing a product image: the last step of `rampart build`.
 *
 * Takes the integrated tasks, the kernel configuration and the board, and produces the
 * signed image plus, beside it, the SBOM (`<stem>.cdx.json`), the build manifest
 * (`<stem>.manifest.json`) and a detached armored signature of each of the three
 * (`*.asc`, for `gpg --verify`). In order:
 *   1. the integrator key (keys.ts): usable now; a development key warns loudly and is
 *      refused for a release build;
 *   2. the app signatures against trust.json (trust.ts), before anything is packed;
 *   3. the build date (SOURCE_DATE_EPOCH or the inputs), the sections, the SBOM, the
 *      manifest that names every section hash, the image, its embedded signature;
 *   4. a self-check through the kernel's own reader and verifier, then atomic writes.
 * Every problem of every step is collected and reported together as an `IntegrationError`.
 * Nothing here reads the wall clock into an output: `now` only decides whether keys are
 * still valid.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelConfig } from '../../kernel/config.js';
import type { Board } from '../../kernel/board.js';
import { encodeImageSections, kernelConfigHash, readImage, type ImageTaskInput } from '../../kernel/image/image.js';
import { imageClaimsOf } from '../../kernel/image/manifest-claims.js';
import { IMAGE_VERSION, SectionKind, sha256Hex, writeContainer, SECTION_KIND_NAMES } from '../../kernel/image/sections.js';
import { verifyImageSignature } from '../../kernel/boot/verify.js';
import { kconfigPython, readProductConfigFile, type TaskConfig } from '../config/kconfig.js';
import { writeFileAtomically } from '../build/build-files.js';
import { productCpe } from './cpe.js';
import { KeyError, projectSigningKey, publicKeyFileOf, type KeyFacts } from './keys.js';
import { buildManifest, type ManifestApp } from './manifest.js';
import { buildSbom, SbomError, SBOM_SPEC_VERSION } from './sbom.js';
import { assertUsableSigningKey, buildDate, signDetached, signImage, SignatureError } from './sign.js';
import { readTrustFile, TrustError, verifyAppSignatures, type AppOrigin } from './trust.js';

/** Every reason the integration step refused, each naming its file. */
export class IntegrationError extends Error {
  override readonly name = 'IntegrationError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** An app as the build produced it. */
export interface PackApp {
  readonly name: string;
  readonly config: TaskConfig;
  /** Toolchain description from the build backend. */
  readonly toolchain: string;
}

export interface PackOptions {
  readonly projectDir: string;
  readonly kernel: KernelConfig;
  readonly board: Board;
  readonly tasks: readonly ImageTaskInput[];
  readonly apps: readonly PackApp[];
  /** Image path; default PROJECT/build/image.rimg. */
  readonly out?: string;
  /** Integrator private key file; default: see keys.ts `projectSigningKey`. */
  readonly signingKey?: string;
  readonly progress?: (line: string) => void;
  /** Path formatter for messages. */
  readonly rel?: (path: string) => string;
  /** When key validity is judged (default: now). Never written into an output. */
  readonly now?: Date;
}

/** Size and hash of one section, for reports. */
export interface SectionReport {
  readonly kind: string;
  readonly name: string | undefined;
  readonly bytes: number;
  readonly sha256: string;
}

export interface PackResult {
  readonly imagePath: string;
  readonly sbomPath: string;
  readonly manifestPath: string;
  /** Detached signatures written: image, SBOM, manifest. */
  readonly signaturePaths: readonly string[];
  readonly imageBytes: number;
  readonly sections: readonly SectionReport[];
  /** The trailer's size (magic + length + armored signature). */
  readonly signatureBytes: number;
  readonly signer: KeyFacts;
  readonly signerKeyFile: string;
  readonly date: Date;
  readonly origins: readonly AppOrigin[];
}

/** The SDK's root folder (this file is toolchain/integrate/pack.ts). */
const SDK_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Never inputs: build outputs, dependency caches, VCS data. */
const SKIPPED_DIRS = new Set(['build', 'target', 'node_modules', '.git']);

function listFiles(dir: string, accept: (rel: string) => boolean, root = dir, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    const st = statSync(full);
    const rel = relative(root, full).split('\\').join('/');
    if (st.isDirectory()) { if (!SKIPPED_DIRS.has(name)) listFiles(full, accept, root, out); } else if (st.isFile() && accept(rel)) out.push(rel);
  }
  return out;
}

/** SHA-256 over a list of files: `sha256  path` lines, like the app source manifest. */
function treeHash(root: string, files: readonly string[]): string {
  return sha256Hex(files.map((f) => `${sha256Hex(readFileSync(join(root, f)))}  ${f}\n`).join(''));
}

/** Project inputs: every file except build outputs and private keys (secret, and not content). */
function projectInputs(projectDir: string): { path: string; sha256: string }[] {
  const files = listFiles(projectDir, (rel) => !rel.startsWith('keys/') || rel.endsWith('.pub.asc'));
  return files.map((f) => ({ path: f, sha256: sha256Hex(readFileSync(join(projectDir, f))) }));
}

/**
 * SDK folders whose files go into apps or boards (the generated headers derive from
 * toolchain/abi, a tool), and the Kconfig trees every configuration is resolved against.
 */
const SDK_INPUT_DIRS: readonly (readonly [string, (rel: string) => boolean])[] = [
  ['uapi-c', () => true], ['uapi-rust', () => true], ['toolchain/sdk/boards', () => true],
  ['toolchain/config', (rel) => rel.startsWith('Kconfig')],
];

/** SDK inputs: the task runtimes and UAPI libraries compiled into apps, the board includes, the Kconfig trees. */
function sdkInputs(): { path: string; sha256: string }[] {
  return SDK_INPUT_DIRS.flatMap(([d, accept]) => listFiles(join(SDK_ROOT, d), accept)
    .map((f) => ({ path: `sdk/${d}/${f}`, sha256: sha256Hex(readFileSync(join(SDK_ROOT, d, f))) })));
}

/** First line of `command --version`-like output, or 'absent' when it cannot run. */
function hostToolVersion(command: string, args: readonly string[]): string {
  const run = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) return 'absent';
  const line = `${run.stdout}\n${run.stderr}`.split('\n').map((l) => l.trim()).find((l) => l !== '');
  return line === undefined ? 'unknown' : line.replace(/^Version:\s*/, '');
}

/** The host tools every build runs: the devicetree compiler, its preprocessor, kconfiglib's Python. */
function hostTools(): { name: string; version: string }[] {
  const python = kconfigPython();
  return [
    { name: 'dtc', version: hostToolVersion('dtc', ['--version']) },
    { name: 'cpp', version: hostToolVersion('cpp', ['--version']) },
    { name: 'python3', version: python === undefined ? 'absent' : hostToolVersion(python, ['--version']) },
    { name: 'kconfiglib', version: python === undefined ? 'absent' : hostToolVersion(python, ['-c', "import kconfiglib; print('.'.join(str(v) for v in getattr(kconfiglib, 'VERSION', ())) or 'unknown')"]) },
  ];
}

function packageJson(dir: string): { name?: string; version?: string; license?: string; dependencies?: Record<string, string> } {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as ReturnType<typeof packageJson>;
  } catch {
    return {};
  }
}

function installedVersion(name: string): string {
  return packageJson(join(SDK_ROOT, 'node_modules', name)).version ?? 'unknown';
}

const sourceOnly = (rel: string) => rel.endsWith('.ts') && !rel.endsWith('.test.ts');

/** The SDK's identity: its version and hashes of the kernel and toolchain sources. */
function sdkIdentity(): { version: string; license: string; kernelSha256: string; toolchainSha256: string } {
  const pkg = packageJson(SDK_ROOT);
  const kernelFiles = [...listFiles(join(SDK_ROOT, 'kernel'), sourceOnly).map((f) => `kernel/${f}`), ...listFiles(join(SDK_ROOT, 'toolchain', 'abi'), sourceOnly).map((f) => `toolchain/abi/${f}`)];
  const toolchainFiles = listFiles(join(SDK_ROOT, 'toolchain'), sourceOnly).map((f) => `toolchain/${f}`);
  return { version: pkg.version ?? '0.0.0', license: pkg.license ?? 'NOASSERTION', kernelSha256: treeHash(SDK_ROOT, kernelFiles), toolchainSha256: treeHash(SDK_ROOT, toolchainFiles) };
}

/**
 * A backend's toolchain description as a tool entry: the words before the first version
 * number or parenthesis are the name, the rest is the version
 * ("bundled clang (@yowasp/clang 22.0.0-git20542-10)" → "bundled clang", "@yowasp/clang 22.0.0-git20542-10").
 */
function splitToolchain(description: string): { name: string; version: string } {
  const m = /^(.*?)\s+([\d(].*)$/.exec(description);
  if (m === null) return { name: description, version: 'unknown' };
  return { name: m[1]!, version: m[2]!.replace(/^\((.*)\)$/, '$1') };
}

/** Pack, sign and write the product image and its companions. */
export async function packProject(options: PackOptions): Promise<PackResult> {
  const projectDir = resolve(options.projectDir);
  const rel = options.rel ?? ((p: string) => p);
  const progress = options.progress ?? (() => undefined);
  const now = options.now ?? new Date();
  const problems: string[] = [];

  // 1. The integrator key.
  let signing;
  try {
    signing = await projectSigningKey(projectDir, options.signingKey);
    await assertUsableSigningKey(signing.key, rel(signing.file), now);
  } catch (error) {
    if (error instanceof KeyError) throw new IntegrationError([error.message]);
    throw error;
  }
  if (signing.facts.development) {
    const banner = '!'.repeat(78);
    progress([banner,
      `!! SIGNING WITH A DEVELOPMENT KEY: ${rel(signing.file)}${signing.generated ? ' (generated by this build)' : ''}`,
      `!! fingerprint ${signing.facts.fingerprint}`,
      '!! Anyone with this project can sign images with it. Never ship an image signed by it:',
      '!! release builds (CONFIG_BUILD_TARGET_RELEASE) refuse it. Make a release key with',
      '!! `rampart keygen --name NAME --out keys/integrator` or pass --key.',
      banner].join('\n'));
    if (options.kernel.buildTarget === 'release') {
      problems.push(`${rel(signing.file)}: a release build (CONFIG_BUILD_TARGET_RELEASE) refuses to sign with the development key ${signing.facts.fingerprint}; give a release key (keys/${'integrator.asc'} or --key)`);
    }
  }

  // 2. The app signatures, before anything is packed.
  let origins: AppOrigin[] = [];
  try {
    const policy = await readTrustFile(projectDir, now, rel);
    if (policy === undefined) {
      if (options.kernel.buildTarget === 'release') problems.push(`${rel(join(projectDir, 'trust.json'))}: missing; a release build integrates only apps signed by keys that trust.json allows`);
      else progress(`  warning: no trust.json: app sources are integrated without signature checks`);
    }
    origins = await verifyAppSignatures(projectDir, options.apps.map((a) => a.name), policy, rel);
  } catch (error) {
    if (error instanceof TrustError) problems.push(...error.problems);
    else throw error;
  }
  if (problems.length > 0) throw new IntegrationError(problems);

  // 3. Date, sections, SBOM, manifest, image.
  const sourceDateEpoch = process.env.SOURCE_DATE_EPOCH;
  let date: Date;
  try {
    date = buildDate([signing.facts.created, ...origins.flatMap((o) => (o.signer !== null ? [o.signer.signedAt] : []))]);
  } catch (error) {
    if (error instanceof SignatureError) throw new IntegrationError([error.message]);
    throw error;
  }
  const prj = join(projectDir, 'prj.conf');
  const productConfig = readProductConfigFile(prj);
  if (productConfig.name === undefined) progress(`  warning: ${rel(prj)}: no CONFIG_PRODUCT_NAME; the SBOM and CPE name say 'product'`);
  const productName = productConfig.name ?? 'product';
  const productCore = { name: productName, vendor: productConfig.vendor ?? productName, version: productConfig.version ?? '0.0.0' };
  const product = { ...productCore, cpe: productCpe({ vendor: productCore.vendor, product: productCore.name, version: productCore.version }) };

  const sections = encodeImageSections(options.kernel, options.tasks, options.board);
  const configHash = kernelConfigHash(options.kernel);
  const orderedTasks = [...options.tasks].sort((a, b) => a.label - b.label);
  const taskFacts = orderedTasks.map((t, i) => ({ name: t.name, label: t.label, sectionSha256: sha256Hex(sections[2 + i]!.bytes), moduleSha256: sha256Hex(t.module) }));
  const appByName = new Map(options.apps.map((a) => [a.name, a]));
  const originByName = new Map(origins.map((o) => [o.app, o]));
  const sdk = sdkIdentity();
  const toolchains = [...new Set(options.apps.map((a) => a.toolchain))].map(splitToolchain);
  const tools = [
    { name: 'node', version: process.version },
    { name: 'rampart-integrator', version: `${sdk.version}+src.${sdk.toolchainSha256.slice(0, 16)}` },
    { name: 'binaryen', version: installedVersion('binaryen') },
    { name: 'openpgp', version: installedVersion('openpgp') },
    { name: '@cyclonedx/cyclonedx-library', version: installedVersion('@cyclonedx/cyclonedx-library') },
    ...hostTools(),
    ...toolchains,
  ];
  const npmPackages = Object.keys(packageJson(SDK_ROOT).dependencies ?? {}).sort().map((name) => {
    const pkg = packageJson(join(SDK_ROOT, 'node_modules', name));
    return { name, version: pkg.version ?? 'unknown', license: pkg.license, kernelRuntime: name === 'openpgp' };
  });
  const appRecords = taskFacts.map((t) => {
    const app = appByName.get(t.name);
    const origin = originByName.get(t.name);
    return { facts: t, app, origin };
  });

  let sbom: Uint8Array;
  try {
    sbom = await buildSbom({
      product, date,
      kernel: { version: sdk.version, license: sdk.license, sourceSha256: sdk.kernelSha256, configSha256: configHash },
      apps: appRecords.map(({ facts, app, origin }) => ({
        name: facts.name, label: facts.label, version: app?.config.version, license: app?.config.license, supplier: app?.config.supplier,
        moduleSha256: facts.moduleSha256, sourceManifestSha256: origin?.sourceManifestSha256 ?? 'none', toolchain: app?.toolchain ?? 'unknown',
        signer: origin?.signer?.fingerprint, configFile: rel(join(projectDir, 'apps', facts.name, 'task.conf')),
      })),
      tools, npmPackages,
    });
  } catch (error) {
    if (error instanceof SbomError) throw new IntegrationError([...error.problems]);
    throw error;
  }

  const apps: ManifestApp[] = appRecords.map(({ facts, app, origin }) => ({
    name: facts.name, label: facts.label, version: app?.config.version ?? null, license: app?.config.license ?? null, supplier: app?.config.supplier ?? null,
    toolchain: app?.toolchain ?? 'unknown', sourceManifestSha256: origin?.sourceManifestSha256 ?? 'none', moduleSha256: facts.moduleSha256,
    signer: origin?.signer ? { name: origin.signer.name, fingerprint: origin.signer.fingerprint, signedAt: origin.signer.signedAt.toISOString() } : null,
  }));
  const manifest = buildManifest({
    product, date, sourceDateEpoch: sourceDateEpoch !== undefined && sourceDateEpoch !== '' ? Number(sourceDateEpoch) : null,
    image: imageClaimsOf({ formatVersion: IMAGE_VERSION, configHash, boardSha256: sha256Hex(sections[1]!.bytes), sbomSha256: sha256Hex(sbom), tasks: taskFacts }),
    kernel: { version: sdk.version, sourceSha256: sdk.kernelSha256, config: { ...options.kernel } },
    apps,
    inputs: [...projectInputs(projectDir), ...sdkInputs()],
    tools,
    integrator: { fingerprint: signing.facts.fingerprint, userIds: signing.facts.userIds, development: signing.facts.development },
    sbom: { format: 'CycloneDX', specVersion: SBOM_SPEC_VERSION },
  });

  const all = [...sections, { kind: SectionKind.Sbom, bytes: sbom }, { kind: SectionKind.Manifest, bytes: manifest }];
  const unsigned = writeContainer(all);
  let image: Uint8Array;
  let detached: { sbom: string; manifest: string; image: string };
  try {
    image = await signImage(unsigned, signing.key, date);
    detached = {
      image: await signDetached(image, signing.key, date),
      sbom: await signDetached(sbom, signing.key, date),
      manifest: await signDetached(manifest, signing.key, date),
    };
  } catch (error) {
    if (error instanceof SignatureError) throw new IntegrationError([`${rel(signing.file)}: ${error.message}`]);
    throw error;
  }

  // 4. Self-check with the kernel's own code: what we ship is what boot accepts.
  const read = readImage(image);
  await verifyImageSignature(image, read.signature, signing.publicKey);

  const imagePath = resolve(options.out ?? join(projectDir, 'build', 'image.rimg'));
  mkdirSync(dirname(imagePath), { recursive: true });
  const stem = join(dirname(imagePath), basename(imagePath).replace(/\.rimg$/, ''));
  const sbomPath = `${stem}.cdx.json`;
  const manifestPath = `${stem}.manifest.json`;
  writeFileAtomically(sbomPath, sbom);
  writeFileAtomically(`${sbomPath}.asc`, detached.sbom);
  writeFileAtomically(manifestPath, manifest);
  writeFileAtomically(`${manifestPath}.asc`, detached.manifest);
  writeFileAtomically(`${imagePath}.asc`, detached.image);
  // The image last: a reader who sees the new image finds its companions already there.
  writeFileAtomically(imagePath, image);

  const reports: SectionReport[] = all.map((s, i) => ({
    kind: SECTION_KIND_NAMES[s.kind] ?? String(s.kind),
    name: s.kind === SectionKind.Task ? orderedTasks[i - 2]?.name : undefined,
    bytes: s.bytes.length,
    sha256: sha256Hex(s.bytes),
  }));
  return {
    imagePath, sbomPath, manifestPath, signaturePaths: [`${imagePath}.asc`, `${sbomPath}.asc`, `${manifestPath}.asc`],
    imageBytes: image.length, sections: reports, signatureBytes: image.length - unsigned.length,
    signer: signing.facts, signerKeyFile: publicKeyFileOf(signing.file), date, origins,
  };
}
