"""Golden vectors for the geometry shared by @metrabs/core (TypeScript) and the trainer.

Writes ../../fixtures/golden/geometry.json with seeded random cases for:
  * lens distortion: OpenCV's projectPoints (distort) and undistortPointsIter (undistort)
  * the virtual crop camera of a box (+ test-time augmentation) and its crop→image homography
  * soft-argmax decoding of 2D/3D logits and the heatmap→pixel/mm mapping
  * absolute reconstruction (full and weak perspective) solved with numpy.linalg.lstsq
  * the test-time augmentation schedule

Everything is computed here with NumPy/OpenCV primitives, independently of the TypeScript
code, so the two implementations check each other. Regenerate with:

    training/.venv-golden/bin/python training/golden/make_golden_geometry.py

(the venv needs numpy and opencv-python-headless; see training/golden/requirements.txt).
"""
import json
import os

import cv2
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'golden', 'geometry.json')
rng = np.random.default_rng(20261125)


def r(x):
    """Rounds floats for the JSON file while keeping far more precision than the tests need."""
    return np.round(np.asarray(x, np.float64), 12).tolist()


# ---------------------------------------------------------------------------------------------
# Distortion
def distortion_cases():
    cases = []
    for i in range(8):
        n_coef = [5, 8, 12, 12, 5, 8, 12, 5][i]
        d = np.zeros(n_coef)
        d[0] = rng.uniform(-0.3, 0.2)
        d[1] = rng.uniform(-0.1, 0.1)
        d[2:4] = rng.uniform(-0.005, 0.005, 2)
        d[4] = rng.uniform(-0.02, 0.02)
        if n_coef >= 8:
            d[5:8] = rng.uniform(-0.05, 0.05, 3)
        if n_coef >= 12:
            d[8:12] = rng.uniform(-0.003, 0.003, 4)
        pts = rng.uniform(-0.6, 0.6, (20, 2))
        obj = np.concatenate([pts, np.ones((20, 1))], axis=1)
        distorted, _ = cv2.projectPoints(obj, np.zeros(3), np.zeros(3), np.eye(3), d)
        distorted = distorted.reshape(-1, 2)
        undist = cv2.undistortPointsIter(
            distorted.reshape(-1, 1, 2), np.eye(3), d, None, None,
            (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-15)).reshape(-1, 2)
        cases.append(dict(coeffs=r(d), undistorted=r(pts), distorted=r(distorted),
                          opencv_undistorted=r(undist)))
    return cases


# ---------------------------------------------------------------------------------------------
# Crop camera, following the reference procedure step by step
def lookat(forward, up):
    z = forward / np.linalg.norm(forward)
    x = np.cross(z, up)
    if np.linalg.norm(x) == 0:
        x = np.array([z[2], 0, -z[0]])
    x = x / np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z])


def undistort(p, d):
    if not np.any(d):
        return p
    return cv2.undistortPointsIter(
        p.reshape(-1, 1, 2), np.eye(3), d, None, None,
        (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-15)).reshape(-1, 2)


def crop_camera(K, d, up_cam, box, side, angle, scale, flip):
    x, y, w, h = box
    pts = np.array([[x + w / 2, y + h / 2], [x + w / 2, y], [x + w, y + h / 2],
                    [x + w / 2, y + h], [x, y + h / 2]], np.float64)
    normalized = (np.linalg.inv(K) @ np.concatenate([pts, np.ones((5, 1))], 1).T).T[:, :2]
    dirs = np.concatenate([undistort(normalized, d), np.ones((5, 1))], 1)
    R0 = lookat(dirs[0], up_cam)
    seen = (K @ R0 @ dirs[1:].T).T
    seen = seen[:, :2] / seen[:, 2:]
    size = max(np.linalg.norm(seen[0] - seen[2]), np.linalg.norm(seen[1] - seen[3]))
    zoom = scale * side / size
    c, s = np.cos(-angle), np.sin(-angle)
    Rz = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    F = np.diag([-1.0, 1, 1]) if flip else np.eye(3)
    R = F @ Rz @ R0
    Knew = np.eye(3)
    Knew[:2, :2] = K[:2, :2] * zoom
    Knew[:2, 2] = side / 2
    return Knew, R, zoom


def random_camera(width, height):
    f = rng.uniform(0.6, 1.6) * max(width, height)
    K = np.array([[f * rng.uniform(0.98, 1.02), rng.uniform(-1, 1), width / 2 + rng.uniform(-20, 20)],
                  [0, f, height / 2 + rng.uniform(-20, 20)], [0, 0, 1]])
    return K


