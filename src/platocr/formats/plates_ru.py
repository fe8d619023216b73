"""Russian licence-plate region codes and the plate alphabet (Latin look-alikes of the Cyrillic letters).

Where the region list comes from: the GIBDD region codes (MVD order No. 766 and its amendments) as
tabulated on Wikipedia, "Vehicle registration plates of Russia" / "Коды субъектов Российской Федерации",
and the regional code tables of the Russian press (e.g. RIA Novosti, Nov 2022):

- two digits: every code 01-99 has been issued (01-89 = federal subjects in constitution order,
  90-99 = extra codes: 90 Moscow Oblast, 93 Krasnodar, 95 Chechnya, 96 Sverdlovsk, 97/99 Moscow,
  98 St Petersburg, ...; 80/81/84/85/88 were retired and re-issued in 2022-2023);
- three digits: a 2-digit code prefixed by 1, 2, 5 or 7 once the 2-digit code ran out of numbers.

The 3-digit set is what lets ``platocr.data.filenames`` tell ``1165`` (116 + duplicate 5) from
``7710`` (77 + duplicate 10): a longer set is not "safer", each extra code turns a 2-digit
reading with a duplicate index into a 3-digit one.
"""

from __future__ import annotations

TWO_DIGIT_REGIONS: frozenset[str] = frozenset(f"{code:02d}" for code in range(1, 100))

# Three-digit codes with the subject they belong to (codes issued up to 2023).
THREE_DIGIT_REGIONS_BY_SUBJECT: dict[str, tuple[str, ...]] = {
    "Bashkortostan": ("102", "702"),
    "Buryatia": ("103",),
    "Komi": ("111",),
    "Mordovia": ("113",),
    "Tatarstan": ("116", "716"),
    "Chuvashia": ("121",),
    "Altai Krai": ("122",),
    "Krasnodar Krai": ("123", "193"),
    "Krasnoyarsk Krai": ("124",),
    "Primorsky Krai": ("125",),
    "Stavropol Krai": ("126",),
    "Volgograd Oblast": ("134",),
    "Voronezh Oblast": ("136",),
    "Irkutsk Oblast": ("138",),
    "Kemerovo Oblast": ("142",),
    "Leningrad Oblast": ("147",),
    "Moscow Oblast": ("150", "190", "250", "550", "750", "790"),
    "Nizhny Novgorod Oblast": ("152",),
    "Novosibirsk Oblast": ("154",),
    "Omsk Oblast": ("155",),
    "Orenburg Oblast": ("156",),
    "Perm Krai": ("159",),
    "Rostov Oblast": ("161", "761"),
    "Samara Oblast": ("163", "763"),
    "Saratov Oblast": ("164",),
    "Ulyanovsk Oblast": ("173",),
    "Chelyabinsk Oblast": ("174", "774"),
    "Moscow": ("177", "197", "199", "777", "797", "799", "977"),
    "Saint Petersburg": ("178", "198"),
    "Khanty-Mansi Autonomous Okrug": ("186",),
    "Sverdlovsk Oblast": ("196",),
}

THREE_DIGIT_REGIONS: frozenset[str] = frozenset(
    code for codes in THREE_DIGIT_REGIONS_BY_SUBJECT.values() for code in codes
)
REGION_CODES: frozenset[str] = TWO_DIGIT_REGIONS | THREE_DIGIT_REGIONS

# The 12 Cyrillic plate letters and the Latin letters platocr uses for them (same glyph).
CYRILLIC_TO_LATIN: dict[str, str] = {
    "А": "A",
    "В": "B",
    "Е": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "У": "Y",
    "Х": "X",
}
PLATE_LETTERS: str = "".join(sorted(CYRILLIC_TO_LATIN.values()))  # ABCEHKMOPTXY


def is_region_code(code: str) -> bool:
    """True for a valid 2- or 3-digit region code (``"77"``, ``"777"``); ``"00"``, ``"770"`` are not."""
    return code in REGION_CODES


def to_latin(text: str) -> str:
    """Upper-case ``text`` and map Cyrillic plate letters (either case) to their Latin look-alikes."""
    upper = text.upper()
    return "".join(CYRILLIC_TO_LATIN.get(char, char) for char in upper)
