"""Export generator checkpoints (and their inversion encoders) to ONNX.

    python -m gan.export --checkpoint checkpoints/mnist-dcgan-cond.safetensors
    python -m gan.export --all checkpoints/ --out-dir onnx/

writes NAME.onnx (the generator), NAME.encoder.onnx (where an encoder is saved beside the
checkpoint) and NAME.explorer.json (latent size, classes or modes, output range, the principal
directions the sliders use) into --out-dir (default: beside the checkpoint). The web app makes the
same files itself, on first use of each model, so nothing exported is shipped or can go stale;
this command is for using the generators elsewhere (onnxruntime, onnxruntime-web, other runtimes).
Graph inputs and outputs are described in gan/sampling/onnx_graphs.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gan.checkpoint import CheckpointError, is_generator_sidecar, load_generator
from gan.fileio import atomic_write
from gan.inversion.encoder_net import load_encoder
from gan.sampling.directions import NUM_DIRECTIONS, principal_directions
from gan.sampling.onnx_graphs import encoder_onnx, explorer_meta, generator_onnx


def export_checkpoint(checkpoint: Path, out_dir: Path | None = None) -> list[Path]:
    generator, meta = load_generator(checkpoint)
    encoder = load_encoder(checkpoint)
    name = checkpoint.with_suffix("").name
    folder = out_dir or checkpoint.parent
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / f"{name}.onnx", folder / f"{name}.explorer.json"]
    atomic_write(written[0], generator_onnx(generator))
    info = explorer_meta(name, name, meta, generator, principal_directions(generator, k=NUM_DIRECTIONS), encoder is not None)
    atomic_write(written[1], (json.dumps(info, indent=1) + "\n").encode())
    if encoder is not None:
        written.append(folder / f"{name}.encoder.onnx")
        atomic_write(written[-1], encoder_onnx(encoder))
    return written


def generator_checkpoints(folder: Path) -> list[Path]:
    """Generator weights under `folder`: a sidecar of kind generator beside them, as the app's picker
    takes them (encoders and evaluators say another kind)."""
    return sorted(p for p in folder.rglob("*.safetensors")
                  if p.with_suffix(".json").exists() and is_generator_sidecar(p.with_suffix(".json")))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gan.export", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--checkpoint", type=Path, help="NAME.safetensors (with NAME.json beside it)")
    which.add_argument("--all", type=Path, metavar="FOLDER", help="every generator checkpoint under FOLDER")
    ap.add_argument("--out-dir", type=Path, help="where the files go (default: beside each checkpoint)")
    ap.add_argument("--device", default="auto",
                    help="accepted like every command's, but graphs are always traced on the CPU: an ONNX graph "
                         "holds no device, and the browser runs it on the visitor's own")
    args = ap.parse_args(argv)
    checkpoints = [args.checkpoint] if args.checkpoint else generator_checkpoints(args.all)
    if not checkpoints:
        print(f"no generator checkpoints under {args.all}", file=sys.stderr)
        return 1
    for checkpoint in checkpoints:
        try:
            for path in export_checkpoint(checkpoint, args.out_dir):
                print(path)
        except CheckpointError as e:
            print(f"skipped: {e}", file=sys.stderr)
            if args.checkpoint:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
