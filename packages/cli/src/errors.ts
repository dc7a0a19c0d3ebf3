/**
 * Exit codes of the `metrabs` command and the error types that map onto them. Every error
 * ends as one line `metrabs: error: …` on stderr (a stack trace only with `--debug`).
 */

export const EXIT = {
  /** Everything worked. */
  ok: 0,
  /** A bug or an error nobody anticipated. */
  unexpected: 1,
  /** Bad command line: unknown command or option, bad option value, unknown skeleton. */
  usage: 2,
  /** Bad input or output: missing, unreadable or corrupt image or video, bad intrinsics file, unwritable output, a port that cannot be listened on. */
  input: 3,
  /** The model package or the person detector is missing or invalid. */
  model: 4,
  /** Stopped with Ctrl-C (video; the frames done so far are saved). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error whose message is meant for the user as is, with the exit code it ends in. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** Optional further lines (e.g. how to install a missing file), printed after the error line. */
  readonly details: string | undefined;

  constructor(message: string, exitCode: ExitCode, details?: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.details = details;
  }
}

export class UsageError extends CliError {
  constructor(message: string, details?: string) {
    super(message, EXIT.usage, details);
    this.name = 'UsageError';
  }
}

export class InputError extends CliError {
  constructor(message: string, details?: string) {
    super(message, EXIT.input, details);
    this.name = 'InputError';
  }
}

export class ModelError extends CliError {
  constructor(message: string, details?: string) {
    super(message, EXIT.model, details);
    this.name = 'ModelError';
  }
}

/** The text of the exit-code table, shared by `--help` and the docs test. */
export const EXIT_CODE_HELP = `Exit codes:
  0  success
  1  unexpected error (a bug: please report it, with the output of --debug)
  2  usage error: unknown command or option, bad option value, unknown skeleton
  3  input/output error: missing, unreadable or corrupt image, video or asset,
     bad intrinsics file, output that cannot be written, a port in use (serve),
     no floor found (video --world auto)
  4  model package, person detector, ffmpeg or renderer missing or invalid
  130  interrupted (Ctrl-C); video results up to that frame and finished synth
       shards are kept`;

/** The message of anything thrown, on one line. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (
    text.replace(/\s*\n\s*/g, ' ').trim() || (error instanceof Error ? error.name : 'unknown error')
  );
}
