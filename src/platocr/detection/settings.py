"""The plate detector's settings, stored in its ONNX metadata, and where a detector file is found."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from platocr.errors import PlatocrError

INPUT_NAME = "frame"
OUTPUT_NAME = "plates"
DEFAULT_NAME = "plate-detector"
# the thresholds tried when one is chosen on labelled frames (train-detector, eval --thresholds)
THRESHOLD_CANDIDATES = tuple(round(0.2 + 0.05 * i, 2) for i in range(11))


@dataclass(frozen=True)
class DetectorSettings:
    """What the exported network expects and how its output is read (stored in the ONNX metadata)."""

    input_size: int = 640  # the frame's longer side is resized to this many pixels
    stride: int = 4  # input pixels per output cell
    threshold: float = 0.35  # lowest centre probability that counts as a plate
    max_plates: int = 32
    nms_iou: float = 0.4  # overlapping boxes above this IoU keep only the higher score
    second_look_size: int = 384  # input size of the close look that gives the box; 0 = one look only
    second_look_zoom: float = 5.0  # the close look's window is this many plate widths wide
    # with a plate verifier: the first look proposes plates from this score on, and ``threshold`` applies
    # to the verified score (:func:`~platocr.detection.verifier.verified_score`)
    verifier: str = ""  # the verifier's .onnx, a file name next to the detector's ("" = none)
    candidate_threshold: float = 0.15
    # a frame in which no plate is found is looked at again with its longer side at each of these sizes
    # in turn, until one finds a plate (the retries; () = none). Larger: a car photo's plate can be a few
    # cells wide at input_size; smaller: a close-up's plate can be wider than any plate the synthetic
    # frames hold; the costly 1280 last. Video leaves them out (its speed; a far car's plate is found as
    # it nears).
    retry_sizes: tuple[int, ...] = (960, 416, 1280)

    def as_metadata(self) -> dict[str, str]:
        return {f"detector.{k}": ",".join(map(str, v)) if isinstance(v, tuple) else str(v)
                for k, v in self.__dict__.items()}  # fmt: skip

    @classmethod
    def from_metadata(cls, props: dict[str, str]) -> DetectorSettings:
        kinds = {"input_size": int, "stride": int, "threshold": float, "max_plates": int, "nms_iou": float,
                 "second_look_size": int, "second_look_zoom": float, "verifier": str,
                 "candidate_threshold": float, "retry_sizes": _sizes}  # fmt: skip
        found = {k: kinds[k](props[f"detector.{k}"]) for k in kinds if f"detector.{k}" in props}
        if "detector.retry_size" in props and "retry_sizes" not in found:  # one retry, as first exported
            found["retry_sizes"] = _sizes(props["detector.retry_size"])
        return cls(**found)


def _sizes(text: str) -> tuple[int, ...]:
    """``"960,416"`` -> (960, 416); 0 or nothing means none."""
    return tuple(size for size in (int(part) for part in text.split(",") if part.strip()) if size > 0)


def resolve_detector(name_or_path: str | Path) -> Path:
    """A shipped detector name (``plate-detector``) or an ``.onnx`` path -> the file."""
    from platocr.recognition.zoo import MODELS_DIR

    path = Path(name_or_path)
    if path.suffix != ".onnx":
        shipped = MODELS_DIR / f"{name_or_path}.onnx"
        if shipped.is_file():
            return shipped
        raise PlatocrError(
            f"detector {name_or_path!r}: not a shipped detector ({DEFAULT_NAME}) nor an .onnx file"
        )
    if not path.is_file():
        raise PlatocrError(f"detector {path}: file not found")
    return path
