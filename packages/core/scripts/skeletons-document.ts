/** The JSON document behind fixtures/skeletons.json (shared by the writer and its test). */
import {
  CANONICAL_SKELETON,
  canonicalReferencePoseMm,
  getSkeleton,
  listSkeletons,
  typicalBoneLengthsMm,
} from '../src/index.js';

export function skeletonsDocument() {
  const canonical = getSkeleton(CANONICAL_SKELETON);
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  return {
    format: 'metrabs-skeletons',
    version: 1,
    generator: 'packages/core/scripts/export-skeletons.ts',
    canonical: CANONICAL_SKELETON,
    reference_pose_mm: canonicalReferencePoseMm().map((p) => p.map(round)),
    skeletons: Object.fromEntries(
      listSkeletons().map((name) => {
        const s = getSkeleton(name);
        const j = s.jointNames.length;
        const weights = Array.from({ length: canonical.jointNames.length }, (_, i) =>
          Array.from(s.fromCanonical.subarray(i * j, (i + 1) * j), round),
        );
        return [
          name,
          {
            joint_names: s.jointNames,
            edges: s.edges,
            mirror: s.mirror,
            definition: s.definition,
            selection: s.selection,
            from_canonical: weights,
            typical_bone_lengths_mm: Array.from(typicalBoneLengthsMm(name), round),
          },
        ];
      }),
    ),
  };
}
