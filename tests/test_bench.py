"""platocr bench --quick: the JSON report's schema (never its timings)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner


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
    args = [*"bench --quick --device cpu --threads 1".split(), "--out", str(out), "--config", str(config)]
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
    crops = {(row["backend"], row["device"], row["batch"]) for row in report["crops"]}
    assert crops == {(backend, "cpu", batch) for backend in ("torch", "onnx") for batch in (1, 8)}
    assert all(row["crops_per_s"] > 0 and row["repeats"] >= 1 for row in report["crops"])
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

    from platocr.cli.bench import report_tables
    from platocr.recognition.prediction import Prediction
    from platocr.tools.bench import BenchSettings, time_video

    class InstantReader:
        backend, device = "fake", "cpu"

        def predict(self, crops: list, **kwargs: object) -> list[Prediction]:
            return [Prediction("1", 0.9) for _ in crops]

    rows = time_video(InstantReader(), BenchSettings.quick(video_frames=4))
    assert [row.frames for row in rows] == [4, 4]
    assert all("only 4 frames: start-up decides this fps" in (row.note or "") for row in rows)
    machine = {"cpu": "x", "cores": 2, "torch": "t", "onnxruntime": "o", "cuda_device": None,
               "torch_threads": 1, "load_avg": None, "load_avg_end": None}  # fmt: skip
    model = {"source": "s", "backbone": "b", "rnn": "r", "input": [32, 128], "parameters": 1, "notes": []}
    console = Console(record=True, width=200)
    video = [row.as_dict() for row in rows]
    console.print(report_tables({"machine": machine, "model": model, "crops": [], "video": video}))
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
