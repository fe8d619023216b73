"""Kinds of barcode photo the shipped model failed on in real photos, each with its probability.

See docs/models/barcodes-ean.md, "Real photos". Every kind is drawn independently per label (per
photo for ``strong_glare``); the colour kinds (``low_contrast``, ``coloured_packaging``, ``thermal``)
exclude each other, and so do the digit-size kinds (``large_digits``, ``tiny_digits``). Every kind is
off by default, and then no random number is drawn for them, so a seed gives the same photos as before
the kinds existed (the shipped model's synthetic val set, the demo); ``--kind NAME=P`` turns them on,
``BarcodeKinds.only(name)`` forces one kind (probability 1, the others 0), e.g. for a preview or a test.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from platocr.errors import PlatocrError


@dataclass(frozen=True)
class BarcodeKinds:
    """Probability of each kind, in [0, 1]."""

    upside_down: float = 0.0  # turned 180 degrees (the box stays wider than tall)
    turned: float = 0.0  # turned 20-60 degrees (over 45: the box is taller, read as vertical)
    isbn: float = 0.0  # bookland EAN-13 (978/979) with "ISBN 978-..." above it and larger digits
    far_first_digit: float = 0.0  # first digit well outside the left guard bars
    tight_box: float = 0.0  # box cut into the first digit and the digit row (past crop's 10% pad)
    large_digits: float = 0.0  # large digits with wide spacing
    tiny_digits: float = 0.0  # small digits under the bars
    strong_glare: float = 0.0  # per photo: a strong highlight over a label's digits
    low_contrast: float = 0.0  # grey print on light paper
    coloured_packaging: float = 0.0  # dark print on saturated coloured packaging
    thermal: float = 0.0  # thermal label: grey, faded print with streaks

    def __post_init__(self) -> None:
        for f in fields(self):
            p = getattr(self, f.name)
            if not (0.0 <= p <= 1.0):  # also rejects NaN
                raise PlatocrError(f"barcode kind {f.name} must be a probability in [0, 1], got {p}")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def none(cls) -> BarcodeKinds:
        """Every kind off (the default): the photos of the same seed as before the kinds existed."""
        return cls(**dict.fromkeys(cls.names(), 0.0))

    def any_on(self) -> bool:
        return any(getattr(self, name) > 0 for name in self.names())

    @classmethod
    def only(cls, name: str) -> BarcodeKinds:
        """Kind ``name`` at probability 1, every other kind 0."""
        if name not in cls.names():
            raise PlatocrError(f"unknown barcode kind {name!r}; kinds: {', '.join(cls.names())}")
        return replace(cls.none(), **{name: 1.0})

    def with_settings(self, settings: list[str] | tuple[str, ...]) -> BarcodeKinds:
        """These kinds with ``NAME=P`` settings applied (the CLI's ``--kind``)."""
        changes: dict[str, float] = {}
        for item in settings:
            name, sep, value = item.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in self.names():
                raise PlatocrError(
                    f"--kind wants NAME=P with NAME one of {', '.join(self.names())}; got {item!r}"
                )
            try:
                changes[name] = float(value)
            except ValueError:
                raise PlatocrError(f"--kind {item!r}: {value!r} is not a number") from None
        return replace(self, **changes)

    def draw_label(self, rng: np.random.Generator) -> LabelKinds:
        """Which per-label kinds one label gets: a fixed number of draws whenever a kind is on, none
        when all are off (so the rest of the photo draws what it drew before the kinds existed)."""
        if not self.any_on():
            return LabelKinds()
        u = rng.random(8)
        colour = ""
        c = u[5]
        for name in ("low_contrast", "coloured_packaging", "thermal"):
            p = getattr(self, name)
            if c < p:
                colour = name
                break
            c -= p
        size = ""
        s = u[6]
        if s < self.large_digits:
            size = "large"
        elif s < self.large_digits + self.tiny_digits:
            size = "tiny"
        return LabelKinds(
            upside_down=bool(u[0] < self.upside_down),
            turned=bool(u[1] < self.turned),
            isbn=bool(u[2] < self.isbn),
            far_first_digit=bool(u[3] < self.far_first_digit),
            tight_box=bool(u[4] < self.tight_box),
            colour=colour,
            digit_size=size,
        )


@dataclass(frozen=True)
class LabelKinds:
    """The kinds drawn for one label."""

    upside_down: bool = False
    turned: bool = False
    isbn: bool = False
    far_first_digit: bool = False
    tight_box: bool = False
    colour: str = ""  # "", "low_contrast", "coloured_packaging" or "thermal"
    digit_size: str = ""  # "", "large" or "tiny"
