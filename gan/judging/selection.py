"""Sampling with the critic: keep the candidates it finds most real, or move latents towards them.

Three rules, all reproducible from the seeds (the answer names the candidate seeds it kept):
- top:  draw ceil(n / keep) candidates, keep the best-scored within each group;
- drs:  Discriminator Rejection Sampling (Azadi et al., ICLR 2019): accept candidate i with
        probability sigmoid(F_i), F_i = D_i - D_max - log(1 - exp(D_i - D_max - eps)) - gamma, on the
        Platt-calibrated logit D; gamma is the (1 - keep) quantile of F over the calibration samples,
        and the uniform draw of candidate i comes from its own seed;
- ddls: Discriminator Driven Latent Sampling (Che et al., NeurIPS 2020): Langevin steps on the
        energy |z|^2 / 2 - D(G(z)), seeded by each picture's seed; nothing is rejected.

Groups keep the requested class shares: a conditional model's candidates carry the class of the
tile they stand for; a self-conditioned model's are grouped by their mode, with each mode's share
as drawn; any other model has one group.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from gan.judging.fit import pictures, scores_of
from gan.sampling.latents import latent_for_seeds
from gan.devices import module_device

RULES = ("top", "drs")
DRS_EPS = 1e-6
MAX_CANDIDATES_PER_PICTURE = 50  # DRS's stream stops here and tops up by score


@dataclass
class Kept:
    seeds: list[int]                   # one per requested picture, in the requested order
    z: torch.Tensor
    labels: torch.Tensor | None
    candidates: int                    # how many candidates were drawn and scored


def candidate_groups(generator, z: torch.Tensor) -> torch.Tensor:
    """Groups of candidates nobody asked a class or mode of: a self-conditioned model's modes, else one."""
    if hasattr(generator, "modes"):
        return generator.modes(z)
    return torch.zeros(len(z), dtype=torch.long, device=z.device)


def drs_acceptance(logits: torch.Tensor, critic_meta: dict, keep: float) -> torch.Tensor:
    """DRS's acceptance probability for each candidate logit."""
    a, b = critic_meta["platt"]
    table = torch.tensor(critic_meta["generated_quantiles"], dtype=torch.double, device="cpu")
    d_max = a * table.max() + b

    def f_hat(d):
        diff = (d - d_max).clamp(max=0)
        return diff - torch.log1p(-torch.exp(diff - DRS_EPS))

    gamma = torch.quantile(f_hat(a * table + b), 1 - keep)
    return torch.sigmoid(f_hat(a * logits.double() + b) - gamma)


def uniform_for_seeds(seeds) -> torch.Tensor:
    return torch.tensor([torch.rand(1, generator=torch.Generator().manual_seed(int(s) ^ 0x5EED)).item() for s in seeds],
                        dtype=torch.double, device="cpu")


def keep_by_critic(generator, critic, tables: dict, seed: int, n: int, keep: float, rule: str = "top",
                   labels: torch.Tensor | None = None, modes: torch.Tensor | None = None) -> Kept:
    """n pictures chosen by the critic from candidate seeds seed, seed + 1, ...; candidate j stands
    for picture j % n and takes its class (labels: a conditional model's) or its mode (modes: a
    self-conditioned model's, put into the latent), so every picture gets one of its own kind."""
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; use one of {', '.join(RULES)}")
    if not 0 < keep <= 1:
        raise ValueError("keep must lie in (0, 1]")
    drawn = math.ceil(n / keep) if rule == "top" else n * MAX_CANDIDATES_PER_PICTURE
    seeds = list(range(seed, seed + drawn))
    device = module_device(generator)  # latents are drawn on the CPU (same on every device), used there
    stands_for = torch.arange(drawn, device="cpu") % n
    z = latent_for_seeds(seeds, generator.latent_dim).to(device)
    if modes is not None:
        z = generator.in_mode(z, modes.to(device)[stands_for.to(device)])
    cand_labels = None if labels is None else labels.to(device)[stands_for.to(device)]
    wanted = labels if labels is not None else modes
    groups = (wanted[stands_for] if wanted is not None else candidate_groups(generator, z)).cpu()
    quota = group_quota(wanted if wanted is not None else groups[:math.ceil(n / keep)], n)
    chosen: dict[int, list[int]] = {g: [] for g in quota}

    def take(indices) -> None:
        for i in indices:
            g = int(groups[i])
            if g in chosen and len(chosen[g]) < quota[g] and i not in chosen[g]:
                chosen[g].append(i)

    scored = []
    for start in range(0, drawn, n if rule == "drs" else drawn):  # DRS scores a chunk at a time, until filled
        part = slice(start, min(drawn, start + (n if rule == "drs" else drawn)))
        part_labels = None if cand_labels is None else cand_labels[part]
        scored.append(scores_of(generator, critic, z[part], part_labels))
        if rule == "drs":
            accept = uniform_for_seeds(seeds[part]) < drs_acceptance(scored[-1].cpu(), tables, keep)
            take((torch.nonzero(accept).flatten() + start).tolist())
            if all(len(chosen[g]) == quota[g] for g in quota):
                break
    logits = torch.cat(scored).cpu()
    take(torch.argsort(logits, descending=True, stable=True).tolist())  # top-F; tops up an unfilled DRS group
    picked = place(chosen, None if wanted is None else wanted.cpu(), n)
    idx = torch.tensor(picked, device=device)
    return Kept([seeds[i] for i in picked], z[idx], None if cand_labels is None else cand_labels[idx], len(logits))


def group_quota(groups: torch.Tensor, n: int) -> dict[int, int]:
    """Pictures per group: the groups' shares among `groups`, scaled to n by largest remainder."""
    values, counts = torch.unique(groups, return_counts=True)
    exact = counts.double() * n / counts.sum()
    quota = exact.floor().long()
    for i in torch.argsort(exact - quota, descending=True)[: n - int(quota.sum())]:
        quota[i] += 1
    return {int(v): int(q) for v, q in zip(values, quota) if q > 0}


def place(chosen: dict[int, list[int]], labels: torch.Tensor | None, n: int) -> list[int]:
    """Candidate indices in picture order: picture p gets a kept candidate of its requested class
    (or mode); without requests, the kept candidates in seed order."""
    if labels is None:
        return sorted(i for kept in chosen.values() for i in kept)
    queues = {g: sorted(kept) for g, kept in chosen.items()}
    return [queues[int(labels[p])].pop(0) for p in range(n)]


def langevin(generator, critic, z: torch.Tensor, labels: torch.Tensor | None, seeds, steps: int,
             step_size: float = 0.01) -> torch.Tensor:
    """DDLS: `steps` Langevin steps on |z|^2 / 2 - D(G(z)); the noise of picture i comes from its seed."""
    noise_gens = [torch.Generator().manual_seed(int(s) ^ 0x1A7E) for s in seeds]
    z = z.clone()
    for _ in range(steps):
        z.requires_grad_(True)
        with torch.enable_grad():
            energy = z.square().sum() / 2 - critic(pictures(generator, z, labels), labels).sum()
            grad, = torch.autograd.grad(energy, z)
        noise = torch.stack([torch.randn(z.shape[1], generator=g) for g in noise_gens])
        z = (z.detach() - step_size / 2 * grad + math.sqrt(step_size) * noise)
    return z.detach()

