/**
 * Camera files: the JSON file giving an image's intrinsics and optionally distortion,
 * extrinsics and world-up vector (docs/cli.md), parsed and checked into `PoseOptions` terms.
 * Every problem is a `CameraFileError` naming the file and the key. Pure; reading the file
 * is `readCameraFile` in `@metrabs/runtime/node`.
 */
import { Camera, distortionOverImage, toDistortionCoeffs } from '@metrabs/core';

/** A camera file that cannot be read, is not JSON or does not describe a valid camera. */
export class CameraFileError extends Error {
  /** The file (or other source) the camera came from. */
  readonly source: string;

  constructor(source: string, message: string) {
    super(message);
    this.name = 'CameraFileError';
    this.source = source;
  }
}

/** What a camera file holds, in `PoseOptions` terms. */
export interface CameraFile {
  intrinsicMatrix: number[][];
  distortionCoeffs?: number[];
  extrinsicMatrix?: number[][];
  worldUpVector?: number[];
}

const CAMERA_KEYS = ['intrinsic_matrix', 'distortion_coeffs', 'extrinsic_matrix', 'world_up'];

function matrix(
  value: unknown,
  rows: number,
  cols: number,
  where: string,
  key: string,
): number[][] {
  const shapeError = () =>
    new CameraFileError(
      where,
      `${where}: "${key}" must be ${rows} rows of ${cols} numbers (a ${rows}×${cols} nested list)`,
    );
  if (!Array.isArray(value) || value.length !== rows) throw shapeError();
  return value.map((row, i) => {
    if (!Array.isArray(row) || row.length !== cols) throw shapeError();
    return row.map((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new CameraFileError(
          where,
          `${where}: "${key}"[${i}][${j}] must be a finite number, got ${JSON.stringify(v)}`,
        );
      }
      return v;
    });
  });
}

