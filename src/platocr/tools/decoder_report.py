"""Every CTC decoder side by side on the same model outputs (``platocr eval --compare-decoders``).

:class:`DecoderRecorder` is handed to :meth:`Predictor.predict_with_voting` as its ``first_decoder``: it
runs every registered decoder on each batch of log-probabilities of the crops as cut (one forward pass
for all), times them, keeps their reads, and returns the primary decoder's (the extra crops of
multi-crop ``voting`` are decoded by the predictor alone, so the comparison holds the crops as cut
only). :func:`compare_decoders` then scores each decoder against the targets and against greedy
(which reads it fixed, broke, or turned into NO READ): a :class:`DecoderComparison`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from rich.console import Console
from rich.table import Table

from platocr.recognition.decoding import get_decoder, list_decoders
from platocr.recognition.metrics import TextMetrics, text_metrics
from platocr.recognition.prediction import Prediction
from platocr.recognition.tokenizer import Tokenizer


class DecoderRecorder:
    """A decoder ``(log_probs (B, T, C) numpy, tokenizer) -> list[Prediction]`` that runs all ``names``.

    Attributes:
        primary: the decoder whose reads are returned.
        decoded: name -> reads of every batch so far, in order.
        seconds: name -> total decoding time.
    """

    def __init__(self, primary: str, names: Sequence[str] | None = None) -> None:
        self.names = list(names or list_decoders())
        if primary not in self.names:
            self.names.insert(0, primary)
        self.primary = primary
        self._decoders = {name: get_decoder(name) for name in self.names}
        self.decoded: dict[str, list[Prediction]] = {name: [] for name in self.names}
        self.seconds: dict[str, float] = dict.fromkeys(self.names, 0.0)

    def __call__(self, log_probs: np.ndarray, tokenizer: Tokenizer) -> list[Prediction]:
        log_probs = np.asarray(log_probs, dtype=np.float32)  # once, so no decoder is charged for a copy
        for name, decoder in self._decoders.items():
            start = time.perf_counter()
            self.decoded[name].extend(decoder(log_probs, tokenizer))
            self.seconds[name] += time.perf_counter() - start
        return self.decoded[self.primary][-len(log_probs) :]


@dataclass(frozen=True)
class VersusGreedy:
    """How a decoder changed greedy's reads of non-empty targets (counts of rows)."""

    wrong_to_right: int = 0
    right_to_wrong: int = 0
    wrong_to_no_read: int = 0
    right_to_no_read: int = 0
    wrong_to_other_wrong: int = 0


def _versus_greedy(targets: Sequence[str], greedy: Sequence[str], other: Sequence[str]) -> VersusGreedy:
    counts = Counter[str]()
    for target, before, after in zip(targets, greedy, other, strict=True):
        if not target or before == after:
            continue
        if before == target:
            counts["right_to_no_read" if not after else "right_to_wrong"] += 1
        elif after == target:
            counts["wrong_to_right"] += 1
        else:
            counts["wrong_to_no_read" if not after else "wrong_to_other_wrong"] += 1
    return VersusGreedy(**counts)


@dataclass(frozen=True)
class DecoderScore:
    """One decoder on the crops as cut: its :class:`TextMetrics`; ``reads`` counts non-empty outputs,
    ``no_reads`` empty outputs on non-empty targets, ``wrong_reads`` non-empty outputs that differ from
    the target (the reads a downstream system would wrongly trust); ``vs_greedy`` is None for greedy."""

    metrics: TextMetrics
    reads: int
    no_reads: int
    wrong_reads: int
    decode_ms_per_crop: float
    vs_greedy: VersusGreedy | None = None

    def as_dict(self) -> dict[str, object]:
        """The metrics' keys (``n``, ``string_match``, ...) flat beside the counts, as ``--json`` had them."""
        entry: dict[str, object] = {
            **self.metrics.as_dict(),
            "reads": self.reads,
            "no_reads": self.no_reads,
            "wrong_reads": self.wrong_reads,
            "decode_ms_per_crop": self.decode_ms_per_crop,
        }
        if self.vs_greedy is not None:
            entry["vs_greedy"] = asdict(self.vs_greedy)
        return entry


@dataclass(frozen=True)
class DecoderComparison:
    """Every decoder's :class:`DecoderScore`, by name, in the order they ran (``eval --compare-decoders``)."""

    scores: dict[str, DecoderScore]

    def as_dict(self) -> dict[str, dict[str, object]]:
        return {name: score.as_dict() for name, score in self.scores.items()}


def compare_decoders(targets: Sequence[str], recorder: DecoderRecorder) -> DecoderComparison:
    """Per decoder: metrics, reads, NO READs, wrong reads, ms per crop, and changes versus greedy."""
    greedy = [d.text for d in recorder.decoded["greedy"]] if "greedy" in recorder.names else None
    scores: dict[str, DecoderScore] = {}
    for name in recorder.names:
        texts = [d.text for d in recorder.decoded[name]]
        pairs = list(zip(targets, texts, strict=True))
        versus = _versus_greedy(targets, greedy, texts) if greedy is not None and name != "greedy" else None
        scores[name] = DecoderScore(
            metrics=text_metrics(targets, texts),
            reads=sum(bool(t) for t in texts),
            no_reads=sum(bool(target) and not t for target, t in pairs),
            wrong_reads=sum(bool(t) and t != target for target, t in pairs),
            decode_ms_per_crop=1000 * recorder.seconds[name] / max(len(texts), 1),
            vs_greedy=versus,
        )
    return DecoderComparison(scores)


def print_comparison(comparison: DecoderComparison, console: Console) -> None:
    """One rich table row per decoder, then what the EAN check digit did to greedy's reads."""
    table = Table(title="decoders on the same model outputs")
    table.add_column("decoder", no_wrap=True)
    for column in ("match", "CER", "reads", "wrong", "none", "fixed", "broke", "ms"):
        table.add_column(column, justify="right", no_wrap=True)
    for name, score in comparison.scores.items():
        vs = score.vs_greedy
        changes = [str(vs.wrong_to_right), str(vs.right_to_wrong + vs.right_to_no_read)] if vs else ["-", "-"]
        table.add_row(name, f"{score.metrics.string_match:.3f}", f"{score.metrics.cer:.3f}", str(score.reads),
                      str(score.wrong_reads), str(score.no_reads), *changes,
                      f"{score.decode_ms_per_crop:.2f}")  # fmt: skip
    console.print(table)
    console.print(
        "match = StringMatch; ms = decoding ms per crop; wrong = non-empty reads that differ from the target; none = NO READ on a "
        "non-empty target; fixed / broke = rows whose greedy read the decoder made right / wrong",
        style="dim",
    )
    checksum = comparison.scores.get("checksum-ean")
    if checksum is not None and checksum.vs_greedy is not None:
        console.print(
            f"checksum-ean: {checksum.vs_greedy.wrong_to_no_read} wrong greedy reads became NO READ, "
            f"{checksum.vs_greedy.right_to_no_read} right reads were lost to NO READ",
            soft_wrap=True,
        )
