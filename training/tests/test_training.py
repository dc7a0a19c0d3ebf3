"""End-to-end training on a small fixed toy dataset: the loss falls, a resumed run continues
exactly like an uninterrupted one, bad records are skipped, and evaluation runs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from metrabs_train.checkpoint import load_checkpoint
from metrabs_train.config import load_config
from metrabs_train.evaluate import evaluate
from metrabs_train.toydata import make_toy_dataset
from metrabs_train.train import train


@pytest.fixture(scope='module')
def toy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('toy')
    make_toy_dataset(root, {'train': 16, 'validation': 8, 'test': 8}, seed=3, shard_size=8)
    return root


def _config(dataset: Path, **overrides):
    values = {
        'dataset': str(dataset), 'steps': 100, 'batch_size': 8, 'workers': 0, 'seed': 5,
        'log_every': 1, 'validate_every': 1000, 'validation_examples': 8, 'checkpoint_every': 1000,
        'model.backbone': 'mobilenet_v3_small', 'model.width_mult': 0.5, 'model.proc_side': 96,
        'optim.learning_rate': 2e-3, 'optim.warmup_steps': 5,
        'loss.weak_perspective_steps': 10, 'loss.absloss_start_step': 20,
        'data.geom_aug': False, 'data.occlude_prob': 0.0, 'data.color_aug': False,
        'data.partial_visibility_prob': 0.0, 'data.blur_prob': 0.0, 'data.noise_prob': 0.0,
    }
    values.update(overrides)
    return load_config(None, [f'{k}={v}' for k, v in values.items()])


def _log(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / 'log.jsonl').read_text().splitlines()]


def test_loss_falls_on_a_small_fixed_dataset(toy, tmp_path):
    # 100 steps on 16 people, no augmentation. Measured: total loss 1.96 → 0.84, the
    # root-relative part 0.210 → 0.164 (means of the first and last 10 steps).
    train(_config(toy), tmp_path / 'run', show_progress=False)
    log = _log(tmp_path / 'run')

    def first_last(key):
        values = [r[key] for r in log]
        return sum(values[:10]) / 10, sum(values[-10:]) / 10

    first, last = first_last('loss')
    assert last < 0.6 * first, (first, last)
    first, last = first_last('loss3d_rel')
    assert last < 0.9 * first, (first, last)
    assert (tmp_path / 'run' / 'curves.png').stat().st_size > 1000
    assert (tmp_path / 'run' / 'checkpoint.pt').exists()


@pytest.mark.parametrize('workers', [0, 2])
def test_resume_reproduces_an_uninterrupted_run(toy, tmp_path, workers):
    cfg = _config(toy, steps=6, workers=workers, **{'data.geom_aug': True, 'data.occlude_prob': 0.5})
    train(cfg, tmp_path / 'straight', show_progress=False)
    train(cfg, tmp_path / 'resumed', stop_after=3, show_progress=False)
    assert [r['step'] for r in _log(tmp_path / 'resumed')] == [1, 2, 3]
    train(cfg, tmp_path / 'resumed', show_progress=False)
    straight, resumed = _log(tmp_path / 'straight'), _log(tmp_path / 'resumed')
    assert [r['step'] for r in resumed] == [1, 2, 3, 4, 5, 6]
    for a, b in zip(straight, resumed):
        assert a['loss'] == pytest.approx(b['loss'], rel=1e-6, abs=1e-9), (a['step'], a['loss'], b['loss'])


@pytest.fixture(scope='module')
def lsp_like(tmp_path_factory) -> Path:
    """A 2D-only dataset in the lsp_14 skeleton: the toy people's labels converted to it."""
    import numpy as np

    from metrabs_train.dataset import Skeleton, open_dataset, write_dataset
    from metrabs_train.jointmap import two_d_like_matrix
    root = tmp_path_factory.mktemp('toy')
    make_toy_dataset(root / 'src', {'train': 12, 'validation': 6}, seed=4, shard_size=6)
    source = open_dataset(root / 'src')
    lsp = Skeleton.from_registry('lsp_14')
    W = two_d_like_matrix(source.skeleton, lsp)
    for split in ('train', 'validation'):
        people = source.split(split)
        examples = []
        for person in people:
            labels = people.read_labels(person)
            p = labels['people'][person.person_index]
            examples.append(dict(key=f'{len(examples):04d}', image=people.read_image_bytes(person), image_ext='jpg',
                                 width=labels['image']['width'], height=labels['image']['height'],
                                 camera=labels['camera'],
                                 people=[dict(box=p['box'], joints3d=None, joints2d=W @ np.array(p['joints2d']),
                                              joint_valid=[1] * 14)]))
        write_dataset(root / 'lsp', 'lsp-like', lsp, examples, split, 6)
    return root / 'lsp'


