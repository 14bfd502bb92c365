/**
 * The emulated entropy source: a seeded, deterministic generator.
 *
 * Every random value the kernel hands out (task handle generations, `_start` seeds,
 * get_random) comes from here, so the same boot seed gives the same run bit for bit.
 * The generator is xoshiro128** (small state, good statistical quality); it is not a
 * cryptographic RNG, which is acceptable for an emulator whose point is reproducibility.
 * It never allocates.
 */

export class Entropy {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Seeds the state with splitmix32 so that small seeds (0, 1, 2...) still diverge at once. */
  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next() | 1;
  }

  /** Next 32-bit value (unsigned). */
  next32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3 >>> 0, 11);
    this.s0 >>>= 0; this.s1 >>>= 0; this.s2 >>>= 0;
    return result;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
