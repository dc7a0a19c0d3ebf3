"""metrabs_train.cameras against the golden vectors shared with @metrabs/core, OpenCV, and by
rendering: a dot at a known 3D point's projection must land where K_crop·R·p says."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from metrabs_train import cameras

GOLDEN = json.loads(
    (Path(__file__).resolve().parents[2] / 'fixtures' / 'golden' / 'geometry.json').read_text())


def max_abs(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


# ---------------------------------------------------------------------------------------------
# Golden vectors (same tolerances as packages/core/test/golden.test.ts)


@pytest.mark.parametrize('case', GOLDEN['distortion'], ids=lambda c: f'{len(c["coeffs"])}coef')
def test_golden_distortion(case):
    distorted = cameras.distort_points(np.array(case['undistorted']), case['coeffs'])
    assert max_abs(distorted, case['distorted']) < 1e-11
    undistorted = cameras.undistort_points(np.array(case['distorted']), case['coeffs'])
    assert max_abs(undistorted, case['undistorted']) < 1e-10
    assert max_abs(undistorted, case['opencv_undistorted']) < 1e-9


@pytest.mark.parametrize('case', GOLDEN['crop'], ids=lambda c: f'side{c["side"]}-flip{c["flip"]}')
def test_golden_crop_camera(case):
    K = np.array(case['intrinsics'])
    K_crop, R, zoom = cameras.crop_camera(K, case['distortion'], np.array(case['up_camera']),
                                          case['box'], case['side'], case['angle'], case['scale'],
                                          case['flip'])
    assert max_abs(K_crop, case['crop_intrinsics']) < 1e-7
    assert max_abs(R, case['rotation']) < 1e-10
    assert zoom == pytest.approx(case['zoom'], abs=1e-9)
    p_crop = R @ np.array(case['point_camera'])
    assert max_abs(p_crop, case['point_crop']) < 1e-7
    assert max_abs(cameras.project(p_crop[None], K_crop)[0], case['point_crop_px']) < 1e-7
    image_px = cameras.project(np.array(case['point_camera'])[None], K, case['distortion'])[0]
    assert max_abs(image_px, case['point_image_px']) < 1e-6
    if case['homography'] is not None:
        H = cameras.crop_to_image_homography(K, K_crop, R)
        golden = np.array(case['homography'])
        scale = golden[2, 2] / H[2, 2]
        assert max_abs(H * scale, golden) < 1e-9 * abs(scale) * 1e3


# ---------------------------------------------------------------------------------------------
# OpenCV cross-checks and small properties


def test_distortion_matches_opencv_project_points():
    rng = np.random.default_rng(0)
    d = np.array([-0.2, 0.05, 0.001, -0.002, 0.01, 0.02, -0.01, 0.005, 0.001, -0.001, 0.002, 0.0])
    pts = rng.uniform(-0.5, 0.5, (50, 2))
    obj = np.concatenate([pts, np.ones((50, 1))], axis=1)
    expected, _ = cv2.projectPoints(obj, np.zeros(3), np.zeros(3), np.eye(3), d)
    assert max_abs(cameras.distort_points(pts, d), expected.reshape(-1, 2)) < 1e-12
    assert max_abs(cameras.undistort_points(expected.reshape(-1, 2), d), pts) < 1e-10


def test_look_at_rotation_is_proper_and_upright():
    R = cameras.look_at_rotation([0.3, -0.2, 1.0], [0.05, -1.0, 0.1])
    assert max_abs(R @ R.T, np.eye(3)) < 1e-12
    assert np.linalg.det(R) == pytest.approx(1.0)
    assert max_abs(R[2], np.array([0.3, -0.2, 1.0]) / np.linalg.norm([0.3, -0.2, 1.0])) < 1e-12
    # image-up (−y of the new camera) has a positive component along the world up
    assert -R[1] @ np.array([0.05, -1.0, 0.1]) > 0
    assert np.all(np.isfinite(cameras.look_at_rotation([0, -1, 0], [0, -1, 0])))


def test_intrinsics_from_fov():
    K = cameras.intrinsics_from_fov(90, 640, 480)
    assert K[0, 0] == pytest.approx(320) and K[1, 1] == pytest.approx(320)
    assert K[0, 2] == 320 and K[1, 2] == 240


def test_crop_camera_rejects_bad_boxes():
    K = cameras.intrinsics_from_fov(60, 640, 480)
    for box in ([0, 0, 0, 10], [0, 0, 10, -1], [np.nan, 0, 10, 10]):
        with pytest.raises(cameras.GeometryError):
            cameras.crop_camera(K, None, np.array([0, -1.0, 0]), box, 256)


def test_map_agrees_with_homography_without_distortion():
    K = cameras.intrinsics_from_fov(60, 640, 480)
    K_crop, R, _ = cameras.crop_camera(K, None, np.array([0, -1.0, 0.1]), [200, 100, 80, 200],
                                       64, angle=0.3, scale=0.9, flip=True)
    for a in (1, 2):
        H = cameras.crop_to_image_homography(K, K_crop, R, a)
        mapped = cameras.crop_to_image_map(K, np.zeros(12), K_crop, R, 64, a)
        u, v = np.meshgrid(np.arange(64 * a), np.arange(64 * a))
        homog = np.stack([u, v, np.ones_like(u)], -1) @ H.T
        assert max_abs(mapped, homog[..., :2] / homog[..., 2:]) < 1e-3  # float32 map


# ---------------------------------------------------------------------------------------------
# Rendering: a dot must land where the geometry says


def gaussian_dot_image(width: int, height: int, centre: np.ndarray, sigma: float) -> np.ndarray:
    """uint8 sRGB image of a gaussian blob defined in linear light (so its linear-light centroid
    is `centre`, pixel-centre convention)."""
    u, v = np.meshgrid(np.arange(width), np.arange(height))
    linear = np.exp(-((u - centre[0]) ** 2 + (v - centre[1]) ** 2) / (2 * sigma ** 2))
    encoded = np.round(255 * linear ** (1 / cameras.GAMMA)).astype(np.uint8)
    return np.repeat(encoded[..., None], 3, axis=2)


def linear_centroid(crop: np.ndarray) -> np.ndarray:
    w = (crop[..., 0].astype(np.float64)) ** cameras.GAMMA
    v, u = np.mgrid[0:w.shape[0], 0:w.shape[1]]
    return np.array([(w * u).sum(), (w * v).sum()]) / w.sum()


@pytest.mark.parametrize('distorted', [False, True], ids=['pinhole', 'distorted'])
@pytest.mark.parametrize('antialias', [1, 3])
def test_warped_dot_lands_at_predicted_crop_pixel(distorted, antialias):
    rng = np.random.default_rng(7 + distorted + 10 * antialias)
    width, height, side = 480, 360, 96
    K = cameras.intrinsics_from_fov(70, width, height)
    K[0, 2] += 7.3
    K[1, 2] -= 4.1
    dist = np.array([-0.15, 0.03, 0.001, -0.0015, 0.0]) if distorted else np.zeros(5)
    point = np.array([rng.uniform(-600, 600), rng.uniform(-400, 400), rng.uniform(3000, 4000)])
    centre = cameras.project(point[None], K, dist)[0]
    image = gaussian_dot_image(width, height, centre, sigma=2.5)
    box = [centre[0] - 40 + rng.uniform(-15, 15), centre[1] - 60 + rng.uniform(-15, 15), 80, 120]
    up_cam = np.array([0.05, -1.0, 0.1])
    for angle, scale, flip in [(0.0, 1.0, False), (0.4, 0.9, True), (-0.3, 1.1, False)]:
        K_crop, R, _ = cameras.crop_camera(K, dist, up_cam, box, side, angle, scale, flip)
        crop = cameras.warp_to_crop(image, K, dist, K_crop, R, side, antialias=antialias)
        assert crop.dtype == np.float32 and crop.shape == (side, side, 3)
        expected = cameras.project((R @ point)[None], K_crop)[0]
        assert max_abs(linear_centroid(crop), expected) < 0.05, (angle, scale, flip)
        # the same mapping for 2D points, through undistortion
        mapped, in_front = cameras.image_points_to_crop(centre[None], K, dist, K_crop, R)
        assert in_front[0] and max_abs(mapped[0], expected) < 1e-6


def test_warp_is_gamma_correct_and_zero_outside():
    K = cameras.intrinsics_from_fov(60, 100, 100)
    image = np.full((100, 100, 3), 128, np.uint8)
    K_crop, R, _ = cameras.crop_camera(K, None, np.array([0, -1.0, 0]), [-50, 25, 100, 50], 32)
    crop = cameras.warp_to_crop(image, K, None, K_crop, R, 32, antialias=2)
    assert crop[16, 28] == pytest.approx(128 / 255, abs=1e-3)  # flat areas survive the round trip
    assert np.all(crop[:, :4] == 0)  # left of the image: border value 0
    # A 0/255 checkerboard averages to 0.5 in linear light, i.e. 0.5^(1/2.2) when encoded.
    board = ((np.indices((100, 100)).sum(0) % 2) * 255).astype(np.uint8)[..., None].repeat(3, 2)
    K_crop, R, _ = cameras.crop_camera(K, None, np.array([0, -1.0, 0]), [20, 20, 60, 60], 6)
    small = cameras.warp_to_crop(board, K, None, K_crop, R, 6, antialias=4)
    assert np.allclose(small[1:-1, 1:-1], 0.5 ** (1 / 2.2), atol=0.03)
