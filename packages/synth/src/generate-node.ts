/**
 * Composes and renders one synthetic example: 1–4 people (shaped, dressed, posed with motion
 * capture) standing on a common ground plane, a random camera, lights, occluders and a background
 * photo; returns the JPEG and its labels in the dataset format (docs/dataset-format.md).
 *
 * Everything random comes from `createRng(seed/split/index)` (and, for the per-shard pool of body
 * identities, `seed/split/shard`), so an example is the same whichever worker renders it.
 */

import { Camera } from '@metrabs/core';
import sharp from 'sharp';
import * as THREE from 'three';
import { annotatePerson, round } from './annotate.js';
import { type BackgroundEntry, Backgrounds, listBackgrounds } from './background-node.js';
import {
  type BodyCatalog,
  buildPerson,
  catalogFor,
  type PersonModel,
  randomPersonParams,
  seamlessNormals,
} from './body/index.js';
import { bodySkinWeights } from './body/person.js';
import type { ExampleLabels, PersonLabels, SplitName, Vec3 } from './dataset/labels.js';
import { coveringIntrinsics, distortImage } from './distort.js';
import { SynthError } from './errors.js';
import { canonicalJoints, compileJointMap, type JointMap } from './joints.js';
import {
  listMotionClips,
  listPoseGalleries,
  loadClip,
  type MotionCatalogEntry,
} from './motion/catalog-node.js';
import {
  isPoseGallery,
  MOTION_JOINT_INDEX,
  type MotionClip,
  mirrorClip,
  sampleFrames,
} from './motion/index.js';
import { createRng, type Rng } from './random.js';
import { HeadlessRenderer, pinholeCamera } from './render/renderer-node.js';
import { poseRig, prepareRetargeting, type Retargeting } from './retarget.js';
import {
  DEFAULT_SCENE_OPTIONS,
  limitDistortion,
  placePeople,
  type SceneOptions,
  sampleCamera,
  truncateOne,
} from './scene.js';
import { addLights, addOccluders, hairTone } from './scene-objects.js';
import { skinVertices } from './skinning.js';
import type { SplitAssignment } from './splits.js';

export interface GeneratorOptions {
  assetRoot: string;
  width: number;
  height: number;
  /** Colour pass supersampling factor per axis (2 = 4 samples per pixel). */
  supersample: number;
  split: SplitName;
  /** Which assets each split may use (from `assignSplits`). */
  assignment: SplitAssignment;
  scene: SceneOptions;
  /** Distinct bodies per shard (each built once, reused across the shard's images). */
  identitiesPerShard: number;
  /** Motion clips per shard (loaded once per shard; all clips are used across shards). */
  clipsPerShard: number;
  /** Background photos per shard (decoded once per shard). */
  backgroundsPerShard: number;
  jpegQuality: number;
  /** People whose visible mask is smaller than this many pixels are not labelled. */
  minVisiblePixels: number;
  /**
   * Motion capture sources to use (default: all). `['cmu']` leaves out the Bandai Namco clips,
   * whose CC BY-NC licence makes the data non-commercial.
   */
  motionSources?: readonly ('cmu' | 'bandai')[];
  /**
   * A folder of pose galleries lifted from real photos (`listPoseGalleries`); each person is
   * posed from one with probability `galleryShare`, else from motion capture.
   */
  poseGalleries?: string;
  /** Fraction of people posed from the galleries (default 0.5 when galleries are given). */
  galleryShare?: number;
  /**
   * `'all'`: the train split dresses people with every skin, garment and hair style, also those
   * of validation and test (which stay disjoint from train in motion, poses and photos). Default
   * `'split'`: train has its own appearance assets too.
   */
  trainAppearance?: 'split' | 'all';
}

/** The asset kinds that `trainAppearance: 'all'` opens to the train split. */
const APPEARANCE_KINDS: readonly string[] = ['skin', 'garment', 'hair'];

/** Share of people posed from lifted galleries when `poseGalleries` is set. */
export const DEFAULT_GALLERY_SHARE = 0.5;

export const DEFAULT_GENERATOR_OPTIONS: Omit<
  GeneratorOptions,
  'assetRoot' | 'split' | 'assignment'
> = {
  width: 512,
  height: 512,
  supersample: 2,
  scene: DEFAULT_SCENE_OPTIONS,
  identitiesPerShard: 12,
  clipsPerShard: 24,
  backgroundsPerShard: 8,
  jpegQuality: 90,
  minVisiblePixels: 150,
};

