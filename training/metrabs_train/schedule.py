"""Learning-rate schedule: linear warm-up, then the reference's two-phase exponential decay
(to 1/3 over the first 92 % of steps, then from 1/30 decaying by 0.3 over the rest)."""
from __future__ import annotations


def lr_factor(step: int, total_steps: int, warmup_steps: int) -> float:
    """Multiplier of the peak learning rate at `step` (0-based)."""
    phase1 = 0.92 * total_steps
    if step < phase1:
        factor = (1 / 3) ** (step / phase1)
    else:
        phase2 = max(total_steps - phase1, 1)
        factor = (1 / 30) * 0.3 ** ((step - phase1) / phase2)
    if warmup_steps > 0 and step < warmup_steps:
        factor *= (step + 1) / warmup_steps
    return factor
