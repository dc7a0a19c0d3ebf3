/**
 * three.js on headless-gl (WebGL 1 in Node; see docs/renderer-choice.md). Two passes per image:
 * a colour pass rendered at `supersample`× size into the default framebuffer and box-filtered
 * down (antialiasing), and an exact label pass at 1× into a render target that stores, per pixel,
 * which object is visible and its depth in millimetres.
 */
import { createRequire } from 'node:module';
import * as THREE from 'three';
import { SynthError } from '../errors.js';
import { ensureDisplay } from './display-node.js';

/** The part of a WebGL 1 context used here (the DOM typings are not loaded in Node code). */
interface HeadlessGl {
  readonly RGBA: number;
  readonly UNSIGNED_BYTE: number;
  readonly NO_ERROR: number;
  readPixels(x: number, y: number, w: number, h: number, format: number, type: number, out: Uint8Array): void;
  getError(): number;
  getExtension(name: string): unknown;
}

type CreateGL = (width: number, height: number, attributes?: Record<string, unknown>) => HeadlessGl | null;

/** Loads the optional native `gl` package with an actionable message when it is absent. */
function loadHeadlessGl(): CreateGL {
  try {
    return createRequire(import.meta.url)('gl') as CreateGL;
  } catch (e) {
    throw new SynthError(
      'renderer',
      'the optional dependency `gl` (headless WebGL) is not installed or failed to build. It compiles ' +
        'from source during `npm install` and needs python3, make, g++, pkg-config, libxi-dev and ' +
        'libxext-dev (Debian: apt-get install -y python3 make g++ pkg-config libxi-dev libxext-dev xvfb), ' +
        'then run `npm rebuild gl`.',
      { cause: e },
    );
  }
}

/** What the label pass returns: the visible object's id (0 = nothing) and its depth. */
export interface LabelImage {
  readonly width: number;
  readonly height: number;
  /** Per pixel (row-major, top row first): id of the visible object, 0 for background. */
  readonly ids: Uint8Array;
  /** Per pixel: camera-space depth (z) of the visible surface in mm, 0 where nothing is. */
  readonly depthMm: Uint16Array;
}

const LABEL_VERTEX = /* glsl */ `
varying float vDepth;
void main() {
  vec4 viewPosition = modelViewMatrix * vec4(position, 1.0);
  vDepth = -viewPosition.z;
  gl_Position = projectionMatrix * viewPosition;
}`;

// Depth in mm split over two 8-bit channels (0…65.535 m, 1 mm steps); id in red.
const LABEL_FRAGMENT = /* glsl */ `
uniform float objectId;
varying float vDepth;
void main() {
  float mm = clamp(floor(vDepth * 1000.0 + 0.5), 0.0, 65535.0);
  float hi = floor(mm / 256.0);
  float lo = mm - hi * 256.0;
  gl_FragColor = vec4(objectId / 255.0, hi / 255.0, lo / 255.0, 1.0);
}`;

type WebGLRenderingContextLike = NonNullable<
  NonNullable<ConstructorParameters<typeof THREE.WebGLRenderer>[0]>['context']
>;

export class HeadlessRenderer {
  readonly width: number;
  readonly height: number;
  readonly supersample: number;
  readonly three: THREE.WebGLRenderer;
  private readonly gl: HeadlessGl;
  private readonly labelTarget: THREE.WebGLRenderTarget;
  private readonly big: Uint8Array;
  private readonly labelMaterials = new Map<number, THREE.ShaderMaterial>();