/** A body built once per shard, with its three.js meshes. */
interface Identity {
  model: PersonModel;
  joints: JointMap;
  meshes: THREE.Mesh[];
  materials: THREE.Material[];
  restNormals: Float32Array[];
  /** Landmark base-mesh vertices: rest position and 4 skin influences each. */
  landmarks: Map<number, { rest: Float32Array; index: Uint16Array; weight: Float32Array }>;
  retargetings: Map<string, Retargeting>;
}

/** Per-person outcome used for the labels and the statistics. */
export interface RenderedPerson {
  labels: PersonLabels;
  clip: string;
  frame: number;
}

export interface GeneratedExample {
  key: string;
  jpeg: Buffer;
  labels: ExampleLabels;
}

const LABEL_OCCLUDER = 250;

export class ExampleGenerator {
  readonly options: GeneratorOptions;
  private readonly renderer: HeadlessRenderer;
  private readonly catalog: BodyCatalog;
  private readonly clips: MotionCatalogEntry[];
  private readonly galleries: MotionCatalogEntry[];
  private readonly backgrounds: BackgroundEntry[];
  private readonly backgroundCache: Backgrounds;
  private readonly textureCache = new Map<string, Promise<THREE.DataTexture>>();
  private clipCacheShard = '';
  private readonly clipCache = new Map<string, { clip: MotionClip; frames: number[] }>();
  private pool: (Identity | null)[] = [];
  private readonly pools = {
    clips: { key: '', items: [] as (MotionCatalogEntry | BackgroundEntry)[] },
    galleries: { key: '', items: [] as (MotionCatalogEntry | BackgroundEntry)[] },
    backgrounds: { key: '', items: [] as (MotionCatalogEntry | BackgroundEntry)[] },
  };
  private poolKey = '';
  private readonly scene = new THREE.Scene();

  private constructor(options: GeneratorOptions, renderer: HeadlessRenderer) {
    this.options = options;
    this.renderer = renderer;
    this.backgroundCache = new Backgrounds(options.backgroundsPerShard);
    const allowed = (kind: string) => new Set(options.assignment[kind]?.[options.split] ?? []);
    this.catalog = catalogFor(options.assetRoot);
    const motions = allowed('motion');
    const sources = new Set(options.motionSources ?? ['cmu', 'bandai']);
    this.clips = listMotionClips(options.assetRoot).filter(
      (c) => motions.has(c.id) && sources.has(c.source),
    );
    this.galleries = options.poseGalleries
      ? listPoseGalleries(options.poseGalleries).filter((c) => motions.has(c.id))
      : [];
    if (options.poseGalleries && this.galleries.length === 0) {
      throw new SynthError(
        'missing-assets',
        `split '${options.split}' has no pose galleries assigned`,
      );
    }
    const bgs = allowed('background');
    this.backgrounds = listBackgrounds(options.assetRoot).filter((b) => bgs.has(b.id));
    for (const [what, list] of [
      ['motion clips', this.clips],
      ['backgrounds', this.backgrounds],
    ] as const) {
      if (list.length === 0) {
        throw new SynthError('missing-assets', `split '${options.split}' has no ${what} assigned`);
      }
    }
  }

  static async create(options: GeneratorOptions): Promise<ExampleGenerator> {
    const renderer = await HeadlessRenderer.create(
      options.width,
      options.height,
      options.supersample,
    );
    return new ExampleGenerator(options, renderer);
  }

  dispose(): void {
    // Destroying the context frees every GPU object at once.
    this.pool = [];
    this.textureCache.clear();
    this.renderer.dispose();
  }

  private allowedIds(kind: string): string[] | undefined {
    const everyAppearance =
      this.options.split === 'train' && this.options.trainAppearance === 'all';
    if (everyAppearance && APPEARANCE_KINDS.includes(kind)) return undefined; // undefined = all
    return this.options.assignment[kind]?.[this.options.split];
  }

  private releasePool(): void {
    for (const id of this.pool) {
      if (!id) continue;
      for (const m of id.meshes) m.geometry.dispose();
      for (const m of id.materials) m.dispose();
    }
    this.pool = [];
  }

