"""``platocr bench``: recognition speed (crops/s per backend, precision, device and batch size) and video fps.

Crops/s is end to end on decoded uint8 crops: ``Predictor.predict`` = preprocess + forward + the
config's decoder, and every extra crop of the config's multi-crop ``voting`` when it votes on every crop
(``when: always``). The onnx backend is timed with the float model and, on a CPU, the int8 one (what
``Predictor.load`` reads there by default); ``--bars`` adds a row that reads rendered EAN-13 labels'
bars too (:func:`platocr.recognition.bars_reader.read_bars`). The model and its predictors are
:mod:`platocr.tools.bench_model`'s, the report :mod:`platocr.tools.bench_report`'s.
Video fps runs the real annotator (``platocr.video.run_video``) on a generated clip with one fixed
ROI, so OCR reads one crop per frame, in threaded and sequential mode, with the float models. Speed
does not depend on the weights, so without a model a randomly initialised one of ``configs/quick.yaml``
is timed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from platocr.threads import MODES, applied, available_cores, outside_load, plan_threads
from platocr.tools.bench_model import (  # noqa: F401  pick_model, random_model, REPO_CONFIGS: re-exported
    REPO_CONFIGS,
    BenchModel,
    make_predictor,
    model_info,
    pick_model,
    random_model,
)
from platocr.tools.bench_report import BenchReport, CropsRow, MachineInfo, Reads
from platocr.video.bench import MIN_VIDEO_FRAMES, center_roi, time_video, video_note  # noqa: F401  re-exported

if TYPE_CHECKING:
    from platocr.recognition.prediction import Prediction
    from platocr.recognition.predictor import Predictor
    from platocr.threads import ThreadPlan
    from platocr.video.bench import VideoBenchRow

OnResult = Callable[["CropsRow | VideoBenchRow"], None]


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
    int8: bool = True  # onnx on a CPU: the int8 model too
    bars: bool = False  # a barcode model: bars + digits rows (needs zxing-cpp)

    @classmethod
    def quick(cls, **changes: Any) -> BenchSettings:
        settings = cls(batch_sizes=(1, 8), min_seconds=0.0, min_repeats=1, video_frames=MIN_VIDEO_FRAMES,
                       video_size=(320, 240))  # fmt: skip
        for key, value in changes.items():
            setattr(settings, key, value)
        return settings


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


def sample_barcodes(count: int, seed: int = 0) -> list[np.ndarray]:
    """``count`` BGR crops of rendered EAN-13 labels (bars and digits, a margin round them), for ``--bars``."""
    from platocr.formats.ean import complete_code
    from platocr.synth.barcode_render import render_label

    rng = np.random.default_rng(seed)
    crops = []
    for _ in range(count):
        code = complete_code("".join(map(str, rng.integers(0, 10, 12))), "ean13")
        ink = render_label(code, "ean13", rng, int(rng.integers(2, 4))).ink
        grey = np.pad(255 - ink, 12, constant_values=255)
        crops.append(np.repeat(grey[:, :, None], 3, axis=2))
    return crops


def time_reads(
    read: Callable[[list[np.ndarray]], object], crops: list[np.ndarray], settings: BenchSettings
) -> tuple[int, float, float]:
    """(calls, median s, mean s) of ``read(crops)``, after two warm-up calls (allocator, oneDNN
    primitives, onnxruntime arenas). The median: a few calls stalled by other processes on a shared
    machine do not decide the figure."""
    for _ in range(2):
        read(crops)
    calls: list[float] = []
    start = time.perf_counter()
    while len(calls) < settings.min_repeats or time.perf_counter() - start < settings.min_seconds:
        began = time.perf_counter()
        read(crops)
        calls.append(time.perf_counter() - began)
    return len(calls), float(np.median(calls)), sum(calls) / len(calls)


def time_crops(
    predictor: Predictor, batch: int, settings: BenchSettings, reads: Reads = "digits"
) -> CropsRow:
    """Crops/s of ``predictor.predict`` on batches of ``batch`` :func:`sample_for` crops; with
    ``reads="bars+digits"`` each batch then goes through :func:`~platocr.recognition.bars_reader.read_bars`."""
    from platocr.recognition.bars_reader import read_bars

    def read(crops: list[np.ndarray]) -> list[Prediction]:
        predictions = predictor.predict_many(crops, batch_size=batch)
        return read_bars(crops, predictions) if reads == "bars+digits" else predictions

    calls, median, mean = time_reads(read, sample_for(predictor.tokenizer.vocab, batch), settings)
    return CropsRow(predictor.backend, predictor.device, batch, predictor.precision, reads, calls,
                    batch / median, batch / mean, 1000 * median)  # fmt: skip


def sample_for(vocab: str, count: int) -> list[np.ndarray]:
    """Crops like the model's input: rendered EAN-13 labels for a digits-only (barcode) model, else
    plate-like text. The format-aware decoders' time depends on it: they run the beam search only for
    reads not already a valid code or plate."""
    from platocr.recognition.bars_reader import DIGITS

    return sample_barcodes(count) if set(vocab) <= DIGITS else sample_crops(count)


def sample_note(vocab: str) -> str:
    """The report's note on what the crops/s rows read."""
    from platocr.recognition.bars_reader import DIGITS

    if set(vocab) <= DIGITS:
        return "crops/s on rendered EAN-13 labels (a digits-only model)"
    return "crops/s on drawn plate-like text crops"


