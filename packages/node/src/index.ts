/**
 * `@metrabs/node` — MeTRAbs in Node, one install and one call:
 *
 *     const estimator = await createEstimator();
 *     const result = await estimator.detectPoses(await loadImage('photo.jpg'));
 *
 * `createEstimator()` loads the default model (`@metrabs/model-default`, checksum-verified) and
 * the YOLOX-Nano person detector (installed once with `npx metrabs fetch-detector`). Everything
 * else is `@metrabs/runtime/node` (images, model packages, detector installation, the result
 * document, camera files, the tracker); the `metrabs` command comes with this package.
 */
export * from '@metrabs/runtime/node';
