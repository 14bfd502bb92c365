/**
 * The product's SBOM: CycloneDX 1.6 JSON, built with @cyclonedx/cyclonedx-library.
 *
 * Lists the product image (with its CPE name) as the subject, the kernel, every app (its
 * version, SPDX licence and supplier from task.conf, the SHA-256 of the module in the image,
 * the hash of its signed source manifest and its signer), the toolchains that built them
 * (as metadata tools, with versions) and the npm packages the SDK depends on.
 *
 * Invariants:
 * - Reproducible: no wall clock (the timestamp is the build date), a serial number derived
 *   from the content, explicit bom-refs, lists sorted by the serializer. Same inputs, same
 *   bytes.
 * - Valid: every SBOM is checked against the CycloneDX JSON schema (strict variant) before
 *   it is used; an invalid one is a toolchain bug and fails the build loudly.
 * - An app licence that is not an SPDX expression is refused, naming the task.conf.
 */

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import CDX from '@cyclonedx/cyclonedx-library';

/** The SPDX expression parser the CycloneDX library delegates to (untyped CommonJS). */
const parseSpdxExpression = createRequire(import.meta.url)('spdx-expression-parse') as (expression: string) => unknown;

/** The SBOM's CycloneDX specification version. */
export const SBOM_SPEC_VERSION = '1.6';

export interface SbomApp {
  readonly name: string;
  readonly label: number;
  readonly version: string | undefined;
  /** SPDX licence expression from CONFIG_APP_LICENSE. */
  readonly license: string | undefined;
  readonly supplier: string | undefined;
  /** SHA-256 of the instrumented module, as it is in the image. */
  readonly moduleSha256: string;
  readonly sourceManifestSha256: string;
  readonly toolchain: string;
  /** Fingerprint of the app's signer, when the app was signed. */
  readonly signer: string | undefined;
  /** Where the app's configuration lives, for messages. */
  readonly configFile: string;
}

export interface SbomInput {
  readonly product: { readonly name: string; readonly vendor: string; readonly version: string; readonly cpe: string };
  readonly date: Date;
  readonly kernel: { readonly version: string; readonly license: string; readonly sourceSha256: string; readonly configSha256: string };
  readonly apps: readonly SbomApp[];
  /** Tools that built the image: compilers, instrumenter, runtime, integrator. */
  readonly tools: readonly { readonly name: string; readonly version: string }[];
  /** npm packages of the SDK, with their declared licences. */
  readonly npmPackages: readonly { readonly name: string; readonly version: string; readonly license: string | undefined; readonly kernelRuntime: boolean }[];
}

/** An SBOM problem the user must fix (an invalid licence), or a schema failure. */
export class SbomError extends Error {
  override readonly name = 'SbomError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

const licenseFactory = new CDX.Contrib.License.Factories.LicenseFactory((expression) => { parseSpdxExpression(expression); });

/** A CycloneDX licence from an SPDX expression or identifier; undefined if it is neither. */
function spdxLicense(expression: string): CDX.Models.License | undefined {
  const license = licenseFactory.makeFromString(expression);
  return license instanceof CDX.Models.NamedLicense ? undefined : license;
}

/** A deterministic `urn:uuid:` (version-5 layout) from the SBOM's content. */
function serialNumber(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
}

function sha256Hashes(hex: string): CDX.Models.HashDictionary {
  return new CDX.Models.HashDictionary([[CDX.Enums.HashAlgorithm['SHA-256'], hex]]);
}

function properties(entries: Record<string, string | undefined>): CDX.Models.PropertyRepository {
  return new CDX.Models.PropertyRepository(Object.entries(entries)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => new CDX.Models.Property(k, v)));
}

