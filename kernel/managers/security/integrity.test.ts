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

describe('IntegrityKey.span32 and words', () => {
  it('changes whenever one word of a span or an entry changes', () => {
    const key = new IntegrityKey(77);
    const mem = Int32Array.from({ length: 40 }, (_, i) => Math.imul(i + 1, 0x45d9f3b));
    const code = key.span32(mem, 3, 30);
    for (let i = 3; i < 30; i++) {
      for (const bit of [0, 7, 31]) {
        mem[i] = mem[i]! ^ (1 << bit);
        expect(key.span32(mem, 3, 30)).not.toBe(code);
        mem[i] = mem[i]! ^ (1 << bit);
      }
    }
    expect(key.span32(mem, 3, 30)).toBe(code);
    expect(key.span32(mem, 3, 29)).not.toBe(code); // the length counts
    // every span length (each residue of the four lanes), every word of it
    for (let len = 0; len < 12; len++) {
      const c = key.span32(mem, 5, 5 + len);
      for (let i = 5; i < 5 + len; i++) {
        mem[i] = mem[i]! ^ (1 << (i & 31));
        expect(key.span32(mem, 5, 5 + len)).not.toBe(c);
        mem[i] = mem[i]! ^ (1 << (i & 31));
      }
    }
    // two words swapped between lanes
    const s = key.span32(mem, 0, 8);
    [mem[0], mem[1]] = [mem[1]!, mem[0]!];
    expect(key.span32(mem, 0, 8)).not.toBe(s);
    [mem[0], mem[1]] = [mem[1]!, mem[0]!];
    const entry = [1, 2, 3, 4, 5] as const;
    const e = key.words(...entry);
    for (let w = 0; w < 5; w++) {
      const g = [...entry] as [number, number, number, number, number];
      g[w] = g[w]! ^ 0x100;
      expect(key.words(...g)).not.toBe(e);
    }
  });
});
