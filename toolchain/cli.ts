/**
 * The `rampart` command line: build, run, keygen, sign, verify, inspect, bench, sdk, menuconfig, help.
 *
 * Arguments are parsed strictly: an unknown option or a malformed number is an error that
 * says what was expected. Commands return their exit code; nothing here calls process.exit.
 */

import { buildProject, ProjectError } from './build/project.js';
import { runImageFile, EXIT_REFUSED } from './run.js';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { ImageError } from '../kernel/image/image-error.js';
import { generateKeyPair, KeyError, readPrivateKeyFile } from './integrate/keys.js';
import { assertUsableSigningKey, buildDate, signDetached, SignatureError } from './integrate/sign.js';
import { signApp } from './integrate/trust.js';
import { formatInspectReport, formatVerifyChecks, inspectImage, verifyImageFile } from './inspect.js';
import { sdkCommand, SDK_USAGE } from './sdk/sdk.js';
import { menuconfigCommandLine, MENUCONFIG_USAGE } from './config/kconfig.js';

const USAGE = `usage:
  rampart build PROJECT [--out FILE] [--key KEY.asc]
                                         build a project folder into a signed image (default PROJECT/build/image.rimg)
                                         with its SBOM (.cdx.json), build manifest (.manifest.json) and .asc signatures
  rampart run IMAGE [--seed N] [--max-cycles N] [--trace-out FILE] [--scenario FILE] [--vcd-out FILE]
                    [--backup FILE] [--journal-policy continue|refuse-task|refuse-boot] [--inject SPEC]
          [--trust KEY.asc] [--wall-timeout SECONDS]
                                         boot an image headless; console lines on stdout, summary on stderr;
                                         with --trust (default: the project's key for PROJECT/build/*.rimg)
                                         an image not signed by that key is refused; --wall-timeout stops a
                                         run whose task never returns to the kernel (unmetered code)
  rampart keygen --name NAME [--email ADDR] [--expires DAYS] --out PREFIX
                                         make an OpenPGP signing key: PREFIX.asc (private), PREFIX.pub.asc,
                                         PREFIX.rev.asc (revocation certificate)
  rampart sign --key KEY.asc TARGET...   sign an app folder (writes app-sources.txt and app-sources.txt.asc)
                                         or any file (writes FILE.asc)
  rampart verify IMAGE [--trust KEY.asc] check the signature, manifest, SBOM and the files beside the image
  rampart inspect IMAGE [--json]         tasks, capabilities, resources, hashes, signer, SBOM summary
  rampart bench [--json FILE] [--svg FILE] [--quick]
                                         measure the kernel paths against their floors in one run: table on
                                         stdout, report as JSON and a chart of the ratios as SVG; --quick runs
                                         every case with small counts (a smoke run, figures indicative only)
${SDK_USAGE}
${MENUCONFIG_USAGE}
  rampart help                           this text

run exit codes: 0 normal end, 1 kernel panic, 2 image refused, 3 stopped at --max-cycles,
                4 a task faulted or exited with a non-zero status, 5 stopped by --wall-timeout`;

class UsageError extends Error {}

interface Parsed {
  readonly positional: string[];
  readonly options: Map<string, string>;
}

function parseArgs(args: readonly string[], valued: readonly string[]): Parsed {
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      const [name, inline] = a.split('=', 2) as [string, string | undefined];
      if (!valued.includes(name)) throw new UsageError(`unknown option ${name}`);
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      options.set(name, value);
    } else {
      positional.push(a);
    }
  }
  return { positional, options };
}

