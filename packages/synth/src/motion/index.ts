/** Motion capture: BVH parsing, forward kinematics, the canonical joint set and clips. */
export {
  type Bvh,
  type BvhChannel,
  type BvhJoint,
  bvhJointIndex,
  type ParseBvhOptions,
  parseBvh,
} from './bvh.js';
export {
  type LoadClipOptions,
  LSPET_GALLERY_FOLDER,
  listMotionClips,
  listPoseGalleries,
  loadClip,
  type MotionCatalogEntry,
} from './catalog-node.js';
export {
  type ClipMeta,
  clipFromBvh,
  isPoseGallery,
  LICENSES,
  MIRROR_INDEX,
  type MotionClip,
  mirrorClip,
  NUM_MOTION_JOINTS,
  type SampleOptions,
  sampleFrames,
  segmentRelationError,
} from './clip.js';
export {
  eulerToMatrix,
  type FkOptions,
  type FkResult,
  forwardKinematics,
  restPositions,
} from './fk.js';
export {
  BANDAI_HAND_LENGTH_CM,
  BANDAI_HEAD_LENGTH_CM,
  BANDAI_RIG,
  BANDAI_TOE_LENGTH_CM,
  CC_BASE_RIG,
  CC_HEAD_LENGTH_CM,
  CC_TOE_LENGTH_CM,
  detectRig,
  LIFTED_RIG,
  MOTION_JOINT_INDEX,
  MOTION_JOINTS,
  MOTION_PARENT,
  MOTION_PARENT_INDEX,
  type MotionJoint,
  type MotionRig,
  type MotionSource,
  RIGS,
  type RigJointSource,
  type VirtualPoint,
} from './rigs.js';