  /** The body identities of a shard (built lazily, deterministic per seed/split/shard). */
  private async identity(seed: number, shard: number, k: number): Promise<Identity> {
    const key = `${seed}/${this.options.split}/${shard}`;
    if (key !== this.poolKey) {
      this.releasePool();
      this.pool = new Array(this.options.identitiesPerShard).fill(null);
      this.poolKey = key;
    }
    const existing = this.pool[k];
    if (existing) return existing;
    const rng = createRng(`${key}/identity/${k}`);
    const params = randomPersonParams(rng, this.catalog, {
      skins: this.allowedIds('skin'),
      clothes: this.allowedIds('garment'),
      hair: this.allowedIds('hair'),
    });
    const model = buildPerson(this.options.assetRoot, params);
    const meshes: THREE.Mesh[] = [];
    const materials: THREE.Material[] = [];
    const restNormals: Float32Array[] = [];
    for (const part of model.meshes) {
      const geometry = new THREE.BufferGeometry();
      geometry.setAttribute('position', new THREE.BufferAttribute(part.positions.slice(), 3));
      geometry.setAttribute('uv', new THREE.BufferAttribute(part.uvs, 2));
      geometry.setIndex(new THREE.BufferAttribute(part.indices, 1));
      // Normals averaged over UV seams (render vertices split from one mesh vertex).
      const normals = seamlessNormals(part.positions, part.indices, part.vertexOf);
      restNormals.push(normals);
      geometry.setAttribute('normal', new THREE.BufferAttribute(normals.slice(), 3));
      const material = new THREE.MeshStandardMaterial({
        color: new THREE.Color(...part.diffuseColor),
        roughness: part.kind === 'eyes' ? 0.2 : rng.uniform(0.55, 0.9),
        metalness: 0,
        side: part.doubleSided ? THREE.DoubleSide : THREE.FrontSide,
        alphaTest: part.transparent ? 0.5 : 0,
        transparent: false,
      });
      if (part.diffuseTexture) {
        material.map = await this.texture(part.diffuseTexture);
        material.color.setRGB(1, 1, 1);
      }
      // Few hair styles exist, so vary their colour: the texture is multiplied by a hair tone.
      if (part.kind === 'hair') material.color.copy(hairTone(rng));
      // Few garments exist too: most of the time tint them (the texture keeps its pattern).
      if (part.kind === 'clothes' && rng.chance(0.7)) {
        material.color.setHSL(rng(), rng.uniform(0.1, 0.6), rng.uniform(0.6, 0.95));
      }
      const mesh = new THREE.Mesh(geometry, material);
      mesh.renderOrder = part.renderOrder;
      mesh.frustumCulled = false;
      mesh.matrixAutoUpdate = false;
      meshes.push(mesh);
      materials.push(material);
    }
    const landmarks = new Map<
      number,
      { rest: Float32Array; index: Uint16Array; weight: Float32Array }
    >();
    const skin = bodySkinWeights(this.options.assetRoot);
    const joints = compileJointMap(model.bones.map((b) => b.name));
    for (const src of joints.sources) {
      if (src.kind !== 'vertex') continue;
      const v = src.vertex;
      landmarks.set(v, {
        rest: model.basePositions.slice(v * 3, v * 3 + 3),
        index: skin.skinIndex.slice(v * 4, v * 4 + 4),
        weight: skin.skinWeight.slice(v * 4, v * 4 + 4),
      });
    }
    const id: Identity = {
      model,
      joints,
      meshes,
      materials,
      restNormals,
      landmarks,
      retargetings: new Map(),
    };
    this.pool[k] = id;
    return id;
  }

  private texture(path: string): Promise<THREE.DataTexture> {
    let t = this.textureCache.get(path);
    if (!t) {
      t = sharp(path)
        .ensureAlpha()
        .flip() // GL textures start at the bottom row
        .raw()
        .toBuffer({ resolveWithObject: true })
        .then(({ data, info }) => {
          const tex = new THREE.DataTexture(
            new Uint8Array(data.buffer, data.byteOffset, data.length),
            info.width,
            info.height,
            THREE.RGBAFormat,
          );
          tex.colorSpace = THREE.SRGBColorSpace;
          const pot = (n: number) => (n & (n - 1)) === 0;
          if (pot(info.width) && pot(info.height)) {
            tex.generateMipmaps = true;
            tex.minFilter = THREE.LinearMipmapLinearFilter;
          } else {
            tex.generateMipmaps = false;
            tex.minFilter = THREE.LinearFilter;
          }
          tex.magFilter = THREE.LinearFilter;
          tex.wrapS = THREE.RepeatWrapping;
          tex.wrapT = THREE.RepeatWrapping;
          tex.needsUpdate = true;
          return tex;
        })
        .catch((e: Error) => {
          throw new SynthError('bad-asset', `cannot read texture ${path}: ${e.message}`);
        });
      this.textureCache.set(path, t);
    }
    return t;
  }