function integerOption(p: Parsed, name: string, min: number, max: number): number | undefined {
  const v = p.options.get(name);
  if (v === undefined) return undefined;
  const n = /^(0x[0-9a-f]+|[0-9]+)$/i.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name} expects an integer in ${min}..${max}, got '${v}'`);
  return n;
}

function journalPolicyOption(v: string): 'continue' | 'refuse-task' | 'refuse-boot' {
  if (v === 'continue' || v === 'refuse-task' || v === 'refuse-boot') return v;
  throw new UsageError(`--journal-policy expects continue, refuse-task or refuse-boot, got '${v}'`);
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const err = (s: string) => process.stderr.write(s);
  try {
    switch (command) {
      case 'build': {
        const p = parseArgs(rest, ['--out', '--key']);
        if (p.positional.length !== 1) throw new UsageError('build takes exactly one PROJECT folder');
        err(`rampart: building ${p.positional[0]}\n`);
        const result = await buildProject(p.positional[0]!, {
          ...(p.options.has('--out') ? { out: p.options.get('--out')! } : {}),
          ...(p.options.has('--key') ? { signingKey: p.options.get('--key')! } : {}),
          progress: (l) => err(`${l}\n`),
        });
        process.stdout.write(`${result.imagePath}\n`);
        return 0;
      }
      case 'run': {
        const p = parseArgs(rest, ['--seed', '--max-cycles', '--trace-out', '--scenario', '--vcd-out', '--backup', '--inject', '--journal-policy', '--trust', '--wall-timeout']);
        if (p.positional.length !== 1) throw new UsageError('run takes exactly one IMAGE file');
        const maxCycles = integerOption(p, '--max-cycles', 1, Number.MAX_SAFE_INTEGER);
        const wallTimeoutSeconds = integerOption(p, '--wall-timeout', 1, 86_400);
        const traceOut = p.options.get('--trace-out');
        return runImageFile(p.positional[0]!, {
          seed: integerOption(p, '--seed', 0, 0xffffffff) ?? 0,
          ...(maxCycles !== undefined ? { maxCycles } : {}),
          ...(wallTimeoutSeconds !== undefined ? { wallTimeoutSeconds } : {}),
          ...(traceOut !== undefined ? { traceOut } : {}),
          ...(p.options.has('--scenario') ? { scenario: p.options.get('--scenario')! } : {}),
          ...(p.options.has('--vcd-out') ? { vcdOut: p.options.get('--vcd-out')! } : {}),
          ...(p.options.has('--backup') ? { backup: p.options.get('--backup')! } : {}),
          ...(p.options.has('--inject') ? { inject: p.options.get('--inject')! } : {}),
          ...(p.options.has('--journal-policy') ? { journalPolicy: journalPolicyOption(p.options.get('--journal-policy')!) } : {}),
          ...(p.options.has('--trust') ? { trust: p.options.get('--trust')! } : {}),
          stdout: (s) => process.stdout.write(s),
          stderr: err,
        });
      }
      case 'keygen': {
        const p = parseArgs(rest, ['--name', '--email', '--expires', '--out']);
        const name = p.options.get('--name');
        const out = p.options.get('--out');
        if (name === undefined || out === undefined || p.positional.length !== 0) throw new UsageError('keygen needs --name NAME and --out PREFIX');
        const days = integerOption(p, '--expires', 1, 36500);
        const prefix = out.replace(/\.asc$/, '');
        const files = [`${prefix}.asc`, `${prefix}.pub.asc`, `${prefix}.rev.asc`];
        const existing = files.filter((f) => existsSync(f));
        if (existing.length > 0) throw new UsageError(`keygen will not overwrite ${existing.join(', ')}`);
        const pair = await generateKeyPair({
          name, ...(p.options.has('--email') ? { email: p.options.get('--email')! } : {}),
          ...(days !== undefined ? { expiresInSeconds: days * 86400 } : {}),
          ...(process.env.RAMPART_KEY_PASSPHRASE ? { passphrase: process.env.RAMPART_KEY_PASSPHRASE } : {}),
        });
        writeFileSync(files[0]!, pair.privateKey, { mode: 0o600 });
        writeFileSync(files[1]!, pair.publicKey);
        writeFileSync(files[2]!, pair.revocationCertificate, { mode: 0o600 });
        process.stdout.write(`${pair.fingerprint}\n`);
        err(`rampart: key ${pair.fingerprint}: private ${files[0]} (keep it secret), public ${files[1]}, revocation certificate ${files[2]}\n`);
        return 0;
      }
      case 'sign': {
        const p = parseArgs(rest, ['--key']);
        const keyFile = p.options.get('--key');
        if (keyFile === undefined || p.positional.length === 0) throw new UsageError('sign needs --key KEY.asc and at least one app folder or file');
        const key = await readPrivateKeyFile(keyFile);
        const now = new Date();
        await assertUsableSigningKey(key, keyFile, now);
        // SOURCE_DATE_EPOCH when set (reproducible signatures), else now.
        const date = process.env.SOURCE_DATE_EPOCH ? buildDate([]) : new Date(Math.floor(now.getTime() / 1000) * 1000);
        for (const target of p.positional) {
          if (!existsSync(target)) throw new UsageError(`${target}: no such file or folder`);
          if (statSync(target).isDirectory()) {
            const manifest = await signApp(target, basename(resolve(target)), key, date);
            err(`rampart: signed app '${basename(resolve(target))}' (${manifest.files.length} files, sources ${manifest.sha256.slice(0, 16)}) with ${key.getFingerprint()}\n`);
          } else {
            writeFileSync(`${target}.asc`, await signDetached(readFileSync(target), key, date));
            err(`rampart: wrote ${target}.asc\n`);
          }
        }
        return 0;
      }
      case 'verify': {
        const p = parseArgs(rest, ['--trust']);
        if (p.positional.length !== 1) throw new UsageError('verify takes exactly one IMAGE file');
        const checks = await verifyImageFile(p.positional[0]!, p.options.has('--trust') ? { trust: p.options.get('--trust')! } : {});
        process.stdout.write(`${formatVerifyChecks(p.positional[0]!, checks)}\n`);
        return checks.every((c) => c.ok) ? 0 : EXIT_REFUSED;
      }
      case 'inspect': {
        const json = rest.includes('--json');
        const p = parseArgs(rest.filter((a) => a !== '--json'), []);
        if (p.positional.length !== 1) throw new UsageError('inspect takes exactly one IMAGE file');
        const report = await inspectImage(p.positional[0]!);
        process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInspectReport(report)}\n`);
        return 0;
      }
      case 'bench': {
        const quick = rest.includes('--quick');
        const p = parseArgs(rest.filter((a) => a !== '--quick'), ['--json', '--svg']);
        if (p.positional.length !== 0) throw new UsageError('bench takes no positional argument');
        const { benchCommand } = await import('./bench/command.js');
        await benchCommand({ quick, json: p.options.get('--json'), svg: p.options.get('--svg'), stdout: (s) => process.stdout.write(s), stderr: err });
        return 0;
      }
      case 'sdk':
        return await sdkCommand(rest, { stdout: (s) => process.stdout.write(s), stderr: err });
      case 'menuconfig':
        return menuconfigCommandLine(rest, { stdout: (s) => process.stdout.write(s), stderr: err });
      case 'help': case '--help': case '-h': case undefined:
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 64 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) { err(`rampart: ${error.message}\n${USAGE}\n`); return 64; }
    if (error instanceof ProjectError) { err(`rampart: build failed:\n${error.message}\n`); return EXIT_REFUSED; }
    if (error instanceof KeyError || error instanceof SignatureError || error instanceof ImageError) { err(`rampart: ${error.message}\n`); return EXIT_REFUSED; }
    throw error;
  }
}
