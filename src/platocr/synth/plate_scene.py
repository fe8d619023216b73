"""Put a drawn plate on a car and photograph it: the crop a plate detector would hand to the OCR.

``plate_crop`` returns a finished crop (car body, bumper, frame text around the plate; perspective,
rotation, lighting, IR-grey or colour, blur, low resolution, JPEG). Sizes follow the real crops:
75-640 px wide, aspect ~2.8. ``camera`` and ``car_body`` are shared with ``plate_negatives``.
Images are uint8 (H, W, 3) BGR; grey looks have three equal channels.
"""

from __future__ import annotations

import cv2
import numpy as np

from platocr.synth import effects
from platocr.synth.plate_render import PLATE_H_MM, PLATE_W_MM, draw_framed_plate

# Car paint (BGR) roughly as often as they appear on the road: black, white, silver, grey, blue, red...
_PAINT = np.array([[20, 20, 22], [235, 235, 235], [180, 180, 178], [110, 110, 112], [120, 60, 20],
                   [30, 30, 150], [150, 170, 185], [40, 80, 40], [200, 150, 90]], np.float32)  # fmt: skip
_PAINT_P = np.array([0.26, 0.18, 0.18, 0.14, 0.08, 0.06, 0.04, 0.03, 0.03])
GREY_SHARE = 0.6  # share of infrared/grey crops among the real ones (measured: zero saturation)


def crop_size(rng: np.random.Generator, negative: bool = False) -> tuple[int, int]:
    """Output (width, height): log-normal width (median ~250 px like the real crops), aspect ~2.8."""
    width = int(np.clip(rng.lognormal(np.log(275 if negative else 245), 0.4 if negative else 0.55), 74, 640))
    if negative:
        aspect = rng.uniform(1.3, 3.0)
    else:
        aspect = rng.uniform(2.7, 3.05) if rng.random() < 0.85 else rng.uniform(1.9, 4.2)
    return width, max(20, int(round(width / aspect)))


