"""Label files (round trip, malformed rows), the CropNumbers reader and open_dataset's dispatch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from platocr.data.cropnumbers import read_cropnumbers
from platocr.data.labels import LabelRow, absolute_path, open_dataset, read_label_file, write_label_file
from platocr.errors import PlatocrError


def touch(path: Path) -> Path:
    """An (empty) image file: the readers never decode images."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path.resolve()


def test_label_file_round_trip_with_negatives_and_source(tmp_path: Path) -> None:
    rows = [
        LabelRow(touch(tmp_path / "crops/a.jpg"), "A123BC77", "photo1.jpg"),
        LabelRow(touch(tmp_path / "crops/b.jpg"), "4006381333931", "photo1.jpg"),
        LabelRow(touch(tmp_path / "crops/neg.jpg"), "", ""),
    ]
    label_file = write_label_file(rows, tmp_path / "sets/labels.tsv")
    text = label_file.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "path\ttext\tsource"
    assert "../crops/a.jpg\tA123BC77\tphoto1.jpg" in text  # paths relative to the label file
    assert read_label_file(label_file, check_images=True) == rows


def test_label_file_round_trip_without_source(tmp_path: Path) -> None:
    rows = [LabelRow(touch(tmp_path / "a.jpg"), "A123BC77"), LabelRow(touch(tmp_path / "n.jpg"), "")]
    label_file = write_label_file(rows, tmp_path / "labels.tsv")
    assert label_file.read_text(encoding="utf-8").splitlines() == ["path\ttext", "a.jpg\tA123BC77", "n.jpg\t"]
    assert read_label_file(label_file) == rows


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("path\ttext\na.jpg\tA1\textra\n", "labels.tsv:2:"),  # too many columns
        ("path\ttext\na.jpg\tA1\n\tB2\n", "labels.tsv:3: empty path"),
        ("file\tlabel\na.jpg\tA1\n", "labels.tsv:1:"),  # wrong header
        ("", "empty file"),
    ],
)
def test_malformed_label_file_names_file_and_line(tmp_path: Path, content: str, where: str) -> None:
    label_file = tmp_path / "labels.tsv"
    label_file.write_text(content, encoding="utf-8")
    with pytest.raises(PlatocrError, match=where):
        read_label_file(label_file)


def test_missing_image_is_reported_with_line(tmp_path: Path) -> None:
    label_file = tmp_path / "labels.tsv"
    touch(tmp_path / "a.jpg")
    label_file.write_text("path\ttext\na.jpg\tA1\nmissing.jpg\tB2\n", encoding="utf-8")
    with pytest.raises(PlatocrError, match=r"labels.tsv:3: image not found"):
        read_label_file(label_file, check_images=True)


def make_cropnumbers(root: Path) -> Path:
    for name in ["A001CC 172.jpg", "A001CC 1720.jpg", "A001AA 36 (2).JPG", "x123bc_77.png", "photo.jpg"]:
        touch(root / "NumBase" / name)
    (root / "NumBase/notes.txt").write_text("not an image", encoding="utf-8")
    for name in ["1.jpg", "2.bmp", "3.TIFF"]:
        touch(root / "Negative" / name)
    return root


def test_read_cropnumbers_labels_negatives_and_skips(tmp_path: Path) -> None:
    root = make_cropnumbers(tmp_path / "cn")
    skipped: list[Path] = []
    rows = read_cropnumbers(root, skipped=skipped)
    labels = {row.path.name: row.text for row in rows}
    assert labels == {
        "A001CC 172.jpg": "A001CC172",
        "A001CC 1720.jpg": "A001CC172",
        "A001AA 36 (2).JPG": "A001AA36",
        "x123bc_77.png": "X123BC77",
        "1.jpg": "",
        "2.bmp": "",
        "3.TIFF": "",
    }
    assert all(row.path.is_absolute() and row.source == "" for row in rows)
    assert [p.name for p in skipped] == ["photo.jpg"]  # notes.txt is not an image: not counted


