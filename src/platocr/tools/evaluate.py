"""``platocr eval``: a model on a label file -> StringMatch, edit distance, CER, confusions, speed.

The metrics are :mod:`platocr.recognition.metrics`, the same code training validates with. The crops are read
through the :class:`~platocr.recognition.predictor.Predictor` (:func:`platocr.tools.read.read_paths`), as ``platocr
read``, ``gallery`` and ``video`` read them: the preprocessing training validates with, the model's
CTC decoder (``config.decode``) or the one ``decode=`` names (:mod:`platocr.recognition.decoding`), and its
multi-crop ``voting``. An image that cannot be decoded is skipped and listed; a missing one is an error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from platocr.data.labels import LabelRow, open_dataset
from platocr.errors import PlatocrError
from platocr.recognition.metrics import (
    Confusions,
    FloorRow,
    LengthAccuracy,
    TextMetrics,
    accuracy_by_length,
    confidence_floors,
    confusions,
    text_metrics,
)
from platocr.recognition.prediction import Prediction, no_read_under
from platocr.recognition.voting import VotingRecord, VotingSummary
from platocr.tools.read import Skipped

if TYPE_CHECKING:
    from platocr.recognition.decoding import Decoder
    from platocr.recognition.predictor import Predictor
    from platocr.tools.bars_report import BarsComparison
    from platocr.tools.decoder_report import DecoderComparison


@dataclass
class EvalReport:
    """Everything ``platocr eval`` measured; ``as_dict`` is the ``--json`` content."""

    checkpoint: str
    labels: str
    metrics: TextMetrics
    by_length: list[LengthAccuracy]
    confusions: Confusions
    crops_per_s: float
    seconds: float
    out_of_vocab: int = 0  # rows whose target the model cannot produce (counted as errors)
    unknown_chars: str = ""
    decode: str = "greedy"  # the CTC decoder that produced ``decoded``
    decoder_comparison: DecoderComparison | None = None  # --compare-decoders
    voting: VotingSummary | None = None  # what the config's multi-crop voting did
    floors: list[FloorRow] = field(default_factory=list)  # metrics.confidence_floors
    rows: list[LabelRow] = field(default_factory=list)  # the rows read (skipped ones left out)
    decoded: list[Prediction] = field(default_factory=list)
    backend: str = "torch"  # "torch" or "onnx", with the device: "torch on cpu"
    skipped: list[Skipped] = field(default_factory=list)  # unreadable images, not in the metrics
    bars: BarsComparison | None = None  # --bars: digits, bars and combined side by side
    min_confidence: float = 0.0  # the model's floor, applied to ``decoded`` and the metrics

    def as_dict(self) -> dict[str, object]:
        """The ``--json`` object (the rows and reads are left out)."""
        return {
            "checkpoint": self.checkpoint,
            "labels": self.labels,
            **self.metrics.as_dict(),
            "by_length": [row.as_dict() for row in self.by_length],
            "confusions": self.confusions.as_dict(),
            "crops_per_s": self.crops_per_s,
            "seconds": self.seconds,
            "backend": self.backend,
            "out_of_vocab": self.out_of_vocab,
            "unknown_chars": self.unknown_chars,
            "decode": self.decode,
            **({"compare_decoders": self.decoder_comparison.as_dict()} if self.decoder_comparison else {}),
            **({"voting": self.voting.as_dict()} if self.voting is not None else {}),
            "min_confidence": self.min_confidence,
            "confidence_floors": [row.as_dict() for row in self.floors],
            "skipped": [{"path": skip.path, "reason": skip.reason} for skip in self.skipped],
            **({"bars": self.bars.as_dict()} if self.bars is not None else {}),
        }


class RowReads(NamedTuple):
    decoded: list[Prediction]  # one per row read, in order
    seconds: float  # end to end: read + preprocess + forward + decode (+ the extra voting crops)
    voting: (
        VotingRecord  # which rows the config's ``voting`` read from extra crops, which changed (row indices)
    )
    rows: list[LabelRow]  # the rows read: those whose image could be decoded
    skipped: list[Skipped]  # the others
    combined: list[Prediction] | None = None  # bars=True: the bars + digits read of each row read
    bars_seconds: float = 0.0  # decoding the bars and combining (not in ``seconds``)


def load_predictor(
    model: str | Path,
    *,
    device: str = "auto",
    backend: str | None = "auto",
    decode: str | None = None,
    batch_size: int = 64,
) -> Predictor:
    """The predictor eval and gallery read with: ``model`` is a checkpoint, an ``.onnx`` or a bundled name.

    ``backend="auto"`` (or None) is onnxruntime on a CPU and torch on CUDA, as ``Predictor.load``.
    A bundled name is read with its float model, not its ``.int8.onnx``: eval measures the model as
    trained (pass the int8 file's path to measure that). An unknown ``decode`` is a PlatocrError
    before the model loads.
    Example::

        predictor = load_predictor("plates-ru", decode="greedy")
    """
    from platocr.recognition.decoding import get_decoder
    from platocr.recognition.predictor import Predictor

    if decode is not None:
        get_decoder(decode)
    return Predictor.load(
        model, device=device, backend=backend or "auto", batch_size=batch_size, decode=decode, int8=False
    )


def predict_rows(
    predictor: Predictor,
    rows: Sequence[LabelRow],
    *,
    progress: bool = True,
    first_decoder: Decoder | None = None,
    bars: bool = False,
) -> RowReads:
    """Read ``rows`` with ``predictor`` (its decoder and multi-crop ``voting``); unreadable images are skipped.

    ``first_decoder`` (a :class:`~platocr.tools.decoder_report.DecoderRecorder`) decodes the crops as cut,
    so a decoder comparison holds the crops as cut only. ``bars``: also the bars + digits reads."""
    from platocr.tools.read import read_paths

    reads = read_paths(
        predictor, [row.path for row in rows], progress=progress, description="predict",
        first_decoder=first_decoder, bars=bars,
    )  # fmt: skip
    return RowReads(reads.predictions, reads.seconds, reads.voting, [rows[i] for i in reads.read], reads.skipped,
                    reads.combined if bars else None, reads.bars_seconds)  # fmt: skip


def read_rows(predictor: Predictor, labels: str | Path, **kwargs: Any) -> RowReads:
    """:func:`predict_rows` on every row of ``labels``; PlatocrError when no image could be read."""
    reads = predict_rows(predictor, open_dataset(labels, check_images=True), **kwargs)
    if not reads.rows:
        first = reads.skipped[0]
        raise PlatocrError(
            f"{labels}: no image could be read ({len(reads.skipped)} unreadable; {first.path}: {first.reason})"
        )
    return reads


def evaluate(
    checkpoint: str | Path,
    labels: str | Path,
    *,
    batch_size: int = 64,
    device: str = "auto",
    backend: str | None = "auto",
    progress: bool = True,
    decode: str | None = None,
    compare: bool = False,
    bars: bool = False,
) -> EvalReport:
    """Evaluate ``checkpoint`` (a ``.pt``, an ``.onnx`` or a bundled name) on every row of ``labels``
    (label file or dataset folder).

    ``decode`` names the CTC decoder (default: the checkpoint config's); ``compare`` also runs every
    decoder on the same outputs (``EvalReport.decoder_comparison``; crops/s then includes them all).
    ``backend``: see :func:`load_predictor`. ``bars`` also reads the bars of each crop and reports
    digits, bars and combined side by side (``EvalReport.bars``; needs zxing-cpp). Example::

        report = evaluate("plates-ru", "data/splits/cropnumbers/val.tsv", progress=False)
        report.metrics.string_match
    """
    from platocr.tools.decoder_report import DecoderRecorder, compare_decoders

    if bars:
        from platocr.recognition.bars_reader import require_bars

        require_bars()  # before the model loads
    predictor = load_predictor(
        checkpoint, device=device, backend=backend, decode=decode, batch_size=batch_size
    )
    recorder = DecoderRecorder(predictor.decode) if compare else None
    # Read without the model's confidence floor, so the floor table can show every floor; the headline
    # figures then apply the model's floor, as read and video do.
    floor, predictor.min_confidence = predictor.min_confidence, 0.0
    reads = read_rows(predictor, labels, progress=progress, first_decoder=recorder, bars=bars)
    raw, seconds, voting, rows, skipped = (
        reads.decoded,
        reads.seconds,
        reads.voting,
        reads.rows,
        reads.skipped,
    )
    decoded = no_read_under(raw, floor)
    targets = [row.text for row in rows]
    predicted = [d.text for d in decoded]
    unknown: Counter[str] = Counter()
    out_of_vocab = 0
    for text in targets:
        missing = predictor.tokenizer.unknown_chars(text)
        out_of_vocab += bool(missing)
        unknown.update(ch for ch in text if ch in missing)
    comparison = None
    if reads.combined is not None:
        from platocr.tools.bars_report import compare_reads

        comparison = compare_reads(targets, reads.combined, reads.bars_seconds)
    return EvalReport(
        checkpoint=str(checkpoint),
        labels=str(labels),
        metrics=text_metrics(targets, predicted),
        by_length=accuracy_by_length(targets, predicted),
        confusions=confusions(targets, predicted),
        crops_per_s=len(rows) / max(seconds, 1e-9),
        seconds=seconds,
        out_of_vocab=out_of_vocab,
        unknown_chars="".join(ch for ch, _ in unknown.most_common()),
        decode=predictor.decode,
        decoder_comparison=compare_decoders(targets, recorder) if recorder is not None else None,
        voting=voting.summary(targets, predicted) if predictor.config.voting.crops else None,
        floors=confidence_floors(targets, [(d.text, d.confidence) for d in raw]),
        min_confidence=floor,
        rows=rows,
        decoded=decoded,
        backend=f"{predictor.backend} on {predictor.device}",
        skipped=skipped,
        bars=comparison,
    )


def print_report(report: EvalReport, console: Console, *, top: int = 10) -> None:
    """Rich tables: summary, accuracy by length, most confused characters."""
    m = report.metrics
    summary = Table(title=f"eval {report.checkpoint} on {report.labels}", show_header=False)
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    summary.add_row("crops", str(m.n))
    summary.add_row("decoder", report.decode)
    if report.min_confidence > 0:
        summary.add_row("confidence floor", f"{report.min_confidence:g} (less confident reads: no read)")
    summary.add_row("StringMatch", f"{m.string_match:.4f}")
    summary.add_row("EditDistance (mean)", f"{m.edit_distance:.4f}")
    summary.add_row("CER", f"{m.cer:.4f}")
    summary.add_row("crops/s", f"{report.crops_per_s:.1f}")
    summary.add_row("backend", report.backend)
    if report.skipped:
        summary.add_row("skipped (unreadable)", str(len(report.skipped)))
    if report.voting is not None:
        voting = report.voting
        summary.add_row(
            "multi-crop voting",
            f"{voting.voted} crops read from extra crops too; {voting.changed} reads changed: "
            f"{voting.now_right} now right, {voting.was_right} right before (StringMatch "
            f"{voting.string_match_first_crop:.4f} with the crop as cut only)",
        )
    console.print(summary)
    if report.out_of_vocab:
        console.print(
            f"[yellow]note:[/] {report.out_of_vocab} rows have characters outside the model vocab "
            f"({escape(repr(report.unknown_chars))}); they count as errors",
            soft_wrap=True,
        )
    if report.skipped:
        console.print(f"[yellow]skipped {len(report.skipped)} unreadable images:[/]", soft_wrap=True)
        for skip in report.skipped:
            console.print(f"  {escape(skip.path)}: {escape(skip.reason)}", soft_wrap=True)
    if report.floors:
        from platocr.tools.tables import floor_table

        console.print(
            floor_table(report.floors, "reads under a confidence floor dropped (Prediction.confidence)")
        )
    if report.bars is not None:
        from platocr.tools.bars_report import print_comparison

        print_comparison(report.bars, console)
    lengths = Table(title="accuracy by text length")
    for name in ("length", "n", "StringMatch"):
        lengths.add_column(name, justify="right")
    for row in report.by_length:
        lengths.add_row(str(row.length), str(row.n), f"{row.string_match:.4f}")
    console.print(lengths)
    conf = report.confusions
    if conf.substitutions or conf.deletions or conf.insertions:
        errors = Table(title="most confused characters")
        for name in ("target -> predicted", "n", "missed", "n", "extra", "n"):
            errors.add_column(name, justify="right")
        subs = conf.substitutions.most_common(top)
        dels = conf.deletions.most_common(top)
        ins = conf.insertions.most_common(top)
        for i in range(max(len(subs), len(dels), len(ins))):
            cells: list[str] = []
            cells += (
                [f"{subs[i][0][0]!r} -> {subs[i][0][1]!r}", str(subs[i][1])] if i < len(subs) else ["", ""]
            )
            cells += [repr(dels[i][0]), str(dels[i][1])] if i < len(dels) else ["", ""]
            cells += [repr(ins[i][0]), str(ins[i][1])] if i < len(ins) else ["", ""]
            errors.add_row(*(escape(cell) for cell in cells))
        console.print(errors)
