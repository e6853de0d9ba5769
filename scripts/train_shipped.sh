#!/usr/bin/env bash
# Train every generator shipped in checkpoints/, one after another, then copy each
# run's exported generator (weights + JSON sidecar) and its final sample grid into checkpoints/.
# Re-running continues unfinished runs exactly (--resume). Usage: scripts/train_shipped.sh [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}

declare -A RUNS=(
  # The project's models: twice the preset's 8000 steps (FD kept falling; bench/time_to_quality.py).
  [mnist-dcgan]="--dataset mnist --preset dcgan --steps 16000"
  [mnist-dcgan-cond]="--dataset mnist --preset dcgan --conditional --steps 16000"
  [fashion-dcgan]="--dataset fashion --preset dcgan --steps 16000"
  [fashion-dcgan-cond]="--dataset fashion --preset dcgan --conditional --steps 16000"
  [mnist-keras-mlp]="--dataset mnist --preset keras-mlp"
  [mnist-torch-mlp]="--dataset mnist --preset torch-mlp"
  [mnist-numpy-mlp]="--dataset mnist --preset numpy-mlp"
  # The reference TF design costs ~0.6 GFLOP/image (~150 img/s here): a shortened schedule.
  [mnist-tf-dcgan]="--dataset mnist --preset tf-dcgan --steps 500 --sample-every 100 --checkpoint-every 100"
)
ORDER=(mnist-dcgan mnist-dcgan-cond fashion-dcgan-cond fashion-dcgan mnist-keras-mlp mnist-torch-mlp
       mnist-numpy-mlp mnist-tf-dcgan)

for name in "${@:-${ORDER[@]}}"; do
  echo "== $name: $PY -m gan.train ${RUNS[$name]} --out-dir runs/$name --resume"
  $PY -m gan.train ${RUNS[$name]} --out-dir "runs/$name" --resume --no-progress
  cp "runs/$name/generator.safetensors" "checkpoints/$name.safetensors"
  cp "runs/$name/generator.json" "checkpoints/$name.json"
  cp "$(ls runs/$name/samples/step_*.png | tail -n 1)" "checkpoints/$name.png"
done
