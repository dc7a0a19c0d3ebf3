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

    training/bench/throughput.py --compare PYTHON[:KEY=VALUE,...] PYTHON[:...] [--rounds 2] ...

runs this bench under each interpreter (e.g. Debian's torch and a PyPI torch venv) with the
other options, each variant's KEY=VALUE pairs replacing options (amp=bf16, sides=192,
batch_2d=16, workers=1, …) or, for upper-case keys, setting environment variables
(OPENBLAS_NUM_THREADS=2), interleaved for `--rounds` rounds so that a busy machine hits every
variant alike, and prints every measurement and each variant's mean images/s relative to the
first variant's.
"""
from __future__ import annotations

import argparse
import json
import os
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
    import torch
    return dict(backbone=args.backbone, side=side, batch=args.batch, batch_2d=args.batch_2d,
                workers=resolved_workers(cfg), amp=args.amp, torch=torch.__version__,
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
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=args.amp == 'bf16'):
            coords2d, coords3d = model(image)
        loss = coords2d.square().mean() + coords3d.square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.time() - t)
    median = sorted(times[1:])[len(times[1:]) // 2]
    return dict(backbone=args.backbone, side=side, batch=args.batch, model_only=True,
                memory_format=args.memory_format, amp=args.amp, images_per_s=round(args.batch / median, 1),
                torch=torch.__version__, threads=threads)


def compare(args) -> None:
    import subprocess
    base = list(sys.argv[1:])
    i = base.index('--compare')
    j = i + 1
    while j < len(base) and not base[j].startswith('--'):
        j += 1
    base = base[:i] + base[j:]
    results: dict[str, list[float]] = {}
    for round_ in range(args.rounds):
        for variant in args.compare:
            python, _, extra = variant.partition(':')
            options, env = list(base), dict(os.environ)
            for pair in filter(None, extra.split(',')):
                key, value = pair.split('=', 1)
                if key.isupper():
                    env[key] = value
                else:
                    options += [f'--{key.replace("_", "-")}', *value.split()]
            out = subprocess.run([python, __file__, *options], capture_output=True, text=True, env=env)
            if out.returncode:
                sys.exit(f'{variant}: failed\n{out.stderr[-2000:]}')
            for line in out.stdout.splitlines():
                record = json.loads(line)
                print(json.dumps(dict(variant=variant, round=round_, **record)), flush=True)
                results.setdefault(f'{variant} @{record["side"]}', []).append(record['images_per_s'])
    first = None
    for name, values in results.items():
        mean = sum(values) / len(values)
        first = first or mean
        print(f'{mean:7.1f} img/s  ×{mean / first:.2f}  {name}', flush=True)


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
    parser.add_argument('--amp', choices=['', 'bf16'], default='', help='bf16 autocast (CPU or CUDA)')
    parser.add_argument('--dataset2d', help='a 2D-only dataset to mix in (with --batch-2d)')
    parser.add_argument('--batch-2d', type=int, default=0)
    parser.add_argument('--compare', nargs='+', metavar='PYTHON[:K=V,...]')
    parser.add_argument('--rounds', type=int, default=2)
    args, rest = parser.parse_known_args()
    if rest:
        parser.error(f'unknown arguments {rest}')
    if args.compare:
        compare(args)
        return
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
