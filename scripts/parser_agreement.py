"""Agreement of CropNumbers file-name labels with the cleaned labels.tsv.

Usage: .venv/bin/python scripts/parser_agreement.py [CROPNUMBERS_DIR] [--examples K]

CROPNUMBERS_DIR defaults to ../shared/data/cropnumbers (next to the repository). Prints the
agreement over the NumBase crops listed in labels.tsv, n, and the disagreement kinds with examples.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from platocr.data.cropnumbers import filename_agreement

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared/data/cropnumbers"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--examples", type=int, default=3, help="examples shown per disagreement kind")
    args = parser.parse_args()

    report = filename_agreement(args.folder)
    print(f"agreement {report.agreement:.4f}  ({report.agree}/{report.n} NumBase crops of {args.folder})")
    print(
        f"ceiling   {report.ceiling:.4f}  ({report.reachable}/{report.n} true labels = series + a prefix "
        "of the name's digits; the rest name another plate or another series)"
    )
    if report.negatives_n:
        print(f"negatives {report.negatives_agree}/{report.negatives_n} agree (empty text)")
    print("disagreements by kind:")
    for kind, count in report.kinds.most_common():
        print(f"  {count:5d}  {kind}")
        for name, parsed, truth in report.examples[kind][: args.examples]:
            print(f"         {name!r}: parsed {parsed or '-'}  truth {truth}")


if __name__ == "__main__":
    main()
