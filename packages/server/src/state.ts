/** What the routes share: the estimator pool and the model, both absent while the model loads. */
import type { ResultModelInfo } from '@metrabs/runtime';
import type { PoseEstimatorLike } from './estimate.js';
import type { EstimatorPool } from './pool.js';

export interface ServiceState {
  pool?: EstimatorPool<PoseEstimatorLike>;
  /** The model as result documents record it. */
  model?: ResultModelInfo;
  /** Why the model could not be loaded. */
  loadError?: string;
  /** Set when shutdown begins: no new work is accepted. */
  closing?: boolean;
}
