/**
 * The canonical `smpl+head_30` joints of a posed MakeHuman person.
 *
 * Body joints are rig points (bone heads, or blends of two) chosen to sit where SMPL puts its
 * joints: SMPL's pelvis is above the hip line, its collar joints half-way along the clavicles,
 * its hand joints at the knuckles. Head landmarks are mesh vertices of the MakeHuman base mesh
 * (head top, nose tip, the outer ear rim), and the eyes are the eyeball centres of the rig.
 * docs/synth.md lists the table; `CANONICAL_JOINT_NAMES` order is core's skeleton order.
 */
import { getSkeleton } from '@metrabs/core';
import { SynthError } from './errors.js';

/** A joint as a convex combination of rig bone heads. */
interface RigPoint {
  readonly kind: 'rig';
  readonly parts: readonly (readonly [bone: string, weight: number])[];
}
/** A joint at a vertex of the MakeHuman base mesh (hm08 vertex index). */
interface VertexPoint {
  readonly kind: 'vertex';
  readonly vertex: number;
}
export type JointSource = RigPoint | VertexPoint;

const rig = (...parts: (readonly [string, number])[]): RigPoint => ({ kind: 'rig', parts });
const head = (bone: string): RigPoint => rig([bone, 1]);

/** hm08 vertices used as landmarks (found on the base mesh: highest midline vertex, most
 *  forward midline vertex at nose height, most lateral vertex of each ear). */
export const LANDMARK_VERTICES = { htop: 881, nose: 297, lear: 12038, rear: 5439 } as const;

function sided(s: 'L' | 'R'): Record<string, JointSource> {
  const x = s === 'L' ? 'l' : 'r';
  return {
    [`${x}hip`]: head(`upperleg01.${s}`),
    [`${x}kne`]: head(`lowerleg01.${s}`),
    [`${x}ank`]: head(`foot.${s}`),
    [`${x}toe`]: head(`toe3-1.${s}`),
    [`${x}cla`]: rig([`clavicle.${s}`, 0.5], [`shoulder01.${s}`, 0.5]),
    [`${x}sho`]: head(`upperarm01.${s}`),
    [`${x}elb`]: head(`lowerarm01.${s}`),
    [`${x}wri`]: head(`wrist.${s}`),
    [`${x}han`]: head(`finger3-1.${s}`),
    [`${x}eye`]: head(`eye.${s}`),
    [`${x}ear`]: {
      kind: 'vertex',
      vertex: s === 'L' ? LANDMARK_VERTICES.lear : LANDMARK_VERTICES.rear,
    },
  };
}

/** How each canonical joint is read off the posed person. */
export const JOINT_SOURCES: Readonly<Record<string, JointSource>> = {
  // Half-way between the hip line and spine04: SMPL's pelvis sits a few cm above the hips.
  pelv: rig(['upperleg01.L', 0.25], ['upperleg01.R', 0.25], ['spine04', 0.5]),
  spi1: head('spine03'),
  spi2: head('spine02'),
  spi3: rig(['spine02', 0.6], ['spine01', 0.4]),
  neck: head('neck01'),
  head: head('head'),
  htop: { kind: 'vertex', vertex: LANDMARK_VERTICES.htop },
  nose: { kind: 'vertex', vertex: LANDMARK_VERTICES.nose },
  ...sided('L'),
  ...sided('R'),
};

export const CANONICAL = getSkeleton('smpl+head_30');
export const CANONICAL_JOINT_NAMES: readonly string[] = CANONICAL.jointNames;

/** Compiled lookups for one rig: bone indices and weights per joint. */
export interface JointMap {
  readonly names: readonly string[];
  readonly sources: readonly JointSource[];
  readonly boneParts: readonly (readonly [number, number])[][];
}

export function compileJointMap(boneNames: readonly string[]): JointMap {
  const index = new Map(boneNames.map((n, i) => [n, i]));
  const sources: JointSource[] = [];
  const boneParts: (readonly [number, number])[][] = [];
  for (const name of CANONICAL_JOINT_NAMES) {
    const src = JOINT_SOURCES[name];
    if (!src) throw new SynthError('bad-asset', `no synthetic definition for joint '${name}'`);
    sources.push(src);
    if (src.kind === 'rig') {
      boneParts.push(
        src.parts.map(([bone, w]) => {
          const b = index.get(bone);
          if (b === undefined)
            throw new SynthError('bad-asset', `rig has no bone '${bone}' (joint ${name})`);
          return [b, w] as const;
        }),
      );
    } else {
      boneParts.push([]);
    }
  }
  return { names: CANONICAL_JOINT_NAMES, sources, boneParts };
}

/**
 * Canonical joints (J×3) from posed bone heads (B×3) and the posed landmark vertices
 * (`vertexPosition(v)` returns the posed position of base-mesh vertex v).
 */
export function canonicalJoints(
  map: JointMap,
  heads: ArrayLike<number>,
  vertexPosition: (vertex: number) => ArrayLike<number>,
  out = new Float64Array(map.names.length * 3),
): Float64Array {
  map.sources.forEach((src, j) => {
    if (src.kind === 'vertex') {
      const p = vertexPosition(src.vertex);
      out[j * 3] = p[0]!;
      out[j * 3 + 1] = p[1]!;
      out[j * 3 + 2] = p[2]!;
      return;
    }
    let x = 0;
    let y = 0;
    let z = 0;
    for (const [b, w] of map.boneParts[j]!) {
      x += w * heads[b * 3]!;
      y += w * heads[b * 3 + 1]!;
      z += w * heads[b * 3 + 2]!;
    }
    out[j * 3] = x;
    out[j * 3 + 1] = y;
    out[j * 3 + 2] = z;
  });
  return out;
}

/**
 * How far inside the body each joint lies (metres): the visible surface in front of a joint may
 * be this much closer to the camera before the joint counts as hidden by its own body.
 */
export function jointDepthTolerance(name: string): number {
  if (['pelv', 'spi1', 'spi2', 'spi3'].includes(name)) return 0.17;
  if (['neck', 'head'].includes(name)) return 0.12;
  if (/^[lr](hip|sho|cla)$/.test(name)) return 0.11;
  if (/^[lr](kne|elb)$/.test(name)) return 0.08;
  if (/^[lr](ank|wri)$/.test(name)) return 0.07;
  if (/^[lr](toe|han)$/.test(name)) return 0.06;
  if (/^[lr]eye$/.test(name)) return 0.04;
  return 0.03; // surface landmarks: head top, nose, ears
}
