"""Digits (OCR), bars (zxing-cpp) and both combined, on label files of barcode crops.

    python scripts/real_barcodes_bars.py MODEL OUT_DIR NAME=LABELS [NAME=LABELS ...]

For each label file: reads every crop with ``Predictor.load(MODEL, backend="onnx")`` and with
``platocr.recognition.bars.decode_bars`` (timed per crop), merges them with ``platocr.recognition.bars.combine`` and writes
``OUT_DIR/NAME.tsv`` (one row per crop) and ``OUT_DIR/summary.json``; prints a table per file.

A read is *right* when it equals the label, *same code* when it is the label's code in another layout
(a UPC-A read as 12 digits, labelled as 13), *wrong* when it is another code, *no read* when empty.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2

from platocr import Predictor
from platocr.data.labels import read_label_file
from platocr.recognition.bars import combine, decode_bars, same_code

FLOORS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 0.9)


def outcome(text: str, target: str) -> str:
    if not text:
        return "no_read"
    if text == target:
        return "right"
    return "same_code" if same_code(text, target) else "wrong"


def tally(texts: list[str], targets: list[str]) -> dict[str, Any]:
    counts = {"right": 0, "same_code": 0, "wrong": 0, "no_read": 0}
    for text, target in zip(texts, targets, strict=True):
        counts[outcome(text, target)] += 1
    return {"string_match": counts["right"] / max(len(targets), 1), **counts}


def floor_table(reads: list[tuple[str, float]], targets: list[str]) -> list[dict[str, Any]]:
    rows = []
    for floor in FLOORS:
        kept = [text if confidence >= floor else "" for text, confidence in reads]
        rows.append({"floor": floor, **tally(kept, targets)})
    return rows


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "n/a"


def measure(predictor: Predictor, name: str, labels: str, out_dir: Path) -> dict[str, Any]:
    rows = read_label_file(labels)
    targets = [row.text for row in rows]
    load_before = loadavg()
    started = time.perf_counter()
    digits = predictor.predict_many([str(row.path) for row in rows])
    digits_s = time.perf_counter() - started
    bars, bars_ms, attempts = [], [], {"as-is": 0, "2x": 0, "turned": 0}
    for row in rows:
        image = cv2.imread(str(row.path), cv2.IMREAD_COLOR)
        tic = time.perf_counter()
        read = decode_bars(image)
        bars_ms.append(1000 * (time.perf_counter() - tic))
        bars.append(read)
        if read is not None:
            attempts[read.attempt] += 1
    load_after = loadavg()
    combined = [
        combine(p.text, p.confidence, b.text if b else None) for p, b in zip(digits, bars, strict=True)
    ]
    conflicts = [c for c in combined if c.conflict]
    conflict_outcomes = {"right": 0, "same_code": 0, "wrong": 0, "no_read": 0}
    for c, target in zip(combined, targets, strict=True):
        if c.conflict:
            conflict_outcomes[outcome(c.text, target)] += 1
    with (out_dir / f"{name}.tsv").open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, delimiter="\t", lineterminator="\n")
        out.writerow(["path", "target", "digits", "digits_conf", "bars", "bars_attempt", "bars_ms",
                      "combined", "combined_conf", "source", "conflict", "outcome"])  # fmt: skip
        for row, p, b, ms, c in zip(rows, digits, bars, bars_ms, combined, strict=True):
            out.writerow([row.path, row.text, p.text, f"{p.confidence:.4f}", b.text if b else "",
                          b.attempt if b else "", f"{ms:.2f}", c.text, f"{c.confidence:.4f}", c.source,
                          int(c.conflict), outcome(c.text, row.text)])  # fmt: skip
    sources = {"digits": 0, "bars": 0, "both": 0}
    for c in combined:
        if c.text:
            sources[c.source] += 1
    return {
        "labels": labels,
        "crops": len(rows),
        "digits": tally([p.text for p in digits], targets),
        "bars": tally([b.text if b else "" for b in bars], targets),
        "combined": {
            **tally([c.text for c in combined], targets),
            "conflicts": len(conflicts),
            "conflict_outcomes": conflict_outcomes,
            "sources": sources,
        },  # fmt: skip
        "bars_attempts": attempts,
        "digits_floors": floor_table([(p.text, p.confidence) for p in digits], targets),
        "combined_floors": floor_table([(c.text, c.confidence) for c in combined], targets),
        "bars_ms": {
            "mean": statistics.fmean(bars_ms),
            "median": statistics.median(bars_ms),
            "p95": sorted(bars_ms)[int(0.95 * (len(bars_ms) - 1))],
            "max": max(bars_ms),
            "read": statistics.fmean([ms for ms, b in zip(bars_ms, bars, strict=True) if b] or [0.0]),
            "no_read": statistics.fmean([ms for ms, b in zip(bars_ms, bars, strict=True) if not b] or [0.0]),
        },
        "digits_ms_per_crop": 1000 * digits_s / max(len(rows), 1),
        "loadavg_before": load_before,
        "loadavg_after": load_after,
    }


def print_summary(name: str, s: dict[str, Any]) -> None:
    print(f"\n{name}: {s['crops']} crops ({s['labels']})")
    print(f"  {'reader':<9} {'StringMatch':>11} {'same code':>9} {'wrong':>6} {'no read':>7}")
    for reader in ("digits", "bars", "combined"):
        t = s[reader]
        print(
            f"  {reader:<9} {t['string_match']:>11.4f} {t['same_code']:>9} {t['wrong']:>6} {t['no_read']:>7}"
        )
    c = s["combined"]
    print(f"  combined: {c['conflicts']} conflicts {c['conflict_outcomes']}, sources {c['sources']}")
    print(f"  bars attempts that read: {s['bars_attempts']}")
    ms = s["bars_ms"]
    print(f"  decode_bars ms/crop: mean {ms['mean']:.1f}, median {ms['median']:.1f}, p95 {ms['p95']:.1f}, "
          f"max {ms['max']:.1f} (read {ms['read']:.1f}, no read {ms['no_read']:.1f}); "
          f"digits {s['digits_ms_per_crop']:.1f} ms/crop")  # fmt: skip
    print(f"  loadavg before {s['loadavg_before']} | after {s['loadavg_after']}")
    for key in ("digits_floors", "combined_floors"):
        print(f"  {key}: " + "  ".join(f"{r['floor']:g}:{r['string_match']:.4f}/{r['wrong']}w/{r['no_read']}n"
                                       for r in s[key]))  # fmt: skip


def main(model: str, out_dir: str, *named: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    predictor = Predictor.load(model, backend="onnx")
    summary = {"model": model, "backend": predictor.backend, "cpus": os.cpu_count(), "sets": {}}
    for item in named:
        name, _, labels = item.partition("=")
        summary["sets"][name] = measure(predictor, name, labels, out)
        print_summary(name, summary["sets"][name])
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out / 'summary.json'}")


if __name__ == "__main__":
    if len(sys.argv) < 4 or any("=" not in item for item in sys.argv[3:]):
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
