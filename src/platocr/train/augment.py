"""Training augmentation built from ``cfg.augment`` (albumentations 2.0).

Geometry acts on the raw crop (so loose-crop margins and perspective see the real surroundings),
then the crop goes through :func:`platocr.recognition.preprocess.resize_pad` exactly like at inference, then
photometric effects act at model resolution (cheap, and their strength is then the same for every
crop size). Probabilities come from the config; ranges are fixed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import albumentations as A
import cv2
import numpy as np

from platocr.recognition.config import AugmentConfig, InputConfig
from platocr.recognition.preprocess import as_three_channels, resize_pad, straighten


def _geometry(cfg: AugmentConfig) -> A.Compose:
    steps: list[A.BasicTransform] = []
    if cfg.pad_jitter > 0:
        # Margins only (never negative): cutting into the crop could remove a character of the label.
        steps.append(
            A.CropAndPad(
                percent=(0.0, cfg.pad_jitter),
                keep_size=False,
                sample_independently=True,
                border_mode=cv2.BORDER_REPLICATE,
                p=0.5,
            )
        )
    lo, hi = cfg.scale_x
    if (lo, hi) != (1.0, 1.0) or cfg.rotate_limit > 0:
        steps.append(
            A.Affine(
                scale={"x": (lo, hi), "y": (1.0, 1.0)},
                rotate=(-cfg.rotate_limit, cfg.rotate_limit),
                shear={"x": (-5.0, 5.0), "y": (0.0, 0.0)},
                fit_output=True,  # keep every character inside the image
                border_mode=cv2.BORDER_REPLICATE,
                p=0.5,
            )
        )
    if cfg.perspective > 0:
        steps.append(
            A.Perspective(
                scale=(0.01, max(0.011, cfg.perspective_scale)),
                fit_output=True,
                border_mode=cv2.BORDER_REPLICATE,
                p=cfg.perspective,
            )
        )
    return A.Compose(steps)


def _odd(pixels: float) -> int:
    """The odd blur kernel size nearest ``pixels``, at least 3 (albumentations takes odd sizes only)."""
    return max(3, 2 * round((pixels - 1) / 2) + 1)


def _photometric(cfg: AugmentConfig, width: int) -> A.Compose:
    sigma_lo, sigma_hi = cfg.blur_sigma
    kernel_hi = max(5, 2 * round(2 * sigma_hi) + 1)  # 5 for the default sigma up to 1.2
    streak = (_odd(cfg.passing_car_blur_length[0] * width), _odd(cfg.passing_car_blur_length[1] * width))
    # only when asked for: an unused step would still draw from the random stream and change every run
    passing_car = (
        [A.MotionBlur(blur_limit=streak, allow_shifted=False, angle_range=(0, 3), p=cfg.passing_car_blur)]
        if cfg.passing_car_blur > 0
        else []
    )
    return A.Compose(
        [
            A.RandomBrightnessContrast(brightness_limit=0.3, contrast_limit=0.3, p=cfg.brightness_contrast),
            A.CLAHE(clip_limit=(1.0, 3.0), p=cfg.clahe),
            A.OneOf(
                [
                    A.GaussianBlur(blur_limit=(3, kernel_hi), sigma_limit=(sigma_lo, sigma_hi)),
                    A.MotionBlur(blur_limit=(3, kernel_hi)),
                ],
                p=cfg.blur,
            ),
            *passing_car,
            A.GaussNoise(std_range=(0.02, 0.08), p=cfg.noise),
            # Area down, linear up: how resize_pad enlarges a distant plate's few pixels (not blocky).
            A.Downscale(
                scale_range=cfg.downscale_range,
                interpolation_pair={"downscale": cv2.INTER_AREA, "upscale": cv2.INTER_LINEAR},
                p=cfg.downscale,
            ),
            # Small holes: a glare spot or dirt, not a whole character.
            A.CoarseDropout(
                num_holes_range=(1, 3),
                hole_height_range=(0.05, 0.25),
                hole_width_range=(0.01, 0.04),
                fill="random_uniform",
                p=cfg.coarse_dropout,
            ),
            A.ImageCompression(quality_range=(30, 90), p=cfg.jpeg),
            A.ToGray(num_output_channels=3, p=cfg.grayscale),
        ]
    )


def _seed_tree(transform: A.BasicTransform | A.BaseCompose, seq: np.random.SeedSequence) -> None:
    """Give every transform its own random stream.

    ``Compose(seed=s)`` hands the SAME seed to each child, so their "apply?" draws come out
    identical (all-or-nothing augmentation); distinct child seeds keep them independent.
    """
    transform.set_random_seed(int(seq.generate_state(1)[0]))
    children = getattr(transform, "transforms", None) or []
    for child, child_seq in zip(children, seq.spawn(len(children)), strict=True):
        _seed_tree(child, child_seq)


@dataclass
class CropAugmenter:
    """Callable: raw crop (HxWx3 uint8, any channel order) -> augmented ``height x width x 3`` uint8."""

    input: InputConfig
    geometry: A.Compose | None
    photometric: A.Compose | None

    def __call__(self, image: np.ndarray) -> np.ndarray:
        image = straighten(as_three_channels(image), self.input)
        if self.geometry is not None:
            image = self.geometry(image=image)["image"]
        fitted = resize_pad(image, self.input.height, self.input.width)
        if self.photometric is not None:
            fitted = self.photometric(image=fitted)["image"]
        return np.ascontiguousarray(fitted)

    def reseed(self, seed: int) -> None:
        """Reseed all random streams (call once per DataLoader worker with a distinct seed)."""
        seq = np.random.SeedSequence(seed)
        for pipeline, sub in zip((self.geometry, self.photometric), seq.spawn(2), strict=True):
            if pipeline is not None:
                _seed_tree(pipeline, sub)


def build_augmenter(augment: AugmentConfig, input_cfg: InputConfig, *, seed: int = 0) -> CropAugmenter:
    """The training pipeline, or plain resize-pad when ``augment.enabled`` is False."""
    if not augment.enabled:
        return CropAugmenter(input_cfg, None, None)
    augmenter = CropAugmenter(input_cfg, _geometry(augment), _photometric(augment, input_cfg.width))
    augmenter.reseed(seed)
    return augmenter


def resize_only(input_cfg: InputConfig) -> CropAugmenter:
    """Validation / evaluation transform: the plain inference resize-pad."""
    return CropAugmenter(input_cfg, None, None)