function vector(value: unknown, where: string, key: string, lengths: number[]): number[] {
  if (!Array.isArray(value) || !lengths.includes(value.length)) {
    throw new CameraFileError(
      where,
      `${where}: "${key}" must be a list of ${lengths.join(', ')} numbers`,
    );
  }
  return value.map((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new CameraFileError(
        where,
        `${where}: "${key}"[${i}] must be a finite number, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  });
}

/**
 * Validates a parsed camera file: `intrinsic_matrix` (3×3, fx, fy > 0, bottom row 0 0 1) and
 * optionally `distortion_coeffs` (OpenCV order, up to 12 numbers), `extrinsic_matrix` (4×4
 * world→camera, translation in mm, bottom row 0 0 0 1) and `world_up` (3 numbers, not zero).
 */
export function parseCameraJson(json: unknown, where: string): CameraFile {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CameraFileError(where, `${where}: expected a JSON object with "intrinsic_matrix"`);
  }
  const d = json as Record<string, unknown>;
  const unknown = Object.keys(d).filter((k) => !CAMERA_KEYS.includes(k));
  if (unknown.length > 0) {
    throw new CameraFileError(
      where,
      `${where}: unknown key "${unknown[0]}" (allowed: ${CAMERA_KEYS.join(', ')})`,
    );
  }
  if (d['intrinsic_matrix'] === undefined)
    throw new CameraFileError(where, `${where}: "intrinsic_matrix" is missing`);
  const k = matrix(d['intrinsic_matrix'], 3, 3, where, 'intrinsic_matrix');
  if (!(k[0]![0]! > 0) || !(k[1]![1]! > 0)) {
    throw new CameraFileError(
      where,
      `${where}: "intrinsic_matrix" needs positive focal lengths fx = K[0][0] and fy = K[1][1]`,
    );
  }
  if (k[1]![0] !== 0 || k[2]![0] !== 0 || k[2]![1] !== 0 || k[2]![2] !== 1) {
    throw new CameraFileError(
      where,
      `${where}: "intrinsic_matrix" must be upper triangular with K[2] = [0, 0, 1]`,
    );
  }
  checkIntrinsics(k, where);
  const out: CameraFile = { intrinsicMatrix: k };
  if (d['distortion_coeffs'] !== undefined && d['distortion_coeffs'] !== null) {
    out.distortionCoeffs = vector(
      d['distortion_coeffs'],
      where,
      'distortion_coeffs',
      [0, 1, 2, 3, 4, 5, 8, 12],
    );
    checkDistortion(k, out.distortionCoeffs, where);
  }
  if (d['extrinsic_matrix'] !== undefined && d['extrinsic_matrix'] !== null) {
    const e = matrix(d['extrinsic_matrix'], 4, 4, where, 'extrinsic_matrix');
    const last = e[3]!;
    if (last[0] !== 0 || last[1] !== 0 || last[2] !== 0 || last[3] !== 1) {
      throw new CameraFileError(
        where,
        `${where}: "extrinsic_matrix" must have the bottom row [0, 0, 0, 1]`,
      );
    }
    // The rotation part is checked where the pipeline uses it: @metrabs/core's Camera.
    try {
      new Camera({ intrinsicMatrix: k, extrinsicMatrix: e });
    } catch (error) {
      throw new CameraFileError(where, `${where}: "extrinsic_matrix": ${(error as Error).message}`);
    }
    out.extrinsicMatrix = e;
  }
  if (d['world_up'] !== undefined && d['world_up'] !== null) {
    const up = vector(d['world_up'], where, 'world_up', [3]);
    if (Math.hypot(up[0]!, up[1]!, up[2]!) === 0)
      throw new CameraFileError(where, `${where}: "world_up" must not be zero`);
    out.worldUpVector = up;
  }
  return out;
}

/** No photo is wider than this many pixels; a principal point beyond it is a mistake. */
export const MAX_PRINCIPAL_POINT_PX = 1e6;
/** A focal length beyond this many pixels is a field of view under a millionth of a radian. */
export const MAX_FOCAL_LENGTH_PX = 1e7;
/** The most a real (non-fisheye) lens moves a point toward or away from the image centre. */
export const MAX_DISTORTION_STRETCH = 2;

function checkIntrinsics(k: number[][], where: string): void {
  const [fx, skew, cx] = k[0]! as [number, number, number];
  const [, fy, cy] = k[1]! as [number, number, number];
  const fail = (what: string) =>
    new CameraFileError(where, `${where}: "intrinsic_matrix": ${what}`);
  if (Math.max(fx, fy) > MAX_FOCAL_LENGTH_PX) {
    throw fail(
      `the focal length (fx = ${fx}, fy = ${fy} pixels) is absurdly long; it is in pixels, ` +
        'typically about the image width (a 60° field of view gives 0.87 × width)',
    );
  }
  if (Math.max(Math.abs(cx), Math.abs(cy)) > MAX_PRINCIPAL_POINT_PX) {
    throw fail(
      `the principal point (cx = ${cx}, cy = ${cy}) lies far outside any image; K[0][2] and ` +
        'K[1][2] are in pixels, usually near the image centre (half the width and height)',
    );
  }
  if (Math.abs(skew) > Math.max(fx, fy)) {
    throw fail(`the skew K[0][1] = ${skew} is larger than the focal length; it is usually 0`);
  }
  try {
    new Camera({ intrinsicMatrix: k });
  } catch (error) {
    throw fail(`the matrix cannot be inverted (${(error as Error).message})`);
  }
}

/**
 * Rejects distortion that is not one-to-one over the image: the distorted point must keep
 * moving outward from the centre to the corners, as with any real lens. The image is taken as
 * twice the principal point in each direction (the file does not give its size).
 */
function checkDistortion(k: number[][], coeffs: number[], where: string): void {
  const fx = k[0]![0]!;
  const fy = k[1]![1]!;
  const halfW = Math.max(Math.abs(k[0]![2]!), 1);
  const halfH = Math.max(Math.abs(k[1]![2]!), 1);
  const corner = [halfW / fx, halfH / fy];
  const directions = [
    corner[0]!,
    corner[1]!,
    -corner[0]!,
    corner[1]!,
    corner[0]!,
    -corner[1]!,
    -corner[0]!,
    -corner[1]!,
  ];
  const maxRadius = Math.hypot(corner[0]!, corner[1]!);
  const { foldRadius, minStretch, maxStretch } = distortionOverImage(
    toDistortionCoeffs(coeffs),
    directions,
    maxRadius,
  );
  if (foldRadius !== null) {
    const share = Math.round((100 * foldRadius) / maxRadius);
    throw new CameraFileError(
      where,
      `${where}: "distortion_coeffs" fold the image back on itself ${share}% of the way from ` +
        'the centre to the corners (the distorted image stops growing outward there), which no ' +
        'real lens does; check the coefficients and their order (k1 k2 p1 p2 k3 …)',
    );
  }
  if (maxStretch > MAX_DISTORTION_STRETCH || minStretch < 1 / MAX_DISTORTION_STRETCH) {
    const factor = maxStretch > MAX_DISTORTION_STRETCH ? maxStretch : minStretch;
    throw new CameraFileError(
      where,
      `${where}: "distortion_coeffs" would move points to ${factor.toPrecision(3)}× their ` +
        `distance from the image centre; real lenses stay within ${1 / MAX_DISTORTION_STRETCH}× ` +
        `to ${MAX_DISTORTION_STRETCH}× (check the coefficients and their order: k1 k2 p1 p2 k3 …)`,
    );
  }
}
