"""What finding a picture minimises: the pixel distance plus a weighted distance in the evaluator
CNN's features, which cares about shape more than exact stroke position. Shared by the search and by
the encoder's training, so the encoder learns the distance the search then refines."""

from __future__ import annotations

import torch

FEATURE_WEIGHT = 0.5


class FeatureLoss:
    """Squared distance in the evaluator's 128-d features, relative to each target's own size."""

    def __init__(self, classifier, targets: torch.Tensor, data_range: tuple[float, float]):
        lo, hi = data_range
        self.classifier, self.lo, self.hi = classifier.eval(), lo, hi
        with torch.no_grad():
            self.target = classifier(self.to_evaluator(targets))[0]
        self.scale = self.target.pow(2).mean(dim=1).clamp(min=1e-6)

    def to_evaluator(self, x: torch.Tensor) -> torch.Tensor:  # the evaluator reads [-1, 1]
        return (x - self.lo) / (self.hi - self.lo) * 2 - 1

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        feats = self.classifier(self.to_evaluator(images))[0]
        return (feats - self.target).pow(2).mean(dim=1) / self.scale


def fit_loss(images: torch.Tensor, targets: torch.Tensor, feature_loss: FeatureLoss | None) -> torch.Tensor:
    """Per row: how badly an image fits its target (pixel MSE + weighted feature distance). Optimised,
    and also what picks the class: pixels alone cannot tell a thin 4 from a 1, the features can."""
    loss = (images - targets).pow(2).flatten(1).mean(1)
    return loss if feature_loss is None else loss + FEATURE_WEIGHT * feature_loss(images)
