/**
 * The error type of `@metrabs/synth`. `code` lets the CLI map failures to exit codes and
 * messages without parsing text; the message names the file or value that was wrong.
 */
export type SynthErrorCode =
  | 'missing-assets' // an asset folder or file that should exist does not
  | 'bad-asset' // an asset file that exists but cannot be parsed (BVH, OBJ, mhclo, …)
  | 'bad-output' // the output directory cannot be created or written
  | 'bad-option' // an invalid option value
  | 'renderer'; // the WebGL context or a shader failed

export class SynthError extends Error {
  readonly code: SynthErrorCode;

  constructor(code: SynthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SynthError';
    this.code = code;
  }
}
