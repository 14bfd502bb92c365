/**
 * The measuring core of `rampart bench`: rounds, interleaving, statistics.
 *
 * A *contender* is one figure (a case or a floor) that can run one round on demand and
 * return nanoseconds per operation for that round. {@link interleave} runs a group of
 * contenders in alternating rounds (the order rotates each round so no contender always
 * follows the same neighbour), discards the warm-up rounds, and keeps one sample per
 * round. A figure is then the median of its samples, with min and max beside it.
 *
 * Rounds are timed with `process.hrtime.bigint()` at their two ends only; everything a
 * round needs (images, instances, buffers) is prepared before its clock starts.
 */

/** One figure's samples, in nanoseconds per operation, one per measured round. */
export interface Samples {
  readonly name: string;
  readonly values: number[];
}

/** Median, min and max of a sample set. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN, rounds: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, rounds: sorted.length };
}

/** One figure that can run a round: returns ns per operation of that round. */
export interface Contender {
  readonly name: string;
  round(): number | Promise<number>;
}

/** Nanoseconds elapsed while `fn` runs (one BigInt pair per call, outside any measured loop). */
export function timeNs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0);
}

/**
 * Run unrecorded warm-up rounds, then `rounds` recorded ones of every contender, interleaved:
 * round r runs the contenders starting at index r mod n. Warm-up lasts at least `warmup`
 * rounds and at least `minWarmupMs` of wall time: V8 compiles hot Wasm functions with its
 * optimising tier on background threads, and on a busy machine that code can arrive late,
 * so a fixed number of short rounds is not enough. Returns the samples by name.
 */
export async function interleave(contenders: readonly Contender[], warmup: number, rounds: number, minWarmupMs = 0): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const n = contenders.length;
  const runRound = async (r: number, record: boolean): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const c = contenders[(r + i) % n]!;
      const ns = await c.round();
      if (!Number.isFinite(ns) || ns <= 0) throw new Error(`bench: ${c.name}: round gave ${ns} ns`);
      if (record) samples.get(c.name)!.push(ns);
    }
  };
  const warmStart = performance.now();
  let r = 0;
  while (r < warmup || performance.now() - warmStart < minWarmupMs) await runRound(r++, false);
  for (let i = 0; i < rounds; i++) await runRound(r++, true);
  return samples;
}