def crop_cases():
    cases = []
    for i in range(12):
        width, height = 1920, 1080
        K = random_camera(width, height)
        d = np.zeros(5) if i % 3 else np.array([rng.uniform(-0.2, 0.1), rng.uniform(-0.05, 0.05),
                                                 0.001, -0.001, 0.005])
        tilt = rng.normal(0, 0.2, 3)
        up_cam = np.array([0, -1, 0]) + tilt
        w, h = rng.uniform(50, 600), rng.uniform(80, 900)
        box = [rng.uniform(-100, width - w + 100), rng.uniform(-100, height - h + 100), w, h]
        side = [256, 256, 192, 384][i % 4]
        angle = rng.uniform(-0.5, 0.5) if i % 2 else 0.0
        scale = rng.uniform(0.8, 1.1) if i % 2 else 1.0
        flip = bool(i % 4 == 3)
        Knew, R, zoom = crop_camera(K, d, up_cam, box, side, angle, scale, flip)
        # A 3D point straight ahead of the crop camera and where it lands in both images.
        p_crop = np.array([rng.uniform(-300, 300), rng.uniform(-300, 300), rng.uniform(2000, 8000)])
        p_cam = R.T @ p_crop
        crop_px = (Knew @ p_crop)[:2] / p_crop[2]
        # OpenCV's projectPoints ignores skew, so distort with an identity K, then apply K.
        img_dist, _ = cv2.projectPoints(p_cam[None], np.zeros(3), np.zeros(3), np.eye(3), d)
        img_px = K[:2, :2] @ img_dist.reshape(2) + K[:2, 2]
        H = K @ np.linalg.inv(Knew @ R) if not np.any(d) else None
        cases.append(dict(
            intrinsics=r(K), distortion=r(d), up_camera=r(up_cam), box=r(box), side=side,
            angle=angle, scale=scale, flip=flip, crop_intrinsics=r(Knew), rotation=r(R), zoom=zoom,
            point_crop=r(p_crop), point_camera=r(p_cam), point_crop_px=r(crop_px),
            point_image_px=r(img_px.reshape(2)), homography=None if H is None else r(H)))
    return cases


# ---------------------------------------------------------------------------------------------
# Soft-argmax and mapping
def heatmap_to_pixel(t, side, stride, centered, legacy):
    last = side - 1
    last_centre = last - last % stride
    out = t * last_centre
    if centered:
        out = out + stride // 2
    if legacy:
        out = out + stride // 2
    return out


def softmax(x, axes):
    e = np.exp(x - x.max(axis=axes, keepdims=True))
    return e / e.sum(axis=axes, keepdims=True)


def heatmap_cases():
    cases = []
    for i, (h, w, depth, j, side, stride, centered, legacy) in enumerate([
            (8, 8, 8, 5, 256, 32, True, False), (8, 8, 8, 3, 256, 32, False, False),
            (6, 6, 4, 2, 192, 32, True, False), (16, 16, 4, 2, 256, 16, True, False),
            (8, 8, 8, 2, 256, 32, False, True), (12, 12, 4, 2, 384, 32, True, False)]):
        logits2d = rng.normal(0, 3, (2, h, w, j))
        logits3d = rng.normal(0, 3, (2, h, w, depth, j))
        p2 = softmax(logits2d, (1, 2))
        tx = np.einsum('bhwj,w->bj', p2, np.linspace(0, 1, w))
        ty = np.einsum('bhwj,h->bj', p2, np.linspace(0, 1, h))
        coords2d = heatmap_to_pixel(np.stack([tx, ty], -1), side, stride, centered, legacy)
        p3 = softmax(logits3d, (1, 2, 3))
        tx3 = np.einsum('bhwdj,w->bj', p3, np.linspace(0, 1, w))
        ty3 = np.einsum('bhwdj,h->bj', p3, np.linspace(0, 1, h))
        tz3 = np.einsum('bhwdj,d->bj', p3, np.linspace(0, 1, depth))
        box_mm = 2200
        xy = heatmap_to_pixel(np.stack([tx3, ty3], -1), side, stride, centered, legacy) * box_mm / side
        coords3d = np.concatenate([xy, tz3[..., None] * box_mm], -1)
        cases.append(dict(
            shape=dict(n=2, h=h, w=w, depth=depth, joints=j),
            mapping=dict(cropSide=side, stride=stride, centeredStride=centered,
                         legacyCenteredStrideBug=legacy, boxSizeMm=box_mm),
            logits2d=r(logits2d.reshape(-1)), logits3d=r(logits3d.reshape(-1)),
            coords2d=r(coords2d.reshape(-1)), coords3d=r(coords3d.reshape(-1))))
    return cases


# ---------------------------------------------------------------------------------------------
# Absolute reconstruction
def in_fov(coords2d, side, stride, centered, border=0.75):
    offset = 0 if centered else -stride / 2
    lo, hi = stride * border + offset, side - stride * border + offset
    return np.all((coords2d >= lo) & (coords2d <= hi), axis=-1)


