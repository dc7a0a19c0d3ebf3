/**
 * Retargeting fidelity over every motion clip (the number quoted in docs/synth.md): angle
 * between the posed MakeHuman rig's trunk, thigh, upper arm and shin and the source's, every
 * 10th frame, one default-shaped body.
 *
 *   npx tsx bench/retarget-fidelity.ts
 */
import {
  buildPerson,
  catalogFor,
  createRng,
  listMotionClips,
  loadClip,
  prepareRetargeting,
  randomPersonParams,
  resolveAssetRoot,
  segmentDirectionErrors,
} from '@metrabs/synth';

const root = resolveAssetRoot();
const person = buildPerson(root, randomPersonParams(createRng('c'), catalogFor(root)));
const perClip: { id: string; mean: number; worst: number }[] = [];
for (const entry of listMotionClips(root)) {
  const clip = loadClip(entry);
  const ret = prepareRetargeting(person.bones, clip);
  let sum = 0;
  let n = 0;
  let worst = 0;
  for (let f = 0; f < clip.numFrames; f += 10) {
    for (const deg of segmentDirectionErrors(person.bones, ret, clip, f)) {
      sum += deg;
      n++;
      worst = Math.max(worst, deg);
    }
  }
  perClip.push({ id: entry.id, mean: sum / n, worst });
}
const mean = perClip.reduce((a, c) => a + c.mean, 0) / perClip.length;
const worst = perClip.reduce((a, c) => (c.worst > a.worst ? c : a));
console.log(
  `${perClip.length} clips: mean angle ${mean.toFixed(2)}°, worst ${worst.worst.toFixed(1)}° (${worst.id})`,
);
