/**
 * `@metrabs/runtime` — MeTRAbs inference, engine-independent: model packages, the crop
 * network, perspective crops, the YOLOX person detector and the multi-person pipeline.
 * Node adapters (files, sharp, onnxruntime-node) are in `@metrabs/runtime/node`.
 */

export { type Assignment, greedyAssignment, optimalAssignment } from './assignment.js';
export { type CameraFile, CameraFileError, parseCameraJson } from './camera-file.js';
export { CropModel, type CropPredictions } from './crop-model.js';
export * from './detector-file.js';
export {
  countDropReasons,
  type DroppedPerson,
  type DropReason,
  droppedSummary,
} from './dropped.js';
export { Pose3DEstimator, type PoseOptions, type PoseResult } from './estimator.js';
export {
  estimateGroundPlane,
  footCandidates,
  type GroundPlane,
  GroundPlaneError,
  type GroundPlaneOptions,
} from './ground-plane.js';
export { assertRgbImage, letterbox } from './letterbox.js';
export {
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelDescriptor,
  type ModelGeometry,
  ModelPackageError,
  parseModelDescriptor,
} from './model-package.js';
export {
  eulerZxy,
  fitTrackMotion,
  quaternionOf,
  type TrackMotion,
  writeBvh,
  writeGltf,
} from './motion-export.js';
export {
  MOTION_FILTER_DEFAULTS,
  MotionFilter,
  type MotionFilterOptions,
  motionFilter,
} from './motion-filter.js';
export { MIN_EXPORT_FRAMES, type RecordingInfo, TrackRecorder } from './motion-recorder.js';
export {
  buildRig,
  type ExportAxes,
  type Rig,
  type RigMotion,
  type RigNode,
  rigPositions,
  solveMotion,
  toExportAxes,
} from './motion-rig.js';
export { OneEuroFilter, type OneEuroOptions } from './one-euro.js';
export { oneLine } from './one-line.js';
export {
  type CameraSetting,
  checkOption,
  describeRange,
  inRange,
  type OptionRange,
  POSE_DEFAULTS,
  POSE_OPTION_RANGES,
  PoseOptionsError,
  type PoseOptionValues,
  type RangedOption,
  type ResolvedPoseOptions,
  resolvePoseOptions,
  settingsRecord,
} from './options.js';
export {
  createOrtSession,
  ModelLoadError,
  type OrtModuleLike,
  type OrtSessionOptions,
} from './ort-session.js';
export {
  cameraCentre,
  centroid,
  distanceFromCamera,
  type PoseResultLike,
  RESULT_FORMAT,
  RESULT_FORMAT_VERSION,
  type ResultContext,
  type ResultDocument,
  type ResultModelInfo,
  resultDocument,
  round,
  stringifyJson,
  worldToCamera,
} from './result-document.js';
export {
  exponentialFilter,
  meanJointDistance,
  type PoseFilter,
  type PoseFilterOutput,
  PoseTracker,
  TRACKER_DEFAULTS,
  type TrackedFrame,
  type TrackerInput,
  type TrackerOptions,
} from './tracking.js';
export {
  type TrackingFrameTruth,
  type TrackingScores,
  trackingScores,
} from './tracking-metrics.js';
export type {
  Box,
  DetectorOptions,
  PersonDetector,
  RgbImage,
  Tensor,
  TensorSession,
} from './types.js';
export {
  createVideoTracker,
  type VideoSmoothing,
  type VideoTrackerOptions,
  videoTrackingRecord,
} from './video-tracker.js';
export {
  choosePyramidLevel,
  DECODING_GAMMA,
  LinearImagePyramid,
  renderCrop,
  renderCrops,
} from './warp.js';
export {
  ANKLE_HEIGHT_MM,
  ankleJoints,
  cameraToWorldPoints,
  estimateWorldFrame,
  FloorFeet,
  WORLD_FRAME_DEFAULTS,
  type WorldFrame,
  type WorldFrameOptions,
  worldFrameFromGround,
} from './world-frame.js';
export {
  boxIou,
  DetectorModelError,
  decodeYolox,
  nonMaxSuppression,
  YoloxPersonDetector,
} from './yolox.js';
