"""Stage 5, sampling: from a generator checkpoint to pictures.

- `latents.py`    a seed's latent, batches of samples, interpolation paths
- `images.py`     grids, upscaling, PNG and GIF bytes
- `directions.py` principal latent directions for the sliders
- `plots.py`      line charts drawn with Pillow (losses, metric against time)
"""
