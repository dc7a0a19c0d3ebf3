/** The motion capture clips of bench/motion.ts and of the motion tests (walk, jog, jump, punch, walk back, run, kick, dance). */
export const BENCH_CLIPS = [
  'cmu/02_01',
  'cmu/02_03',
  'cmu/02_04',
  'cmu/02_05',
  'bandai/dataset-1_walk-back_normal_001',
  'bandai/dataset-1_run_normal_001',
  'bandai/dataset-1_kick_normal_001',
  'bandai/dataset-1_dance-short_normal_001',
];
