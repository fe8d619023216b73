"""The plate detector at inference time: onnxruntime + numpy, no torch.

The network (``platocr.model.plate_net`` for training) maps a frame, resized so its longer side is
``input_size`` and padded to a multiple of the stride, to a (1, 5, H/stride, W/stride) map: channel 0 the
probability that a plate centre falls in the cell, 1-2 the centre's offset inside the cell, 3-4 the
plate's log width and log height in cells. A plate is a local maximum of channel 0 above ``threshold``.

:func:`find_plates` looks twice: once at the whole frame, which proposes the plates and scores them, then
again at a window around each plate found, zoomed so that the plate is mid-sized for the network
(test-time zoom), which gives its box. One look at the whole frame boxes large plates too wide and small
ones loosely. A detector exported with a plate verifier (:mod:`platocr.detection.verifier`) proposes
plates from a lower score and lets the verifier's look at each plate's crop settle the score. A frame in
which nothing reaches the threshold is looked at again (the retries): larger, where a car photo's plate
too small for the first look is a few cells wide, then smaller, where a close-up's plate is no wider
than the plates the network learned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from platocr.detection.boxes import Box, Detection, box_iou, plates_passing
from platocr.detection.settings import (
    DEFAULT_NAME,
    INPUT_NAME,
    OUTPUT_NAME,
    DetectorSettings,
    resolve_detector,
)
from platocr.detection.verifier import PlateVerifier, verified_score
from platocr.errors import PlatocrError


def letterbox(frame: np.ndarray, size: int, stride: int) -> tuple[np.ndarray, float]:
    """(1, 3, H, W) float32 network input and the scale (input px per frame px).

    The longer side becomes ``size``; both sides are padded with zeros up to a multiple of ``stride * 8``.
    """
    import cv2

    height, width = frame.shape[:2]
    scale = size / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    resized = cv2.resize(
        frame, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    if resized.ndim == 2:
        resized = cv2.cvtColor(resized, cv2.COLOR_GRAY2BGR)
    step = stride * 8
    padded = np.zeros((-(-new_h // step) * step, -(-new_w // step) * step, 3), np.float32)
    padded[:new_h, :new_w] = resized[:, :, ::-1] * (1 / 255.0)  # BGR -> RGB in [0, 1]
    return np.ascontiguousarray(padded.transpose(2, 0, 1)[None]), scale


def decode_plates(output: np.ndarray, settings: DetectorSettings, scale: float) -> list[tuple[Box, float]]:
    """Boxes in frame pixels and scores at or above ``settings.threshold`` from the network output
    (1, 5, h, w), best first, after NMS."""
    heat = output[0, 0]
    padded = np.pad(heat, 1, constant_values=-1.0)
    neighbours = np.max(
        [padded[dy : dy + heat.shape[0], dx : dx + heat.shape[1]] for dy in range(3) for dx in range(3)],
        axis=0,
    )
    ys, xs = np.nonzero((heat >= neighbours) & (heat >= settings.threshold))
    order = np.argsort(-heat[ys, xs])[: settings.max_plates * 4]
    boxes: list[tuple[Box, float]] = []
    for y, x in zip(ys[order], xs[order], strict=True):
        cx = (x + output[0, 1, y, x]) * settings.stride / scale
        cy = (y + output[0, 2, y, x]) * settings.stride / scale
        w = np.exp(output[0, 3, y, x]) * settings.stride / scale
        h = np.exp(output[0, 4, y, x]) * settings.stride / scale
        box = (round(cx - w / 2), round(cy - h / 2), max(1, round(w)), max(1, round(h)))
        if all(box_iou(box, kept) <= settings.nms_iou for kept, _ in boxes):
            boxes.append((box, float(heat[y, x])))
        if len(boxes) == settings.max_plates:
            break
    return boxes


Network = Callable[[np.ndarray], np.ndarray]  # (1, 3, H, W) float32 input -> (1, 5, H/stride, W/stride)
Verify = Callable[[np.ndarray, list[Box]], np.ndarray]  # frame, boxes -> (N,) plate probabilities
ReadsText = Callable[[np.ndarray, list[Box]], list[bool]]  # frame, boxes -> whether each reads as text


def find_plates(
    network: Network,
    frame: np.ndarray,
    settings: DetectorSettings,
    verify: Verify | None = None,
    *,
    sweep_to: float | None = None,
    expect_plate: bool = False,
    reads_text: ReadsText | None = None,
) -> list[Detection]:
    """Plates in ``frame`` (BGR uint8 (H, W, 3) or grey (H, W)), best score first, boxes in the frame.

    ``network`` is the exported ONNX session at inference and the torch model in training's validation,
    so both judge the same boxes. With ``verify`` (a plate verifier), the first look proposes plates from
    ``settings.candidate_threshold`` on (or from threshold², which the verified score needs) and
    ``settings.threshold`` applies to the verified score. A frame in which no plate reaches the threshold
    is looked at again with its longer side at each of ``settings.retry_sizes`` in turn (the retries),
    until one finds a plate; the plates are that look's (``retry``: its number, 0 = the first look).

    ``sweep_to``: a threshold sweep from ``settings.threshold`` up to ``sweep_to`` is to be counted from
    this one run. The retries then go on until a plate reaches ``sweep_to``, and the plates of every look
    come back: :func:`~platocr.detection.boxes.plates_passing` gives each threshold's.

    ``expect_plate``: the frame surely shows a plate (a photo taken of a car). When no look finds one at
    the threshold, one plate that a look proposed comes back (scoring at least the candidate threshold):
    the best-scoring one of those that ``reads_text`` (the plate reader) reads as text, else the
    best-scoring one. The reader reads most things that are not plates as empty, which the detector
    and the verifier, trained on synthetic frames, cannot tell on real photos.
    """
    if expect_plate:
        if sweep_to is not None:
            raise PlatocrError("a threshold sweep counts plates at each threshold: it cannot expect a plate")
        low = replace(settings, threshold=min(settings.threshold, settings.candidate_threshold))
        every = _looks(network, frame, low, verify, enough=settings.threshold, keep_all=True)
        return plates_passing(every, settings.threshold) or _expected_plate(frame, every, reads_text)
    if sweep_to is None:
        return _looks(network, frame, settings, verify, enough=settings.threshold, keep_all=False)
    return _looks(network, frame, settings, verify, enough=sweep_to, keep_all=True)


def _expected_plate(
    frame: np.ndarray, proposed: list[Detection], reads_text: ReadsText | None
) -> list[Detection]:
    """The one plate to report where a plate is expected but none passed: see :func:`find_plates`."""
    ranked = sorted(proposed, key=lambda p: -p.score)
    if reads_text is None or not ranked:
        return ranked[:1]
    texts = reads_text(frame, [p.box for p in ranked])
    return next(([p] for p, text in zip(ranked, texts, strict=True) if text), ranked[:1])


def _looks(
    network: Network,
    frame: np.ndarray,
    settings: DetectorSettings,
    verify: Verify | None,
    *,
    enough: float,
    keep_all: bool,
) -> list[Detection]:
    """The first look, then the retries until a plate scores ``enough``; the last look's plates, or with
    ``keep_all`` every look's."""
    plates = _whole_frame(network, frame, settings, verify)
    looks = [size for size in settings.retry_sizes if size != settings.input_size]
    for number, size in enumerate(looks, start=1):
        if any(p.score >= enough for p in plates):
            break
        larger = replace(settings, input_size=size)
        again = [replace(p, retry=number) for p in _whole_frame(network, frame, larger, verify)]
        plates = plates + again if keep_all else again
    return plates


