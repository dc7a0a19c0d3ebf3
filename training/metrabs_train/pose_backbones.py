"""BlazePose GHUM (MediaPipe's pose landmark network) as a backbone pretrained on real photos.

The network and its weights come from `pose_landmark_{lite,full,heavy}.tflite` in the npm package
`@mediapipe/pose` (Apache-2.0; the repository's devDependency, so the files sit in
`node_modules/@mediapipe/pose/`). Nothing is converted ahead of time: `read_tflite` parses the
file (float16 weights behind DEQUANTIZE ops, or float32) and `TFLiteNet` runs its graph with
PyTorch modules, NCHW inside. Only the op types these three models use are supported; anything
else raises. The whole network reproduces the TFLite interpreter's landmarks on a real photo
(tests/test_pose_backbone.py); loading takes well under a second.

The backbone (`build_pose_backbone`) is the network's trunk: the graph cut where its encoder ends,
at the widest stride-32 tensor that both of BlazePose's heads read (heatmap decoder and landmark
regressor; `trunk_tensor`). For `full` that is 8×8×864 at 256², after a MobileNetV2-like
encoder's last 1×1 expansion and 3×3 depthwise convolution (ReLU6); 47 convolutions, 1.5 M
parameters. Batch norm is folded into the convolutions in the file, so the trunk has no
normalisation layers. BlazePose takes RGB in [0, 1] (MediaPipe's ImageToTensorCalculator with
range 0…1): the module first undoes the ImageNet normalisation that MetrabsNet applies. The
strided layers are the file's explicit symmetric zero padding + VALID convolution, which become
symmetrically padded `nn.Conv2d`s here, so centred striding works as for the other backbones.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

NPM_PACKAGE = '@mediapipe/pose'
NPM_VERSION = '0.5.1675469404'
VARIANTS = ('lite', 'full', 'heavy')
BACKBONES = tuple(f'blazepose_{v}' for v in VARIANTS)
#: The graph outputs of the landmark models: 195 = 39 landmarks × (x, y, z, visibility,
#: presence) in input pixels; the 64×64×39 heatmap; 117 = 39 world landmarks in metres.
LANDMARKS, POSE_FLAG, SEGMENTATION, HEATMAP, WORLD_LANDMARKS = (
    'Identity', 'Identity_1', 'Identity_2', 'Identity_3', 'Identity_4')
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
REPO = Path(__file__).resolve().parents[2]

_ACTIVATIONS = {0: None, 1: nn.ReLU, 3: nn.ReLU6}  # TFLite ActivationFunctionType
_SAME, _VALID = 0, 1  # TFLite Padding


def npm_model_path(variant: str) -> Path:
    """The .tflite file of the npm package in the repository's node_modules."""
    path = REPO / 'node_modules' / NPM_PACKAGE / f'pose_landmark_{variant}.tflite'
    if not path.exists():
        raise ValueError(
            f'BlazePose weights come from the npm package {NPM_PACKAGE}@{NPM_VERSION} '
            f'(Apache-2.0): run `npm install` in {REPO} (it is a devDependency), or set '
            f'model.backbone_weights to a pose_landmark_{variant}.tflite file; missing: {path}')
    return path


# ---------------------------------------------------------------------------------------------
# Reading a .tflite file


@dataclass
class TFLiteOp:
    index: int
    kind: str  # the BuiltinOperator name, e.g. 'CONV_2D'
    inputs: list[int]
    outputs: list[int]
    options: dict = field(default_factory=dict)


@dataclass
class TFLiteGraph:
    names: list[str]
    shapes: list[tuple[int, ...]]  # NHWC, as in the file
    constants: dict[int, np.ndarray]  # float32 (DEQUANTIZE of float16 already applied)
    ops: list[TFLiteOp]
    inputs: list[int]
    outputs: list[int]

    def tensor(self, name: str) -> int:
        return self.names.index(name)


