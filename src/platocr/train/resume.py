"""How a run starts from earlier weights: ``--resume`` continues a run folder, ``--init`` fine-tunes."""

from __future__ import annotations

from pathlib import Path

import torch

from platocr.checkpoint import read_checkpoint
from platocr.config import Config, config_to_dict
from platocr.errors import PlatocrError


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
    payload = read_checkpoint(last)
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


def init_weights(model: torch.nn.Module, checkpoint: str) -> str:
    """Load every tensor of ``checkpoint`` whose name and shape match ``model`` (fine-tuning start).

    A different vocab changes only the head's shape, so the head starts fresh and the rest is kept.
    A conv kernel that differs only in height (the ``collapse: conv`` kernel after a change of
    ``input.height``) is resampled to the new height, so a model can be fine-tuned at a larger input.
    Raises PlatocrError when nothing matches (another architecture).
    """
    source = read_checkpoint(checkpoint)["model"]
    own = model.state_dict()
    matched = {k: v for k, v in source.items() if k in own and own[k].shape == v.shape}
    resampled = {
        k: resample_kernel_height(v, own[k].shape[2])
        for k, v in source.items()
        if k in own and k not in matched and _differs_in_height_only(v.shape, own[k].shape)
    }
    if not matched:
        raise PlatocrError(f"--init {checkpoint}: no weights match this model's architecture")
    model.load_state_dict({**matched, **resampled}, strict=False)
    fresh = len(own) - len(matched) - len(resampled)
    return (
        f"{len(matched)} of {len(own)} tensors from {checkpoint}"
        + (f", {len(resampled)} resampled to a new kernel height" if resampled else "")
        + (f", {fresh} fresh" if fresh else "")
    )


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
