"""Export a train-detector checkpoint again with today's detection code: the threshold is chosen anew on
the validation frames (best F1 of both looks, as train-detector does at the end of a run).

    python scripts/export_detector.py CHECKPOINT --val BOXES [--val BOXES ...] --out DIR

Use it when the way plates are found changes but the weights need not: it writes DIR/plate-detector.onnx
and DIR/thresholds.json (the score at every candidate threshold).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

import torch

from platocr.detection.settings import DetectorSettings
from platocr.errors import PlatocrError
from platocr.outputs import check_writable_dir
from platocr.train.detector import export_with_best_threshold, load_detector_checkpoint
from platocr.train.detector_data import labelled_frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "checkpoint", type=Path, help="a run's best.pt / last.pt, or plate-detector (the shipped weights)"
    )
    parser.add_argument("--val", type=Path, action="append", required=True,
                        help="boxes.tsv or a folder holding one (repeat for more)")  # fmt: skip
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    try:
        check_writable_dir(args.out, "--out")
        model = load_detector_checkpoint(args.checkpoint)
        val = [frame for path in args.val for frame in labelled_frames(path, "--val")]
        torch.set_num_threads(2)
        threshold, by_threshold = export_with_best_threshold(model, val, DetectorSettings(), args.out)
    except PlatocrError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    (args.out / "thresholds.json").write_text(
        json.dumps({"checkpoint": str(args.checkpoint), "val": [str(p) for p in args.val], "threshold": threshold,
                    "by_threshold": {str(t): asdict(v) for t, v in by_threshold.items()}}, indent=2),
        encoding="utf-8",
    )  # fmt: skip
    print(f"wrote {args.out / 'plate-detector.onnx'} (threshold {threshold})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
