"""Bad input gives one ``error:`` line and exit code 2, before any work: unwritable outputs, wrong files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from platocr.cli import app

runner = CliRunner()

# The functions that do each command's work: none may run when an output cannot be written.
WORK = [
    "platocr.synth.barcodes.generate_barcode_dataset",
    "platocr.synth.plates.generate_plate_dataset",
    "platocr.data.crop.crop_dataset",
    "platocr.data.split.split_dataset",
    "platocr.tools.audit.run_audit",
    "platocr.tools.audit.apply_corrections",
    "platocr.cli.video.load_recognizer",
    "platocr.video.run_video",
    "platocr.recognition.onnx_export.export_checkpoint",
    "platocr.recognition.checkpoint.write_slim_checkpoint",
    "platocr.tools.bench.pick_model",
    "platocr.tools.bench.run_bench",
    "platocr.tools.demo.run_demo",
]


def _no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("the command started its work before checking its output")

    for target in WORK:
        monkeypatch.setattr(target, started)


def _one_error_line(result: object, *needles: str) -> str:
    """The single ``error:`` line of a run that exited 2 without a traceback."""
    assert result.exit_code == 2, (result.output, result.exception)  # type: ignore[attr-defined]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    errors = [line for line in result.stderr.splitlines() if line.strip()]  # type: ignore[attr-defined]
    assert len(errors) == 1 and errors[0].startswith("error: "), errors
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


# A path under a regular file can never be created, even by root (permission bits would not stop it).
BLOCKED = "afile/out"


CASES = {
    "synth-barcodes": ["synth", "barcodes", "{out}", "--count", "5000"],
    "synth-preview": ["synth", "barcodes", "{tmp}/ok", "--preview", "{out}.png"],
    "synth-plates": ["synth", "plates", "{out}", "--count", "5000"],
    "crop": ["crop", "{tmp}/photos", "{out}"],
    "split": ["split", "{tmp}/labels.tsv", "{out}", "--val-fraction", "0.2"],
    "audit": ["audit", "{tmp}/labels.tsv", "--folds", "2", "--out", "{out}"],
    "audit-apply": ["audit", "{tmp}/labels.tsv", "--apply", "{tmp}/kept.tsv", "--out", "{out}.tsv"],
    "video": ["video", "{tmp}/in.mp4", "{out}.mp4", "--model", "plates-ru"],
    "video-jsonl": [
        "video",
        "{tmp}/in.mp4",
        "{tmp}/ok.mp4",
        "--model",
        "plates-ru",
        "--jsonl",
        "{out}.jsonl",
    ],
    "export-onnx": ["export", "plates-ru", "--out", "{out}.onnx"],
    "export-pt": ["export", "plates-ru", "--out", "{out}.pt"],
    "bench": ["bench", "--quick", "--out", "{out}.json"],
    "bench-out-is-a-folder": ["bench", "--quick", "--out", "{tmp}"],
    "demo": ["demo", "--out", "{out}"],
}


@pytest.mark.parametrize("args", CASES.values(), ids=CASES.keys())
def test_unwritable_output_fails_fast_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    (tmp_path / "afile").write_text("a regular file\n", encoding="utf-8")
    _no_work(monkeypatch)
    argv = [a.format(out=tmp_path / BLOCKED, tmp=tmp_path) for a in args]
    start = time.perf_counter()
    result = runner.invoke(app, argv)
    assert time.perf_counter() - start < 5.0  # a check, not the work
    line = _one_error_line(result)
    assert "afile" in line or "is a folder" in line
    assert not (tmp_path / "ok").exists()


def test_image_given_as_labels_is_one_line(tmp_path: Path) -> None:
    image = tmp_path / "x.jpg"
    image.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    result = runner.invoke(app, ["split", str(image), str(tmp_path / "split"), "--val-fraction", "0.2"])
    _one_error_line(result, f"{image}: this is an image, not a label file", "platocr read")
    assert not (tmp_path / "split").exists()


def test_cp1251_labels_split_with_one_note(tmp_path: Path) -> None:
    lines = ["path\ttext"] + [f"crops/{i}.jpg\tА{i:03d}ВС77" for i in range(10)]
    (tmp_path / "labels.tsv").write_bytes(("\n".join(lines) + "\n").encode("cp1251"))
    result = runner.invoke(
        app, ["split", str(tmp_path / "labels.tsv"), str(tmp_path / "split"), "--val-fraction", "0.2"]
    )
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert notes == [
        f"note: {tmp_path / 'labels.tsv'} is not UTF-8; read it as cp1251",
        f"note: {tmp_path / 'labels.tsv'}: 10 labels had Cyrillic letters mapped to Latin look-alikes "
        "(А→A, В→B, С→C)",
    ]
    written = [(tmp_path / f"split/{side}.tsv").read_text(encoding="utf-8") for side in ("train", "val")]
    texts = sorted(line.split("\t")[1] for side in written for line in side.splitlines()[1:])
    assert texts == [f"A{i:03d}BC77" for i in range(10)]
