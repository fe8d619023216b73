"""What a checkpoint holds, and where a model's weights come from as a checkpoint and an ONNX export
both carry it. Types only: importing this module imports neither torch nor onnx."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Required, TypedDict

if TYPE_CHECKING:
    import torch

# The part an ONNX export keeps of its checkpoint (``platocr.source``), in this key order.
SOURCE_KEYS = ("path", "epoch", "git_rev", "created")


@dataclass(frozen=True)
class ModelMeta:
    """A model's provenance.

    ``path``: the checkpoint it was loaded or exported from (None: built in memory); ``epoch``,
    ``git_rev`` and ``created`` (ISO time) as the checkpoint saved them (None when it did not);
    ``metrics``: the validation figures saved with a checkpoint (an ONNX file keeps none);
    ``precision``: ``float32``, or ``int8`` for a quantised ONNX file.
    """

    path: str | None = None
    epoch: int | None = None
    git_rev: str | None = None
    created: str | None = None
    metrics: Mapping[str, object] = field(default_factory=dict)
    precision: str = "float32"

    def source_json(self) -> str:
        """The ``platocr.source`` metadata an export writes: ``{"path", "epoch", "git_rev", "created"}``."""
        return json.dumps({key: getattr(self, key) for key in SOURCE_KEYS})

    @classmethod
    def from_source_json(cls, text: str, precision: str = "float32") -> ModelMeta:
        """The inverse of :meth:`source_json` (unknown keys ignored, missing ones None)."""
        source = json.loads(text)
        if not isinstance(source, dict):
            raise ValueError(f"platocr.source is not a JSON object: {text[:60]!r}")
        return cls(**{key: source.get(key) for key in SOURCE_KEYS}, precision=precision)


class CheckpointPayload(TypedDict, total=False):
    """What a ``.pt`` holds (see :mod:`platocr.recognition.checkpoint`). A plain dict on purpose: ``torch.load(weights_only=True)``
    reads back only plain containers, tensors and Python scalars, never a class of ours."""

    format: Required[str]
    config: Required[dict[str, object]]  # config_to_dict: the YAML sections
    vocab: Required[str]
    model: Required[dict[str, torch.Tensor]]  # the state dict
    git_rev: str | None
    epoch: int
    metrics: dict[str, object]  # the epoch's validation row
    created: str
    optimizer: dict[str, object]  # torch's own state dicts: resume only
    scheduler: dict[str, object]
    extra: dict[str, object]  # resume state: run_state, rng (platocr.train.rng), scaler, ema
