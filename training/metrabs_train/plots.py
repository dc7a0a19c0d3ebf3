"""Loss and validation curves as a PNG (matplotlib, no display needed)."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def plot_curves(log_path: Path, val_path: Path, out_path: Path) -> None:
    log, val = _read(log_path), _read(val_path)
    if not log:
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    steps = [r['step'] for r in log]
    for key in ('loss', 'loss3d_rel', 'loss3d_proj', 'loss3d_abs', 'loss2d'):
        if key in log[0]:
            axes[0].plot(steps, [r[key] for r in log], label=key)
    axes[0].set_yscale('log')
    axes[0].set_xlabel('step')
    axes[0].set_title('training losses (m)')
    axes[0].legend()
    if val and 'val_mpjpe' in val[0]:
        vsteps = [r['step'] for r in val]
        for key in ('val_mpjpe', 'val_pa_mpjpe', 'val_mrpe'):
            axes[1].plot(vsteps, [r[key] for r in val], marker='o', label=key)
        axes[1].set_ylabel('mm')
        axes[1].legend()
    axes[1].set_xlabel('step')
    axes[1].set_title('validation')
    fig.tight_layout()
    fig.savefig(out_path, dpi=90)
    plt.close(fig)