def _whole_frame(
    network: Network, frame: np.ndarray, settings: DetectorSettings, verify: Verify | None
) -> list[Detection]:
    """One look at the whole frame at ``settings.input_size``: :func:`find_plates` without the retries."""
    height, width = frame.shape[:2]
    image, scale = letterbox(frame, settings.input_size, settings.stride)
    proposing = settings
    if verify is not None:
        # a plate scoring under threshold² cannot reach the threshold however sure the verifier is
        lowest = max(settings.candidate_threshold, settings.threshold**2)
        proposing = replace(settings, threshold=min(settings.threshold, lowest))
    plates: list[Detection] = []
    for box, score in decode_plates(network(image), proposing, scale):
        if settings.second_look_size:
            box = _look_closer(network, frame, box, settings)
        x, y, w, h = box
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(width, x + w), min(height, y + h)
        clipped = (x0, y0, x1 - x0, y1 - y0)
        # the second look can bring two first-look boxes onto one plate: keep the better
        if x1 - x0 >= 4 and y1 - y0 >= 2 and all(box_iou(clipped, p.box) <= settings.nms_iou for p in plates):
            plates.append(Detection(clipped, score))
    if verify is None or not plates:
        return plates
    probabilities = verify(frame, [p.box for p in plates])
    verified = [
        Detection(p.box, verified_score(p.score, float(v)))
        for p, v in zip(plates, probabilities, strict=True)
    ]
    return sorted((p for p in verified if p.score >= settings.threshold), key=lambda p: -p.score)


