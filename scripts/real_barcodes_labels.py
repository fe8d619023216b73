"""Split the real barcode crops' labels into the Muenster part (validation only) and the trainable part.

    python scripts/real_barcodes_labels.py SHARED/data/barcodes_real/sources.tsv OUT/crops/labels.tsv OUT/labels

Reads the ``labels.tsv`` written by ``platocr crop`` (``path text source``, source = the photo's name in
annotations.tsv) and the data set's ``sources.tsv`` (``filename source format licence trainable``), and
writes ``OUT/labels/muenster.tsv`` (rows whose photo is not trainable) and ``OUT/labels/trainable.tsv``.
The ``source`` column of both is rewritten to a *code group*, so that ``platocr split`` keeps every
photo of a product (same code) on one side: photos and codes are joined into connected groups (a
photo with two barcodes ties their codes together) named after their smallest code.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

from platocr.data.labels import LabelRow, read_label_file, write_label_file


def read_sources(path: Path) -> dict[str, dict[str, str]]:
    """sources.tsv rows keyed by filename."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["filename"]: row for row in csv.DictReader(handle, delimiter="\t")}


def code_groups(rows: list[LabelRow]) -> dict[str, str]:
    """Photo -> group name: photos sharing a code, or codes sharing a photo, form one group."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for row in rows:
        a, b = find("photo:" + row.source), find("code:" + row.text)
        if a != b:
            parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = {}
    for row in rows:
        members.setdefault(find("photo:" + row.source), []).append(row.text)
    name = {root: min(codes) for root, codes in members.items()}
    return {row.source: name[find("photo:" + row.source)] for row in rows}


def main(sources_tsv: str, labels_tsv: str, out_dir: str) -> None:
    sources = read_sources(Path(sources_tsv))
    rows = read_label_file(labels_tsv)
    missing = sorted({row.source for row in rows} - sources.keys())
    if missing:
        raise SystemExit(f"{len(missing)} photos not in {sources_tsv}, first: {missing[0]}")
    groups = code_groups(rows)
    parts: dict[str, list[LabelRow]] = {"muenster": [], "trainable": []}
    origin: dict[str, Counter[str]] = {"muenster": Counter(), "trainable": Counter()}
    for row in rows:
        info = sources[row.source]
        part = "trainable" if info["trainable"].strip().lower() == "yes" else "muenster"
        if part == "muenster" and info["source"] != "muenster":
            raise SystemExit(f"{row.source}: not trainable but not from muenster ({info['source']})")
        parts[part].append(LabelRow(row.path, row.text, groups[row.source]))
        origin[part][info["source"]] += 1
    for part, part_rows in parts.items():
        target = write_label_file(part_rows, Path(out_dir) / f"{part}.tsv", with_source=True)
        by_source = ", ".join(f"{name} {count}" for name, count in origin[part].most_common())
        codes = len({row.text for row in part_rows})
        print(f"{target}: {len(part_rows)} crops, {codes} codes ({by_source})")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
