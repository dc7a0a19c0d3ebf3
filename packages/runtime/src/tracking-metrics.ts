/**
 * Tracking quality against known identities, in the terms of the MOT benchmarks: ID switches,
 * fragmentation, MOTA and IDF1. The caller says which true person each output belongs to (a
 * synthetic sequence knows; for real footage a person's output is matched to the truth by
 * distance first), so no distance threshold enters here.
 */
import { optimalAssignment } from './assignment.js';

export interface TrackingFrameTruth {
  /** Every true person in the frame, seen by the detector or not. */
  truthIds: number[];
  /** The tracker's outputs: a track id and the true person it is (undefined: nobody, a false positive). */
  outputs: { trackId: number; truthId?: number }[];
}

export interface TrackingScores {
  frames: number;
  /** True person-frames. */
  truth: number;
  /** Output person-frames. */
  outputs: number;
  /** True person-frames without an output. */
  misses: number;
  /** Outputs that are nobody, or a second output for the same person. */
  falsePositives: number;
  /** A person's output changes to another track id than the last one they had. */
  idSwitches: number;
  /** A person's coverage resumes after a gap (MOT's "FM", occlusions included). */
  fragmentations: number;
  /** Distinct track ids per person, averaged (1 is ideal). */
  tracksPerPerson: number;
  /** 1 − (misses + false positives + id switches) / truth. */
  mota: number;
  /** 2·IDTP / (truth + outputs), with the one-to-one person↔track mapping that maximises IDTP. */
  idf1: number;
}

export function trackingScores(frames: readonly TrackingFrameTruth[]): TrackingScores {
  let truth = 0;
  let outputs = 0;
  let misses = 0;
  let falsePositives = 0;
  let idSwitches = 0;
  let fragmentations = 0;
  const lastTrack = new Map<number, number>();
  const wasCovered = new Map<number, boolean>();
  const tracksOf = new Map<number, Set<number>>();
  /** co-occurrence counts: truth id → track id → frames */
  const together = new Map<number, Map<number, number>>();
  const trackIds = new Set<number>();

  for (const frame of frames) {
    truth += frame.truthIds.length;
    outputs += frame.outputs.length;
    const covered = new Map<number, number>();
    for (const { trackId, truthId } of frame.outputs) {
      trackIds.add(trackId);
      if (truthId === undefined || covered.has(truthId) || !frame.truthIds.includes(truthId)) {
        falsePositives++;
        continue;
      }
      covered.set(truthId, trackId);
    }
    for (const id of frame.truthIds) {
      const trackId = covered.get(id);
      if (trackId === undefined) {
        misses++;
        if (wasCovered.has(id)) wasCovered.set(id, false);
        continue;
      }
      const last = lastTrack.get(id);
      if (last !== undefined && last !== trackId) idSwitches++;
      if (wasCovered.get(id) === false) fragmentations++;
      wasCovered.set(id, true);
      lastTrack.set(id, trackId);
      if (!tracksOf.has(id)) tracksOf.set(id, new Set());
      tracksOf.get(id)!.add(trackId);
      if (!together.has(id)) together.set(id, new Map());
      const row = together.get(id)!;
      row.set(trackId, (row.get(trackId) ?? 0) + 1);
    }
  }

  const people = [...together.keys()];
  const tracks = [...trackIds];
  let idtp = 0;
  if (people.length > 0 && tracks.length > 0) {
    const counts = people.map((id) => tracks.map((t) => together.get(id)!.get(t) ?? 0));
    const most = Math.max(...counts.flat());
    const assignment = optimalAssignment(
      counts.map((row) => row.map((c) => most - c)),
      Number.MAX_VALUE,
    );
    for (const [r, c] of assignment) idtp += counts[r]![c]!;
  }
  const sizes = [...tracksOf.values()].map((s) => s.size);
  return {
    frames: frames.length,
    truth,
    outputs,
    misses,
    falsePositives,
    idSwitches,
    fragmentations,
    tracksPerPerson: sizes.length > 0 ? sizes.reduce((a, b) => a + b, 0) / sizes.length : 0,
    mota: truth > 0 ? 1 - (misses + falsePositives + idSwitches) / truth : 0,
    idf1: truth + outputs > 0 ? (2 * idtp) / (truth + outputs) : 0,
  };
}
