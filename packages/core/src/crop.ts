/**
 * Virtual crop cameras, as the MeTRAbs pipeline builds them for every person box and
 * test-time augmentation, and the pixel mapping from a crop back into the image.
 *
 * For a box [x, y, w, h] the crop camera shares the image camera's optical centre and:
 * 1. looks through the (undistorted) box centre, keeping image-up aligned with world-up;
 * 2. rolls by the augmentation angle and optionally mirrors horizontally;
 * 3. zooms so that the larger of the box's reprojected height and width (measured between
 *    the undistorted side midpoints, seen by the turned camera) fills the crop side S,
 *    times the augmentation scale;
 * 4. has its principal point at (S/2, S/2) and no lens distortion.
 */
import type { NumericArray } from './arrays.js';
import { Camera, lookAtRotation } from './camera.js';
import { distortPoints } from './distortion.js';
import { GeometryError } from './errors.js';
import { axisRotation3, invert3, type Mat3, multiply3, transpose3 } from './mat3.js';

export interface Augmentation {
  /** In-plane rotation of the crop camera, radians (see Camera.rotateInPlane). */
  angle: number;
  /** Extra zoom on top of the box fit (>1 zooms in). */
  scale: number;
  /** Mirror the crop horizontally (predictions then need a left/right joint swap). */
  flip: boolean;
  /** Gamma applied to the crop's linear-light pixels as p^(gamma/2.2). */
  gamma: number;
}

export const NO_AUGMENTATION: Readonly<Augmentation> = {
  angle: 0,
  scale: 1,
  flip: false,
  gamma: 1,
};

/** Default rotation range of test-time augmentation, degrees (±). */
export const DEFAULT_TTA_ROTATION_DEGREES = 25;

/**
 * Evenly spaced values with the reference's conventions: `num = 1` gives the midpoint of
 * [start, stop], `endpoint = false` leaves out `stop`.
 */
export function linspace(start: number, stop: number, num: number, endpoint = true): number[] {
  if (num <= 0) return [];
  if (num === 1) return [endpoint ? (start + stop) / 2 : start];
  const last = endpoint ? stop : stop - (stop - start) / num;
  const step = (last - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? last : start + i * step));
}

/**
 * The test-time augmentation schedule of the reference multi-person model for `numAug`
 * crops per person: angles evenly in ±rotationRange, scales from 0.8 up to 1.1 (first half
 * below 1), gammas from 0.6 to 1.0, and every other crop (counting from the middle one)
 * mirrored. `numAug = 1` gives angle 0, scale 1.05, gamma 0.8, no flip — the reference's
 * midpoint convention.
 */
export function ttaSchedule(
  numAug: number,
  rotationRangeDegrees = DEFAULT_TTA_ROTATION_DEGREES,
): Augmentation[] {
  if (!Number.isInteger(numAug) || numAug < 1) {
    throw new GeometryError('invalid-option', `numAug must be a positive integer, got ${numAug}`);
  }
  const range = (rotationRangeDegrees * Math.PI) / 180;
  const angles = linspace(-range, range, numAug);
  const half = Math.floor(numAug / 2);
  const scales = [...linspace(0.8, 1.0, half, false), ...linspace(1.0, 1.1, numAug - half)];
  const gammas = linspace(0.6, 1.0, numAug);
  return angles.map((angle, i) => ({
    angle,
    scale: scales[i]!,
    flip: (((i - half) % 2) + 2) % 2 !== 0,
    gamma: gammas[i]!,
  }));
}

export interface CropGeometry {
  /** The virtual crop camera (same world frame and optical centre as the image camera). */
  camera: Camera;
  /** Crop side S in pixels. */
  side: number;
  /**
   * Rotation from the image camera's frame to the crop camera's frame (column vectors):
   * p_crop = rotation · p_image_cam. Contains a reflection when `flip` is set.
   * Bring crop-frame predictions back with p_image_cam = rotationᵀ · p_crop.
   */
  rotation: Mat3;
  /** Focal-length multiplier from the image camera to the crop camera. */
  zoom: number;
  augmentation: Augmentation;
}

