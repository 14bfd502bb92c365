#!/usr/bin/env node
// The `rampart` command: loads the TypeScript CLI through tsx (no separate build step).
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../toolchain/cli.ts');
process.exitCode = await main(process.argv.slice(2));
