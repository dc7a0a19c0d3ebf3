"""End-to-end check of the BlazePose baseline on the first 5 test images of synth-v1.

Needs the baseline's own environment (setup.sh) and the dataset at /work/data/synth-v1 (or
$METRABS_SYNTH_DATASET); without either it skips with the reason — in CI too, where neither
exists. Collected by training/run-tests.sh (pytest in training/), which runs it on the
trainer's Python: this file imports nothing beyond the standard library and pytest, and runs
the baseline in a subprocess with the baseline's interpreter.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
VENV_PYTHON = HERE / '.venv' / 'bin' / 'python'
DATASET = Path(os.environ.get('METRABS_SYNTH_DATASET', '/work/data/synth-v1'))
LIMIT = 5


def first_labels(dataset: Path, split: str, limit: int) -> list[dict]:
    manifest = json.loads((dataset / 'manifest.json').read_text())
    out = []
    for shard in manifest['splits'][split]['shards']:
        with tarfile.open(dataset / shard['path']) as tar:
            for member in tar:
                if member.name.endswith('.json'):
                    out.append(json.loads(tar.extractfile(member).read()))
                    if len(out) == limit:
                        return out
    return out


@pytest.fixture(scope='module')
def predictions(tmp_path_factory):
    if not VENV_PYTHON.exists():
        pytest.skip(f'no BlazePose environment at {VENV_PYTHON.parent.parent} '
                    f'(run training/baselines/blazepose/setup.sh)')
    if not (DATASET / 'manifest.json').exists():
        pytest.skip(f'dataset missing: {DATASET} (set METRABS_SYNTH_DATASET)')
    out = tmp_path_factory.mktemp('blazepose') / 'pred.jsonl'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [str(VENV_PYTHON), str(HERE / 'run_blazepose.py'), '--dataset', str(DATASET),
         '--split', 'test', '--out', str(out), '--limit', str(LIMIT)],
        capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = out.read_text().splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


def test_header(predictions):
    header, _ = predictions
    assert header['format'] == 'metrabs-baseline-predictions'
    assert header['version'] == 1
    assert header['split'] == 'test'
    assert header['dataset'] == str(DATASET.resolve())
    assert 'pose_landmark_full.tflite' in header['model'] and '0.10.14' in header['model']
    assert header['joint_names'] == [
        'nose', 'leye', 'reye', 'lear', 'rear', 'lsho', 'rsho', 'lelb', 'relb', 'lwri', 'rwri',
        'lhip', 'rhip', 'lkne', 'rkne', 'lank', 'rank']
    assert header['crop']['margin'] == 1.25
    assert header['joints2d_frame'] == 'full-image pixels'
    assert 'mm' in header['joints3d_frame']


def test_one_line_per_person(predictions):
    _, rows = predictions
    labels = first_labels(DATASET, 'test', LIMIT)
    expected = [(lab['key'], i) for lab in labels for i in range(len(lab['people']))]
    assert [(r['key'], r['person']) for r in rows] == expected


def test_predictions(predictions):
    _, rows = predictions
    labels = {lab['key']: lab for lab in first_labels(DATASET, 'test', LIMIT)}
    detected = [r for r in rows if r['detected']]
    assert detected, 'BlazePose found nobody in the first test images'
    near = total = 0
    for r in rows:
        if 'skipped' not in r:  # a person whose box is unusable gets no crop and no time
            assert isinstance(r['ms'], (int, float)) and r['ms'] > 0
        if not r['detected']:
            assert r['joints3d'] is None and r['joints2d'] is None and r['visibility'] is None
    for r in detected:
        j3d, j2d, vis = r['joints3d'], r['joints2d'], r['visibility']
        assert len(j3d) == len(j2d) == len(vis) == 17
        assert all(len(p) == 3 for p in j3d) and all(len(p) == 2 for p in j2d)
        assert all(math.isfinite(c) for p in j3d + j2d for c in p)
        assert all(0 <= v <= 1 for v in vis)
        # World joints: metres → mm, origin at the hips' midpoint (lhip = 11, rhip = 12).
        mid = [(a + b) / 2 for a, b in zip(j3d[11], j3d[12])]
        assert max(abs(c) for c in mid) < 1.0
        extent = max(abs(c) for p in j3d for c in p)
        assert 100 < extent < 2000, extent  # a person in mm, not metres
        # 2D in full-image pixels: near the person's (visible-pixel) box. BlazePose extrapolates
        # truncated and occluded limbs, so single joints may lie well outside it.
        x, y, w, h = labels[r['key']]['people'][r['person']]['box']
        side = max(w, h)
        outside = [max(x - u, u - (x + w), y - v, v - (y + h)) / side for u, v in j2d]
        assert max(outside) < 5, (r['key'], r['person'], j2d)
        near += sum(o <= 0.25 for o in outside)
        total += len(outside)
    assert near >= 0.8 * total, f'only {near} of {total} 2D joints near their box'
