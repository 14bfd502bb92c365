import { describe, expect, it } from 'vitest';
import { Entropy } from './entropy.js';

describe('Entropy', () => {
  it('is deterministic for one seed and differs between seeds', () => {
    const a = new Entropy(1), b = new Entropy(1), c = new Entropy(2);
    const seqA = [a.next32(), a.next32(), a.next32()];
    expect([b.next32(), b.next32(), b.next32()]).toEqual(seqA);
    expect([c.next32(), c.next32(), c.next32()]).not.toEqual(seqA);
  });
  it('produces unsigned 32-bit values spread over the range', () => {
    const e = new Entropy(42);
    let high = 0;
    for (let i = 0; i < 1000; i++) {
      const v = e.next32();
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(2 ** 32);
      if (v >= 2 ** 31) high++;
    }
    expect(high).toBeGreaterThan(400);
    expect(high).toBeLessThan(600);
  });
});
