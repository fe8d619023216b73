"""Checkpoints: one ``.pt`` file holds everything needed to predict (config, vocab, weights).

Format (``format: platocr/1``)::

    {"format", "config": config_to_dict(cfg), "vocab", "git_rev", "model": state_dict, "epoch",
     "metrics", "created", "optimizer"?, "scheduler"?, "extra"?}

Files are written atomically (temporary file + ``os.replace``) so a run killed mid-save never
leaves a truncated ``last.pt`` behind.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from platocr.config import Config, apply_overrides, config_from_dict, config_to_dict
from platocr.errors import PlatocrError
from platocr.tokenizer import Tokenizer

FORMAT = "platocr/1"


@dataclass
class LoadedModel:
    """A model ready to predict (eval mode, on the requested device) with its config and tokenizer."""

    model: nn.Module
    config: Config
    tokenizer: Tokenizer
    meta: dict[str, Any] = field(default_factory=dict)  # epoch, metrics, git_rev, created, path


def git_revision() -> str | None:
    """Short git revision of the source tree this package runs from, or None outside a checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def unwrap(model: nn.Module) -> nn.Module:
    """The plain model inside a DistributedDataParallel / torch.compile wrapper."""
    while True:
        inner = getattr(model, "module", None)
        if inner is None:
            inner = getattr(model, "_orig_mod", None)
        if not isinstance(inner, nn.Module):
            return model
        model = inner


def save_checkpoint(
    path: str | Path,
    *,
    model: nn.Module,
    config: Config,
    vocab: str,
    epoch: int,
    metrics: dict,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any | None = None,
    extra: dict | None = None,
) -> None:
    """Write a checkpoint atomically; weights are saved from the unwrapped model on CPU-agnostic keys."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {
        "format": FORMAT,
        "config": config_to_dict(config),
        "vocab": vocab,
        "git_rev": git_revision(),
        "model": unwrap(model).state_dict(),
        "epoch": epoch,
        "metrics": dict(metrics),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if optimizer is not None:
        payload["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        payload["scheduler"] = scheduler.state_dict()
    if extra:
        payload["extra"] = extra
    _save_atomically(payload, path)


# What ``platocr export --set`` may change: how a model reads, not what its weights were trained for.
READING_KEYS = ("decode", "looks")


def with_reading_overrides(config: Config, overrides: Sequence[str]) -> Config:
    """``config`` with ``decode`` / ``looks.*`` overrides (``KEY=VALUE``); PlatocrError for other keys."""
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if key.split(".")[0] not in READING_KEYS:
            raise PlatocrError(
                f"--set {item!r}: an exported model may only change {' and '.join(READING_KEYS)}; "
                f"'{key}' would not fit the trained weights (retrain with it instead)"
            )
    return apply_overrides(config, overrides)


def write_slim_checkpoint(source: str | Path, out: str | Path, overrides: Sequence[str] = ()) -> int:
    """Copy a checkpoint without its optimizer, scheduler and resume state (what ships as a model),
    with :func:`with_reading_overrides` applied to its config.

    Returns:
        The size of the written file in bytes.
    """
    payload = read_checkpoint(source)
    if overrides:
        config = config_from_dict(payload["config"], where=f"{source} (config)")
        payload["config"] = config_to_dict(with_reading_overrides(config, overrides))
    slim = {key: value for key, value in payload.items() if key not in ("optimizer", "scheduler", "extra")}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _save_atomically(slim, out)
    return out.stat().st_size


def _save_atomically(payload: dict[str, Any], path: Path) -> None:
    """``torch.save`` to a temporary file beside ``path``, then rename: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    os.close(fd)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make checkpoints unreadable to others
        torch.save(payload, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The raw checkpoint dict (tensors on CPU); PlatocrError if missing, unreadable or not platocr's.

    ``path`` may also be a bundled model name (see :mod:`platocr.bundled`).
    """
    from platocr.bundled import resolve_model

    path = resolve_model(path)
    if path.suffix.lower() == ".onnx":
        raise PlatocrError(f"{path}: an ONNX export holds no training config; pass the .pt checkpoint")
    try:
        # weights_only=False: the dict also holds optimizer/RNG state; only load files you trust.
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a corrupt file
        raise PlatocrError(f"{path}: not a readable checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise PlatocrError(f"{path}: not a platocr checkpoint (expected format {FORMAT!r})")
    for key in ("config", "vocab", "model"):
        if key not in payload:
            raise PlatocrError(f"{path}: checkpoint has no {key!r} entry")
    return payload


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Rebuild the model from a checkpoint alone, in eval mode on ``device``."""
    from platocr.model import build_model

    payload = read_checkpoint(path)
    config = config_from_dict(payload["config"], where=f"{path} (config)")
    tokenizer = Tokenizer(payload["vocab"])
    model = build_model(config, tokenizer.num_classes)
    try:
        model.load_state_dict(payload["model"])
    except RuntimeError as exc:
        raise PlatocrError(f"{path}: weights do not match the model its config builds: {exc}") from None
    model.to(device).eval()
    meta = {key: payload.get(key) for key in ("epoch", "metrics", "git_rev", "created")}
    meta["path"] = str(path)
    return LoadedModel(model=model, config=config, tokenizer=tokenizer, meta=meta)
