"""Checkpoints that resume exactly: model, optimiser, scheduler, step, data position and all
random number generator states. Written atomically (temporary file, then rename)."""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch


def rng_state() -> dict[str, Any]:
    return dict(python=random.getstate(), numpy=np.random.get_state(), torch=torch.get_rng_state())


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + '.tmp')
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict[str, Any]:
    try:
        return torch.load(path, map_location='cpu')
    except Exception as e:  # a truncated or foreign file
        raise RuntimeError(f'cannot read checkpoint {path}: {e}') from e


def save_weights(path: Path, *, model_state: dict[str, torch.Tensor], model_config: dict[str, Any],
                 skeleton: dict[str, Any], history: list[dict[str, Any]]) -> None:
    """The network weights alone (float16, half the size), for a later warm start: what a
    model package ships so that training can continue in another session or on another
    machine. `history` lists the training runs behind these weights, oldest first."""
    half = {k: (v.half() if v.is_floating_point() else v) for k, v in model_state.items()}
    save_checkpoint(path, dict(kind='metrabs-weights', model=half, model_config=model_config,
                               skeleton=skeleton, history=history))


def load_weights(path: Path) -> dict[str, Any]:
    """Weights for a warm start from `weights.pt` or a full `checkpoint.pt`, as
    {model (float32 state dict), model_config, skeleton, history}."""
    payload = load_checkpoint(path)
    if not isinstance(payload, dict) or 'model' not in payload:
        raise RuntimeError(f'{path} holds no network weights (expected weights.pt or checkpoint.pt)')
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in payload['model'].items()}
    if payload.get('kind') == 'metrabs-weights':
        return dict(model=state, model_config=payload['model_config'], skeleton=payload['skeleton'],
                    history=list(payload.get('history', [])))
    config = payload.get('config', {})
    return dict(model=state, model_config=config.get('model', {}), skeleton=payload.get('skeleton'),
                history=runs_behind(payload))


def runs_behind(ckpt: dict[str, Any]) -> list[dict[str, Any]]:
    """Every training run behind a run's checkpoint, oldest first: the runs it was warm-started
    from, then itself (steps, dataset)."""
    config = ckpt.get('config', {})
    this_run = dict(steps=ckpt.get('step', 0), dataset=config.get('dataset', ''))
    if config.get('batch_size_2d'):  # 2D data mixed in: which, and how many per step
        this_run.update(dataset2d=config['dataset2d'], batch_size=config['batch_size'],
                        batch_size_2d=config['batch_size_2d'])
    return list(ckpt.get('history', [])) + [this_run]
