"""``platocr audit``: find label errors with cross-fitted models (out-of-fold predictions).

The rows are dealt into K GROUPED folds (``split.deal_groups``: a plate text / source photo is never
in two folds). For each fold k a model is trained by the same function as ``platocr train`` on the
other folds (plus any ``--train-extra`` sources) in ``OUT/fold_k/``, then predicts fold k, which its
weights never saw. The held-out fold is the run's validation set, so ``metrics.csv`` shows how well
it reads unseen crops; it only steers early stopping, and the predictions come from ``last.pt``.

A row is a *suspect* when its out-of-fold prediction differs from the label with confidence >=
``min_confidence``; suspects are ranked by confidence, ties by edit distance (larger first).
Files in OUT: ``oof.tsv`` (every row), ``corrections.tsv`` (the suspects, paths as in the label
file), ``suspects.html``/``.png`` (the suspects, in that order), ``summary.json``, ``fold_k/``.
Accepting corrections: :func:`apply_corrections` (``platocr audit --apply``) with the rows one keeps.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from platocr.data.labels import LabelRow, absolute_path, open_dataset, write_label_file
from platocr.data.split import deal_groups
from platocr.errors import PlatocrError
from platocr.recognition.metrics import TextMetrics, text_metrics


@dataclass
class AuditRequest:
    """What ``platocr audit`` was asked for (see the CLI for each option)."""

    labels: Path
    out: Path
    folds: int
    config: Path | None = None
    overrides: Sequence[str] = ()
    min_confidence: float = 0.8
    train_extra: Sequence[str] = ()
    device: str = "auto"
    seed: int = 0
    resume: bool = False
    gallery_limit: int = 200
    progress: bool = True
    init: str | None = None  # weights every fold starts from (e.g. a model pretrained on synthetic data)


@dataclass(frozen=True)
class OofRow:
    """One labelled crop with the prediction of the model that did not train on it."""

    row: LabelRow
    path: str  # as written in the label file: relative to its folder
    fold: int
    predicted: str
    confidence: float

    @property
    def correct(self) -> bool:
        return self.predicted == self.row.text

    @property
    def distance(self) -> int:
        return Levenshtein.distance(self.row.text, self.predicted)


@dataclass
class AuditResult:
    out: Path
    rows: list[OofRow]
    fold_sizes: list[int]
    groups: int
    min_confidence: float
    metrics: TextMetrics
    suspects: list[OofRow]
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def disagreements(self) -> int:
        return sum(not r.correct for r in self.rows)

    def as_dict(self) -> dict:
        return {
            "rows": len(self.rows),
            "groups": self.groups,
            "folds": len(self.fold_sizes),
            "fold_sizes": self.fold_sizes,
            "oof": self.metrics.as_dict(),
            "disagreements": self.disagreements,
            "min_confidence": self.min_confidence,
            "suspects": len(self.suspects),
            "files": {name: str(path) for name, path in self.files.items()},
        }


def label_base(labels: str | Path) -> Path:
    """The folder the label file's paths are relative to (the dataset folder for a folder)."""
    labels = Path(labels)
    return absolute_path(labels if labels.is_dir() else labels.parent)


def relative_path(path: Path, base: Path) -> str:
    """``path`` as a label file in ``base`` writes it (POSIX, relative; absolute when on another drive)."""
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:
        return path.as_posix()


def make_folds(rows: Sequence[LabelRow], folds: int, seed: int = 0) -> list[list[LabelRow]]:
    """Deal ``rows`` into ``folds`` grouped folds of near-equal size; PlatocrError when impossible."""
    groups = len({row.group for row in rows})
    if folds < 2:
        raise PlatocrError(f"--folds must be at least 2, got {folds}")
    if folds > groups:
        raise PlatocrError(
            f"--folds {folds}: the data has only {groups} groups (distinct plates/sources); "
            f"use --folds {groups} or fewer"
        )
    targets = {str(k): len(rows) / folds for k in range(folds)}
    # With folds <= groups the largest-first dealing gives every fold at least one group.
    return list(deal_groups(rows, targets, seed).values())


def rank_suspects(rows: Sequence[OofRow], min_confidence: float) -> list[OofRow]:
    """Disagreements with confidence >= ``min_confidence``: most confident first, ties larger edit distance."""
    wrong = [r for r in rows if not r.correct and r.confidence >= min_confidence]
    return sorted(wrong, key=lambda r: (-r.confidence, -r.distance))


def _fold_vocab(request: AuditRequest, rows: Sequence[LabelRow]) -> str | None:
    """One vocab for all folds when the config says ``auto`` (from every label and extra source)."""
    from platocr.recognition.config import load_config
    from platocr.train.data import Source, open_sources, resolve_vocab

    cfg = load_config(request.config, request.overrides)
    if cfg.data.vocab != "auto":
        return None
    sources = [Source(str(request.labels), list(rows)), *open_sources(request.train_extra)]
    return resolve_vocab("auto", sources)


