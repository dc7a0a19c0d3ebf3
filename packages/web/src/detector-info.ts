/** The person detector file the page expects, and how to get it (docs/detector.md). Pure. */

import {
  YOLOX_NANO_BYTES,
  YOLOX_NANO_FILENAME,
  YOLOX_NANO_LICENSE_URL,
  YOLOX_NANO_SHA256,
  YOLOX_NANO_URL,
} from '@metrabs/runtime';

export { YOLOX_NANO_SHA256 };

/** Lines telling the user where the detector comes from and where to put it. */
export function detectorHelp(expectedUrl: string): string[] {
  return [
    `The person detector YOLOX-Nano (${YOLOX_NANO_FILENAME}, ${YOLOX_NANO_BYTES.toLocaleString('en-US')} bytes, Apache-2.0) is not bundled with MeTRAbs and was not found at ${expectedUrl}.`,
    `Download it from ${YOLOX_NANO_URL} (sha256 ${YOLOX_NANO_SHA256}; keep its licence ${YOLOX_NANO_LICENSE_URL} with copies), then either:`,
    '• for npm run web: save it as ~/.cache/metrabs/yolox_nano.onnx (or set METRABS_DETECTOR=/path/to/yolox_nano.onnx) and restart npm run web;',
    '• on a static host: put it at models/yolox_nano.onnx next to index.html;',
    '• or give its URL in the "Detector URL" field or as ?detector=URL.',
  ];
}

/** Lowercase hex sha256, or undefined where the browser has no SubtleCrypto (insecure origin). */
export async function sha256Hex(bytes: Uint8Array): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return undefined;
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
