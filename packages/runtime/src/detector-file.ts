/**
 * The YOLOX-Nano ONNX file MeTRAbs uses as its default person detector: where it comes from,
 * its size and checksum (docs/detector.md). Pure constants, shared by Node and the browser.
 */
export const YOLOX_NANO_FILENAME = 'yolox_nano.onnx';
export const YOLOX_NANO_BYTES = 3_660_092;
export const YOLOX_NANO_SHA256 = '695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14';
/** The file at a pinned commit of Kazuhito00/YOLOX-ONNX-TFLite-Sample (Apache-2.0). */
export const YOLOX_NANO_URL =
  'https://github.com/Kazuhito00/YOLOX-ONNX-TFLite-Sample/raw/3d4f1119d0694200671c08069ecb847aa0d8495a/model/yolox_nano.onnx';
export const YOLOX_NANO_LICENSE_URL =
  'https://github.com/Kazuhito00/YOLOX-ONNX-TFLite-Sample/blob/3d4f1119d0694200671c08069ecb847aa0d8495a/LICENSE';
