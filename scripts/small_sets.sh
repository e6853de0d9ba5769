#!/usr/bin/env bash
# DiffAugment on (two policies) and off for 1,000-image subsets (issue #35): the first 1,000 training images of
# each data set, unconditional dcgan (the shipped recipe), 3,000 steps, one thread each.
#   bash scripts/small_sets.sh [NAME ...]            # then: python bench/equal_budget.py bench-runs/small/*
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A RUNS=(
  [mnist-1k]="--dataset mnist"
  [mnist-1k-diffaugment]="--dataset mnist --diffaugment"
  [fashion-1k]="--dataset fashion"
  [fashion-1k-diffaugment]="--dataset fashion --diffaugment"
  # the paper's policy without colour (brightness/contrast): grey digits on black have little colour to vary
  [mnist-1k-translation-cutout]="--dataset mnist --diffaugment translation,cutout"
  [fashion-1k-translation-cutout]="--dataset fashion --diffaugment translation,cutout"
)
ORDER=(mnist-1k mnist-1k-diffaugment fashion-1k fashion-1k-diffaugment mnist-1k-translation-cutout
       fashion-1k-translation-cutout)
mkdir -p bench-runs/small
for name in "${@:-${ORDER[@]}}"; do
  OMP_NUM_THREADS=1 python -m gan.train ${RUNS[$name]} --preset dcgan --limit 1000 --precision bf16 --steps 3000 \
    --lr-decay 0.25 --snapshot-every 500 --checkpoint-every 500 --sample-every 500 \
    --out-dir "bench-runs/small/$name" --resume --no-progress 2>> "bench-runs/small/$name.log"
done
