"""Which shipped model a label set can be fine-tuned from.

A shipped model is a useful start when its vocabulary holds most of the characters the labels use: its
features already tell those characters apart, and fine-tuning learns in minutes on a CPU where a model
from scratch needs many more steps. The rule: the model that knows the most distinct label characters
wins (ties: the one with the fewest characters the labels never use, so its output layer fits best),
and it is used only when it knows at least ``MIN_SHARED`` of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from platocr.recognition.config import Config, config_from_dict

MIN_SHARED = 0.5  # share of the distinct label characters the init model must know
# A format-aware decoder is kept when this share of the non-empty labels is in its format: a few label
# typos should not cost it, but a label set of another kind must not be forced into the format.
MIN_FORMAT_SHARE = 0.99


@dataclass(frozen=True)
class InitModel:
    """A shipped model compared with a label set's characters."""

    name: str
    config: Config
    vocab: str
    shared: str  # label characters the model's vocab holds
    unknown: str  # label characters it does not
    format_share: float | None  # share of non-empty labels in its decoder's format; None = no format

    @property
    def share(self) -> float:
        total = len(self.shared) + len(self.unknown)
        return len(self.shared) / total if total else 0.0

    @property
    def usable(self) -> bool:
        return self.share >= MIN_SHARED

    @property
    def unused(self) -> int:
        """Characters of the model's vocab that the labels never use."""
        return len(self.vocab) - len(self.shared)

    @property
    def same_kind(self) -> bool:
        """The labels are in the format the model reads (its decoder, deskew and voting apply)."""
        return self.format_share is not None and self.format_share >= MIN_FORMAT_SHARE

    @property
    def vocab_for_labels(self) -> str:
        """The model's vocab (so its output layer carries over) plus the label characters it lacks."""
        return self.vocab + self.unknown

    def describe(self) -> str:
        total = len(self.shared) + len(self.unknown)
        return f"{self.name} knows {len(self.shared)} of the {total} label characters"


def format_checks() -> dict[str, Callable[[str], bool]]:
    """Decoder name -> the check a label must pass for that decoder to read it."""
    from platocr.recognition.decoding import is_plate_ru, is_valid_ean

    return {"checksum-ean": is_valid_ean, "plate-ru": is_plate_ru}


def format_share(texts: Iterable[str], decode: str) -> float | None:
    """Share of the non-empty ``texts`` that ``decode``'s format accepts; None for a format-free decoder."""
    check = format_checks().get(decode)
    if check is None:
        return None
    texts = [text for text in texts if text]
    return sum(1 for text in texts if check(text)) / len(texts) if texts else 0.0


def rank_shipped_models(alphabet: str, texts: Iterable[str]) -> list[InitModel]:
    """Every bundled model compared with the labels' ``alphabet``, best start first (see the module doc)."""
    from platocr.recognition.checkpoint import read_checkpoint
    from platocr.recognition.zoo import bundled_models

    texts = list(texts)
    ranked = []
    for name, path in bundled_models().items():
        payload = read_checkpoint(path)
        config = config_from_dict(payload["config"], where=f"{name} (config)")
        vocab = payload["vocab"]
        ranked.append(
            InitModel(
                name=name,
                config=config,
                vocab=vocab,
                shared="".join(c for c in alphabet if c in vocab),
                unknown="".join(c for c in alphabet if c not in vocab),
                format_share=format_share(texts, config.decode),
            )
        )
    return sorted(ranked, key=lambda m: (-len(m.shared), m.unused, m.name))


def choose_init(ranked: list[InitModel]) -> InitModel | None:
    """The first of ``ranked`` if it knows enough of the label characters, else None (from scratch)."""
    return ranked[0] if ranked and ranked[0].usable else None
