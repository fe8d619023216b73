"""``platocr eval``: a checkpoint on a label file -> StringMatch, edit distance, CER, confusions, speed.

The metrics are :mod:`platocr.metrics`, the same code training validates with; the crops go through
the same loader and preprocessing as validation (:func:`platocr.train.steps.predict_loader`), then
the checkpoint's CTC decoder (``config.decode``) or the one ``decode=`` names (:mod:`platocr.decoding`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from platocr.checkpoint import LoadedModel, load_checkpoint
from platocr.data.labels import LabelRow, open_dataset
from platocr.looks import LookRecord, look_again
from platocr.metrics import (
    Confusions,
    TextMetrics,
    accuracy_by_length,
    confidence_floors,
    confusions,
    text_metrics,
)
from platocr.tokenizer import Decoded


@dataclass
class EvalReport:
    """Everything ``platocr eval`` measured; ``as_dict`` is the ``--json`` content."""

    checkpoint: str
    labels: str
    metrics: TextMetrics
    by_length: list[dict[str, Any]]
    confusions: Confusions
    crops_per_s: float
    seconds: float
    out_of_vocab: int = 0  # rows whose target the model cannot produce (counted as errors)
    unknown_chars: str = ""
    decode: str = "greedy"  # the CTC decoder that produced ``decoded``
    decoder_comparison: dict[str, Any] | None = None  # --compare-decoders: decoder_report.compare_decoders
    looks: dict[str, Any] | None = None  # config looks: LookRecord.summary
    floors: list[dict[str, Any]] = field(default_factory=list)  # metrics.confidence_floors
    rows: list[LabelRow] = field(default_factory=list)
    decoded: list[Decoded] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "checkpoint": self.checkpoint,
            "labels": self.labels,
            **self.metrics.as_dict(),
            "by_length": self.by_length,
            "confusions": self.confusions.as_dict(),
            "crops_per_s": self.crops_per_s,
            "seconds": self.seconds,
            "out_of_vocab": self.out_of_vocab,
            "unknown_chars": self.unknown_chars,
            "decode": self.decode,
            **({"compare_decoders": self.decoder_comparison} if self.decoder_comparison is not None else {}),
            **({"looks": self.looks} if self.looks is not None else {}),
            "confidence_floors": self.floors,
        }


class RowReads(NamedTuple):
    decoded: list[Decoded]  # one per row, in order
    seconds: float  # end to end: read + preprocess + forward + decode (+ the other looks)
    look: LookRecord  # which rows the config's ``looks`` read again, which changed


def predict_rows(
    loaded: LoadedModel,
    rows: Sequence[LabelRow],
    *,
    batch_size: int = 64,
    progress: bool = True,
    decode: Callable[[Any, Any], list[Decoded]] | None = None,
) -> RowReads:
    """Predictions for ``rows`` (``decode`` = a :mod:`platocr.decoding` decoder, default greedy), then
    the config's ``looks`` (more cuts of the rows, whose reads vote), as the predictor does.

    A ``decode`` with a ``primary_decoder`` (:class:`~platocr.decoder_report.DecoderRecorder`) re-reads
    with that one, so the comparison holds first looks only."""
    import time

    import torch

    from platocr.decoding import decode_greedy
    from platocr.predictor import torch_forward
    from platocr.preprocess import load_image, to_model_input
    from platocr.progress import make_progress
    from platocr.train.augment import resize_only
    from platocr.train.data import CropDataset
    from platocr.train.prepare import make_loader
    from platocr.train.steps import Precision, predict_loader

    device = next(loaded.model.parameters()).device
    dataset = CropDataset(rows, resize_only(loaded.config.input), loaded.tokenizer)
    loader = make_loader(dataset, batch_size=batch_size, num_workers=0, pin_memory=device.type == "cuda")
    precision = Precision(device, amp=loaded.config.train.amp and device.type == "cuda")
    with make_progress(enabled=progress) as bar:
        task = bar.add_task("predict", total=len(rows))
        with torch.inference_mode():
            preds = predict_loader(
                loaded.model, loader, loaded.tokenizer, precision, lambda n: bar.update(task, advance=n),
                decode=decode,
            )  # fmt: skip
    start = time.perf_counter()
    plain = getattr(decode, "primary_decoder", None) or decode or decode_greedy

    def read(crops: list[np.ndarray]) -> list[Decoded]:  # only called when there is something to look at
        forward = torch_forward(loaded.model, str(device))
        return [
            d
            for start in range(0, len(crops), batch_size)
            for d in plain(
                forward(to_model_input(crops[start : start + batch_size], loaded.config.input, rgb=False)),
                loaded.tokenizer,
            )
        ]

    decoded, look = look_again(lambda i: load_image(rows[i].path), preds.decoded, loaded.config.looks, read)
    return RowReads(decoded, preds.seconds + time.perf_counter() - start, look)


def load_with_decoder(checkpoint: str | Path, device: str, decode: str | None) -> tuple[LoadedModel, str]:
    """Load ``checkpoint`` on ``device`` and name its CTC decoder: ``decode``, else the config's.

    An unknown ``decode`` is a PlatocrError before the model loads (eval and gallery share this).
    """
    from platocr.decoding import get_decoder
    from platocr.train.ddp import pick_device

    if decode is not None:
        get_decoder(decode)
    loaded = load_checkpoint(checkpoint, pick_device(device))
    return loaded, decode or loaded.config.decode


def evaluate(
    checkpoint: str | Path,
    labels: str | Path,
    *,
    batch_size: int = 64,
    device: str = "auto",
    progress: bool = True,
    decode: str | None = None,
    compare: bool = False,
) -> EvalReport:
    """Evaluate ``checkpoint`` on every row of ``labels`` (label file or dataset folder).

    ``decode`` names the CTC decoder (default: the checkpoint config's); ``compare`` also runs every
    decoder on the same outputs (``EvalReport.decoder_comparison``; crops/s then includes them all).
    """
    from platocr.decoder_report import DecoderRecorder, compare_decoders
    from platocr.decoding import get_decoder

    loaded, name = load_with_decoder(checkpoint, device, decode)
    decoder = DecoderRecorder(name) if compare else get_decoder(name)
    rows = open_dataset(labels, check_images=True)
    decoded, seconds, look = predict_rows(
        loaded, rows, batch_size=batch_size, progress=progress, decode=decoder
    )
    targets = [row.text for row in rows]
    predicted = [d.text for d in decoded]
    unknown: Counter[str] = Counter()
    out_of_vocab = 0
    for text in targets:
        missing = loaded.tokenizer.unknown_chars(text)
        out_of_vocab += bool(missing)
        unknown.update(ch for ch in text if ch in missing)
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
        decode=name,
        decoder_comparison=compare_decoders(targets, decoder) if compare else None,  # type: ignore[arg-type]
        looks=look.summary(targets, predicted) if loaded.config.looks.insets else None,
        floors=confidence_floors(targets, [(d.text, d.confidence) for d in decoded]),
        rows=rows,
        decoded=decoded,
    )


def print_report(report: EvalReport, console: Console, *, top: int = 10) -> None:
    """Rich tables: summary, accuracy by length, most confused characters."""
    m = report.metrics
    summary = Table(title=f"eval {report.checkpoint} on {report.labels}", show_header=False)
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    summary.add_row("crops", str(m.n))
    summary.add_row("decoder", report.decode)
    summary.add_row("StringMatch", f"{m.string_match:.4f}")
    summary.add_row("EditDistance (mean)", f"{m.edit_distance:.4f}")
    summary.add_row("CER", f"{m.cer:.4f}")
    summary.add_row("crops/s", f"{report.crops_per_s:.1f}")
    if report.looks is not None:
        look = report.looks
        summary.add_row(
            "looks",
            f"{look['looked']} crops looked at again; {look['changed']} reads changed: {look['now_right']} "
            f"now right, {look['was_right']} right before (StringMatch {look['string_match_first_look']:.4f} "
            "with the first look only)",
        )
    console.print(summary)
    if report.out_of_vocab:
        console.print(
            f"[yellow]note:[/] {report.out_of_vocab} rows have characters outside the model vocab "
            f"({escape(repr(report.unknown_chars))}); they count as errors",
            soft_wrap=True,
        )
    if report.floors:
        floors = Table(title="reads under a confidence floor dropped (Prediction.confidence)")
        for name in ("floor", "StringMatch", "wrong reads", "no reads"):
            floors.add_column(name, justify="right")
        for row in report.floors:
            floors.add_row(
                f"{row['floor']:g}", f"{row['string_match']:.4f}", str(row["wrong"]), str(row["no_read"])
            )
        console.print(floors)
    lengths = Table(title="accuracy by text length")
    for name in ("length", "n", "StringMatch"):
        lengths.add_column(name, justify="right")
    for row in report.by_length:
        lengths.add_row(str(row["length"]), str(row["n"]), f"{row['string_match']:.4f}")
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
