"""`platocr demo` runs end to end on a tiny set and reports what it wrote."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from platocr.cli import app


def test_demo_tour_writes_every_artefact(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--photos", "20"])
    assert result.exit_code == 0, result.output
    assert "photos on two sides: 0" in result.output
    for name in ("photos/annotations.tsv", "crops/labels.tsv", "split/train.tsv", "split/val.tsv"):
        assert (tmp_path / "demo" / name).is_file(), name
