"""platocr bench --quick: the JSON report's schema (never its timings)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from platocr.recognition import bars
from platocr.recognition.bars import BARS_MISSING
from platocr.tools.bench_report import BenchReport, CropsRow, MachineInfo, ModelInfo, report_tables


def tiny_report(**rows: list) -> BenchReport:
    """A report with made-up machine and model lines, to render ``rows`` (crops=..., video=...)."""
    from platocr.tools.bench import BenchSettings

    machine = MachineInfo("p", "x", 2, 1, None, "t", "o", (), False, None)
    model = ModelInfo("s", True, "b", "r", (32, 128), "0123456789", 1)
    return BenchReport("now", machine, model, BenchSettings.quick(), {}, **rows)


def test_bench_quick_json_schema(tmp_path: Path) -> None:
    import torch

    from platocr.cli import app
    from platocr.recognition.config import load_config, save_config

    config = save_config(
        load_config(
            None, ["input.height=32", "input.width=128", "model.rnn_hidden=32", "model.gate_channels=32"]
        ),
        tmp_path / "tiny.yaml",
    )
    out = tmp_path / "bench.json"
    args = [
        *"bench --quick --bars --device cpu --threads 1".split(),
        "--out",
        str(out),
        "--config",
        str(config),
    ]
    threads = torch.get_num_threads()
    try:
        result = CliRunner().invoke(app, args)
    finally:
        torch.set_num_threads(threads)  # --threads is process-wide: leave other tests as they were
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["schema"] == "platocr-bench/1"
    assert report["settings"]["batch_sizes"] == [1, 8] and report["settings"]["threads"] == 1
    assert {"cores", "torch", "onnxruntime", "load_avg", "cuda_device"} <= set(report["machine"])
    assert report["model"]["random_init"] is True and report["model"]["input"] == [32, 128]
    assert any("speed does not depend on the weights" in note for note in report["model"]["notes"])
    # A row per backend and precision (onnx: the float model and the int8 one), then --bars' rows.
    crops = [(row["backend"], row["precision"], row["reads"], row["batch"]) for row in report["crops"]]
    digits = [("torch", "float32"), ("onnx", "float32"), ("onnx", "int8")]
    assert crops[:6] == [(b, p, "digits", n) for b, p in digits for n in (1, 8)]
    assert all(row["device"] == "cpu" for row in report["crops"])
    notes = report["model"]["notes"]
    assert any("int8: no shipped .int8.onnx, quantised here" in note for note in notes)
    assert "crops/s on rendered EAN-13 labels (a digits-only model)" in notes  # the tiny model reads digits
    if bars.bars_available():
        assert crops[6:] == [("onnx", "int8", "bars+digits", n) for n in (1, 8)]
        assert all(row["crops_per_s"] > 0 and row["repeats"] >= 1 for row in report["crops"])
    else:  # the row names the extra to install instead of a figure
        assert (
            crops[6:] == [("onnx", "int8", "bars+digits", 8)] and report["crops"][6]["note"] == BARS_MISSING
        )
    assert "int8" in result.output and "bars+digits" in result.output
    modes = [(row["backend"], row["mode"]) for row in report["video"]]
    assert modes == [
        ("torch", "sequential"),
        ("torch", "threaded"),
        ("onnx", "sequential"),
        ("onnx", "threaded"),
    ]
    assert all({"read", "ocr", "write"} <= set(row["stages_p50_ms"]) for row in report["video"])
    # --quick still times enough frames for the video fps to be a throughput figure (no note needed).
    assert all(
        row["frames"] == 100 and row["fps"] > 0 and row["size"] == [320, 240] for row in report["video"]
    )
    assert all(row["note"] is None for row in report["video"])
    # --threads 1: every pool of both plans gets one thread, shown in the header and kept per row.
    assert {plan["runtime"] + plan["decoder"] + plan["planned"] for plan in report["threads"].values()} == {3}
    assert [row["threads"]["mode"] for row in report["video"]] == ["sequential", "threaded"] * 2
    assert "threads, threaded" in result.output and "threads, crops + sequential" in result.output
    assert "start-up decides" not in result.output


def test_video_fps_from_few_frames_carries_a_note() -> None:
    from rich.console import Console

    from platocr.recognition.prediction import Prediction
    from platocr.tools.bench import BenchSettings, time_video

    class InstantReader:
        backend, device = "fake", "cpu"

        def predict(self, crops: list, **kwargs: object) -> list[Prediction]:
            return [Prediction("1", 0.9) for _ in crops]

    rows = time_video(InstantReader(), BenchSettings.quick(video_frames=4))
    assert [row.frames for row in rows] == [4, 4]
    assert all("only 4 frames: start-up decides this fps" in (row.note or "") for row in rows)
    console = Console(record=True, width=200)
    console.print(report_tables(tiny_report(video=rows)))
    shown = console.export_text()
    assert shown.count(" *") >= 2 and "* only 4 frames: start-up decides this fps" in shown


def test_bench_rejects_model_and_config_together(tmp_path: Path) -> None:
    from platocr.cli import app

    result = CliRunner().invoke(app, ["bench", "--quick", "--model", "x.pt", "--config", "y.yaml"])
    assert result.exit_code == 2 and "exclude each other" in result.output


def test_bench_times_every_voting_crop_a_crop_always_gets(tmp_path: Path) -> None:
    from platocr.recognition.config import load_config, save_config
    from platocr.tools.bench import REPO_CONFIGS, pick_model

    bench = pick_model(config=REPO_CONFIGS / "barcodes_ean.yaml")
    assert bench.loaded.config.voting.crops == ((0.0, 0.1), (0.03, 0.0))
    assert any("each crop is read 3 times" in note for note in bench.notes)
    # Voting for the no-reads only depends on the stream: the bench times one read per crop and says so.
    empty = save_config(
        load_config(REPO_CONFIGS / "barcodes_ean.yaml", ["voting.when=empty"]), tmp_path / "empty.yaml"
    )
    bench = pick_model(config=empty)
    assert not bench.loaded.config.voting.crops
    assert any("timed without voting, one read per crop" in note for note in bench.notes)


def test_bars_without_zxing_is_a_row_that_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from platocr.tools.bench import BenchSettings, pick_model, time_bars

    monkeypatch.setattr(bars, "bars_available", lambda: False)
    rows: list = []
    time_bars(pick_model(), BenchSettings.quick(bars=True), {}, rows.append)  # times nothing
    assert rows == [CropsRow("onnx", "cpu", 8, "int8", "bars+digits", note=BARS_MISSING)]
    assert rows[0].as_dict()["crops_per_s"] is None
    console = Console(record=True, width=200)
    console.print(report_tables(tiny_report(crops=rows)))
    assert f"* {BARS_MISSING}" in console.export_text()


def test_bars_needs_a_digits_model() -> None:
    from platocr.errors import PlatocrError
    from platocr.tools.bench import REPO_CONFIGS, BenchSettings, check_bars, pick_model

    plates = pick_model(config=REPO_CONFIGS / "quick.yaml")  # reads letters too
    check_bars(plates, BenchSettings.quick())
    with pytest.raises(PlatocrError, match="not digits only"):
        check_bars(plates, BenchSettings.quick(bars=True))
