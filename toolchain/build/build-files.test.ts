import { describe, expect, it } from 'vitest';
import { olderEntries } from './build-files.js';

describe('olderEntries', () => {
  it('lists the same app\'s entries with a key of the same length, and nothing else', () => {
    const files = [
      'c-hello-0123456789abcdef01234567.wasm', 'c-hello-0123456789abcdef01234567.json',
      'c-hello-ffffffffffffffffffffffff.wasm', 'c-hello-ffffffffffffffffffffffff.json',
      'c-hello-extra-0123456789abcdef01234567.wasm', // another app whose name extends this one
      'c-hello-0123.wasm', 'c-hello-0123456789abcdef01234567.wasm.123.tmp', 'c-hello-ZZZZZZZZZZZZZZZZZZZZZZZZ.wasm',
      'pong-0123456789abcdef01234567.wasm',
    ];
    expect(olderEntries(files, '/cache/c-hello-ffffffffffffffffffffffff')).toEqual([
      'c-hello-0123456789abcdef01234567.wasm', 'c-hello-0123456789abcdef01234567.json',
      'c-hello-ffffffffffffffffffffffff.wasm', 'c-hello-ffffffffffffffffffffffff.json',
    ]);
  });
});
