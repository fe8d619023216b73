"""``platocr bench``: recognition speed (crops/s per backend, device and batch size) and video fps.

Crops/s is end to end on decoded uint8 crops: ``Predictor.predict`` = preprocess + forward + the
config's decoder, and every extra crop of the config's multi-crop ``voting`` when it votes on every crop
(``when: always``).
Video fps runs the real annotator (``platocr.video.run_video``) on a generated clip with one fixed
ROI, so OCR reads one crop per frame, in threaded and sequential mode. Speed does not depend on the
weights, so without a model a randomly initialised one of ``configs/quick.yaml`` is timed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from platocr.threads import MODES, applied, available_cores, outside_load, plan_threads
from platocr.video.bench import MIN_VIDEO_FRAMES, center_roi, time_video, video_note  # noqa: F401  re-exported

if TYPE_CHECKING:
    from platocr.recognition.checkpoint import LoadedModel
    from platocr.recognition.config import Config

SCHEMA = "platocr-bench/1"
REPO_CONFIGS = Path(__file__).resolve().parents[3] / "configs"


@dataclass
class BenchSettings:
    """What to measure; :meth:`quick` is the short run used by ``--quick`` and the tests (small batches,
    a small clip, but still enough frames for a video figure that means something)."""

    batch_sizes: tuple[int, ...] = (1, 32, 256)
    min_seconds: float = 2.0  # keep timing a setting until this much time has passed ...
    min_repeats: int = 3  # ... and at least this many timed calls
    video_frames: int = 150
    video_size: tuple[int, int] = (1280, 720)  # (width, height)
    backends: tuple[str, ...] = ("torch", "onnx")
    devices: tuple[str, ...] = ("cpu",)
    video: bool = True
    threads: int | None = None  # cores to plan the thread pools for; None = the free cores

    @classmethod
    def quick(cls, **changes: Any) -> BenchSettings:
        settings = cls(batch_sizes=(1, 8), min_seconds=0.0, min_repeats=1, video_frames=MIN_VIDEO_FRAMES,
                       video_size=(320, 240))  # fmt: skip
        for key, value in changes.items():
            setattr(settings, key, value)
        return settings


@dataclass
class BenchModel:
    """The model under test: a loaded checkpoint or a random one, and where it came from."""

    loaded: LoadedModel
    source: str
    random_init: bool
    notes: list[str] = field(default_factory=list)
    onnx: bytes | None = None  # the export, made on first use (one per plan would cost seconds each)


def pick_model(model: str | None = None, config: str | Path | None = None) -> BenchModel:
    """``model`` (path / bundled name), else a random model of ``config``, else a bundled model,
    else a random ``configs/quick.yaml`` model (package defaults when the repo's configs are absent)."""
    from platocr.errors import PlatocrError
    from platocr.recognition.checkpoint import load_checkpoint
    from platocr.recognition.zoo import bundled_models, resolve_model

    if model is not None and config is not None:
        raise PlatocrError("--model and --config exclude each other (a checkpoint brings its own config)")
    if model is None and config is None and bundled_models():
        model = next(iter(bundled_models()))
    if model is not None:
        path = resolve_model(model)
        if path.suffix.lower() == ".onnx":
            raise PlatocrError(f"--model {path}: bench takes a checkpoint (.pt); it times both backends")
        return _as_read(BenchModel(load_checkpoint(path, "cpu"), source=str(model), random_init=False))
    notes = ["randomly initialised weights: speed does not depend on the weights"]
    if config is None and (REPO_CONFIGS / "quick.yaml").is_file():
        config = REPO_CONFIGS / "quick.yaml"
    if config is None:
        notes.append("configs/quick.yaml not found: package default config")
    return _as_read(
        BenchModel(random_model(config), source=str(config or "defaults"), random_init=True, notes=notes)
    )


def _as_read(bench: BenchModel) -> BenchModel:
    """Time the reading a user gets: with ``voting.when: always`` every crop is read as cut and from
    each extra crop. With ``when: empty`` the extra crops are left out: how many a stream needs depends
    on its no-reads, and the sample crops (not real text) would be mostly no-reads."""
    from platocr.recognition.config import VotingConfig

    voting = bench.loaded.config.voting
    crops = [list(crop) for crop in voting.crops]
    if crops and voting.when == "always":
        bench.notes.append(
            f"multi-crop voting {crops}, when: always: each crop is read {len(crops) + 1} times"
        )
    elif crops:
        bench.loaded.config = dataclasses.replace(bench.loaded.config, voting=VotingConfig())
        bench.notes.append(
            f"multi-crop voting {crops}, when: empty: timed without voting, one read per crop "
            f"(each no-read costs {len(crops)} more)"
        )
    return bench


def random_model(config: Config | str | Path | None) -> LoadedModel:
    """An untrained LoadedModel of ``config`` (a Config or YAML path; its vocab, ``auto`` -> digits),
    in eval mode on CPU."""
    from platocr.model import build_model
    from platocr.recognition.checkpoint import LoadedModel
    from platocr.recognition.config import Config, load_config
    from platocr.recognition.tokenizer import Tokenizer

    cfg = config if isinstance(config, Config) else load_config(config)
    tokenizer = Tokenizer("0123456789" if cfg.data.vocab == "auto" else cfg.data.vocab)
    model = build_model(cfg, tokenizer.num_classes).eval()
    return LoadedModel(model=model, config=cfg, tokenizer=tokenizer)  # meta: ModelMeta(), no file


def sample_crops(count: int, seed: int = 0) -> list[np.ndarray]:
    """``count`` plate-like BGR crops of varied sizes (dark text on a light plate) for timing."""
    import cv2

    rng = np.random.default_rng(seed)
    crops = []
    for i in range(count):
        h = int(rng.integers(28, 64))
        w = int(h * rng.uniform(3.5, 5.0))
        crop = np.full((h, w, 3), int(rng.integers(170, 250)), np.uint8)
        cv2.putText(crop, f"A{i % 1000:03d}BC77", (2, int(h * 0.75)), cv2.FONT_HERSHEY_SIMPLEX,
                    h / 40, (30, 30, 30), max(1, h // 20), cv2.LINE_AA)  # fmt: skip
        crops.append(crop)
    return crops


def time_crops(predictor: Any, batch: int, settings: BenchSettings) -> dict[str, Any]:
    """Crops/s of ``predictor.predict`` on batches of ``batch`` crops, after two warm-up calls.

    ``crops_per_s`` comes from the median call, so a few calls stalled by other processes on a
    shared machine do not decide the figure; ``crops_per_s_mean`` is total crops / total time.
    """
    crops = sample_crops(batch)
    for _ in range(2):  # warm-up: allocator, oneDNN primitives, onnxruntime arenas
        predictor.predict(crops, batch_size=batch)
    calls: list[float] = []
    start = time.perf_counter()
    while len(calls) < settings.min_repeats or time.perf_counter() - start < settings.min_seconds:
        began = time.perf_counter()
        predictor.predict(crops, batch_size=batch)
        calls.append(time.perf_counter() - began)
    median = float(np.median(calls))
    return {
        "backend": predictor.backend, "device": predictor.device, "batch": batch, "repeats": len(calls),
        "crops_per_s": batch / median, "crops_per_s_mean": batch * len(calls) / sum(calls),
        "ms_per_batch": 1000 * median,
    }  # fmt: skip


def machine_info() -> dict[str, Any]:
    """Host description stored with every benchmark (figures mean little without it)."""
    import onnxruntime
    import torch

    cuda = torch.cuda.is_available()
    return {
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),  # torch's default; each figure ran with its plan
        "load_avg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "onnx_providers": onnxruntime.get_available_providers(),
        "cuda": cuda,
        "cuda_device": torch.cuda.get_device_name(0) if cuda else None,
    }


def available_devices(requested: str) -> tuple[str, ...]:
    """``auto`` -> cpu plus cuda when present; ``cpu`` / ``cuda`` -> just that one (checked)."""
    import torch

    from platocr.errors import PlatocrError

    if requested == "auto":
        return ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)
    if requested not in ("cpu", "cuda"):
        raise PlatocrError(f"--device must be auto, cpu or cuda, got {requested!r}")
    if requested == "cuda" and not torch.cuda.is_available():
        raise PlatocrError("--device cuda: no CUDA device is available (this torch sees none)")
    return (requested,)


def run_bench(bench_model: BenchModel, settings: BenchSettings, on_result: Any = None) -> dict[str, Any]:
    """Measure every (backend, device, batch) and the video modes; returns the JSON-ready report.

    ``on_result(kind, row)`` is called after each figure (the CLI prints progress with it).
    """
    import onnxruntime as ort

    # Crops/s times one call at a time: the sequential plan. Planned once, so every figure of the
    # report ran with the same counts.
    load = 0.0 if settings.threads else outside_load()
    plans = {mode: plan_threads(available_cores(), mode, load, settings.threads) for mode in MODES}
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "model": model_info(bench_model),
        "settings": dataclasses.asdict(settings),
        "threads": {mode: plan.as_dict() for mode, plan in plans.items()},
        "crops": [],
        "video": [],
    }
    for device in settings.devices:
        for backend in settings.backends:
            if (
                backend == "onnx"
                and device == "cuda"
                and "CUDAExecutionProvider" not in ort.get_available_providers()
            ):
                report["model"]["notes"].append("onnx on cuda skipped: onnxruntime has no CUDA provider")
                continue
            predictor = make_predictor(bench_model, backend, device, plans["sequential"].runtime)
            with applied(plans["sequential"]):
                for batch in settings.batch_sizes:
                    report["crops"].append(time_crops(predictor, batch, settings))
                    if on_result:
                        on_result("crops", report["crops"][-1])
            if settings.video:
                threaded = predictor
                if backend == "onnx" and plans["threaded"].runtime != plans["sequential"].runtime:
                    threaded = make_predictor(bench_model, backend, device, plans["threaded"].runtime)
                for row in time_video(predictor, settings, plans, threaded):
                    report["video"].append(row.as_dict())
                    if on_result:
                        on_result("video", report["video"][-1])
    report["machine"]["load_avg_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    return report


def make_predictor(bench_model: BenchModel, backend: str, device: str, threads: int | None) -> Any:
    """A Predictor of the benchmarked model; the onnx one with ``threads`` intra-op threads (exported
    once, kept on ``bench_model``)."""
    from platocr.recognition.predictor import Predictor

    loaded = bench_model.loaded
    if backend == "onnx":
        from platocr.recognition.onnx_export import export_onnx_bytes, onnx_session
        from platocr.recognition.predictor import onnx_forward

        if bench_model.onnx is None:
            bench_model.onnx = export_onnx_bytes(loaded)
        session = onnx_session(bench_model.onnx, device, threads=threads)
        return Predictor(onnx_forward(session), loaded.config, loaded.tokenizer, backend="onnx",
                         device=device, source=bench_model.source)  # fmt: skip
    return Predictor.from_loaded(loaded, device=device, backend=backend, source=bench_model.source)


def model_info(bench_model: BenchModel) -> dict[str, Any]:
    cfg = bench_model.loaded.config
    return {
        "source": bench_model.source,
        "random_init": bench_model.random_init,
        "backbone": cfg.model.backbone,
        "rnn": cfg.model.rnn,
        "input": [cfg.input.height, cfg.input.width],
        "vocab": bench_model.loaded.tokenizer.vocab,
        "parameters": sum(p.numel() for p in bench_model.loaded.model.parameters()),
        "notes": list(bench_model.notes),
    }
