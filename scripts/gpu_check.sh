#!/usr/bin/env bash
# Every stage on one device, with mixed precision where it has it (#45): 200 training steps of each
# preset (and of a conditional and a self-conditioned dcgan, the models that once crashed on CUDA),
# printing img/s; then critic fit, encoder, sample (plain and critic-kept), invert, evaluate, export,
# and the app's actions on a registry loaded on that device.
#
#   scripts/gpu_check.sh                      # auto device (a GPU where there is one), 200 steps
#   scripts/gpu_check.sh --device cpu --tiny  # what CI runs: a few steps each, on the CPU
#
# Env: PYTHON (default python), STEPS (default 200; --tiny: 4), PRECISION (default bf16 on a GPU,
# which falls back to fp16 with a scaler where the GPU has no bfloat16; fp32 on a CPU), WORK (a
# scratch folder, default a fresh temporary one). Needs MNIST (GAN_DATA_DIR or the known places).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
DEVICE=auto TINY=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --device) DEVICE=$2; shift 2 ;;
    --tiny) TINY=1; shift ;;
    *) echo "usage: $0 [--device auto|cpu|cuda|cuda:N|mps] [--tiny]" >&2; exit 2 ;;
  esac
done
RESOLVED=$($PY -c "from gan.devices import pick_device; print(pick_device('$DEVICE'))")
if [[ $TINY == 1 ]]; then STEPS=${STEPS:-4}; LIMIT=(--limit 512); N=100; ENC_STEPS=2; CRITIC_STEPS=2; PRESETS=(dcgan mlp)
else STEPS=${STEPS:-200}; LIMIT=(); N=2000; ENC_STEPS=200; CRITIC_STEPS=200
  PRESETS=($($PY -c "from gan.models import PRESETS; print(' '.join(PRESETS))")); fi
if [[ $RESOLVED == cpu ]]; then PRECISION=${PRECISION:-fp32}; else PRECISION=${PRECISION:-bf16}; fi
WORK=${WORK:-$(mktemp -d)}
echo "device $RESOLVED, precision $PRECISION, $STEPS steps per run, work in $WORK"

rate() {  # the last logged img/s of a run
  $PY -c "import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])['img_per_s'])" "$1/log.jsonl"
}
train() {  # NAME FLAGS...
  local name=$1; shift
  $PY -m gan.train --dataset mnist "$@" --steps "$STEPS" --precision "$PRECISION" --device "$DEVICE" \
    "${LIMIT[@]}" --log-every "$(( STEPS < 50 ? 1 : 50 ))" --sample-every 100000 --checkpoint-every 100000 \
    --no-progress --out-dir "$WORK/$name" > "$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log"; exit 1; }
  printf '%-24s %8s img/s\n' "$name" "$(rate "$WORK/$name")"
}

echo "== training"
for preset in "${PRESETS[@]}"; do train "$preset" --preset "$preset"; done
train dcgan-cond --preset dcgan --conditional
train dcgan-modes --preset dcgan --modes 4
G=$WORK/dcgan-modes/generator.safetensors
C=$WORK/dcgan-cond/generator.safetensors

echo "== critic, encoder, sample, invert, evaluate, export"
$PY -m gan.critic fit --checkpoint "$G" --steps "$CRITIC_STEPS" --device "$DEVICE" | tail -1
$PY -m gan.critic judge --checkpoint "$G" --seed 3 --device "$DEVICE"
$PY -m gan.encoder --checkpoint "$C" --steps "$ENC_STEPS" --device "$DEVICE" | tail -1
$PY -m gan.sample --checkpoint "$C" --class 7 --n 16 --device "$DEVICE" --out "$WORK/cond.png"
$PY -m gan.sample --checkpoint "$G" --n 16 --critic-keep 0.5 --device "$DEVICE" --out "$WORK/kept.png"
$PY -m gan.sample --checkpoint "$G" --interpolate 1 2 --frames 4 --device "$DEVICE" --out "$WORK/walk.gif"
$PY -m gan.invert --checkpoint "$C" --image "$WORK/cond.png" --steps 20 --device "$DEVICE" --out "$WORK/found.png" | sed -n 1p
$PY -m gan.invert --checkpoint "$G" --image "$WORK/cond.png" --steps 20 --device "$DEVICE" --out "$WORK/found-modes.png" | sed -n 1p
$PY -m gan.evaluate --checkpoint "$C" --n "$N" --device "$DEVICE" | cut -c1-160
$PY -m gan.export --checkpoint "$G" --out-dir "$WORK/onnx" --device "$DEVICE" | tail -1

echo "== the app's actions, models on $RESOLVED"
mkdir -p "$WORK/app"
cp "$WORK"/dcgan-modes/generator.* "$WORK/app/"
for f in "$WORK"/dcgan-cond/generator.*; do cp "$f" "$WORK/app/cond.${f#*/generator.}"; done
GAN_DEVICE=$DEVICE $PY - "$WORK/app" <<'PY'
import sys, time
import numpy as np
from PIL import Image
from studio.actions import Studio
from studio.registry import ModelRegistry
registry = ModelRegistry(sys.argv[1])
studio = Studio(registry)
for key, m in registry.models.items():
    t0 = time.perf_counter()
    first = m.class_names[0] if m.class_names else None
    studio.sample_grid(key, 0, 64)
    studio.interpolate(key, 1, 2, first, first, frames=8)
    studio.slider_image(key, 0, first, "principal", "", *[1.0] * 8)
    if m.critic() is not None:
        studio.critic(key, seed=5, class_name=first)
        studio.sample_grid(key, 0, 16, critic_keep=0.5)
    picture = np.zeros((28, 28), np.uint8); picture[6:22, 12:16] = 255
    studio.find_picture(key, Image.fromarray(picture), steps=10)
    print(f"{key}: sample, interpolate, sliders, critic and find on {registry.device} in "
          f"{time.perf_counter() - t0:.2f} s")
PY
echo "gpu_check: all stages ran on $RESOLVED"
