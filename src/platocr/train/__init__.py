"""Training: data sources and mixing, augmentation, the epoch loop, distributed runs."""

from platocr.train.loop import TrainRequest, TrainResult, train

__all__ = ["TrainRequest", "TrainResult", "train"]
