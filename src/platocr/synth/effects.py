"""Generic photo effects for synthetic data: pure functions of ``(image, rng, ...)``.

Conventions (stable API, the plate synth imports these):
- ``image`` is an ``np.ndarray`` of dtype uint8, shape (H, W, 3) in BGR (cv2) order; every function
  returns a NEW array of the same shape and dtype and never modifies its input.
- ``rng`` is a ``np.random.Generator``; all randomness comes from it (no global state), so a seeded
  generator gives byte-identical results.
- Points are float arrays of shape (N, 2) holding (x, y) pixel coordinates.
- Strength ranges are keyword arguments with sensible defaults for phone-photo looks.

Backgrounds live in ``platocr.synth.backgrounds`` and are re-exported here as ``random_background``.
"""

from __future__ import annotations

import cv2
import numpy as np

from platocr.synth.backgrounds import BACKGROUND_KINDS, random_background

__all__ = [
    "BACKGROUND_KINDS",
    "color_jitter",
    "cylinder_warp",
    "gaussian_blur",
    "glare",
    "jpeg_reencode",
    "motion_blur",
    "paste_warped",
    "perspective_jitter",
    "random_background",
    "random_perspective",
    "sensor_noise",
    "shadow",
    "warp_points",
]

Range = tuple[float, float]


def _uniform(rng: np.random.Generator, bounds: Range) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def gaussian_blur(image: np.ndarray, rng: np.random.Generator, sigma: Range = (0.3, 1.4)) -> np.ndarray:
    """Defocus: Gaussian blur with a random sigma in pixels."""
    return cv2.GaussianBlur(image, (0, 0), _uniform(rng, sigma))


def motion_blur(image: np.ndarray, rng: np.random.Generator, length: Range = (3, 9)) -> np.ndarray:
    """Hand shake: a line kernel of random length (pixels) and random direction."""
    size = max(3, int(round(_uniform(rng, length))) | 1)
    kernel = np.zeros((size, size), np.float32)
    angle = _uniform(rng, (0.0, np.pi))
    centre = (size - 1) / 2
    dx, dy = np.cos(angle) * centre, np.sin(angle) * centre
    p0 = (int(round(centre - dx)), int(round(centre - dy)))
    p1 = (int(round(centre + dx)), int(round(centre + dy)))
    cv2.line(kernel, p0, p1, 1.0, 1)
    return cv2.filter2D(image, -1, kernel / kernel.sum())


