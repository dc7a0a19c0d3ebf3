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
  readPixels(
    x: number,
    y: number,
    w: number,
    h: number,
    format: number,
    type: number,
    out: Uint8Array,
  ): void;
  getError(): number;
  getExtension(name: string): unknown;
}

type CreateGL = (
  width: number,
  height: number,
  attributes?: Record<string, unknown>,
) => HeadlessGl | null;

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

const DOWNSAMPLE_VERTEX = /* glsl */ `
varying vec2 vUv;
void main() {
  vUv = uv;
  gl_Position = vec4(position.xy, 0.0, 1.0);
}`;

// Box filter over each SS×SS block of the supersampled frame (texel centres, exact), then the
// background photo window (mipmapped, so minified crops do not alias) under what the people
// did not cover.
const DOWNSAMPLE_FRAGMENT = /* glsl */ `
uniform sampler2D frame;
uniform sampler2D background;
uniform vec2 outSize;
uniform float useBackground;
uniform vec4 window; // x, y (from the top), w, h as fractions of the photo
uniform float flip;
uniform vec3 colour; // brightness, contrast, saturation
varying vec2 vUv;
vec3 photo(vec2 q) {
  // q: output position in [0, 1]², y up. Texture v = 0 is the photo's top row.
  float x = flip > 0.5 ? 1.0 - q.x : q.x;
  vec3 c = texture2D(background, vec2(window.x + x * window.z, window.y + (1.0 - q.y) * window.w)).rgb;
  float grey = dot(c, vec3(0.299, 0.587, 0.114));
  c = (grey + colour.z * (c - grey)) * colour.x;
  return clamp((c - 0.5) * colour.y + 0.5, 0.0, 1.0);
}
void main() {
  vec2 px = floor(vUv * outSize);
  vec2 bigSize = outSize * float(SS);
  vec4 sum = vec4(0.0);
  for (int i = 0; i < SS; i++) {
    for (int j = 0; j < SS; j++) {
      sum += texture2D(frame, (px * float(SS) + vec2(float(i) + 0.5, float(j) + 0.5)) / bigSize);
    }
  }
  vec4 c = sum / float(SS * SS);
  vec3 bg = useBackground > 0.5 ? photo(vUv) : vec3(0.0);
  gl_FragColor = vec4(c.rgb + (1.0 - c.a) * bg, c.a);
}`;

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

/**
 * What goes behind the people: a window of a photo texture (fractions [x, y, w, h] of the photo,
 * y from the top), optionally mirrored, with a colour change (saturation and brightness scale,
 * then contrast about mid-grey — the order of libvips' modulate + linear).
 */
export interface BackgroundLayer {
  texture: THREE.Texture;
  window: [number, number, number, number];
  flip: boolean;
  brightness: number;
  contrast: number;
  saturation: number;
}

