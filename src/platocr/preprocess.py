"""THE one preprocessing path from a crop to model input (used by train, eval, predictor and video).

crop (any size, BGR or RGB, colour or grey) -> RGB -> aspect-keeping resize into H x W, padded
right/bottom -> float32 normalised with the ImageNet mean/std timm backbones expect -> (N, 3, H, W).
Training augments the raw crop first, then calls :func:`resize_pad` and :func:`normalize` like here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch

from platocr.config import InputConfig
from platocr.errors import PlatocrError

MEAN_RGB = (0.485, 0.456, 0.406)
STD_RGB = (0.229, 0.224, 0.225)


def load_image(path: str | Path) -> np.ndarray:
    """Read an image as BGR uint8 HxWx3; PlatocrError naming the file if missing or unreadable.

    Decodes from bytes so that non-ASCII file names (Cyrillic plate labels) work on every platform.
    """
    path = Path(path)
    if not path.is_file():
        raise PlatocrError(f"image not found: {path}")
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise PlatocrError(f"cannot decode image: {path}")
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
    fill = image.reshape(-1, 3).mean(axis=0).round().astype(np.uint8)
    out = np.empty((height, width, 3), dtype=np.uint8)
    out[:] = fill
    out[:new_h, :new_w] = resized
    return out


def normalize(batch: np.ndarray | torch.Tensor) -> torch.Tensor:
    """(N, H, W, 3) uint8 RGB (numpy or tensor) -> (N, 3, H, W) float32 ImageNet-normalised tensor."""
    tensor = torch.as_tensor(batch)
    if tensor.dim() != 4 or tensor.shape[-1] != 3:
        raise PlatocrError(f"normalize expects an (N, H, W, 3) RGB batch, got shape {tuple(tensor.shape)}")
    mean = torch.tensor(MEAN_RGB, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(STD_RGB, dtype=torch.float32).view(1, 3, 1, 1)
    tensor = tensor.permute(0, 3, 1, 2).float().div_(255.0)
    return ((tensor - mean) / std).contiguous()


def to_model_input(images: Sequence[np.ndarray] | np.ndarray, cfg: InputConfig, *, rgb: bool) -> torch.Tensor:
    """Crops of any size -> model input batch.

    Args:
        images: one image (HxW grey or HxWx3) or a sequence / (N, H, W, 3) array of them, uint8,
            in BGR order (``rgb=False``, what OpenCV reads) or RGB (``rgb=True``).
        cfg: the input size (``cfg.height`` x ``cfg.width``).

    Returns:
        (N, 3, cfg.height, cfg.width) float32 normalised RGB tensor.
    """
    if isinstance(images, np.ndarray) and images.ndim in (2, 3):
        images = [images]
    if len(images) == 0:
        raise PlatocrError("to_model_input got no images")
    batch = np.empty((len(images), cfg.height, cfg.width, 3), dtype=np.uint8)
    for i, image in enumerate(images):
        if image.dtype != np.uint8:
            raise PlatocrError(f"image {i}: expected uint8 pixels, got {image.dtype}")
        fitted = resize_pad(image, cfg.height, cfg.width)
        batch[i] = fitted if rgb else cv2.cvtColor(fitted, cv2.COLOR_BGR2RGB)
    return normalize(batch)
