/**
 * Entry of the `metrabs` command (run by bin/metrabs.js through tsx): parses process.argv,
 * runs the command and sets the exit code (see errors.ts and `metrabs --help`).
 */
import type { Io } from './commands/detect.js';
import { main } from './program.js';

const io: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

// A reader that went away (`metrabs detect … --json | head`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2), io);
