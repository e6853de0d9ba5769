#!/usr/bin/env bash
# Train every generator shipped in checkpoints/, one after another, then copy each
# run's exported generator (weights + JSON sidecar) and its final sample grid into checkpoints/.
# Re-running continues unfinished runs exactly (--resume). Usage: scripts/train_shipped.sh [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}

declare -A RUNS=(
  # The project's models: 16000 steps, a snapshot every 2000 (FD by step: see the README); fashion-dcgan-cond
  # gets 48000 because its FD was still falling steadily at 16000.
  [mnist-dcgan]="--dataset mnist --preset dcgan --steps 16000 --snapshot-every 2000"
  [mnist-dcgan-cond]="--dataset mnist --preset dcgan --conditional --steps 16000 --snapshot-every 2000"
  [fashion-dcgan]="--dataset fashion --preset dcgan --steps 16000 --snapshot-every 2000"
  # Unconditional, without labels: self-conditioned on 40 k-means modes of the pixels (docs/experiments.md).
  # Trained with OMP_NUM_THREADS=1 on an AVX512-BF16 CPU (bf16 is emulated, and slow, elsewhere).
  [mnist-dcgan-modes]="--dataset mnist --modes 40 --precision bf16 --steps 24000 --lr-decay 0.25 --snapshot-every 3000"
  # Fashion-MNIST degrades with 40 modes; 20 halve the plain model's FD in 44 min (docs/experiments.md).
  [fashion-dcgan-modes]="--dataset fashion --modes 20 --precision bf16 --steps 32000 --lr-decay 0.25 --snapshot-every 8000"
  # The AC-GAN class loss lifts Fashion-MNIST class accuracy above 95% (measured in the README).
  [fashion-dcgan-cond]="--dataset fashion --preset dcgan --conditional --aux-class-weight 1 --steps 48000 --snapshot-every 2000"
  # TAC-GAN's twin class head on top: FD 2.24 instead of 3.15, class accuracy at the real images' level (README).
  # bfloat16 autocast (~1.4x faster on this AVX512-BF16 CPU; set --precision fp32 where bf16 is slow).
  [fashion-dcgan-tac]="--dataset fashion --preset dcgan --conditional --aux-class-weight 1 --aux-twin --precision bf16 --steps 48000 --snapshot-every 4000"
  # Colour (#43): the sets are made on the machine first, never committed: python scripts/make_colour_sets.py
  # Each trained in under 60 minutes with OMP_NUM_THREADS=1, the two side by side (docs/colour.md).
  # MSGAN's mode-seeking term: without it the colours collapse onto a few grounds (recall 0.00; docs/colour.md).
  [colour-mnist32-dcgan-cond]="--dataset prepared:data/colour-mnist32 --conditional --mode-seeking 1 --precision bf16 --steps 14000 --lr-decay 0.25 --snapshot-every 2000"
  # 1,402 glyphs: DiffAugment keeps D from memorising them; 10 modes of the pixels (colours and shapes).
  [emoji64-dcgan-modes]="--dataset prepared:data/emoji64 --modes 10 --precision bf16 --steps 8000 --diffaugment translation,color,cutout --lr-decay 0.25 --snapshot-every 1000"
  [mnist-keras-mlp]="--dataset mnist --preset keras-mlp"
  [mnist-torch-mlp]="--dataset mnist --preset torch-mlp"
  [mnist-numpy-mlp]="--dataset mnist --preset numpy-mlp"
  # The reference TF design costs ~0.6 GFLOP/image (~250-400 img/s here): a shortened schedule
  # (128,000 images), at batch 64 because at its own batch 256 it collapsed to one pattern in both runs.
  [mnist-tf-dcgan]="--dataset mnist --preset tf-dcgan --batch-size 64 --steps 2000 --sample-every 250 --checkpoint-every 250"
)
ORDER=(mnist-dcgan mnist-dcgan-cond mnist-dcgan-modes fashion-dcgan-cond fashion-dcgan-tac fashion-dcgan fashion-dcgan-modes
       mnist-keras-mlp mnist-torch-mlp mnist-numpy-mlp mnist-tf-dcgan colour-mnist32-dcgan-cond emoji64-dcgan-modes)

for name in "${@:-${ORDER[@]}}"; do
  echo "== $name: $PY -m gan.train ${RUNS[$name]} --out-dir runs/$name --resume"
  $PY -m gan.train ${RUNS[$name]} --out-dir "runs/$name" --resume --no-progress
  cp "runs/$name/generator.safetensors" "checkpoints/$name.safetensors"
  cp "runs/$name/generator.json" "checkpoints/$name.json"
  cp "$(ls runs/$name/samples/step_*.png | tail -n 1)" "checkpoints/$name.png"
  # The critic is fitted to the generator the app samples (the EMA one), after training: gan/judging/fit.py
  $PY -m gan.critic fit --checkpoint "checkpoints/$name.safetensors"   # 2,000 steps, ~7 min on one thread
done
