"""Recognition models: a registry keyed by ``model.name`` and the CRNN (timm backbone + BiRNN + CTC head)."""

from platocr.model import backbones as _backbones  # noqa: F401  registers platocr_vgg_* with timm
from platocr.model import crnn as _crnn  # noqa: F401  registers "crnn"
from platocr.model.crnn import CRNN
from platocr.model.registry import build_model, list_models, register_model

__all__ = ["CRNN", "build_model", "list_models", "register_model"]
