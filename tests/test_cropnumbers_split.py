"""data/splits/cropnumbers: the CropNumbers split the shipped plates-ru trains and is measured on.

It must hold every CropNumbers row once, with the labels of ../shared's labels.tsv plus the accepted
audit corrections (data/corrections/cropnumbers.tsv), and no plate on both sides.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from platocr.data.labels import read_label_file
from platocr.data.split import count_shared_groups
from platocr.tools.audit import apply_corrections

REPO = Path(__file__).resolve().parents[1]
CROPNUMBERS = REPO.parent / "shared" / "data" / "cropnumbers"
SPLIT = REPO / "data" / "splits" / "cropnumbers"
CORRECTIONS = REPO / "data" / "corrections" / "cropnumbers.tsv"


def test_corrections_file_is_well_formed() -> None:
    lines = CORRECTIONS.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["path", "label", "suggested", "confidence", "pass"]
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(row) == 5 and row[1] != row[2] for row in rows)
    assert len({row[0] for row in rows}) == len(rows)  # one correction per crop


@pytest.mark.skipif(not CROPNUMBERS.is_dir(), reason="../shared/data/cropnumbers not present")
def test_split_is_cropnumbers_with_the_corrections_and_no_shared_plate(tmp_path: Path) -> None:
    corrected = tmp_path / "labels.tsv"
    changed = apply_corrections(CROPNUMBERS / "labels.tsv", CORRECTIONS, corrected)
    assert changed == len(CORRECTIONS.read_text(encoding="utf-8").splitlines()) - 1
    truth = {row.path.resolve(): row.text for row in read_label_file(corrected)}
    sides = {name: read_label_file(SPLIT / f"{name}.tsv", check_images=True) for name in ("train", "val")}
    rows = [row for side in sides.values() for row in side]
    assert sorted(row.path.resolve() for row in rows) == sorted(truth)
    assert all(truth[row.path.resolve()] == row.text for row in rows)
    assert count_shared_groups(sides) == 0
    assert sum(not row.text for row in sides["val"]) > 0  # negatives are measured too
