/** Shared timing helpers of the TypeScript benchmarks. */

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Runs `fn` repeatedly for at least `minMs` per round, `rounds` times, after `warmup` calls
 * (JIT); returns the median number of calls per second.
 */
export function callsPerSecond(
  fn: () => void,
  { minMs = 300, rounds = 7, warmup = 5 } = {},
): number {
  for (let i = 0; i < warmup; i++) fn();
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let calls = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < minMs) {
      fn();
      calls++;
      t = performance.now();
    }
    rates.push((calls * 1000) / (t - t0));
  }
  return median(rates);
}

/** `callsPerSecond` for an async `fn`, awaited call by call (one call in flight at a time). */
export async function callsPerSecondAsync(
  fn: () => Promise<unknown>,
  { minMs = 300, rounds = 7, warmup = 5 } = {},
): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let calls = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < minMs) {
      await fn();
      calls++;
      t = performance.now();
    }
    rates.push((calls * 1000) / (t - t0));
  }
  return median(rates);
}
