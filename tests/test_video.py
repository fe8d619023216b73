"""Video annotator: both run modes agree, order and count kept, failures stop cleanly, CLI errors, regions."""

from __future__ import annotations

import _thread
import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from platocr.cli import app
from platocr.errors import PlatocrError
from platocr.recognition.prediction import Prediction
from platocr.video import StageError, run_video
from platocr.video.bench import synthetic_frame, write_synthetic_clip
from platocr.video.pipeline import LatestSlot, run_stages
from platocr.video.regions import whole_frame
from platocr.video.sources import SourceInfo, open_source
from platocr.video.stages import AnnotatorStages
from platocr.video.stats import StageTimes, bottleneck
from platocr.video.writers import open_writer

FRAMES, SIZE = 30, (320, 240)


def fake_recognize(crops: list[np.ndarray]) -> list[Prediction]:
    """Deterministic OCR stand-in: the text and confidence follow the crop's pixels."""
    return [Prediction(f"{int(c.mean()):03d}", round(float(c.std()) % 1, 3)) for c in crops]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_clip(
        tmp_path_factory.mktemp("clip") / "in.mp4", FRAMES, SIZE, fps=20.0, codec="mp4v"
    )


def decoded_frame_count(path: Path) -> int:
    source = open_source(str(path))
    count = 0
    while source.read() is not None:
        count += 1
    source.close()
    return count


class ListSource:
    """An in-memory source; ``fail_at`` makes read raise there."""

    def __init__(self, n: int, live: bool = False, fail_at: int | None = None) -> None:
        self.info = SourceInfo(SIZE[0], SIZE[1], 25.0, live, None if live else n)
        self._n, self._i, self._fail_at = n, 0, fail_at

    def read(self) -> np.ndarray | None:
        if self._i == self._fail_at:
            raise OSError("camera unplugged")
        if self._i >= self._n:
            return None
        self._i += 1
        return synthetic_frame(self._i, SIZE)

    def close(self) -> None:
        pass


class ListWriter:
    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []

    def write(self, frame: np.ndarray, time_s: float | None = None) -> None:
        self.frames.append(frame.copy())

    def close(self) -> None:
        pass


@pytest.mark.timeout(60)
def test_threaded_equals_sequential(clip: Path, tmp_path: Path) -> None:
    outputs = {}
    for name, mode, batch in (
        ("threaded", "threaded", 1),
        ("batched", "threaded", 4),
        ("seq", "sequential", 1),
    ):
        seen: list[tuple[int, np.ndarray]] = []
        stats = run_video(
            str(clip), tmp_path / f"{name}.mp4", fake_recognize, rois=[(10, 10, 120, 60), (150, 100, 100, 80)],
            jsonl=tmp_path / f"{name}.jsonl", mode=mode, smooth=3, codec="mp4v", batch_frames=batch,
            on_frame=lambda i, f, seen=seen: seen.append((i, f.copy())),
        )  # fmt: skip
        assert stats.frames == FRAMES and stats.mode == mode and not stats.interrupted
        assert [i for i, _ in seen] == list(range(FRAMES))  # every frame, in order
        assert decoded_frame_count(tmp_path / f"{name}.mp4") == FRAMES
        outputs[name] = (seen, (tmp_path / f"{name}.jsonl").read_text())
    sequential, s_jsonl = outputs["seq"]
    for name in ("threaded", "batched"):  # the pre-encode frames are identical pixel for pixel
        frames, jsonl = outputs[name]
        assert jsonl == s_jsonl
        assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(frames, sequential, strict=True))