def machine_info() -> MachineInfo:
    """Host description stored with every benchmark (figures mean little without it)."""
    import onnxruntime
    import torch

    cuda = torch.cuda.is_available()
    return MachineInfo(
        platform=platform.platform(),
        cpu=platform.processor() or platform.machine(),
        cores=os.cpu_count(),
        torch_threads=torch.get_num_threads(),  # torch's default; each figure ran with its plan
        load_avg=load_avg(),
        torch=torch.__version__,
        onnxruntime=onnxruntime.__version__,
        onnx_providers=tuple(onnxruntime.get_available_providers()),
        cuda=cuda,
        cuda_device=torch.cuda.get_device_name(0) if cuda else None,
    )


def load_avg() -> tuple[float, ...] | None:
    return os.getloadavg() if hasattr(os, "getloadavg") else None


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


def check_bars(bench_model: BenchModel, settings: BenchSettings) -> None:
    """PlatocrError when ``--bars`` asks a model that does not read digits only (a plate model)."""
    from platocr.errors import PlatocrError
    from platocr.recognition.bars_reader import DIGITS

    vocab = bench_model.loaded.tokenizer.vocab
    if settings.bars and not set(vocab) <= DIGITS:
        raise PlatocrError(
            f"--bars times the EAN/UPC bar reader: this model reads {vocab!r}, not digits only"
        )


def run_bench(
    bench_model: BenchModel, settings: BenchSettings, on_result: OnResult | None = None
) -> BenchReport:
    """Measure every (backend, precision, device, batch), the bars rows and the video modes.

    ``on_result(row)`` is called after each figure (the CLI prints progress with it).
    """
    import onnxruntime as ort

    check_bars(bench_model, settings)
    # Crops/s times one call at a time: the sequential plan. Planned once, so every figure of the
    # report ran with the same counts.
    load = 0.0 if settings.threads else outside_load()
    plans = {mode: plan_threads(available_cores(), mode, load, settings.threads) for mode in MODES}
    report = BenchReport(
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), machine=machine_info(),
        model=model_info(bench_model), settings=settings, threads=plans,
    )  # fmt: skip
    report.model.notes.append(sample_note(bench_model.loaded.tokenizer.vocab))

    def add(row: CropsRow | VideoBenchRow) -> None:
        if isinstance(row, CropsRow):
            report.crops.append(row)
        else:
            report.video.append(row)
        if on_result:
            on_result(row)

    runtime = plans["sequential"].runtime
    for device in settings.devices:
        for backend in settings.backends:
            if (
                backend == "onnx"
                and device == "cuda"
                and "CUDAExecutionProvider" not in ort.get_available_providers()
            ):
                report.model.notes.append("onnx on cuda skipped: onnxruntime has no CUDA provider")
                continue
            for precision in precisions(backend, device, settings):
                predictor = make_predictor(bench_model, backend, device, runtime, precision)
                with applied(plans["sequential"]):
                    for batch in settings.batch_sizes:
                        add(time_crops(predictor, batch, settings))
                if settings.video and precision == "float32":
                    threaded = predictor
                    if backend == "onnx" and plans["threaded"].runtime != runtime:
                        threaded = make_predictor(bench_model, backend, device, plans["threaded"].runtime)
                    for row in time_video(predictor, settings, plans, threaded):
                        add(row)
    if settings.bars:
        time_bars(bench_model, settings, plans, add)
    report.machine = dataclasses.replace(report.machine, load_avg_end=load_avg())
    return report


def precisions(backend: str, device: str, settings: BenchSettings) -> Sequence[str]:
    """float32; and int8 for onnx on a CPU (a GPU gains nothing from it, and Predictor.load reads the
    int8 model on a CPU only)."""
    return ("float32", "int8") if backend == "onnx" and device == "cpu" and settings.int8 else ("float32",)


def time_bars(
    bench_model: BenchModel, settings: BenchSettings, plans: Mapping[str, ThreadPlan], add: OnResult
) -> None:
    """The ``--bars`` rows: onnx on a CPU with the model a CPU reads by default (int8 when timed), or a
    row that names the extra to install when zxing-cpp is missing."""
    from platocr.recognition.bars import BARS_MISSING, bars_available

    backend = "onnx" if "onnx" in settings.backends else settings.backends[0]
    precision = precisions(backend, "cpu", settings)[-1]
    if not bars_available():
        add(CropsRow(backend, "cpu", settings.batch_sizes[-1], precision, "bars+digits", note=BARS_MISSING))
        return
    predictor = make_predictor(bench_model, backend, "cpu", plans["sequential"].runtime, precision)
    with applied(plans["sequential"]):
        for batch in settings.batch_sizes:
            add(time_crops(predictor, batch, settings, reads="bars+digits"))
