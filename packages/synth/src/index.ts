/**
 * `@metrabs/synth` — synthetic training data: MakeHuman bodies posed with motion capture,
 * rendered headless by three.js over real photos, with exact labels in the dataset format.
 * See docs/synth.md.
 */
export { ASSET_FOLDERS, DEFAULT_ASSET_ROOT, resolveAssetRoot } from './assets.js';
// Building blocks, for measuring them (bench/) and for other pipelines.
export { buildPerson, catalogFor, randomPersonParams } from './body/index.js';
export {
  type Flag,
  type ImageHeader,
  imageHeader,
  type SkeletonInfo,
  skeletonInfo,
  upInCamera,
  type Vec2,
} from './dataset/labels.js';
export {
  DatasetError,
  DatasetReader,
  openDataset,
  type ReadLabels,
  SkipLog,
} from './dataset/reader-node.js';
export { tarArchive } from './dataset/tar.js';
export {
  DatasetWriter,
  type ExampleLabels,
  type ShardExample,
} from './dataset/writer-node.js';
export { SynthError, type SynthErrorCode } from './errors.js';
export {
  DEFAULT_GENERATOR_OPTIONS,
  ExampleGenerator,
  type GeneratedExample,
  type GeneratorOptions,
} from './generate-node.js';
export { assetInventory, splitAssignment, splitPlan } from './inventory-node.js';
export { CANONICAL_JOINT_NAMES, JOINT_SOURCES } from './joints.js';
export { type Bvh, parseBvh } from './motion/bvh.js';
export { listMotionClips, loadClip } from './motion/catalog-node.js';
export { forwardKinematics } from './motion/fk.js';
export { MOTION_JOINTS, MOTION_PARENT_INDEX } from './motion/rigs.js';
export { contactSheet, labelsSvg } from './preview-node.js';
export { createRng, type Rng } from './random.js';
export { prepareRetargeting, segmentDirectionErrors } from './retarget.js';
export { runSynth, type SynthRunOptions, type SynthRunResult } from './run-node.js';
export { DEFAULT_SCENE_OPTIONS, type SceneOptions } from './scene.js';
