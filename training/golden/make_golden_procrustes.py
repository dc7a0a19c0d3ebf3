"""Golden vectors for the Procrustes alignment of @metrabs/core (packages/core/src/procrustes.ts).

Regenerate (deterministic, seeded) from the repository root with:

    training/.venv-golden/bin/python training/golden/make_golden_procrustes.py

which overwrites fixtures/golden/procrustes.json. Only NumPy is needed.

The expected outputs are computed here independently of the TypeScript code, with NumPy's SVD:
both point sets are centred on the mean of their valid joints, the cross-covariance
C = (P - mean_P)^T (G - mean_G) (valid rows only) is decomposed as C = U diag(s) V^T, and the
rotation is R = U V^T. Without reflection, if det(R) < 0 the last singular direction is flipped
(U[:, 2] *= -1, s[2] *= -1). With scaling, scale = sum(s) / sum(|P - mean_P|^2), else 1.
The aligned pose is scale * (P - mean_P) @ R + mean_G for ALL joints (row vectors), which is
also the convention of the "rotation" field (3 x 3, nested rows). "rotation" is null where it is
not unique (collinear or coplanar points with reflection allowed); "aligned" is always unique.

JSON layout: {"description", "tolerance", "cases": [{"name", "scale", "reflection",
"valid" (list of 0/1 or null = all), "pred", "gt", "expected": {"aligned", "scale",
"rotation"}}]} with poses as J x 3 lists in millimetres.
"""

import json
import pathlib

import numpy as np

J = 30
OUT = pathlib.Path(__file__).resolve().parents[2] / 'fixtures' / 'golden' / 'procrustes.json'


def random_rotation(rng):
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] *= -1
    return q


def random_pose(rng, depth=0.0):
    """A rough human-sized point cloud: joints spread ~300 mm around a centre."""
    pose = rng.normal(scale=[250.0, 450.0, 150.0], size=(J, 3))
    return pose + np.array([0.0, 0.0, depth])


def align(pred, gt, valid, allow_scale, allow_reflection):
    m = np.ones(len(pred), bool) if valid is None else np.asarray(valid, bool)
    mean_p = pred[m].mean(axis=0)
    mean_g = gt[m].mean(axis=0)
    p = pred[m] - mean_p
    g = gt[m] - mean_g
    u, s, vt = np.linalg.svd(p.T @ g)
    if not allow_reflection and np.linalg.det(u @ vt) < 0:
        u[:, 2] *= -1
        s[2] *= -1
    rotation = u @ vt
    scale = s.sum() / (p**2).sum() if allow_scale else 1.0
    aligned = scale * (pred - mean_p) @ rotation + mean_g
    sv = np.abs(s)
    unique = sv[1] > 1e-6 * sv[0] and (not allow_reflection or sv[2] > 1e-6 * sv[0])
    return aligned, float(scale), (rotation if unique else None)


def rounded(a):
    # Inputs are rounded to 0.1 µm to keep the file small; outputs are computed from the
    # rounded inputs and kept at full precision.
    return np.round(a, 4)


