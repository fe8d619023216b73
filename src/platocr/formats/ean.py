"""EAN-13, UPC-A, UPC-E, EAN-8 (and EAN-2/EAN-5 add-ons): check digits and module patterns.

A module pattern is a string of '1' (bar) and '0' (space), one character per module, WITHOUT quiet
zones. ``digit_spans`` says where each printed digit sits so the renderer can lay out the
human-readable line the way each symbology prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

SYMBOLOGIES: tuple[str, ...] = ("ean13", "upca", "upce", "ean8")

# Odd-parity (L) patterns; R is L inverted, G (even parity) is R reversed.
_L = (
    "0001101",
    "0011001",
    "0010011",
    "0111101",
    "0100011",
    "0110001",
    "0101111",
    "0111011",
    "0110111",
    "0001011",
)
_R = tuple(p.translate(str.maketrans("01", "10")) for p in _L)
_G = tuple(r[::-1] for r in _R)
_CODES = {"L": _L, "G": _G, "R": _R}

# EAN-13: the first digit is not drawn, it chooses the L/G parity of the left six digits.
_EAN13_PARITY = (
    "LLLLLL",
    "LLGLGG",
    "LLGGLG",
    "LLGGGL",
    "LGLLGG",
    "LGGLLG",
    "LGGGLL",
    "LGLGLG",
    "LGLGGL",
    "LGGLGL",
)
# UPC-E (number system 0): the check digit chooses the parity of the six digits; system 1 inverts it.
_UPCE_PARITY = (
    "GGGLLL",
    "GGLGLL",
    "GGLLGL",
    "GGLLLG",
    "GLGGLL",
    "GLLGGL",
    "GLLLGG",
    "GLGLGL",
    "GLGLLG",
    "GLLGLG",
)
_EAN5_PARITY = ("GGLLL", "GLGLL", "GLLGL", "GLLLG", "LGGLL", "LLGGL", "LLLGG", "LGLGL", "LGLLG", "LLGLG")
_EAN2_PARITY = ("LL", "LG", "GL", "GG")

GUARD = "101"
CENTRE = "01010"
UPCE_END = "010101"
ADDON_START = "1011"
ADDON_SEPARATOR = "01"

_LENGTHS = {"ean13": 13, "upca": 12, "upce": 8, "ean8": 8}


def _digits(code: str) -> list[int]:
    if not code.isdigit():
        raise ValueError(f"barcode must be digits only, got {code!r}")
    return [int(c) for c in code]


def gtin_check_digit(payload: str) -> str:
    """GS1 mod-10 check digit of ``payload`` (everything but the check digit): weights 3,1,3,... from the right."""
    digits = _digits(payload)
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def upce_to_upca(code: str) -> str:
    """Expand an 8-digit UPC-E (number system, 6 digits, check) to its 12-digit UPC-A."""
    if len(code) != 8 or code[0] not in "01":
        raise ValueError(f"UPC-E needs 8 digits starting with 0 or 1, got {code!r}")
    ns, d, check = code[0], code[1:7], code[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body + check


def upce_check_digit(payload: str) -> str:
    """Check digit for a 7-digit UPC-E payload (number system + 6 digits), computed on the UPC-A expansion."""
    return gtin_check_digit(upce_to_upca(payload + "0")[:11])


def symbology_of(code: str) -> str:
    """Guess the symbology from the length: 13 -> ean13, 12 -> upca, 8 -> ean8 (or upce when not a valid EAN-8)."""
    if len(code) == 8:
        return "ean8" if gtin_check_digit(code[:7]) == code[7] else "upce"
    for name, length in _LENGTHS.items():
        if len(code) == length:
            return name
    raise ValueError(f"no EAN/UPC symbology has {len(code)} digits: {code!r}")


def check_digit_valid(code: str, symbology: str | None = None) -> bool:
    """True when ``code`` is a well-formed EAN-13 / UPC-A / EAN-8 / UPC-E with a correct check digit.

    Without ``symbology`` an 8-digit code is accepted if it is valid as EAN-8 or as UPC-E.
    """
    if not code.isdigit() or len(code) not in (8, 12, 13):
        return False
    if symbology is None and len(code) == 8:
        return check_digit_valid(code, "ean8") or check_digit_valid(code, "upce")
    symbology = symbology or symbology_of(code)
    if len(code) != _LENGTHS.get(symbology, -1):
        return False
    if symbology == "upce":
        return code[0] in "01" and upce_check_digit(code[:7]) == code[7]
    return gtin_check_digit(code[:-1]) == code[-1]


def complete_code(payload: str, symbology: str) -> str:
    """Append the check digit to ``payload`` (the code without its last digit)."""
    check = upce_check_digit(payload) if symbology == "upce" else gtin_check_digit(payload)
    return payload + check


@dataclass(frozen=True)
class Encoded:
    """Module pattern of a symbol and where its printed digits go.

    ``modules``: '1'/'0' per module, quiet zones excluded. ``guards``: indices of modules whose bars
    extend below the others (guard bars, and UPC-A's first/last digit). ``inner_digits``: list of
    (text, first_module, last_module_exclusive) groups printed under the bars. ``left_digit`` /
    ``right_digit``: printed outside the bars ('' when none); ``small_outer``: those outer digits are
    printed smaller (UPC-A, UPC-E).
    """

    code: str
    symbology: str
    modules: str
    guards: frozenset[int]
    inner_digits: tuple[tuple[str, int, int], ...]
    left_digit: str = ""
    right_digit: str = ""
    small_outer: bool = False


def _encode_digits(digits: str, parity: str) -> str:
    return "".join(_CODES[p][int(d)] for d, p in zip(digits, parity, strict=True))


def _guard_indices(*spans: tuple[int, int]) -> frozenset[int]:
    return frozenset(i for start, end in spans for i in range(start, end))


def encode(code: str, symbology: str | None = None) -> Encoded:
    """Encode a full code (with check digit) into modules; raises ValueError on a bad code."""
    symbology = symbology or symbology_of(code)
    if not check_digit_valid(code, symbology):
        raise ValueError(f"{code!r} is not a valid {symbology} code (length or check digit)")
    if symbology in ("ean13", "upca"):
        ean = code if symbology == "ean13" else "0" + code  # UPC-A is EAN-13 with a leading 0
        left = _encode_digits(ean[1:7], _EAN13_PARITY[int(ean[0])])
        modules = GUARD + left + CENTRE + _encode_digits(ean[7:], "R" * 6) + GUARD
        guards = [(0, 3), (45, 50), (92, 95)]
        if symbology == "ean13":
            inner = ((code[1:7], 3, 45), (code[7:], 50, 92))
            return Encoded(code, symbology, modules, _guard_indices(*guards), inner, left_digit=code[0])
        guards += [(3, 10), (85, 92)]  # UPC-A: bars of the first and last digit are long too
        inner = ((code[1:6], 10, 45), (code[6:11], 50, 85))
        return Encoded(code, symbology, modules, _guard_indices(*guards), inner, code[0], code[11], True)
    if symbology == "ean8":
        modules = GUARD + _encode_digits(code[:4], "LLLL") + CENTRE + _encode_digits(code[4:], "RRRR") + GUARD
        guards = _guard_indices((0, 3), (31, 36), (64, 67))
        return Encoded(code, symbology, modules, guards, ((code[:4], 3, 31), (code[4:], 36, 64)))
    parity = _UPCE_PARITY[int(code[7])]
    if code[0] == "1":
        parity = parity.translate(str.maketrans("LG", "GL"))
    modules = GUARD + _encode_digits(code[1:7], parity) + UPCE_END
    guards = _guard_indices((0, 3), (45, 51))
    return Encoded(code, symbology, modules, guards, ((code[1:7], 3, 45),), code[0], code[7], True)


def encode_addon(digits: str) -> str:
    """Module pattern of an EAN-2 or EAN-5 add-on (printed right of the main symbol, digits above it)."""
    values = _digits(digits)
    if len(values) == 2:
        parity = _EAN2_PARITY[(values[0] * 10 + values[1]) % 4]
    elif len(values) == 5:
        parity = _EAN5_PARITY[(3 * (values[0] + values[2] + values[4]) + 9 * (values[1] + values[3])) % 10]
    else:
        raise ValueError(f"add-ons have 2 or 5 digits, got {digits!r}")
    return ADDON_START + ADDON_SEPARATOR.join(_CODES[p][v] for v, p in zip(values, parity, strict=True))
