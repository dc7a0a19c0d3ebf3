"""Reading and checking an official `metrabs_pytorch` release directory (issue 19). The network
is rebuilt in official_model.py and exported by import_official.py.

A release directory holds:
    ckpt.pt                     state dict: `backbone.*` and `heatmap_heads.conv_final.{weight,bias}`
                                (1x1 conv with J + depth*J output channels, 3D part depth-major);
                                the backbone is Sequential(preprocessing, features): `backbone.1.*`
    config.yaml                 flags: backbone, proc_side, stride_test, depth, box_size_mm,
                                centered_stride, legacy_centered_stride_bug, ...
    joint_info.npz              the release's full joint set (joint_names, joint_edges)
    skeleton_infos.pkl          {skeleton: {names, indices, edges}}, indices into the N output joints
    joint_transform_matrix.npy  [J, N]: output joint k = sum_i M[i, k] * predicted joint i

Nothing here runs code from the files: the checkpoint is read with `weights_only` and the
pickle with an unpickler that only rebuilds plain containers and numpy arrays.

Every problem is reported as a `ReleaseError` that names the file and what was expected.
"""
from __future__ import annotations

import io
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REQUIRED_FILES = ('ckpt.pt', 'config.yaml', 'joint_info.npz', 'skeleton_infos.pkl',
                  'joint_transform_matrix.npy')
# Backbones we can rebuild from torchvision (the official releases use EfficientNetV2 S and L).
KNOWN_BACKBONES = {'efficientnetv2-s': 'efficientnet_v2_s', 'efficientnetv2-l': 'efficientnet_v2_l'}
HEAD_WEIGHT = 'heatmap_heads.conv_final.weight'
HEAD_BIAS = 'heatmap_heads.conv_final.bias'


class ReleaseError(ValueError):
    """A release directory that cannot be imported, with the reason."""


@dataclass(frozen=True)
class ReleaseInfo:
    backbone: str            # torchvision constructor name
    proc_side: int
    depth: int
    num_joints: int
    feature_channels: int
    stride_test: int
    box_size_mm: float
    #: Backbone strides shifted so receptive-field centres are symmetric [centered_stride].
    centered_stride: bool
    #: The releases' mapping adds stride/2 to heatmap coordinates without shifting the backbone
    #: [legacy_centered_stride_bug]; our `centered_stride` does both, so an importer must keep them apart.
    legacy_stride_offset: bool
    joint_names: list[str]
    joint_edges: np.ndarray  # [E, 2]
    config: dict[str, Any]
    joint_transform: np.ndarray  # [J, N]
    stride_train: int = 32
    mix_3d_inside_fov: float = 0.5
    #: {name: {'names': [...], 'indices': [...] into the N output joints, 'edges': [[a, b], ...]}}
    skeletons: dict[str, dict[str, Any]] = field(default_factory=dict)
    state_dict: dict[str, Any] = field(default_factory=dict, repr=False)


class _PlainUnpickler(pickle.Unpickler):
    """Rebuilds builtins containers and numpy arrays only; anything else is refused."""
    ALLOWED = {('numpy.core.multiarray', '_reconstruct'), ('numpy', 'ndarray'), ('numpy', 'dtype'),
               ('numpy.core.multiarray', 'scalar'), ('numpy._core.multiarray', '_reconstruct'),
               ('numpy._core.multiarray', 'scalar'), ('builtins', 'set'), ('builtins', 'frozenset'),
               ('collections', 'OrderedDict')}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise ReleaseError(f'skeleton_infos.pkl: refuses to load {module}.{name} (only plain '
                               f'lists, dicts and numpy arrays are expected)')
        return super().find_class(module, name)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """Arrays of an .npz; object arrays (e.g. names saved as Python strings) go through the
    restricted unpickler instead of numpy's unrestricted one."""
    import zipfile
    out = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                with archive.open(member) as f:
                    version = np.lib.format.read_magic(f)
                    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                   else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read_header(f)
                    if dtype.hasobject:
                        out[member.removesuffix('.npy')] = np.asarray(
                            _PlainUnpickler(io.BytesIO(f.read())).load(), dtype=object).reshape(shape)
                with archive.open(member) as f:
                    if not dtype.hasobject:
                        out[member.removesuffix('.npy')] = np.lib.format.read_array(f, allow_pickle=False)
    except ReleaseError as e:
        raise ReleaseError(str(e).replace('skeleton_infos.pkl', path.name)) from e
    except Exception as e:  # noqa: BLE001 - not a zip, not .npy members
        raise ReleaseError(f'{path.name}: not a readable .npz file ({e})') from e
    return out


