/** Batch jobs on a Redis queue (BullMQ): submit, work, watch. */
export {
  type BatchInput,
  BatchInputError,
  collectInputs,
  IMAGE_EXTENSIONS,
  VIDEO_EXTENSIONS,
} from './inputs.js';
export { isFinished, resultPath, writeAtomic } from './output.js';
export {
  type BatchJobData,
  type BatchJobResult,
  canonicalJson,
  checkRedisUrl,
  connectRedis,
  DEFAULT_QUEUE,
  type ImageJobData,
  jobId,
  openQueue,
  RedisUnavailableError,
  type VideoChunkJobData,
} from './queue.js';
export { type BatchStatus, batchStatus, type FailedJob, type StatusOptions } from './status.js';
export {
  BatchOptionsError,
  DEFAULT_CHUNK_FRAMES,
  type SubmitOptions,
  type SubmitReport,
  submitBatch,
} from './submit.js';
export { VideoInputError } from './video.js';
export {
  type BatchWorker,
  type BatchWorkerOptions,
  type BatchWorkerStats,
  runWorker,
  WORKER_DEFAULTS,
  withoutLabel,
} from './worker.js';