@pytest.mark.timeout(60)
def test_output_keeps_size_and_fps_and_jsonl_schema(clip: Path, tmp_path: Path) -> None:
    stats = run_video(
        str(clip), tmp_path / "out.mp4", fake_recognize, jsonl=tmp_path / "out.jsonl", max_frames=7
    )
    assert stats.frames == 7 and set(stats.stages) == {"read", "ocr", "draw", "write"}
    assert stats.bottleneck in stats.stages
    info = open_source(str(tmp_path / "out.mp4")).info
    assert (info.width, info.height, round(info.fps)) == (*SIZE, 20)
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["frame"] for r in records] == list(range(7))
    for record in records:
        assert set(record) == {"frame", "results"}
        (result,) = record["results"]  # whole frame = one region
        assert set(result) == {"text", "confidence", "box"} and result["box"] == [0, 0, *SIZE]
        assert isinstance(result["text"], str) and 0 <= result["confidence"] <= 1


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["threaded", "sequential"])
@pytest.mark.parametrize("failing", ["read", "ocr", "write"])
def test_failing_stage_stops_everything(mode: str, failing: str) -> None:
    baseline = threading.active_count()

    def recognize(crops: list[np.ndarray]) -> list[Prediction]:
        if failing == "ocr" and hook_calls:
            raise ZeroDivisionError("model exploded")
        return fake_recognize(crops)

    hook_calls: list[int] = []

    def on_frame(index: int, frame: np.ndarray) -> None:
        hook_calls.append(index)
        if failing == "write" and index == 3:
            raise ValueError("disk full")

    source = ListSource(200, fail_at=5 if failing == "read" else None)
    stages = AnnotatorStages(source, ListWriter(), recognize, whole_frame, on_frame=on_frame)
    with pytest.raises(StageError, match=f"stage {failing} failed") as caught:
        run_stages(stages, mode=mode, live=False)
    assert caught.value.stage == failing
    assert threading.active_count() == baseline  # no orphan thread


@pytest.mark.timeout(60)
def test_user_error_in_a_stage_passes_through_unwrapped() -> None:
    def recognize(crops: list[np.ndarray]) -> list[Prediction]:
        raise PlatocrError("model.pt: vocab mismatch")

    stages = AnnotatorStages(ListSource(10), ListWriter(), recognize, whole_frame)
    with pytest.raises(PlatocrError, match="vocab mismatch"):
        run_stages(stages, mode="threaded", live=False)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["threaded", "sequential"])
def test_ctrl_c_stops_threads_and_leaves_a_playable_file(clip: Path, tmp_path: Path, mode: str) -> None:
    baseline = threading.active_count()
    calls: list[int] = []

    def recognize(crops: list[np.ndarray]) -> list[Prediction]:
        calls.append(1)
        if len(calls) == 10:
            _thread.interrupt_main()  # what Ctrl-C does: SIGINT handled in the main thread
        if len(calls) >= 10:  # keep frames in flight until the main thread (it polls every 0.1 s) sees it
            time.sleep(0.2)
        return fake_recognize(crops)

    stats = run_video(str(clip), tmp_path / "cut.mp4", recognize, mode=mode, queue_size=2)
    assert stats.interrupted and 0 < stats.frames < FRAMES
    assert threading.active_count() == baseline
    assert decoded_frame_count(tmp_path / "cut.mp4") == stats.frames


def test_latest_slot_keeps_only_the_newest_and_the_end_sticks() -> None:
    slot = LatestSlot()
    for i in range(3):
        slot.put(i)
    assert slot.get(timeout=0) == 2 and slot.dropped == 2
    from platocr.video.pipeline import _END

    slot.put(_END)
    slot.put(99)  # a frame after the end must not hide it
    assert slot.get(timeout=0) is _END


@pytest.mark.timeout(60)
def test_live_source_follows_real_time_without_hanging() -> None:
    def slow(crops: list[np.ndarray]) -> list[Prediction]:
        threading.Event().wait(0.01)
        return fake_recognize(crops)

    writer = ListWriter()
    stages = AnnotatorStages(ListSource(60, live=True), writer, slow, whole_frame)
    stats = run_stages(stages, mode="threaded", live=True)
    assert stats.frames == len(writer.frames) and stats.frames + stats.dropped <= 60


