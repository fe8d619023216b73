"""Read the bars of an EAN/UPC barcode crop (zxing-cpp) and combine them with the OCR'd digits.

The OCR model reads the digits printed under the bars; a bar decoder reads the bars themselves. They
fail on different crops (blurred or glared digits vs. a cut or smeared quiet zone), so a caller that
has both gets more right reads and can flag the crops where they disagree.

- :func:`decode_bars` reads EAN-13, UPC-A, UPC-E and EAN-8 from a crop (as is; if nothing, upscaled
  2x; if nothing, turned 90 degrees) and returns the code in platocr's label form.
- :func:`combine` merges a digits read and a bars read into one :class:`CombinedRead`.
- :func:`same_code` says whether two strings are the same code printed in different layouts.

zxing-cpp is an optional dependency (``pip install 'platocr[barcodes]'``); it is imported on first
use, and :func:`bars_available` says whether it is installed.

Label form (what platocr's labels and the ``barcodes-ean`` model use): EAN-13 13 digits, UPC-A 12,
UPC-E the 8 digits as printed, EAN-8 8. The bars of a UPC-A and of an EAN-13 whose first digit is 0
are the same; only the printed layout differs. A bars read of such a code is given as a 12-digit UPC-A
(as GS1 defines it and as zxing-cpp 2 reports it; zxing-cpp 3 reports 13 digits). When the digits
read the same code in the 13-digit layout, :func:`combine` keeps the digits' form.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from platocr.errors import PlatocrError
from platocr.formats.ean import check_digit_valid, upce_to_upca
from platocr.recognition.prediction import Source

# Confidence of a read from the bars alone. zxing-cpp only returns symbols whose check digit is
# valid; on the real photos (docs/models/barcodes-ean.md, "Real photos") 3 of its 861 reads of crops
# were another code, about as often as the model's reads at confidence 0.8-0.9 or above. It ranks a
# bars-only read above every confidence floor a caller would use, and below a near-certain digits read.
BARS_CONFIDENCE = 0.95
BARS_MISSING = "--bars needs the barcodes extra: pip install 'platocr[barcodes]'"
ATTEMPTS = ("as-is", "2x", "turned")

_SYMBOLOGY_NAMES = {"EAN13": "ean13", "UPCA": "upca", "UPCE": "upce", "EAN8": "ean8"}


@dataclass(frozen=True)
class BarsRead:
    """A code read from the bars.

    ``text``: the digits in label form (EAN-13 13, UPC-A 12, UPC-E 8 as printed, EAN-8 8); always a
    valid check digit. ``symbology``: ``ean13``, ``upca``, ``upce`` or ``ean8``. ``attempt``: which
    view of the crop gave it (``as-is``, ``2x`` or ``turned``).
    """

    text: str
    symbology: str
    attempt: str = "as-is"


@dataclass(frozen=True)
class CombinedRead:
    """Digits and bars merged into one read.

    ``text``: the code ('' = no read); ``confidence`` in [0, 1]; ``source``: which reader the text
    comes from (``both`` when they agree; an empty text takes ``digits``); ``conflict``: the two
    readers read different codes (the text is the one trusted more).

    Example::

        read = combine("4006381333931", 0.62, "4006381333931")
        read.source, read.conflict  # ('both', False); read.confidence is 0.981
    """

    text: str
    confidence: float
    source: Source
    conflict: bool = False


def bars_available() -> bool:
    """True when zxing-cpp (the ``barcodes`` extra) is installed."""
    return importlib.util.find_spec("zxingcpp") is not None


@lru_cache(maxsize=1)
def _zxing() -> tuple[Any, Any]:
    """(the zxingcpp module, the EAN/UPC formats to read); PlatocrError when it is not installed."""
    try:
        import zxingcpp
    except ImportError as error:
        raise PlatocrError(BARS_MISSING) from error
    try:
        formats = zxingcpp.barcode_formats_from_str("EAN-13,UPC-A,UPC-E,EAN-8")
    except (AttributeError, ValueError):  # older releases: formats are flags
        f = zxingcpp.BarcodeFormat
        formats = f.EAN13 | f.UPCA | f.UPCE | f.EAN8
    return zxingcpp, formats


def decode_bars(crop_bgr: np.ndarray) -> BarsRead | None:
    """Read an EAN-13, UPC-A, UPC-E or EAN-8 symbol from a crop of a barcode, or None.

    Tries the crop as is, then upscaled 2x, then turned 90 degrees clockwise, and stops at the first
    view that gives a symbol. ``crop_bgr``: an HxW grey or HxWx3 BGR (HxWx4 BGRA) uint8 array, as
    OpenCV reads it. Raises PlatocrError when zxing-cpp is missing or the array is not an image.

    Example::

        read = decode_bars(cv2.imread("crop.jpg"))
        read.text if read else "no bars"  # '4006381333931'
    """
    zxingcpp, formats = _zxing()
    grey = _grey(crop_bgr)
    if grey.shape[0] < 2 or grey.shape[1] < 2:
        return None
    import cv2

    views = (
        lambda: grey,
        lambda: cv2.resize(grey, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC),
        lambda: cv2.rotate(grey, cv2.ROTATE_90_CLOCKWISE),
    )
    for attempt, view in zip(ATTEMPTS, views, strict=True):
        symbols = zxingcpp.read_barcodes(
            np.ascontiguousarray(view()), formats=formats, try_rotate=False, try_downscale=True
        )
        for symbol in symbols:
            read = _label_form(symbol, zxingcpp.BarcodeFormat, attempt)
            if read is not None:
                return read
    return None


def _grey(crop: np.ndarray) -> np.ndarray:
    if not isinstance(crop, np.ndarray) or crop.dtype != np.uint8:
        raise PlatocrError(f"decode_bars needs a uint8 image array, got {type(crop).__name__}")
    if crop.ndim == 2:
        return crop
    if crop.ndim == 3 and crop.shape[2] in (1, 3, 4):
        import cv2

        if crop.shape[2] == 1:
            return crop[:, :, 0]
        code = cv2.COLOR_BGR2GRAY if crop.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
        return cv2.cvtColor(crop, code)
    raise PlatocrError(f"decode_bars needs an HxW or HxWx3 image, got an array of shape {crop.shape}")


def _label_form(symbol: Any, formats: Any, attempt: str) -> BarsRead | None:
    """A zxing-cpp result in platocr's label form, or None when it is not a valid EAN/UPC code."""
    name = next((key for key in _SYMBOLOGY_NAMES if symbol.format == getattr(formats, key)), None)
    text = str(symbol.text).strip()
    if name is None or not text.isdigit():
        return None
    symbology = _SYMBOLOGY_NAMES[name]
    if symbology == "upce":  # zxing-cpp 2: the 8 digits; 3: the 13-digit expansion + extra["UPCE"]
        extra = symbol.extra if isinstance(getattr(symbol, "extra", None), dict) else {}
        text = text if len(text) == 8 else str(extra.get("UPCE") or upca_to_upce(text[-12:]) or "")
    elif len(text) == 13 and text[0] == "0":  # EAN-13 with a leading 0 is a UPC-A
        text, symbology = text[1:], "upca"
    elif len(text) == 13:
        symbology = "ean13"
    if not check_digit_valid(text, symbology):
        return None
    return BarsRead(text, symbology, attempt)


