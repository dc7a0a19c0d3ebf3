/**
 * `@metrabs/cli` — the `metrabs` command as a library: `main(argv, io)` runs it and returns
 * the exit code. The command itself is installed by `@metrabs/node` (its `metrabs` bin).
 */
export type { Io } from './commands/detect.js';
export { CliError, EXIT, type ExitCode, InputError, ModelError, UsageError } from './errors.js';
export { buildProgram, main, reportError } from './program.js';
export { overlayPng, scenePng } from './render/raster.js';