def test_h264_writer_places_live_frames_at_their_capture_times(tmp_path: Path) -> None:
    import av

    writer = open_writer(tmp_path / "live.mp4", 25.0, SIZE, "h264")
    for t in (100.0, 100.04, 100.4, 100.4):  # a gap (dropped frames), then a repeated time
        writer.write(synthetic_frame(0, SIZE), time_s=t)
    writer.close()
    with av.open(str(tmp_path / "live.mp4")) as container:
        times = [round(float(f.time), 2) for f in container.decode(video=0)]
    assert times == [0.0, 0.04, 0.4, 0.44]


def test_cli_unreadable_input_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "platocr.cli.video.load_recognizer", lambda model, device, backend: (fake_recognize, "cpu")
    )
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    for path in (bad, tmp_path / "missing.mp4"):
        result = CliRunner().invoke(app, ["video", str(path), str(tmp_path / "o.mp4"), "--model", "m"])
        assert result.exit_code == 2
        assert result.output.strip().startswith("error:") and len(result.output.strip().splitlines()) == 1
        assert str(path) in result.output


def test_cli_roi_outside_frame_is_one_line(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "platocr.cli.video.load_recognizer", lambda model, device, backend: (fake_recognize, "cpu")
    )
    args = ["video", str(clip), str(tmp_path / "o.mp4"), "--model", "m", "--roi", "300,200,50,50"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "outside the 320x240 frame" in result.output
    assert not (tmp_path / "o.mp4").exists()


@pytest.mark.timeout(60)
def test_cli_run_writes_video_and_jsonl(clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "platocr.cli.video.load_recognizer", lambda model, device, backend: (fake_recognize, "cpu")
    )
    out, jsonl = tmp_path / "o.mp4", tmp_path / "o.jsonl"
    args = [
        "video",
        str(clip),
        str(out),
        "--model",
        "m",
        "--roi",
        "0,0,100,50",
        "--jsonl",
        str(jsonl),
        "--smooth",
        "2",
    ]
    result = CliRunner().invoke(app, [*args, "--max-frames", "5", "--codec", "mp4v"])
    assert result.exit_code == 0, result.output
    assert "5 frames" in result.output and decoded_frame_count(out) == 5
    assert len(jsonl.read_text().splitlines()) == 5


def test_cli_stage_failure_is_one_line_exit_1(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(crops: list[np.ndarray]) -> list[Prediction]:
        raise ZeroDivisionError("bad weights")

    monkeypatch.setattr("platocr.cli.video.load_recognizer", lambda model, device, backend: (broken, "cpu"))
    result = CliRunner().invoke(app, ["video", str(clip), str(tmp_path / "o.mp4"), "--model", "m"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: stage ocr failed: ZeroDivisionError: bad weights"


def test_stage_times_percentiles_and_bottleneck_per_frame() -> None:
    times = StageTimes()
    for ms in (1, 2, 3, 4):
        times.record("read", ms / 1000)
    times.record("ocr", 0.040, frames=4)  # one batch of 4 frames = 10 ms each
    summary = times.summary()
    assert summary["read"].frames == 4 and summary["read"].p50_ms == pytest.approx(2.5)
    assert summary["ocr"].frames == 4 and summary["ocr"].p95_ms == pytest.approx(10)
    assert bottleneck(summary) == "ocr" and bottleneck({}) is None


@pytest.mark.timeout(60)
def test_jsonl_results_are_empty_when_nothing_is_read(clip: Path, tmp_path: Path) -> None:
    def read_nothing(crops: list[np.ndarray]) -> list[Prediction]:
        return [Prediction("", 0.95) for _ in crops]

    run_video(str(clip), tmp_path / "out.mp4", read_nothing, jsonl=tmp_path / "out.jsonl", max_frames=3)
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert records == [{"frame": i, "results": []} for i in range(3)]
