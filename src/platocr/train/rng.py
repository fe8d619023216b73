"""Seeding and the random-generator state a resumed run restores.

The state is stored in ``last.pt`` in types ``torch.load(weights_only=True)`` accepts::

    {"python": {"version": int, "state": int64 tensor (625,), "gauss_next": float | None},
     "numpy": {"algorithm": "MT19937", "keys": int64 tensor (624,), "pos": int, "has_gauss": int,
               "cached_gaussian": float},
     "torch": uint8 tensor, "cuda"?: [uint8 tensor, ...]}

(``random.getstate()`` is a tuple of Python ints and numpy's holds an ndarray: both are turned into
tensors here and back on restore; the 32-bit words fit an int64 tensor exactly.)
"""

from __future__ import annotations

import random
from typing import TypedDict

import numpy as np
import torch

from platocr.errors import PlatocrError


class PythonState(TypedDict):
    version: int
    state: torch.Tensor  # int64 (625,)
    gauss_next: float | None


class NumpyState(TypedDict):
    algorithm: str  # "MT19937"
    keys: torch.Tensor  # int64 (624,)
    pos: int
    has_gauss: int
    cached_gaussian: float


class RngState(TypedDict, total=False):
    """What :func:`rng_state` returns. Dicts, not dataclasses: the state is saved in ``last.pt``, and
    ``torch.load(weights_only=True)`` reads back plain containers only."""

    python: PythonState
    numpy: NumpyState
    torch: torch.Tensor  # uint8
    cuda: list[torch.Tensor]  # one uint8 tensor per device


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (CPU and CUDA) generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> RngState:
    """Every generator's state in plain types and tensors (see the module doc)."""
    version, words, gauss_next = random.getstate()
    algorithm, keys, pos, has_gauss, cached_gaussian = np.random.get_state(legacy=True)
    state: RngState = {
        "python": {
            "version": int(version),
            "state": torch.tensor(words, dtype=torch.int64),
            "gauss_next": None if gauss_next is None else float(gauss_next),
        },
        "numpy": {
            "algorithm": str(algorithm),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: RngState | None) -> None:
    """Put back what :func:`rng_state` saved (missing parts are left as they are); ``state`` comes
    from a file, so its form is checked as it is used.

    Raises:
        PlatocrError: a part is not in the form :func:`rng_state` writes.
    """
    if not state:
        return
    try:
        if "python" in state:
            python = state["python"]
            words = tuple(int(word) for word in python["state"].tolist())
            random.setstate((int(python["version"]), words, python["gauss_next"]))
        if "numpy" in state:
            numpy = state["numpy"]
            keys = np.asarray(numpy["keys"].numpy(), dtype=np.uint32)
            np.random.set_state(
                (numpy["algorithm"], keys, numpy["pos"], numpy["has_gauss"], numpy["cached_gaussian"])
            )
        if "torch" in state:
            torch.set_rng_state(state["torch"])
    except (AttributeError, KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise PlatocrError(
            f"--resume: the random-generator state in last.pt is not in the form platocr writes ({exc})"
        ) from None
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
