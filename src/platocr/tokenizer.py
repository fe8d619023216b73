"""Text <-> CTC label indices, and greedy CTC decoding with per-character confidences.

Index 0 is the CTC blank; vocabulary character ``i`` is class ``i + 1``. The other decoders (beam,
checksum-constrained EAN, plate-format-constrained) are in :mod:`platocr.decoding`, selected by
``Config.decode``; they reuse :meth:`Tokenizer.decode_greedy` and its confidence definitions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch

from platocr.errors import PlatocrError


@dataclass(frozen=True)
class Decoded:
    """One decoded string.

    ``char_confidences[i]`` is the highest probability among the frames that emitted character ``i``;
    ``confidence`` is their product, or for an empty string the mean blank probability over frames.
    """

    text: str
    confidence: float
    char_confidences: list[float]


class Tokenizer:
    """Maps a vocabulary of unique characters to CTC classes (blank = 0, ``vocab[i]`` -> ``i + 1``)."""

    blank: int = 0

    def __init__(self, vocab: str) -> None:
        if not vocab:
            raise PlatocrError("vocabulary is empty")
        duplicates = sorted({c for c in vocab if vocab.count(c) > 1})
        if duplicates:
            raise PlatocrError(f"vocabulary {vocab!r} repeats characters: {''.join(duplicates)!r}")
        self.vocab = vocab
        self.num_classes = len(vocab) + 1
        self._index = {char: i + 1 for i, char in enumerate(vocab)}

    def __repr__(self) -> str:
        return f"Tokenizer(vocab={self.vocab!r})"

    def unknown_chars(self, text: str) -> set[str]:
        """Characters of ``text`` not in the vocabulary."""
        return {char for char in text if char not in self._index}

    def encode(self, text: str) -> list[int]:
        """Class indices of ``text`` (no blanks); PlatocrError naming the characters outside the vocab."""
        unknown = self.unknown_chars(text)
        if unknown:
            raise PlatocrError(
                f"text {text!r} has characters outside the vocabulary {self.vocab!r}: {''.join(sorted(unknown))!r}"
            )
        return [self._index[char] for char in text]

    def decode_indices(self, indices: Iterable[int]) -> str:
        """Text of a label sequence (blanks skipped, no CTC collapsing)."""
        return "".join(self.vocab[i - 1] for i in indices if i != self.blank)

    def decode_greedy(self, log_probs: torch.Tensor) -> list[Decoded]:
        """Best path decoding: argmax per frame, merge repeats, drop blanks.

        Args:
            log_probs: (B, T, C) log-probabilities (C = ``num_classes``), e.g. the model output.

        Returns:
            B :class:`Decoded`; a run of equal frames is one character whose confidence is the
            maximum probability over the run.
        """
        if log_probs.dim() != 3 or log_probs.shape[-1] != self.num_classes:
            raise PlatocrError(
                f"decode_greedy expects (B, T, {self.num_classes}) log-probabilities, got {tuple(log_probs.shape)}"
            )
        best_logp, best = log_probs.detach().float().cpu().max(dim=-1)  # (B, T) each
        best_prob = best_logp.exp()
        blank_prob = log_probs.detach().float().cpu()[..., self.blank].exp()  # (B, T)
        results = []
        for b in range(best.shape[0]):
            labels, probs = best[b].tolist(), best_prob[b].tolist()
            chars: list[str] = []
            confs: list[float] = []
            previous = self.blank
            for label, prob in zip(labels, probs, strict=True):
                if label != self.blank:
                    if label != previous:
                        chars.append(self.vocab[label - 1])
                        confs.append(prob)
                    else:  # same run: keep the most confident frame
                        confs[-1] = max(confs[-1], prob)
                previous = label
            if chars:
                confidence = float(torch.tensor(confs, dtype=torch.float64).prod())
            else:
                # No characters: how sure the model is that there is nothing to read.
                confidence = float(blank_prob[b].mean()) if labels else 0.0
            results.append(Decoded("".join(chars), confidence, confs))
        return results

    @staticmethod
    def vocab_from_texts(texts: Iterable[str]) -> str:
        """Sorted unique characters of ``texts`` (the ``vocab: auto`` rule)."""
        return "".join(sorted({char for text in texts for char in text}))
