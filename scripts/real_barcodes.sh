#!/usr/bin/env bash
# Validate the shipped `barcodes-ean` on real barcode photos (docs/models/barcodes-ean.md, "Real photos").
#   bash scripts/real_barcodes.sh SHARED_DIR OUT_DIR
# SHARED_DIR: the shared folder (holding data/barcodes_real) or the barcodes_real folder itself.
# OUT_DIR: where crops, label files, the split, eval JSONs and galleries go; keep it OUTSIDE the
# repository: the Muenster photos are CC BY-NC-ND, for validation only, and must not be copied into it.
#
#   OUT/crops/       platocr crop --pad 0.1 (as the model's training crops were cut)
#   OUT/labels/      muenster.tsv (validation only) and trainable.tsv, source column = code group
#   OUT/split/       trainable.tsv split by code into train.tsv / val.tsv (val 0.3)
#   OUT/eval/        {muenster,trainable_val,trainable}.json + .txt (with the confidence-floor table)
#   OUT/gallery/     errors-first PNG grids (60 crops) and HTML pages (100 crops)
#   OUT/bars/        bars (zxing-cpp) and bars + digits per crop, when platocr[barcodes] is installed
set -euo pipefail
if [ $# -ne 2 ]; then
  sed -n 2,13p "$0" >&2
  exit 2
fi
SHARED=$1
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
PLATOCR=${PLATOCR:-platocr}
PYTHON=${PYTHON:-python}
MODEL=${MODEL:-barcodes-ean}
VAL_FRACTION=${VAL_FRACTION:-0.3}
SEED=${SEED:-0}

if [ -f "$SHARED/annotations.tsv" ]; then DATA=$SHARED; else DATA=$SHARED/data/barcodes_real; fi
[ -f "$DATA/annotations.tsv" ] && [ -f "$DATA/sources.tsv" ] || {
  echo "error: $DATA: no annotations.tsv + sources.tsv (expected the barcodes_real folder)" >&2
  exit 2
}
mkdir -p "$OUT/eval" "$OUT/gallery"

$PLATOCR crop "$DATA" "$OUT/crops" --pad 0.1
$PYTHON "$HERE/real_barcodes_labels.py" "$DATA/sources.tsv" "$OUT/crops/labels.tsv" "$OUT/labels"
$PLATOCR split "$OUT/labels/trainable.tsv" "$OUT/split" --val-fraction "$VAL_FRACTION" --seed "$SEED"

evaluate() {  # NAME LABELS
  $PLATOCR eval "$MODEL" "$2" --no-progress --json "$OUT/eval/$1.json" | tee "$OUT/eval/$1.txt"
  $PLATOCR gallery "$MODEL" "$2" --no-progress --out "$OUT/gallery/$1.png" --limit 60
  $PLATOCR gallery "$MODEL" "$2" --no-progress --out "$OUT/gallery/$1.html" --limit 100
}
evaluate muenster "$OUT/labels/muenster.tsv"
evaluate trainable_val "$OUT/split/val.tsv"
evaluate trainable "$OUT/labels/trainable.tsv"

if $PYTHON -c "import zxingcpp" 2>/dev/null; then
  $PYTHON "$HERE/real_barcodes_bars.py" "$MODEL" "$OUT/bars" \
    "muenster=$OUT/labels/muenster.tsv" \
    "trainable_val=$OUT/split/val.tsv" "trainable=$OUT/labels/trainable.tsv"
else
  echo "bars + digits skipped: pip install 'platocr[barcodes]'" >&2
fi
