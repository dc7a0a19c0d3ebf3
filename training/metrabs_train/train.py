"""The training loop: AdamW with warm-up and decay, gradient clipping, periodic validation,
JSONL logs, a live progress line, loss curves as PNG, and checkpoints that resume exactly
(the next step after a resume computes the same loss as an uninterrupted run).

Runs on CPU and on CUDA unchanged; under `torchrun` it uses DistributedDataParallel (each
rank reads its own slice of the example stream).
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from . import ptgeometry
from .checkpoint import load_checkpoint, load_weights, rng_state, save_checkpoint, set_rng_state
from .config import TrainConfig, resolved_workers, to_dict
from .data import PoseDataset, ResumableSampler, make_loader
from .dataset import open_dataset
from .jointmap import supervised_mask, two_d_like_matrix
from .losses import reconstruct, training_losses
from .metrics import bone_length_ratio, pck_torso, pose_metrics
from .model import MetrabsNet
from .plots import plot_curves
from .schedule import lr_factor


def set_threads() -> int:
    """Torch may default to one thread here; use every core (or OMP_NUM_THREADS if set)."""
    n = int(os.environ.get('OMP_NUM_THREADS', 0)) or os.cpu_count() or 1
    torch.set_num_threads(n)
    return n


def _distributed() -> tuple[int, int]:
    world = int(os.environ.get('WORLD_SIZE', '1'))
    if world > 1 and not torch.distributed.is_initialized():
        backend = 'nccl' if torch.cuda.is_available() else 'gloo'
        torch.distributed.init_process_group(backend)
    rank = torch.distributed.get_rank() if world > 1 else 0
    return rank, world


def _device(rank: int) -> torch.device:
    if torch.cuda.is_available():
        local = int(os.environ.get('LOCAL_RANK', rank))
        torch.cuda.set_device(local)
        return torch.device('cuda', local)
    return torch.device('cpu')


def to_device(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    return {k: (v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v)
            for k, v in batch.items()}


def build_optimizer(model: torch.nn.Module, cfg: TrainConfig):
    o = cfg.optim
    decay = o.weight_decay / math.sqrt(cfg.steps) / o.learning_rate
    optimizer = torch.optim.AdamW(model.parameters(), lr=o.learning_rate, weight_decay=decay, eps=1e-8)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, cfg.steps, o.warmup_steps))
    return optimizer, scheduler


class Progress:
    """One live console line (rewritten in place on a terminal, printed per log otherwise)."""

    def __init__(self, total: int, start: int):
        self.total, self.start, self.t0 = total, start, time.time()
        self.tty = sys.stderr.isatty()

    def update(self, step: int, loss: float, images_per_s: float) -> None:
        done = step - self.start
        rate = done / max(time.time() - self.t0, 1e-9)
        eta = (self.total - step) / rate if rate > 0 else float('inf')
        eta_text = time.strftime('%H:%M:%S', time.gmtime(eta)) if math.isfinite(eta) else '?'
        line = (f'step {step}/{self.total} ({100 * step / self.total:.1f}%)  loss {loss:.4f}  '
                f'{images_per_s:.1f} img/s  ETA {eta_text}')
        sys.stderr.write(('\r' + line + '   ') if self.tty else line + '\n')
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write('\n')


@torch.no_grad()
def validate(model: MetrabsNet, dataset: PoseDataset, cfg: TrainConfig, device: torch.device,
             max_examples: int) -> dict[str, float]:
    """Losses and pose metrics on evaluation crops (no augmentation), camera frame."""
    model.eval()
    n = len(dataset) if max_examples <= 0 else min(len(dataset), max_examples)
    loader = make_loader(dataset, cfg.batch_size, workers=0, indices=list(range(n)))
    preds, trues, valids, loss_sum, count = [], [], [], 0.0, 0
    for batch in loader:
        batch = to_device(batch, device)
        coords2d, coords3d = model(batch['image'])
        losses, pred_abs = training_losses(
            coords2d, coords3d, batch, model_cfg=cfg.model, loss_cfg=cfg.loss,
            step=cfg.loss.weak_perspective_steps, training=False)
        b = coords2d.shape[0]
        loss_sum += float(losses['loss']) * b
        count += b
        has3d = batch['has_3d']
        if has3d.any():
            rot = batch['rot_to_camera'][has3d]  # crop frame → camera frame: p = Rᵀ p_crop
            preds.append((pred_abs[has3d] @ rot).cpu().numpy())
            trues.append((batch['coords3d'][has3d] @ rot).cpu().numpy())
            valids.append(batch['joint_valid'][has3d].cpu().numpy())
    model.train()
    result = {'val_loss': loss_sum / max(count, 1), 'val_examples': count}
    if preds:
        pred, true, valid = np.concatenate(preds), np.concatenate(trues), np.concatenate(valids)
        result.update({f'val_{k}': v for k, v in pose_metrics(pred, true, valid).items()})
        result['val_bone_ratio'] = bone_length_ratio(pred, true, valid, dataset.split.skeleton.edges)
    return result


@torch.no_grad()
def validate_2d(model: MetrabsNet, dataset: PoseDataset, joint_map: torch.Tensor, cfg: TrainConfig,
                device: torch.device, max_examples: int) -> dict[str, float]:
    """PCK@0.2·torso of a 2D dataset's validation crops (no augmentation): the absolute
    prediction projected into the crop and mapped to the dataset's skeleton, as in the 2D loss.
    Unsupervised joints (jointmap.py) are scored too: this measures, it does not train."""
    model.eval()
    n = len(dataset) if max_examples <= 0 else min(len(dataset), max_examples)
    preds, trues, valids = [], [], []
    for batch in make_loader(dataset, cfg.batch_size, workers=0, indices=list(range(n))):
        batch = to_device(batch, device)
        coords2d, coords3d = model(batch['image'])
        pred_abs = reconstruct(coords2d, coords3d, batch['intrinsics'], model_cfg=cfg.model,
                               loss_cfg=cfg.loss)
        pred2d = torch.einsum('kj,bjc->bkc', joint_map, ptgeometry.project_pose(pred_abs, batch['intrinsics']))
        preds.append(pred2d.cpu().numpy())
        trues.append(batch['coords2d'].cpu().numpy())
        valids.append(batch['joint_valid'].cpu().numpy())
    model.train()
    metrics = pck_torso(np.concatenate(preds), np.concatenate(trues), np.concatenate(valids),
                        list(dataset.split.skeleton.joint_names))
    return {f'val2d_{k}': v for k, v in metrics.items()}


@dataclasses.dataclass
class Mixed2d:
    """The 2D dataset mixed into training: its splits (no training split when batch_size_2d is
    0: validation only), the map from the network's joints to its skeleton and the mask of the
    joints its labels supervise (jointmap.py)."""
    train_set: PoseDataset | None
    val_set: PoseDataset | None
    joint_map: torch.Tensor
    supervised: torch.Tensor


def open_mixed_2d(cfg: TrainConfig, network_skeleton, device: torch.device) -> Mixed2d:
    data = open_dataset(cfg.dataset2d)
    data_cfg = dataclasses.replace(cfg.data, occlude_prob=cfg.data.occlude_prob_2d)
    train_set = (PoseDataset(data, cfg.train_split_2d, data_cfg, skeleton=data.skeleton, train=True,
                             seed=cfg.seed)
                 if cfg.batch_size_2d > 0 else None)
    val_set = (PoseDataset(data, cfg.validation_split_2d, data_cfg, skeleton=data.skeleton,
                           train=False, seed=cfg.seed)
               if cfg.validation_split_2d in data.splits else None)
    joint_map = torch.tensor(two_d_like_matrix(network_skeleton, data.skeleton), dtype=torch.float32)
    supervised = torch.from_numpy(supervised_mask(data.skeleton))
    return Mixed2d(train_set, val_set, joint_map.to(device), supervised.to(device))


def warm_start(model: MetrabsNet, cfg: TrainConfig) -> list[dict[str, Any]]:
    """Loads `cfg.init_weights` into `model`; returns the training runs behind those weights."""
    init = load_weights(Path(cfg.init_weights))
    ours = {k: v for k, v in to_dict(cfg)['model'].items() if k != 'backbone_weights'}
    theirs = {k: v for k, v in init['model_config'].items() if k != 'backbone_weights'}
    if ours != theirs:
        diff = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
        raise ValueError(f'{cfg.init_weights} has a different model config ({", ".join(diff)}); '
                         'warm starts need the same architecture')
    model.load_state_dict(init['model'])
    print(f'warm start from {cfg.init_weights} '
          f'({sum(r.get("steps", 0) for r in init["history"])} steps of earlier training)', file=sys.stderr)
    return init['history']


def _append_jsonl(path: Path, record: dict[str, Any]) -> None:
    with path.open('a') as f:
        f.write(json.dumps(record) + '\n')


def train(cfg: TrainConfig, out_dir: str | Path, *, stop_after: int | None = None,
          show_progress: bool = True) -> dict[str, Any]:
    """Trains (or resumes) in `out_dir`; stops at `cfg.steps`, or after `stop_after` more
    steps (then saves a checkpoint). Returns the last logged record."""
    if cfg.batch_size_2d > 0 and not cfg.dataset2d:
        raise ValueError(f'batch_size_2d is {cfg.batch_size_2d} but there is no 2D dataset: '
                         '--set dataset2d=DIR (e.g. LSPET converted by python -m metrabs_train.lspet), '
                         'or --set batch_size_2d=0 for 3D data only')
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    threads = set_threads()
    rank, world = _distributed()
    device = _device(rank)
    is_main = rank == 0

    data = open_dataset(cfg.dataset)
    skeleton = data.skeleton
    train_set = PoseDataset(data, cfg.train_split, cfg.data, skeleton=skeleton, train=True, seed=cfg.seed)
    val_set = (PoseDataset(data, cfg.validation_split, cfg.data, skeleton=skeleton, train=False, seed=cfg.seed)
               if cfg.validation_split in data.splits else None)

    if is_main:
        print(f'{cfg.train_split}: {len(train_set)} people ({train_set.split.skipped.summary()})',
              file=sys.stderr)
    mixed = open_mixed_2d(cfg, skeleton, device) if cfg.dataset2d else None
    if is_main and mixed and mixed.train_set:
        print(f'2D data {cfg.dataset2d} {cfg.train_split_2d}: {len(mixed.train_set)} people, '
              f'{cfg.batch_size_2d} per step beside {cfg.batch_size} 3D', file=sys.stderr)
    torch.manual_seed(cfg.seed)
    # channels-last weights match the NHWC input's layout (the fast path of oneDNN on CPU).
    model = MetrabsNet(cfg.model, num_joints=len(skeleton['joint_names'])).to(
        device, memory_format=torch.channels_last)
    optimizer, scheduler = build_optimizer(model, cfg)
    step = 0
    ckpt_path = out / 'checkpoint.pt'
    if ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path)
        if ckpt['config']['model'] != to_dict(cfg)['model']:
            raise ValueError(f'{ckpt_path} was trained with a different model config; '
                             'use a new output directory or the same config')
        model.load_state_dict(ckpt['model'])
        optimizer.load_state_dict(ckpt['optimizer'])
        scheduler.load_state_dict(ckpt['scheduler'])
        step = ckpt['step']
        history = ckpt.get('history', [])
        set_rng_state(ckpt['rng'])
        if is_main:
            print(f'resuming from {ckpt_path} at step {step}', file=sys.stderr)
    else:
        history = warm_start(model, cfg) if cfg.init_weights else []
        if is_main:
            (out / 'config.yaml').write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))

    net: torch.nn.Module = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model)

    # The example stream position is derived from the step, so a resume continues exactly.
    sampler = ResumableSampler(len(train_set), seed=cfg.seed,
                               start=step * cfg.batch_size * world + rank, step=world)
    loader = make_loader(train_set, cfg.batch_size, workers=resolved_workers(cfg), sampler=sampler)
    batches = iter(loader)
    batches_2d = None
    if mixed and mixed.train_set:
        sampler_2d = ResumableSampler(len(mixed.train_set), seed=cfg.seed,
                                      start=step * cfg.batch_size_2d * world + rank, step=world)
        batches_2d = iter(make_loader(mixed.train_set, cfg.batch_size_2d,
                                      workers=resolved_workers(cfg), sampler=sampler_2d))

    amp_dtype = {'bf16': torch.bfloat16, 'fp16': torch.float16}.get(cfg.amp)
    scaler = torch.cuda.amp.GradScaler(enabled=cfg.amp == 'fp16' and device.type == 'cuda')
    log_path, val_path = out / 'log.jsonl', out / 'validation.jsonl'
    last_step = cfg.steps if stop_after is None else min(cfg.steps, step + stop_after)
    progress = Progress(last_step, step) if (is_main and show_progress) else None
    stop_requested = False

    def request_stop(signum, frame):  # finish the step, checkpoint, exit
        nonlocal stop_requested
        stop_requested = True

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}

    def checkpoint(path: Path = ckpt_path) -> None:
        if is_main:
            save_checkpoint(path, dict(
                model=model.state_dict(), optimizer=optimizer.state_dict(),
                scheduler=scheduler.state_dict(), step=step, rng=rng_state(),
                config=to_dict(cfg), skeleton=skeleton, history=history))
            plot_curves(log_path, val_path, out / 'curves.png')

    record: dict[str, Any] = {}
    window_images, window_time, window_data_time = 0, 0.0, 0.0
    load_retries = 0
    model.train()
    try:
        while step < last_step and not stop_requested:
            t0 = time.time()
            batch = to_device(next(batches), device)
            load_retries += int(batch['load_retries'].sum())
            images = batch['image']
            batch_2d = None
            if batches_2d is not None:
                batch_2d = to_device(next(batches_2d), device)
                batch_2d['joint_valid'] = batch_2d['joint_valid'] & mixed.supervised
                images = torch.cat([images, batch_2d['image']])
            t1 = time.time()
            autocast = (torch.autocast(device.type, dtype=amp_dtype) if amp_dtype is not None
                        else contextlib.nullcontext())
            with autocast:
                coords2d, coords3d = net(images)
            losses, _ = training_losses(coords2d.float(), coords3d.float(), batch,
                                        model_cfg=cfg.model, loss_cfg=cfg.loss, step=step,
                                        batch2d=batch_2d, joint_map_2d=mixed.joint_map if mixed else None)
            loss = losses['loss']
            if not torch.isfinite(loss):
                raise FloatingPointError(f'non-finite loss at step {step}: {losses}')
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            grad_norm = (torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip_norm)
                         if cfg.optim.grad_clip_norm > 0 else torch.tensor(0.0))
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            step += 1
            t2 = time.time()
            window_images += coords2d.shape[0] * world
            window_time += t2 - t0
            window_data_time += t1 - t0

            if is_main and (step % cfg.log_every == 0 or step == last_step):
                record = dict(step=step, **{k: float(v) for k, v in losses.items()},
                              lr=scheduler.get_last_lr()[0], grad_norm=float(grad_norm),
                              images_per_s=window_images / window_time,
                              data_fraction=window_data_time / window_time,
                              skipped_records=train_set.split.skipped.total,
                              replaced_images=load_retries, threads=threads, time=time.time())
                _append_jsonl(log_path, record)
                if progress:
                    progress.update(step, record['loss'], record['images_per_s'])
                window_images, window_time, window_data_time = 0, 0.0, 0.0
            if is_main and val_set is not None and (step % cfg.validate_every == 0 or step == cfg.steps):
                _append_jsonl(val_path, dict(step=step, **validate(
                    model, val_set, cfg, device, cfg.validation_examples), **(validate_2d(
                        model, mixed.val_set, mixed.joint_map, cfg, device, cfg.validation_examples)
                        if mixed and mixed.val_set else {})))
                # A copy per validation, so the run's best checkpoint by these numbers (not
                # the last one) can be exported: `export OUT/checkpoint-000600.pt`.
                checkpoint(out / f'checkpoint-{step:06d}.pt')
            if step % cfg.checkpoint_every == 0:
                checkpoint()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if progress:
            progress.close()
    checkpoint()
    return record