  /**
   * A shard's deterministic subset of clips or photos: everything a shard uses is loaded or
   * decoded once, and across shards every asset of the split gets used.
   */
  private shardPool<K extends 'clips' | 'galleries' | 'backgrounds'>(
    kind: K,
    seed: number,
    shard: number,
  ) {
    const shardKey = `${seed}/${this.options.split}/${shard}`;
    const key = `${shardKey}/${kind}`;
    // Loaded clips live for one shard; mocap and galleries share the cache.
    if (kind !== 'backgrounds' && this.clipCacheShard !== shardKey) {
      this.clipCache.clear();
      this.clipCacheShard = shardKey;
    }
    const pool = this.pools[kind];
    if (pool.key !== key) {
      const all: readonly (MotionCatalogEntry | BackgroundEntry)[] =
        kind === 'backgrounds'
          ? this.backgrounds
          : kind === 'galleries'
            ? this.galleries
            : this.clips;
      const n =
        kind === 'backgrounds' ? this.options.backgroundsPerShard : this.options.clipsPerShard;
      pool.items = distinctIndices(createRng(key), all.length, n).map((i) => all[i]!);
      pool.key = key;
    }
    return pool.items as K extends 'backgrounds' ? BackgroundEntry[] : MotionCatalogEntry[];
  }

  private motion(
    entry: MotionCatalogEntry,
    mirror: boolean,
  ): { clip: MotionClip; frames: number[] } {
    const key = mirror ? `${entry.id}#mirror` : entry.id;
    let c = this.clipCache.get(key);
    if (!c) {
      let clip = loadClip(entry);
      if (mirror) clip = mirrorClip(clip);
      // Mocap takes often open with a calibration T-pose: skip the first second when possible
      // (galleries are independent poses: keep all).
      const all = sampleFrames(clip);
      const late = isPoseGallery(clip) ? all : all.filter((f) => f >= clip.fps);
      c = { clip, frames: late.length > 0 ? late : all };
      this.clipCache.set(key, c);
    }
    return c;
  }

  /**
   * Poses an identity at a clip frame: skins its meshes in place (rig space, feet on the floor)
   * and returns its canonical joints (J×3, metres) and footprint.
   */
  private pose(id: Identity, clipId: string, clip: MotionClip, frame: number) {
    let ret = id.retargetings.get(clipId);
    if (!ret) {
      ret = prepareRetargeting(id.model.bones, clip);
      id.retargetings.set(clipId, ret);
    }
    const posed = poseRig(id.model.bones, ret, clip, frame);
    let minY = Number.POSITIVE_INFINITY;
    id.model.meshes.forEach((part, i) => {
      const geometry = id.meshes[i]!.geometry;
      const pos = geometry.getAttribute('position') as THREE.BufferAttribute;
      const nor = geometry.getAttribute('normal') as THREE.BufferAttribute;
      skinVertices(
        part.positions,
        part.skinIndex,
        part.skinWeight,
        posed.transforms,
        pos.array as Float32Array,
        id.restNormals[i],
        nor.array as Float32Array,
      );
      pos.needsUpdate = true;
      nor.needsUpdate = true;
      if (part.kind === 'body' || part.kind === 'clothes') {
        const a = pos.array as Float32Array;
        for (let v = 1; v < a.length; v += 3) if (a[v]! < minY) minY = a[v]!;
      }
    });
    const landmark = (v: number) => {
      const l = id.landmarks.get(v)!;
      const out = new Float32Array(3);
      skinVertices(l.rest, l.index, l.weight, posed.transforms, out);
      return out;
    };
    const joints = canonicalJoints(id.joints, posed.heads, landmark);
    // Feet on the floor, except while the source is airborne (jumps keep their height).
    const air = airborneHeight(clip, frame) * ret.scale;
    const lift = -minY + air;
    let radius = 0;
    const px = joints[0]!;
    const pz = joints[2]!;
    const body = id.meshes[0]!.geometry.getAttribute('position').array as Float32Array;
    for (let v = 0; v < body.length; v += 3) {
      radius = Math.max(radius, Math.hypot(body[v]! - px, body[v + 2]! - pz));
    }
    let top = Number.NEGATIVE_INFINITY;
    for (let j = 1; j < joints.length; j += 3) top = Math.max(top, joints[j]! + lift);
    return { joints, lift, pelvisXZ: [px, pz] as const, radius, top };
  }

