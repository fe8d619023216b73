"""int8 ONNX: `export --int8 --calibrate`, its metadata, and the bundled int8 file a CPU reads by default."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import pytest

# Shared tiny-model helpers and session fixtures (pytest puts tests/ on sys.path).
from test_predictor import crops, gru_checkpoint  # noqa: F401
from typer.testing import CliRunner

from platocr.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def calibration(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``labels.tsv`` of 10 random crops."""
    folder = tmp_path_factory.mktemp("calib")
    lines = ["path\ttext"]
    for i, image in enumerate(crops(10, seed=11)):
        cv2.imwrite(str(folder / f"{i}.png"), image)
        lines.append(f"{i}.png\t{i}{i}")
    (folder / "labels.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "labels.tsv"


@pytest.fixture(scope="module")
def int8_model(gru_checkpoint: Path, calibration: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    out = tmp_path_factory.mktemp("int8") / "model.int8.onnx"
    args = ["export", str(gru_checkpoint), "--out", str(out), "--int8", "--calibrate", str(calibration)]
    result = runner.invoke(app, [*args, "--calibration-crops", "8"])
    assert result.exit_code == 0, result.output
    agreement = float(result.output.split("int8 agreement with float (greedy reads):", 1)[1].split(";")[0])
    assert 0.0 <= agreement <= 1.0
    assert (
        "int8 calibration crops" in result.output
        and "max abs diff (log-probs, onnxruntime vs torch)" in result.output
    )
    return out


def test_export_int8_keeps_the_metadata_and_loads(int8_model: Path, gru_checkpoint: Path) -> None:  # noqa: F811
    import onnx

    from platocr import Predictor
    from platocr.recognition.onnx_export import read_onnx_metadata

    config, tokenizer, meta = read_onnx_metadata(int8_model)
    assert tokenizer.vocab == "0123456789ABC" and config.model.rnn == "gru"
    assert meta.precision == "int8" and meta.path == str(gru_checkpoint)
    ops = {node.op_type for node in onnx.load(str(int8_model)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "GRU"} <= ops  # Conv/MatMul quantised, the GRU float
    predictor = Predictor.load(int8_model, device="cpu")
    assert (predictor.backend, predictor.precision) == ("onnx", "int8")
    assert "precision='int8'" in repr(predictor)
    reads = predictor.predict(crops(5, seed=12))
    assert len(reads) == 5 and all(0.0 <= p.confidence <= 1.0 for p in reads)


def test_int8_options_are_checked(gru_checkpoint: Path, calibration: Path, tmp_path: Path) -> None:  # noqa: F811
    base = ["export", str(gru_checkpoint), "--out", str(tmp_path / "m.onnx")]
    result = runner.invoke(app, [*base, "--int8"])
    assert result.exit_code == 2 and "--int8 needs --calibrate" in result.output
    result = runner.invoke(app, [*base, "--calibrate", str(calibration)])
    assert result.exit_code == 2 and "--int8 needs --calibrate" in result.output
    slim = [
        "export",
        str(gru_checkpoint),
        "--out",
        str(tmp_path / "m.pt"),
        "--int8",
        "--calibrate",
        str(calibration),
    ]
    result = runner.invoke(app, slim)
    assert result.exit_code == 2 and "--int8 writes an .onnx file" in result.output
    assert not list(tmp_path.iterdir())


def test_calibration_rows_are_spread_and_fixed(calibration: Path) -> None:
    from platocr.recognition.quantize import calibration_rows

    names = [path.name for path in calibration_rows(calibration, 4)]
    assert names == ["0.png", "3.png", "6.png", "9.png"] == [p.name for p in calibration_rows(calibration, 4)]
    assert len(calibration_rows(calibration, 300)) == 10


def test_a_bundled_int8_is_read_on_a_cpu_unless_float_is_asked(
    int8_model: Path,
    gru_checkpoint: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from platocr import Predictor
    from platocr.recognition import zoo
    from platocr.recognition.onnx_export import export_checkpoint
    from platocr.recognition.predictor import shipped_onnx
    from platocr.tools.evaluate import load_predictor

    monkeypatch.setattr(zoo, "MODELS_DIR", tmp_path)
    shutil.copy(gru_checkpoint, tmp_path / "demo.pt")
    export_checkpoint(gru_checkpoint, tmp_path / "demo.onnx", check=False)
    assert Predictor.load("demo", device="cpu").precision == "float32"  # no int8 shipped: the float file
    shutil.copy(int8_model, tmp_path / "demo.int8.onnx")
    assert zoo.bundled_int8("demo") == tmp_path / "demo.int8.onnx"
    assert list(zoo.bundled_models()) == ["demo"]  # the .onnx files add no names
    for backend in ("auto", "onnx"):
        assert Predictor.load("demo", device="cpu", backend=backend).precision == "int8"
    assert Predictor.load("demo", device="cpu", int8=False).precision == "float32"
    assert Predictor.load("demo", device="cpu", backend="torch").backend == "torch"
    assert shipped_onnx("demo", "cuda") == tmp_path / "demo.onnx"  # a GPU reads the float model
    assert shipped_onnx("demo", "cpu", int8=False) == tmp_path / "demo.onnx"
    assert load_predictor("demo", device="cpu").precision == "float32"  # eval measures the float model