def _read_skeletons(path: Path, num_outputs: int) -> dict[str, dict[str, Any]]:
    try:
        raw = _PlainUnpickler(io.BytesIO(path.read_bytes())).load()
    except ReleaseError:
        raise
    except Exception as e:  # noqa: BLE001 - any unpickling failure is a broken file
        raise ReleaseError(f'skeleton_infos.pkl: cannot be read ({e})') from e
    if not isinstance(raw, dict) or not raw:
        raise ReleaseError('skeleton_infos.pkl: expected a non-empty dict {skeleton name: '
                           '{names, indices, edges}}')
    out = {}
    for name, entry in raw.items():
        where = f'skeleton_infos.pkl: skeleton {name!r}'
        if not isinstance(entry, dict) or not {'names', 'indices', 'edges'} <= set(entry):
            raise ReleaseError(f'{where}: expected keys names, indices, edges')
        names = [str(n) for n in entry['names']]
        indices = np.asarray(entry['indices']).astype(np.int64).reshape(-1)
        edges = np.asarray(entry['edges']).astype(np.int64).reshape(-1, 2) if len(entry['edges']) else (
            np.zeros((0, 2), np.int64))
        if len(names) != len(indices) or not names:
            raise ReleaseError(f'{where}: {len(names)} names but {len(indices)} indices')
        if indices.min() < 0 or indices.max() >= num_outputs:
            raise ReleaseError(f'{where}: indices must lie in [0, {num_outputs}) (the columns of '
                               f'joint_transform_matrix.npy)')
        if edges.size and (edges.min() < 0 or edges.max() >= len(names)):
            raise ReleaseError(f'{where}: edges must index its {len(names)} joints')
        out[str(name)] = dict(names=names, indices=indices.tolist(), edges=edges.tolist())
    return out


def _backbone_name(config: dict[str, Any]) -> str:
    raw = str(config.get('backbone', '')).lower().replace('_', '-')
    if raw not in KNOWN_BACKBONES:
        raise ReleaseError(f'config.yaml: unknown backbone {config.get("backbone")!r}; '
                           f'supported: {", ".join(sorted(KNOWN_BACKBONES))}')
    return KNOWN_BACKBONES[raw]


def _int_flag(config: dict[str, Any], key: str, lo: int, hi: int) -> int:
    if key not in config:
        raise ReleaseError(f'config.yaml: missing `{key}`')
    value = config[key]
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ReleaseError(f'config.yaml: `{key}` must be an integer in [{lo}, {hi}], got {value!r}')
    return value


