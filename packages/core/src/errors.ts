/**
 * The one error type thrown by `@metrabs/core` for bad input. `code` lets callers branch
 * without parsing messages; the message always says what was wrong and what was expected.
 */
export type GeometryErrorCode =
  | 'shape' // wrong length / dimensions
  | 'non-finite' // NaN or Infinity where a finite number is needed
  | 'singular' // a matrix that cannot be inverted
  | 'degenerate' // zero-size box, zero vector, points that define nothing
  | 'unknown-skeleton'
  | 'invalid-option';

export class GeometryError extends Error {
  readonly code: GeometryErrorCode;

  constructor(code: GeometryErrorCode, message: string) {
    super(message);
    this.name = 'GeometryError';
    this.code = code;
  }
}

/** Throws a `non-finite` error naming `what` if any value is NaN or ±Infinity. */
export function assertFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      throw new GeometryError('non-finite', `${what} must be finite, but element ${i} is ${v}`);
    }
  }
}