def _look_closer(network: Network, frame: np.ndarray, box: Box, settings: DetectorSettings) -> Box:
    """The plate at ``box`` seen again in a window ``second_look_zoom`` plate widths wide: the close look's
    best box of the same plate, or ``box`` when the close look finds none."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    win_w = max(w * settings.second_look_zoom, 48.0)
    win_h = max(win_w * 0.6, h * 3.0)
    x0, y0 = int(max(0, cx - win_w / 2)), int(max(0, cy - win_h / 2))
    x1, y1 = int(min(frame.shape[1], cx + win_w / 2)), int(min(frame.shape[0], cy + win_h / 2))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return box
    image, scale = letterbox(frame[y0:y1, x0:x1], settings.second_look_size, settings.stride)
    close = replace(settings, threshold=0.02, max_plates=8)
    best: tuple[Box, float] = (box, 0.0)
    for (bx, by, bw, bh), near_score in decode_plates(network(image), close, scale):
        moved = (bx + x0, by + y0, bw, bh)
        # the same plate: overlapping the candidate, or centred within its width
        same = box_iou(moved, box) > 0.1 or abs(moved[0] + bw / 2 - cx) < w / 2
        if same and near_score > best[1]:
            best = (moved, near_score)
    return best[0]


class PlateDetector:
    """Finds plates in BGR frames.

    Example::

        detector = PlateDetector.load()          # or PlateDetector.load("my.onnx", threshold=0.5)
        plates = detector(cv2.imread("car.jpg"))  # list[Detection], best score first
    """

    def __init__(
        self,
        session: Any,
        settings: DetectorSettings,
        source: str,
        verifier: PlateVerifier | None = None,
        *,
        expect_plate: bool = False,
        reads_text: ReadsText | None = None,
    ) -> None:
        self._session, self.settings, self.source, self.verifier = session, settings, source, verifier
        self.expect_plate = expect_plate  # every frame shows a plate (photos of cars): see find_plates
        self.reads_text = reads_text  # with expect_plate: the plate reader's say, see find_plates

    @classmethod
    def load(
        cls,
        name_or_path: str | Path = DEFAULT_NAME,
        *,
        threshold: float | None = None,
        threads: int | None = None,
        verify: bool = True,
        retry: bool = True,
        expect_plate: bool = False,
        reads_text: ReadsText | None = None,
    ) -> PlateDetector:
        """Load a shipped detector by name or an exported ``.onnx``; ``threshold`` overrides the stored one.

        A detector whose settings name a plate verifier loads it from its own folder; ``verify=False``
        leaves it out (the first look's score alone, at ``threshold``). ``retry=False`` never looks at a
        frame again at ``retry_sizes`` (video: its speed). ``expect_plate``: every frame shows a plate
        (photos of cars), and ``reads_text`` helps choose it (e.g.
        :func:`platocr.tools.read_plates.reads_as_text`): see :func:`find_plates`."""
        from platocr.recognition.onnx_export import read_onnx_props, session_with_input

        path = resolve_detector(name_or_path)
        try:
            settings = DetectorSettings.from_metadata(read_onnx_props(path))
        except ValueError as exc:  # a setting that is not a number
            raise PlatocrError(f"detector {path}: bad settings in its metadata ({exc})") from None
        if threshold is not None:
            if not 0.0 < threshold < 1.0:
                raise PlatocrError(f"detector threshold must be in (0, 1), got {threshold}")
            settings = replace(settings, threshold=threshold)
        if not retry:
            settings = replace(settings, retry_sizes=())
        verifier = None
        if verify and settings.verifier:
            # a few 32x96 crops per frame: one thread, not a second pool beside the detector's
            verifier = PlateVerifier.load(path.parent / settings.verifier, threads=1)
        session = session_with_input(path, INPUT_NAME, "plate detector", threads)
        return cls(session, settings, str(path), verifier, expect_plate=expect_plate, reads_text=reads_text)

    def __call__(self, frame: np.ndarray, *, sweep_to: float | None = None) -> list[Detection]:
        """Plates in ``frame`` (BGR uint8 (H, W, 3) or grey (H, W)), best score first (``sweep_to``: see
        :func:`find_plates`)."""
        return find_plates(
            self._network,
            frame,
            self.settings,
            self.verifier,
            sweep_to=sweep_to,
            expect_plate=self.expect_plate,
            reads_text=self.reads_text,
        )

    def _network(self, image: np.ndarray) -> np.ndarray:
        return self._session.run([OUTPUT_NAME], {INPUT_NAME: image})[0]