export interface CropOptions {
  /** Crop side S in pixels (default 256). */
  side?: number;
  augmentation?: Augmentation;
}

function checkBox(box: ArrayLike<number>): void {
  if (box.length < 4)
    throw new GeometryError('shape', `box must be [x, y, w, h], got ${box.length} numbers`);
  for (let i = 0; i < 4; i++) {
    if (!Number.isFinite(box[i]!))
      throw new GeometryError('non-finite', `box element ${i} must be finite, got ${box[i]}`);
  }
  if (!(box[2]! > 0 && box[3]! > 0)) {
    throw new GeometryError(
      'degenerate',
      `box width and height must be positive, got ${box[2]}×${box[3]}`,
    );
  }
}

/**
 * Builds the virtual crop camera for `box` = [x, y, w, h] (pixels of `camera`'s image).
 * The world-up vector of `camera` decides which way is up in the crop.
 */
export function buildCropCamera(
  camera: Camera,
  box: ArrayLike<number>,
  options: CropOptions = {},
): CropGeometry {
  checkBox(box);
  const side = options.side ?? 256;
  if (!(Number.isInteger(side) && side > 0)) {
    throw new GeometryError('invalid-option', `crop side must be a positive integer, got ${side}`);
  }
  const aug = options.augmentation ?? NO_AUGMENTATION;
  if (!(aug.scale > 0) || !Number.isFinite(aug.angle) || !Number.isFinite(aug.scale)) {
    throw new GeometryError(
      'invalid-option',
      `augmentation needs a finite angle and positive scale, got ${JSON.stringify(aug)}`,
    );
  }
  const [x, y, w, h] = [box[0]!, box[1]!, box[2]!, box[3]!];
  // Box centre, then the midpoints of the top, right, bottom and left sides.
  const pixels = [
    x + w / 2,
    y + h / 2,
    x + w / 2,
    y,
    x + w,
    y + h / 2,
    x + w / 2,
    y + h,
    x,
    y + h / 2,
  ];
  const dirs = camera.imageToNormalized(pixels);

  const turn = lookAtRotation([dirs[0]!, dirs[1]!, 1], camera.cameraSpaceUp());
  // Side midpoints as seen by the turned camera (same K): measures the box there.
  const KR = multiply3(camera.intrinsicMatrix, turn);
  const seen = new Float64Array(8);
  for (let i = 0; i < 4; i++) {
    const dx = dirs[2 + i * 2]!,
      dy = dirs[3 + i * 2]!;
    const px = KR[0]! * dx + KR[1]! * dy + KR[2]!;
    const py = KR[3]! * dx + KR[4]! * dy + KR[5]!;
    const pz = KR[6]! * dx + KR[7]! * dy + KR[8]!;
    seen[i * 2] = px / pz;
    seen[i * 2 + 1] = py / pz;
  }
  const vertical = Math.hypot(seen[0]! - seen[4]!, seen[1]! - seen[5]!);
  const horizontal = Math.hypot(seen[2]! - seen[6]!, seen[3]! - seen[7]!);
  const boxSize = Math.max(vertical, horizontal);
  if (!(boxSize > 0) || !Number.isFinite(boxSize)) {
    throw new GeometryError(
      'degenerate',
      'the box has no extent after reprojection (is it behind the camera?)',
    );
  }
  const zoom = (aug.scale * side) / boxSize;

  let rotation = multiply3(axisRotation3('z', -aug.angle), turn);
  if (aug.flip) {
    rotation = Float64Array.from(rotation);
    rotation[0] = -rotation[0]!;
    rotation[1] = -rotation[1]!;
    rotation[2] = -rotation[2]!;
  }
  const K = Float64Array.from(camera.intrinsicMatrix);
  K[0]! *= zoom;
  K[1]! *= zoom;
  K[3]! *= zoom;
  K[4]! *= zoom;
  K[2] = side / 2;
  K[5] = side / 2;
  const cropCamera = new Camera({
    intrinsicMatrix: K,
    rotation: multiply3(rotation, camera.rotation),
    opticalCenter: camera.opticalCenter,
    worldUp: camera.worldUp,
  });
  return { camera: cropCamera, side, rotation, zoom, augmentation: { ...aug } };
}

