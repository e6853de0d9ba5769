"""Sampling with the critic, measured honestly: own FD, precision, recall, class coverage and time
per image, at equal sample counts, for each shipped model and each setting.

    python bench/critic_keep.py [--n 5000] [--models mnist-dcgan fashion-dcgan-cond ...]
    python bench/critic_keep.py --calibration     # the critics' calibration on unseen real pictures

Settings: plain sampling (keep 1), top-F per class or mode (F = 0.5, 0.2), DRS at the same F
(gan/judging/selection.py), and DDLS Langevin steps in latent space. Samples come from seeds
2**22.. (far from the browsed, evaluation and calibration seeds); a conditional model gets classes
i % 10. The table goes to docs/critic.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan.checkpoint import load_generator  # noqa: E402
from gan.evaluation.evaluator_net import embed  # noqa: E402
from gan.export import generator_checkpoints  # noqa: E402
from gan.evaluation.scores import compare, real_reference  # noqa: E402
from gan.judging.fit import generated  # noqa: E402
from gan.judging.selection import keep_by_critic, langevin  # noqa: E402
from gan.judging.verdict import Critic  # noqa: E402
from gan.paths import checkpoints_dir  # noqa: E402
from gan.sampling.latents import latent_for_seeds  # noqa: E402

BENCH_SEED = 2**22
SETTINGS = [("plain", "top", 1.0, 0), ("top", "top", 0.5, 0), ("top", "top", 0.2, 0),
            ("drs", "drs", 0.5, 0), ("drs", "drs", 0.2, 0), ("ddls", None, 1.0, 10)]


def pictures_for(setting, generator, critic: Critic, n: int, labels):
    name, rule, keep, steps = setting
    if name == "ddls":
        seeds = list(range(BENCH_SEED, BENCH_SEED + n))
        z = latent_for_seeds(seeds, generator.latent_dim)
        z = torch.cat([langevin(generator, critic.net, z[i:i + 500], None if labels is None else labels[i:i + 500],
                                seeds[i:i + 500], steps) for i in range(0, n, 500)])
        y = labels
    else:
        kept = keep_by_critic(generator, critic.net, critic.tables, BENCH_SEED, n, keep, rule, labels=labels)
        z, y = kept.z, kept.labels
    return torch.cat([generated(generator, z[i:i + 1000], None if y is None else y[i:i + 1000])
                      for i in range(0, n, 1000)])


def calibration_row(name: str, critic: Critic, meta: dict) -> str:
    """How the critic reads the half of the test split its tables never saw, and uniform noise."""
    from statistics import median

    from gan.data.idx import load_dataset, to_model_range

    x, y = load_dataset(meta["dataset"], "test")
    unseen = slice(critic.tables["calibration_pictures"], len(x))
    verdicts = critic.verdicts(to_model_range(x[unseen], (-1.0, 1.0)), y[unseen] if critic.num_classes else None)
    noise = torch.rand(500, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    noisy = critic.verdicts(noise, torch.arange(500) % critic.num_classes if critic.num_classes else None)
    return (f"| {name} | {median(v.real_percentile for v in verdicts):.1f} "
            f"| {median(v.generated_percentile for v in verdicts):.1f} | {median(v.real_percentile for v in noisy):.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--models", nargs="*")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--calibration", action="store_true", help="print the calibration table instead")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    folder = checkpoints_dir()
    names = args.models or [p.stem for p in generator_checkpoints(folder)]
    if args.calibration:
        print("| model | unseen real pictures: median real percentile | their median percentile among samples "
              "| uniform noise: median real percentile |\n|---|---|---|---|")
        for name in names:
            critic = Critic.load(folder / f"{name}.safetensors")
            if critic is not None:
                print(calibration_row(name, critic, load_generator(folder / f"{name}.safetensors")[1]), flush=True)
        return
    print("| model | setting | keep | own FD ↓ | precision ↑ | recall ↑ | coverage | class acc. | ms / image |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        path = folder / f"{name}.safetensors"
        generator, meta = load_generator(path)
        critic = Critic.load(path)
        if critic is None:
            print(f"| {name} | no critic | | | | | | | |")
            continue
        classifier, real_feats, real_probs, _ = real_reference(meta["dataset"])
        labels = torch.arange(args.n) % meta["num_classes"] if meta["num_classes"] else None
        for setting in SETTINGS:
            t0 = time.perf_counter()
            images = pictures_for(setting, generator, critic, args.n, labels)
            ms = (time.perf_counter() - t0) / args.n * 1000
            feats, probs = embed(classifier, images)
            m = compare(feats, probs, real_feats, real_probs)
            acc = f"{float((probs.argmax(1) == labels).double().mean()):.3f}" if labels is not None else "–"
            keep = f"{setting[2]:g}" if setting[0] != "ddls" else f"{setting[3]} steps"
            print(f"| {name} | {setting[0]} | {keep} | {m['fd']:.2f} | {m['precision']:.3f} | {m['recall']:.3f} "
                  f"| {m['coverage']}/10 | {acc} | {ms:.2f} |", flush=True)


if __name__ == "__main__":
    main()
