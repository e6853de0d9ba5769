"""GAN Studio's library: data/ -> models.py -> training/ -> checkpoint.py -> sampling/, with
inversion/ and evaluation/ beside sampling; `python -m gan.<command>` modules sit at the top
(train, sample, evaluate, invert, encoder, neighbours, classifier). Map: docs/architecture.md.

Public API for using trained generators:

    from gan import load_generator, make_grid
    from gan.sampling.latents import sample, interpolate
    G, meta = load_generator("checkpoints/mnist-dcgan.safetensors")
    grid = make_grid(sample(G, seeds=range(64)), scale=2)

(`sample` is not re-exported here: `gan.sample` is the sampling command, and importing it rebinds
that attribute, so `from gan import sample` would depend on import order.)
"""

__version__ = "0.1.0"

from gan.checkpoint import CheckpointError, load_generator, save_generator  # noqa: E402
from gan.data.idx import DataError, load_dataset  # noqa: E402
from gan.sampling.images import gif_bytes, make_grid  # noqa: E402
from gan.sampling.latents import interpolate, latent_for_seeds  # noqa: E402

__all__ = [
    "CheckpointError", "DataError", "gif_bytes", "interpolate", "latent_for_seeds", "load_dataset",
    "load_generator", "make_grid", "save_generator", "__version__",
]
