import { describe, expect, it } from 'vitest';
import { runCli as cli } from '../test/helpers/cli.js';

describe('rampart run --wall-timeout', () => {
  it.each(['0', '-1', 'abc', '1.5', '86401'])('refuses %s before reading the image, with the usage', async (value) => {
    const r = await cli('run', 'no-such-image.rimg', '--wall-timeout', value);
    expect(r.code).toBe(64);
    expect(r.stderr.split('\n')[0]).toBe(`rampart: --wall-timeout expects an integer in 1..86400, got '${value}'`);
    expect(r.stderr).toContain('--wall-timeout SECONDS');
  });

  it('refuses the option without a value', async () => {
    const r = await cli('run', 'no-such-image.rimg', '--wall-timeout');
    expect(r.code).toBe(64);
    expect(r.stderr.split('\n')[0]).toBe('rampart: --wall-timeout needs a value');
  });
});