def test_read_cropnumbers_announces_skips_when_not_collected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = read_cropnumbers(make_cropnumbers(tmp_path / "cn"))
    assert len(rows) == 7
    assert "skipped 1 files with unparseable names (first: photo.jpg)" in capsys.readouterr().err


def test_open_dataset_dispatch(tmp_path: Path) -> None:
    root = make_cropnumbers(tmp_path / "cn")
    assert len(open_dataset(root, allow_empty=False)) == 7  # names parsed
    # A labels.tsv in the folder wins over the file names.
    write_label_file([LabelRow((root / "NumBase/photo.jpg").resolve(), "B777OP177")], root / "labels.tsv")
    assert [row.text for row in open_dataset(root)] == ["B777OP177"]
    assert [row.text for row in open_dataset(root / "labels.tsv")] == ["B777OP177"]


def test_negatives_only_folder_and_empty_folder(tmp_path: Path) -> None:
    touch(tmp_path / "neg/Negative/1.jpg")
    assert [row.text for row in open_dataset(tmp_path / "neg")] == [""]
    (tmp_path / "empty/NumBase").mkdir(parents=True)
    with pytest.raises(PlatocrError, match="dataset is empty"):
        open_dataset(tmp_path / "empty")
    with pytest.raises(PlatocrError, match="not a CropNumbers folder"):
        read_cropnumbers(tmp_path)


def test_layout_a_folder_asks_to_run_crop(tmp_path: Path) -> None:
    touch(tmp_path / "photos/images/000001.jpg")
    (tmp_path / "photos/annotations.tsv").write_text(
        "filename\tcode\tx_from\ty_from\twidth\theight\nimages/000001.jpg\t4006381333931\t1\t2\t30\t40\n",
        encoding="utf-8",
    )
    for source in (tmp_path / "photos", tmp_path / "photos/annotations.tsv"):
        with pytest.raises(PlatocrError, match="platocr crop"):
            open_dataset(source)
    with pytest.raises(PlatocrError, match="not a dataset"):
        open_dataset(tmp_path / "photos/images")


def test_label_file_encodings_utf8_bom_utf16_and_cp1251(tmp_path: Path) -> None:
    content = "path\ttext\tsource\na.jpg\tA123BC77\tфото 1.jpg\n"
    expected = [LabelRow(Path(os.path.abspath(tmp_path / "a.jpg")), "A123BC77", "фото 1.jpg")]
    for encoding in ("utf-8", "utf-8-sig", "utf-16"):
        label_file = tmp_path / f"{encoding}.tsv"
        label_file.write_bytes(content.encode(encoding))
        notes: list[str] = []
        assert read_label_file(label_file, notes=notes) == expected, encoding
        assert notes == []
    label_file = tmp_path / "labels.tsv"
    label_file.write_bytes(content.encode("cp1251"))
    notes = []
    assert read_label_file(label_file, notes=notes) == expected
    assert notes == [f"{label_file} is not UTF-8; read it as cp1251"]


def test_label_file_neither_utf8_nor_cp1251_names_file_and_encoding(tmp_path: Path) -> None:
    label_file = tmp_path / "labels.tsv"
    label_file.write_bytes(b"path\ttext\na.jpg\tA1\nb.jpg\tB\x98\n")  # 0x98: no character in cp1251
    with pytest.raises(PlatocrError, match=r"labels.tsv:3: .*neither UTF-8 nor cp1251.*save it as UTF-8"):
        read_label_file(label_file)


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        ("x.jpg", b"path\ttext\n", "an image"),  # the name says image, whatever the bytes
        ("x.tsv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "an image"),
        ("x.tsv", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "an image"),
        ("x.tsv", b"BM6\x00\x00\x00\x00\x00\x00\x006\x00\x00\x00", "an image"),
        ("x.bin", b"path\ttext\n\x00\x01\x02", "a binary file"),
    ],
)
def test_image_or_binary_instead_of_label_file(tmp_path: Path, name: str, content: bytes, what: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(PlatocrError) as caught:
        open_dataset(tmp_path / name)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / name}: this is {what}, not a label file")
    assert "path<TAB>text" in message and "\n" not in message
    assert ("platocr read" in message) == (what == "an image")


