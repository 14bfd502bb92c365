/**
 * Keyed integrity codes for kernel data: the task table, the scheduler queues and each
 * suspended task's saved context.
 *
 * The code is a 32-bit keyed mix (multiply-xorshift rounds, key drawn from the boot
 * entropy), not a cryptographic MAC: its job is to detect glitched or corrupted state
 * (a flipped bit, a skipped write), which it does with probability 1 - 2^-32, and to make
 * a forged value depend on a key the attacker does not see. Verification failures are
 * security events: the caller journals them and panics (or faults the task whose own
 * saved context was corrupted).
 */

export class IntegrityKey {
  /** Key words of `code3`, derived from the key. */
  private readonly k0: number;
  private readonly k1: number;
  private readonly k2: number;

  constructor(private readonly key: number) {
    this.k0 = IntegrityKey.mix(key | 0, 1);
    this.k1 = IntegrityKey.mix(key | 0, 2);
    this.k2 = IntegrityKey.mix(key | 0, 3);
  }

  private static mix(h: number, v: number): number {
    let x = Math.imul(v ^ (v >>> 16), 0x7feb352d);
    x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
    x ^= x >>> 16;
    return (Math.imul(h ^ x, 0x9e3779b1) + 0x632be5ab) | 0;
  }

  /** Code over five 32-bit words (a task-table entry), built like `code3`. */
  words(a: number, b: number, c: number, d: number, e: number): number {
    return (this.code3(a, b, c) + Math.imul(d ^ this.k1, 0x27d4eb2f) + Math.imul(e ^ this.k2, 0x165667b1)) | 0;
  }

  /**
   * Code over words [from, to) of a memory (a saved context, at every switch): four keyed
   * chains `h = (h ^ w) * K + k` over the words of each residue mod 4, combined through
   * distinct odd multipliers. Each step is a bijection of h and each lane enters the result
   * through a bijection, so a change of any single word always changes the code; four
   * independent chains run in parallel instead of one serial chain of multiplications.
   */
  span32(words: Int32Array, from: number, to: number): number {
    const k = this.k1;
    let h0 = this.k0 ^ (to - from);
    let h1 = this.k2;
    let h2 = k;
    let h3 = this.k0 ^ 0x5bd1e995;
    let i = from;
    for (; i + 4 <= to; i += 4) {
      h0 = (Math.imul(h0 ^ words[i]!, 0x9e3779b1) + k) | 0;
      h1 = (Math.imul(h1 ^ words[i + 1]!, 0x9e3779b1) + k) | 0;
      h2 = (Math.imul(h2 ^ words[i + 2]!, 0x9e3779b1) + k) | 0;
      h3 = (Math.imul(h3 ^ words[i + 3]!, 0x9e3779b1) + k) | 0;
    }
    for (; i < to; i++) h0 = (Math.imul(h0 ^ words[i]!, 0x85ebca77) + k) | 0;
    return (h0 ^ Math.imul(h1, 0x27d4eb2f) ^ Math.imul(h2, 0x165667b1) ^ Math.imul(h3, 0xc2b2ae3d)) | 0;
  }

  /**
   * Code over three 32-bit words: the per-cell and per-record codes of the scheduler queues,
   * computed on every scheduler operation, so it is kept to three multiplications. Each
   * word goes through its own keyed bijection (xor with a key word, multiply by an odd
   * constant), so a change of any single word always changes the code; a glitch that
   * changes two words at once escapes with probability 2^-32.
   */
  code3(a: number, b: number, c: number): number {
    return (Math.imul(a ^ this.k0, 0x9e3779b1) + Math.imul(b ^ this.k1, 0x85ebca77) + Math.imul(c ^ this.k2, 0xc2b2ae3d)) | 0;
  }

  /** Code over bytes [start, end) of a buffer, read as little-endian words where aligned. */
  bytes(view: Uint8Array, start: number, end: number): number {
    let h = this.key ^ (end - start);
    let i = start;
    for (; i + 4 <= end; i += 4) h = IntegrityKey.mix(h, view[i]! | (view[i + 1]! << 8) | (view[i + 2]! << 16) | (view[i + 3]! << 24));
    for (; i < end; i++) h = IntegrityKey.mix(h, view[i]!);
    return h;
  }
}
