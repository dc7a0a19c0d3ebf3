/**
 * The YOLOX-Nano ONNX file MeTRAbs uses as its default person detector: where it comes from,
 * its size and checksum (docs/detector.md). Pure constants, shared by Node and the browser.
 */
export const YOLOX_NANO_FILENAME = 'yolox_nano.onnx';
export const YOLOX_NANO_BYTES = 3_660_092;
export const YOLOX_NANO_SHA256 = '695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14';
/** The pinned commit of Kazuhito00/YOLOX-ONNX-TFLite-Sample (Apache-2.0) the file comes from. */
const SOURCE_REPO = 'https://github.com/Kazuhito00/YOLOX-ONNX-TFLite-Sample';
const SOURCE_COMMIT = '3d4f1119d0694200671c08069ecb847aa0d8495a';
/** The file at a pinned commit of Kazuhito00/YOLOX-ONNX-TFLite-Sample (Apache-2.0). */
export const YOLOX_NANO_URL = `${SOURCE_REPO}/raw/${SOURCE_COMMIT}/model/yolox_nano.onnx`;
/** The repository's LICENSE (Apache-2.0) at the same commit, as a web page. */
export const YOLOX_NANO_LICENSE_URL = `${SOURCE_REPO}/blob/${SOURCE_COMMIT}/LICENSE`;
/** The same LICENSE as plain text, for downloading it next to the model. */
export const YOLOX_NANO_LICENSE_RAW_URL = `${SOURCE_REPO}/raw/${SOURCE_COMMIT}/LICENSE`;
/** The name the licence is saved under, next to an installed `yolox_nano.onnx`. */
export const YOLOX_NANO_LICENSE_FILENAME = 'yolox_nano.LICENSE';
export const YOLOX_NANO_LICENSE_BYTES = 11_357;
export const YOLOX_NANO_LICENSE_SHA256 =
  'c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4';
