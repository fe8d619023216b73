"""ONNX export: dynamic batch, metadata round trip, torch == onnxruntime for GRU and LSTM, CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

# Shared tiny-model helpers and session fixtures (pytest puts tests/ on sys.path).
from test_predictor import crops, gru_checkpoint, lstm_checkpoint  # noqa: F401
from typer.testing import CliRunner

from platocr.recognition.config import VotingConfig


@pytest.mark.parametrize("rnn", ["gru", "lstm"])
def test_export_cli_and_backends_agree(rnn: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from platocr import Predictor
    from platocr.cli import app
    from platocr.recognition.onnx_export import read_onnx_metadata

    checkpoint = request.getfixturevalue(f"{rnn}_checkpoint")
    out = tmp_path / "model.onnx"
    result = CliRunner().invoke(app, ["export", str(checkpoint), "--out", str(out)])
    assert result.exit_code == 0, result.output
    diff = float(result.output.rsplit("max abs diff (log-probs, onnxruntime vs torch):", 1)[1].split()[0])
    assert diff < 1e-4

    config, tokenizer, meta = read_onnx_metadata(out)  # the .onnx alone carries vocab and config
    assert tokenizer.vocab == "0123456789ABC" and config.model.rnn == rnn
    assert meta.path == str(checkpoint)

    images = crops(9, seed=3)  # 9: neither the export batch (2) nor the check batch (3)
    with_torch = Predictor.load(checkpoint, device="cpu", backend="torch").predict(images)
    with_onnx = Predictor.load(out, backend="onnx", device="cpu").predict(images, batch_size=4)
    assert len({p.text for p in with_torch}) > 1
    assert [p.text for p in with_onnx] == [p.text for p in with_torch]
    assert [p.confidence for p in with_onnx] == pytest.approx([p.confidence for p in with_torch], abs=1e-4)
    if rnn == "gru":  # a .pt with backend="onnx" is exported in memory
        in_memory = Predictor.load(checkpoint, backend="onnx", device="cpu").predict(images)
        assert [p.text for p in in_memory] == [p.text for p in with_torch]


def test_export_errors(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from platocr import PlatocrError, Predictor
    from platocr.cli import app

    checkpoint = request.getfixturevalue("gru_checkpoint")
    runner = CliRunner()
    result = runner.invoke(app, ["export", str(checkpoint), "--out", str(tmp_path / "model.bin")])
    assert result.exit_code == 2 and "expected a .onnx file name" in result.output
    result = runner.invoke(app, ["export", str(tmp_path / "none.pt"), "--out", str(tmp_path / "m.onnx")])
    assert result.exit_code == 2 and "checkpoint not found" in result.output
    result = runner.invoke(app, ["export", str(checkpoint), "--out", str(tmp_path / "m.onnx"), "--no-check"])
    assert result.exit_code == 0, result.output
    assert "max abs diff" not in result.output
    with pytest.raises(PlatocrError, match="needs backend='onnx'"):
        Predictor.load(tmp_path / "m.onnx", backend="torch")
    assert Predictor.load(tmp_path / "m.onnx").backend == "onnx"  # auto, the default
    foreign = tmp_path / "foreign.onnx"
    foreign.write_bytes(b"\x08\x07")  # a valid protobuf header, no platocr metadata
    with pytest.raises(PlatocrError, match="no platocr metadata"):
        Predictor.load(foreign, backend="onnx")


def test_bundled_name_uses_the_shipped_onnx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    import shutil

    from platocr import Predictor
    from platocr.recognition import zoo
    from platocr.recognition.onnx_export import export_checkpoint

    monkeypatch.setattr(zoo, "MODELS_DIR", tmp_path)
    shutil.copy(request.getfixturevalue("gru_checkpoint"), tmp_path / "demo.pt")
    # The shipped .onnx comes from the LSTM model, so its config tells which file was loaded.
    export_checkpoint(request.getfixturevalue("lstm_checkpoint"), tmp_path / "demo.onnx", check=False)
    assert Predictor.load("demo", backend="onnx", device="cpu").config.model.rnn == "lstm"
    assert Predictor.load("demo", backend="torch", device="cpu").config.model.rnn == "gru"


def test_export_slim_checkpoint_predicts_the_same(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    import torch

    from platocr import Predictor
    from platocr.cli import app

    checkpoint = request.getfixturevalue("gru_checkpoint")
    slim = tmp_path / "shipped.pt"
    result = CliRunner().invoke(app, ["export", str(checkpoint), "--out", str(slim)])
    assert result.exit_code == 0, result.output
    payload = torch.load(slim, map_location="cpu", weights_only=True)
    assert {"optimizer", "scheduler", "extra"}.isdisjoint(payload) and {"config", "vocab", "model"} <= set(
        payload
    )
    images = crops(5, seed=4)
    expected = [p.text for p in Predictor.load(checkpoint, device="cpu", backend="torch").predict(images)]
    assert [p.text for p in Predictor.load(slim, device="cpu", backend="torch").predict(images)] == expected


def test_checkpoints_get_the_usual_file_mode(tmp_path: Path) -> None:
    import os

    from platocr.recognition.checkpoint import _save_atomically

    umask = os.umask(0o022)
    try:
        _save_atomically({"a": 1}, tmp_path / "x.pt")
    finally:
        os.umask(umask)
    assert (tmp_path / "x.pt").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600
    assert not list(tmp_path.glob(".x.pt-*"))


def test_export_set_changes_only_how_the_model_reads(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from platocr import Predictor
    from platocr.cli import app
    from platocr.recognition.onnx_export import read_onnx_metadata

    checkpoint = request.getfixturevalue("gru_checkpoint")
    runner = CliRunner()
    reading = ["--set", "decode=beam", "--set", "voting.crops=[[0.0, 0.1]]", "--set", "voting.when=empty",
               "--set", "min_confidence=0.25"]  # fmt: skip
    # looks.insets / looks.when: voting's older names, still taken with the same meaning
    old_names = ["--set", "decode=beam", "--set", "looks.insets=[[0.0, 0.1]]", "--set", "looks.when=empty"]
    for name, sets in (("slim.pt", reading), ("model.onnx", reading), ("old.pt", old_names)):
        result = runner.invoke(app, ["export", str(checkpoint), "--out", str(tmp_path / name), *sets])
        assert result.exit_code == 0, result.output
    for name in ("slim.pt", "old.pt"):
        slim = Predictor.load(tmp_path / name, device="cpu", backend="torch")
        assert (slim.decode, slim.config.voting) == ("beam", VotingConfig(((0.0, 0.1),), "empty"))
        assert slim.config.train.init is None  # the run's start weights are not part of the model
    assert Predictor.load(tmp_path / "slim.pt", device="cpu", backend="torch").min_confidence == 0.25
    config, _, _ = read_onnx_metadata(tmp_path / "model.onnx")
    assert config.min_confidence == 0.25
    assert (config.decode, config.voting) == ("beam", VotingConfig(((0.0, 0.1),), "empty"))
    refused = runner.invoke(
        app, ["export", str(checkpoint), "--out", str(tmp_path / "x.pt"), "--set", "input.width=64"]
    )
    assert refused.exit_code == 2 and "may only change decode, voting, min_confidence" in refused.output
    assert not (tmp_path / "x.pt").exists()
