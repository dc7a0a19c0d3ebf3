/**
 * `@metrabs/core` — the geometry of MeTRAbs (absolute, metric-scale 3D human pose
 * estimation) in pure TypeScript: cameras, crops, heatmap decoding, absolute
 * reconstruction, post-processing, skeletons and metrics. No I/O, no Node-only APIs.
 *
 * Conventions and data layouts: docs/geometry.md.
 */
export {
  flattenPoints,
  type NumericArray,
  type PointBatch,
  type Points,
  toPointBatch,
  unflattenPoints,
} from './arrays.js';
export {
  Camera,
  type CameraInit,
  DEFAULT_FOV_DEGREES,
  DEFAULT_WORLD_UP,
  intrinsicsFromFov,
  lookAtRotation,
  type PointsInput,
} from './camera.js';
export {
  type Augmentation,
  buildCropCamera,
  type CropGeometry,
  type CropOptions,
  cornerAlignedScale,
  cropToCameraPoints,
  cropToImageHomography,
  cropToImageMap,
  DEFAULT_TTA_ROTATION_DEGREES,
  linspace,
  NO_AUGMENTATION,
  ttaSchedule,
} from './crop.js';
export {
  DISTORTION_COEFF_COUNT,
  type DistortionOverImage,
  distortionOverImage,
  distortPoints,
  hasDistortion,
  toDistortionCoeffs,
  type UndistortOptions,
  undistortPoints,
} from './distortion.js';
export { assertFinite, GeometryError, type GeometryErrorCode } from './errors.js';
export {
  type DecodedHeads,
  decodeMetrabsHeads,
  type HeatmapMapping,
  heatmapToCropPixel,
  mapHeatmapCoords,
  softArgmax2d,
  softArgmax3d,
} from './heatmap.js';
export {
  applyJointTransform,
  compileJointTransform,
  type JointTransform,
  jointTransformProblems,
} from './joint-transform.js';
export {
  apply3,
  axisRotation3,
  cross3,
  det3,
  identity3,
  invert3,
  type Mat3,
  type Matrix3Like,
  mat3ToRows,
  multiply3,
  norm3,
  toMat3,
  transpose3,
  type Vec3,
} from './mat3.js';
export * from './metrics.js';
export {
  areAugmentationsConsistent,
  averageAugmentations,
  type BoneCheckOptions,
  type BoxCoverage,
  DROP_REASONS,
  type DropReason,
  isPoseConsistentWithBox,
  isPosePlausible,
  poseBoxCoverage,
  poseNonMaxSuppression,
  poseSimilarity,
  type ScreenInput,
  type ScreenResult,
  screenPoses,
} from './plausibility.js';
export {
  type CategoryJoints,
  categoryJoints,
  POSE_CATEGORIES,
  type PoseAngles,
  type PoseCategory,
  poseAngles,
  poseCategory,
} from './pose-category.js';
export * from './procrustes.js';
export {
  fovBounds,
  isWithinFov,
  type ReconstructOptions,
  reconstructAbsolute,
  reconstructAbsoluteBatch,
} from './reconstruct.js';
export * from './skeletons.js';
export { type Svd3, type SymmetricEigen3, svd3, symmetricEigen3 } from './svd3.js';
