"""Training configuration: one dataclass tree, loadable from YAML or JSON and overridable
from the command line with dotted keys (`--set model.backbone=resnet18`)."""
from __future__ import annotations

import dataclasses
import json
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .data import DataConfig
from .losses import LossConfig
from .model import ModelConfig


@dataclass
class OptimConfig:
    #: Peak learning rate [base_learning_rate].
    learning_rate: float = 2.121e-4
    #: Weight decay as the reference states it; the per-step decoupled decay applied is
    #: weight_decay / sqrt(total steps) · lr / learning_rate.
    weight_decay: float = 3e-3
    #: Linear warm-up steps.
    warmup_steps: int = 500
    #: Clip the global gradient norm (0 disables).
    grad_clip_norm: float = 10.0


@dataclass
class TrainConfig:
    #: Dataset directory (docs/dataset-format.md).
    dataset: str = ''
    train_split: str = 'train'
    validation_split: str = 'validation'
    #: A dataset of 2D-only people in another skeleton (e.g. LSPET, `python -m
    #: metrabs_train.lspet`), mixed into every step as the reference mixes 2D data ('' = none);
    #: with batch_size_2d = 0 only its validation split is used (2D validation metrics).
    dataset2d: str = ''
    train_split_2d: str = 'train'
    validation_split_2d: str = 'validation'
    steps: int = 10000
    #: Examples of `dataset` per step.
    batch_size: int = 32
    #: Examples of `dataset2d` per step, in addition to `batch_size` (the reference: 32 + 32).
    batch_size_2d: int = 0
    #: DataLoader worker processes (0 = load in the training process; -1 = auto: 0 on machines
    #: with ≤ 2 cores, where workers only compete with training for the CPU — measured in
    #: training/bench/throughput.py — else min(cores − 1, 8)).
    workers: int = -1
    seed: int = 1
    log_every: int = 20
    validate_every: int = 1000
    #: Number of validation examples used at each validation (0 = all).
    validation_examples: int = 500
    checkpoint_every: int = 500
    #: Mixed precision of the forward pass: 'bf16' (CUDA, or CPUs with AVX512-BF16/AMX), 'fp16'
    #: (CUDA only) or '' for off.
    amp: str = ''
    #: Warm start: network weights to begin from instead of the backbone initialisation — a
    #: model package's `weights.pt` (export --weights) or a run's `checkpoint.pt`. Only the
    #: weights are taken (optimiser, schedule and data position start afresh); ignored when
    #: the output directory already holds a checkpoint (that run resumes instead).
    init_weights: str = ''
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)

    def __post_init__(self) -> None:
        # The crop side is the network's input size: one setting, model.proc_side.
        self.data.proc_side = self.model.proc_side


def _from_dict(cls, values: dict[str, Any]):
    kwargs = {}
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    for key, value in values.items():
        if key not in fields:
            raise ValueError(f'unknown config key {key!r} for {cls.__name__}; '
                             f'known: {", ".join(sorted(fields))}')
        sub = _nested_class(cls, key)
        kwargs[key] = _from_dict(sub, value) if sub is not None else _coerce(value, hints[key], key)
    return cls(**kwargs)


def _coerce(value: Any, hint: Any, key: str) -> Any:
    """Numbers written in forms YAML reads as text (e.g. 1e-3) become the field's type."""
    try:
        if hint is float and isinstance(value, (int, str)) and not isinstance(value, bool):
            return float(value)
        if hint is int and isinstance(value, str):
            return int(value)
    except ValueError:
        raise ValueError(f'config key {key!r} needs a number, got {value!r}') from None
    return value


def _nested_class(cls, key: str):
    default = next(f for f in dataclasses.fields(cls) if f.name == key).default_factory
    if default is not dataclasses.MISSING:
        value = default()
        if dataclasses.is_dataclass(value):
            return type(value)
    return None


def _parse_value(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def apply_overrides(values: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Applies `a.b=c` overrides to a nested dict (values parsed as YAML scalars)."""
    for item in overrides:
        if '=' not in item:
            raise ValueError(f'override {item!r} must look like key=value (e.g. model.backbone=resnet18)')
        key, text = item.split('=', 1)
        target = values
        *path, last = key.strip().split('.')
        for part in path:
            target = target.setdefault(part, {})
        target[last] = _parse_value(text)
    return values


def load_config(path: str | None = None, overrides: list[str] | None = None) -> TrainConfig:
    values: dict[str, Any] = {}
    if path:
        text = Path(path).read_text()
        values = (json.loads(text) if path.endswith('.json') else yaml.safe_load(text)) or {}
    values = apply_overrides(values, overrides or [])
    if 'proc_side' in values.get('data', {}):
        raise ValueError('set the crop side with model.proc_side (data.proc_side follows it)')
    cfg = _from_dict(TrainConfig, values)
    validate(cfg)
    return cfg


def validate(cfg: TrainConfig) -> None:
    m = cfg.model
    if not 64 <= m.proc_side <= 512:
        raise ValueError(f'model.proc_side must be in 64…512, got {m.proc_side}')
    if m.proc_side % m.stride_train:
        raise ValueError(f'model.proc_side ({m.proc_side}) must be a multiple of the stride ({m.stride_train})')
    if cfg.batch_size < 1 or cfg.steps < 1:
        raise ValueError('batch_size and steps must be positive')
    if cfg.batch_size_2d < 0:
        raise ValueError(f'batch_size_2d must be >= 0, got {cfg.batch_size_2d}')


def resolved_workers(cfg: TrainConfig) -> int:
    if cfg.workers >= 0:
        return cfg.workers
    cores = os.cpu_count() or 1
    return 0 if cores <= 2 else min(cores - 1, 8)


def to_dict(cfg: TrainConfig) -> dict[str, Any]:
    return dataclasses.asdict(cfg)
