"""How a run starts from earlier weights: ``--resume`` continues a run folder, ``--init`` fine-tunes."""

from __future__ import annotations

from pathlib import Path

import torch

from platocr.errors import PlatocrError
from platocr.recognition.checkpoint import RefusedCheckpoint, read_checkpoint
from platocr.recognition.config import Config, config_to_dict
from platocr.recognition.tokenizer import Tokenizer


def resume_payload(out: Path, resume: bool, cfg: Config) -> dict | None:
    """``--resume``: the run's ``last.pt`` when its input/model/vocab fit ``cfg``; without it, None
    (refusing an ``out`` that already holds a run, which would be overwritten)."""
    last = out / "last.pt"
    if not resume:
        if last.exists():
            raise PlatocrError(f"{out} already holds a run: pass --resume to continue it, or another --out")
        return None
    if not last.is_file():
        raise PlatocrError(f"--resume: no {last} to continue from")
    try:
        payload = read_checkpoint(last)
    except RefusedCheckpoint as exc:
        if not exc.from_older_platocr:
            raise
        # A trusted folder, but no flag to load it unsafely: one code path, and best.pt still loads.
        raise PlatocrError(
            f"--resume: {last} comes from an older platocr whose resume state (numpy arrays) no longer "
            "loads: platocr reads .pt files with torch.load(weights_only=True); start a new run from "
            f"its weights instead: --init {out / 'best.pt'}"
        ) from None
    for key in ("optimizer", "scheduler"):
        if key not in payload:
            raise PlatocrError(
                f"--resume: {last} holds no {key} state (a slim checkpoint?); start a new run with --init"
            )
    wanted = config_to_dict(cfg)
    for section in ("input", "model"):
        if payload["config"][section] != wanted[section]:
            raise PlatocrError(
                f"--resume: the '{section}' section differs from the run in {out} "
                f"({payload['config'][section]} vs {wanted[section]}); the weights would not fit"
            )
    if cfg.data.vocab not in ("auto", payload["vocab"]):
        raise PlatocrError(f"--resume: vocab {cfg.data.vocab!r} differs from the run's {payload['vocab']!r}")
    return payload


def init_weights(model: torch.nn.Module, checkpoint: str, vocab: str | None = None) -> str:
    """Load every tensor of ``checkpoint`` whose name and shape match ``model`` (fine-tuning start).

    Under another ``vocab`` the classifier keeps the rows of the CTC blank and of every character
    both vocabularies share (moved to the character's new class); only new characters start fresh.
    A conv kernel that differs only in height (the ``collapse: conv`` kernel after a change of
    ``input.height``) is resampled to the new height, so a model can be fine-tuned at a larger input.
    Returns the line telling what was kept. Raises PlatocrError when nothing matches (another
    architecture).
    """
    payload = read_checkpoint(checkpoint)
    source, source_vocab = payload["model"], str(payload["vocab"])
    own = model.state_dict()
    head = _class_tensors(model, len(vocab) + 1) if vocab is not None and vocab != source_vocab else set()
    matched = {k: v for k, v in source.items() if k in own and k not in head and own[k].shape == v.shape}
    resampled = {
        k: resample_kernel_height(v, own[k].shape[2])
        for k, v in source.items()
        if k in own and k not in matched and _differs_in_height_only(v.shape, own[k].shape)
    }
    carried = {
        k: _carry_rows(source[k], own[k], source_vocab, vocab)
        for k in head
        if k in source and source[k].shape[1:] == own[k].shape[1:]
    }
    if not matched:
        raise PlatocrError(f"--init {checkpoint}: no weights match this model's architecture")
    model.load_state_dict({**matched, **resampled, **carried}, strict=False)
    fresh = len(own) - len(matched) - len(resampled) - len(carried)
    note = (
        f"{len(matched)} of {len(own)} tensors from {checkpoint}"
        + (f", {len(resampled)} resampled to a new kernel height" if resampled else "")
        + (f", {fresh} fresh" if fresh else "")
    )
    if carried and vocab is not None:
        note += "; " + _head_note(source_vocab, vocab)
    return note


def _class_tensors(model: torch.nn.Module, num_classes: int) -> set[str]:
    """State-dict names of the classifier: the last Linear with one output per class."""
    heads = [
        name
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and module.out_features == num_classes
    ]
    if not heads:
        return set()
    prefix = f"{heads[-1]}." if heads[-1] else ""
    return {f"{prefix}{name}" for name, _ in model.get_submodule(heads[-1]).named_parameters()}


def _carry_rows(source: torch.Tensor, own: torch.Tensor, source_vocab: str, vocab: str) -> torch.Tensor:
    """``own`` (fresh rows) with the blank's and each shared character's row taken from ``source``.

    Class 0 is the CTC blank and character ``vocab[i]`` is class ``i + 1`` (:class:`Tokenizer`).
    """
    rows = own.clone()
    rows[Tokenizer.blank] = source[Tokenizer.blank]
    old = {char: i + 1 for i, char in enumerate(source_vocab)}
    for i, char in enumerate(vocab):
        if char in old:
            rows[i + 1] = source[old[char]]
    return rows


def _head_note(source_vocab: str, vocab: str) -> str:
    """``head: blank + 10 of 12 characters carried (0-9), 2 new (ab)``."""
    shared = "".join(char for char in vocab if char in source_vocab)
    new = "".join(char for char in vocab if char not in source_vocab)
    note = f"head: blank + {len(shared)} of {len(vocab)} characters carried"
    note += f" ({char_ranges(shared)})" if shared else ""
    note += f", {len(new)} new ({char_ranges(new)})" if new else ""
    return note


def char_ranges(chars: str) -> str:
    """Runs of 4+ consecutive code points written as ``first-last``: ``0123456789ABC`` -> ``0-9ABC``."""
    parts: list[str] = []
    i = 0
    while i < len(chars):
        j = i
        while j + 1 < len(chars) and ord(chars[j + 1]) == ord(chars[j]) + 1:
            j += 1
        parts.append(f"{chars[i]}-{chars[j]}" if j - i >= 3 else chars[i : j + 1])
        i = j + 1
    return "".join(parts)


def _differs_in_height_only(a: torch.Size, b: torch.Size) -> bool:
    return len(a) == len(b) == 4 and a[2] != b[2] and (a[:2], a[3]) == (b[:2], b[3])


def resample_kernel_height(weight: torch.Tensor, height: int) -> torch.Tensor:
    """(O, I, h, w) conv kernel -> (O, I, height, w), linearly resampled along h.

    Scaled by h / height: the kernel now sums ``height`` rows of a feature map that covers what ``h``
    rows covered before, so a constant input column gives about the same response (exactly the same
    when going from 2 rows to 3, the 32 -> 48 pixel case).
    """
    out, inp, h, w = weight.shape
    flat = weight.permute(0, 1, 3, 2).reshape(out * inp * w, 1, h)
    if h == 1:
        stretched = flat.expand(-1, -1, height)
    else:
        stretched = torch.nn.functional.interpolate(flat, size=height, mode="linear", align_corners=True)
    return (stretched * (h / height)).reshape(out, inp, w, height).permute(0, 1, 3, 2).contiguous()
