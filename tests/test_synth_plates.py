"""Synthetic plate crops: label format, determinism across workers, both layouts, negatives, CLI."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from platocr.cli import app
from platocr.data.cropnumbers import read_cropnumbers
from platocr.data.labels import read_label_file
from platocr.errors import PlatocrError
from platocr.formats.plates_ru import PLATE_LETTERS, THREE_DIGIT_REGIONS
from platocr.synth import plates
from platocr.synth.plate_glyphs import GLYPHS
from platocr.synth.plates import LABEL_RE, generate_plate_dataset

CROPNUMBERS_NAME = re.compile(
    rf"^([{PLATE_LETTERS}]\d{{3}}[{PLATE_LETTERS}]{{2}}) (\d{{2,3}})(?: \((\d+)\))?\.jpg$"
)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.jpg"))}


def test_random_labels_are_plate_shaped() -> None:
    rng = np.random.default_rng(0)
    texts = [plates.random_plate_text(rng) for _ in range(300)]
    for series, region in texts:
        assert LABEL_RE.match(series + region), series + region
        assert len(region) == 2 and region != "00" or region in THREE_DIGIT_REGIONS
    assert {len(region) for _, region in texts} == {2, 3}
    assert set(GLYPHS) >= set(PLATE_LETTERS + "0123456789RUS")


def test_tsv_layout_with_negatives(tmp_path: Path) -> None:
    report = generate_plate_dataset(tmp_path, count=10, seed=3, negatives=0.3, workers=1, show_progress=False)
    rows = read_label_file(tmp_path / "labels.tsv", check_images=True)
    assert [row.path.name for row in rows] == [f"{i:06d}.jpg" for i in range(1, 11)]
    assert sum(1 for row in rows if row.text == "") == 3 == report.negatives
    assert all(LABEL_RE.match(row.text) for row in rows if row.text)
    for row in rows:
        with Image.open(row.path) as image:
            assert 74 <= image.width <= 640 and image.height >= 20
    assert "10 crops (3 negatives)" in report.summary()


def test_same_seed_same_files_whatever_the_workers(tmp_path: Path) -> None:
    # 12 items > parallel_map's chunk of 8, so two workers really use the process pool.
    generate_plate_dataset(tmp_path / "a", count=12, seed=7, negatives=0.25, workers=1, show_progress=False)
    generate_plate_dataset(tmp_path / "b", count=12, seed=7, negatives=0.25, workers=2, show_progress=False)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a == b and len(a) == 12
    assert (tmp_path / "a/labels.tsv").read_text() == (tmp_path / "b/labels.tsv").read_text()
    generate_plate_dataset(tmp_path / "c", count=12, seed=8, negatives=0.25, workers=1, show_progress=False)
    assert _files(tmp_path / "c") != a


def test_cropnumbers_layout_names_parse_back(tmp_path: Path) -> None:
    generate_plate_dataset(
        tmp_path, count=8, seed=5, layout="cropnumbers", negatives=0.25, workers=1, show_progress=False
    )
    names = sorted(p.name for p in (tmp_path / "NumBase").iterdir())
    assert len(names) == 6 and len(list((tmp_path / "Negative").glob("*.jpg"))) == 2
    for name in names:
        match = CROPNUMBERS_NAME.match(name)
        assert match, name
        assert LABEL_RE.match(match.group(1) + match.group(2))
    assert not (tmp_path / "labels.tsv").exists()
    # The data reader recovers every label from the file names.
    planned = {
        job.path.resolve(): job.series + job.region
        for job in plates._plan(tmp_path, 8, 5, "cropnumbers", 0.25)
    }
    assert {row.path: row.text for row in read_cropnumbers(tmp_path, skipped=[])} == planned


def test_cropnumbers_refuses_to_mix_with_other_images(tmp_path: Path) -> None:
    generate_plate_dataset(tmp_path, count=2, seed=1, layout="cropnumbers", workers=1, show_progress=False)
    generate_plate_dataset(tmp_path, count=2, seed=1, layout="cropnumbers", workers=1, show_progress=False)
    with pytest.raises(PlatocrError, match="NumBase already holds 2 image"):
        generate_plate_dataset(
            tmp_path, count=2, seed=2, layout="cropnumbers", workers=1, show_progress=False
        )


def test_cropnumbers_repeats_get_numbered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plates, "random_plate_text", lambda rng: ("A123BC", "77"))
    jobs = plates._plan(tmp_path, 3, 0, "cropnumbers", 0.0)
    assert [job.path.name for job in jobs] == ["A123BC 77.jpg", "A123BC 77 (2).jpg", "A123BC 77 (3).jpg"]


def test_preview_and_bad_arguments(tmp_path: Path) -> None:
    report = generate_plate_dataset(
        tmp_path / "out", count=3, seed=1, workers=1, preview=tmp_path / "grid.png", show_progress=False
    )
    assert report.preview is not None and report.preview.is_file()
    with Image.open(report.preview) as sheet:
        assert sheet.width > 300 and sheet.height > 100
    with pytest.raises(PlatocrError, match="negatives"):
        generate_plate_dataset(tmp_path / "x", count=3, negatives=1.0, show_progress=False)
    (tmp_path / "file").write_text("")
    with pytest.raises(PlatocrError, match="not a folder"):
        generate_plate_dataset(tmp_path / "file", count=1, show_progress=False)


def test_cli_synth_plates(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["synth", "plates", str(tmp_path), "--count", "8", "--seed", "1", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "8 crops" in result.output and "crops/s" in result.output
    assert len(read_label_file(tmp_path / "labels.tsv", check_images=True)) == 8
    bad = CliRunner().invoke(app, ["synth", "plates", str(tmp_path), "--layout", "xml"])
    assert bad.exit_code == 2 and "layout" in bad.output