def _train_and_predict(
    request: AuditRequest, k: int, train_rows: list[LabelRow], heldout: list[LabelRow], vocab: str | None
) -> list[tuple[str, float]]:
    """Train fold ``k`` in ``OUT/fold_k`` and predict its held-out rows: [(text, confidence)].

    With ``request.resume`` a fold whose ``predictions.tsv`` exists is done (read back), one with
    only ``last.pt`` continues training.
    """
    from platocr.progress import err_console
    from platocr.recognition.predictor import Predictor
    from platocr.tools.audit_report import read_fold_predictions, write_fold_predictions
    from platocr.train import TrainRequest, train

    fold_dir = request.out / f"fold_{k}"
    cached = fold_dir / "predictions.tsv"
    if request.resume and cached.is_file():
        err_console.print(f"fold_{k}: done earlier, reading {cached}", highlight=False, soft_wrap=True)
        return read_fold_predictions(
            cached, [relative_path(row.path, absolute_path(fold_dir)) for row in heldout]
        )
    err_console.print(
        f"fold_{k} ({k + 1} of {request.folds}): training on {len(train_rows)} rows, holding out {len(heldout)}",
        highlight=False,
        soft_wrap=True,
    )
    with_source = any(row.source for row in train_rows + heldout)
    train_file = write_label_file(train_rows, fold_dir / "train.tsv", with_source=with_source)
    heldout_file = write_label_file(heldout, fold_dir / "heldout.tsv", with_source=with_source)
    train(
        TrainRequest(
            config=request.config,
            out=fold_dir,
            train=[str(train_file), *request.train_extra],
            val=str(heldout_file),
            vocab=vocab,
            overrides=list(request.overrides),
            resume=request.resume and (fold_dir / "last.pt").is_file(),
            init=request.init,
            device=request.device,
            progress=request.progress,
        )
    )
    predictor = Predictor.load(fold_dir / "last.pt", device=request.device)
    predicted = [(p.text, p.confidence) for p in predictor.predict_many([row.path for row in heldout])]
    paths = [relative_path(row.path, absolute_path(fold_dir)) for row in heldout]
    write_fold_predictions(cached, paths, predicted)
    return predicted


def run_audit(request: AuditRequest) -> AuditResult:
    """Train the K fold models, collect out-of-fold predictions, write the audit files into ``request.out``."""
    from platocr.tools.audit_report import write_gallery, write_oof_tables

    if not 0.0 <= request.min_confidence <= 1.0:
        raise PlatocrError(f"--min-confidence must be in [0, 1], got {request.min_confidence}")
    rows = open_dataset(request.labels, check_images=True)
    folds = make_folds(rows, request.folds, request.seed)
    vocab = _fold_vocab(request, rows)
    base = label_base(request.labels)
    request.out.mkdir(parents=True, exist_ok=True)

    oof: dict[int, OofRow] = {}  # id(row) -> prediction: rows may repeat a path, identity is safe
    for k, heldout in enumerate(folds):
        train_rows = [row for j, fold in enumerate(folds) if j != k for row in fold]
        predicted = _train_and_predict(request, k, train_rows, heldout, vocab)
        for row, (text, confidence) in zip(heldout, predicted, strict=True):
            oof[id(row)] = OofRow(row, relative_path(row.path, base), k, text, confidence)
    ordered = [oof[id(row)] for row in rows]  # input order
    result = AuditResult(
        out=request.out,
        rows=ordered,
        fold_sizes=[len(fold) for fold in folds],
        groups=len({row.group for row in rows}),
        min_confidence=request.min_confidence,
        metrics=text_metrics([r.row.text for r in ordered], [r.predicted for r in ordered]),
        suspects=rank_suspects(ordered, request.min_confidence),
    )
    result.files.update(write_oof_tables(result))
    title = (
        f"audit of {request.labels}: {len(result.suspects)} suspects (confidence >= "
        f"{request.min_confidence:g}) among {result.disagreements} disagreements in {len(ordered)} rows"
    )
    result.files.update(write_gallery(result, title, limit=request.gallery_limit))
    summary = request.out / "summary.json"
    result.files["summary"] = summary
    summary.write_text(json.dumps(result.as_dict(), indent=2) + "\n", encoding="utf-8")
    return result


def apply_corrections(label_file: str | Path, corrections_file: str | Path, out_file: str | Path) -> int:
    """Write ``out_file`` = ``label_file`` with ``text`` replaced by ``suggested`` for every listed path.

    ``corrections_file`` is a TSV with at least the columns ``path`` and ``suggested`` (the rows of
    ``corrections.tsv`` one kept); paths are relative to the label file's folder, as in it. Returns
    the number of rows whose text changed. A path not in the label file or listed twice is a
    PlatocrError naming the line. ``out_file`` may be ``label_file`` (written atomically).
    """
    label_file, corrections_file = Path(label_file), Path(corrections_file)
    rows = open_dataset(label_file)
    base = label_base(label_file)
    by_path: dict[Path, list[int]] = {}
    for index, row in enumerate(rows):
        by_path.setdefault(row.path, []).append(index)
    if not corrections_file.is_file():
        raise PlatocrError(f"corrections file not found: {corrections_file}")
    texts = [row.text for row in rows]
    seen: dict[Path, int] = {}
    with corrections_file.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = [name.strip().lstrip("\ufeff") for name in next(reader, [])]
        if "path" not in header or "suggested" not in header:
            raise PlatocrError(
                f"{corrections_file}:1: header must have the columns path and suggested, got {header!r}"
            )
        i_path, i_new = header.index("path"), header.index("suggested")
        for line_no, fields in enumerate(reader, start=2):
            if not fields or all(not f.strip() for f in fields):
                continue
            fields = fields + [""] * (len(header) - len(fields))  # an empty suggestion may lose its tab
            rel = fields[i_path].strip()
            path = absolute_path(base / rel)
            if path not in by_path:
                raise PlatocrError(f"{corrections_file}:{line_no}: path {rel!r} is not in {label_file}")
            if path in seen:
                raise PlatocrError(
                    f"{corrections_file}:{line_no}: path {rel!r} already listed on line {seen[path]}"
                )
            seen[path] = line_no
            for index in by_path[path]:
                texts[index] = fields[i_new].strip()
    changed = sum(new != row.text for new, row in zip(texts, rows, strict=True))
    fixed = [LabelRow(row.path, text, row.source) for row, text in zip(rows, texts, strict=True)]
    write_label_file(fixed, out_file, with_source=any(row.source for row in rows))
    return changed
