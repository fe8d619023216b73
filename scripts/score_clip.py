"""Score `platocr video --jsonl` output against a clip's truth (`platocr synth clip` writes OUT.truth.jsonl).

    python scripts/score_clip.py CLIP.truth.jsonl VIDEO.jsonl [--inside x,y,w,h] [--json OUT.json]

A truth plate counts as read right in a frame when a result of that frame whose box holds the plate's
centre has the plate's text (so the same rule serves a fixed --roi box and a detected plate's crop).
- plate-frames right: truth plates read right / truth plates, over all frames;
- frame accuracy: frames whose every truth plate is read right / frames with at least one plate;
- false reads: results whose text is no truth plate's in that frame (wrong text or no plate there).
``--inside x,y,w,h`` keeps only the truth plates wholly inside that box (e.g. a gate clip's ROI), so a
fixed --roi run and a --detect plate run are scored on the same plates.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def _frames(path: Path, key: str) -> dict[int, list[dict]]:
    frames: dict[int, list[dict]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            _fail(f"{path}:{number}: not JSON ({exc.msg})")
        if "frame" in record and key in record:
            frames[int(record["frame"])] = record[key]
    if not frames:
        _fail(f"{path}: no frame records with '{key}'")
    return frames


def _holds(box: list[int], plate: list[int]) -> bool:
    cx, cy = plate[0] + plate[2] / 2, plate[1] + plate[3] / 2
    return box[0] <= cx <= box[0] + box[2] and box[1] <= cy <= box[1] + box[3]


def _within(plate: list[int], box: list[int]) -> bool:
    return (box[0] <= plate[0] and box[1] <= plate[1] and plate[0] + plate[2] <= box[0] + box[2]
            and plate[1] + plate[3] <= box[1] + box[3])  # fmt: skip


def score(
    truth: dict[int, list[dict]], reads: dict[int, list[dict]], inside: list[int] | None = None
) -> dict[str, float | int]:
    plates = right = frames_with = frames_right = false_reads = frames_missing = 0
    for frame, expected in sorted(truth.items()):
        if frame not in reads:
            frames_missing += 1
        results = reads.get(frame, [])
        if inside is not None:
            expected = [p for p in expected if _within(p["box"], inside)]
            results = [r for r in results if _holds(inside, r["box"])]  # reads centred in the box
        ok = [any(r["text"] == p["text"] and _holds(r["box"], p["box"]) for r in results) for p in expected]
        plates, right = plates + len(expected), right + sum(ok)
        if expected:
            frames_with += 1
            frames_right += all(ok)
        texts = {p["text"] for p in expected}
        false_reads += sum(r["text"] not in texts for r in results)
    return {
        "frames": len(truth), "frames_with_plates": frames_with, "frame_accuracy": frames_right / max(frames_with, 1),
        "plates": plates, "plates_right": right, "plate_accuracy": right / max(plates, 1),
        "false_reads": false_reads, "frames_missing_in_output": frames_missing,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("truth", type=Path)
    parser.add_argument("reads", type=Path)
    parser.add_argument("--inside", help="x,y,w,h: score only the plates wholly inside this box")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    for path in (args.truth, args.reads):
        if not path.is_file():
            _fail(f"{path}: file not found")
    inside = None
    if args.inside:
        try:
            inside = [int(v) for v in args.inside.split(",")]
        except ValueError:
            _fail(f"--inside {args.inside!r}: expected four integers x,y,w,h")
        if len(inside) != 4:
            _fail(f"--inside {args.inside!r}: expected four integers x,y,w,h")
    result = score(_frames(args.truth, "plates"), _frames(args.reads, "results"), inside)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