def _smooth(h: int, w: int, rng: np.random.Generator, cells: int) -> np.ndarray:
    """Low-frequency field in [-1, 1], float32 (h, w)."""
    coarse = rng.uniform(-1, 1, (max(2, cells * h // max(h, w)), max(2, cells))).astype(np.float32)
    return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)


def car_body(h: int, w: int, rng: np.random.Generator, plate_y: float) -> np.ndarray:
    """Car rear/front around a plate at height ``plate_y`` px: paint, bumper edges, grille, logo, gloss."""
    paint = _PAINT[rng.choice(len(_PAINT), p=_PAINT_P)] * rng.uniform(0.75, 1.15)
    img = np.empty((h, w, 3), np.float32)
    img[:] = paint
    img += (_smooth(h, w, rng, 3) * rng.uniform(10, 45))[:, :, None]  # uneven light on curved panels
    y = rng.uniform(0, h * 0.3)
    while y < h:  # horizontal body lines: bumper edges, boot lid
        thick = max(1, int(rng.uniform(0.005, 0.05) * h))
        colour = tuple(np.clip(paint + rng.uniform(-70, 70), 0, 255).tolist())
        cv2.line(img, (0, int(y)), (w, int(y + rng.uniform(-0.05, 0.05) * h)), colour, thick, cv2.LINE_AA)
        y += rng.uniform(0.08, 0.45) * h
    if rng.random() < 0.25:  # radiator grille slats above or below the plate
        top = rng.random() < 0.5
        y0, y1 = (0, int(plate_y - h * 0.3)) if top else (int(plate_y + h * 0.3), h)
        step = max(3, int(h * rng.uniform(0.03, 0.08)))
        slat = tuple((paint * rng.uniform(0.1, 0.5)).tolist())
        for yy in range(y0, y1, step):
            cv2.line(img, (0, yy), (w, yy), slat, max(1, step // 2))
    if rng.random() < 0.3:  # gloss: a soft diagonal reflection band on the paint
        band = np.zeros((h, w), np.float32)
        x = int(rng.uniform(0, w))
        cv2.line(
            band,
            (x, 0),
            (x + int(rng.uniform(-0.5, 0.5) * w), h),
            1.0,
            max(2, int(w * rng.uniform(0.03, 0.15))),
        )
        img += (cv2.GaussianBlur(band, (0, 0), max(1.0, w * 0.03)) * rng.uniform(30, 90))[:, :, None]
    if rng.random() < 0.3:  # the maker's logo above the plate
        cx, cy = int(w * rng.uniform(0.4, 0.6)), int(plate_y - h * rng.uniform(0.3, 0.45))
        r = int(h * rng.uniform(0.06, 0.12))
        chrome = (rng.uniform(170, 250),) * 3
        rings = int(rng.integers(1, 5))
        for k in range(rings):
            centre = (int(cx + (k - (rings - 1) / 2) * r * 1.3), cy)
            cv2.ellipse(img, centre, (r, int(r * 0.75)), 0, 0, 360, chrome, max(1, r // 4), cv2.LINE_AA)
    if rng.random() < 0.35:  # a dark recess (niche) in the bumper where the plate sits
        y0, y1 = int(plate_y - h * rng.uniform(0.25, 0.4)), int(plate_y + h * rng.uniform(0.25, 0.4))
        x0, x1 = int(w * rng.uniform(-0.1, 0.08)), int(w * rng.uniform(0.92, 1.1))
        cv2.rectangle(img, (x0, y0), (x1, y1), tuple((paint * rng.uniform(0.2, 0.6)).tolist()), -1)
    return np.clip(img, 0, 255).astype(np.uint8)


def _plate_dirt(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mud and dust: brownish blotches of low opacity, denser near the bottom."""
    h, w = image.shape[:2]
    field = (_smooth(h, w, rng, 12) + _smooth(h, w, rng, 4)) * 0.5
    field += np.linspace(-0.2, 0.3, h, dtype=np.float32)[:, None]
    alpha = np.clip((field - rng.uniform(-0.2, 0.4)) * 2.0, 0, 1) * rng.uniform(0.2, 0.5)
    mud = np.array([rng.uniform(40, 90), rng.uniform(70, 110), rng.uniform(90, 130)], np.float32)
    out = image.astype(np.float32) * (1 - alpha[:, :, None]) + mud * alpha[:, :, None]
    return out.astype(np.uint8)


def _keep_inside(quad: np.ndarray, size: tuple[int, int], keep_x: bool) -> np.ndarray:
    """Shift (2,) that moves ``quad`` (4, 2) inside the canvas with a 2% margin (centred if too big)."""
    shift = np.zeros(2, np.float32)
    for axis in (0, 1) if keep_x else (1,):
        lo, hi, margin = quad[:, axis].min(), quad[:, axis].max(), 0.02 * size[axis]
        if hi - lo > size[axis] - 2 * margin:
            shift[axis] = (size[axis] - (hi - lo)) / 2 - lo
        else:
            shift[axis] = max(0.0, margin - lo) - max(0.0, hi - (size[axis] - margin))
    return shift


def _place_plate(out_w: int, out_h: int, plate_quad: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Homography from the framed-plate image (plate corners ``plate_quad`` (4, 2)) to the crop canvas.

    The plate fills most of the width, with a small tilt, yaw and a camera-from-above squash.
    """
    cut = rng.random() < 0.03  # a few real crops cut the plate's ends
    plate_w = out_w * (rng.uniform(0.98, 1.04) if cut else rng.triangular(0.68, 0.9, 0.97))
    squash = rng.uniform(0.78, 1.05)  # camera above the plate: it looks flatter
    plate_h = plate_w * PLATE_H_MM / PLATE_W_MM * squash
    shift_x = 0.02 if cut else 0.08
    cx = out_w / 2 + rng.uniform(-shift_x, shift_x) * out_w
    cy = out_h / 2 + rng.uniform(-0.12, 0.12) * out_h
    yaw = rng.uniform(-0.12, 0.12)  # one side nearer the camera: taller
    dst = np.array([[-plate_w / 2, -plate_h / 2 * (1 - yaw)], [plate_w / 2, -plate_h / 2 * (1 + yaw)],
                    [plate_w / 2, plate_h / 2 * (1 + yaw)], [-plate_w / 2, plate_h / 2 * (1 - yaw)]], np.float32)  # fmt: skip
    angle = np.radians(np.clip(rng.normal(0, 2.5), -8, 8))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    dst = dst @ rot.T + np.array([cx, cy], np.float32)
    dst = effects.perspective_jitter(dst, rng, strength=0.015)
    dst += _keep_inside(dst, (out_w, out_h), keep_x=not cut)
    return cv2.getPerspectiveTransform(plate_quad.astype(np.float32), dst.astype(np.float32))


def _ir_look(image: np.ndarray, plate_alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Infrared camera: grey, the retro-reflective plate glows while the car goes dark, high contrast."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    car_gain = rng.uniform(0.35, 1.0)
    grey *= car_gain + (1 - car_gain) * plate_alpha  # plate keeps its brightness
    gain = rng.uniform(0.5, 1.3)  # hazy to harsh
    grey = (grey - 128) * gain + 128 + rng.uniform(-20, 40)
    if rng.random() < 0.35:  # glow: bright plate light bleeds over the dark strokes
        bright = np.clip(grey - 150, 0, None)
        grey += cv2.GaussianBlur(
            bright, (0, 0), max(1.0, image.shape[1] * rng.uniform(0.004, 0.015))
        ) * rng.uniform(0.5, 1.5)
    grey = np.clip(grey, 0, 255).astype(np.uint8)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


def _colour_look(image: np.ndarray, plate_alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Daylight, dusk/night (car dark, plate lit) or overexposed colour photo."""
    mode = rng.random()
    if mode < 0.15:  # night: headlights / plate lamp light the plate only
        img = image.astype(np.float32) * (0.25 + 0.75 * plate_alpha[:, :, None] * rng.uniform(0.5, 1.0))
        image = np.clip(img * np.array([0.8, 0.95, 1.1]), 0, 255).astype(np.uint8)  # warm lamp light
    elif mode < 0.27:  # overexposed: the white plate clips, strokes go grey
        image = effects.color_jitter(image, rng, brightness=(30, 80), contrast=(1.1, 1.5))
    image = effects.color_jitter(image, rng, brightness=(-30, 25), contrast=(0.55, 1.1), cast=0.1)
    if rng.random() < 0.2:
        image = effects.shadow(image, rng, strength=(0.2, 0.5))
    if rng.random() < 0.12:
        image = effects.glare(image, rng, strength=(0.2, 0.6))
    return image


def camera(
    image: np.ndarray, out_w: int, out_h: int, rng: np.random.Generator, grey: bool = False
) -> np.ndarray:
    """Optics and sensor: blur, downscale to the crop size (sometimes via a lower res), noise, JPEG.

    ``grey`` (an IR camera) keeps the result exactly grey: three equal channels, no chroma noise.
    """
    blur = rng.random()
    if blur < 0.55:
        image = effects.gaussian_blur(image, rng, sigma=(0.4, 2.2))
    elif blur < 0.7:
        image = effects.motion_blur(image, rng, length=(2, 7))
    if rng.random() < 0.4 and out_w > 110:  # a low-resolution camera, upscaled by the detector's crop
        f = min(rng.uniform(1.4, 3.2), out_w / 80)  # below ~80 px the text is gone: a useless label
        small = (int(out_w / f), max(4, int(out_h / f)))
        image = cv2.resize(image, small, interpolation=cv2.INTER_AREA)
    shrinking = image.shape[1] > out_w
    image = cv2.resize(image, (out_w, out_h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    if rng.random() < 0.6:
        image = effects.sensor_noise(image, rng, sigma=(1.0, 7.0))
    if not grey:
        return effects.jpeg_reencode(image, rng, quality=(35, 92))
    single = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    _, buf = cv2.imencode(".jpg", single, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 93))])
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE), cv2.COLOR_GRAY2BGR)


def plate_crop(series: str, region: str, rng: np.random.Generator) -> np.ndarray:
    """A finished crop showing the plate ``series`` + ``region``: (H, W, 3) uint8 BGR."""
    out_w, out_h = crop_size(rng)
    k = max(1.5, 380 / out_w)  # draw at a higher resolution, then downscale: crisp anti-aliasing
    work_w, work_h = int(out_w * k), int(out_h * k)
    px_per_mm = out_w * k * 0.95 / PLATE_W_MM
    framed = draw_framed_plate(series, region, px_per_mm, rng)
    plate_img = _plate_dirt(framed.image, rng) if rng.random() < 0.3 else framed.image
    fh, fw = plate_img.shape[:2]
    matrix = _place_plate(work_w, work_h, framed.plate_quad, rng)
    canvas = car_body(work_h, work_w, rng, plate_y=work_h / 2)
    canvas = effects.paste_warped(canvas, plate_img, matrix, framed.mask)
    plate_only = np.zeros((fh, fw), np.uint8)
    q = framed.plate_quad.astype(np.int32)
    plate_only[q[0, 1] : q[2, 1], q[0, 0] : q[2, 0]] = 255
    alpha = cv2.warpPerspective(plate_only, matrix, (work_w, work_h)).astype(np.float32) / 255
    grey = rng.random() < GREY_SHARE
    canvas = _ir_look(canvas, alpha, rng) if grey else _colour_look(canvas, alpha, rng)
    return camera(canvas, out_w, out_h, rng, grey=grey)