def read_tflite(path: str | Path) -> TFLiteGraph:
    """Parses the first subgraph of a float TFLite model."""
    import tflite  # the TFLite flatbuffer schema (PyPI `tflite`, Apache-2.0)

    buf = Path(path).read_bytes()
    model = tflite.Model.GetRootAsModel(buf, 0)
    graph = model.Subgraphs(0)
    op_names = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith('_')}
    dtypes = {tflite.TensorType.FLOAT32: np.float32, tflite.TensorType.FLOAT16: np.float16,
              tflite.TensorType.INT32: np.int32}
    names, shapes, constants = [], [], {}
    for i in range(graph.TensorsLength()):
        t = graph.Tensors(i)
        shape = tuple(int(s) for s in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        names.append(t.Name().decode())
        shapes.append(shape)
        data = model.Buffers(t.Buffer()).DataAsNumpy() if t.Buffer() else 0
        if not isinstance(data, int) and data.size:
            if t.Type() not in dtypes:
                raise ValueError(f'{path}: tensor {names[-1]!r} has unsupported type {t.Type()}')
            constants[i] = data.view(dtypes[t.Type()]).reshape(shape)
    option_classes = {
        'CONV_2D': tflite.Conv2DOptions, 'DEPTHWISE_CONV_2D': tflite.DepthwiseConv2DOptions,
        'MAX_POOL_2D': tflite.Pool2DOptions, 'ADD': tflite.AddOptions,
        'RESIZE_BILINEAR': tflite.ResizeBilinearOptions}
    fields = ('Padding', 'StrideW', 'StrideH', 'DilationWFactor', 'DilationHFactor',
              'DepthMultiplier', 'FusedActivationFunction', 'FilterWidth', 'FilterHeight',
              'AlignCorners', 'HalfPixelCenters')
    ops = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        kind = op_names.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), 'CUSTOM')
        options = {}
        if kind in option_classes and op.BuiltinOptions() is not None:
            table = op.BuiltinOptions()
            opt = option_classes[kind]()
            opt.Init(table.Bytes, table.Pos)
            options = {f: getattr(opt, f)() for f in fields if hasattr(opt, f)}
        ops.append(TFLiteOp(i, kind, [int(j) for j in op.InputsAsNumpy()],
                            [int(j) for j in op.OutputsAsNumpy()], options))
    g = TFLiteGraph(names, shapes, constants, ops, [int(j) for j in graph.InputsAsNumpy()],
                    [int(j) for j in graph.OutputsAsNumpy()])
    for op in g.ops:  # fold DEQUANTIZE of constant weights
        if op.kind == 'DEQUANTIZE' and op.inputs[0] in g.constants:
            g.constants[op.outputs[0]] = g.constants[op.inputs[0]].astype(np.float32)
    g.ops = [op for op in g.ops if not (op.kind == 'DEQUANTIZE' and op.outputs[0] in g.constants)]
    return g


def _ancestors(graph: TFLiteGraph, tensor: int) -> set[int]:
    producer = {o: op for op in graph.ops for o in op.outputs}
    seen, todo = set(), [tensor]
    while todo:
        t = todo.pop()
        if t in seen:
            continue
        seen.add(t)
        if t in producer:
            todo.extend(i for i in producer[t].inputs if i >= 0 and i not in graph.constants)
    return seen


def trunk_tensor(graph: TFLiteGraph) -> int:
    """Where BlazePose's encoder ends: of the tensors at 1/32 of the input size that both the
    landmark and the heatmap head read, the widest, and of those the last (lite 576 channels,
    full 864, heavy 1632; in heavy the landmark head also reads the heatmap decoder)."""
    shared = _ancestors(graph, graph.tensor(LANDMARKS)) & _ancestors(graph, graph.tensor(HEATMAP))
    side = graph.shapes[graph.inputs[0]][1] // 32
    order = {o: op.index for op in graph.ops for o in op.outputs}
    candidates = [t for t in shared if len(graph.shapes[t]) == 4 and graph.shapes[t][1] == side
                  and t in order]
    if not candidates:
        raise ValueError('no stride-32 tensor is shared by the landmark and heatmap heads')
    return max(candidates, key=lambda t: (graph.shapes[t][3], order[t]))


# ---------------------------------------------------------------------------------------------
# Running the graph in PyTorch


