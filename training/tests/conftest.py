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


SHARED_DATA = REPO.parent / 'shared' / 'data'


@pytest.fixture(scope='session')
def shared_file():
    """`shared_file('real/x.jpg')` → the path below ../shared/data. Missing files skip the test
    with the reason, except in CI (`CI=true`), where they fail it (the project's rule)."""
    def get(relative: str) -> Path:
        path = SHARED_DATA / relative
        if not path.exists():
            message = f'shared data missing: {path}'
            if os.environ.get('CI') == 'true':
                pytest.fail(message)
            pytest.skip(message)
        return path
    return get
