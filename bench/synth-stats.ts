/**
 * Label statistics of a rendered dataset (the numbers quoted in docs/synth.md): people per image,
 * images without a labelled person, truncated people, occluded joints, and pose categories
 * (`poseCategory` of @metrabs/core: upright, bent, sitting, crouching, lying, inverted).
 *
 *   npx tsx bench/synth-stats.ts DATASET_DIR [split …]      (default: validation test)
 */
import { categoryJoints, POSE_CATEGORIES, type PoseCategory, poseCategory } from '@metrabs/core';
import { DatasetReader, upInCamera } from '@metrabs/synth';

const [dir, ...requested] = process.argv.slice(2);
if (!dir) {
  console.error('usage: npx tsx bench/synth-stats.ts DATASET_DIR [split …]');
  process.exit(2);
}
const reader = await DatasetReader.open(dir);
const splits = requested.length > 0 ? requested : ['validation', 'test'];
const perImage = new Map<number, number>();
let images = 0;
let people = 0;
let truncated = 0;
let joints = 0;
let occluded = 0;
const idx = categoryJoints(reader.jointNames);
const categories = new Map<PoseCategory, number>(POSE_CATEGORIES.map((c) => [c, 0]));
let categorised = 0;
for (const split of splits) {
  for await (const { labels } of reader.examples(split)) {
    images++;
    perImage.set(labels.people.length, (perImage.get(labels.people.length) ?? 0) + 1);
    for (const p of labels.people) {
      people++;
      if (p.truncated) truncated++;
      joints += p.joint_valid.length;
      occluded += (p.occluded ?? []).filter((f) => f === 1).length;
      if (p.joints3d) {
        const up = upInCamera(labels.camera.world_up, labels.camera.extrinsic_matrix);
        const c = poseCategory(p.joints3d.flat(), idx, up);
        categories.set(c, categories.get(c)! + 1);
        categorised++;
      }
    }
  }
}
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;
console.log(`${dir} (${splits.join(' + ')}): ${images} images, ${people} labelled people`);
for (const [n, count] of [...perImage].sort((a, b) => a[0] - b[0])) {
  console.log(`  ${n} people: ${count} images (${pct(count, images)})`);
}
console.log(
  `  truncated people: ${pct(truncated, people)}; occluded joints: ${pct(occluded, joints)}`,
);
if (categorised > 0) {
  const shares = POSE_CATEGORIES.map((c) => `${c} ${pct(categories.get(c)!, categorised)}`);
  const nonUpright = categorised - categories.get('upright')!;
  console.log(`  poses: ${shares.join(', ')}; non-upright ${pct(nonUpright, categorised)}`);
}
