"""GAN Studio's training package: data -> models -> losses -> training -> checkpoints -> sampling.

Public API for using trained generators:

    from gan import load_generator, make_grid
    from gan.sampling import sample, interpolate
    G, meta = load_generator("checkpoints/mnist-dcgan.safetensors")
    grid = make_grid(sample(G, seeds=range(64)), scale=2)

(`sample` is not re-exported here: `gan.sample` is the sampling CLI module, and importing it
rebinds that attribute, so `from gan import sample` would depend on import order.)
"""

__version__ = "0.1.0"

from .checkpoint import CheckpointError, load_generator, save_generator  # noqa: E402
from .data import DataError, load_dataset  # noqa: E402
from .images import gif_bytes, make_grid  # noqa: E402
from .sampling import interpolate, latent_for_seeds  # noqa: E402

__all__ = [
    "CheckpointError", "DataError", "gif_bytes", "interpolate", "latent_for_seeds", "load_dataset",
    "load_generator", "make_grid", "save_generator", "__version__",
]
