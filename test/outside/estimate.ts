import { createEstimator, loadImage } from '@metrabs/node';

const estimator = await createEstimator(); // default model + YOLOX-Nano person detector
const image = await loadImage('samples/synthetic-street.jpg');
const result = await estimator.detectPoses(image, { skeleton: 'smpl_24' });
for (const [i, pose] of (result.poses3d as number[][][]).entries()) {
  const pelvis = pose[0]!.map((v) => v.toFixed(0)).join(', '); // mm, camera frame
  console.log(`person ${i}: pelvis at ${pelvis} mm`);
}
