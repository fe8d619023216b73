"""Train the plate detector on labelled frames and export it as the ``.onnx`` that ``PlateDetector`` loads.

Frames come from box files (``platocr synth scenes``, or your own frames in the same columns). The run is
budgeted in optimizer steps, so a busy machine gives the same weights, only later. Validation runs the
inference path itself (:func:`~platocr.detection.detector.find_plates`, both looks) on whole
frames and keeps the checkpoint with the best F1 of plates found at IoU 0.5.
"""

from __future__ import annotations

import io
import json
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
import torch

from platocr.detection.boxes import PlateCount
from platocr.detection.detector import find_plates
from platocr.detection.settings import (
    DEFAULT_NAME,
    INPUT_NAME,
    OUTPUT_NAME,
    THRESHOLD_CANDIDATES,
    DetectorSettings,
)
from platocr.errors import PlatocrError
from platocr.model.plate_net import DEFAULT_BACKBONE, PlateNet
from platocr.recognition.zoo import MODELS_DIR
from platocr.train.detector_data import DetectorViews, LabelledFrame, detector_loss

# The shipped detector's torch weights, to fine-tune from (``--init plate-detector``). Not ``.pt``: the
# models folder's ``.pt`` files are the plate readers.
SHIPPED_WEIGHTS = MODELS_DIR / f"{DEFAULT_NAME}.pth"


def detector_checkpoint(name_or_path: str | Path) -> Path:
    """``plate-detector`` (the shipped detector's weights) or a checkpoint path (RUN/best.pt)."""
    return SHIPPED_WEIGHTS if str(name_or_path) == DEFAULT_NAME else Path(name_or_path)


@dataclass(frozen=True)
class DetectorTraining:
    """How to train: steps, batch of square views, AdamW with warm-up and cosine decay."""

    steps: int = 3000
    batch_size: int = 16
    view_size: int = 320
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    val_every: int = 500
    seed: int = 0
    backbone: str = DEFAULT_BACKBONE
    settings: DetectorSettings = field(default_factory=DetectorSettings)
    init: Path | None = None  # start from these weights (a run's best.pt / last.pt, or SHIPPED_WEIGHTS)


@dataclass(frozen=True)
class DetectorRun:
    """What a training run produced."""

    best_step: int
    best: PlateCount
    onnx_path: Path
    seconds: float
    history: list[tuple[int, float, PlateCount]]  # (step, mean training loss, val score)
    threshold: float  # exported: the best F1 on the validation frames; ``best`` is the score there


def score_frames(
    model: PlateNet, frames: list[LabelledFrame], settings: DetectorSettings, min_iou: float = 0.5
) -> PlateCount:
    """Run ``model`` as inference does on every frame and count plates found and false plates."""
    return score_thresholds(model, frames, settings, (settings.threshold,), min_iou)[settings.threshold]


def score_thresholds(
    model: PlateNet,
    frames: list[LabelledFrame],
    settings: DetectorSettings,
    thresholds: tuple[float, ...],
    min_iou: float = 0.5,
) -> dict[float, PlateCount]:
    """:func:`score_frames` at each of ``thresholds``, finding the plates of each frame once, at the lowest
    (a higher threshold keeps the same plates with a higher score)."""
    model.eval()
    counts = {t: PlateCount(t, min_iou) for t in thresholds}
    lowest = replace(settings, threshold=min(thresholds))

    def network(batch: np.ndarray) -> np.ndarray:
        return model(torch.from_numpy(batch)).numpy()

    with torch.no_grad():
        for frame in frames:
            image = cv2.imread(frame.path, cv2.IMREAD_COLOR)
            plates = find_plates(network, image, lowest, sweep_to=max(thresholds))
            truth, ignored = frame.pixel_boxes()
            for count in counts.values():
                count.add(plates, truth, ignored)
    model.train()
    return counts


