#!/usr/bin/env bash
# Reproduce the shipped `barcodes-ean` model (docs/models/barcodes-ean.md); `nox -s train_barcodes_ean`.
#   bash scripts/train_barcodes_ean.sh [WORK_DIR] [MINUTES] [FINETUNE_MINUTES] [DESKEW_MINUTES] [EMA_MINUTES] [LAST_MINUTES]
# Synthetic phone photos only (no real barcode photos exist here): five training sets, with stronger
# distortions each, and a val set with another seed and stronger distortions than any of them.
# Stages 1 and 2 read the crops as cut (input.deskew off: they were trained before deskew existed);
# stage 3 turns on configs/barcodes_ean.yaml's input.deskew and adds the third set; stage 4 adds the
# fourth set and validates a moving average of the weights (train.ema); stage 5 adds the fifth set.
set -euo pipefail
WORK=${1:-runs/barcodes-ean-recipe}
MINUTES=${2:-75}
FINETUNE_MINUTES=${3:-45}
DESKEW_MINUTES=${4:-95}
EMA_MINUTES=${5:-120}
LAST_MINUTES=${6:-115}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # 1 leaves the other core to the data-loading worker
PLATOCR=${PLATOCR:-platocr}

$PLATOCR synth barcodes "$WORK/train_a" --count 8000 --seed 11
$PLATOCR synth barcodes "$WORK/train_b" --count 4000 --seed 12 --strength 1.3
$PLATOCR synth barcodes "$WORK/train_c" --count 6000 --seed 13 --strength 1.4
$PLATOCR synth barcodes "$WORK/train_d" --count 6000 --seed 17 --strength 1.4
$PLATOCR synth barcodes "$WORK/train_e" --count 8000 --seed 18 --strength 1.3
$PLATOCR synth barcodes "$WORK/val" --count 1200 --seed 1001 --strength 1.5
for part in train_a train_b train_c train_d train_e val; do
  $PLATOCR crop "$WORK/$part" "$WORK/${part}_crops" --pad 0.1
done
$PLATOCR train configs/barcodes_ean.yaml --out "$WORK/run" --no-progress \
  --train "$WORK/train_a_crops/labels.tsv" --train "$WORK/train_b_crops/labels.tsv" \
  --val "$WORK/val_crops/labels.tsv" --set "train.max_minutes=$MINUTES" --set input.deskew=false
# Second stage: a fresh, lower one-cycle from the first stage's best weights (more steps than one
# time-boxed CPU run gives).
$PLATOCR train configs/barcodes_ean.yaml --out "$WORK/run2" --no-progress --init "$WORK/run/best.pt" \
  --train "$WORK/train_a_crops/labels.tsv" --train "$WORK/train_b_crops/labels.tsv" \
  --val "$WORK/val_crops/labels.tsv" --set "train.max_minutes=$FINETUNE_MINUTES" --set train.lr=0.001 \
  --set input.deskew=false
$PLATOCR train configs/barcodes_ean.yaml --out "$WORK/run3" --no-progress --init "$WORK/run2/best.pt" \
  --train "$WORK/train_a_crops/labels.tsv" --train "$WORK/train_b_crops/labels.tsv" \
  --train "$WORK/train_c_crops/labels.tsv" --val "$WORK/val_crops/labels.tsv" \
  --set "train.max_minutes=$DESKEW_MINUTES" --set train.lr=0.001
$PLATOCR train configs/barcodes_ean.yaml --out "$WORK/run4" --no-progress --init "$WORK/run3/best.pt" \
  --train "$WORK/train_a_crops/labels.tsv" --train "$WORK/train_b_crops/labels.tsv" \
  --train "$WORK/train_c_crops/labels.tsv" --train "$WORK/train_d_crops/labels.tsv" \
  --val "$WORK/val_crops/labels.tsv" --set "train.max_minutes=$EMA_MINUTES" --set train.lr=0.001 \
  --set train.ema=0.999
$PLATOCR train configs/barcodes_ean.yaml --out "$WORK/run5" --no-progress --init "$WORK/run4/best.pt" \
  --train "$WORK/train_a_crops/labels.tsv" --train "$WORK/train_b_crops/labels.tsv" \
  --train "$WORK/train_c_crops/labels.tsv" --train "$WORK/train_d_crops/labels.tsv" \
  --train "$WORK/train_e_crops/labels.tsv" --val "$WORK/val_crops/labels.tsv" \
  --set "train.max_minutes=$LAST_MINUTES" --set train.lr=0.0007 --set train.ema=0.999
$PLATOCR eval "$WORK/run5/best.pt" "$WORK/val_crops/labels.tsv" --compare-decoders --json "$WORK/run5/val.json"
$PLATOCR export "$WORK/run5/best.pt" --out src/platocr/models/barcodes-ean.pt
$PLATOCR export src/platocr/models/barcodes-ean.pt --out src/platocr/models/barcodes-ean.onnx