def test_mixed_2d_training_resumes_exactly_and_validates_2d(toy, lsp_like, tmp_path):
    cfg = _config(toy, steps=6, batch_size=4, batch_size_2d=4, dataset2d=str(lsp_like),
                  validate_every=3, **{'data.geom_aug': True, 'data.occlude_prob': 0.5})
    train(cfg, tmp_path / 'straight', show_progress=False)
    train(cfg, tmp_path / 'resumed', stop_after=3, show_progress=False)
    train(cfg, tmp_path / 'resumed', show_progress=False)
    straight, resumed = _log(tmp_path / 'straight'), _log(tmp_path / 'resumed')
    assert [r['step'] for r in resumed] == [1, 2, 3, 4, 5, 6]
    for a, b in zip(straight, resumed):
        assert a['loss'] == pytest.approx(b['loss'], rel=1e-6, abs=1e-9), a['step']
        assert a['loss2d'] > 0 and a['loss'] == pytest.approx(a['loss3d'] + 0.2 * a['loss2d'], rel=1e-5)
        assert a['images_per_s'] > 0
    val = [json.loads(line) for line in (tmp_path / 'straight' / 'validation.jsonl').read_text().splitlines()]
    assert [v['step'] for v in val] == [3, 6]
    kept = sorted(p.name for p in (tmp_path / 'straight').glob('checkpoint-*.pt'))
    assert kept == ['checkpoint-000003.pt', 'checkpoint-000006.pt']
    assert load_checkpoint(tmp_path / 'straight' / kept[0])['step'] == 3
    assert 0 <= val[-1]['val2d_pck'] <= 1 and val[-1]['val2d_people'] == 8  # validation_examples
    assert 0 < val[-1]['val_bone_ratio'] < 10


def test_a_2d_batch_needs_a_2d_dataset(toy, tmp_path):
    with pytest.raises(ValueError, match='dataset2d'):
        train(_config(toy, batch_size_2d=4), tmp_path / 'run', show_progress=False)
    assert not (tmp_path / 'run').exists()


def test_a_different_model_config_refuses_to_resume(toy, tmp_path):
    train(_config(toy, steps=1), tmp_path / 'run', show_progress=False)
    with pytest.raises(ValueError, match='different model config'):
        train(_config(toy, steps=2, **{'model.depth': 4}), tmp_path / 'run', show_progress=False)


def test_evaluate_reports_metrics_and_breakdowns(toy, tmp_path):
    train(_config(toy, steps=2), tmp_path / 'run', show_progress=False)
    result = evaluate(tmp_path / 'run' / 'checkpoint.pt', toy, 'test')
    assert result['people'] > 0
    for key in ('mpjpe', 'pa_mpjpe', 'pck', 'auc', 'mrpe', 'mrpe_z'):
        assert result['all'][key] == result['all'][key]  # not NaN
    assert 0 <= result['all']['pck'] <= 1


def test_unknown_config_keys_and_missing_datasets_fail_clearly(toy, tmp_path):
    with pytest.raises(ValueError, match='unknown config key'):
        load_config(None, ['model.backbonez=resnet18'])
    with pytest.raises(ValueError, match='key=value'):
        load_config(None, ['model.backbone'])
    with pytest.raises(Exception, match='manifest'):
        train(_config(tmp_path / 'nowhere', steps=1), tmp_path / 'run', show_progress=False)


def test_bad_records_are_skipped_and_counted_not_fatal(tmp_path):
    from metrabs_train.dataset import Skeleton, write_dataset
    from metrabs_train.toydata import generate_examples

    examples = list(generate_examples(10, seed=11))
    height, width = examples[2]['image'].shape[:2]
    examples[2].update(image=b'\xff\xd8\xff\xe0' + b'garbage' * 50,  # JPEG header, undecodable body
                       image_ext='jpg', height=height, width=width)
    for person in examples[5]['people']:
        person['box'] = [10.0, 10.0, 0.0, 0.0]  # an empty box: skipped when indexing
    write_dataset(tmp_path / 'data', 'bad', Skeleton.from_registry(), iter(examples), 'train', shard_size=5)
    cfg = _config(tmp_path / 'data', steps=4, validation_split='none', log_every=4)
    train(cfg, tmp_path / 'run', show_progress=False)
    record = _log(tmp_path / 'run')[-1]
    assert record['step'] == 4
    assert record['skipped_records'] >= 1
    assert record['replaced_images'] >= 1


