"""Regenerates the tiny model package committed as a test fixture for the inference side:

    training/.venv/bin/python -m metrabs_train.fixture [--out fixtures/model-tiny] [--steps 3000]

It renders a procedural stick-figure dataset (metrabs_train.toydata), trains a MobileNetV3-S
(width 0.5) at 128² on it, evaluates on its test split, and exports the ONNX + descriptor +
model card. Resumable: re-running continues the training run in training/runs/fixture-tiny.
The model only knows stick figures; it exists to exercise the inference pipeline end to end
with a real trained network, not to estimate real people's poses.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from .config import load_config
from .evaluate import evaluate
from .export import export_package
from .toydata import make_toy_dataset
from .train import train

TRAINING = Path(__file__).resolve().parents[1]
REPO = TRAINING.parent
SETTINGS = [
    'model.backbone=mobilenet_v3_small', 'model.width_mult=0.5', 'model.proc_side=128',
    'batch_size=32', 'optim.learning_rate=1e-3', 'optim.warmup_steps=200',
    'loss.absloss_start_step=1000', 'log_every=50', 'validate_every=500',
    'validation_examples=200', 'checkpoint_every=250', 'seed=1',
]


def card(desc: dict, metrics: dict, steps: int) -> str:
    m = metrics['all']
    return f"""# Model card: `model-tiny` (test fixture)

**Not a pose estimator for real people.** A deliberately tiny MeTRAbs crop network trained on
procedurally drawn stick figures, committed so that the inference code (crops, ONNX Runtime,
reconstruction, skeleton conversion) is tested end to end with a real trained model.

| | |
|---|---|
| architecture | MobileNetV3-Small ×0.5, centred stride 32, 8 depth bins, box 2200 mm |
| input | {desc['input']['side']}×{desc['input']['side']} RGB in [0, 1], NHWC |
| joints | `smpl+head_30` (30) |
| training data | `metrabs_train.toydata`: stick figures from the reference body with random limb rotations, 1–3 per image, random cameras, some 2D-only; CC0 |
| training | {steps} steps, batch 32, AdamW, recipe in `training/metrabs_train/fixture.py` |
| export check | PyTorch vs ONNX Runtime max difference {desc['export_check']['max_abs_diff_mm']:.4f} mm, {desc['export_check']['max_abs_diff_px']:.4f} px |
| licence | MIT (code) / CC0 (data) |

Toy test split ({metrics['people']} people): MPJPE {m['mpjpe']:.1f} mm, PA-MPJPE
{m['pa_mpjpe']:.1f} mm, PCK@150 {100 * m['pck']:.1f} %, AUC {100 * m['auc']:.1f} %, MRPE
{m['mrpe']:.0f} mm.

Training curves: `curves.png`. Regenerate: `training/.venv/bin/python -m metrabs_train.fixture`
(about 12 minutes on 2 cores; numbers match up to the floating-point nondeterminism of the
CPU kernels).
"""


def write_toy_scene(out: Path, seed: int = 2037) -> None:
    """One unseen toy image with its labels, for end-to-end tests of the TypeScript pipeline."""
    import cv2
    import numpy as np

    from .toydata import generate_examples

    example = next(iter(generate_examples(1, seed=seed, split_id=9)))
    out.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out / 'image.jpg'), cv2.cvtColor(example['image'], cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])

    def plain(v):
        if isinstance(v, np.ndarray):
            return v.tolist()
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items() if k != 'mask'}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, np.generic):
            return v.item()
        return v

    labels = {'camera': plain(example['camera']), 'people': plain(example['people']),
              'source': f'metrabs_train.toydata.generate_examples(1, seed={seed}, split_id=9)'}
    (out / 'labels.json').write_text(json.dumps(labels, indent=1) + '\n')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default=str(REPO / 'fixtures' / 'model-tiny'))
    parser.add_argument('--work', default=str(TRAINING / 'runs' / 'fixture-tiny'))
    parser.add_argument('--steps', type=int, default=3000)
    parser.add_argument('--scene-only', action='store_true', help='only (re)write fixtures/toy-scene')
    args = parser.parse_args(argv)
    write_toy_scene(REPO / 'fixtures' / 'toy-scene')
    if args.scene_only:
        return 0
    work = Path(args.work)
    data = work / 'data'
    if not (data / 'manifest.json').exists():
        print('rendering toy data…', file=sys.stderr)
        make_toy_dataset(data, {'train': 3000, 'validation': 100, 'test': 200}, seed=1, shard_size=250)
    cfg = load_config(None, [f'dataset={data}', f'steps={args.steps}', *SETTINGS])
    train(cfg, work / 'run')
    ckpt = work / 'run' / 'checkpoint.pt'
    metrics = evaluate(ckpt, data, 'test')
    desc = export_package(ckpt, args.out, metrics=metrics, data_info={
        'dataset': 'metrabs_train.toydata (seed 1: 3000 train / 100 validation / 200 test images)',
        'license': 'CC0 (procedurally generated)'})
    (Path(args.out) / 'README.md').write_text(card(desc, metrics, args.steps))
    shutil.copyfile(work / 'run' / 'curves.png', Path(args.out) / 'curves.png')
    print(json.dumps({'export_check': desc['export_check'], 'test': metrics['all']}, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