def _same_pads(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's SAME padding (the extra pixel goes after)."""
    total = max((-(-size // stride) - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


class TFSameConv2d(nn.Conv2d):
    """A strided convolution with TensorFlow's SAME padding (asymmetric, depends on the input
    size); BlazePose uses it only in the landmark regressor, after the trunk."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        top, bottom = _same_pads(x.shape[2], kh, sh, dh)
        left, right = _same_pads(x.shape[3], kw, sw, dw)
        return super().forward(F.pad(x, (left, right, top, bottom)))


def _conv(op: TFLiteOp, graph: TFLiteGraph, padding: tuple[int, int]) -> nn.Conv2d:
    o = op.options
    weight, bias = graph.constants[op.inputs[1]], graph.constants.get(op.inputs[2])
    if op.kind == 'CONV_2D':  # OHWI → OIHW
        w = torch.from_numpy(np.ascontiguousarray(weight.transpose(0, 3, 1, 2)))
        cin = w.shape[1]
        groups = 1
    else:  # depthwise: 1HW(C·m) → (C·m)1HW
        w = torch.from_numpy(np.ascontiguousarray(weight[0].transpose(2, 0, 1)))[:, None]
        cin = graph.shapes[op.inputs[0]][3]
        groups = cin
        if o['DepthMultiplier'] != 1:
            raise ValueError(f'op {op.index}: depth multiplier {o["DepthMultiplier"]} unsupported')
    kh, kw = w.shape[2:]
    stride, dilation = (o['StrideH'], o['StrideW']), (o['DilationHFactor'], o['DilationWFactor'])
    cls = nn.Conv2d
    if o['Padding'] == _SAME:
        if stride == (1, 1) and kh % 2 and kw % 2:
            padding = (dilation[0] * (kh // 2), dilation[1] * (kw // 2))
        else:
            cls = TFSameConv2d
    conv = cls(cin, w.shape[0], (kh, kw), stride=stride, padding=padding, dilation=dilation,
               groups=groups, bias=bias is not None)
    with torch.no_grad():
        conv.weight.copy_(w)
        if bias is not None:
            conv.bias.copy_(torch.from_numpy(bias.astype(np.float32)))
    return conv


def _activation(op: TFLiteOp) -> nn.Module | None:
    code = op.options.get('FusedActivationFunction', 0)
    if code not in _ACTIVATIONS:
        raise ValueError(f'op {op.index} ({op.kind}): fused activation {code} unsupported')
    return _ACTIVATIONS[code]() if _ACTIVATIONS[code] else None


class TFLiteNet(nn.Module):
    """The part of a TFLite graph that computes `outputs` (tensor names; default: all graph
    outputs), as PyTorch modules. Input NCHW; 4-D outputs NCHW, others as in the file.
    Convolutions are `op{index}` in `self.layers` (index: the op's position in the file), fused
    activations `op{index}` in `self.acts`."""

    SUPPORTED = ('CONV_2D', 'DEPTHWISE_CONV_2D', 'ADD', 'PAD', 'MAX_POOL_2D',
                 'RESIZE_BILINEAR', 'RESHAPE', 'LOGISTIC')

    def __init__(self, graph: TFLiteGraph, outputs: list[str] | None = None):
        super().__init__()
        out_ids = [graph.tensor(n) for n in outputs] if outputs else list(graph.outputs)
        needed = set().union(*(_ancestors(graph, t) for t in out_ids))
        ops = [op for op in graph.ops if op.outputs[0] in needed]
        consumers: dict[int, list[TFLiteOp]] = {}
        for op in graph.ops:
            for i in op.inputs:
                consumers.setdefault(i, []).append(op)
        self.input_id = graph.inputs[0]
        self.output_ids = out_ids
        self.layers = nn.ModuleDict()
        self.acts = nn.ModuleDict()
        self.steps: list[tuple] = []  # (kind, op key, input ids, output id, params)
        alias: dict[int, int] = {}  # a folded PAD's output → its input
        fold_pads: dict[int, tuple[int, int]] = {}  # conv op index → symmetric (pad_h, pad_w)
        for op in ops:
            if op.kind not in self.SUPPORTED:
                raise ValueError(f'op {op.index}: {op.kind} is not supported')
            key = f'op{op.index}'
            params = None
            act = _activation(op)
            if act is not None:
                if op.kind not in ('CONV_2D', 'DEPTHWISE_CONV_2D', 'ADD'):
                    raise ValueError(f'op {op.index}: fused activation on {op.kind} unsupported')
                self.acts[key] = act
            if op.kind == 'PAD':
                pads = graph.constants[op.inputs[1]].astype(int).tolist()
                users = consumers.get(op.outputs[0], [])
                if (pads[0] == [0, 0] and pads[3] == [0, 0] and pads[1][0] == pads[1][1]
                        and pads[2][0] == pads[2][1] and len(users) == 1
                        and users[0].kind in ('CONV_2D', 'DEPTHWISE_CONV_2D')
                        and users[0].options['Padding'] == _VALID and op.outputs[0] not in out_ids):
                    fold_pads[users[0].index] = (pads[1][0], pads[2][0])
                    alias[op.outputs[0]] = op.inputs[0]
                    continue
                if pads[0] != [0, 0]:
                    raise ValueError(f'op {op.index}: PAD of the batch axis')
                # NHWC pads → F.pad's (left, right, top, bottom, front, back) on NCHW
                params = (*pads[2], *pads[1], *pads[3])
            elif op.kind in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
                self.layers[key] = _conv(op, graph, fold_pads.get(op.index, (0, 0)))
                self.steps.append((op.kind, key, [alias.get(op.inputs[0], op.inputs[0])],
                                   op.outputs[0], None))
                continue
            elif op.kind == 'ADD':
                if any(i in graph.constants for i in op.inputs):
                    raise ValueError(f'op {op.index}: ADD of a constant unsupported')
            elif op.kind == 'MAX_POOL_2D':
                o = op.options
                params = ((o['FilterHeight'], o['FilterWidth']), (o['StrideH'], o['StrideW']),
                          o['Padding'] == _SAME)
            elif op.kind == 'RESIZE_BILINEAR':
                o = op.options
                if not (o['HalfPixelCenters'] or o['AlignCorners']):
                    raise ValueError(f'op {op.index}: legacy TF bilinear resize unsupported')
                new = graph.constants[op.inputs[1]].astype(int).tolist()
                old = graph.shapes[op.inputs[0]][1:3]
                params = (new[0] / old[0], new[1] / old[1], bool(o['AlignCorners']))
            elif op.kind == 'RESHAPE':
                params = graph.shapes[op.outputs[0]]
            inputs = [alias.get(i, i) for i in op.inputs if i >= 0 and i not in graph.constants]
            self.steps.append((op.kind, key, inputs, op.outputs[0], params))

    def forward(self, x: torch.Tensor):
        values = {self.input_id: x}
        for kind, key, inputs, output, params in self.steps:
            args = [values[i] for i in inputs]
            if kind in ('CONV_2D', 'DEPTHWISE_CONV_2D'):
                y = self.layers[key](args[0])
            elif kind == 'ADD':
                y = args[0] + args[1]
            elif kind == 'PAD':
                y = F.pad(args[0], params)
            elif kind == 'MAX_POOL_2D':
                (kh, kw), (sh, sw), same = params
                a = args[0]
                if same:
                    top, bottom = _same_pads(a.shape[2], kh, sh)
                    left, right = _same_pads(a.shape[3], kw, sw)
                    a = F.pad(a, (left, right, top, bottom), value=float('-inf'))
                y = F.max_pool2d(a, (kh, kw), (sh, sw))
            elif kind == 'RESIZE_BILINEAR':
                fh, fw, align = params
                a = args[0]
                size = (round(a.shape[2] * fh), round(a.shape[3] * fw))
                y = F.interpolate(a, size=size, mode='bilinear', align_corners=align)
            elif kind == 'RESHAPE':
                a = args[0].permute(0, 2, 3, 1) if args[0].dim() == 4 else args[0]
                y = a.reshape(a.shape[0], *params[1:])
                y = y.permute(0, 3, 1, 2) if y.dim() == 4 else y
            else:  # LOGISTIC
                y = torch.sigmoid(args[0])
            if key in self.acts:
                y = self.acts[key](y)
            values[output] = y
        outs = [values[i] for i in self.output_ids]
        return outs[0] if len(outs) == 1 else tuple(outs)


# ---------------------------------------------------------------------------------------------
# The backbone


class BlazePoseFeatures(nn.Module):
    """ImageNet-normalised NCHW → BlazePose's trunk feature map (stride 32)."""

    def __init__(self, trunk: TFLiteNet):
        super().__init__()
        self.trunk = trunk
        self.register_buffer('mean', torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.trunk(x * self.std + self.mean)  # back to RGB in [0, 1]


def build_pose_backbone(
        name: str, *, dilate_last_stage: bool = False, width_mult: float = 1.0,
        weights_path: str | None = None) -> nn.Module:
    """The features module (ImageNet-normalised NCHW → NCHW at stride 32) of
    `blazepose_{lite,full,heavy}`, for `backbones.build_backbone` (which centres the stride).
    The weights (and the architecture) come from the .tflite file: `weights_path` None or 'npm'
    takes it from node_modules, anything else is a path to a pose_landmark_*.tflite file. There
    is no random initialisation."""
    if name not in BACKBONES:
        raise ValueError(f'unknown pose backbone {name!r}; choose one of {", ".join(BACKBONES)}')
    if width_mult != 1.0 or dilate_last_stage:
        raise ValueError('BlazePose supports neither width_mult nor dilate_last_stage')
    variant = name.split('_', 1)[1]
    path = npm_model_path(variant) if weights_path in (None, 'npm') else Path(weights_path)
    graph = read_tflite(path)
    try:
        trunk = trunk_tensor(graph)
    except ValueError as e:
        raise ValueError(f'{path}: not a BlazePose landmark model ({e})') from e
    return BlazePoseFeatures(TFLiteNet(graph, [graph.names[trunk]]))
