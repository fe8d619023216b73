"""CropNumbers file-name labels: region/counter split, name normalisation, folder context, agreement."""

from __future__ import annotations

from pathlib import Path

import pytest

from platocr.data.filenames import parse_plate_filename, parse_plate_filenames, split_plate_filename
from platocr.formats.plates_ru import PLATE_LETTERS, is_region_code, to_latin

CROPNUMBERS = Path(__file__).resolve().parents[2] / "shared/data/cropnumbers"


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("A001CC 172.jpg", "A001CC17"),  # alone: 172 is no region, so 17 + counter 2 (see folder context)
        ("A001AA 36 (2).jpg", "A001AA36"),  # copy suffix
        ("A001AA 011.jpg", "A001AA01"),  # 01 + counter 1
        ("A119AO 77712.jpg", "A119AO777"),  # 3-digit region + 2-digit counter
        ("H400HB 1165.jpg", "H400HB116"),
        ("H400HB 11617.jpg", "H400HB116"),
        ("X924CK 7710.jpg", "X924CK77"),  # 771 is no region: 77 + counter 10
        ("C656OK 770.jpg", "C656OK77"),
        ("A736KA 7501.jpg", "A736KA750"),
        ("Y446YK 19710.jpg", "Y446YK197"),
        ("A776YH 00.jpg", "A776YH00"),  # two digits are always the whole region
        ("A2314BO 99.jpg", "A2314BO99"),  # odd format kept as written
        ("NumBase/B050CB 8626.JPG", "B050CB86"),  # a path, upper-case extension
        ("а001сс 177.jpg", "A001CC177"),  # lower-case Cyrillic
        ("А123ВС 77.png", "A123BC77"),  # upper-case Cyrillic
        ("ЕКМНОРТУХ 77.bmp", "EKMHOPTYX77"),
        ("a123bc_77.tif", "A123BC77"),  # lower case, underscore separator
        ("A123BC77.jpeg", "A123BC77"),  # no separator
        ("A123BC 777 - copy.jpg", "A123BC777"),
        ("A123BC 77 [3].jpg", "A123BC77"),
        ("A123BC 77", "A123BC77"),  # no extension
    ],
)
def test_parse_plate_filename(name: str, label: str) -> None:
    assert parse_plate_filename(name) == label


@pytest.mark.parametrize(
    "name",
    [
        "123.jpg",
        "photo.jpg",
        "A123BC.jpg",
        "A123BZ 77.jpg",
        "A123BC 7.jpg",
        "A123BC 77x.jpg",
        "",
        ".jpg",
        "(2).jpg",
    ],
)
def test_unparseable_names_give_none(name: str) -> None:
    assert parse_plate_filename(name) is None


def test_split_plate_filename_parts() -> None:
    parsed = split_plate_filename("A001CC 1720 (2).jpg")
    assert parsed is not None
    assert (parsed.series, parsed.digits) == ("A001CC", "1720")


def test_folder_context_resolves_counter_ambiguities() -> None:
    x777 = ["X777XX 77.jpg"] + [f"X777XX 77{i}.jpg" for i in range(10)] + ["X777XX 7710.jpg"]
    a119 = ["A119AO 77.jpg", "A119AO 777.jpg", "A119AO 7770.jpg", "A119AO 7771.jpg", "A119AO 777 (2).jpg"]
    a001 = ["A001CC 172.jpg", "A001CC 1720.jpg", "A001CC 1721.jpg"]
    a000 = ["A000AA 17.jpg", "A000AA 177.jpg", "A000AA 77.jpg"]
    labels = parse_plate_filenames(x777 + a119 + a001 + a000 + ["photo.jpg"])
    assert {labels[name] for name in x777} == {"X777XX77"}  # "777" is the 8th copy of the 77 plate
    assert labels["A119AO 77.jpg"] == "A119AO77"
    assert {labels[name] for name in a119[1:]} == {"A119AO777"}  # 777 has copies of its own
    assert {labels[name] for name in a001} == {"A001CC172"}  # base name with numbered copies
    assert [labels[name] for name in a000] == ["A000AA17", "A000AA177", "A000AA77"]  # one "7" is no run
    assert labels["photo.jpg"] is None


def test_regions_and_letters() -> None:
    assert PLATE_LETTERS == "ABCEHKMOPTXY"
    assert all(is_region_code(code) for code in ("01", "77", "99", "102", "116", "777", "799", "977"))
    assert not any(is_region_code(code) for code in ("00", "7", "770", "172", "1000"))
    assert to_latin("а123вс") == "A123BC"


@pytest.mark.skipif(not (CROPNUMBERS / "labels.tsv").is_file(), reason="shared CropNumbers data absent")
def test_agreement_with_cleaned_labels() -> None:
    from platocr.data.cropnumbers import filename_agreement

    report = filename_agreement(CROPNUMBERS)
    assert report.n >= 1000
    # Measured 0.866 (2568/2966). 0.90 is out of reach: in 11.8% of the rows the cleaned label is not
    # the name's series + any prefix of its digits (another plate or series), so no parser can match.
    assert report.agreement >= 0.85
    assert report.agree / report.reachable >= 0.97  # of the labels a split can reach, it gets 98%
    assert report.negatives_agree == report.negatives_n
