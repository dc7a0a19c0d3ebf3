"""Shared pytest setup: import path, torch threads, repo paths."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch

TRAINING = Path(__file__).resolve().parents[1]
REPO = TRAINING.parent
sys.path.insert(0, str(TRAINING))
torch.set_num_threads(os.cpu_count() or 1)


@pytest.fixture(scope='session')
def golden() -> dict:
    import json
    return json.loads((REPO / 'fixtures' / 'golden' / 'geometry.json').read_text())
