"""The critic: a discriminator judging a trained generator's pictures.

fit.py fits one to the frozen (EMA) generator the app samples and calibrates it on held-out pictures;
verdict.py turns its score into percentiles and a saliency map; selection.py samples with it.
"""
