"""Checkpoints: one ``.pt`` file holds everything needed to predict (config, vocab, weights).

Format (``format: platocr/1``)::

    {"format", "config": config_to_dict(cfg), "vocab", "git_rev", "model": state_dict, "epoch",
     "metrics", "created", "optimizer"?, "scheduler"?, "extra"?}

Files are written atomically (temporary file + ``os.replace``) so a run killed mid-save never
leaves a truncated ``last.pt`` behind.

Every file is read with ``torch.load(weights_only=True)``: a ``.pt`` is a pickle, and a crafted one
would otherwise run code when handed to eval, read or export. So everything platocr saves is made
of tensors, dicts, lists, tuples, str, int, float, bool and None (checked before writing): metrics
as Python numbers, the resume state's RNG parts as tensors (:mod:`platocr.train.rng`).
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import subprocess
import tempfile
import warnings
import zipfile
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from platocr.errors import PlatocrError
from platocr.recognition.config import (
    VOTING_ALIASES,
    Config,
    apply_overrides,
    config_from_dict,
    config_to_dict,
)
from platocr.recognition.model_meta import CheckpointPayload, ModelMeta
from platocr.recognition.tokenizer import Tokenizer

FORMAT = "platocr/1"

# What the last.pt of a run from before weights-only loading holds besides plain data (numpy's
# RNG state, numpy numbers): data, not code, but the weights-only unpickler refuses it all the same.
_MULTIARRAY = ("numpy.core.multiarray", "numpy._core.multiarray")  # numpy 1 / numpy 2
OLD_NUMPY_GLOBALS = frozenset(
    ["numpy.dtype", "numpy.ndarray"]
    + [f"{m}.{name}" for m in _MULTIARRAY for name in ("_reconstruct", "scalar")]
)
REFUSED = "refused to load"
WEIGHTS_ONLY_NOTE = "platocr loads .pt files with torch.load(weights_only=True)"


class RefusedCheckpoint(PlatocrError):
    """``torch.load(weights_only=True)`` refused the file: it names Python objects (``unsafe``)."""

    def __init__(self, path: Path, unsafe: list[str]) -> None:
        self.path, self.unsafe = path, unsafe
        if self.from_older_platocr:
            why = "it holds numpy arrays, like the last.pt of a run from an older platocr"
            hint = f"{WEIGHTS_ONLY_NOTE}: take the run's best.pt instead"
        else:
            why = "it holds Python objects a checkpoint never needs (a crafted or foreign file?)"
            hint = WEIGHTS_ONLY_NOTE
        super().__init__(f"{path}: {REFUSED}: {why}; {hint}")

    @property
    def from_older_platocr(self) -> bool:
        return bool(self.unsafe) and set(self.unsafe) <= OLD_NUMPY_GLOBALS


@dataclass
class LoadedModel:
    """A model ready to predict (eval mode, on the requested device) with its config and tokenizer."""

    model: nn.Module
    config: Config
    tokenizer: Tokenizer
    meta: ModelMeta = field(default_factory=ModelMeta)  # path, epoch, metrics, git_rev, created


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
    metrics: Mapping[str, Any],
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Write a checkpoint atomically; weights are saved from the unwrapped model on CPU-agnostic keys."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload: CheckpointPayload = {
        "format": FORMAT,
        "config": config_to_dict(config),
        "vocab": str(vocab),
        "git_rev": git_revision(),
        "model": unwrap(model).state_dict(),
        "epoch": int(epoch),
        "metrics": plain(dict(metrics)),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if optimizer is not None:
        payload["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        payload["scheduler"] = scheduler.state_dict()
    if extra:
        payload["extra"] = plain(dict(extra))
    _save_atomically(payload, path)


def plain(value: Any) -> Any:
    """``value`` with numpy scalars made Python numbers, through plain dicts, lists and tuples
    (state dicts, OrderedDicts with their ``_metadata``, are left as they are)."""
    if isinstance(value, np.generic):
        return value.item()
    if type(value) is dict:
        return {key: plain(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(plain(item) for item in value)
    return value


# What ``platocr export --set`` may change: how a model reads, not what its weights were trained for.
# (``looks.insets`` / ``looks.when``: the older names of ``voting.crops`` / ``voting.when``.)
READING_KEYS = ("decode", "voting", "min_confidence")


def with_reading_overrides(config: Config, overrides: Sequence[str]) -> Config:
    """``config`` with ``decode`` / ``voting.*`` / ``min_confidence`` overrides (``KEY=VALUE``); PlatocrError
    for other keys."""
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if VOTING_ALIASES.get(key, key).split(".")[0] not in READING_KEYS:
            raise PlatocrError(
                f"--set {item!r}: an exported model may only change {', '.join(READING_KEYS)}; "
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
    config = config_from_dict(payload["config"], where=f"{source} (config)")
    # The weights a run started from are a file on the machine that trained it, not part of the model.
    config = replace(config, train=replace(config.train, init=None))
    payload["config"] = config_to_dict(with_reading_overrides(config, overrides))
    slim = {key: value for key, value in payload.items() if key not in ("optimizer", "scheduler", "extra")}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _save_atomically(slim, out)
    return out.stat().st_size


def _save_atomically(payload: Mapping[str, object], path: Path) -> None:
    """``torch.save`` to a temporary file beside ``path``, then rename: a reader never sees half a file."""
    _refuse_objects(payload, "checkpoint")
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


def _refuse_objects(value: object, where: str) -> None:
    """TypeError unless ``value`` is made only of what ``torch.load(weights_only=True)`` reads back
    (exact types: ``np.float64`` is a float subclass the unpickler refuses)."""
    if isinstance(value, torch.Tensor) or type(value) in (str, bytes, int, float, bool, type(None)):
        return
    if type(value) in (dict, OrderedDict):
        for key, item in value.items():
            if type(key) not in (str, int):
                raise TypeError(f"{where}: key {key!r} is a {type(key).__name__}")
            _refuse_objects(item, f"{where}.{key}")
    elif type(value) in (list, tuple):
        for i, item in enumerate(value):
            _refuse_objects(item, f"{where}[{i}]")
    else:
        kind = f"{type(value).__module__}.{type(value).__qualname__}"
        raise TypeError(f"{where} is a {kind}, which torch.load(weights_only=True) would refuse")


def read_checkpoint(path: str | Path) -> CheckpointPayload:
    """The raw checkpoint dict (tensors on CPU), loaded weights-only, its four required entries checked.

    ``path`` may also be a bundled model name (see :mod:`platocr.recognition.zoo`).

    Raises:
        RefusedCheckpoint: the file holds Python objects (a crafted file, or an older run's last.pt).
        PlatocrError: missing, not a torch file, or not platocr's.
    """
    from platocr.recognition.zoo import resolve_model

    path = resolve_model(path)
    if path.suffix.lower() == ".onnx":
        raise PlatocrError(f"{path}: an ONNX export holds no training config; pass the .pt checkpoint")
    payload = _load_weights_only(path)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise PlatocrError(f"{path}: not a platocr checkpoint (expected format {FORMAT!r})")
    for key, kind in (("config", dict), ("vocab", str), ("model", dict)):
        if key not in payload:
            raise PlatocrError(f"{path}: checkpoint has no {key!r} entry")
        if not isinstance(payload[key], kind):
            raise PlatocrError(f"{path}: checkpoint entry {key!r} is not a {kind.__name__}")
    if not all(isinstance(tensor, torch.Tensor) for tensor in payload["model"].values()):
        raise PlatocrError(f"{path}: checkpoint entry 'model' holds something other than tensors")
    return cast(CheckpointPayload, payload)


def _load_weights_only(path: Path) -> Any:
    """``torch.load(path, weights_only=True)`` with one clear PlatocrError line for any failure."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notes on foreign pickles: the error says enough
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        unsafe = _unsafe_globals(path)
        if unsafe:
            raise RefusedCheckpoint(path, unsafe) from None
        raise PlatocrError(f"{path}: not a readable checkpoint: not a file torch.save writes") from None
    except OSError as exc:
        raise PlatocrError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except Exception:  # noqa: BLE001 - torch raises many types for a file that is not its own
        raise PlatocrError(f"{path}: not a readable checkpoint: {_what_it_is(path)}") from None


def _unsafe_globals(path: Path) -> list[str]:
    """The globals the file's pickle names that weights-only loading refuses (read, never run)."""
    scan = getattr(torch.serialization, "get_unsafe_globals_in_checkpoint", None)
    if scan is None:  # torch < 2.5: a torch archive the unpickler refused names some
        return ["?"] if zipfile.is_zipfile(path) else []
    try:
        return list(scan(path))
    except Exception:  # noqa: BLE001 - not a torch zip file: nothing to name
        return []


def _what_it_is(path: Path) -> str:
    with path.open("rb") as file:
        head = file.read(4)
    if not head:
        return "the file is empty"
    if head != b"PK\x03\x04":
        return "not a file torch.save writes"
    if zipfile.is_zipfile(path):
        return "a zip archive that torch.save did not write"
    return "a damaged zip archive (truncated, or an interrupted copy?)"


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
    meta = ModelMeta(path=str(path), epoch=payload.get("epoch"), git_rev=payload.get("git_rev"),
                     created=payload.get("created"), metrics=payload.get("metrics") or {})  # fmt: skip
    return LoadedModel(model=model, config=config, tokenizer=tokenizer, meta=meta)
