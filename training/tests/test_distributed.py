"""DistributedDataParallel on CPU (gloo): two processes train together, as under torchrun."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from metrabs_train.toydata import make_toy_dataset


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_process_ddp_training(tmp_path):
    make_toy_dataset(tmp_path / 'toy', {'train': 8}, seed=4, shard_size=8)
    port = str(_free_port())
    args = [sys.executable, '-m', 'metrabs_train', 'train', '--out', str(tmp_path / 'run'),
            '--set', f'dataset={tmp_path / "toy"}', '--set', 'model.backbone=mobilenet_v3_small',
            '--set', 'model.width_mult=0.5', '--set', 'model.proc_side=64', '--set', 'steps=3',
            '--set', 'batch_size=2', '--set', 'log_every=1', '--set', 'workers=0']
    procs = []
    for rank in (0, 1):
        env = dict(os.environ, MASTER_ADDR='127.0.0.1', MASTER_PORT=port, WORLD_SIZE='2',
                   RANK=str(rank), LOCAL_RANK=str(rank), OMP_NUM_THREADS='1')
        procs.append(subprocess.Popen(args, env=env, cwd=Path(__file__).parents[1],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [p.communicate(timeout=240) for p in procs]
    for p, (_, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-2000:]
    log = [json.loads(line) for line in (tmp_path / 'run' / 'log.jsonl').read_text().splitlines()]
    assert [r['step'] for r in log] == [1, 2, 3]  # only rank 0 logs
    assert (tmp_path / 'run' / 'checkpoint.pt').exists()
