"""``platocr gallery``: crops with target and prediction, errors first, as a PNG grid or an HTML page.

Order: wrong predictions first, then by ascending confidence (the crops worth looking at). Wrong
characters (from the Levenshtein alignment) are drawn in red. The HTML page is self-contained:
crops are inlined as base64 JPEG at full resolution (at most :data:`MAX_INLINE` px a side), shown up to
360 px wide, and a click shows one enlarged (inline CSS and a few lines of script, nothing external).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from platocr.data.labels import LabelRow
from platocr.errors import PlatocrError
from platocr.recognition.metrics import char_errors
from platocr.recognition.prediction import Prediction
from platocr.recognition.preprocess import load_image
from platocr.tools.read import Skipped

CROP_H, CROP_W = 110, 360  # crop area of a PNG cell: large enough to read barcode digits
CELL_W, CELL_H, PAD = CROP_W + 16, CROP_H + 84, 6
FONT, FONT_SCALE = cv2.FONT_HERSHEY_SIMPLEX, 0.6
MAX_INLINE = 1600  # longest side of a crop inlined in the HTML page (crops are rarely larger)
BLACK, RED, GREY, GREEN = (20, 20, 20), (0, 0, 220), (120, 120, 120), (40, 160, 40)  # BGR


@dataclass(frozen=True)
class GalleryItem:
    row: LabelRow
    decoded: Prediction

    @property
    def correct(self) -> bool:
        return self.row.text == self.decoded.text


@dataclass(frozen=True)
class GalleryResult:
    path: Path
    total: int
    errors: int
    shown: int
    decode: str = "greedy"  # the CTC decoder the predictions came from
    skipped: list[Skipped] = field(default_factory=list)  # unreadable images, not in the gallery


def order_items(rows: Sequence[LabelRow], decoded: Sequence[Prediction]) -> list[GalleryItem]:
    """Errors first, then lowest confidence first."""
    items = [GalleryItem(row, d) for row, d in zip(rows, decoded, strict=True)]
    return sorted(items, key=lambda item: (item.correct, item.decoded.confidence))


def make_gallery(
    checkpoint: str | Path,
    labels: str | Path,
    out: str | Path,
    *,
    limit: int = 100,
    batch_size: int = 64,
    device: str = "auto",
    backend: str | None = "auto",
    decode: str | None = None,
    progress: bool = True,
) -> GalleryResult:
    """Predict every row of ``labels`` and write the first ``limit`` items to ``out`` (.png or .html).

    ``checkpoint`` is a ``.pt``, an ``.onnx`` or a bundled name, read as ``platocr eval`` reads it
    (same predictor, decoder and multi-crop ``voting``; ``backend``: :func:`platocr.tools.evaluate.load_predictor`), so
    the error count is eval's. Unreadable images are skipped and listed in the result. Example::

        make_gallery("plates-ru", "data/val.tsv", "errors.html", limit=50).errors
    """
    from platocr.tools.evaluate import load_predictor, read_rows

    out = gallery_out(out)
    predictor = load_predictor(
        checkpoint, device=device, backend=backend, decode=decode, batch_size=batch_size
    )
    reads = read_rows(predictor, labels, progress=progress)
    items = order_items(reads.rows, reads.decoded)
    errors = sum(not item.correct for item in items)
    shown = items[:limit]
    name = predictor.decode
    title = f"{Path(checkpoint).name} on {labels}: {errors} errors of {len(items)} crops ({name} decoder)"
    write_gallery(out, lambda: render_png(shown), lambda: render_html(shown, title))
    return GalleryResult(out, len(items), errors, len(shown), name, reads.skipped)


def gallery_out(out: str | Path) -> Path:
    """``out`` as a path, refused in one line (PlatocrError) unless it ends in .png or .html and can be
    written: checked before any work."""
    from platocr.outputs import check_writable_file

    out = Path(out)
    if out.suffix.lower() not in (".png", ".html"):
        raise PlatocrError(f"--out must end in .png or .html, got {out}")
    return check_writable_file(out, "--out")


def write_gallery(out: Path, grid: Callable[[], np.ndarray], page: Callable[[], str]) -> None:
    """Write ``grid()`` (BGR image) when ``out`` is a .png, else ``page()`` (HTML), creating its folder."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".png":
        if not cv2.imwrite(str(out), grid()):
            raise PlatocrError(f"cannot write {out}")
    else:
        out.write_text(page(), encoding="utf-8")