def upca_to_upce(upca: str) -> str | None:
    """The 8-digit UPC-E that expands to this 12-digit UPC-A, or None when it has none.

    Example: ``upca_to_upce("012345000065") == "01234565"``.
    """
    if len(upca) != 12 or not upca.isdigit() or upca[0] not in "01":
        return None
    body = upca[1:11]
    candidates = (
        body[0:2] + body[7:10] + body[2],  # manufacturer ends in 0, 1 or 2: X X d 0000 X X X
        body[0:3] + body[8:10] + "3",
        body[0:4] + body[9] + "4",
        body[0:5] + body[9],  # last digit 5-9
    )
    for six in candidates:
        upce = upca[0] + six + upca[11]
        if upce_to_upca(upce) == upca:
            return upce
    return None


def _gtin_keys(code: str) -> set[str]:
    """The normalised forms of ``code``: GTIN-13 for EAN-13 / UPC-A / UPC-E, ``ean8:`` for EAN-8."""
    if not code.isdigit():
        return {code}
    if len(code) == 13:
        return {code}
    if len(code) == 12:
        return {"0" + code}
    if len(code) == 8:
        keys = {"ean8:" + code}
        if code[0] in "01" and check_digit_valid(code, "upce"):
            keys.add("0" + upce_to_upca(code))
        return keys
    return {code}


