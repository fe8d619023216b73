"""Text <-> CTC label indices, and greedy CTC decoding with per-character confidences.

Index 0 is the CTC blank; vocabulary character ``i`` is class ``i + 1``. The other decoders (beam,
checksum-constrained EAN, plate-format-constrained) are in :mod:`platocr.recognition.decoding`, selected by
``Config.decode``; they reuse :meth:`Tokenizer.decode_greedy` and its confidence definitions.
Inference only: numpy in, Python values out (training turns :meth:`Tokenizer.encode`'s lists into
tensors in ``platocr.train.data``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from platocr.errors import PlatocrError
from platocr.recognition.prediction import Prediction


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

    def decode_greedy(self, log_probs: np.ndarray) -> list[Prediction]:
        """Best path decoding: argmax per frame, merge repeats, drop blanks.

        Args:
            log_probs: (B, T, C) float log-probabilities (C = ``num_classes``), e.g. the model output
                as a numpy array.

        Returns:
            B :class:`~platocr.recognition.prediction.Prediction`; a run of equal frames is one
            character whose confidence is the maximum probability over the run.
        """
        frames = as_log_probs(log_probs, self.num_classes, "decode_greedy")
        best = frames.argmax(axis=-1)  # (B, T)
        best_prob = np.exp(frames.max(axis=-1))  # (B, T)
        blank_prob = np.exp(frames[..., self.blank])  # (B, T)
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
                confidence = math.prod(confs)
            else:
                # No characters: how sure the model is that there is nothing to read.
                confidence = float(blank_prob[b].mean()) if labels else 0.0
            results.append(Prediction("".join(chars), confidence, tuple(confs)))
        return results

    @staticmethod
    def vocab_from_texts(texts: Iterable[str]) -> str:
        """Sorted unique characters of ``texts`` (the ``vocab: auto`` rule)."""
        return "".join(sorted({char for text in texts for char in text}))


def as_log_probs(log_probs: np.ndarray, num_classes: int, who: str) -> np.ndarray:
    """``log_probs`` as a (B, T, ``num_classes``) float32 numpy array; PlatocrError for another shape.

    Anything ``np.asarray`` takes will do (a CPU tensor without gradients converts without a copy).
    """
    frames = np.asarray(log_probs, dtype=np.float32)
    if frames.ndim != 3 or frames.shape[-1] != num_classes:
        raise PlatocrError(
            f"{who} expects (B, T, {num_classes}) log-probabilities, got {tuple(frames.shape)}"
        )
    return frames
