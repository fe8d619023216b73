"""The demo's probe step: the input size (and time_stride) at which configs/quick.yaml trains on barcodes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from platocr.config import Config
from platocr.probe import MIN_FRAMES_PER_CHAR, ProbeReport, run_probe

# Barcode crops need 64 px of height: at quick.yaml's 32 the digits under the bars end up ~5 px tall.
PROBE_HEIGHT = 64


def probe_training_input(
    labels: Path, cfg: Config, overrides: Sequence[str], backbones: Sequence[str], device: str | None
) -> tuple[ProbeReport, list[str]]:
    """Probe ``labels`` (at ``PROBE_HEIGHT`` unless ``overrides`` set ``input.height``; ``backbones``
    () = the config's) and return the report with the config overrides training should use."""
    user_height = any(o.replace(" ", "").startswith("input.height=") for o in overrides)
    # The height is always given: left out, the probe would take the fine-tune start's.
    report = run_probe(
        labels, cfg, backbones=list(backbones) or [cfg.model.backbone], runs=1, device=device,
        batch_sizes=(1, 8), height=cfg.input.height if user_height else PROBE_HEIGHT,
    )  # fmt: skip
    return report, input_overrides(report, cfg)


def input_overrides(report: ProbeReport, cfg: Config) -> list[str]:
    """The probe's recommended input size as config overrides, plus ``model.time_stride`` when the
    config's own would leave T / max_text_len below the probe's minimum at that width. The stride is
    the probe's fitting candidate at the config's feature stage (if none fits there, the fitting one
    with the fewest multiply-adds)."""
    height, width = report.input_size
    overrides = [f"input.height={height}", f"input.width={width}"]
    stage = cfg.model.feature_stage
    fitting = [c for c in report.candidates if c.fits]
    cheapest = min(fitting, key=lambda c: c.macs) if fitting else None
    pick = next((c for c in fitting if c.feature_stage == stage), cheapest)
    if pick is None:
        return overrides
    if pick.feature_stage != stage:
        overrides.append(f"model.feature_stage={pick.feature_stage}")
    stride = cfg.model.time_stride or pick.native_stride
    if pick.feature_stage != stage or width / stride / report.max_text_len < MIN_FRAMES_PER_CHAR:
        overrides.append(f"model.time_stride={'null' if pick.time_stride is None else pick.time_stride}")
    return overrides