def test_the_crop_side_has_one_setting(toy):
    cfg = _config(toy, **{'model.proc_side': 128})
    assert cfg.data.proc_side == 128
    with pytest.raises(ValueError, match='model.proc_side'):
        load_config(None, ['data.proc_side=160'])


@pytest.mark.parametrize('path', sorted((Path(__file__).parents[1] / 'configs').glob('*.yaml')))
def test_shipped_configs_load(path):
    cfg = load_config(str(path), ['dataset=/somewhere'])
    assert cfg.data.proc_side == cfg.model.proc_side


def test_numbers_in_any_notation_are_coerced_and_bad_ones_explained():
    assert load_config(None, ['optim.learning_rate=1e-3']).optim.learning_rate == pytest.approx(1e-3)
    with pytest.raises(ValueError, match='needs a number'):
        load_config(None, ['optim.learning_rate=fast'])


def test_command_line_help_and_exit_codes(tmp_path):
    import subprocess
    import sys

    def run(*args):
        return subprocess.run([sys.executable, '-m', 'metrabs_train', *args], capture_output=True,
                              text=True, cwd=Path(__file__).parents[1])

    for command in ([], ['train'], ['export'], ['evaluate']):
        result = run(*command, '--help')
        assert result.returncode == 0 and 'usage' in result.stdout
    missing = run('train', '--set', f'dataset={tmp_path}/nothing', '--out', str(tmp_path / 'run'))
    assert missing.returncode == 2 and 'error:' in missing.stderr and 'manifest' in missing.stderr
    assert 'Traceback' not in missing.stderr
    no_data = run('train', '--out', str(tmp_path / 'run'))
    assert no_data.returncode == 2 and 'no dataset' in no_data.stderr


def test_warm_start_continues_from_exported_weights(toy, tmp_path):
    import torch

    from metrabs_train.checkpoint import load_checkpoint
    from metrabs_train.export import export_package
    from metrabs_train.model import MetrabsNet
    from metrabs_train.train import warm_start

    train(_config(toy, steps=3), tmp_path / 'first', show_progress=False)
    export_package(tmp_path / 'first' / 'checkpoint.pt', tmp_path / 'pkg', with_weights=True)
    weights = tmp_path / 'pkg' / 'weights.pt'
    trained = load_checkpoint(tmp_path / 'first' / 'checkpoint.pt')['model']

    cfg = _config(toy, steps=2, init_weights=str(weights))
    fresh = MetrabsNet(cfg.model, num_joints=30)
    assert warm_start(fresh, cfg) == [{'steps': 3, 'dataset': str(toy)}]
    for name, value in fresh.state_dict().items():  # float16 storage: ~1e-3 relative
        assert torch.allclose(value.float(), trained[name].float(), rtol=2e-3, atol=1e-4), name

    train(cfg, tmp_path / 'second', show_progress=False)
    desc = export_package(tmp_path / 'second' / 'checkpoint.pt', tmp_path / 'pkg2')
    assert [r['steps'] for r in desc['training']['history']] == [3, 2]
    # A package's weights.pt exports again (e.g. committed warm-start weights), same history.
    again = export_package(weights, tmp_path / 'pkg3')
    assert [r['steps'] for r in again['training']['history']] == [3]
    assert again['export_check']['max_abs_diff_mm'] < 0.05
    with pytest.raises(RuntimeError, match='cannot read checkpoint'):
        train(_config(toy, steps=1, init_weights=str(tmp_path / 'no-such.pt')),
              tmp_path / 'missing', show_progress=False)
    not_weights = tmp_path / 'not-weights.pt'
    torch.save({'step': 3}, not_weights)
    with pytest.raises(RuntimeError, match='holds no network weights'):
        train(_config(toy, steps=1, init_weights=str(not_weights)), tmp_path / 'foreign',
              show_progress=False)
    with pytest.raises(ValueError, match='different model config.*depth'):
        train(_config(toy, steps=1, init_weights=str(weights), **{'model.depth': 4}),
              tmp_path / 'third', show_progress=False)
