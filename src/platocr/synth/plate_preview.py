"""Contact sheet: a grid of crops, each shown at its real size (shrunk only if too big) with its label."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def write_contact_sheet(
    items: Sequence[tuple[Path, str]], out: Path, *, columns: int = 5, cell: tuple[int, int] = (320, 120)
) -> Path:
    """Write a PNG grid of ``(image path, label)`` items to ``out`` ('' label shows as ``<none>``)."""
    if not items:
        raise ValueError("no images for the contact sheet")
    cw, ch = cell
    caption = 16
    rows = (len(items) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * cw, rows * (ch + caption)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=13)
    for i, (path, label) in enumerate(items):
        x, y = (i % columns) * cw, (i // columns) * (ch + caption)
        with Image.open(path) as image:
            size = image.size
            thumb = image.convert("RGB")
        thumb.thumbnail((cw - 6, ch - 4))
        sheet.paste(thumb, (x + 3, y + 2))
        draw.text((x + 3, y + ch), f"{label or '<none>'}  {size[0]}x{size[1]}", fill="black", font=font)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out
