/**
 * The `rampart` command line: build, run, help.
 *
 * Arguments are parsed strictly: an unknown option or a malformed number is an error that
 * says what was expected. Commands return their exit code; nothing here calls process.exit.
 */

import { buildProject, ProjectError } from './build/project.js';
import { runImageFile, EXIT_REFUSED } from './run.js';

const USAGE = `usage:
  rampart build PROJECT [--out FILE]     build a project folder into an image (default PROJECT/build/image.rimg)
  rampart run IMAGE [--seed N] [--max-cycles N] [--trace-out FILE] [--scenario FILE] [--vcd-out FILE]
                                         boot an image headless; console lines on stdout, summary on stderr
  rampart help                           this text

run exit codes: 0 normal end, 1 kernel panic, 2 image refused, 3 stopped at --max-cycles,
                4 a task faulted or exited with a non-zero status`;

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

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const err = (s: string) => process.stderr.write(s);
  try {
    switch (command) {
      case 'build': {
        const p = parseArgs(rest, ['--out']);
        if (p.positional.length !== 1) throw new UsageError('build takes exactly one PROJECT folder');
        err(`rampart: building ${p.positional[0]}\n`);
        const result = await buildProject(p.positional[0]!, { ...(p.options.has('--out') ? { out: p.options.get('--out')! } : {}), progress: (l) => err(`${l}\n`) });
        process.stdout.write(`${result.imagePath}\n`);
        return 0;
      }
      case 'run': {
        const p = parseArgs(rest, ['--seed', '--max-cycles', '--trace-out', '--scenario', '--vcd-out']);
        if (p.positional.length !== 1) throw new UsageError('run takes exactly one IMAGE file');
        const maxCycles = integerOption(p, '--max-cycles', 1, Number.MAX_SAFE_INTEGER);
        const traceOut = p.options.get('--trace-out');
        return runImageFile(p.positional[0]!, {
          seed: integerOption(p, '--seed', 0, 0xffffffff) ?? 0,
          ...(maxCycles !== undefined ? { maxCycles } : {}),
          ...(traceOut !== undefined ? { traceOut } : {}),
          ...(p.options.has('--scenario') ? { scenario: p.options.get('--scenario')! } : {}),
          ...(p.options.has('--vcd-out') ? { vcdOut: p.options.get('--vcd-out')! } : {}),
          stdout: (s) => process.stdout.write(s),
          stderr: err,
        });
      }
      case 'help': case '--help': case '-h': case undefined:
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 64 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) { err(`rampart: ${error.message}\n${USAGE}\n`); return 64; }
    if (error instanceof ProjectError) { err(`rampart: build failed:\n${error.message}\n`); return EXIT_REFUSED; }
    throw error;
  }
}
