"""Training views for the plate detector: random scaled crops of labelled frames and their centre-map targets.

A view is what the network sees at inference after :func:`platocr.detection.detector.letterbox` (the
frame's longer side scaled to ``input_size``), zoomed in or out a little and cut to a square, with
photometric changes a street camera produces (night, grey IR, blur, noise, JPEG).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from platocr.detection.boxes import Box
from platocr.errors import PlatocrError
from platocr.model.plate_net import STRIDE


@dataclass(frozen=True)
class LabelledFrame:
    """A frame on disk, its plate boxes (K, 4) float32 x, y, w, h in its pixels, and the boxes of plates
    that are not judged (region ``ignore``: cut or hidden), which validation counts neither way."""

    path: str
    boxes: np.ndarray
    ignored: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))

    def pixel_boxes(self) -> tuple[list[Box], list[Box]]:
        """The plate boxes and the boxes not judged as whole-pixel (x, y, w, h), as detections are."""

        def rounded(array: np.ndarray) -> list[Box]:
            return [tuple(int(round(v)) for v in b) for b in array]  # type: ignore[misc]

        return rounded(self.boxes), rounded(self.ignored)


def random_view(
    image: np.ndarray, boxes: np.ndarray, rng: np.random.Generator, size: int, input_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """A (size, size, 3) BGR uint8 view of ``image`` and its boxes (K, 4) in view pixels.

    The scale is the inference scale times 0.6-1.5; 70% of views hold a random plate whole where it fits
    (else anywhere), so most views hold a plate and some teach the empty street. A plate cut by the view's
    edge would teach a box smaller than the plate, so the chosen one is shifted only as far as it stays
    inside. Other boxes whose centre falls outside the view are dropped; the rest are clipped to it.
    """
    height, width = image.shape[:2]
    scale = input_size / max(height, width) * float(np.exp(rng.uniform(np.log(0.6), np.log(1.5))))
    scaled_w, scaled_h = max(1, round(width * scale)), max(1, round(height * scale))
    boxes = boxes * scale
    if len(boxes) and rng.random() < 0.7:
        x, y, w, h = boxes[rng.integers(len(boxes))]
        room_x, room_y = max(0.0, size - w) / 2 * 0.95, max(0.0, size - h) / 2 * 0.95
        cx, cy = x + w / 2 + rng.uniform(-room_x, room_x), y + h / 2 + rng.uniform(-room_y, room_y)
        x0, y0 = int(cx - size / 2), int(cy - size / 2)
    else:
        x0 = int(rng.integers(min(0, scaled_w - size), max(0, scaled_w - size) + 1))
        y0 = int(rng.integers(min(0, scaled_h - size), max(0, scaled_h - size) + 1))
    # One affine warp does the scale and the cut; outside the frame is black, as letterbox pads.
    matrix = np.array([[scale, 0, -x0], [0, scale, -y0]], np.float32)
    view = cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    boxes = boxes - np.array([x0, y0, 0, 0], np.float32)
    if len(boxes):
        centre = boxes[:, :2] + boxes[:, 2:] / 2
        keep = (centre >= 0).all(axis=1) & (centre < size).all(axis=1)
        boxes = boxes[keep]
        x1y1 = np.clip(boxes[:, :2] + boxes[:, 2:], 0, size)
        xy = np.clip(boxes[:, :2], 0, size)
        boxes = np.concatenate([xy, x1y1 - xy], axis=1)
    if rng.random() < 0.5:  # a mirrored plate is still a plate: twice the layouts of cars and streets
        view = view[:, ::-1]
        if len(boxes):
            boxes[:, 0] = size - boxes[:, 0] - boxes[:, 2]
    return np.ascontiguousarray(_photometric(view, rng)), boxes.astype(np.float32).reshape(-1, 4)


def _photometric(view: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = view.astype(np.float32)
    if rng.random() < 0.3:  # grey: infrared night cameras
        out[:] = out.mean(axis=2, keepdims=True)
    out = out * rng.uniform(0.5, 1.4) + rng.uniform(-40, 40)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.8))
    if rng.random() < 0.3:
        out += rng.normal(0, rng.uniform(2, 12), out.shape).astype(np.float32)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 80))])
        out = cv2.imdecode(data, cv2.IMREAD_COLOR) if ok else out
    return out


def centre_targets(boxes: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Targets on an (height, width) grid of stride-4 cells for boxes (K, 4) in input pixels.

    Returns heat (1, h, w) float32: a Gaussian per plate, 1 at its centre cell, its spread following the
    plate's size; boxes (4, h, w): offset x/y in the cell and log width/height in cells at the centre cells;
    mask (h, w) float32: 1 at the centre cells, where the box channels are learned.
    """
    heat = np.zeros((1, height, width), np.float32)
    regression = np.zeros((4, height, width), np.float32)
    mask = np.zeros((height, width), np.float32)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    for x, y, w, h in boxes / STRIDE:
        if w < 0.5 or h < 0.25:
            continue
        cx, cy = x + w / 2, y + h / 2
        ix, iy = min(int(cx), width - 1), min(int(cy), height - 1)
        sx, sy = max(w / 6, 0.5), max(h / 6, 0.5)
        gaussian = np.exp(-((xs - ix) ** 2) / (2 * sx * sx) - ((ys - iy) ** 2) / (2 * sy * sy))
        np.maximum(heat[0], gaussian, out=heat[0])
        heat[0, iy, ix] = 1.0
        regression[:, iy, ix] = (cx - ix, cy - iy, np.log(w), np.log(h))
        mask[iy, ix] = 1.0
    return heat, regression, mask


