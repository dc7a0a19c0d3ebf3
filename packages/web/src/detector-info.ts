/** The person detector file the page expects, and how to get it (docs/detector.md). Pure. */

export const YOLOX_NANO_FILENAME = 'yolox_nano.onnx';
export const YOLOX_NANO_BYTES = 3_660_092;
export const YOLOX_NANO_SHA256 = '695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14';
export const YOLOX_NANO_URL =
  'https://github.com/Kazuhito00/YOLOX-ONNX-TFLite-Sample/raw/3d4f1119d0694200671c08069ecb847aa0d8495a/model/yolox_nano.onnx';
export const YOLOX_NANO_LICENSE_URL =
  'https://github.com/Kazuhito00/YOLOX-ONNX-TFLite-Sample/blob/3d4f1119d0694200671c08069ecb847aa0d8495a/LICENSE';

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