def read_release(directory: str | Path) -> ReleaseInfo:
    import torch
    import yaml

    root = Path(directory)
    if not root.is_dir():
        raise ReleaseError(f'{root}: not a directory')
    missing = [name for name in REQUIRED_FILES if not (root / name).is_file()]
    if missing:
        raise ReleaseError(f'{root}: missing {", ".join(missing)} (a metrabs_pytorch release has '
                           f'{", ".join(REQUIRED_FILES)})')

    config = yaml.safe_load((root / 'config.yaml').read_text()) or {}
    if not isinstance(config, dict):
        raise ReleaseError('config.yaml: expected a mapping of flags')
    backbone = _backbone_name(config)
    proc_side = _int_flag(config, 'proc_side', 64, 1024)
    depth = _int_flag(config, 'depth', 1, 256)
    stride_test = _int_flag(config, 'stride_test', 1, 64)
    stride_train = int(config.get('stride_train', 32))
    if stride_test != 32 or stride_train != 32:
        raise ReleaseError(f'config.yaml: stride_train {stride_train} / stride_test {stride_test}: '
                           f'only 32 (the EfficientNetV2 output stride, no dilation) is supported')

    try:
        state = torch.load(root / 'ckpt.pt', map_location='cpu', weights_only=True)
    except Exception as e:  # noqa: BLE001 - a corrupt or non-tensor file
        raise ReleaseError(f'ckpt.pt: not a readable PyTorch state dict ({e})') from e
    if not isinstance(state, dict) or HEAD_WEIGHT not in state or HEAD_BIAS not in state:
        raise ReleaseError(f'ckpt.pt: expected a state dict with {HEAD_WEIGHT} and {HEAD_BIAS}')
    weight = state[HEAD_WEIGHT]
    if weight.ndim != 4 or tuple(weight.shape[2:]) != (1, 1):
        raise ReleaseError(f'ckpt.pt: {HEAD_WEIGHT} must be a 1x1 conv, got shape {tuple(weight.shape)}')
    channels = int(weight.shape[0])
    if channels % (depth + 1):
        raise ReleaseError(f'ckpt.pt: {HEAD_WEIGHT} has {channels} output channels, not a multiple '
                           f'of depth + 1 = {depth + 1} (J + depth*J)')
    num_joints = channels // (depth + 1)
    if tuple(state[HEAD_BIAS].shape) != (channels,):
        raise ReleaseError(f'ckpt.pt: {HEAD_BIAS} has shape {tuple(state[HEAD_BIAS].shape)}, '
                           f'expected ({channels},)')
    if not any(k.startswith('backbone.') for k in state):
        raise ReleaseError('ckpt.pt: no backbone.* weights')

    arrays = _read_npz(root / 'joint_info.npz')
    if 'joint_names' not in arrays or 'joint_edges' not in arrays:
        raise ReleaseError(f'joint_info.npz: expected arrays joint_names and joint_edges, '
                           f'found {", ".join(arrays) or "none"}')
    joint_names = [str(n) for n in arrays['joint_names']]
    joint_edges = np.asarray(arrays['joint_edges']).astype(np.int64)
    if len(joint_names) != num_joints:
        raise ReleaseError(f'joint_info.npz: {len(joint_names)} joint names, but the checkpoint\'s head '
                           f'predicts {num_joints} joints')
    if joint_edges.size and (joint_edges.ndim != 2 or joint_edges.shape[1] != 2
                             or joint_edges.min() < 0 or joint_edges.max() >= num_joints):
        raise ReleaseError(f'joint_info.npz: joint_edges must be [E, 2] indices below {num_joints}')

    transform = np.load(root / 'joint_transform_matrix.npy', allow_pickle=False)
    if transform.ndim != 2 or transform.shape[0] != num_joints:
        raise ReleaseError(f'joint_transform_matrix.npy: expected shape [{num_joints}, N] (rows = '
                           f'the checkpoint\'s joints), got {list(transform.shape)}')
    if not np.all(np.isfinite(transform)):
        raise ReleaseError('joint_transform_matrix.npy: contains NaN or infinite values')
    skeletons = _read_skeletons(root / 'skeleton_infos.pkl', transform.shape[1])

    return ReleaseInfo(backbone=backbone, proc_side=proc_side, depth=depth, num_joints=num_joints,
                       feature_channels=int(weight.shape[1]),
                       stride_test=stride_test, stride_train=stride_train,
                       mix_3d_inside_fov=float(config.get('mix_3d_inside_fov', 0.5)),
                       skeletons=skeletons, state_dict=state,
                       box_size_mm=float(config.get('box_size_mm', 2200)),
                       centered_stride=bool(config.get('centered_stride', False)),
                       legacy_stride_offset=bool(config.get('legacy_centered_stride_bug', False)),
                       joint_names=joint_names, joint_edges=joint_edges,
                       config=config, joint_transform=transform)
