"""Predictor: single / list / batch / path inputs, BGR vs RGB, chunking, bundled names, bad input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

QUICK = Path(__file__).resolve().parents[1] / "configs" / "quick.yaml"


def tiny_checkpoint(path: Path, rnn: str = "gru") -> Path:
    """A randomly initialised configs/quick.yaml model at a small input size, saved as a checkpoint.

    A freshly initialised backbone gives nearly the same features for every crop (so the same text,
    which would make agreement tests weak): one train-mode pass over random crops sets the BatchNorm
    statistics so that the untrained model reads varied texts.
    """
    import torch

    from platocr.recognition.checkpoint import save_checkpoint
    from platocr.recognition.config import load_config
    from platocr.recognition.preprocess import to_model_input
    from platocr.tools.bench import random_model

    overrides = ["input.height=32", "input.width=128", f"model.rnn={rnn}", "model.rnn_hidden=32",
                 "model.gate_channels=32", "data.vocab=0123456789ABC"]  # fmt: skip
    cfg = load_config(QUICK if QUICK.is_file() else None, overrides)
    loaded = random_model(cfg)
    for module in loaded.model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # cumulative average: one pass sets the statistics outright
    with torch.no_grad():
        loaded.model.train()(torch.from_numpy(to_model_input(crops(16, seed=99), cfg.input, rgb=False)))
    loaded.model.eval()
    save_checkpoint(path, model=loaded.model, config=cfg, vocab=cfg.data.vocab, epoch=0, metrics={})
    return path


def crops(count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (int(rng.integers(16, 40)), int(rng.integers(40, 120)), 3), np.uint8)
            for _ in range(count)]  # fmt: skip


@pytest.fixture(scope="session")
def gru_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per session (model building is the slow part); test_export imports it too."""
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "gru.pt", rnn="gru")


@pytest.fixture(scope="session")
def lstm_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "lstm.pt", rnn="lstm")


@pytest.fixture(scope="module")
def predictor(gru_checkpoint: Path):
    from platocr import Predictor

    return Predictor.load(gru_checkpoint, device="cpu", backend="torch")


def test_single_list_and_batch_inputs_agree(predictor) -> None:
    from platocr.recognition.prediction import Prediction

    images = [np.ascontiguousarray(c[:20, :60]) for c in crops(5) if c.shape[0] >= 20 and c.shape[1] >= 60]
    one = predictor.predict(images[0])
    assert isinstance(one, Prediction)
    assert len(one.char_confidences) == len(one.text)
    listed = predictor.predict(images)
    stacked = predictor.predict(np.stack(images))
    assert isinstance(listed, list) and len(listed) == len(images)
    assert [p.text for p in listed] == [p.text for p in stacked]
    assert listed[0].text == one.text
    assert listed[0].confidence == pytest.approx(one.confidence, abs=1e-5)


def test_log_probs_are_numpy_on_both_backends(predictor, gru_checkpoint: Path) -> None:
    from platocr import Predictor
    from platocr.recognition.preprocess import to_model_input

    batch = to_model_input(crops(3, seed=2), predictor.config.input, rgb=False)
    on_torch = predictor.log_probs(batch)
    on_onnx = Predictor.load(gru_checkpoint, device="cpu", backend="onnx").log_probs(batch)
    for out in (on_torch, on_onnx):
        assert isinstance(out, np.ndarray) and out.dtype == np.float32
        assert out.shape[0] == 3 and out.shape[2] == predictor.tokenizer.num_classes
    assert np.allclose(on_torch, on_onnx, atol=1e-3)


def test_chunking_does_not_change_results(predictor) -> None:
    images = crops(7)
    whole = predictor.predict(images, batch_size=64)
    chunked = predictor.predict(images, batch_size=3)
    assert len({p.text for p in whole}) > 1, "the random model should read varied texts"
    assert [p.text for p in whole] == [p.text for p in chunked]
    assert [p.confidence for p in whole] == pytest.approx([p.confidence for p in chunked], abs=1e-5)


def test_paths_and_rgb_flag(predictor, tmp_path: Path) -> None:
    import cv2

    images = crops(3, seed=1)
    paths = []
    for i, image in enumerate(images):
        paths.append(tmp_path / f"{i}.png")
        cv2.imwrite(str(paths[-1]), image)
    from_arrays = [p.text for p in predictor.predict(images)]
    assert [p.text for p in predictor.predict(paths)] == from_arrays
    assert predictor.predict(str(paths[0])).text == from_arrays[0]
    rgb = [np.ascontiguousarray(image[:, :, ::-1]) for image in images]
    assert [p.text for p in predictor.predict(rgb, rgb=True)] == from_arrays
    assert [p.text for p in predictor.predict(paths, rgb=True)] == from_arrays  # paths are always read as BGR