/**
 * Scale matrix for rendering a crop `factor` times larger and averaging it back down
 * (anti-aliasing): maps pixel centres of the large render to the small crop's pixel grid,
 * keeping pixel corners aligned.
 */
export function cornerAlignedScale(factor: number): Mat3 {
  const shift = (factor - 1) / 2;
  return Float64Array.of(factor, 0, shift, 0, factor, shift, 0, 0, 1);
}

/**
 * Homography from crop pixels to image pixels (no lens distortion in the image camera):
 * image ≃ H · [u, v, 1]. With `antialiasFactor` a > 1 it maps the pixels of an a·S × a·S
 * render instead.
 */
export function cropToImageHomography(
  crop: CropGeometry,
  imageCamera: Camera,
  antialiasFactor = 1,
): Mat3 {
  if (imageCamera.hasDistortion) {
    throw new GeometryError(
      'invalid-option',
      'the image camera has lens distortion: use cropToImageMap',
    );
  }
  const H = multiply3(imageCamera.intrinsicMatrix, cropToImageDirections(crop));
  return antialiasFactor === 1 ? H : multiply3(H, cornerAlignedScale(1 / antialiasFactor));
}

/** inv(K_crop · R): crop pixels → viewing directions in the image camera's frame. */
function cropToImageDirections(crop: CropGeometry): Mat3 {
  return invert3(multiply3(crop.camera.intrinsicMatrix, crop.rotation), 'crop projection');
}

/**
 * Per-pixel map from crop pixels to image pixels, flat `[x, y]` per crop pixel in row-major
 * order (`map[(v * width + u) * 2]`), honouring the image camera's lens distortion. Used
 * when the crop is not a homography of the image. `width = height = side · antialiasFactor`.
 */
export function cropToImageMap(
  crop: CropGeometry,
  imageCamera: Camera,
  antialiasFactor = 1,
  out?: Float32Array,
): Float32Array {
  const size = crop.side * antialiasFactor;
  const map = out ?? new Float32Array(size * size * 2);
  if (map.length !== size * size * 2) {
    throw new GeometryError(
      'shape',
      `map buffer must have ${size * size * 2} elements, got ${map.length}`,
    );
  }
  let M = cropToImageDirections(crop);
  if (antialiasFactor !== 1) M = multiply3(M, cornerAlignedScale(1 / antialiasFactor));
  const row = new Float64Array(size * 2);
  const K = imageCamera.intrinsicMatrix;
  const distorted = imageCamera.hasDistortion;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const X = M[0]! * u + M[1]! * v + M[2]!;
      const Y = M[3]! * u + M[4]! * v + M[5]!;
      const Z = M[6]! * u + M[7]! * v + M[8]!;
      row[u * 2] = X / Z;
      row[u * 2 + 1] = Y / Z;
    }
    if (distorted) distortPoints(row, imageCamera.distortionCoeffs, row);
    const base = v * size * 2;
    for (let u = 0; u < size; u++) {
      const x = row[u * 2]!,
        y = row[u * 2 + 1]!;
      map[base + u * 2] = K[0]! * x + K[1]! * y + K[2]!;
      map[base + u * 2 + 1] = K[3]! * x + K[4]! * y + K[5]!;
    }
  }
  return map;
}

/**
 * Rotates flat crop-frame points (x, y, z triples) back into the image camera's frame:
 * p = rotationᵀ · p_crop. Writes to `out` (may equal `points`).
 */
export function cropToCameraPoints(
  points: NumericArray,
  crop: CropGeometry,
  out: Float64Array = new Float64Array(points.length),
): Float64Array {
  const Rt = transpose3(crop.rotation);
  for (let i = 0; i < points.length; i += 3) {
    const x = points[i]!,
      y = points[i + 1]!,
      z = points[i + 2]!;
    out[i] = Rt[0]! * x + Rt[1]! * y + Rt[2]! * z;
    out[i + 1] = Rt[3]! * x + Rt[4]! * y + Rt[5]! * z;
    out[i + 2] = Rt[6]! * x + Rt[7]! * y + Rt[8]! * z;
  }
  return out;
}
