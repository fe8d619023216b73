"""Model registry: ``model.name`` in the config picks the architecture."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from platocr.errors import PlatocrError

if TYPE_CHECKING:
    from torch import nn

    from platocr.recognition.config import Config

Builder = Callable[["Config", int], "nn.Module"]
B = TypeVar("B", bound=Builder)

_BUILDERS: dict[str, Builder] = {}


def register_model(name: str) -> Callable[[B], B]:
    """Decorator registering ``builder(cfg, num_classes) -> nn.Module`` under ``name``."""

    def decorator(builder: B) -> B:
        if name in _BUILDERS:
            raise ValueError(f"model {name!r} is registered twice")
        _BUILDERS[name] = builder
        return builder

    return decorator


def list_models() -> list[str]:
    """Registered architecture names, sorted."""
    return sorted(_BUILDERS)


def build_model(cfg: Config, num_classes: int) -> nn.Module:
    """Build ``cfg.model.name`` for ``num_classes`` CTC classes (vocab + blank), in training mode."""
    builder = _BUILDERS.get(cfg.model.name)
    if builder is None:
        raise PlatocrError(f"unknown model.name {cfg.model.name!r} (known: {', '.join(list_models())})")
    return builder(cfg, num_classes)
