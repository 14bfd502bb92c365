#!/usr/bin/env node
// The `rampart` command: loads the TypeScript CLI through tsx (no separate build step).
// Large plain-JS dependencies are imported natively first: once in Node's module cache,
// tsx does not transform them again (binaryen alone takes ~9 s through the transform,
// 0.5 s natively).
await import('binaryen');
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../toolchain/cli.ts');
process.exitCode = await main(process.argv.slice(2));
