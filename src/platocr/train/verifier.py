"""Train the plate verifier on the plates a detector proposes in labelled frames, and export the pair.

The detector runs as inference does (both looks), without a verifier, at a low threshold on every training
frame. Each proposal is a training crop: a plate when it matches a labelled plate at IoU >= 0.5, not a plate
when it lies away from every plate (IoU < 0.2, and not on a plate that is not judged). Loose boxes on a
plate are left out: telling a good box from a loose one is the second look's job. The threshold of the
verified score is then chosen on the validation frames (best F1 of plates found at IoU 0.5), and the
detector is written again with the verifier named in its settings.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import torch

from platocr.detection.boxes import Detection, PlateCount, box_iou, overlaps_ignored
from platocr.detection.detector import PlateDetector
from platocr.detection.settings import THRESHOLD_CANDIDATES, DetectorSettings
from platocr.detection.verifier import (
    INPUT_NAME,
    OUTPUT_NAME,
    VERIFIER_SIZE,
    crops_to_input,
    cut_crops,
    verified_score,
)
from platocr.errors import PlatocrError
from platocr.model.plate_verifier import PlateVerifierNet, with_sigmoid
from platocr.train.detector_data import LabelledFrame

VERIFIER_FILE = "plate-verifier.onnx"
DETECTOR_FILE = "plate-detector.onnx"


@dataclass(frozen=True)
class VerifierTraining:
    """How to train: epochs over the mined crops, AdamW with a one-cycle schedule."""

    epochs: int = 12
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    candidate_threshold: float = 0.15  # the first look proposes plates from this score on


@dataclass
class Candidates:
    """What a detector proposed in labelled frames: ``crops`` (N, 32, 96, 3) BGR uint8, ``labels`` (N,)
    1 = a plate, 0 = not a plate, -1 = neither (a loose box, or on a plate that is not judged),
    ``frames`` (N,) the index of the frame, ``scores`` (N,) the first look's, ``boxes`` (N, 4), ``retry``
    (N,) which look proposed it (0 the first, 1 the first retry, ...); ``unread``: the indices of the frames
    OpenCV could not decode (left out, counted neither way)."""

    crops: np.ndarray
    labels: np.ndarray
    frames: np.ndarray
    scores: np.ndarray
    boxes: np.ndarray
    retry: np.ndarray
    unread: list[int]

    @property
    def plates(self) -> int:
        return int((self.labels == 1).sum())

    @property
    def others(self) -> int:
        return int((self.labels == 0).sum())


@dataclass(frozen=True)
class VerifierRun:
    """What a run produced: the threshold chosen, the validation count there with the new verifier and
    for the detector as given (at its own threshold, with its own verifier if it had one), and the files
    written."""

    threshold: float
    verified: PlateCount
    given: PlateCount
    detector_path: Path
    verifier_path: Path
    seconds: float


def mine_candidates(
    detector: PlateDetector,
    frames: list[LabelledFrame],
    progress: Callable[[int], None] | None = None,
    *,
    every_look: bool = False,
) -> Candidates:
    """Run ``detector`` (load it with ``verify=False`` and the candidate threshold) on every frame and
    label each plate it proposes against the frame's boxes. ``every_look``: the retries' proposals too, on
    every frame (to count any verifier's plates exactly: whether a frame is looked at again depends on
    the verified scores)."""
    crops, labels, indices, scores, boxes, retry, unread = [], [], [], [], [], [], []
    for index, frame in enumerate(frames):
        image = cv2.imread(frame.path, cv2.IMREAD_COLOR)
        if image is None:  # a damaged file with an image's signature
            unread.append(index)
            continue
        truth, ignored = frame.pixel_boxes()
        found = detector(image, sweep_to=1.0) if every_look else detector(image)  # no score reaches 1.0
        for detection in found:
            best = max((box_iou(detection.box, plate) for plate in truth), default=0.0)
            if best >= 0.5:
                labels.append(1)
            elif best < 0.2 and not overlaps_ignored(detection.box, ignored):
                labels.append(0)
            else:
                labels.append(-1)
            indices.append(index)
            scores.append(detection.score)
            boxes.append(detection.box)
            retry.append(detection.retry)
        if found:
            crops.append(cut_crops(image, [d.box for d in found]))
        if progress is not None:
            progress(index + 1)
    return Candidates(
        np.concatenate(crops) if crops else np.zeros((0, *VERIFIER_SIZE, 3), np.uint8),
        np.array(labels, np.int8), np.array(indices, np.int64), np.array(scores, np.float32),
        np.array(boxes, np.int64).reshape(-1, 4), np.array(retry, np.int8), unread,
    )  # fmt: skip


def augment(crops: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
    """(N, 32, 96, 3) BGR uint8 -> (N, 3, 32, 96) float input, flipped, greyed, lit and shifted at random."""
    batch = crops_to_input(crops)
    n = len(batch)
    flip = rng.random(n) < 0.5
    batch[flip] = batch[flip, :, :, ::-1]
    grey = rng.random(n) < 0.3
    batch[grey] = batch[grey].mean(axis=1, keepdims=True)
    batch = batch * rng.uniform(0.6, 1.4, (n, 1, 1, 1)) + rng.uniform(-0.2, 0.2, (n, 1, 1, 1))
    # the detector's boxes are a few pixels off: so are these crops
    shift = (int(rng.integers(-3, 4)), int(rng.integers(-6, 7)))
    batch = np.roll(batch, shift, axis=(2, 3))
    return torch.from_numpy(np.clip(batch, 0.0, 1.0).astype(np.float32))


def fit_verifier(
    train: Candidates, cfg: VerifierTraining, log: Callable[[str], None] = print
) -> tuple[PlateVerifierNet, list[float]]:
    """Train a verifier from scratch on ``train``'s plates and others; returns it and the mean loss per epoch."""
    keep = train.labels >= 0
    crops, labels = train.crops[keep], train.labels[keep].astype(np.float32)
    if labels.sum() == 0 or (labels == 0).sum() == 0:
        raise PlatocrError(
            f"the detector proposed {int(labels.sum())} plates and {int((labels == 0).sum())} other things "
            "in the training frames: the verifier needs both (more frames, or a lower --candidate-threshold)"
        )
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    net = PlateVerifierNet()
    batches = max(1, len(labels) // cfg.batch_size)
    optimizer = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, cfg.lr, total_steps=cfg.epochs * batches)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    losses = []
    net.train()
    for epoch in range(cfg.epochs):
        order = rng.permutation(len(labels))
        total = 0.0
        for b in range(batches):
            picked = order[b * cfg.batch_size : (b + 1) * cfg.batch_size]
            loss = loss_fn(net(augment(crops[picked], rng)), torch.from_numpy(labels[picked]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item()
        losses.append(total / batches)
        log(f"epoch {epoch + 1}/{cfg.epochs}: loss {losses[-1]:.4f}")
    return net.eval(), losses


def plate_probabilities(net: PlateVerifierNet, crops: np.ndarray, batch: int = 512) -> np.ndarray:
    """(N,) probabilities for (N, 32, 96, 3) BGR uint8 crops."""
    net.eval()
    with torch.no_grad():
        parts = [torch.sigmoid(net(torch.from_numpy(crops_to_input(crops[i : i + batch]))))
                 for i in range(0, len(crops), batch)]  # fmt: skip
    return torch.cat(parts).numpy() if parts else np.zeros(0, np.float32)


def count_plates(
    candidates: Candidates, frames: list[LabelledFrame], scores: np.ndarray, thresholds: tuple[float, ...]
) -> dict[float, PlateCount]:
    """Plates found and false plates on ``frames`` when each candidate scores ``scores`` (N,), at each
    threshold: what :class:`PlateDetector` gives with those scores."""
    counts = {t: PlateCount(t) for t in thresholds}
    by_frame: list[list[Detection]] = [[] for _ in frames]
    for index, box, score, retry in zip(candidates.frames, candidates.boxes, scores, candidates.retry,
                                        strict=True):  # fmt: skip
        by_frame[index].append(Detection(tuple(int(v) for v in box), float(score), int(retry)))  # type: ignore[arg-type]
    unread = set(candidates.unread)
    for index, (frame, found) in enumerate(zip(frames, by_frame, strict=True)):
        if index in unread:
            continue
        truth, ignored = frame.pixel_boxes()
        found.sort(key=lambda d: -d.score)
        for count in counts.values():
            count.add(found, truth, ignored)
    return counts


def _verified(scores: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """(N,) verified scores, as :class:`PlateDetector` gives them (:func:`verified_score`)."""
    return np.array([verified_score(s, p) for s, p in zip(scores, probabilities, strict=True)])


def export_verifier(net: PlateVerifierNet, opset: int = 17) -> bytes:
    """ONNX bytes: (N, 3, 32, 96) RGB in [0, 1] -> (N,) plate probabilities."""
    import io
    import warnings

    import onnx

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
        torch.onnx.export(
            with_sigmoid(net.eval()), (torch.zeros(2, 3, 32, 96),), buffer, input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME], dynamic_axes={INPUT_NAME: {0: "crops"}, OUTPUT_NAME: {0: "crops"}},
            opset_version=opset, dynamo=False,
        )  # fmt: skip
    proto = onnx.load_from_string(buffer.getvalue())
    entry = proto.metadata_props.add()
    entry.key, entry.value = "platocr.format", "platocr-plate-verifier/1"
    return proto.SerializeToString()


def detector_with_settings(detector_path: Path, settings: DetectorSettings) -> bytes:
    """The detector's ONNX bytes with ``settings`` in its metadata in place of the stored ones."""
    import onnx

    proto = onnx.load_from_string(detector_path.read_bytes())
    kept = [(p.key, p.value) for p in proto.metadata_props if not p.key.startswith("detector.")]
    del proto.metadata_props[:]
    for key, value in [*kept, *settings.as_metadata().items()]:
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    return proto.SerializeToString()


def train_verifier(
    detector_path: Path,
    train: list[LabelledFrame],
    val: list[LabelledFrame],
    out: Path,
    cfg: VerifierTraining,
    log: Callable[[str], None] = print,
    progress: bool = True,
) -> VerifierRun:
    """Mine, train, choose the threshold on ``val``, and write ``out``: ``plate-detector.onnx`` (the
    detector naming its verifier), ``plate-verifier.onnx`` and ``run.json``."""
    from platocr.progress import make_progress

    start = time.perf_counter()
    given = PlateDetector.load(detector_path)  # as it is used now: with its own verifier, if any
    proposing = PlateDetector.load(detector_path, threshold=cfg.candidate_threshold, verify=False)
    with make_progress(enabled=progress) as bar:
        task = bar.add_task("propose", total=len(train) + len(val))
        train_candidates = mine_candidates(proposing, train, lambda n: bar.update(task, completed=n))
        val_candidates = mine_candidates(
            proposing, val, lambda n: bar.update(task, completed=len(train) + n), every_look=True
        )
    for what, got, frames in (("--train", train_candidates, train), ("--val", val_candidates, val)):
        if got.unread:
            log(f"{what}: {len(got.unread)} frame(s) could not be read, left out "
                f"(first: {frames[got.unread[0]].path})")  # fmt: skip
    retry = " and ".join(map(str, proposing.settings.retry_sizes))
    log(f"training frames: {train_candidates.plates} plates and {train_candidates.others} other things "
        f"proposed ({len(train_candidates.labels)} in all); validation frames: {val_candidates.plates} and "
        f"{val_candidates.others}" + (f" (with the retries' at {retry} px)" if retry else ""))  # fmt: skip
    net, losses = fit_verifier(train_candidates, cfg, log)
    verified = _verified(val_candidates.scores, plate_probabilities(net, val_candidates.crops))
    by_threshold = count_plates(val_candidates, val, verified, THRESHOLD_CANDIDATES)
    threshold = max(THRESHOLD_CANDIDATES, key=lambda t: (by_threshold[t].f1, -t))
    given_scores = val_candidates.scores
    if given.verifier is not None:
        given_scores = _verified(given_scores, given.verifier.score_crops(val_candidates.crops))
    own = given.settings.threshold
    given_count = count_plates(val_candidates, val, given_scores, (own,))[own]
    out.mkdir(parents=True, exist_ok=True)
    verifier_path, detector_out = out / VERIFIER_FILE, out / DETECTOR_FILE
    verifier_path.write_bytes(export_verifier(net))
    settings = replace(given.settings, threshold=threshold, verifier=VERIFIER_FILE,
                       candidate_threshold=cfg.candidate_threshold)  # fmt: skip
    detector_out.write_bytes(detector_with_settings(Path(given.source), settings))
    seconds = time.perf_counter() - start
    (out / "run.json").write_text(json.dumps({
        "detector": str(detector_path), "settings": asdict(cfg), "threshold": threshold, "seconds": seconds,
        "train_frames": len(train), "val_frames": len(val),
        "train_candidates": {"plates": train_candidates.plates, "others": train_candidates.others,
                             "all": len(train_candidates.labels)},
        "loss_per_epoch": losses,
        "val_verified": {str(t): asdict(c) for t, c in by_threshold.items()},
        "val_detector_as_given": {"verifier": given.verifier is not None, **asdict(given_count)},
    }, indent=2), encoding="utf-8")  # fmt: skip
    return VerifierRun(threshold, by_threshold[threshold], given_count, detector_out, verifier_path, seconds)
