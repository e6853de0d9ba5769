"""Each loss, used to train a tiny discriminator, must learn to separate two easy blobs."""

import pytest
import torch

from gan.training.losses import (
    GP_WEIGHT,
    LOSSES,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    mode_seeking_penalty,
    r1_penalty,
)


class TinyD(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 16), torch.nn.LeakyReLU(0.2),
                                       torch.nn.Linear(16, 1))

    def forward(self, x, labels=None):
        return self.net(x).squeeze(1)


@pytest.mark.parametrize("kind", LOSSES)
def test_each_loss_teaches_d_to_separate(kind):
    torch.manual_seed(0)
    real = (torch.randn(256, 1, 2, 2) * 0.3 + 1.5)
    fake = (torch.randn(256, 1, 2, 2) * 0.3 - 1.5)
    D = TinyD()
    with torch.no_grad():  # start from a D that ranks fakes above reals: its error is ~100%
        if D(real).mean() > D(fake).mean():
            D.net[-1].weight.neg_()
            D.net[-1].bias.neg_()
    opt = torch.optim.Adam(D.parameters(), lr=1e-2)

    def pair_error():  # fraction of (real, fake) pairs that D orders wrongly
        with torch.no_grad():
            return (D(real)[:, None] <= D(fake)[None, :]).float().mean().item()

    def loss():
        value = discriminator_loss(kind, D(real), D(fake))
        return value + GP_WEIGHT * gradient_penalty(D, real, fake) if kind == "wgan-gp" else value

    start_loss, start_error = loss().item(), pair_error()
    for _ in range(60):
        opt.zero_grad()
        loss().backward()
        opt.step()
    assert start_error > 0.9
    assert loss().item() < start_loss
    assert pair_error() < 0.05

@pytest.mark.parametrize("kind", LOSSES)
def test_losses_are_finite_for_extreme_logits(kind):
    big = torch.tensor([1e4, -1e4, 0.0], requires_grad=True)
    d = discriminator_loss(kind, big, -big)
    g = generator_loss(kind, big, -big.detach())  # the paired losses also take D's logits on real images
    (d + g).backward()
    assert torch.isfinite(d) and torch.isfinite(g) and torch.isfinite(big.grad).all()


def test_generator_losses_push_fake_logits_up():
    for kind in LOSSES:
        x = torch.zeros(4, requires_grad=True)
        generator_loss(kind, x, torch.zeros(4)).backward()
        assert (x.grad < 0).all(), kind  # gradient descent raises D(G(z))


def test_the_paired_loss_compares_each_fake_with_a_real_and_needs_the_reals():
    """RpGAN: only the difference D(fake) - D(real) matters, so shifting both logits changes nothing."""
    real, fake = torch.randn(8), torch.randn(8)
    for shift in (-5.0, 3.0):
        assert discriminator_loss("rpgan", real + shift, fake + shift) == pytest.approx(
            discriminator_loss("rpgan", real, fake).item(), abs=1e-6)
        assert generator_loss("rpgan", fake + shift, real + shift) == pytest.approx(
            generator_loss("rpgan", fake, real).item(), abs=1e-6)
    with pytest.raises(ValueError, match="pass D's logits on a real batch"):
        generator_loss("rpgan", fake)


def test_the_penalty_schedule_falls_from_one_to_its_end_value():
    from gan.training.losses import penalty_scale

    values = [penalty_scale(step, 1000, 0.1) for step in range(0, 1001, 100)]
    assert values[0] == pytest.approx(1.0) and values[-1] == pytest.approx(0.1)
    assert all(a >= b for a, b in zip(values, values[1:]))
    assert penalty_scale(500, 1000, 1.0) == 1.0


def test_unknown_loss():
    with pytest.raises(ValueError, match="unknown loss"):
        discriminator_loss("wasserstein", torch.zeros(1), torch.zeros(1))


def test_r1_penalty_is_the_squared_input_gradient_and_trains_d_flat():
    """For a linear D(x) = w.x + b, grad_x D = w everywhere: the penalty is |w|^2 and its gradient 2w."""
    D = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 1))
    real = torch.randn(8, 1, 2, 2)
    penalty = r1_penalty(lambda x, labels: D(x).squeeze(1), real)
    penalty.backward()
    w = D[1].weight.detach()
    assert penalty.item() == pytest.approx(w.pow(2).sum().item(), rel=1e-5)
    assert torch.allclose(D[1].weight.grad, 2 * w)
    assert not real.requires_grad  # the caller's batch is left alone


def test_mode_seeking_penalises_a_generator_that_maps_many_latents_onto_one_picture():
    torch.manual_seed(0)
    z = torch.randn(64, 8)
    collapsed = torch.tanh(z[:, :1].mean() + torch.zeros(64, 3, 4, 4))  # every latent: the same picture
    diverse = torch.tanh(z @ torch.randn(8, 48)).view(64, 3, 4, 4)
    assert mode_seeking_penalty(z, collapsed) > 100 * mode_seeking_penalty(z, diverse)
    # Minimising it alone spreads a nearly collapsed generator's pictures apart.
    net = torch.nn.Linear(8, 48)
    torch.nn.init.normal_(net.weight, std=1e-3)
    spread = lambda: net(z).std(0).mean().item()  # noqa: E731
    before = spread()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(50):
        opt.zero_grad()
        mode_seeking_penalty(z, net(z)).backward()
        opt.step()
    assert spread() > 10 * before
