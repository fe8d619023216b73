"""Training: data sources and mixing, augmentation, the epoch loop, distributed runs."""

from platocr.train.loop import TrainInterrupted, TrainRequest, TrainResult, train

__all__ = ["TrainInterrupted", "TrainRequest", "TrainResult", "train"]
