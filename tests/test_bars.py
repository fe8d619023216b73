"""platocr.recognition.bars: combine() rules (pure) and decode_bars on rendered barcodes (needs zxing-cpp)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from platocr.errors import PlatocrError
from platocr.formats.ean import check_digit_valid, upce_to_upca
from platocr.recognition import bars
from platocr.recognition.bars import (
    BARS_CONFIDENCE,
    BARS_MISSING,
    CombinedRead,
    combine,
    same_code,
    upca_to_upce,
)
from platocr.synth.barcode_render import render_label

EAN13 = "4006381333931"
EAN13_OTHER = "5901234123457"
UPCA = "036000291452"
UPCE = "01234565"
EAN8 = "96385074"


# combine(): the rules


def test_agree_gives_both_with_more_confidence_than_either() -> None:
    read = combine(EAN13, 0.62, EAN13)
    assert read == CombinedRead(EAN13, pytest.approx(1 - 0.38 * (1 - BARS_CONFIDENCE)), "both", False)
    assert read.confidence > max(0.62, BARS_CONFIDENCE)


@pytest.mark.parametrize(
    ("digits", "bars_text"),
    [
        ("0" + UPCA, UPCA),  # UPC-A printed in the EAN-13 layout
        (UPCA, "0" + UPCA),
        (UPCE, "0" + upce_to_upca(UPCE)),  # UPC-E as printed vs its expansion
        (upce_to_upca(UPCE), UPCE),
    ],
)
def test_agree_across_layouts_keeps_the_digits_form(digits: str, bars_text: str) -> None:
    read = combine(digits, 0.5, bars_text)
    assert (read.text, read.source, read.conflict) == (digits, "both", False)


def test_digits_only_valid_is_kept_with_its_confidence() -> None:
    assert combine(EAN13, 0.42, None) == CombinedRead(EAN13, 0.42, "digits", False)
    assert combine(EAN8, 0.9, "") == CombinedRead(EAN8, 0.9, "digits", False)


def test_digits_only_with_a_wrong_check_digit_is_no_read() -> None:
    assert combine("4006381333937", 0.99, None) == CombinedRead("", 0.0, "digits", False)
    assert combine("123", 0.99, None).text == ""


def test_nothing_read_is_no_read() -> None:
    assert combine("", 0.0, None) == CombinedRead("", 0.0, "digits", False)


def test_bars_only_gets_the_bars_confidence() -> None:
    assert combine("", 0.0, EAN13) == CombinedRead(EAN13, BARS_CONFIDENCE, "bars", False)
    assert combine("", 0.0, EAN13, bars_confidence=0.8).confidence == 0.8


def test_conflict_with_invalid_digits_takes_the_bars() -> None:
    read = combine("4006381333937", 0.99, EAN13)
    assert read == CombinedRead(EAN13, BARS_CONFIDENCE, "bars", True)


def test_conflict_between_valid_codes_goes_to_the_higher_confidence() -> None:
    low = combine(EAN13_OTHER, 0.6, EAN13)
    assert (low.text, low.source, low.conflict) == (EAN13, "bars", True)
    b, d = BARS_CONFIDENCE, 0.6
    assert low.confidence == pytest.approx(b * (1 - d) / (1 - b * d))
    assert low.confidence < BARS_CONFIDENCE  # a conflict costs confidence
    high = combine(EAN13_OTHER, 0.99, EAN13)
    assert (high.text, high.source, high.conflict) == (EAN13_OTHER, "digits", True)
    assert high.confidence < 0.99
    tie = combine(EAN13_OTHER, BARS_CONFIDENCE, EAN13)
    assert (tie.text, tie.source) == (EAN13, "bars")


def test_confidences_are_clamped_and_certain_conflicts_stay_finite() -> None:
    read = combine(EAN13_OTHER, 1.0, EAN13, bars_confidence=1.0)
    assert read.text == EAN13 and read.confidence == 0.5
    assert combine(EAN13, 7.0, None).confidence == 1.0


def test_an_invalid_bars_code_is_refused() -> None:
    with pytest.raises(PlatocrError, match="valid check digit"):
        combine(EAN13, 0.5, "4006381333937")


def test_same_code_and_upce_compression() -> None:
    assert same_code(UPCA, "0" + UPCA)
    assert same_code(UPCE, "0" + upce_to_upca(UPCE))
    assert not same_code(EAN13, EAN13_OTHER)
    assert not same_code("", "")
    assert upca_to_upce(upce_to_upca(UPCE)) == UPCE
    for upce in ("01234565", "04252614", "11234562", "00123457", "01200003", "02345673"):
        if check_digit_valid(upce, "upce"):
            assert upca_to_upce(upce_to_upca(upce)) == upce
    assert upca_to_upce(UPCA) is None


def test_missing_zxing_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zxingcpp", None)  # makes `import zxingcpp` fail
    bars._zxing.cache_clear()
    try:
        with pytest.raises(PlatocrError) as error:
            bars.decode_bars(np.zeros((10, 10), np.uint8))
        assert str(error.value) == BARS_MISSING
    finally:
        bars._zxing.cache_clear()


# decode_bars(): rendered barcodes


def _rendered(code: str, symbology: str, seed: int = 0) -> np.ndarray:
    """A BGR crop of a rendered label: dark ink on white paper, a margin of white around it."""
    label = render_label(code, symbology, np.random.default_rng(seed), 3)
    grey = np.pad(255 - label.ink, 12, constant_values=255)
    return np.repeat(grey[:, :, None], 3, axis=2)


@pytest.mark.parametrize(
    ("code", "symbology"),
    [(EAN13, "ean13"), (UPCA, "upca"), (UPCE, "upce"), (EAN8, "ean8"), ("0" + UPCA, "ean13")],
)
def test_decode_bars_gives_the_label_form(code: str, symbology: str) -> None:
    pytest.importorskip("zxingcpp")
    read = bars.decode_bars(_rendered(code, symbology))
    assert read is not None
    # A UPC-A in the EAN-13 layout has the same bars: it comes back as the 12-digit UPC-A.
    assert read.text == (UPCA if code == "0" + UPCA else code)
    assert read.symbology == ("upca" if code == "0" + UPCA else symbology)
    assert read.attempt == "as-is"
    assert combine(code, 0.5, read.text).source == "both"


def test_decode_bars_turns_a_vertical_crop_and_reads_grey() -> None:
    pytest.importorskip("zxingcpp")
    turned = np.rot90(_rendered(EAN13, "ean13")).copy()  # counter-clockwise: bars now horizontal
    read = bars.decode_bars(turned)
    assert read is not None and (read.text, read.attempt) == (EAN13, "turned")
    assert bars.decode_bars(_rendered(EAN8, "ean8")[:, :, 0]).text == EAN8


def test_decode_bars_on_nothing_is_none_and_bad_arrays_are_refused() -> None:
    pytest.importorskip("zxingcpp")
    assert bars.bars_available()
    assert bars.decode_bars(np.full((60, 200, 3), 255, np.uint8)) is None
    assert bars.decode_bars(np.zeros((1, 1), np.uint8)) is None
    with pytest.raises(PlatocrError, match="uint8"):
        bars.decode_bars(np.zeros((10, 10), np.float32))
    with pytest.raises(PlatocrError, match="shape"):
        bars.decode_bars(np.zeros((10, 10, 2), np.uint8))
