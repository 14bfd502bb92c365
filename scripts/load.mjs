#!/usr/bin/env node
/**
 * `npm run load [-- EVENTS]`: the load test of test/load at full size.
 *
 * Runs vitest on test/load with LOAD_EVENTS (default ten million IPC and signal events
 * through the 64-task ring of test/load/ring.ts). The test prints the events, the events
 * per second (wall clock) and the heap before and after the run (after a forced gc).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const events = process.argv[2] ?? process.env.LOAD_EVENTS ?? '10000000';
console.log(`load: ${events} events`);
const result = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/load', '--reporter=verbose'], {
  cwd: root, env: { ...process.env, LOAD_EVENTS: events }, stdio: 'inherit',
});
process.exit(result.status ?? 1);