def make_cases():
    rng = np.random.default_rng(20240611)
    cases = []

    def add(name, pred, gt, *, scale=False, reflection=False, valid=None):
        pred, gt = rounded(pred), rounded(gt)
        aligned, s, rotation = align(pred, gt, valid, scale, reflection)
        cases.append(dict(
            name=name, scale=scale, reflection=reflection,
            valid=None if valid is None else [int(v) for v in valid],
            pred=pred.tolist(), gt=gt.tolist(),
            expected=dict(
                aligned=aligned.tolist(), scale=s,
                rotation=None if rotation is None else rotation.tolist())))

    def transformed(gt, noise, scale=1.0, mirror=False, depth_shift=0.0):
        r = random_rotation(rng)
        if mirror:
            r = r @ np.diag([-1.0, 1.0, 1.0])
        t = rng.normal(scale=200.0, size=3) + np.array([0.0, 0.0, depth_shift])
        return scale * gt @ r + t + rng.normal(scale=noise, size=gt.shape)

    for k in range(3):
        gt = random_pose(rng, depth=4000.0)
        add(f'rigid_noise_{k}', transformed(gt, noise=30.0), gt)
    for k in range(3):
        gt = random_pose(rng, depth=4000.0)
        add(f'similarity_noise_{k}', transformed(gt, noise=25.0, scale=0.6 + 0.4 * k), gt,
            scale=True)
    for k in range(3):
        gt = random_pose(rng)
        pred = transformed(gt, noise=20.0)
        valid = rng.random(J) > 0.3
        pred[~valid] += rng.normal(scale=800.0, size=(int((~valid).sum()), 3))
        add(f'masked_{k}', pred, gt, scale=k == 1, valid=valid)
    gt = random_pose(rng)
    valid = np.zeros(J, bool)
    valid[[2, 11, 23]] = True
    add('masked_three_joints', transformed(gt, noise=10.0), gt, scale=True, valid=valid)
    for k, (scale, reflection) in enumerate([(False, False), (True, False), (False, True),
                                             (True, True)]):
        gt = random_pose(rng)
        add(f'mirrored_{k}', transformed(gt, noise=15.0, scale=1.1, mirror=True), gt,
            scale=scale, reflection=reflection)
    gt = random_pose(rng)
    add('reflection_allowed_not_needed', transformed(gt, noise=15.0), gt, reflection=True)
    for k in range(2):
        gt = random_pose(rng)
        add(f'unrelated_{k}', random_pose(rng), gt, scale=k == 1)
    for k, scale in enumerate([False, True]):
        gt = random_pose(rng)
        gt[:, 2] = 1000.0  # all joints in the plane z = 1000
        add(f'coplanar_{k}', transformed(gt, noise=0.0, scale=1.3 if scale else 1.0), gt,
            scale=scale)
    # Exactly coplanar in floating point (axis permutation, power-of-two scale), so that the
    # smallest singular value is zero up to rounding: with reflection allowed the rotation is
    # ambiguous, but the aligned (in-plane) points are not.
    gt = np.round(random_pose(rng), 1)
    gt[:, 2] = 1000.0
    pred = np.stack([gt[:, 1] * 0.5 + 7.0, np.full(J, 1260.0), gt[:, 0] * 0.5 - 3.0], axis=1)
    add('coplanar_exact_reflection_allowed', pred, gt, scale=True, reflection=True)
    # A mirror image of a planar set is matched exactly by a proper rotation (a half-turn about
    # an in-plane axis): the reflection fix must flip the zero singular direction.
    mirrored = gt * np.array([-1.0, 1.0, 1.0])
    add('coplanar_mirrored', mirrored, gt)
    # Exactly collinear (rank-1 cross-covariance).
    gt = np.stack([10.0 * np.arange(J) - 145.0, np.full(J, 20.0), np.full(J, 3000.0)], axis=1)
    pred = np.stack([np.full(J, 5.0), 0.5 * gt[:, 0] + 7.0, np.full(J, 3100.0)], axis=1)
    add('collinear', pred, gt, scale=True)
    gt = random_pose(rng, depth=5000.0)
    add('large_noise_far', transformed(gt, noise=120.0, depth_shift=2000.0), gt, scale=True)
    return cases


def dump(data):
    """Pretty-prints with one point per line, so the file stays small and diffable."""
    def point(p):
        return '[' + ', '.join(repr(float(x)) for x in p) + ']'

    def points(ps, indent):
        pad = ' ' * indent
        return '[\n' + ',\n'.join(pad + '  ' + point(p) for p in ps) + '\n' + pad + ']'

    lines = ['{']
    lines.append(f'  "description": {json.dumps(data["description"])},')
    lines.append(f'  "tolerance": {json.dumps(data["tolerance"])},')
    lines.append('  "cases": [')
    case_texts = []
    for c in data['cases']:
        e = c['expected']
        rot = 'null' if e['rotation'] is None else points(e['rotation'], 6)
        case_texts.append('\n'.join([
            '    {',
            f'      "name": {json.dumps(c["name"])},',
            f'      "scale": {json.dumps(c["scale"])},',
            f'      "reflection": {json.dumps(c["reflection"])},',
            f'      "valid": {json.dumps(c["valid"])},',
            f'      "pred": {points(c["pred"], 6)},',
            f'      "gt": {points(c["gt"], 6)},',
            '      "expected": {',
            f'        "scale": {repr(float(e["scale"]))},',
            f'        "rotation": {rot},',
            f'        "aligned": {points(e["aligned"], 8)}',
            '      }',
            '    }']))
    lines.append(',\n'.join(case_texts))
    lines.append('  ]')
    lines.append('}')
    return '\n'.join(lines) + '\n'


def main():
    data = dict(
        description=('Procrustes alignment golden vectors, generated by '
                     'training/golden/make_golden_procrustes.py with NumPy '
                     f'{np.__version__}. aligned = scale * (pred - mean_pred) @ rotation + '
                     'mean_gt over all joints; means and fit over valid joints.'),
        tolerance=1e-9,
        cases=make_cases())
    text = dump(data)
    json.loads(text)  # sanity: valid JSON
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f'wrote {len(data["cases"])} cases, {len(text)} bytes to {OUT}')


if __name__ == '__main__':
    main()
