"""Optional Inception FID (Heusel et al., 2017), for comparison with published numbers.

The project's own metric is FD-classifier (gan/evaluation/scores.py): Inception features are trained on
ImageNet photos and read little of what matters in 28x28 grayscale digits, and their weights
cannot be bundled. When `pytorch-fid` or `torch-fidelity` is installed and can load its FID
Inception weights (downloaded once into the torch hub cache), `python -m gan.evaluate --inception`
adds this number; otherwise `load_extractor` raises InceptionUnavailable saying why. Slow on CPU:
every image is upscaled to 299x299 (~6 GFLOP each).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Extractor = Callable[[torch.Tensor], torch.Tensor]  # images in [0, 1], N x 1 x H x W -> N x 2048


class InceptionUnavailable(RuntimeError):
    pass


def as_rgb(x: torch.Tensor) -> torch.Tensor:
    """Inception reads 3 channels: a grey picture is repeated, a colour one fed as it is."""
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


def _pytorch_fid() -> Extractor:
    from pytorch_fid.inception import InceptionV3

    model = InceptionV3([InceptionV3.BLOCK_INDEX_BY_DIM[2048]]).eval()  # resizes to 299 and rescales itself
    return lambda x: model(as_rgb(x))[0].flatten(1)


def _torch_fidelity() -> Extractor:
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    model = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"]).eval()  # reads uint8, resizes itself
    return lambda x: model(as_rgb((x * 255).round().to(torch.uint8)))[0].flatten(1)


BACKENDS = {"pytorch-fid": _pytorch_fid, "torch-fidelity": _torch_fidelity}


def load_extractor() -> tuple[str, Extractor]:
    """(backend name, feature function) of the first backend that is installed and has weights."""
    reasons = []
    for name, build in BACKENDS.items():
        try:
            return name, build()
        except ImportError:
            reasons.append(f"{name} is not installed")
        except Exception as e:  # noqa: BLE001 - weights missing, download refused, corrupt cache: all mean "not here"
            reasons.append(f"{name} could not load its Inception weights ({type(e).__name__}: {e})")
    raise InceptionUnavailable("Inception FID skipped: " + "; ".join(reasons)
                               + ". Install one (pip install pytorch-fid) where its weights can be downloaded.")


@torch.inference_mode()
def inception_features(extract: Extractor, images: torch.Tensor, batch: int = 100) -> torch.Tensor:
    """Features of images in [-1, 1] (the evaluator's range), in batches to bound memory."""
    return torch.cat([extract((images[i:i + batch].float() + 1) / 2).double() for i in range(0, len(images), batch)])
