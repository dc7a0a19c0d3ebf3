/** What the routes share: the estimator pool and the model, both absent while the model loads. */
import type { Pose3DEstimator, ResultModelInfo } from '@metrabs/runtime';
import type { EstimatorPool } from './pool.js';

export interface ServiceState {
  pool?: EstimatorPool<Pose3DEstimator>;
  /** The model as result documents record it. */
  model?: ResultModelInfo;
}
