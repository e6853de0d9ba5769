#!/usr/bin/env bash
# The equal-budget comparison of issue #35: dcgan vs r3, one run after another, one thread each,
# snapshots for FD at 15/30/60 CPU-minutes (python bench/equal_budget.py reads them).
#   bash scripts/equal_budget.sh [NAME ...]      # default: every run below; reruns resume
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A RUNS=(
  [fashion-r3-cond]="--dataset fashion --preset r3 --conditional --steps 12000"
  [fashion-dcgan-cond]="--dataset fashion --preset dcgan --conditional --steps 35000"
  [mnist-r3-cond]="--dataset mnist --preset r3 --conditional --steps 12000"
  [mnist-dcgan-cond]="--dataset mnist --preset dcgan --conditional --steps 35000"
  [mnist-r3-modes]="--dataset mnist --preset r3 --modes 40 --steps 12000"
  [fashion-r3-modes]="--dataset fashion --preset r3 --modes 20 --steps 12000"
  # R3GAN's objective (RpGAN + R1 + R2, penalty annealed 10x) on the dcgan nets
  [fashion-dcgan-rp-cond]="--dataset fashion --preset dcgan --conditional --loss rpgan --r1 0.5 --r2 0.5 --penalty-end 0.1 --steps 24000"
  [mnist-dcgan-rp-cond]="--dataset mnist --preset dcgan --conditional --loss rpgan --r1 0.5 --r2 0.5 --penalty-end 0.1 --steps 24000"
  [mnist-dcgan-rp-modes]="--dataset mnist --preset dcgan --modes 40 --loss rpgan --r1 0.5 --r2 0.5 --penalty-end 0.1 --steps 24000"
)
ORDER=(fashion-r3-cond fashion-dcgan-cond mnist-r3-cond mnist-r3-modes fashion-r3-modes mnist-dcgan-cond)
for name in "${@:-${ORDER[@]}}"; do
  steps=$(grep -o -- '--steps [0-9]*' <<<"${RUNS[$name]}" | cut -d' ' -f2)
  OMP_NUM_THREADS=1 python -m gan.train ${RUNS[$name]} --precision bf16 --lr-decay 0.25 \
    --snapshot-every $((steps / 24)) --checkpoint-every $((steps / 24)) --sample-every $((steps / 24)) \
    --out-dir "bench-runs/r3/$name" --resume --no-progress 2>> "bench-runs/r3/$name.log"
done