def sensor_noise(image: np.ndarray, rng: np.random.Generator, sigma: Range = (2.0, 9.0)) -> np.ndarray:
    """Sensor noise: luminance noise shared by the channels plus weaker, blotchy chroma noise.

    The noise is uniform integers rather than Gaussian: it looks the same after blur and JPEG and
    costs a fraction of float Gaussian noise.
    """
    h, w = image.shape[:2]
    k = max(1, int(round(_uniform(rng, sigma) * 1.7)))  # uniform on [-k, k] has sd ~ k / 1.7
    luma = rng.integers(-k, k + 1, size=(h, w), dtype=np.int16)
    # Chroma noise is blotchy on phones: draw it at quarter resolution and upscale.
    small = rng.integers(-k, k + 1, size=(max(1, h // 4), max(1, w // 4), 3), dtype=np.int16)
    chroma = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    return cv2.add(image, cv2.merge([luma, luma, luma]) + chroma, dtype=cv2.CV_8U)


def jpeg_reencode(image: np.ndarray, rng: np.random.Generator, quality: Range = (30, 90)) -> np.ndarray:
    """JPEG artefacts: encode and decode at a random quality (0-100)."""
    q = int(round(_uniform(rng, quality)))
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, q])
    if not ok:  # pragma: no cover - cv2 always encodes a uint8 BGR image
        raise RuntimeError("cv2.imencode failed")
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def color_jitter(
    image: np.ndarray,
    rng: np.random.Generator,
    brightness: Range = (-35.0, 35.0),
    contrast: Range = (0.7, 1.25),
    cast: float = 0.12,
) -> np.ndarray:
    """Brightness offset, contrast gain and a colour cast (per-channel gain within 1 +- cast)."""
    gain = _uniform(rng, contrast) * (1.0 + rng.uniform(-cast, cast, size=3))
    offset = _uniform(rng, brightness) + 128.0 * (1.0 - gain)  # contrast pivots around mid-grey
    matrix = np.zeros((3, 4), np.float32)
    matrix[[0, 1, 2], [0, 1, 2]] = gain
    matrix[:, 3] = offset
    return cv2.transform(image, matrix)  # saturates to uint8


def glare(
    image: np.ndarray,
    rng: np.random.Generator,
    strength: Range = (0.35, 0.9),
    *,
    centre: tuple[float, float] | None = None,
    axes: tuple[float, float] | None = None,
    softness: Range = (0.3, 0.7),
) -> np.ndarray:
    """Specular highlight: a soft bright ellipse, blended towards white.

    ``centre`` and ``axes`` (image px) place and size it; by default both are random. ``softness``:
    the edge blur as a fraction of the larger axis (smaller = a harder, brighter patch).
    """
    h, w = image.shape[:2]
    small = (max(8, w // 8), max(8, h // 8))  # draw the mask small and upscale: soft and cheap
    mask = np.zeros((small[1], small[0]), np.uint8)
    if centre is None:
        at = (int(rng.uniform(0, small[0])), int(rng.uniform(0, small[1])))
    else:
        at = (int(centre[0] * small[0] / w), int(centre[1] * small[1] / h))
    if axes is None:
        size = (int(small[0] * rng.uniform(0.08, 0.35)) + 1, int(small[1] * rng.uniform(0.05, 0.25)) + 1)
    else:
        size = (int(axes[0] * small[0] / w) + 1, int(axes[1] * small[1] / h) + 1)
    cv2.ellipse(mask, at, size, rng.uniform(0, 180), 0, 360, 255, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(size) * _uniform(rng, softness))
    alpha = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)
    lift = cv2.multiply(255 - image, cv2.merge([alpha, alpha, alpha]), scale=_uniform(rng, strength) / 255.0)
    return cv2.add(image, lift)


def shadow(image: np.ndarray, rng: np.random.Generator, strength: Range = (0.25, 0.6)) -> np.ndarray:
    """Soft shadow: darken one side of a random straight edge with a smooth gradient."""
    h, w = image.shape[:2]
    sh, sw = max(4, h // 8), max(4, w // 8)
    ys, xs = np.mgrid[0:sh, 0:sw].astype(np.float32)
    angle = _uniform(rng, (0, 2 * np.pi))
    across = (xs - rng.uniform(0, sw)) * np.cos(angle) + (ys - rng.uniform(0, sh)) * np.sin(angle)
    softness = max(sw, sh) * _uniform(rng, (0.05, 0.4))
    darkness = 1.0 / (1.0 + np.exp(-across / softness))  # 0 -> lit, 1 -> in shadow
    factor = 1.0 - _uniform(rng, strength) * darkness
    factor = cv2.resize(factor.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.multiply(image, cv2.merge([factor, factor, factor]), dtype=cv2.CV_8U)


def warp_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Map (N, 2) points through a 3x3 homography; returns (N, 2) float64."""
    pts = np.asarray(points, np.float64).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(pts, np.asarray(matrix, np.float64)).reshape(-1, 2)


def perspective_jitter(corners: np.ndarray, rng: np.random.Generator, strength: float = 0.08) -> np.ndarray:
    """Move each of 4 corners (4, 2) by up to ``strength`` x the quad's size; returns (4, 2) float32."""
    corners = np.asarray(corners, np.float32)
    size = corners.max(axis=0) - corners.min(axis=0)
    return corners + rng.uniform(-strength, strength, size=(4, 2)).astype(np.float32) * size


def random_perspective(
    image: np.ndarray,
    rng: np.random.Generator,
    strength: float = 0.08,
    points: np.ndarray | None = None,
    border_value: tuple[int, int, int] = (0, 0, 0),
) -> tuple[np.ndarray, np.ndarray]:
    """Perspective-warp ``image`` within its own frame; returns (warped image, mapped points (N, 2)).

    ``points`` (N, 2) in the input image are mapped to the output (empty array when None), so boxes
    and keypoints follow the warp.
    """
    h, w = image.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, perspective_jitter(src, rng, strength))
    warped = cv2.warpPerspective(
        image,
        matrix,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=border_value,
    )
    mapped = warp_points(points, matrix) if points is not None else np.zeros((0, 2))
    return warped, mapped


def paste_warped(
    canvas: np.ndarray, patch: np.ndarray, matrix: np.ndarray, mask: np.ndarray | None = None
) -> np.ndarray:
    """Composite ``patch`` onto ``canvas`` through the homography ``matrix`` (patch -> canvas coords).

    ``mask`` (patch H, W) uint8 is the patch's opacity (255 = opaque, default everywhere); edges are
    anti-aliased by the warp. Returns a new canvas.
    """
    h, w = canvas.shape[:2]
    ph, pw = patch.shape[:2]
    if mask is None:
        mask = np.full((ph, pw), 255, np.uint8)
    corners = warp_points(np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]]), matrix)
    # Warp and blend only inside the patch's bounding rectangle: most of the photo is untouched.
    x0, y0 = (max(0, int(np.floor(v))) for v in corners.min(axis=0))
    x1, y1 = int(min(w, np.ceil(corners[:, 0].max()) + 1)), int(min(h, np.ceil(corners[:, 1].max()) + 1))
    out = canvas.copy()
    if x1 <= x0 or y1 <= y0:
        return out
    local = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64) @ np.asarray(matrix, np.float64)
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(patch, local, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    alpha = cv2.warpPerspective(mask, local, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    a = alpha[:, :, None].astype(np.float32) / 255.0
    region = out[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = (region + (warped.astype(np.float32) - region) * a).astype(np.uint8)
    return out


def cylinder_warp(
    image: np.ndarray,
    rng: np.random.Generator,
    curvature: Range = (0.3, 1.1),
    points: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Wrap ``image`` around a vertical cylinder (a can or bottle seen from the front).

    ``curvature`` is the half-angle in radians that the image's width covers on the cylinder: the
    sides get compressed and darker, the middle slightly magnified; the output keeps and fills the
    input size. A 4-channel BGRA image is accepted: its alpha is warped but not shaded,
    so a patch and its opacity mask stay aligned. Returns (warped image, mapped points (N, 2)).
    """
    h, w = image.shape[:2]
    half = _uniform(rng, curvature)
    centre = (w - 1) / 2
    radius_px = centre / np.sin(half)  # screen half-width of the surface = centre
    xs = np.arange(w, dtype=np.float32)
    sin_theta = np.clip((xs - centre) / radius_px, -1.0, 1.0)
    theta = np.arcsin(sin_theta)
    src_x = centre + theta / half * centre  # arc length -> source column
    valid = np.abs(theta) <= half
    map_x = np.where(valid, src_x, -1.0).astype(np.float32)
    map_x = np.repeat(map_x[None, :], h, axis=0)
    map_y = np.repeat(np.arange(h, dtype=np.float32)[:, None], w, axis=1)
    warped = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    shade = (0.55 + 0.45 * np.sqrt(np.clip(1.0 - sin_theta**2, 0, 1))).astype(np.float32)  # Lambert falloff
    warped[:, :, :3] = (warped[:, :, :3].astype(np.float32) * shade[None, :, None]).astype(np.uint8)
    mapped = np.zeros((0, 2))
    if points is not None:
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        arc = (pts[:, 0] - centre) / centre * half
        mapped = np.stack([centre + radius_px * np.sin(arc), pts[:, 1]], axis=1)
    return warped, mapped
