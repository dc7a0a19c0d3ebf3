/**
 * Error messages are one line (logs, the CLI's `error:` line, HTTP answers). Native libraries
 * do not keep to that: libvips reports each warning on its own line, ONNX Runtime ends its
 * messages with a line break. Pure; runs in Node and browsers.
 */

/** The message of `error` with its lines trimmed and joined by "; ". */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('; ');
}
