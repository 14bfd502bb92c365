#!/usr/bin/env node
// Idempotent setup used by the quick-start commands: installs what the project needs,
// says what it installs, and does nothing when everything is already in place.
import { existsSync, statSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (s) => process.stderr.write(`setup: ${s}\n`);

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  say(`Node ${process.versions.node} is too old; Rampart needs Node 20 or newer`);
  process.exit(1);
}

const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  say('installing npm packages (npm ci): TypeScript runner tsx, Binaryen, Clang/LLD for wasm32 (@yowasp/clang), vitest');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
} else {
  say('npm packages already installed');
}

// Debian tools the builds run: the devicetree compiler (every board.dts goes through dtc),
// a Rust toolchain with the wasm32 standard library (Rust apps) and kconfiglib (every
// prj.conf and task.conf). The scripts are idempotent and say what they install.
for (const script of ['ensure-dtc.sh', 'ensure-rust.sh', 'ensure-kconfig.sh']) {
  execSync(`bash ${join(root, 'scripts', script)}`, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}