def reconstruct(coords2d, coords3d, K, side=256, stride=32, centered=True, mix=0.5,
                weak=False, tikhonov=1e-2):
    norm = (np.linalg.inv(K) @ np.concatenate([coords2d, np.ones((len(coords2d), 1))], 1).T).T[:, :2]
    valid = in_fov(coords2d, side, stride, centered)
    if weak:
        sel = valid if valid.any() else np.ones_like(valid)
        m2, m3 = norm[sel].mean(0), coords3d[sel].mean(0)
        sd2 = max(np.sqrt(np.sum((norm[sel] - m2) ** 2) / sel.sum() + 1e-10), 1e-5)
        sd3 = max(np.sqrt(np.sum((coords3d[sel, :2] - m3[:2]) ** 2) / sel.sum() + 1e-10), 1e-5)
        z = sd3 / sd2
        ref = np.array([m2[0] * z, m2[1] * z, z]) - m3
    else:
        n = len(coords2d)
        s2 = np.sqrt(np.mean(norm ** 2))
        rhs = norm * coords3d[:, 2:] - coords3d[:, :2]
        sb = np.sqrt(np.mean(rhs ** 2))
        A = np.zeros((2 * n, 3))
        A[0::2, 0] = 1
        A[1::2, 1] = 1
        A[:, 2] = -norm.reshape(-1) / s2
        b = rhs.reshape(-1) / sb
        w = (valid.astype(float) + 1e-4) if valid.any() else np.ones(n)
        w = np.repeat(w, 2)
        # Tikhonov as extra rows sqrt(λ)·I, solved by an SVD-based least squares.
        A_aug = np.concatenate([A * w[:, None], np.sqrt(tikhonov) * np.eye(3)])
        b_aug = np.concatenate([b * w, np.zeros(3)])
        x = np.linalg.lstsq(A_aug, b_aug, rcond=None)[0]
        ref = np.array([x[0] * sb, x[1] * sb, x[2] * sb / s2])
    abs3d = coords3d + ref
    back = np.concatenate([norm, np.ones((len(norm), 1))], 1) * abs3d[:, 2:]
    blended = back if mix is None else mix * abs3d + (1 - mix) * back
    return np.where(valid[:, None], blended, abs3d)


def random_pose(j=30):
    """A rough human-sized point cloud: 1.7 m tall, 0.5 m wide, 0.3 m deep."""
    return rng.normal(0, 1, (j, 3)) * np.array([250, 450, 150])


def reconstruction_cases():
    cases = []
    for i in range(16):
        side, stride, centered = [(256, 32, True), (256, 32, False), (192, 32, True), (384, 32, True)][i % 4]
        K = np.array([[rng.uniform(200, 700), 0, side / 2], [0, 0, side / 2], [0, 0, 1]])
        K[1, 1] = K[0, 0] * rng.uniform(0.97, 1.03)
        pose = random_pose() + np.array([rng.uniform(-200, 200), rng.uniform(-200, 200),
                                         rng.uniform(2500, 9000)])
        proj = (K @ pose.T).T
        coords2d = proj[:, :2] / proj[:, 2:]
        coords2d = coords2d + rng.normal(0, 2.0 if i % 2 else 0.0, coords2d.shape)
        offset = np.array([rng.uniform(-500, 500), rng.uniform(-500, 500), rng.uniform(-3000, 3000)])
        coords3d = pose - offset + rng.normal(0, 30.0 if i % 2 else 0.0, pose.shape)
        if i == 6:  # everything outside the field of view
            coords2d = coords2d * 0.01 + np.array([-50, -40])
        weak = i % 5 == 4
        mix = None if i % 7 == 3 else 0.5
        tikhonov = 0.0 if i % 3 == 2 else 1e-2
        expected = reconstruct(coords2d, coords3d, K, side, stride, centered, mix, weak, tikhonov)
        cases.append(dict(
            coords2d=r(coords2d), coords3d=r(coords3d), intrinsics=r(K),
            options=dict(cropSide=side, strideTrain=stride, centeredStride=centered,
                         mix3dInsideFov=mix, weakPerspective=weak, tikhonov=tikhonov),
            true_pose=r(pose), expected=r(expected)))
    return cases


# ---------------------------------------------------------------------------------------------
def linspace_ref(start, stop, num, endpoint=True):
    if num <= 0:
        return np.zeros(0)
    if num == 1:
        return np.array([(start + stop) / 2 if endpoint else start])
    if not endpoint:
        stop = stop - (stop - start) / num
    return np.linspace(start, stop, num)


def tta_cases():
    cases = []
    for num_aug in [1, 2, 3, 4, 5, 6, 10]:
        rng_deg = 25
        angles = linspace_ref(-np.deg2rad(rng_deg), np.deg2rad(rng_deg), num_aug)
        half = num_aug // 2
        scales = np.concatenate([linspace_ref(0.8, 1.0, half, False),
                                 linspace_ref(1.0, 1.1, num_aug - half)])
        flips = ((np.arange(num_aug) - half) % 2) != 0
        gammas = linspace_ref(0.6, 1.0, num_aug)
        cases.append(dict(num_aug=num_aug, angles=r(angles), scales=r(scales),
                          flips=flips.tolist(), gammas=r(gammas)))
    return cases


def main():
    data = dict(
        version=1,
        generator='training/golden/make_golden_geometry.py',
        distortion=distortion_cases(),
        crop=crop_cases(),
        heatmap=heatmap_cases(),
        reconstruction=reconstruction_cases(),
        tta=tta_cases(),
    )
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(data, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {os.path.relpath(OUT)} ({os.path.getsize(OUT) / 1024:.0f} KiB)')


if __name__ == '__main__':
    main()
