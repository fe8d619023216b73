"""Grouped split: no shared plate/source, close to the fractions, deterministic, files valid from OUT_DIR."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from platocr.cli import app
from platocr.data.labels import LabelRow, read_label_file, write_label_file
from platocr.data.split import count_shared_groups, split_dataset, split_rows
from platocr.errors import PlatocrError

runner = CliRunner()


def plate_rows(root: Path, n_plates: int = 30, n_negatives: int = 10) -> list[LabelRow]:
    """Plate i appears 1 + i % 5 times (repeated texts), plus negatives with empty text."""
    rows = []
    for i in range(n_plates):
        for copy in range(1 + i % 5):
            rows.append(LabelRow(root / f"p{i}_{copy}.jpg", f"A{i:03d}BC77"))
    rows += [LabelRow(root / f"neg{i}.jpg", "") for i in range(n_negatives)]
    return rows


def sides_of(sides: dict[str, list[LabelRow]], key: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for name, rows in sides.items():
        for row in rows:
            found[getattr(row, key)].add(name)
    return found


def test_repeated_texts_stay_on_one_side(tmp_path: Path) -> None:
    rows = plate_rows(tmp_path)
    sides = split_rows(rows, val_fraction=0.25, seed=1)
    assert list(sides) == ["train", "val"]
    assert sorted(sum(sides.values(), []), key=str) == sorted(rows, key=str)  # every row exactly once
    assert all(len(names) == 1 for text, names in sides_of(sides, "text").items() if text)
    assert count_shared_groups(sides) == 0
    # Negatives are independent rows: they land on both sides.
    assert {name for name, side in sides.items() for row in side if not row.text} == {"train", "val"}


def test_source_photo_groups_different_texts(tmp_path: Path) -> None:
    # Two barcodes per photo: different texts, same source; the same text also recurs across photos.
    rows = [
        LabelRow(tmp_path / f"{photo}_{k}.jpg", f"40000000{(photo * 2 + k) % 7}", f"photo{photo}.jpg")
        for photo in range(40)
        for k in range(2)
    ]
    sides = split_rows(rows, val_fraction=0.3, test_fraction=0.2, seed=3)
    assert all(len(names) == 1 for names in sides_of(sides, "source").values())
    assert count_shared_groups(sides) == 0
    assert sorted(len(rows) for rows in sides.values()) == [16, 24, 40]  # whole photos: exact here


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    rows = plate_rows(tmp_path)
    assert split_rows(rows, 0.2, 0.1, seed=7) == split_rows(rows, 0.2, 0.1, seed=7)
    assert split_rows(rows, 0.2, 0.1, seed=7) != split_rows(rows, 0.2, 0.1, seed=8)


@pytest.mark.parametrize(("val", "test"), [(0.1, 0.0), (0.2, 0.1), (0.05, 0.45)])
def test_sizes_follow_the_fractions(tmp_path: Path, val: float, test: float) -> None:
    rows = plate_rows(tmp_path, n_plates=120, n_negatives=40)  # 400 rows, groups of 1-5
    sides = split_rows(rows, val, test, seed=0)
    assert ("test" in sides) == (test > 0)
    for name, fraction in (("train", 1 - val - test), ("val", val), ("test", test)):
        if fraction:
            assert abs(len(sides[name]) - fraction * len(rows)) <= 5, (name, len(sides[name]))


@pytest.mark.parametrize(
    ("val", "test", "message"),
    [
        (0.0, 0.0, "--val-fraction"),
        (1.0, 0.0, "--val-fraction"),
        (0.2, -0.1, "--test-fraction"),
        (0.6, 0.4, "must be below 1"),
    ],
)
def test_bad_fractions(tmp_path: Path, val: float, test: float, message: str) -> None:
    with pytest.raises(PlatocrError, match=message):
        split_rows(plate_rows(tmp_path), val, test)


def test_too_few_groups_and_empty(tmp_path: Path) -> None:
    same_plate = [LabelRow(tmp_path / f"{i}.jpg", "A001AA77") for i in range(5)]
    with pytest.raises(PlatocrError, match="too few groups"):
        split_rows(same_plate, 0.2)
    with pytest.raises(PlatocrError, match="too few rows/groups to fill every side"):
        split_rows(plate_rows(tmp_path, n_plates=5, n_negatives=0), 0.01)  # val wants 0.15 of a row
    with pytest.raises(PlatocrError, match="empty"):
        split_rows([], 0.2)


def write_dataset(root: Path, with_source: bool = False) -> Path:
    rows = []
    for row in plate_rows(root / "crops"):
        row.path.parent.mkdir(parents=True, exist_ok=True)
        row.path.write_bytes(b"")
        source = f"photo{row.text[1:4]}.jpg" if with_source and row.text else ""
        rows.append(LabelRow(row.path.resolve(), row.text, source))
    return write_label_file(rows, root / "data/labels.tsv")


@pytest.mark.parametrize("with_source", [False, True])
def test_split_dataset_files_valid_from_out_dir(tmp_path: Path, with_source: bool) -> None:
    label_file = write_dataset(tmp_path, with_source)
    result = split_dataset(label_file, tmp_path / "out/splits", 0.2, 0.1, seed=0)
    assert sorted(p.name for p in (tmp_path / "out/splits").iterdir()) == ["test.tsv", "train.tsv", "val.tsv"]
    for name, rows in result.sides.items():
        written = tmp_path / f"out/splits/{name}.tsv"
        assert written.read_text(encoding="utf-8").startswith(
            "path\ttext\tsource\n" if with_source else "path\ttext\n"
        )
        assert read_label_file(written, check_images=True) == rows  # relative paths resolve from OUT_DIR
    assert sum(s.rows for s in result.stats()) == len(read_label_file(label_file))
    assert result.shared_groups() == 0


def test_cli_split(tmp_path: Path) -> None:
    label_file = write_dataset(tmp_path)
    args = ["split", str(label_file.parent), str(tmp_path / "out"), "--val-fraction", "0.2", "--seed", "5"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "groups shared between sides: 0" in result.output
    assert "label length histogram" in result.output
    assert not (tmp_path / "out/test.tsv").exists()
    first = (tmp_path / "out/val.tsv").read_text(encoding="utf-8")
    assert runner.invoke(app, args).exit_code == 0
    assert (tmp_path / "out/val.tsv").read_text(encoding="utf-8") == first  # same seed, same split


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--val-fraction", "1.5"], "--val-fraction must be between 0 and 1"),
        (
            ["--val-fraction", "0.5", "--test-fraction", "0.5"],
            "--val-fraction + --test-fraction must be below 1",
        ),
    ],
)
def test_cli_bad_fractions_exit_2(tmp_path: Path, extra: list[str], message: str) -> None:
    label_file = write_dataset(tmp_path)
    result = runner.invoke(app, ["split", str(label_file), str(tmp_path / "out"), *extra])
    assert result.exit_code == 2
    assert f"error: {message}" in result.output
    assert not (tmp_path / "out").exists()


def test_cli_bad_inputs_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.tsv"
    empty.write_text("path\ttext\n", encoding="utf-8")
    result = runner.invoke(app, ["split", str(empty), str(tmp_path / "out"), "--val-fraction", "0.2"])
    assert result.exit_code == 2 and "dataset is empty" in result.output
    result = runner.invoke(
        app, ["split", str(tmp_path / "nope"), str(tmp_path / "out"), "--val-fraction", "0.2"]
    )
    assert result.exit_code == 2 and "dataset not found" in result.output


def test_cli_split_cropnumbers_folder_reports_skips(tmp_path: Path) -> None:
    names = [f"A{i:03d}AA 77{k}.jpg" for i in range(6) for k in ("", "0", "1")] + ["photo.jpg"]
    for name in names:
        (tmp_path / "cn/NumBase").mkdir(parents=True, exist_ok=True)
        (tmp_path / "cn/NumBase" / name).write_bytes(b"")
    for i in range(4):
        (tmp_path / "cn/Negative").mkdir(exist_ok=True)
        (tmp_path / "cn/Negative" / f"{i}.jpg").write_bytes(b"")
    result = runner.invoke(
        app, ["split", str(tmp_path / "cn"), str(tmp_path / "out"), "--val-fraction", "0.3"]
    )
    assert result.exit_code == 0, result.output
    assert "skipped 1 files with unparseable names (first: photo.jpg)" in result.output
    rows = read_label_file(tmp_path / "out/train.tsv", check_images=True)
    rows += read_label_file(tmp_path / "out/val.tsv", check_images=True)
    assert len(rows) == 22
    assert {row.text for row in rows} == {"", *(f"A{i:03d}AA77" for i in range(6))}


def test_follow_keeps_sides_after_corrections_and_splits_new_rows(tmp_path: Path) -> None:
    label_file = write_dataset(tmp_path)
    first = split_dataset(label_file, tmp_path / "first", 0.25, seed=0)
    rows = read_label_file(label_file)
    val_row = first.sides["val"][0]
    train_text = first.sides["train"][0].text
    # an audit finds that val_row shows a plate that is in train; and 3 new photos of a new plate arrive
    corrected = [LabelRow(r.path, train_text if r.path == val_row.path else r.text) for r in rows]
    for i in range(3):
        (tmp_path / f"crops/new{i}.jpg").write_bytes(b"")
    corrected += [LabelRow((tmp_path / f"crops/new{i}.jpg").resolve(), "X999XX99") for i in range(3)]
    write_label_file(corrected, label_file)

    args = ["split", str(label_file), str(tmp_path / "second"), "--val-fraction", "0.25"]
    result = runner.invoke(app, [*args, "--follow", str(tmp_path / "first")])
    assert result.exit_code == 0, result.output
    assert f"{len(rows) - 1} rows kept their side, 1 moved to train" in result.output
    assert "3 new rows split by the fractions" in result.output
    assert "groups shared between sides: 0 ok" in result.output
    second = {name: read_label_file(tmp_path / f"second/{name}.tsv") for name in ("train", "val")}
    assert val_row.path in {r.path for r in second["train"]}
    before = {name: {r.path for r in side} for name, side in first.sides.items()}
    after = {name: {r.path for r in side} for name, side in second.items()}
    new = {(tmp_path / f"crops/new{i}.jpg").resolve() for i in range(3)}
    assert after["val"] - new == before["val"] - {val_row.path}
    assert after["train"] - new == before["train"] | {val_row.path}


def test_follow_needs_an_earlier_split(tmp_path: Path) -> None:
    label_file = write_dataset(tmp_path)
    args = [
        "split",
        str(label_file),
        str(tmp_path / "out"),
        "--val-fraction",
        "0.2",
        "--follow",
        str(tmp_path),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "expected the train.tsv and val.tsv of an earlier split" in result.output


def test_split_through_a_symlinked_folder_keeps_the_paths_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # project/data is a link to a dataset on another disk; the split must not point at the disk.
    disk = tmp_path / "disk/data"
    rows = [LabelRow(row.path, row.text) for row in plate_rows(disk / "crops", 12, 2)]
    for row in rows:
        row.path.parent.mkdir(parents=True, exist_ok=True)
        row.path.write_bytes(b"")
    write_label_file(rows, disk / "labels.tsv")
    (tmp_path / "project").mkdir()
    (tmp_path / "project/data").symlink_to(disk, target_is_directory=True)
    monkeypatch.chdir(tmp_path / "project")
    args = ["split", "data/labels.tsv", "splits/a", "--val-fraction", "0.25"]
    assert runner.invoke(app, args).exit_code == 0
    for name in ("train", "val"):
        lines = Path(f"splits/a/{name}.tsv").read_text(encoding="utf-8").splitlines()[1:]
        assert lines and all(line.startswith("../../data/crops/") for line in lines), lines[:3]
        assert all(row.path.is_file() for row in read_label_file(f"splits/a/{name}.tsv"))
    # --follow finds the rows again when the dataset is now named by the link's target.
    args = ["split", str(disk), "splits/b", "--val-fraction", "0.25", "--follow", "splits/a"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"{len(rows)} rows kept their side, 0 moved to train" in result.output
    assert "0 new rows" in result.output