class DetectorViews(Dataset):
    """Random views of labelled frames; item ``i`` is always the same view for the same ``seed``."""

    def __init__(
        self, frames: list[LabelledFrame], size: int, input_size: int, seed: int, length: int
    ) -> None:
        self.frames, self.size, self.input_size, self.seed, self.length = (
            frames,
            size,
            input_size,
            seed,
            length,
        )

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        rng = np.random.default_rng([self.seed, index])
        frame = self.frames[int(rng.integers(len(self.frames)))]
        image = cv2.imread(frame.path, cv2.IMREAD_COLOR)
        if image is None:
            # labelled_frames left out files OpenCV has no reader for; this is a file that is cut short
            raise RuntimeError(f"{frame.path}: cannot decode")
        view, boxes = random_view(image, frame.boxes, rng, self.size, self.input_size)
        cells = self.size // STRIDE
        heat, regression, mask = centre_targets(boxes, cells, cells)
        rgb = torch.from_numpy(view[:, :, ::-1].transpose(2, 0, 1).copy()).float().div_(255)
        return rgb, torch.from_numpy(heat), torch.from_numpy(regression), torch.from_numpy(mask)


def detector_loss(
    output: torch.Tensor, heat: torch.Tensor, regression: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Focal loss on the centre map (penalty-reduced near centres, as CenterNet) + L1 on the box channels
    at centre cells, both per plate. ``output`` (N, 5, h, w) as :class:`~platocr.model.plate_net.PlateNet`."""
    prob = output[:, :1].clamp(1e-4, 1 - 1e-4)
    centre = heat.eq(1).float()
    positive = -torch.log(prob) * (1 - prob) ** 2 * centre
    negative = -torch.log(1 - prob) * prob**2 * (1 - heat) ** 4 * (1 - centre)
    plates = centre.sum().clamp(min=1)
    focal = (positive.sum() + negative.sum()) / plates
    l1 = (output[:, 1:] - regression).abs() * mask.unsqueeze(1)
    weights = torch.tensor([1.0, 1.0, 0.5, 0.5], device=output.device).view(1, 4, 1, 1)
    return focal + (l1 * weights).sum() / plates


def labelled_frames(path: str | Path, what: str) -> list[LabelledFrame]:
    """Frames of a boxes file or folder (:mod:`platocr.data.plate_boxes`) as training input.

    Missing images and files OpenCV cannot read (no image signature) are left out with one line saying
    how many; no frame at all is an error.
    """
    from platocr.data.plate_boxes import IGNORE_REGION, FramePlates, load_plate_boxes
    from platocr.progress import err_console

    loaded = load_plate_boxes(path)
    readable = [cv2.haveImageReader(str(frame.image)) for frame in loaded.frames]
    frames = [frame for frame, ok in zip(loaded.frames, readable, strict=True) if ok]
    skipped = loaded.skipped + [
        (frame.image, "cannot decode") for frame, ok in zip(loaded.frames, readable, strict=True) if not ok
    ]
    if skipped:
        first, reason = skipped[0]
        err_console.print(f"{what} {path}: {len(skipped)} image(s) skipped (first: {first}: {reason})",
                          highlight=False, soft_wrap=True)  # fmt: skip
    if not frames:
        raise PlatocrError(f"{what} {path}: no frames to use")

    def boxes(frame: FramePlates, ignored: bool) -> np.ndarray:
        picked = [p.box for p in frame.plates if (p.region == IGNORE_REGION) == ignored]
        return np.array(picked, np.float32).reshape(-1, 4)

    return [LabelledFrame(str(frame.image), boxes(frame, False), boxes(frame, True)) for frame in frames]