  private constructor(width: number, height: number, supersample: number, createGL: CreateGL) {
    this.width = width;
    this.height = height;
    this.supersample = supersample;
    const W = width * supersample;
    const H = height * supersample;
    const gl = createGL(W, H, {
      antialias: false,
      alpha: true,
      premultipliedAlpha: false,
      preserveDrawingBuffer: true,
    });
    if (!gl) {
      throw new SynthError(
        'renderer',
        `headless-gl could not create a ${W}×${H} WebGL context on display ${process.env['DISPLAY']}`,
      );
    }
    this.gl = gl;
    // three.js asks its canvas for little more than a size and event hooks.
    const canvas = {
      width: W,
      height: H,
      style: {},
      addEventListener() {},
      removeEventListener() {},
      getContext: () => gl,
    } as unknown as ConstructorParameters<typeof THREE.WebGLRenderer>[0] extends infer P
      ? P extends { canvas?: infer C }
        ? C
        : never
      : never;
    this.three = new THREE.WebGLRenderer({
      canvas,
      context: gl as unknown as WebGLRenderingContextLike,
      antialias: false,
      alpha: true,
    });
    this.three.setPixelRatio(1);
    this.three.setSize(W, H, false);
    this.three.setClearColor(0x000000, 0);
    this.labelTarget = new THREE.WebGLRenderTarget(width, height, {
      minFilter: THREE.NearestFilter,
      magFilter: THREE.NearestFilter,
      depthBuffer: true,
    });
    this.big = new Uint8Array(W * H * 4);
  }

  /** Creates a renderer, starting a private Xvfb when no display is set. */
  static async create(width: number, height: number, supersample = 2): Promise<HeadlessRenderer> {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 16 && height >= 16)) {
      throw new SynthError('bad-option', `image size must be whole pixels ≥ 16, got ${width}×${height}`);
    }
    if (width * supersample > 8192 || height * supersample > 8192) {
      throw new SynthError('bad-option', `image size ${width}×${height} ×${supersample} is too large`);
    }
    const createGL = loadHeadlessGl();
    await ensureDisplay();
    return new HeadlessRenderer(width, height, supersample, createGL);
  }

  /**
   * Renders the colour pass and returns premultiplied RGBA (top row first) at the output size,
   * each pixel the mean of its supersample block. Colour is premultiplied over black, so the
   * caller composites with `out = rgb + (1 − a) · background`.
   */
  renderColor(scene: THREE.Scene, camera: THREE.Camera): Float32Array {
    this.three.setRenderTarget(null);
    this.three.render(scene, camera);
    this.checkGlError('colour pass');
    const s = this.supersample;
    const W = this.width * s;
    const H = this.height * s;
    this.gl.readPixels(0, 0, W, H, this.gl.RGBA, this.gl.UNSIGNED_BYTE, this.big);
    const out = new Float32Array(this.width * this.height * 4);
    const norm = 1 / (s * s * 255);
    for (let y = 0; y < this.height; y++) {
      // GL rows go bottom-up.
      const dstRow = (this.height - 1 - y) * this.width * 4;
      for (let dy = 0; dy < s; dy++) {
        const srcRow = (y * s + dy) * W * 4;
        for (let x = 0; x < this.width; x++) {
          const d = dstRow + x * 4;
          let o = srcRow + x * s * 4;
          for (let dx = 0; dx < s; dx++, o += 4) {
            out[d]! += this.big[o]!;
            out[d + 1]! += this.big[o + 1]!;
            out[d + 2]! += this.big[o + 2]!;
            out[d + 3]! += this.big[o + 3]!;
          }
        }
      }
    }
    for (let i = 0; i < out.length; i++) out[i]! *= norm;
    return out;
  }

  /** A flat material for the label pass that writes `id` (1…255) and depth. */
  labelMaterial(id: number): THREE.ShaderMaterial {
    if (!(Number.isInteger(id) && id >= 1 && id <= 255)) {
      throw new SynthError('bad-option', `label id must be 1…255, got ${id}`);
    }
    let m = this.labelMaterials.get(id);
    if (!m) {
      m = new THREE.ShaderMaterial({
        vertexShader: LABEL_VERTEX,
        fragmentShader: LABEL_FRAGMENT,
        uniforms: { objectId: { value: id } },
        side: THREE.DoubleSide,
      });
      this.labelMaterials.set(id, m);
    }
    return m;
  }

  /** Renders the label pass; objects must already wear `labelMaterial(id)`. */
  renderLabels(scene: THREE.Scene, camera: THREE.Camera): LabelImage {
    const { width, height } = this;
    const background = scene.background;
    scene.background = null;
    this.three.setRenderTarget(this.labelTarget);
    this.three.setClearColor(0x000000, 0);
    this.three.clear(true, true, true);
    this.three.render(scene, camera);
    const raw = new Uint8Array(width * height * 4);
    this.three.readRenderTargetPixels(this.labelTarget, 0, 0, width, height, raw);
    this.three.setRenderTarget(null);
    scene.background = background;
    this.checkGlError('label pass');
    const ids = new Uint8Array(width * height);
    const depthMm = new Uint16Array(width * height);
    for (let y = 0; y < height; y++) {
      const src = (height - 1 - y) * width * 4;
      const dst = y * width;
      for (let x = 0; x < width; x++) {
        const o = src + x * 4;
        ids[dst + x] = raw[o]!;
        depthMm[dst + x] = raw[o + 1]! * 256 + raw[o + 2]!;
      }
    }
    return { width, height, ids, depthMm };
  }

  private checkGlError(what: string): void {
    const err = this.gl.getError();
    if (err !== this.gl.NO_ERROR) {
      throw new SynthError('renderer', `WebGL error 0x${err.toString(16)} during the ${what}`);
    }
  }

  dispose(): void {
    for (const m of this.labelMaterials.values()) m.dispose();
    this.labelTarget.dispose();
    // WebGLRenderer.dispose() touches `window` (animation loop); free the context directly.
    this.three.renderLists.dispose();
    const destroy = this.gl.getExtension('STACKGL_destroy_context') as { destroy(): void } | null;
    destroy?.destroy();
  }
}

