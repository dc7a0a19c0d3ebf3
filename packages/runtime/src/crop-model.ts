/** The crop network of a model package behind the engine interface. */
import type { ModelDescriptor } from './model-package.js';
import { ModelPackageError } from './model-package.js';
import { oneLine } from './one-line.js';
import type { Tensor, TensorSession } from './types.js';

function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}

export interface CropPredictions {
  /** `[n, J, 2]` crop pixels. */
  coords2d: Float32Array;
  /** `[n, J, 3]` mm, relative. */
  coords3d: Float32Array;
}

export class CropModel {
  readonly descriptor: ModelDescriptor;
  private readonly session: TensorSession;

  constructor(descriptor: ModelDescriptor, session: TensorSession) {
    for (const name of ['coords2d', 'coords3d']) {
      if (!session.outputNames.includes(name)) {
        throw new ModelPackageError(
          `${descriptor.onnx}: the ONNX graph has no output "${name}" (outputs: ${session.outputNames.join(', ')})`,
        );
      }
    }
    if (!session.inputNames.includes('image')) {
      throw new ModelPackageError(
        `${descriptor.onnx}: the ONNX graph has no input "image" (inputs: ${session.inputNames.join(', ')})`,
      );
    }
    this.descriptor = descriptor;
    this.session = session;
    this.checkShapes();
  }

  /** The graph's declared shapes (when the engine reports them) against the descriptor. */
  private checkShapes(): void {
    const shapes = this.session.shapes;
    if (!shapes) return;
    const s = this.side;
    const j = this.numJoints;
    const expected: Record<string, (number | undefined)[]> = {
      image: [undefined, s, s, 3],
      coords2d: [undefined, j, 2],
      coords3d: [undefined, j, 3],
    };
    for (const [name, want] of Object.entries(expected)) {
      const got = shapes[name];
      if (!got) continue;
      const fits =
        got.length === want.length &&
        want.every((w, i) => w === undefined || typeof got[i] !== 'number' || got[i] === w);
      if (!fits) {
        throw new ModelPackageError(
          `${this.descriptor.onnx}: "${name}" has shape [${got.join(', ')}] in the ONNX graph, ` +
            `but the descriptor (proc_side ${s}, ${j} joints) needs [${want.map((w) => w ?? 'n').join(', ')}]`,
        );
      }
    }
  }

  get side(): number {
    return this.descriptor.geometry.procSide;
  }

  get numJoints(): number {
    return this.descriptor.jointNames.length;
  }

  /** Runs `n` crops (NHWC float32 in [0, 1], `n·S·S·3` values). */
  async predict(crops: Float32Array, n: number): Promise<CropPredictions> {
    const s = this.side;
    if (crops.length !== n * s * s * 3) {
      throw new RangeError(`expected ${n}×${s}×${s}×3 crop values, got ${crops.length}`);
    }
    let out: Record<string, Tensor>;
    try {
      out = await this.session.run({ image: { data: crops, dims: [n, s, s, 3] } });
    } catch (e) {
      // The package is what the user can fix; engines word their errors over several lines.
      throw new ModelPackageError(
        `${this.descriptor.onnx}: the network failed to run: ${oneLine(e)}`,
      );
    }
    const coords2d = out['coords2d']!;
    const coords3d = out['coords3d']!;
    const j = this.numJoints;
    if (coords2d.data.length !== n * j * 2 || coords3d.data.length !== n * j * 3) {
      throw new ModelPackageError(
        `the model returned shapes ${JSON.stringify(coords2d.dims)} and ${JSON.stringify(coords3d.dims)}, ` +
          `expected [${n}, ${j}, 2] and [${n}, ${j}, 3] for its ${j} joints`,
      );
    }
    if (!allFinite(coords2d.data) || !allFinite(coords3d.data)) {
      throw new ModelPackageError(
        `${this.descriptor.onnx}: the network returned NaN or infinite coordinates (corrupt weights?)`,
      );
    }
    return { coords2d: coords2d.data, coords3d: coords3d.data };
  }

  async release(): Promise<void> {
    await this.session.release?.();
  }
}
