"""Whole synthetic camera frames with licence plates anywhere in them, and each plate's box and text.

``render_scene(rng)`` draws what a street, parking or gate camera sees: a backdrop (sky, buildings,
road or parking bays), zero to several cars at different distances with Russian or foreign plates
(plate width 60-400 px at 1280x720, log-uniform), plate-like distractors (shop and road signs,
stickers, grilles, striped guards), occluders in front (poles, people, a barrier arm), a camera look
(day, dusk/night with lit plates and headlight glare, infrared grey) and camera faults (blur, motion
blur, roll, noise, JPEG). Every random choice comes from ``rng``: a seeded generator gives the same
frame byte for byte.

A plate is labelled only if it lies fully inside the frame and at least ``MIN_VISIBLE`` of it is not
hidden by what stands in front; others are listed with region ``ignore`` (not judged). Its box is the tight
axis-aligned box around the plate itself, without the plastic frame and dealer text around a Russian
plate: the way real plate boxes are drawn, and the box the reader's crop context is measured from.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from platocr.data.plate_boxes import IGNORE_REGION
from platocr.synth import effects
from platocr.synth.plate_props import hide_under, muted, paste_clipped, road_sign
from platocr.synth.plate_render import PlateImage, draw_framed_plate
from platocr.synth.plate_street import backdrop, car, turn_car
from platocr.synth.plate_styles import foreign_plate
from platocr.synth.plates import random_plate_text
from platocr.synth.real_plates import RealPlate, real_plate_image
from platocr.synth.scene_camera import light, optics_and_sensor, roll, write_camera_text

MIN_VISIBLE = 0.7  # share of a plate's pixels that must stay visible for it to be labelled
# A Russian plate partly hidden (a pole, a person, a barrier) is region "ru-part": its box counts for
# detection, but its text cannot all be seen, so readers are not judged on it.
ALL_VISIBLE = 0.97
PLATE_WIDTH = (60.0, 400.0)  # plate width range in px for a 1280 px wide frame
RealPlateShare = tuple[tuple[RealPlate, ...], float]  # real plate photos, share of Russian plates


@dataclass(frozen=True)
class ScenePlate:
    """One labelled plate: its ``text`` (``A123BC77`` for Russian plates), ``box`` = (x, y, w, h)
    in image pixels around the plate itself (not its frame), ``kind`` = ``"ru"``, ``"ru-part"`` (a Russian
    plate partly hidden), ``"foreign"`` or ``"ignore"`` (cut by the frame's edge or mostly hidden: its box
    is clipped to the frame and it is not judged)."""

    text: str
    box: tuple[int, int, int, int]
    kind: str


@dataclass(frozen=True)
class Scene:
    """A frame: ``image`` (H, W, 3) uint8 BGR and the plates labelled in it (possibly none)."""

    image: np.ndarray
    plates: tuple[ScenePlate, ...]


@dataclass
class _Placed:
    """A plate drawn into the frame: its corners (4, 2) in frame pixels (the plate, not its frame), label, and
    how many pixels it covered when drawn (occlusion is measured against this)."""

    quad: np.ndarray
    text: str
    kind: str
    pixels: int


def plate_image(
    width: float, foreign: bool, rng: np.random.Generator, real: RealPlateShare | None = None
) -> tuple[PlateImage, str, str]:
    """A straight-on plate about ``width`` px wide: (PlateImage, text, kind). With ``real`` = (real plate
    photos, share), that share of the Russian plates are the photos."""
    if not foreign and real is not None and rng.random() < real[1]:
        return real_plate_image(real[0][int(rng.integers(len(real[0])))])
    if foreign:
        plate, text = foreign_plate(max(16, int(width * 1.3)), rng)  # drawn a bit larger: smoother warp
        return plate, text, "foreign"
    series, region = random_plate_text(rng)
    return draw_framed_plate(series, region, width * 1.3 / 520, rng), series + region, "ru"


def plate_homography(plate_quad: np.ndarray, width: float, centre: tuple[float, float],
                     rng: np.random.Generator, max_roll: float = 10.0) -> np.ndarray:  # fmt: skip
    """3x3 matrix taking the plate image (plate corners ``plate_quad`` (4, 2)) to a plate ``width`` px
    wide centred at ``centre``: a small roll (<= ``max_roll`` degrees), yaw and look-down squash."""
    qw, qh = np.ptp(plate_quad[:, 0]), np.ptp(plate_quad[:, 1])
    height = width * qh / qw * rng.uniform(0.8, 1.05)  # seen from above: flatter
    yaw = rng.uniform(-0.15, 0.15) if rng.random() < 0.7 else rng.uniform(-0.35, 0.35)
    dst = np.array([[-width / 2, -height / 2 * (1 - yaw)], [width / 2, -height / 2 * (1 + yaw)],
                    [width / 2, height / 2 * (1 + yaw)], [-width / 2, height / 2 * (1 - yaw)]], np.float32)  # fmt: skip
    angle = np.radians(np.clip(rng.normal(0, max_roll / 3), -max_roll, max_roll))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    dst = effects.perspective_jitter(dst @ rot.T, rng, strength=0.03) + np.array(centre, np.float32)
    return cv2.getPerspectiveTransform(plate_quad.astype(np.float32), dst.astype(np.float32))


def _plate_widths(kind: str, scale: float, rng: np.random.Generator) -> list[float]:
    """Plate widths in px (far cars first) for a scene kind."""
    lo, hi = np.log(PLATE_WIDTH[0] * scale), np.log(PLATE_WIDTH[1] * scale)
    if kind == "gate":  # one car close to the camera, sometimes a second one behind
        widths = [np.exp(rng.uniform(np.log(120 * scale), hi))]
        if rng.random() < 0.3:
            widths.append(widths[0] * rng.uniform(0.3, 0.6))
    elif kind == "parking":  # a row of parked cars at about the same distance
        base = np.exp(rng.uniform(lo, np.log(230 * scale)))
        widths = [base * rng.uniform(0.85, 1.15) for _ in range(int(rng.integers(2, 6)))]
    elif kind == "street":
        widths = [np.exp(rng.uniform(lo, hi)) for _ in range(int(rng.integers(1, 5)))]
    else:
        widths = []
    return sorted(max(PLATE_WIDTH[0] * scale, min(PLATE_WIDTH[1] * scale, w)) for w in widths)


def _draw_car(frame: np.ndarray, owner: np.ndarray, width: float, centre: tuple[float, float],
              look: str, foreign: float, rng: np.random.Generator, placed: list[_Placed],
              with_plate: bool = True, real: RealPlateShare | None = None) -> None:  # fmt: skip
    """Draw a car whose plate (if it has one) is ``width`` px wide at ``centre``; updates ``owner``."""
    front = rng.random() < 0.5
    has_plate = with_plate and rng.random() > 0.04  # a few cars show an empty plate holder: no label
    plate, text, kind = plate_image(width, rng.random() < foreign, rng, real) if has_plate else (None, "", "")
    # The car is drawn to the plate's scale: a 305 mm US plate sits on a car ~6 plate widths wide.
    body, mask, (px, py) = car(width * 520 / (plate.width_mm if plate else 520), rng, front)
    if plate is not None:
        matrix = plate_homography(plate.plate_quad, width, (px, py), rng)
        body = effects.paste_warped(body, plate.image, matrix, plate.mask)
        quad = effects.warp_points(plate.plate_quad, matrix)
    if rng.random() < 0.4:  # seen at an angle: the far side of the car is shorter
        body, mask, (px, py), quad = turn_car(body, mask, (px, py), quad if has_plate else None, rng)
    if front and (look == "night" or rng.random() < 0.15):  # headlights on: glare next to the plate
        for gx in (0.12, 0.88):
            body = effects.glare(body, rng, strength=(0.5, 0.95), centre=(body.shape[1] * gx, py - width * 0.4),
                                 axes=(width * 0.5, width * 0.3), softness=(0.3, 0.6))  # fmt: skip
    if rng.random() < 0.2:  # a passing car: horizontal motion blur
        k = int(rng.uniform(3, 6 + width / 20)) | 1
        body = cv2.blur(body, (k, 1))
    x0, y0 = int(round(centre[0] - px)), int(round(centre[1] - py))
    paste_clipped(frame, body, x0, y0, mask)
    hide_under(owner, mask, x0, y0)
    if has_plate:
        poly = np.round(quad + (x0, y0)).astype(np.int32)
        region = np.zeros_like(owner)
        cv2.fillConvexPoly(region, poly, 1)
        owner[region > 0] = len(placed) + 1
        placed.append(_Placed(quad + (x0, y0), text, kind, int(np.count_nonzero(region))))


def _occluders(frame: np.ndarray, owner: np.ndarray, placed: list[_Placed], rng: np.random.Generator) -> None:
    """Things in front of the cars: a pole, a person, a barrier arm; some placed over a plate."""
    H, W = owner.shape
    for _ in range(int(rng.choice(3, p=[0.55, 0.3, 0.15]))):
        target = placed[int(rng.integers(len(placed)))].quad if placed and rng.random() < 0.4 else None
        if target is not None:
            x = int(rng.uniform(target[:, 0].min() - 20, target[:, 0].max() + 20))
        else:
            x = int(rng.uniform(0, W))
        kind = rng.random()
        patch_w = int(rng.uniform(0.01, 0.05) * W) if kind < 0.5 else int(rng.uniform(0.04, 0.1) * W)
        top = int(rng.uniform(0, 0.6) * H) if kind < 0.5 else int(rng.uniform(0.3, 0.7) * H)
        mask = np.zeros((H - top, patch_w), np.uint8)
        if kind < 0.5:  # a pole or tree trunk
            mask[:] = 255
        else:  # a person: head and a rounded body
            r = patch_w // 3
            cv2.circle(mask, (patch_w // 2, r), r, 255, -1, cv2.LINE_AA)
            cv2.rectangle(mask, (0, 2 * r + 2), (patch_w - 1, H - top), 255, -1)
        colour = np.empty((H - top, patch_w, 3), np.uint8)
        colour[:] = muted(rng, 20, 160, 30)
        paste_clipped(frame, colour, x - patch_w // 2, top, mask)
        hide_under(owner, mask, x - patch_w // 2, top)
    if rng.random() < 0.08:  # a striped gate barrier arm across the frame
        y, t = int(rng.uniform(0.3, 0.8) * H), int(rng.uniform(0.01, 0.025) * H)
        stripe = int(rng.uniform(30, 80))
        for i, x in enumerate(range(0, W, stripe)):
            cv2.rectangle(frame, (x, y), (x + stripe, y + t), (40, 40, 220) if i % 2 else (240, 240, 240), -1)
        owner[max(0, y) : y + t + 1] = 0


def _signs(frame: np.ndarray, horizon: float, rng: np.random.Generator) -> None:
    """Road signs on poles standing behind the cars (plate-like distractors)."""
    H, W = frame.shape[:2]
    for _ in range(int(rng.integers(0, 4))):
        size = int(rng.uniform(0.03, 0.1) * H)
        x, y = (
            int(rng.uniform(0, W)),
            int(rng.uniform(max(0, horizon - 0.3 * H), max(horizon, 0.1 * H) + 0.2 * H)),
        )
        cv2.line(frame, (x, y), (x, min(H, y + int(H * 0.4))), muted(rng, 80, 160, 5), max(2, size // 10))
        img, mask = road_sign(size, rng)
        paste_clipped(frame, img, x - img.shape[1] // 2, y - img.shape[0], mask)


def render_scene(
    rng: np.random.Generator,
    size: tuple[int, int] = (1280, 720),
    foreign: float = 0.3,
    real: RealPlateShare | None = None,
    camera_text: float = 0.0,
) -> Scene:
    """One camera frame of ``size`` = (width, height) with its labelled plates.

    ``foreign`` is the probability that a plate is a non-Russian style (EU, US, Brazil, yellow, dark);
    ``real`` = (real plate photos, share): that share of the Russian plates are real photos;
    ``camera_text``: the probability that the camera writes its date and time into a corner, clear of
    the plates. It is drawn last, so a frame without it is the frame an earlier version drew.
    """
    W, H = size
    scale = min(W / 1280, H / 720)
    kind = str(rng.choice(["street", "parking", "gate", "empty"], p=[0.4, 0.3, 0.2, 0.1]))
    look = str(rng.choice(["day", "dusk", "night", "ir"], p=[0.45, 0.12, 0.13, 0.3]))
    horizon = H * rng.uniform(-0.2, 0.5)
    frame = backdrop(W, H, horizon, rng)
    _signs(frame, horizon, rng)
    owner = np.zeros((H, W), np.uint8)  # which plate each pixel shows (0 = none)
    placed: list[_Placed] = []
    widths = _plate_widths(kind, scale, rng)
    if kind == "empty" and rng.random() < 0.5:  # cars without plates: bodies only
        widths = [
            np.exp(rng.uniform(np.log(60 * scale), np.log(200 * scale)))
            for _ in range(int(rng.integers(1, 3)))
        ]
    # Ground-plane perspective: a plate's height in the frame grows with its size (nearer = lower).
    low = rng.uniform(0.6, 0.92) * H
    top = max(horizon, 0.05 * H)
    k = (low - top) / max(widths) if widths else 0.0
    x = rng.uniform(0, W)
    for i, width in enumerate(widths):
        y = np.clip(top + k * width + rng.normal(0, 0.04 * H), 0.1 * H, H - 0.3 * width)
        if kind == "parking":  # side by side along the row
            x = x + width * rng.uniform(3.0, 4.2) if i else rng.uniform(0, W * 0.4)
            x = x % (W + width * 2) - width
        elif rng.random() < 0.9:  # the plate inside the frame (cut plates stay unlabelled)
            x = rng.uniform(0.7 * width, W - 0.7 * width)
        else:
            x = rng.uniform(-0.05 * W, 1.05 * W)
        _draw_car(frame, owner, width, (x, y), look, foreign, rng, placed, kind != "empty", real)
    _occluders(frame, owner, placed, rng)
    visible = [np.count_nonzero(owner == i + 1) / max(1, p.pixels) for i, p in enumerate(placed)]
    frame = light(frame, owner, look, rng)
    if rng.random() < 0.15:
        frame, quads = roll(frame, [p.quad for p in placed], rng)
        for plate, quad in zip(placed, quads, strict=True):
            plate.quad = quad
    frame = optics_and_sensor(frame, rng, grey=look == "ir")
    plates = []
    for plate, seen in zip(placed, visible, strict=True):
        x0, y0 = np.floor(plate.quad.min(axis=0)).astype(int)
        x1, y1 = np.ceil(plate.quad.max(axis=0)).astype(int)
        if seen >= MIN_VISIBLE and x0 >= 0 and y0 >= 0 and x1 <= W and y1 <= H:
            kind = "ru-part" if plate.kind == "ru" and seen < ALL_VISIBLE else plate.kind
            plates.append(ScenePlate(plate.text, (int(x0), int(y0), int(x1 - x0), int(y1 - y0)), kind))
        elif seen > 0.1:  # cut by the edge or mostly hidden: in the picture, but not judged
            x0, y0, x1, y1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
            if x1 - x0 >= 4 and y1 - y0 >= 2:
                plates.append(
                    ScenePlate(plate.text, (int(x0), int(y0), int(x1 - x0), int(y1 - y0)), IGNORE_REGION)
                )
    if camera_text and rng.random() < camera_text:
        write_camera_text(frame, [p.box for p in plates], rng)
    return Scene(frame, tuple(plates))