/**
 * A three.js camera that reproduces a pinhole camera exactly: intrinsics K (pixels, integer
 * coordinates at pixel centres), rotation R (world→camera, rows = camera axes x right, y down,
 * z forward in world coordinates) and optical centre C (world, metres).
 */
export function pinholeCamera(
  K: ArrayLike<number>,
  R: ArrayLike<number>,
  centerM: ArrayLike<number>,
  width: number,
  height: number,
  near = 0.05,
  far = 100,
): THREE.Camera {
  const cam = new THREE.Camera();
  // three.js cameras look down −z with y up: its axes are ours with y and z negated.
  const world = new THREE.Matrix4().set(
    R[0]!,
    -R[3]!,
    -R[6]!,
    centerM[0]!,
    R[1]!,
    -R[4]!,
    -R[7]!,
    centerM[1]!,
    R[2]!,
    -R[5]!,
    -R[8]!,
    centerM[2]!,
    0,
    0,
    0,
    1,
  );
  cam.matrixAutoUpdate = false;
  cam.matrix.copy(world);
  cam.matrixWorld.copy(world);
  cam.matrixWorldInverse.copy(world).invert();
  const [fx, s, cx, fy, cy] = [K[0]!, K[1]!, K[2]!, K[4]!, K[5]!];
  // Pixel centres sit at integer coordinates, NDC ±1 at the image edges: u_edge = u + 0.5.
  const p = new THREE.Matrix4().set(
    (2 * fx) / width,
    (-2 * s) / width,
    1 - (2 * (cx + 0.5)) / width,
    0,
    0,
    (2 * fy) / height,
    (2 * (cy + 0.5)) / height - 1,
    0,
    0,
    0,
    -(far + near) / (far - near),
    (-2 * far * near) / (far - near),
    0,
    0,
    -1,
    0,
  );
  cam.projectionMatrix.copy(p);
  cam.projectionMatrixInverse.copy(p).invert();
  return cam;
}