/** Build, serialise and validate the SBOM. Resolves with its JSON bytes. */
export async function buildSbom(input: SbomInput): Promise<Uint8Array> {
  const problems: string[] = [];
  const bom = new CDX.Models.Bom();
  bom.metadata.timestamp = input.date;
  const product = new CDX.Models.Component(CDX.Enums.ComponentType.Firmware, input.product.name, {
    bomRef: 'product', version: input.product.version, cpe: input.product.cpe,
    supplier: new CDX.Models.OrganizationalEntity({ name: input.product.vendor }),
  });
  bom.metadata.component = product;
  bom.metadata.tools = new CDX.Models.Tools({
    components: new CDX.Models.ComponentRepository(input.tools.map((t) => new CDX.Models.Component(CDX.Enums.ComponentType.Application, t.name, { bomRef: `tool:${t.name}`, version: t.version }))),
  });

  const kernelLicense = spdxLicense(input.kernel.license);
  const kernel = new CDX.Models.Component(CDX.Enums.ComponentType.OperatingSystem, 'rampart-kernel', {
    bomRef: 'kernel', version: input.kernel.version, hashes: sha256Hashes(input.kernel.sourceSha256),
    supplier: new CDX.Models.OrganizationalEntity({ name: 'Rampart' }),
    licenses: new CDX.Models.LicenseRepository(kernelLicense !== undefined ? [kernelLicense] : []),
    properties: properties({ 'rampart:kernel-config-sha256': input.kernel.configSha256, 'rampart:hash-covers': 'kernel source tree' }),
  });
  bom.components.add(kernel);
  product.dependencies.add(kernel.bomRef);

  for (const app of input.apps) {
    const licenses = new CDX.Models.LicenseRepository();
    if (app.license !== undefined) {
      const license = spdxLicense(app.license);
      if (license === undefined) problems.push(`${app.configFile}: CONFIG_APP_LICENSE="${app.license}" is not an SPDX licence expression (e.g. Apache-2.0, MIT OR Apache-2.0)`);
      else licenses.add(license);
    }
    const component = new CDX.Models.Component(CDX.Enums.ComponentType.Application, app.name, {
      bomRef: `app:${app.name}`,
      licenses,
      hashes: sha256Hashes(app.moduleSha256),
      ...(app.version !== undefined ? { version: app.version, purl: `pkg:generic/${encodeURIComponent(app.name)}@${encodeURIComponent(app.version)}` } : {}),
      ...(app.supplier !== undefined ? { supplier: new CDX.Models.OrganizationalEntity({ name: app.supplier }) } : {}),
      properties: properties({
        'rampart:task-label': `0x${app.label.toString(16)}`,
        'rampart:source-manifest-sha256': app.sourceManifestSha256,
        'rampart:toolchain': app.toolchain,
        'rampart:signer': app.signer,
      }),
    });
    bom.components.add(component);
    product.dependencies.add(component.bomRef);
  }

  for (const p of input.npmPackages) {
    const license = p.license !== undefined ? spdxLicense(p.license) : undefined;
    const component = new CDX.Models.Component(CDX.Enums.ComponentType.Library, p.name, {
      bomRef: `npm:${p.name}@${p.version}`, version: p.version, purl: npmPurl(p.name, p.version),
      licenses: new CDX.Models.LicenseRepository(license !== undefined ? [license] : []),
      properties: properties({ 'rampart:role': p.kernelRuntime ? 'kernel runtime' : 'toolchain' }),
    });
    bom.components.add(component);
    if (p.kernelRuntime) kernel.dependencies.add(component.bomRef);
  }
  if (problems.length > 0) throw new SbomError(problems);

  // The serial number is derived from the content, minus the message-only file paths (they
  // depend on where the project lives, and the SBOM must not).
  bom.serialNumber = serialNumber(JSON.stringify({ ...input, apps: input.apps.map(({ configFile: _where, ...app }) => app) }));
  const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));
  const json = `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
  const error = await validateSbom(json);
  if (error !== null) throw new SbomError([`generated SBOM does not validate against the CycloneDX ${SBOM_SPEC_VERSION} schema: ${JSON.stringify(error)}`]);
  return new TextEncoder().encode(json);
}

/** Validate CycloneDX JSON against the 1.6 strict schema: null when valid, else the errors. */
export async function validateSbom(json: string): Promise<unknown> {
  return new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(json);
}
