"""How hard the synthetic barcode photos are: every distortion range derived from one ``strength``.

``strength`` 1.0 is the training look; a validation split is drawn at e.g. 1.5 (stronger than
training) with another seed. Ranges grow linearly with ``strength`` and probabilities too, each capped
where the photo would stop being a faithful label (a person must still read the digits at crop size:
that is what ``MIN_DIGIT_PX`` and the blur-to-digit ratio guard, at every strength).
"""

from __future__ import annotations

from dataclasses import dataclass

from platocr.errors import PlatocrError

MAX_STRENGTH = 3.0
# Smallest digit height (px, top to bottom of the glyph) in the final photo: smaller digits are
# unreadable after blur and JPEG, so their labels would be noise.
MIN_DIGIT_PX = 7.0
# Digits must stay this many times taller than the blur (Gaussian sigma, or a third of a motion streak).
DIGIT_PER_BLUR = 10.0

Range = tuple[float, float]


def check_strength(strength: float) -> float:
    """``strength`` as a float when it lies in (0, 3]; PlatocrError otherwise."""
    if not (0.0 < strength <= MAX_STRENGTH):  # also rejects NaN
        raise PlatocrError(f"--strength must be in (0, {MAX_STRENGTH:g}], got {strength}")
    return float(strength)


def _scaled(low: float, high: float, strength: float, cap: float) -> Range:
    return (min(low * strength, cap), min(high * strength, cap))


@dataclass(frozen=True)
class Distortion:
    """Ranges (uniform low, high) and probabilities of each distortion; see ``for_strength``."""

    strength: float
    tilt_deg: float  # most labels: rotation in +- tilt_deg
    big_tilt_deg: float  # the other 30%: +- big_tilt_deg (kept < 45: the box must stay horizontal)
    vertical_jitter_deg: float  # sd of the angle around 90 for vertical barcodes
    perspective: float  # corner jitter, fraction of the label size (upper bound)
    curve_share: float  # labels on a can/bottle
    curvature: Range  # half-angle (radians) of the cylinder covered by the label
    min_region_px: float  # smallest barcode region width (px) before the digit-height floor
    shadow_share: float
    shadow: Range
    glare_share: float
    glare: Range
    cast: float  # colour cast: per-channel gain within 1 +- cast
    lowres_share: float  # low-resolution camera / digital zoom
    lowres: Range  # downscale factor
    gauss_share: float
    gauss_sigma: Range
    motion_share: float
    motion_length: Range
    noise_share: float
    noise_sigma: Range
    jpeg_quality: tuple[int, int]  # JPEG quality, integers in [low, high)

    @classmethod
    def for_strength(cls, strength: float = 1.0) -> Distortion:
        """The ranges at ``strength`` (1.0 = the default training look)."""
        s = check_strength(strength)
        blur_total = min(0.9, 0.55 * s)  # Gaussian : motion stays 45 : 10
        return cls(
            strength=s,
            tilt_deg=min(6.0 * s, 20.0),
            big_tilt_deg=min(25.0 * s, 40.0),
            vertical_jitter_deg=3.0 * s,
            perspective=min(0.08 * s, 0.2),
            curve_share=min(0.15 * s, 0.5),
            curvature=_scaled(0.3, 1.0, s, 1.4),
            min_region_px=110.0 / s,
            shadow_share=min(0.3 * s, 0.9),
            shadow=_scaled(0.25, 0.6, s, 0.75),
            glare_share=min(0.2 * s, 0.8),
            glare=_scaled(0.35, 0.9, s, 0.97),
            cast=min(0.12 * s, 0.4),
            lowres_share=min(0.1 * s, 0.5),
            lowres=(max(0.5, 1.0 - 0.4 * s), max(0.55, min(0.95, 1.0 - 0.15 * s))),
            gauss_share=blur_total * 45 / 55,
            gauss_sigma=_scaled(0.3, 1.0, s, 2.5),
            motion_share=blur_total * 10 / 55,
            motion_length=_scaled(3.0, 5.0, s, 11.0),
            noise_share=min(0.6 * s, 0.9),
            noise_sigma=_scaled(1.5, 7.0, s, 18.0),
            jpeg_quality=(int(min(90, max(10, round(45 - 30 * (s - 1))))), 96),
        )
