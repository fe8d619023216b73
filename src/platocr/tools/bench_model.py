"""The model ``platocr bench`` times, and its predictors: torch, the float ONNX model and the int8 one.

A bundled name is timed from the files it ships (``<name>.onnx``, ``<name>.int8.onnx``: what
``Predictor.load`` reads); another checkpoint, or a random model, is exported in memory, and its int8
model quantised in memory on sample crops (as ``export --int8`` does on a label file; speed does not
depend on the calibration).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from platocr.recognition.config import Config, VotingConfig, load_config
from platocr.tools.bench_report import ModelInfo

if TYPE_CHECKING:
    from platocr.recognition.checkpoint import LoadedModel
    from platocr.recognition.predictor import Predictor

REPO_CONFIGS = Path(__file__).resolve().parents[3] / "configs"
CALIBRATION_CROPS = 32  # sample crops an in-memory int8 model is calibrated on


@dataclass
class BenchModel:
    """The model under test: a loaded checkpoint or a random one, where it came from, and its ONNX
    models (shipped files, else made on first use: one per predictor would cost seconds each)."""

    loaded: LoadedModel
    source: str
    random_init: bool
    notes: list[str] = field(default_factory=list)
    onnx_file: Path | None = None  # a bundled name's shipped float model
    int8_file: Path | None = None  # ... and its int8 one
    onnx: bytes | None = None  # otherwise: exported here
    int8: bytes | None = None  # ... and quantised here


def pick_model(model: str | None = None, config: str | Path | None = None) -> BenchModel:
    """``model`` (path / bundled name), else a random model of ``config``, else a bundled model,
    else a random ``configs/quick.yaml`` model (package defaults when the repo's configs are absent)."""
    from platocr.errors import PlatocrError
    from platocr.recognition.checkpoint import load_checkpoint
    from platocr.recognition.zoo import bundled_int8, bundled_models, bundled_onnx, resolve_model

    if model is not None and config is not None:
        raise PlatocrError("--model and --config exclude each other (a checkpoint brings its own config)")
    if model is None and config is None and bundled_models():
        model = next(iter(bundled_models()))
    if model is not None:
        path = resolve_model(model)
        if path.suffix.lower() == ".onnx":
            raise PlatocrError(f"--model {path}: bench takes a checkpoint (.pt); it times both backends")
        bundled = str(model) in bundled_models()
        return as_read(BenchModel(
            load_checkpoint(path, "cpu"), source=str(model), random_init=False,
            onnx_file=bundled_onnx(str(model)) if bundled else None,
            int8_file=bundled_int8(str(model)) if bundled else None,
        ))  # fmt: skip
    notes = ["randomly initialised weights: speed does not depend on the weights"]
    if config is None and (REPO_CONFIGS / "quick.yaml").is_file():
        config = REPO_CONFIGS / "quick.yaml"
    if config is None:
        notes.append("configs/quick.yaml not found: package default config")
    return as_read(
        BenchModel(random_model(config), source=str(config or "defaults"), random_init=True, notes=notes)
    )


def as_read(bench: BenchModel) -> BenchModel:
    """Time the reading a user gets: with ``voting.when: always`` every crop is read as cut and from
    each extra crop. With ``when: empty`` the extra crops are left out: how many a stream needs depends
    on its no-reads, and the sample crops (not real text) would be mostly no-reads."""
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
    from platocr.recognition.tokenizer import Tokenizer

    cfg = config if isinstance(config, Config) else load_config(config)
    tokenizer = Tokenizer("0123456789" if cfg.data.vocab == "auto" else cfg.data.vocab)
    model = build_model(cfg, tokenizer.num_classes).eval()
    return LoadedModel(model=model, config=cfg, tokenizer=tokenizer)  # meta: ModelMeta(), no file


def make_predictor(
    bench: BenchModel, backend: str, device: str, threads: int | None, precision: str = "float32"
) -> Predictor:
    """A Predictor of the benchmarked model; an onnx one with ``threads`` intra-op threads, reading the
    float or the ``int8`` model (``precision``)."""
    from platocr.recognition.predictor import Predictor

    loaded = bench.loaded
    if backend != "onnx":
        return Predictor.from_loaded(loaded, device=device, backend=backend, source=bench.source)
    from platocr.recognition.onnx_export import onnx_session
    from platocr.recognition.predictor import onnx_forward

    session = onnx_session(int8_model(bench) if precision == "int8" else float_model(bench), device, threads)
    return Predictor(onnx_forward(session), loaded.config, loaded.tokenizer, backend="onnx", device=device,
                     source=bench.source, precision=precision)  # fmt: skip


def float_model(bench: BenchModel) -> Path | bytes:
    """The shipped ``.onnx``, else the checkpoint exported in memory (once)."""
    from platocr.recognition.onnx_export import export_onnx_bytes

    if bench.onnx_file is not None:
        return bench.onnx_file
    if bench.onnx is None:
        bench.onnx = export_onnx_bytes(bench.loaded)
    return bench.onnx


def int8_model(bench: BenchModel) -> Path | bytes:
    """The shipped ``.int8.onnx``, else the float model quantised in memory (once; says so in the notes)."""
    from platocr.recognition.preprocess import to_model_input
    from platocr.recognition.quantize import quantize_bytes
    from platocr.tools.bench import sample_crops

    if bench.int8_file is not None:
        return bench.int8_file
    if bench.int8 is None:
        source = float_model(bench)
        data = source.read_bytes() if isinstance(source, Path) else source
        batch = to_model_input(sample_crops(CALIBRATION_CROPS), bench.loaded.config.input, rgb=False)
        bench.int8 = quantize_bytes(
            data,
            [batch],
            provenance={
                "calibration_labels": "platocr bench sample crops",
                "calibration_crops": CALIBRATION_CROPS,
            },
        )
        bench.notes.append(
            f"int8: no shipped .int8.onnx, quantised here on {CALIBRATION_CROPS} sample crops "
            "(as export --int8 does; speed does not depend on the calibration)"
        )
    return bench.int8


def model_info(bench: BenchModel) -> ModelInfo:
    cfg = bench.loaded.config
    return ModelInfo(
        source=bench.source,
        random_init=bench.random_init,
        backbone=cfg.model.backbone,
        rnn=cfg.model.rnn,
        input=(cfg.input.height, cfg.input.width),
        vocab=bench.loaded.tokenizer.vocab,
        parameters=sum(p.numel() for p in bench.loaded.model.parameters()),
        notes=bench.notes,  # shared: notes added while timing (int8 made here) reach the report
    )
