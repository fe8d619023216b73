"""Real-time video annotation: read frames, find text regions, OCR them, draw, encode.

Public API: ``run_video`` (one run, returns ``VideoStats``), ``benchmark_video`` (modes compared on a
clip), ``Region``/``parse_roi`` (regions), ``RegionSmoother`` (temporal vote), ``PlateFinder`` and
``PlateTracker`` (``--detect plate``: plates followed across frames, one settled text per track),
``StageError``.
"""

from platocr.video.annotator import run_video
from platocr.video.bench import benchmark_video
from platocr.video.pipeline import StageError
from platocr.video.plates import PlateFinder
from platocr.video.regions import Region, parse_roi
from platocr.video.smoothing import RegionSmoother
from platocr.video.stats import VideoStats
from platocr.video.tracking import PlateTracker, TrackSummary

__all__ = [
    "PlateFinder",
    "PlateTracker",
    "Region",
    "RegionSmoother",
    "StageError",
    "TrackSummary",
    "VideoStats",
    "benchmark_video",
    "parse_roi",
    "run_video",
]
