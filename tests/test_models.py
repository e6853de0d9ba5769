import pytest
import torch

from gan.models import PRESETS, build_discriminator, build_generator, preset_models


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("num_classes", [0, 10])
def test_preset_shapes(preset, num_classes):
    arch, g_args, d_args = preset_models(preset, num_classes)
    G, D = build_generator(arch, **g_args).eval(), build_discriminator(arch, **d_args).eval()
    z = torch.randn(5, G.latent_dim)
    y = torch.arange(5) if num_classes else None
    x = G(z, y)
    assert x.shape == (5, 1, 28, 28)
    lo = 0.0 if G.output == "sigmoid" else -1.0
    assert x.min() >= lo and x.max() <= 1.0
    assert D(x, y).shape == (5,)


def test_reference_preset_shapes_match_their_designs():
    keras = build_generator("mlp", **preset_models("keras-mlp")[1])
    widths = [m.out_features for m in keras.modules() if isinstance(m, torch.nn.Linear)]
    assert keras.latent_dim == 100 and widths == [256, 512, 1024, 784]
    assert [m.momentum for m in keras.modules() if isinstance(m, torch.nn.BatchNorm1d)] == [0.2] * 3
    tf = build_generator("dcgan", **preset_models("tf-dcgan")[1])
    convs = [(m.out_channels, m.kernel_size, m.stride) for m in tf.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert convs == [(128, (5, 5), (1, 1)), (64, (5, 5), (2, 2)), (1, (5, 5), (2, 2))]
    ours = build_generator("dcgan", **preset_models("dcgan")[1])  # a stage may override the kernel
    convs = [(m.out_channels, m.kernel_size, m.stride) for m in ours.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert convs == [(128, (3, 3), (1, 1)), (64, (4, 4), (2, 2)), (1, (4, 4), (2, 2))]
    torch_mlp = build_discriminator("mlp", **preset_models("torch-mlp")[2])
    assert [m.out_features for m in torch_mlp.modules() if isinstance(m, torch.nn.Linear)] == [256, 128, 64, 1]
    numpy_g = build_generator("mlp", **preset_models("numpy-mlp")[1])
    assert numpy_g.output == "sigmoid" and [m.out_features for m in numpy_g.modules()
                                            if isinstance(m, torch.nn.Linear)] == [512, 784]


def test_soft_labels_equal_hard_labels_at_one_hot():
    G = build_generator("dcgan", **preset_models("dcgan", 10)[1]).eval()
    z = torch.randn(3, G.latent_dim)
    hard = G(z, torch.tensor([1, 4, 7]))
    soft = G(z, torch.nn.functional.one_hot(torch.tensor([1, 4, 7]), 10).float())
    assert torch.allclose(hard, soft, atol=1e-6)


@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
def test_class_head_adds_class_logits_without_changing_the_realness_logit(arch):
    D = build_discriminator(arch, num_classes=10, class_head=True)
    x, y = torch.randn(4, 1, 28, 28), torch.arange(4)
    logit, classes, twin = D(x, y, classes=True)
    assert logit.shape == (4,) and classes.shape == (4, 10) and twin is None
    assert torch.equal(logit, D(x, y))
    tac = build_discriminator(arch, num_classes=10, class_head=True, twin_class_head=True)
    logit, classes, twin = tac(x, y, classes=True)
    assert classes.shape == twin.shape == (4, 10) and not torch.equal(classes, twin)  # two separate heads
    with pytest.raises(ValueError, match="twin_class_head needs class_head"):
        build_discriminator(arch, num_classes=10, twin_class_head=True)
    with pytest.raises(ValueError, match="no class head"):
        build_discriminator(arch, num_classes=10)(x, y, classes=True)
    with pytest.raises(ValueError, match="needs a class-conditional"):
        build_discriminator(arch, class_head=True)


def test_conditional_models_require_labels():
    G = build_generator("mlp", **preset_models("mlp", 10)[1])
    with pytest.raises(ValueError, match="class-conditional"):
        G(torch.randn(2, G.latent_dim))


def test_bad_architecture_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown generator"):
        build_generator("resnet")
    with pytest.raises(ValueError, match="must upsample to 28x28"):
        build_generator("dcgan", stages=[[64, 2], [1, 3, 3]])  # 28 is no multiple of 6
    with pytest.raises(ValueError, match="end with 3 channel"):
        build_generator("dcgan", stages=[[64, 2], [1, 2]], image_shape=[3, 28, 28])
    with pytest.raises(ValueError, match="laid out for 28x28 only; at 64 px use"):
        preset_models("tf-dcgan", 0, (3, 64, 64))
    with pytest.raises(ValueError, match="1 or 3 channels"):
        preset_models("dcgan", 0, (4, 32, 32))
    with pytest.raises(ValueError, match="unknown preset"):
        preset_models("nope")


def test_a_residual_block_starts_as_the_identity_and_learns():
    """Fix-up initialisation: the last conv of each block starts at zero, so a fresh block passes
    its input through unchanged, yet gradients reach that conv."""
    from gan.models import ResidualBlock

    block = ResidualBlock(32, total_blocks=4)
    x = torch.randn(2, 32, 7, 7)
    assert torch.equal(block(x), x)
    block(x).square().sum().backward()
    assert block.project.weight.grad.abs().sum() > 0


@pytest.mark.slow
def test_the_r3_preset_trains_a_few_steps_conditional_and_self_conditioned(tmp_path, mnist_dir):
    from conftest import run_training

    from gan.checkpoint import load_generator

    for extra in ({"conditional": True}, {"modes": 4}):
        path = run_training(tmp_path / str(extra), preset="r3", steps=8, **extra)
        G, meta = load_generator(path)
        assert meta["loss"] == "rpgan" and meta["config"]["r1"] > 0 and meta["config"]["r2"] > 0
        assert G(torch.randn(3, G.latent_dim), torch.tensor([0, 1, 2]) if extra.get("conditional") else None).shape \
            == (3, 1, 28, 28)
