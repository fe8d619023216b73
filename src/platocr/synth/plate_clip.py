"""A synthetic fixed-camera clip of cars with Russian plates, with per-frame ground truth.

The camera watches a gate or street: cars drive towards it (front view, the plate grows and moves
down) or away (rear view, the plate shrinks and moves up), one after another and sometimes two at
once. ``write_plate_clip`` writes the video, ``<clip>.truth.jsonl`` (one line per frame:
``{"frame": i, "plates": [{"track": id, "text": ..., "box": [x, y, w, h]}]}``, a plate listed only
while it is wholly inside the frame) and ``<clip>.roi.txt`` (``x,y,w,h``: one fixed box covering every
labelled plate, for ``platocr video --roi``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from platocr.synth import effects
from platocr.synth.plate_frames import MIN_VISIBLE, plate_homography, plate_image
from platocr.synth.plate_props import hide_under, paste_clipped
from platocr.synth.plate_street import backdrop, car
from platocr.video.regions import Box


@dataclass(frozen=True)
class _Track:
    """One car's drive: a pre-drawn car ``image``/``mask`` at its largest size, its plate corners
    ``quad`` (4, 2) in that image and where the plate centre sits (``anchor``), and its path."""

    track: int
    text: str
    image: np.ndarray
    mask: np.ndarray
    quad: np.ndarray
    anchor: tuple[float, float]
    plate_w: float  # plate width (px) the car was drawn for
    first: int  # first frame
    frames: int  # frames on screen
    towards: bool  # driving towards the camera (else away: the same path backwards)
    far: tuple[float, float, float]  # plate centre x, y and width (px) where the car fades in/out
    near: tuple[float, float, float]  # ... where it stops at the gate
    gone: tuple[float, float, float]  # ... off the bottom of the frame
    hold: float = 0.0  # share of its time the car waits at ``near`` (a gate camera's barrier)

    def held(self, frame: int) -> bool:
        """The car waits at the gate on ``frame``."""
        u = (frame - self.first) / max(1, self.frames - 1)
        u = u if self.towards else 1 - u
        return 0.8 - self.hold <= u < 0.8

    def at(self, frame: int) -> tuple[float, float, float]:
        """Plate centre x, y and width on ``frame``: ease from far to near, wait there ``hold`` of the time,
        then speed up out of view."""
        u = (frame - self.first) / max(1, self.frames - 1)
        u = u if self.towards else 1 - u
        arrive = 0.8 - self.hold
        if u < arrive:
            t, a, b = _smoothstep(u / arrive), self.far, self.near
        elif u < 0.8:
            t, a, b = 1.0, self.far, self.near
        else:
            t, a, b = ((u - 0.8) / 0.2) ** 2, self.near, self.gone
        return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t

    def opacity(self, frame: int, fade: int = 8) -> float:
        """1 except over the ``fade`` frames at the far end, where the car comes out of (or into) the dusk."""
        k = frame - self.first if self.towards else self.first + self.frames - 1 - frame
        return min(1.0, (k + 1) / fade)


def _smoothstep(t: float) -> float:
    return t * t * (3 - 2 * t)


@dataclass(frozen=True)
class PlateClip:
    """What ``write_plate_clip`` wrote: the clip, its truth and ROI files, the ROI, and counts."""

    video: Path
    truth: Path
    roi_file: Path
    roi: Box
    frames: int
    tracks: int
    labelled: int  # plate boxes over all frames
    two_car_frames: int


def _plan_tracks(
    frames: int, size: tuple[int, int], fps: float, rng: np.random.Generator, gate: bool = False
) -> list[_Track]:
    """Cars one after another (about every 2-4 s, sometimes overlapping) until the clip ends.

    ``gate``: one lane, one car at a time, each driving up to the same stop line, waiting there 40% of
    its time (a barrier camera, where a fixed ``--roi`` around the stop line can read every car)."""
    W, H = size
    scale = min(W / 1280, H / 720)
    tracks: list[_Track] = []
    first = int(rng.integers(0, max(1, int(0.5 * fps))))
    overlap, last_lane = False, 0.0
    while first < frames:
        towards = rng.random() < 0.7
        far_w = rng.uniform(110, 150) * scale
        near_w = far_w * rng.uniform(1.3, 1.6)
        # Lanes at 25/50/75% of the width; a car arriving while another is on screen takes another lane.
        lanes = [lane for lane in (0.25, 0.5, 0.75) if not (overlap and lane == last_lane)]
        last_lane = float(rng.choice(lanes))
        x_far = W * (last_lane + rng.uniform(-0.03, 0.03))
        far = (x_far, H * rng.uniform(0.42, 0.5), far_w)
        near = (x_far + W * rng.uniform(-0.04, 0.04), H * rng.uniform(0.78, 0.86), near_w)
        length = int(fps * rng.uniform(2.5, 4.0))
        if gate:
            x_far = W * 0.5
            far, near = (x_far, far[1], far_w), (x_far, H * 0.8, near_w)
            length = int(length * 1.5)
        body, mask, anchor = car(near_w, rng, front=towards)
        plate, text, _ = plate_image(near_w, foreign=False, rng=rng)
        matrix = plate_homography(plate.plate_quad, near_w, anchor, rng, max_roll=3.0)
        body = effects.paste_warped(body, plate.image, matrix, plate.mask)
        quad = effects.warp_points(plate.plate_quad, matrix)  # the plate itself, not its frame
        gone = (near[0] + W * rng.uniform(-0.05, 0.05), H + near_w * 2.5, near_w * 1.3)
        tracks.append(
            _Track(
                len(tracks) + 1,
                text,
                body,
                mask,
                quad,
                anchor,
                near_w,
                first,
                length,
                towards,
                far,
                near,
                gone,
                0.4 if gate else 0.0,
            )
        )
        overlap = rng.random() < 0.35 and not gate  # the next car shows up before this one has gone
        first += int(length * (rng.uniform(0.4, 0.7) if overlap else rng.uniform(1.0, 1.3)))
    return tracks


def _draw(frame: np.ndarray, owner: np.ndarray, track: _Track, index: int) -> tuple[np.ndarray, int] | None:
    """Paste ``track``'s car for frame ``index`` over what is there (``owner`` marks hidden plates);
    returns its plate corners (4, 2) in frame pixels and their pixel count, or None while fading."""
    x, y, width = track.at(index)
    s = width / track.plate_w
    h, w = track.image.shape[:2]
    size = (max(2, int(round(w * s))), max(2, int(round(h * s))))
    image = cv2.resize(track.image, size, interpolation=cv2.INTER_AREA)
    mask = cv2.resize(track.mask, size, interpolation=cv2.INTER_NEAREST)
    sx, sy = size[0] / w, size[1] / h
    x0, y0 = int(round(x - track.anchor[0] * sx)), int(round(y - track.anchor[1] * sy))
    opacity = track.opacity(index)
    if opacity < 1.0:  # fading: blend the car into what is behind it
        behind = frame.copy()
        paste_clipped(frame, image, x0, y0, mask)
        cv2.addWeighted(frame, opacity, behind, 1 - opacity, 0, dst=frame)
    else:
        paste_clipped(frame, image, x0, y0, mask)
    hide_under(owner, mask, x0, y0)
    if opacity < 0.5:
        return None
    quad = track.quad * (sx, sy) + (x0, y0)
    region = np.zeros_like(owner)
    cv2.fillConvexPoly(region, np.round(quad).astype(np.int32), 1)
    owner[region > 0] = track.track % 255 + 1
    return quad, int(np.count_nonzero(region))


def _labels(owner: np.ndarray, drawn: list[tuple[_Track, np.ndarray, int]]) -> list[dict]:
    """Truth for one frame: plates wholly inside the frame and at least MIN_VISIBLE unhidden."""
    H, W = owner.shape
    plates = []
    for track, quad, pixels in drawn:
        x0, y0 = np.floor(quad.min(axis=0)).astype(int)
        x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
        inside = x0 >= 0 and y0 >= 0 and x1 <= W and y1 <= H
        seen = np.count_nonzero(owner == track.track % 255 + 1) / max(1, pixels)
        if inside and seen >= MIN_VISIBLE:
            box = [int(x0), int(y0), int(x1 - x0), int(y1 - y0)]
            plates.append({"track": track.track, "text": track.text, "box": box})
    return plates


def _covering_roi(boxes: list[tuple[int, int, int, int]], size: tuple[int, int]) -> Box:
    """One box around all ``boxes`` with a 5% margin, inside the frame (the whole frame if none)."""
    W, H = size
    if not boxes:
        return 0, 0, W, H
    arr = np.array(boxes)
    x0, y0 = arr[:, 0].min(), arr[:, 1].min()
    x1, y1 = (arr[:, 0] + arr[:, 2]).max(), (arr[:, 1] + arr[:, 3]).max()
    mx, my = int(0.05 * (x1 - x0)), int(0.05 * (y1 - y0))
    x0, y0, x1, y1 = max(0, x0 - mx), max(0, y0 - my), min(W, x1 + mx), min(H, y1 + my)
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def clip_paths(video: str | Path) -> tuple[Path, Path]:
    """The truth and ROI files that go with ``video``: ``<stem>.truth.jsonl`` and ``<stem>.roi.txt``."""
    video = Path(video)
    return video.with_suffix(".truth.jsonl"), video.with_suffix(".roi.txt")


def write_plate_clip(
    video: str | Path,
    *,
    frames: int = 300,
    seed: int = 0,
    size: tuple[int, int] = (1280, 720),
    fps: float = 30.0,
    codec: str = "h264",
    gate: bool = False,
) -> PlateClip:
    """Render the clip to ``video`` (any extension the writer knows, e.g. .mp4) plus its truth and ROI.

    ``gate``: a barrier camera (see :func:`_plan_tracks`); the ROI then covers the plates at the stop
    line only, as a user would draw it."""
    from platocr.video.writers import open_writer

    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    W, H = size
    horizon = H * rng.uniform(0.15, 0.35)
    background = backdrop(W, H, horizon, rng)
    grey = rng.random() < 0.3  # an infrared gate camera
    if grey:
        background = cv2.cvtColor(cv2.cvtColor(background, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    tracks = _plan_tracks(frames, size, fps, rng, gate)
    noise_rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    truth_path, roi_path = clip_paths(video)
    writer = open_writer(video, fps, size, codec=codec)  # type: ignore[arg-type]
    records, all_boxes, two_car = [], [], 0
    try:
        for index in range(frames):
            frame = background.copy()
            shown = [t for t in tracks if t.first <= index < t.first + t.frames]
            shown.sort(key=lambda t: t.at(index)[1])  # farther (higher in the frame) cars first
            owner = np.zeros((H, W), np.uint8)  # which track's plate each pixel shows (0 = none)
            drawn = []
            for track in shown:
                placed = _draw(frame, owner, track, index)
                if placed is not None:
                    drawn.append((track, *placed))
            plates = _labels(owner, drawn)
            waiting = {t.track for t in shown if t.held(index)}
            all_boxes += [tuple(p["box"]) for p in plates if not gate or p["track"] in waiting]
            if grey:
                frame = cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
            grain = noise_rng.integers(-4, 5, size=(H // 2, W // 2), dtype=np.int16)
            grain = cv2.resize(grain, (W, H), interpolation=cv2.INTER_NEAREST)
            frame = cv2.add(frame, cv2.merge([grain, grain, grain]), dtype=cv2.CV_8U)
            writer.write(frame)
            two_car += len(plates) >= 2
            records.append({"frame": index, "plates": plates})
    finally:
        writer.close()
    truth_path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    roi = _covering_roi(all_boxes, size)
    if gate:  # as a user would draw it: the stop line's plates with the context the plate reader expects
        from platocr.detection.boxes import plate_crop_box

        roi = plate_crop_box(roi, size)
    roi_path.write_text(",".join(map(str, roi)) + "\n", encoding="utf-8")
    return PlateClip(Path(video), truth_path, roi_path, roi, frames, len(tracks), len(all_boxes), two_car)
