"""The files and the console summary of ``platocr audit`` (see :mod:`platocr.tools.audit`)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from platocr.errors import PlatocrError

if TYPE_CHECKING:
    from platocr.tools.audit import AuditResult

OOF_COLUMNS = ("path", "label", "predicted", "confidence", "distance", "fold")
CORRECTION_COLUMNS = ("path", "label", "suggested", "confidence", "fold")


def _write_tsv(path: Path, header: Sequence[str], lines: Sequence[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE)
        writer.writerow(header)
        writer.writerows(lines)
    return path


def write_oof_tables(result: AuditResult) -> dict[str, Path]:
    """``oof.tsv`` (every row, input order) and ``corrections.tsv`` (the ranked suspects)."""
    oof = _write_tsv(
        result.out / "oof.tsv",
        OOF_COLUMNS,
        [(r.path, r.row.text, r.predicted, f"{r.confidence:.4f}", r.distance, r.fold) for r in result.rows],
    )
    corrections = _write_tsv(
        result.out / "corrections.tsv",
        CORRECTION_COLUMNS,
        [(r.path, r.row.text, r.predicted, f"{r.confidence:.4f}", r.fold) for r in result.suspects],
    )
    return {"oof": oof, "corrections": corrections}


def write_fold_predictions(path: Path, paths: Sequence[str], predicted: Sequence[tuple[str, float]]) -> Path:
    """A fold's held-out predictions (``fold_k/predictions.tsv``): what ``--resume`` reads back."""
    lines = [(p, text, repr(confidence)) for p, (text, confidence) in zip(paths, predicted, strict=True)]
    return _write_tsv(path, ("path", "predicted", "confidence"), lines)


def read_fold_predictions(path: Path, paths: Sequence[str]) -> list[tuple[str, float]]:
    """Read :func:`write_fold_predictions` back; PlatocrError unless it holds exactly ``paths`` in order."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    if [row["path"] for row in rows] != list(paths):
        raise PlatocrError(
            f"{path}: made for other held-out rows (labels, --folds or --seed changed?); "
            "delete it to predict this fold again"
        )
    return [(row["predicted"] or "", float(row["confidence"])) for row in rows]


def write_gallery(result: AuditResult, title: str, *, limit: int) -> dict[str, Path]:
    """``suspects.html`` and ``suspects.png``: the first ``limit`` suspects, in corrections.tsv's order.

    Only the suspects: the crops one has to look at before keeping a correction. Without suspects
    the page says so and there is no PNG (an old one is removed, it would show stale suspects).
    """
    import cv2

    from platocr.recognition.prediction import Prediction
    from platocr.tools.gallery import GalleryItem, render_html, render_png

    items = [GalleryItem(r.row, Prediction(r.predicted, r.confidence)) for r in result.suspects[:limit]]
    page = result.out / "suspects.html"
    page.write_text(render_html(items, title), encoding="utf-8")
    grid = result.out / "suspects.png"
    if not items:
        grid.unlink(missing_ok=True)
        return {"gallery_html": page}
    if not cv2.imwrite(str(grid), render_png(items)):
        raise PlatocrError(f"cannot write {grid}")
    return {"gallery_html": page, "gallery_png": grid}


def print_summary(result: AuditResult, console: Console, *, top: int = 10) -> None:
    """Rich tables: rows, folds, out-of-fold metrics, suspects, files; then the top suspects."""
    m = result.metrics
    table = Table(title=f"audit {result.out}", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("rows", str(len(result.rows)))
    table.add_row("groups (plates/sources)", str(result.groups))
    table.add_row("folds (rows each)", f"{len(result.fold_sizes)} ({', '.join(map(str, result.fold_sizes))})")
    table.add_row("out-of-fold StringMatch", f"{m.string_match:.4f}")
    table.add_row("out-of-fold CER", f"{m.cer:.4f}")
    table.add_row("disagreements", str(result.disagreements))
    table.add_row(f"suspects (confidence >= {result.min_confidence:g})", str(len(result.suspects)))
    for name, path in result.files.items():
        table.add_row(name, escape(str(path)))
    console.print(table)
    if result.suspects:
        best = Table(title=f"top {min(top, len(result.suspects))} suspects (corrections.tsv)")
        for name in ("path", "label", "suggested", "confidence", "fold"):
            best.add_column(name, justify="right" if name in ("confidence", "fold") else "left")
        for r in result.suspects[:top]:
            best.add_row(
                escape(r.path), escape(r.row.text or "(empty)"), escape(r.predicted or "(empty)"),
                f"{r.confidence:.3f}", str(r.fold),
            )  # fmt: skip
        console.print(best)
