/**
 * `@metrabs/synth` — synthetic training data: MakeHuman bodies posed with motion capture,
 * rendered headless by three.js over real photos, with exact labels in the dataset format.
 * See docs/synth.md.
 */
export { ASSET_FOLDERS, DEFAULT_ASSET_ROOT, resolveAssetRoot } from './assets.js';
export { SynthError, type SynthErrorCode } from './errors.js';
export {
  DEFAULT_GENERATOR_OPTIONS,
  ExampleGenerator,
  type GeneratedExample,
  type GeneratorOptions,
} from './generate-node.js';
export { assetInventory, splitAssignment, splitPlan } from './inventory-node.js';
export { CANONICAL_JOINT_NAMES, JOINT_SOURCES } from './joints.js';
export { contactSheet, labelsSvg } from './preview-node.js';
export { runSynth, type SynthRunOptions, type SynthRunResult } from './run-node.js';
export { DEFAULT_SCENE_OPTIONS, type SceneOptions } from './scene.js';
