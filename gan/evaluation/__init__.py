"""Measuring generators: how close to the data, how varied, whether they copy.

- `evaluator_net.py`  the evaluator CNN per data set (its features and class probabilities)
- `scores.py`         FD-classifier, coverage, class KL, precision/recall, memorisation
- `training_index.py` nearest training images (the index behind "Is it copying?")
- `inception_fid.py`  Inception FID, where pytorch-fid / torch-fidelity and their weights exist
"""
