"""The models that ship in the package: present, small, loadable by name everywhere, and reading."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from platocr.recognition.zoo import bundled_int8, bundled_models, bundled_onnx

SHIPPED = ("barcodes-ean", "plates-ru")

CROPNUMBERS = Path(__file__).resolve().parents[2] / "shared" / "data" / "cropnumbers"


@pytest.mark.parametrize("name", SHIPPED)
def test_model_ships_small_with_its_onnx_and_card(name: str) -> None:
    path = bundled_models()[name]
    assert path.stat().st_size < 20e6
    onnx = bundled_onnx(name)
    assert onnx is not None and onnx.stat().st_size < 20e6
    card = Path(__file__).resolve().parents[1] / "docs" / "models" / f"{name}.md"
    assert card.is_file() and f"`{name}`" in card.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SHIPPED)
def test_int8_ships_with_the_float_models_metadata(name: str) -> None:
    from platocr import Predictor
    from platocr.recognition.onnx_export import read_onnx_metadata

    int8 = bundled_int8(name)
    assert int8 is not None and int8.stat().st_size < 20e6
    config, tokenizer, meta = read_onnx_metadata(int8)
    float_config, float_tokenizer, _ = read_onnx_metadata(bundled_onnx(name))
    assert (config, tokenizer.vocab, meta.precision) == (float_config, float_tokenizer.vocab, "int8")
    assert Predictor.load(name, device="cpu").precision == "int8"  # a CPU reads it by default
    assert Predictor.load(name, device="cpu", int8=False).precision == "float32"


@pytest.mark.parametrize("backend", ["torch", "onnx", "int8"])
def test_barcodes_ean_reads_synthetic_barcodes_by_name(backend: str, tmp_path: Path) -> None:
    from platocr import Predictor
    from platocr.data.crop import crop_dataset
    from platocr.data.labels import read_label_file
    from platocr.synth.barcodes import generate_barcode_dataset

    generate_barcode_dataset(tmp_path / "photos", count=12, seed=7, show_progress=False, workers=1)
    rows = read_label_file(
        crop_dataset(tmp_path / "photos", tmp_path / "crops", show_progress=False).label_file
    )
    onnx = backend != "torch"  # "onnx": the float file, "int8": the default on a CPU
    predictor = Predictor.load(
        "barcodes-ean", device="cpu", backend="onnx" if onnx else "torch", int8=backend == "int8"
    )
    assert predictor.precision == ("int8" if backend == "int8" else "float32")
    assert predictor.decode == "checksum-ean"
    assert predictor.config.input.deskew  # tilted labels are turned upright in either backend
    assert predictor.config.voting.crops  # multi-crop voting, in either backend
    read = [p.text for p in predictor.predict([row.path for row in rows])]
    right = sum(text == row.text for text, row in zip(read, rows, strict=True))
    assert right >= len(rows) // 2, list(zip(read, [row.text for row in rows], strict=True))


@pytest.mark.skipif(not CROPNUMBERS.is_dir(), reason="../shared/data/cropnumbers not present")
def test_plates_ru_by_name_in_eval(tmp_path: Path) -> None:
    from platocr.cli import app
    from platocr.data.labels import read_label_file, write_label_file

    rows = read_label_file(CROPNUMBERS / "labels.tsv")
    sample = rows[:: len(rows) // 40][:40]  # plates and negatives across the folder
    labels = tmp_path / "sample.tsv"
    write_label_file(sample, labels)
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(app, ["eval", "plates-ru", str(labels), "--json", str(out)])
    assert result.exit_code == 0, result.output
    import json

    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["n"] == len(sample) and report["string_match"] >= 0.5
