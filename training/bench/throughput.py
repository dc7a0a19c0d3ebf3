"""Training throughput on this machine: images/s of the real training loop (data loading,
augmentation, forward, losses, backward, AdamW step), and the share of time spent waiting
for data, for MobileNetV3-L at 160² and 256² (batch 32 by default).

    training/.venv/bin/python training/bench/throughput.py [--steps 40] [--batch 32]
        [--workers -1] [--sides 160 256] [--backbone mobilenet_v3_large] [--dataset DIR]

Without --dataset it renders a toy dataset into a temporary directory first (not timed).
The first logged window (warm-up) is discarded; the rest are averaged.

    training/bench/throughput.py --model-only [--memory-format contiguous]

times the network alone (forward, backward, AdamW step on random crops, no data, no losses
beyond a simple one), channels-last by default as in training.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def measure(dataset: Path, side: int, args) -> dict:
    from metrabs_train.config import load_config, resolved_workers
    from metrabs_train.train import train

    window = 10
    cfg = load_config(None, [
        f'dataset={dataset}', f'steps={args.steps}', f'batch_size={args.batch}',
        f'workers={args.workers}', f'log_every={window}', 'validate_every=100000',
        'checkpoint_every=100000', f'model.backbone={args.backbone}', f'model.proc_side={side}'])
    with tempfile.TemporaryDirectory() as out:
        train(cfg, out, show_progress=False)
        log = [json.loads(line) for line in (Path(out) / 'log.jsonl').read_text().splitlines()]
    timed = log[1:]  # drop the warm-up window
    ips = sum(r['images_per_s'] for r in timed) / len(timed)
    data = sum(r['data_fraction'] for r in timed) / len(timed)
    return dict(backbone=args.backbone, side=side, batch=args.batch, workers=resolved_workers(cfg),
                images_per_s=round(ips, 1), data_wait_fraction=round(data, 3),
                threads=log[-1]['threads'])


def measure_model_only(side: int, args) -> dict:
    import torch

    import os

    from metrabs_train.model import MetrabsNet, ModelConfig  # needs only torch + torchvision

    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    model = MetrabsNet(ModelConfig(backbone=args.backbone, proc_side=side), num_joints=30)
    if args.memory_format == 'channels_last':
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), 1e-4)
    image = torch.rand(args.batch, side, side, 3)
    times = []
    for _ in range(args.steps // 4 + 2):
        t = time.time()
        coords2d, coords3d = model(image)
        loss = coords2d.square().mean() + coords3d.square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.time() - t)
    median = sorted(times[1:])[len(times[1:]) // 2]
    return dict(backbone=args.backbone, side=side, batch=args.batch, model_only=True,
                memory_format=args.memory_format, images_per_s=round(args.batch / median, 1),
                torch=torch.__version__, threads=threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--steps', type=int, default=40)
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--workers', type=int, default=-1, help='-1: the trainer\'s automatic choice')
    parser.add_argument('--sides', type=int, nargs='+', default=[160, 256])
    parser.add_argument('--backbone', default='mobilenet_v3_large')
    parser.add_argument('--dataset')
    parser.add_argument('--model-only', action='store_true')
    parser.add_argument('--memory-format', choices=['channels_last', 'contiguous'], default='channels_last')
    args = parser.parse_args()
    if args.model_only:
        for side in args.sides:
            print(json.dumps(measure_model_only(side, args)), flush=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        dataset = Path(args.dataset) if args.dataset else Path(tmp) / 'toy'
        if not args.dataset:
            from metrabs_train.toydata import make_toy_dataset
            make_toy_dataset(dataset, {'train': 400}, seed=1, shard_size=100)
        for side in args.sides:
            t = time.time()
            result = measure(dataset, side, args)
            result['wall_s'] = round(time.time() - t, 1)
            print(json.dumps(result), flush=True)


if __name__ == '__main__':
    main()
