"""How fast a critic learns to tell a frozen generator from real data: held-out AUC (real test
images vs fresh samples) every 200 steps, for one learning rate and R1 weight. The figures behind
gan/judging/fit.py's defaults (docs/critic.md): on mnist-dcgan, lr 2e-4 stayed near 0.55 after
1,600 steps and 1e-3 reached 0.71.

    python bench/critic_auc.py checkpoints/mnist-dcgan.safetensors LR R1 THREADS STEPS
    python bench/critic_auc.py checkpoints/mnist-dcgan.safetensors 1e-3 0 1 1600
"""

import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan.checkpoint import load_generator  # noqa: E402
from gan.data.idx import load_dataset, to_model_range  # noqa: E402
from gan.judging.fit import critic_args, generated  # noqa: E402
from gan.models import build_discriminator  # noqa: E402


def main() -> None:
    path, lr, r1, threads, steps = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    G, meta = load_generator(path)
    x, y = load_dataset(meta["dataset"], "train")
    xt, yt = load_dataset(meta["dataset"], "test")
    torch.manual_seed(0)
    D = build_discriminator("dcgan", **critic_args(meta))
    opt = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    held_y = yt[:2000] if meta["num_classes"] else None
    held_fake = generated(G, torch.randn(2000, G.latent_dim, generator=torch.Generator().manual_seed(9)), held_y)
    held_real = to_model_range(xt[:2000], (-1.0, 1.0))
    t0 = time.time()
    for s in range(1, steps + 1):
        idx = torch.randint(len(x), (64,))
        real, yy = to_model_range(x[idx], (-1.0, 1.0)), (y[idx] if meta["num_classes"] else None)
        fake = generated(G, torch.randn(64, G.latent_dim), yy)
        real.requires_grad_(r1 > 0)
        rl, fl = D(real, yy), D(fake, yy)
        loss = F.softplus(-rl).mean() + F.softplus(fl).mean()
        if r1:
            g, = torch.autograd.grad(rl.sum(), real, create_graph=True)
            loss = loss + r1 / 2 * g.square().sum((1, 2, 3)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if s % 200 == 0:
            with torch.no_grad():
                a, b = D(held_real, held_y), D(held_fake, held_y)
                auc = (a[:, None] > b[None, :]).float().mean().item()
            print(f"step {s}: {time.time() - t0:.1f} s, loss {loss.item():.3f}, held-out AUC {auc:.3f}", flush=True)


if __name__ == "__main__":
    main()
