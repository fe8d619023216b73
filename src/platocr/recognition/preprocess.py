"""THE one preprocessing path from a crop to model input (used by train, eval, predictor and video).

crop (any size, BGR or RGB, colour or grey) -> [bars straightened, ``input.deskew``] -> RGB ->
aspect-keeping resize into H x W, padded right/bottom -> float32 normalised with the ImageNet mean/std
timm backbones expect -> (N, 3, H, W) float32 numpy. Training calls :func:`straighten`, augments, then
calls :func:`resize_pad` and :func:`normalize` like here (and ``torch.from_numpy`` on the batch).
Numpy and OpenCV only: inference with onnxruntime never imports torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from platocr.errors import PlatocrError
from platocr.recognition.config import InputConfig

MEAN_RGB = (0.485, 0.456, 0.406)
STD_RGB = (0.229, 0.224, 0.225)
_MEAN = np.array(MEAN_RGB, dtype=np.float32).reshape(1, 3, 1, 1)
_STD = np.array(STD_RGB, dtype=np.float32).reshape(1, 3, 1, 1)


def image_or_reason(path: str | Path) -> np.ndarray | str:
    """The image at ``path`` as BGR uint8 HxWx3, or why it cannot be read: ``not found``,
    ``cannot read (<OS error>)``, ``empty file`` or ``cannot decode``.

    Decodes from bytes so that non-ASCII file names (Cyrillic plate labels) work on every platform.
    """
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except FileNotFoundError:
        return "not found"
    except OSError as exc:  # a folder, no permission, an I/O error
        return f"cannot read ({exc.strerror or exc})"
    if not data.size:
        return "empty file"
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return "cannot decode" if image is None else image


def load_image(path: str | Path) -> np.ndarray:
    """Read an image as BGR uint8 HxWx3; PlatocrError naming the file if missing or unreadable."""
    path = Path(path)
    image = image_or_reason(path)
    if isinstance(image, str):
        if image == "not found":
            raise PlatocrError(f"image not found: {path}")
        raise PlatocrError(
            f"cannot decode image: {path}" + ("" if image == "cannot decode" else f" ({image})")
        )
    return image


def as_three_channels(image: np.ndarray) -> np.ndarray:
    """HxW, HxWx1, HxWx3 or HxWx4 uint8 -> HxWx3 (grey repeated, alpha dropped), channel order kept."""
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return image[:, :, :3]
    raise PlatocrError(f"expected an HxW or HxWxC image with C in 1, 3, 4, got shape {image.shape}")


def resize_pad(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Fit ``image`` into height x width keeping its aspect, padding the right/bottom.

    Args:
        image: HxWx3 uint8 (channel order is preserved; grey HxW is repeated to 3 channels).

    Returns:
        height x width x 3 uint8. Padding uses the crop's mean colour so the border adds no hard edge
        that could read as a stroke.
    """
    image = as_three_channels(image)
    h, w = image.shape[:2]
    if h == 0 or w == 0:
        raise PlatocrError(f"cannot resize an empty image of shape {image.shape}")
    scale = min(height / h, width / w)
    new_h = min(height, max(1, round(h * scale)))
    new_w = min(width, max(1, round(w * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
    if (new_h, new_w) == (height, width):
        return resized
    # The mean colour as exact per-channel sums over the pixel count: numpy's mean to the bit, without
    # its slow strided float64 reduction (most of the preprocessing time on large crops).
    sums = cv2.sumElems(np.ascontiguousarray(image))[:3]
    fill = (np.array(sums) / (h * w)).round().astype(np.uint8)
    out = np.empty((height, width, 3), dtype=np.uint8)
    out[:] = fill
    out[:new_h, :new_w] = resized
    return out


# deskew_bars: tilts under MIN_TILT_DEG are left alone (a rotation only blurs them); above MAX_TILT_DEG the
# box is nearly square and the reading axis is a guess; weak coherence = no dominant stroke direction.
MIN_TILT_DEG = 2.0
MAX_TILT_DEG = 50.0
MIN_COHERENCE = 0.15
_ANGLE_SIDE_PX = 160  # the angle is measured on a copy at most this size (speed; bars stay resolved)
_ANGLE_BINS = 90  # over the doubled angle: 2-degree bins
_NEAR_DEG = 10.0


def bar_tilt(image: np.ndarray) -> tuple[float, float]:
    """Direction of the dominant parallel strokes of ``image`` (HxW or HxWx3 uint8).

    Gradient orientations (doubled, so a stroke's two edges agree) are histogrammed weighted by squared
    magnitude; the peak, refined by the mean of the gradients within 10 degrees of it, is the bars' normal.
    A peak rather than the whole structure tensor, so the digit line and the label's edges do not pull it.

    Returns:
        (angle, coherence): ``angle`` in degrees in (-90, 90], the bars' normal in image coordinates (y
        down; 0 = vertical bars, positive = turned clockwise on screen); ``coherence`` in [0, 1], the share
        of the gradient energy within 10 degrees of it.
    """
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 and image.shape[2] == 3 else image
    if gray.ndim == 3:
        gray = gray[:, :, 0]
    h, w = gray.shape
    scale = _ANGLE_SIDE_PX / max(h, w, 1)
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    pixels = gray.astype(np.float32)
    # Scharr, not 3x3 Sobel: Sobel's orientation error on thin bars pulls every tilt ~10% towards 0.
    gx = cv2.Scharr(pixels, cv2.CV_32F, 1, 0).ravel()
    gy = cv2.Scharr(pixels, cv2.CV_32F, 0, 1).ravel()
    cos2, sin2, energy = gx * gx - gy * gy, 2 * gx * gy, gx * gx + gy * gy  # doubled-angle vectors
    total = float(energy.sum())
    if total <= 0:
        return 0.0, 0.0
    doubled = np.arctan2(sin2, cos2)
    bins = np.histogram(doubled, bins=_ANGLE_BINS, range=(-math.pi, math.pi), weights=energy)[0]
    smooth = bins + 0.5 * (np.roll(bins, 1) + np.roll(bins, -1))  # circular
    peak = -math.pi + (int(smooth.argmax()) + 0.5) * 2 * math.pi / _ANGLE_BINS
    near = np.abs((doubled - peak + math.pi) % (2 * math.pi) - math.pi) <= math.radians(2 * _NEAR_DEG)
    angle = 0.5 * math.degrees(math.atan2(float(sin2[near].sum()), float(cos2[near].sum())))
    return angle, float(energy[near].sum()) / total


def deskew_bars(image: np.ndarray) -> np.ndarray:
    """Rotate a barcode crop so that its bars stand vertical (reading axis horizontal).

    The crop is an axis-aligned box around a tilted label: after rotating by the bars' tilt the canvas
    grows to hold the whole crop (border replicated), then is trimmed to the crop's width and to
    ``h * cos(tilt)`` rows around the centre, which drops most of the corner wedges the rotation brings
    in. Crops whose tilt is under ``MIN_TILT_DEG``, over ``MAX_TILT_DEG`` or without a dominant stroke
    direction come back unchanged.

    Args:
        image: HxW or HxWx3 uint8, any channel order.

    Returns:
        uint8 image of the same channel layout, generally of another size.
    """
    angle, coherence = bar_tilt(image)
    if coherence < MIN_COHERENCE or not MIN_TILT_DEG <= abs(angle) <= MAX_TILT_DEG:
        return image
    h, w = image.shape[:2]
    cos, sin = math.cos(math.radians(abs(angle))), math.sin(math.radians(abs(angle)))
    canvas_w, canvas_h = w * cos + h * sin, w * sin + h * cos
    # cv2's positive angle turns counter-clockwise on screen, which brings a gradient axis at +angle
    # (clockwise from x, y down) back to x.
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix[0, 2] += canvas_w / 2 - w / 2
    matrix[1, 2] += canvas_h / 2 - h / 2
    size = (round(canvas_w), round(canvas_h))
    rotated = cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    keep_w, keep_h = min(size[0], w), min(size[1], max(1, round(h * cos)))
    x0, y0 = (size[0] - keep_w) // 2, (size[1] - keep_h) // 2
    return rotated[y0 : y0 + keep_h, x0 : x0 + keep_w]


def straighten(image: np.ndarray, cfg: InputConfig) -> np.ndarray:
    """The geometric part of preprocessing that comes before any augmentation: ``cfg.deskew``."""
    return deskew_bars(image) if cfg.deskew else image


def normalize(batch: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 RGB -> (N, 3, H, W) float32 ImageNet-normalised, C-contiguous numpy array."""
    batch = np.asarray(batch)
    if batch.ndim != 4 or batch.shape[-1] != 3:
        raise PlatocrError(f"normalize expects an (N, H, W, 3) RGB batch, got shape {tuple(batch.shape)}")
    # (x / 255 - mean) / std in float32, step by step in place: the same figures torch computed before.
    out = np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32)
    out /= np.float32(255.0)
    out -= _MEAN
    out /= _STD
    return out


def to_model_input(images: Sequence[np.ndarray] | np.ndarray, cfg: InputConfig, *, rgb: bool) -> np.ndarray:
    """Crops of any size -> model input batch.

    Args:
        images: one image (HxW grey or HxWx3) or a sequence / (N, H, W, 3) array of them, uint8,
            in BGR order (``rgb=False``, what OpenCV reads) or RGB (``rgb=True``).
        cfg: the input size (``cfg.height`` x ``cfg.width``).

    Returns:
        (N, 3, cfg.height, cfg.width) float32 normalised RGB numpy array (C-contiguous).
    """
    if isinstance(images, np.ndarray) and images.ndim in (2, 3):
        images = [images]
    if len(images) == 0:
        raise PlatocrError("to_model_input got no images")
    batch = np.empty((len(images), cfg.height, cfg.width, 3), dtype=np.uint8)
    for i, image in enumerate(images):
        if image.dtype != np.uint8:
            raise PlatocrError(f"image {i}: expected uint8 pixels, got {image.dtype}")
        fitted = resize_pad(straighten(image, cfg), cfg.height, cfg.width)
        batch[i] = fitted if rgb else cv2.cvtColor(fitted, cv2.COLOR_BGR2RGB)
    return normalize(batch)
