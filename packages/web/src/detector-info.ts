/** The person detector file the page expects, and how to get it (docs/detector.md). Pure. */

import {
  YOLOX_NANO_BYTES,
  YOLOX_NANO_FILENAME,
  YOLOX_NANO_LICENSE_URL,
  YOLOX_NANO_SHA256,
  YOLOX_NANO_URL,
} from '@metrabs/runtime';

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