def test_cyrillic_plate_letters_become_latin_with_one_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    label_file = tmp_path / "labels.tsv"
    label_file.write_text(
        "path\ttext\na.jpg\tА123ВС77\nb.jpg\tв456ох177\nc.jpg\tE789KX50\nd.jpg\t\n", encoding="utf-8"
    )
    notes: list[str] = []
    rows = read_label_file(label_file, notes=notes)
    assert [row.text for row in rows] == ["A123BC77", "B456OX177", "E789KX50", ""]
    assert notes == [
        f"{label_file}: 2 labels had Cyrillic letters mapped to Latin look-alikes "
        "(А→A, В→B, С→C, в→B, о→O, х→X)"
    ]
    read_label_file(label_file)  # without a list: the same note once on stderr
    err = capsys.readouterr().err
    assert err.count("note: ") == 1 and "2 labels had Cyrillic letters" in err


def test_russian_text_labels_are_left_as_they_are(tmp_path: Path) -> None:
    label_file = tmp_path / "labels.tsv"
    label_file.write_text("path\ttext\na.jpg\tА123ВС77\nb.jpg\tПривет\n", encoding="utf-8")
    notes: list[str] = []
    assert [row.text for row in read_label_file(label_file, notes=notes)] == ["А123ВС77", "Привет"]
    assert notes == []


def test_cropnumbers_cyrillic_names_counted_once(tmp_path: Path) -> None:
    root = make_cropnumbers(tmp_path / "cn")
    touch(root / "NumBase/В777ОР 177.jpg")
    touch(root / "NumBase/а001сс 36 копия.jpg")  # the copy suffix is not part of the plate
    notes: list[str] = []
    rows = read_cropnumbers(root, skipped=[], notes=notes)
    texts = {row.path.name: row.text for row in rows}
    assert texts["В777ОР 177.jpg"] == "B777OP177" and texts["а001сс 36 копия.jpg"] == "A001CC36"
    assert notes == [
        f"{root}: 2 labels had Cyrillic letters mapped to Latin look-alikes (В→B, О→O, Р→P, а→A, с→C)"
    ]


def test_paths_through_a_symlinked_folder_stay_as_given(tmp_path: Path) -> None:
    real = tmp_path / "disk/data"
    touch(real / "crops/a.jpg")
    (real / "labels.tsv").write_text("path\ttext\ncrops/a.jpg\tA1\n", encoding="utf-8")
    (tmp_path / "work").mkdir()
    (tmp_path / "work/data").symlink_to(real, target_is_directory=True)
    rows = open_dataset(tmp_path / "work/data/labels.tsv")
    assert rows[0].path == tmp_path / "work/data/crops/a.jpg"  # not the link's target
    out = write_label_file(rows, tmp_path / "work/split/train.tsv")
    assert out.read_text(encoding="utf-8").splitlines()[1] == "../data/crops/a.jpg\tA1"


def test_absolute_path_keeps_links_but_climbs_out_of_their_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "disk/data").mkdir(parents=True)
    (tmp_path / "work").mkdir()
    (tmp_path / "work/data").symlink_to(tmp_path / "disk/data", target_is_directory=True)
    monkeypatch.chdir(tmp_path / "work")
    assert absolute_path("data/./crops/../a.jpg") == tmp_path / "work/data/a.jpg"
    # "data/.." is the parent of the link's target, as the kernel sees it: not work/ but disk/.
    assert absolute_path("data/../crops/a.jpg") == tmp_path / "disk/crops/a.jpg"
