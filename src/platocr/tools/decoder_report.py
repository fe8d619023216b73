"""Every CTC decoder side by side on the same model outputs (``platocr eval --compare-decoders``).

:class:`DecoderRecorder` is handed to :meth:`Predictor.predict_with_voting` as its ``first_decoder``: it
runs every registered decoder on each batch of log-probabilities of the crops as cut (one forward pass
for all), times them, keeps their reads, and returns the primary decoder's (the extra crops of
multi-crop ``voting`` are decoded by the predictor alone, so the comparison holds the crops as cut only). :func:`compare_decoders` then scores each decoder
against the targets and against greedy (which reads it fixed, broke, or turned into NO READ).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from platocr.recognition.decoding import get_decoder, list_decoders
from platocr.recognition.metrics import text_metrics
from platocr.recognition.tokenizer import Decoded, Tokenizer


class DecoderRecorder:
    """A decoder ``(log_probs (B, T, C) numpy, tokenizer) -> list[Decoded]`` that runs all ``names``.

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
        self.decoded: dict[str, list[Decoded]] = {name: [] for name in self.names}
        self.seconds: dict[str, float] = dict.fromkeys(self.names, 0.0)

    def __call__(self, log_probs: np.ndarray, tokenizer: Tokenizer) -> list[Decoded]:
        log_probs = np.asarray(log_probs, dtype=np.float32)  # once, so no decoder is charged for a copy
        for name, decoder in self._decoders.items():
            start = time.perf_counter()
            self.decoded[name].extend(decoder(log_probs, tokenizer))
            self.seconds[name] += time.perf_counter() - start
        return self.decoded[self.primary][-len(log_probs) :]


def _versus_greedy(targets: Sequence[str], greedy: Sequence[str], other: Sequence[str]) -> dict[str, int]:
    """How a decoder changed greedy's reads of non-empty targets (counts of rows)."""
    counts = dict.fromkeys(
        ("wrong_to_right", "right_to_wrong", "wrong_to_no_read", "right_to_no_read", "wrong_to_other_wrong"),
        0,
    )
    for target, before, after in zip(targets, greedy, other, strict=True):
        if not target or before == after:
            continue
        if before == target:
            counts["right_to_no_read" if not after else "right_to_wrong"] += 1
        elif after == target:
            counts["wrong_to_right"] += 1
        else:
            counts["wrong_to_no_read" if not after else "wrong_to_other_wrong"] += 1
    return counts


def compare_decoders(targets: Sequence[str], recorder: DecoderRecorder) -> dict[str, Any]:
    """Per decoder: metrics, reads, NO READs, wrong reads, ms per crop, and changes versus greedy.

    Returns ``{decoder name: {"n", "string_match", "edit_distance", "cer", "reads", "no_reads",
    "wrong_reads", "decode_ms_per_crop", "vs_greedy": {"wrong_to_right", "right_to_wrong",
    "wrong_to_no_read", "right_to_no_read", "wrong_to_other_wrong"}}}``; ``reads`` counts non-empty
    outputs, ``no_reads`` empty outputs on non-empty targets, ``wrong_reads`` non-empty outputs that
    differ from the target (the reads a downstream system would wrongly trust).
    """
    greedy = [d.text for d in recorder.decoded["greedy"]] if "greedy" in recorder.names else None
    result: dict[str, Any] = {}
    for name in recorder.names:
        texts = [d.text for d in recorder.decoded[name]]
        entry: dict[str, Any] = dict(text_metrics(targets, texts).as_dict())
        entry["reads"] = sum(bool(t) for t in texts)
        entry["no_reads"] = sum(bool(target) and not t for target, t in zip(targets, texts, strict=True))
        entry["wrong_reads"] = sum(bool(t) and t != target for target, t in zip(targets, texts, strict=True))
        entry["decode_ms_per_crop"] = 1000 * recorder.seconds[name] / max(len(texts), 1)
        if greedy is not None and name != "greedy":
            entry["vs_greedy"] = _versus_greedy(targets, greedy, texts)
        result[name] = entry
    return result


def print_comparison(comparison: dict[str, Any], console: Console) -> None:
    """One rich table row per decoder, then what the EAN check digit did to greedy's reads."""
    table = Table(title="decoders on the same model outputs")
    table.add_column("decoder", no_wrap=True)
    for column in ("match", "CER", "reads", "wrong", "none", "fixed", "broke", "ms"):
        table.add_column(column, justify="right", no_wrap=True)
    for name, entry in comparison.items():
        vs = entry.get("vs_greedy")
        changes = (
            [str(vs["wrong_to_right"]), str(vs["right_to_wrong"] + vs["right_to_no_read"])]
            if vs
            else ["-", "-"]
        )
        table.add_row(name, f"{entry['string_match']:.3f}", f"{entry['cer']:.3f}", str(entry["reads"]),
                      str(entry["wrong_reads"]), str(entry["no_reads"]), *changes,
                      f"{entry['decode_ms_per_crop']:.2f}")  # fmt: skip
    console.print(table)
    console.print(
        "match = StringMatch; ms = decoding ms per crop; wrong = non-empty reads that differ from the target; none = NO READ on a "
        "non-empty target; fixed / broke = rows whose greedy read the decoder made right / wrong",
        style="dim",
    )
    checksum = comparison.get("checksum-ean", {}).get("vs_greedy")
    if checksum is not None:
        console.print(
            f"checksum-ean: {checksum['wrong_to_no_read']} wrong greedy reads became NO READ, "
            f"{checksum['right_to_no_read']} right reads were lost to NO READ",
            soft_wrap=True,
        )
