#!/usr/bin/env node
/**
 * `npm run fuzz [-- RUNS [SECONDS]]`: the fuzzers of test/fuzz for a long run.
 *
 * Runs vitest on test/fuzz with FUZZ_RUNS (default 100000 per property) and, when given,
 * FUZZ_SECONDS (a time limit per property). Each property prints how many cases it ran,
 * its seed and what it found; a failing property prints its shrunk counterexample, which
 * `FUZZ_SEED=<seed>` replays. The exit code is vitest's.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [runs = process.env.FUZZ_RUNS ?? '100000', seconds = process.env.FUZZ_SECONDS] = process.argv.slice(2);
const env = { ...process.env, FUZZ_RUNS: runs, ...(seconds !== undefined ? { FUZZ_SECONDS: seconds } : {}) };
console.log(`fuzz: ${runs} cases per property${seconds !== undefined ? `, at most ${seconds} s each` : ''}`);
const started = Date.now();
const result = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/fuzz', '--reporter=verbose'], { cwd: root, env, stdio: 'inherit' });
console.log(`fuzz: done in ${((Date.now() - started) / 1000).toFixed(0)} s, exit ${result.status}`);
process.exit(result.status ?? 1);