def test_bad_inputs_raise_platocr_error(predictor, tmp_path: Path) -> None:
    from platocr import PlatocrError, Predictor

    with pytest.raises(PlatocrError, match="image not found: .*missing.png"):
        predictor.predict(tmp_path / "missing.png")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    with pytest.raises(PlatocrError, match="cannot decode image"):
        predictor.predict([broken])
    with pytest.raises(PlatocrError, match="checkpoint not found: .*nope.pt .*bundled models"):
        Predictor.load(tmp_path / "nope.pt")
    with pytest.raises(PlatocrError, match="unknown model 'no-such-model'.*bundled models"):
        Predictor.load("no-such-model")
    with pytest.raises(PlatocrError, match="unknown backend"):
        Predictor.load(tmp_path / "nope.pt", backend="tensorrt")
    with pytest.raises(PlatocrError, match="batch_size"):
        predictor.predict(crops(2), batch_size=0)


def test_bundled_names_resolve_only_when_shipped(
    gru_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from platocr import PlatocrError, Predictor
    from platocr.recognition import zoo

    monkeypatch.setattr(zoo, "MODELS_DIR", tmp_path)
    with pytest.raises(PlatocrError, match="unknown model 'plates-ru'.*bundled models: none"):
        zoo.resolve_model("plates-ru")
    shutil.copy(gru_checkpoint, tmp_path / "plates-ru.pt")
    assert zoo.bundled_models() == {"plates-ru": tmp_path / "plates-ru.pt"}
    assert zoo.resolve_model("plates-ru") == tmp_path / "plates-ru.pt"
    predictor = Predictor.load("plates-ru", device="cpu", backend="torch")
    assert predictor.source == "plates-ru"
    assert predictor.tokenizer.vocab == "0123456789ABC"


def test_import_platocr_stays_light() -> None:
    import platocr
    from platocr.recognition.predictor import Predictor

    assert platocr.Predictor is Predictor  # lazy module attribute
    code = "import sys, platocr; assert 'torch' not in sys.modules"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_auto_backend_is_the_default_and_onnx_on_cpu(gru_checkpoint: Path) -> None:
    from platocr import Predictor

    auto = Predictor.load(gru_checkpoint, device="cpu")  # a .pt: exported in memory (torch is here)
    assert auto.backend == "onnx" and auto.precision == "float32"
    images = crops(4, seed=5)
    expected = [p.text for p in Predictor.load(gru_checkpoint, device="cpu", backend="torch").predict(images)]
    assert [p.text for p in auto.predict(images)] == expected


def test_an_onnx_predictor_loads_without_the_training_stack() -> None:
    # platocr read with an .onnx starts in about a second: no timm, torchvision or platocr.train.
    code = (
        "import sys; from platocr import Predictor; from platocr.recognition.zoo import MODELS_DIR; "
        "p = Predictor.load(MODELS_DIR / 'plates-ru.onnx', backend='auto', device='auto'); "
        "assert p.backend == 'onnx', p; "
        "assert not {'timm', 'torchvision', 'platocr.train'} & set(sys.modules), 'training stack imported'"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def test_confidence_floor_turns_weak_reads_into_no_read() -> None:
    from platocr.recognition.prediction import Prediction, no_read_under

    reads = [
        Prediction("123", 0.9, (0.9, 1.0, 1.0)),
        Prediction("124", 0.2, (0.2, 1.0, 1.0)),
        Prediction("", 0.1),
    ]
    floored = no_read_under(reads, 0.5)
    assert [p.text for p in floored] == ["123", "", ""]
    assert floored[1].confidence == 0.2  # the confidence is kept: how sure the weak read was
    assert no_read_under(reads, 0.0) == reads


def test_predictor_applies_the_model_floor_unless_overridden() -> None:
    from platocr.errors import PlatocrError
    from platocr.recognition.predictor import Predictor

    crops = [np.full((40, 120, 3), 255, np.uint8), np.zeros((40, 120, 3), np.uint8)]
    plain = Predictor.load("barcodes-ean")
    assert plain.min_confidence == plain.config.min_confidence
    strict = Predictor.load("barcodes-ean", min_confidence=1.0)
    raw = Predictor.load("barcodes-ean", min_confidence=0.0).predict_many(crops)
    assert [p.text for p in strict.predict_many(crops)] == [
        p.text if p.confidence >= 1.0 else "" for p in raw
    ]
    with pytest.raises(PlatocrError, match="min_confidence"):
        Predictor.load("barcodes-ean", min_confidence=1.5)
