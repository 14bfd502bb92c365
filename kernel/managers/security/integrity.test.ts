import { describe, expect, it } from 'vitest';
import { IntegrityKey } from './integrity.js';

describe('IntegrityKey.code3', () => {
  it('changes whenever one word changes, whatever bit flips', () => {
    const key = new IntegrityKey(0x1234567);
    let seed = 99;
    const rnd = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) | 0; return seed; };
    for (let i = 0; i < 2000; i++) {
      const w = [rnd(), rnd(), rnd()] as [number, number, number];
      const code = key.code3(...w);
      for (let word = 0; word < 3; word++) {
        for (let bit = 0; bit < 32; bit++) {
          const g = [...w] as [number, number, number];
          g[word] = g[word]! ^ (1 << bit);
          expect(key.code3(...g)).not.toBe(code);
        }
      }
    }
  });

  it('depends on the key', () => {
    expect(new IntegrityKey(1).code3(5, 6, 7)).not.toBe(new IntegrityKey(2).code3(5, 6, 7));
  });
});