def fit_image(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Scale into height x width keeping aspect (for display), white padding right/bottom."""
    h, w = image.shape[:2]
    scale = min(height / h, width / w)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC  # small crops are enlarged
    resized = cv2.resize(
        image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interpolation
    )
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    canvas[: resized.shape[0], : resized.shape[1]] = resized
    return canvas


def _hershey(char: str) -> str:
    # Hershey fonts are ASCII only; other characters show as '?' (the HTML page shows them all).
    return char if 32 <= ord(char) < 127 else "?"


def draw_marked(canvas: np.ndarray, x: int, y: int, prefix: str, text: str, wrong: set[int]) -> None:
    """Draw ``prefix`` then ``text`` character by character, wrong positions in red."""
    cv2.putText(canvas, prefix, (x, y), FONT, FONT_SCALE, GREY, 1, cv2.LINE_AA)
    x += cv2.getTextSize(prefix, FONT, FONT_SCALE, 1)[0][0]
    if not text:
        cv2.putText(canvas, "(empty)", (x, y), FONT, FONT_SCALE, GREY, 1, cv2.LINE_AA)
        return
    for i, char in enumerate(text):
        glyph = _hershey(char)
        cv2.putText(canvas, glyph, (x, y), FONT, FONT_SCALE, RED if i in wrong else BLACK, 1, cv2.LINE_AA)
        x += cv2.getTextSize(glyph, FONT, FONT_SCALE, 1)[0][0] + 1


def _cell(item: GalleryItem) -> np.ndarray:
    cell = np.full((CELL_H, CELL_W, 3), 255, dtype=np.uint8)
    cell[PAD : PAD + CROP_H, 8 : 8 + CROP_W] = fit_image(load_image(item.row.path), CROP_H, CROP_W)
    wrong_target, wrong_pred = char_errors(item.row.text, item.decoded.text)
    y = PAD + CROP_H + 22
    draw_marked(cell, 8, y, "T: ", item.row.text, wrong_target)
    draw_marked(cell, 8, y + 24, "P: ", item.decoded.text, wrong_pred)
    status = "ok" if item.correct else "WRONG"
    cv2.putText(
        cell,
        f"{status}  conf {item.decoded.confidence:.2f}",
        (8, y + 48),
        FONT,
        FONT_SCALE * 0.9,
        GREEN if item.correct else RED,
        1,
        cv2.LINE_AA,
    )
    cv2.rectangle(cell, (1, 1), (CELL_W - 2, CELL_H - 2), GREEN if item.correct else RED, 2)
    return cell


def render_png(items: Sequence[GalleryItem], columns: int = 4) -> np.ndarray:
    """BGR grid image of the items' cells, ``columns`` per row."""
    return grid_image([_cell(item) for item in items], columns)


def grid_image(cells: Sequence[np.ndarray], columns: int = 4) -> np.ndarray:
    """BGR grid of equal-sized ``cells``, ``columns`` per row, on a light grey ground."""
    if not cells:
        raise PlatocrError("gallery: nothing to draw (no rows)")
    cell_h, cell_w = cells[0].shape[:2]
    columns = min(columns, len(cells))
    rows = -(-len(cells) // columns)
    grid = np.full((rows * cell_h, columns * cell_w, 3), 235, dtype=np.uint8)
    for i, cell in enumerate(cells):
        r, c = divmod(i, columns)
        grid[r * cell_h : (r + 1) * cell_h, c * cell_w : (c + 1) * cell_w] = cell
    return grid


def marked_html(text: str, wrong: set[int]) -> str:
    if not text:
        return '<span class="empty">(empty)</span>'
    return "".join(
        f'<span class="bad">{html.escape(ch)}</span>' if i in wrong else html.escape(ch)
        for i, ch in enumerate(text)
    )


def jpeg_base64(image: np.ndarray, name: str) -> tuple[str, int, int]:
    """``image`` (BGR) as base64 JPEG (at most MAX_INLINE px a side), with its width and height in pixels."""
    h, w = image.shape[:2]
    if max(h, w) > MAX_INLINE:
        scale = MAX_INLINE / max(h, w)
        image = cv2.resize(
            image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise PlatocrError(f"cannot encode {name} as JPEG")
    return base64.b64encode(buffer.tobytes()).decode("ascii"), w, h


STYLE = """
body { font-family: sans-serif; background: #eee; margin: 1em; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 8px; }
.card { background: #fff; padding: 6px; border: 3px solid #3a3; border-radius: 4px; }
.card.wrong { border-color: #d22; }
.card img { display: block; width: 100%; max-width: 360px; max-height: 240px; object-fit: contain;
  object-position: left; cursor: zoom-in; }
.txt { font-family: monospace; font-size: 18px; }
.bad { color: #fff; background: #d22; }
.empty, .meta { color: #888; font-size: 12px; }
#zoom { display: none; position: fixed; inset: 0; z-index: 10; background: rgba(0, 0, 0, 0.85);
  align-items: center; justify-content: center; flex-direction: column; cursor: zoom-out; }
#zoom img { width: min(95vw, 1400px); max-height: 85vh; object-fit: contain; }
#zoom div { color: #fff; font-family: monospace; font-size: 20px; margin-top: 8px; }
"""

# Click a crop: show it as large as the window allows; click or Escape closes it.
SCRIPT = """
var zoom = document.getElementById("zoom");
document.querySelectorAll(".card img").forEach(function (img) {
  img.addEventListener("click", function () {
    zoom.querySelector("img").src = img.src;
    zoom.querySelector("div").textContent = img.title;
    zoom.style.display = "flex";
  });
});
zoom.addEventListener("click", function () { zoom.style.display = "none"; });
document.addEventListener("keydown", function (e) { if (e.key === "Escape") zoom.style.display = "none"; });
"""


def render_html(items: Sequence[GalleryItem], title: str) -> str:
    """A self-contained HTML page (inline CSS, script and base64 JPEG crops); click a crop to enlarge."""
    cards = []
    for item in items:
        wrong_target, wrong_pred = char_errors(item.row.text, item.decoded.text)
        data, w, h = jpeg_base64(load_image(item.row.path), str(item.row.path))
        caption = f"T: {item.row.text or '(empty)'}   P: {item.decoded.text or '(empty)'}"
        cards.append(
            f'<div class="card{"" if item.correct else " wrong"}" title="{html.escape(str(item.row.path))}">'
            f'<img alt="crop" title="{html.escape(caption)}" src="data:image/jpeg;base64,{data}">'
            f'<div class="txt">T: {marked_html(item.row.text, wrong_target)}</div>'
            f'<div class="txt">P: {marked_html(item.decoded.text, wrong_pred)}</div>'
            f'<div class="meta">conf {item.decoded.confidence:.3f} &middot; {w}x{h} px &middot; '
            f"{html.escape(item.row.path.name)}</div>"
            "</div>"
        )
    return html_page(title, cards)


def html_page(title: str, cards: Sequence[str]) -> str:
    """The self-contained page around ``cards`` (``<div class="card">`` elements, each with an ``img``)."""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
        f'<body><h2>{html.escape(title)}</h2>\n<div class="grid">\n'
        + "\n".join(cards)
        + '\n</div>\n<div id="zoom"><img alt="crop, enlarged"><div></div></div>\n'
        + f"<script>{SCRIPT}</script></body></html>\n"
    )
