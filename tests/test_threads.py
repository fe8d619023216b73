"""Thread plan: the pure plan (cores, mode, load -> threads), --threads, and that video and read apply it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from platocr.cli import app
from platocr.errors import PlatocrError
from platocr.threads import (
    ThreadPlan,
    applied,
    outside_load,
    parse_threads,
    plan_for,
    plan_threads,
    planned_session_threads,
    session_threads,
)
from platocr.video.bench import write_synthetic_clip


def pools(plan: ThreadPlan) -> tuple[int, int, int, int]:
    return plan.runtime, plan.opencv, plan.decoder, plan.encoder


@pytest.mark.parametrize(
    ("cores", "mode", "load", "expected"),
    [
        (2, "threaded", 0.0, (1, 1, 1, 1)),  # the stages fill 2 cores: one thread per pool
        (2, "sequential", 0.0, (2, 2, 2, 2)),  # one call at a time: each gets both cores
        (2, "sequential", 1.0, (1, 1, 1, 1)),  # one busy process keeps a core
        (2, "sequential", 0.4, (2, 2, 2, 2)),  # under half a core busy: still free
        (2, "threaded", 5.0, (1, 1, 1, 1)),  # never below one thread
        (1, "sequential", 0.0, (1, 1, 1, 1)),
        (4, "threaded", 0.0, (2, 2, 1, 1)),  # OCR gets what decode and encode leave
        (8, "threaded", 0.0, (4, 4, 2, 2)),
        (8, "threaded", 4.0, (2, 2, 1, 1)),
        (16, "sequential", 2.0, (14, 14, 14, 14)),
    ],
)
def test_plan_follows_cores_mode_and_load(
    cores: int, mode: str, load: float, expected: tuple[int, int, int, int]
) -> None:
    plan = plan_threads(cores, mode, load)
    assert pools(plan) == expected
    assert plan.cores == cores and plan.mode == mode and plan.load == load


def test_threads_override_replaces_cores_and_load() -> None:
    plan = plan_threads(2, "sequential", 1.8, override=3)
    assert pools(plan) == (3, 3, 3, 3) and plan.planned == 3 and plan.load is None
    assert "--threads 3" in plan.line()
    assert pools(plan_threads(2, "threaded", 0.0, override=8)) == (4, 4, 2, 2)
    line = plan_threads(2, "threaded", 1.04).line()
    assert line == "runtime 1, opencv 1, decoder 1, encoder 1 (threaded; 2 cores, load 1.0: 1 planned)"


def test_plan_refuses_bad_mode_and_count() -> None:
    with pytest.raises(PlatocrError, match="unknown --mode 'fast'"):
        plan_threads(2, "fast")
    with pytest.raises(PlatocrError, match="must be >= 1"):
        plan_threads(2, "threaded", override=0)


def test_parse_threads() -> None:
    assert parse_threads(None) is None and parse_threads("3") == 3
    for bad, why in (("0", "must be >= 1"), ("-2", "must be >= 1"), ("two", "a whole number")):
        with pytest.raises(PlatocrError, match=why):
            parse_threads(bad)


def test_plan_for_reads_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    assert outside_load(samples=2, interval_s=0.0) >= 0.0
    monkeypatch.setattr("platocr.threads.available_cores", lambda: 4)
    monkeypatch.setattr("platocr.threads.outside_load", lambda: 1.0)
    assert pools(plan_for("sequential")) == (3, 3, 3, 3)
    assert pools(plan_for("sequential", 2)) == (2, 2, 2, 2)  # --threads: the load is not read


def test_session_threads_size_the_onnxruntime_session() -> None:
    from platocr.recognition.onnx_export import onnx_session
    from platocr.recognition.zoo import bundled_onnx

    assert planned_session_threads() is None
    with session_threads(1):
        assert planned_session_threads() == 1
        options = onnx_session(bundled_onnx("plates-ru")).get_session_options()
    assert planned_session_threads() is None
    assert options.intra_op_num_threads == 1 and options.inter_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    # An explicit count wins over the planned one.
    with session_threads(1):
        assert (
            onnx_session(bundled_onnx("plates-ru"), threads=2).get_session_options().intra_op_num_threads == 2
        )


def test_applied_sets_opencv_threads_and_gives_them_back() -> None:
    before = cv2.getNumThreads()
    with applied(plan_threads(2, "threaded", override=5)):
        assert cv2.getNumThreads() == 3
    assert cv2.getNumThreads() == before


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_clip(tmp_path_factory.mktemp("clip") / "in.mp4", 6, (320, 240), codec="mp4v")


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The SessionOptions of every onnxruntime session made while the test runs (real sessions)."""
    import onnxruntime as ort

    real, seen = ort.InferenceSession, []

    def recording(source: Any, sess_options: Any = None, **kwargs: Any) -> Any:
        seen.append(sess_options)
        return real(source, sess_options=sess_options, **kwargs)

    monkeypatch.setattr(ort, "InferenceSession", recording)
    return seen


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("mode", "runtime", "coder"), [("sequential", 8, 8), ("threaded", 4, 2)])
def test_video_applies_the_plan(
    clip: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sessions: list[Any],
    mode: str,
    runtime: int,
    coder: int,
) -> None:
    import platocr.video.annotator as annotator

    opened: dict[str, Any] = {}
    real_source, real_writer = annotator.open_source, annotator.open_writer

    def source(spec: str, backend: Any = "auto", threads: int | None = None) -> Any:
        opened["decoder"] = threads
        return real_source(spec, backend, threads)

    def writer(*args: Any, threads: int | None = None, **kwargs: Any) -> Any:
        opened["encoder"] = threads
        return real_writer(*args, threads=threads, **kwargs)

    def recognize(crops: list[np.ndarray]) -> list[Any]:
        opened["opencv"] = cv2.getNumThreads()  # inside the run, in the OCR stage
        return predictor.predict(crops)

    from platocr.recognition.predictor import Predictor

    predictor: Any = None

    def load(model: str, device: str, backend: str) -> tuple[Any, str]:
        nonlocal predictor
        predictor = Predictor.load(model, device=device, backend=backend)
        return recognize, "cpu"

    monkeypatch.setattr(annotator, "open_source", source)
    monkeypatch.setattr(annotator, "open_writer", writer)
    monkeypatch.setattr("platocr.cli.video.load_recognizer", load)
    before = cv2.getNumThreads()
    args = ["video", str(clip), str(tmp_path / "o.mp4"), "--model", "plates-ru", "--device", "cpu",
            "--backend", "onnx", "--roi", "0,0,160,48", "--mode", mode, "--threads", "8"]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert [s.intra_op_num_threads for s in sessions] == [runtime]
    assert sessions[0].inter_op_num_threads == 1
    assert opened == {"decoder": coder, "encoder": coder, "opencv": runtime}
    assert cv2.getNumThreads() == before  # the run gave OpenCV's count back
    plan = f"runtime {runtime}, opencv {runtime}, decoder {coder}, encoder {coder} ({mode};"
    assert f"threads: {plan}" in result.output and "--threads 8: 8 planned)" in result.output


@pytest.mark.parametrize("command", ["video", "read"])
@pytest.mark.parametrize(
    ("value", "message"), [("0", "must be >= 1"), ("two", "expected a whole number >= 1")]
)
def test_bad_threads_is_one_line_exit_2(command: str, value: str, message: str, tmp_path: Path) -> None:
    args = (
        ["read", "plates-ru", str(tmp_path)] if command == "read" else ["video", "in.mp4", "o.mp4", "-m", "m"]
    )
    result = CliRunner().invoke(app, [*args, "--threads", value])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: --threads {value}: {message}"


@pytest.mark.timeout(60)
def test_read_applies_the_plan(tmp_path: Path, sessions: list[Any]) -> None:
    crop = np.full((40, 160, 3), 220, np.uint8)
    cv2.imwrite(str(tmp_path / "a.png"), crop)
    args = [
        "read",
        "plates-ru",
        str(tmp_path / "a.png"),
        "--device",
        "cpu",
        "--backend",
        "onnx",
        "--threads",
        "3",
    ]
    result = CliRunner().invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 0, result.output
    assert [s.intra_op_num_threads for s in sessions] == [3]