  /** Renders example `index` of shard `shard` (keys are the example index, zero-padded). */
  async generate(
    seed: number,
    shard: number,
    index: number,
    key: string,
  ): Promise<GeneratedExample> {
    const { width: W, height: H, scene: sceneOptions } = this.options;
    const rng = createRng(`${seed}/${this.options.split}/${index}`);
    const want = 1 + rng.weighted(sceneOptions.peopleWeights);
    const ids = distinctIndices(rng, this.options.identitiesPerShard, want);
    const scene = this.scene;
    scene.clear();

    // People: pose, then place on the ground without overlapping footprints.
    const people: {
      id: Identity;
      clip: MotionClip;
      frame: number;
      posed: ReturnType<ExampleGenerator['pose']>;
      joints: Float64Array;
    }[] = [];
    for (const k of ids) {
      const id = await this.identity(seed, shard, k);
      // Asked only when galleries exist, so renders without them stay as they were.
      const fromGallery =
        this.galleries.length > 0 && rng.chance(this.options.galleryShare ?? DEFAULT_GALLERY_SHARE);
      const entry = rng.pick(this.shardPool(fromGallery ? 'galleries' : 'clips', seed, shard));
      const mirror = rng.chance(0.5);
      const { clip, frames } = this.motion(entry, mirror);
      const frame = rng.pick(frames);
      const posed = this.pose(id, clip.id, clip, frame);
      people.push({ id, clip, frame, posed, joints: new Float64Array(posed.joints.length) });
      // Posing writes into the identity's meshes; a body appears at most once per image.
    }
    const placements = placePeople(
      rng,
      people.map((p) => p.posed.radius),
    );
    const placed = people.filter((_, i) => placements[i] !== null);
    placed.forEach((p) => {
      const pl = placements[people.indexOf(p)]!;
      const m = new THREE.Matrix4()
        .makeTranslation(pl.x, p.posed.lift, pl.z)
        .multiply(new THREE.Matrix4().makeRotationY(pl.yaw))
        .multiply(
          new THREE.Matrix4().makeTranslation(-p.posed.pelvisXZ[0], 0, -p.posed.pelvisXZ[1]),
        );
      const e = m.elements; // column-major
      for (let j = 0; j < p.joints.length; j += 3) {
        const [x, y, z] = [p.posed.joints[j]!, p.posed.joints[j + 1]!, p.posed.joints[j + 2]!];
        p.joints[j] = e[0]! * x + e[4]! * y + e[8]! * z + e[12]!;
        p.joints[j + 1] = e[1]! * x + e[5]! * y + e[9]! * z + e[13]!;
        p.joints[j + 2] = e[2]! * x + e[6]! * y + e[10]! * z + e[14]!;
      }
      for (const mesh of p.id.meshes) {
        mesh.matrix.copy(m);
        mesh.matrixWorld.copy(m);
        scene.add(mesh);
      }
    });
    const groupCenter: [number, number] = [0, 0];
    let groupTop = 1.7;
    if (placed.length > 0) {
      for (const p of placed) {
        groupCenter[0] += p.joints[0]! / placed.length;
        groupCenter[1] += p.joints[2]! / placed.length;
      }
      groupTop = Math.max(...placed.map((p) => p.posed.top));
    }

    // Camera; sometimes pushed so that one person is cut by the image border.
    let camera = sampleCamera(rng, W, H, groupCenter, groupTop, sceneOptions);
    const truncate = placed.length > 0 && rng.chance(sceneOptions.truncationProbability);
    if (truncate)
      camera = truncateOne(rng, camera, placed[rng.int(0, placed.length - 1)]!.joints, W, H);
    camera = limitDistortion(camera, W, H);
    const core = new Camera({
      intrinsicMatrix: camera.intrinsics,
      rotation: camera.rotation,
      opticalCenter: [camera.center[0]! * 1000, camera.center[1]! * 1000, camera.center[2]! * 1000],
      distortionCoeffs: camera.distortion,
      worldUp: [0, 1, 0],
    });
    // A barrel lens sees more than its pinhole counterpart: render wide, then warp.
    const renderK = core.hasDistortion ? coveringIntrinsics(core, W, H) : camera.intrinsics;
    const threeCamera = pinholeCamera(renderK, camera.rotation, camera.center, W, H);

    // Background photo, lights tinted by it, and occluders.
    const background = rng.pick(this.shardPool('backgrounds', seed, shard));
    const bg = await this.backgroundCache.crop(background, W, H, rng);
    addLights(scene, rng, bg.mean);
    const occluders = addOccluders(
      scene,
      rng,
      camera,
      placed.map((p) => p.joints),
    );

    // Colour pass.
    let { rgb } = this.renderer.renderColor(scene, threeCamera, bg.layer);
    // Label pass: swap every object's material for its id material.
    const saved = new Map<THREE.Mesh, THREE.Material | THREE.Material[]>();
    placed.forEach((p, i) => {
      for (const mesh of p.id.meshes) {
        saved.set(mesh, mesh.material);
        mesh.material = this.renderer.labelMaterial(i + 1);
      }
    });
    for (const o of occluders) {
      saved.set(o, o.material);
      o.material = this.renderer.labelMaterial(LABEL_OCCLUDER);
    }
    let labelImage = this.renderer.renderLabels(scene, threeCamera);
    for (const [mesh, material] of saved) mesh.material = material;
    for (const o of occluders) {
      o.geometry.dispose();
      (o.material as THREE.Material).dispose();
    }

    if (core.hasDistortion) {
      const warped = distortImage(core, renderK, W, H, rgb, labelImage);
      rgb = warped.rgb;
      labelImage = warped.labels;
    }

    const labelsPeople: PersonLabels[] = [];
    placed.forEach((p, i) => {
      const person = annotatePerson(
        core,
        labelImage,
        i + 1,
        p.joints,
        this.options.minVisiblePixels,
      );
      if (!person) return;
      person.meta = {
        motion_clip: p.clip.id,
        frame: p.frame,
        body: p.id.model.params,
        height_m: round(p.id.model.heightM, 3),
      };
      labelsPeople.push(person);
    });

    const jpeg = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.length), {
      raw: { width: W, height: H, channels: 3 },
    })
      .jpeg({ quality: this.options.jpegQuality, chromaSubsampling: '4:4:4' })
      .toBuffer();
    const labels: ExampleLabels = {
      key,
      image: { file: `${key}.jpg`, width: W, height: H },
      camera: {
        intrinsic_matrix: rows3(camera.intrinsics),
        distortion_coeffs: Array.from(camera.distortion, (v) => round(v, 6)),
        extrinsic_matrix: null,
        world_up: roundVec(core.cameraSpaceUp()) as Vec3,
      },
      people: labelsPeople,
      meta: {
        background: background.id,
        fov_degrees: round(camera.fovDegrees, 3),
        camera_height_m: round(camera.center[1]!, 3),
        people_rendered: placed.length,
        occluders: occluders.length,
        deliberately_truncated: truncate,
      },
    };
    return { key, jpeg, labels };
  }
}

