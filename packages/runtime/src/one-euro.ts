/**
 * The One Euro filter (Casiez, Roussel & Vogel, CHI 2012) over a set of points: a first-order
 * low-pass whose cutoff rises with speed, so a still joint is smoothed hard (no jitter) and a
 * fast one follows with little lag.
 *
 *     cutoff = minCutoff + beta · |filtered velocity|        (Hz; velocity in units/s)
 *     α(c, dt) = 1 / (1 + 1 / (2π c dt)),   x̂ ← x̂ + α (x − x̂)
 *
 * The velocity is the difference quotient of the input against the last estimate, itself
 * low-passed at `derivativeCutoff`. Points are `dims`-vectors and the speed is the vector's
 * norm, so one point gets one cutoff (a joint does not bend its path per axis). Time steps
 * that are not positive (a seek backwards, a repeated timestamp) restart the filter.
 */

export interface OneEuroOptions {
  /** Cutoff at rest, Hz. */
  minCutoff: number;
  /** Cutoff increase per unit of speed (Hz per unit/s). */
  beta: number;
  /** Cutoff of the velocity's own low-pass, Hz. Default 1. */
  derivativeCutoff?: number;
}

function smoothing(cutoffHz: number, dt: number): number {
  return 1 / (1 + 1 / (2 * Math.PI * cutoffHz * dt));
}

export function checkOneEuroOptions(o: OneEuroOptions, what: string): void {
  for (const [name, value, min] of [
    ['minCutoff', o.minCutoff, Number.MIN_VALUE],
    ['beta', o.beta, 0],
    ['derivativeCutoff', o.derivativeCutoff ?? 1, Number.MIN_VALUE],
  ] as const) {
    if (!(Number.isFinite(value) && value >= min)) {
      throw new RangeError(
        `${what}: ${name} must be a ${min === 0 ? 'number ≥ 0' : 'positive number'}, got ${value}`,
      );
    }
  }
}

export class OneEuroFilter {
  private estimate: Float64Array | undefined;
  private velocity: Float64Array | undefined;
  private lastTime = Number.NaN;
  private readonly derivativeCutoff: number;

  constructor(
    readonly options: OneEuroOptions,
    /** Values per point (3 for 3D joints, 1 for a distance). */
    readonly dims: number,
  ) {
    checkOneEuroOptions(options, 'One Euro filter');
    this.derivativeCutoff = options.derivativeCutoff ?? 1;
  }

  /**
   * Filters `values` (points × dims, flat) observed at `timeS`; returns the estimate (a fresh
   * array). Non-finite inputs keep their last estimate. `speedScale` converts the values'
   * speed into the units `beta` is given in (e.g. a direction's speed times a distance).
   */
  filter(values: ArrayLike<number>, timeS: number, speedScale = 1): Float64Array {
    const n = values.length;
    const dt = timeS - this.lastTime;
    if (this.estimate === undefined || this.estimate.length !== n || !(dt > 0)) {
      this.estimate = Float64Array.from(values, (v, i) =>
        Number.isFinite(v) ? v : (this.estimate?.[i] ?? v),
      );
      this.velocity = new Float64Array(n);
      this.lastTime = timeS;
      return this.estimate.slice();
    }
    this.lastTime = timeS;
    const x = this.estimate;
    const v = this.velocity!;
    const d = this.dims;
    const aVelocity = smoothing(this.derivativeCutoff, dt);
    for (let p = 0; p < n; p += d) {
      let speed2 = 0;
      for (let k = p; k < p + d; k++) {
        const value = values[k]!;
        const raw = Number.isFinite(value) ? (value - x[k]!) / dt : 0;
        v[k] = v[k]! + aVelocity * (raw - v[k]!);
        speed2 += v[k]! * v[k]!;
      }
      const speed = Math.sqrt(speed2) * speedScale;
      const a = smoothing(this.options.minCutoff + this.options.beta * speed, dt);
      for (let k = p; k < p + d; k++) {
        const value = values[k]!;
        if (Number.isFinite(value)) x[k] = x[k]! + a * (value - x[k]!);
      }
    }
    return x.slice();
  }
}