def same_code(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are the same code, perhaps printed in different layouts.

    A 12-digit UPC-A equals its 13-digit form with a leading 0, and an 8-digit UPC-E equals its UPC-A
    expansion. Example: ``same_code("036000291452", "0036000291452") is True``.
    """
    if not a or not b:
        return False
    return a == b or bool(_gtin_keys(a) & _gtin_keys(b))


def _either(p: float, q: float) -> float:
    """Two agreeing reads are wrong only if both are: 1 - (1 - p)(1 - q)."""
    return 1.0 - (1.0 - p) * (1.0 - q)


def _outweigh(winner: float, loser: float) -> float:
    """P(the winner is right | the two reads differ, so at most one is right)."""
    total = 1.0 - winner * loser
    return winner * (1.0 - loser) / total if total > 0 else 0.5


def combine(
    digits: str,
    digits_confidence: float,
    bars: str | None,
    *,
    bars_confidence: float = BARS_CONFIDENCE,
) -> CombinedRead:
    """Merge the digits the OCR read with the code the bars gave.

    Args:
        digits: the OCR read ('' = no read), e.g. ``Prediction.text``.
        digits_confidence: its confidence in [0, 1] (``Prediction.confidence``).
        bars: the bars' code (``BarsRead.text``), None or '' when the bars gave nothing.
        bars_confidence: the confidence given to a bars read (default :data:`BARS_CONFIDENCE`).

    Rules:
        - the same code (:func:`same_code`): ``both``, confidence ``1 - (1 - d)(1 - b)``, in the
          digits' form (they show the printed layout);
        - one empty: the other, if its check digit is valid (else no read);
        - different codes: ``conflict``; digits with a wrong check digit lose, otherwise the higher
          confidence wins (a tie goes to the bars), with confidence ``w (1 - l) / (1 - w l)`` (the
          winner's chance of being the right one of the two; bars beating invalid digits keep
          ``bars_confidence``).

    Example::

        combine("4006381333931", 0.62, None)     # digits, 0.62 (valid check digit)
        combine("", 0.0, "4006381333931")        # bars, 0.95
        combine("4006381333937", 0.9, "4006381333931")  # bars, conflict (invalid digits)
    """
    d = min(max(float(digits_confidence), 0.0), 1.0)
    b = min(max(float(bars_confidence), 0.0), 1.0)
    bars = bars or ""
    digits_valid = check_digit_valid(digits)
    if bars and not check_digit_valid(bars):
        raise PlatocrError(f"bars read {bars!r} is not an EAN/UPC code with a valid check digit")
    if not bars:
        return CombinedRead(digits, d, "digits") if digits_valid else CombinedRead("", 0.0, "digits")
    if not digits:
        return CombinedRead(bars, b, "bars")
    if same_code(digits, bars):
        return CombinedRead(digits, _either(d, b), "both")
    if not digits_valid:
        return CombinedRead(bars, b, "bars", conflict=True)
    if d > b:
        return CombinedRead(digits, _outweigh(d, b), "digits", conflict=True)
    return CombinedRead(bars, _outweigh(b, d), "bars", conflict=True)