const FOOT_JOINTS = (
  ['l_toe', 'l_toe_end', 'r_toe', 'r_toe_end', 'l_ankle', 'r_ankle'] as const
).map((j) => MOTION_JOINT_INDEX[j]);

/** How far the source's lowest toe is above the clip's floor at `frame` (metres, ≥ 0). */
const floorCache = new WeakMap<MotionClip, number>();
function airborneHeight(clip: MotionClip, frame: number): number {
  if (isPoseGallery(clip)) return 0; // lifted poses stand, sit or lie on the floor
  const J = clip.rest.length / 3;
  const toes = FOOT_JOINTS;
  const lowest = (f: number) => {
    let m = Number.POSITIVE_INFINITY;
    for (const j of toes) m = Math.min(m, clip.positions[(f * J + j) * 3 + 1]!);
    return m;
  };
  let floor = floorCache.get(clip);
  if (floor === undefined) {
    const all = Array.from({ length: clip.numFrames }, (_, f) => lowest(f)).sort((a, b) => a - b);
    floor = all[Math.floor(all.length * 0.05)]!;
    floorCache.set(clip, floor);
  }
  const h = lowest(frame) - floor;
  return h > 0.1 ? h - 0.1 : 0; // small toe lifts are walking, not flight
}

function distinctIndices(rng: Rng, n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < Math.min(k, n); i++) {
    const j = rng.int(i, n - 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, Math.min(k, n));
}

function roundVec(v: ArrayLike<number>): number[] {
  return Array.from(v, (x) => round(x, 6));
}
function rows3(m: Float64Array): number[][] {
  return [0, 1, 2].map((r) => [0, 1, 2].map((c) => round(m[r * 3 + c]!, 6)));
}