export class HeadlessRenderer {
  readonly width: number;
  readonly height: number;
  readonly supersample: number;
  readonly three: THREE.WebGLRenderer;
  private readonly gl: HeadlessGl;
  private readonly labelTarget: THREE.WebGLRenderTarget;
  /** Colour pass, copied from the supersampled framebuffer; box-filtered by `downsample`. */
  private readonly frame: THREE.FramebufferTexture;
  private readonly outputTarget: THREE.WebGLRenderTarget;
  private readonly downsample: {
    scene: THREE.Scene;
    camera: THREE.Camera;
    material: THREE.ShaderMaterial;
  };
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
    this.frame = new THREE.FramebufferTexture(W, H);
    this.frame.minFilter = THREE.NearestFilter;
    this.frame.magFilter = THREE.NearestFilter;
    const blank = new THREE.DataTexture(new Uint8Array(4), 1, 1);
    blank.needsUpdate = true;
    this.outputTarget = new THREE.WebGLRenderTarget(width, height, {
      minFilter: THREE.NearestFilter,
      magFilter: THREE.NearestFilter,
      depthBuffer: false,
    });
    const material = new THREE.ShaderMaterial({
      vertexShader: DOWNSAMPLE_VERTEX,
      fragmentShader: DOWNSAMPLE_FRAGMENT,
      defines: { SS: supersample },
      uniforms: {
        frame: { value: this.frame },
        background: { value: blank },
        outSize: { value: new THREE.Vector2(width, height) },
        useBackground: { value: 0 },
        window: { value: new THREE.Vector4(0, 0, 1, 1) },
        flip: { value: 0 },
        colour: { value: new THREE.Vector3(1, 1, 1) },
      },
      depthTest: false,
      depthWrite: false,
    });
    const quad = new THREE.Mesh(new THREE.PlaneGeometry(2, 2), material);
    quad.frustumCulled = false;
    const downsampleScene = new THREE.Scene();
    downsampleScene.add(quad);
    this.downsample = { scene: downsampleScene, camera: new THREE.Camera(), material };
  }

  /** Creates a renderer, starting a private Xvfb when no display is set. */
  static async create(width: number, height: number, supersample = 2): Promise<HeadlessRenderer> {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 16 && height >= 16)) {
      throw new SynthError(
        'bad-option',
        `image size must be whole pixels ≥ 16, got ${width}×${height}`,
      );
    }
    if (width * supersample > 8192 || height * supersample > 8192) {
      throw new SynthError(
        'bad-option',
        `image size ${width}×${height} ×${supersample} is too large`,
      );
    }
    const createGL = loadHeadlessGl();
    await ensureDisplay();
    return new HeadlessRenderer(width, height, supersample, createGL);
  }

  /**
   * Renders the colour pass and returns it at the output size composited over `background`
   * (RGB bytes, top row first) plus the coverage `alpha` (0…255). On the GPU: the scene is
   * rendered at `supersample`× size, each output pixel averages its block in premultiplied
   * colour (the clear colour is transparent black), then `rgb + (1 − alpha) · background`.
   */
  renderColor(
    scene: THREE.Scene,
    camera: THREE.Camera,
    background?: BackgroundLayer,
  ): { rgb: Uint8Array; alpha: Uint8Array } {
    const { width, height } = this;
    this.three.setRenderTarget(null);
    this.three.setClearColor(0x000000, 0);
    this.three.render(scene, camera);
    // copyFramebufferToTexture binds through three's cache, which skips selecting unit 0 when the
    // texture is already bound there: the copy would land in whatever unit is active (e.g. the
    // photo uploaded on unit 1 last frame). Select unit 0 first.
    const gl = this.three.getContext();
    this.three.state.activeTexture(gl.TEXTURE0);
    this.three.copyFramebufferToTexture(new THREE.Vector2(0, 0), this.frame);
    const u = this.downsample.material.uniforms;
    u['useBackground']!.value = background ? 1 : 0;
    if (background) {
      u['background']!.value = background.texture;
      (u['window']!.value as THREE.Vector4).set(...background.window);
      u['flip']!.value = background.flip ? 1 : 0;
      (u['colour']!.value as THREE.Vector3).set(
        background.brightness,
        background.contrast,
        background.saturation,
      );
    }
    this.three.setRenderTarget(this.outputTarget);
    this.three.render(this.downsample.scene, this.downsample.camera);
    const raw = new Uint8Array(width * height * 4);
    this.three.readRenderTargetPixels(this.outputTarget, 0, 0, width, height, raw);
    this.three.setRenderTarget(null);
    this.checkGlError('colour pass');
    const rgb = new Uint8Array(width * height * 3);
    const alpha = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) {
      let o = (height - 1 - y) * width * 4; // GL rows go bottom-up
      let p = y * width;
      for (let x = 0; x < width; x++, o += 4, p++) {
        rgb[p * 3] = raw[o]!;
        rgb[p * 3 + 1] = raw[o + 1]!;
        rgb[p * 3 + 2] = raw[o + 2]!;
        alpha[p] = raw[o + 3]!;
      }
    }
    return { rgb, alpha };
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
    this.three.setRenderTarget(this.labelTarget);
    this.three.setClearColor(0x000000, 0);
    this.three.clear(true, true, true);
    this.three.render(scene, camera);
    const raw = new Uint8Array(width * height * 4);
    this.three.readRenderTargetPixels(this.labelTarget, 0, 0, width, height, raw);
    this.three.setRenderTarget(null);
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
    this.downsample.material.dispose();
    this.frame.dispose();
    this.outputTarget.dispose();
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
