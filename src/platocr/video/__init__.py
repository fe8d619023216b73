"""Real-time video annotation: read frames, find text regions, OCR them, draw, encode.

Public API: ``run_video`` (one run, returns stats), ``benchmark_video`` (modes compared on a clip),
``Region``/``parse_roi`` (regions), ``RegionSmoother`` (temporal vote), ``StageError``.
"""

from platocr.video.annotator import run_video
from platocr.video.bench import benchmark_video
from platocr.video.pipeline import StageError
from platocr.video.regions import Region, parse_roi
from platocr.video.smoothing import RegionSmoother

__all__ = ["Region", "RegionSmoother", "StageError", "benchmark_video", "parse_roi", "run_video"]