def _lr_at(step: int, cfg: DetectorTraining) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    return cfg.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def train_detector(
    train: list[LabelledFrame],
    val: list[LabelledFrame],
    out: Path,
    cfg: DetectorTraining,
    log: Callable[[str], None] = print,
) -> DetectorRun:
    """Train on views of ``train``, validate on whole ``val`` frames, write ``out/best.pt``, ``out/last.pt``
    and ``out/plate-detector.onnx`` (the best weights, with the threshold of the best validation F1), and
    return the run's figures."""
    if not train or not val:
        raise PlatocrError("train-detector needs training and validation frames (got "
                           f"{len(train)} and {len(val)})")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    model = PlateNet(cfg.backbone)
    if cfg.init is not None:
        missing, _ = model.load_state_dict(_load_weights(cfg.init, cfg.backbone, "--init"), strict=False)
        if missing:  # a checkpoint from before a feature level was added: that level starts fresh
            fresh = ", ".join(sorted({key.rsplit(".", 2)[0] for key in missing}))
            log(f"--init {cfg.init}: {len(missing)} tensor(s) start fresh ({fresh})")
    views = DetectorViews(train, cfg.view_size, cfg.settings.input_size, cfg.seed, cfg.steps * cfg.batch_size)
    loader = torch.utils.data.DataLoader(
        views, batch_size=cfg.batch_size, shuffle=False, num_workers=1, persistent_workers=True
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    history: list[tuple[int, float, PlateCount]] = []
    best: tuple[int, PlateCount] | None = None
    losses: list[float] = []
    start = time.perf_counter()
    model.train()
    for step, (images, heat, regression, mask) in enumerate(loader):
        for group in optimizer.param_groups:
            group["lr"] = _lr_at(step, cfg)
        loss = detector_loss(model(images), heat, regression, mask)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        optimizer.step()
        losses.append(loss.item())
        done = step + 1
        if done % cfg.val_every == 0 or done == cfg.steps:
            score = score_frames(model, val, cfg.settings)
            history.append((done, float(np.mean(losses)), score))
            mark = ""
            if best is None or score.f1 > best[1].f1:
                best, mark = (done, score), "  * best"
                _save(model, cfg, out / "best.pt", done, score)
            log(f"step {done}/{cfg.steps}  loss {np.mean(losses):.3f}  recall {score.recall:.3f}  "
                f"precision {score.precision:.3f}  false/frame {score.false_per_frame:.3f}  "
                f"{time.perf_counter() - start:.0f} s{mark}")  # fmt: skip
            losses = []
    _save(model, cfg, out / "last.pt", cfg.steps, history[-1][2])
    assert best is not None
    model.load_state_dict(torch.load(out / "best.pt", weights_only=True)["model"])
    threshold, by_threshold = export_with_best_threshold(model, val, cfg.settings, out, log)
    chosen = by_threshold[threshold]
    onnx_path = out / "plate-detector.onnx"
    # default=str: the --init path
    (out / "run.json").write_text(
        json.dumps(
            {
                "training": asdict(cfg),
                "best_step": best[0],
                "best": asdict(best[1]),
                "threshold": threshold,
                "by_threshold": {str(t): asdict(v) for t, v in by_threshold.items()},
                "history": [{"step": s, "loss": loss, **asdict(v)} for s, loss, v in history],
            },
            indent=2,
            default=str,
        ),
        encoding="utf-8",
    )
    return DetectorRun(best[0], chosen, onnx_path, time.perf_counter() - start, history, threshold)


def export_with_best_threshold(
    model: PlateNet,
    val: list[LabelledFrame],
    settings: DetectorSettings,
    out: Path,
    log: Callable[[str], None] = print,
) -> tuple[float, dict[float, PlateCount]]:
    """Write ``out/plate-detector.onnx`` with the threshold of the best F1 on ``val`` (ties: the one
    nearest ``settings.threshold``); return that threshold and the score at every candidate."""
    by_threshold = score_thresholds(model, val, settings, THRESHOLD_CANDIDATES)
    threshold = max(THRESHOLD_CANDIDATES, key=lambda t: (by_threshold[t].f1, -abs(t - settings.threshold)))
    chosen = by_threshold[threshold]
    log(f"threshold {threshold}: recall {chosen.recall:.3f}  precision {chosen.precision:.3f}  "
        f"false/frame {chosen.false_per_frame:.3f}")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    (out / "plate-detector.onnx").write_bytes(export_detector(model, replace(settings, threshold=threshold)))
    return threshold, by_threshold


def load_detector_checkpoint(name_or_path: str | Path, backbone: str = DEFAULT_BACKBONE) -> PlateNet:
    """A ``best.pt``/``last.pt`` of train-detector, or ``plate-detector`` (the shipped weights), as a model
    in eval mode."""
    model = PlateNet(backbone)
    model.load_state_dict(_load_weights(detector_checkpoint(name_or_path), backbone, "checkpoint"))
    return model.eval()


def _load_weights(path: Path, backbone: str, what: str) -> dict[str, torch.Tensor]:
    """The weights of a detector checkpoint, refused in one line when it is not one of ours."""
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise PlatocrError(f"{what} {path}: file not found") from None
    except Exception as exc:  # noqa: BLE001 - torch raises assorted types for files it cannot read safely
        raise PlatocrError(f"{what} {path}: not a detector checkpoint ({type(exc).__name__})") from None
    if not isinstance(saved, dict) or "model" not in saved or saved.get("backbone") != backbone:
        raise PlatocrError(
            f"{what} {path}: not a {backbone} detector checkpoint (best.pt/last.pt of train-detector)"
        )
    return saved["model"]


def _save(model: PlateNet, cfg: DetectorTraining, path: Path, step: int, score: PlateCount) -> None:
    torch.save({"model": model.state_dict(), "backbone": cfg.backbone, "step": step,
                "settings": asdict(cfg.settings), "score": asdict(score)}, path)  # fmt: skip


def export_detector(model: PlateNet, settings: DetectorSettings, opset: int = 17) -> bytes:
    """ONNX bytes of ``model`` with dynamic height/width and the settings in its metadata."""
    import onnx

    model = model.cpu().eval()
    buffer = io.BytesIO()
    dummy = torch.zeros(1, 3, 384, 640)
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # the legacy exporter's deprecation notice: it is the one that works here
        torch.onnx.export(
            model, (dummy,), buffer, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {2: "height", 3: "width"}, OUTPUT_NAME: {2: "rows", 3: "cols"}},
            opset_version=opset, dynamo=False,
        )  # fmt: skip
    proto = onnx.load_from_string(buffer.getvalue())
    for key, value in {"platocr.format": "platocr-plate-detector/1", **settings.as_metadata()}.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    return proto.SerializeToString()
