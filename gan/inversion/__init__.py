"""Finding a picture in a generator: the latent (and class) it draws a given picture from.

- `features.py`    the distance the search minimises (pixels + the evaluator's features)
- `encoder_net.py` an encoder per generator: its first guess, trained on the generator's samples
- `search.py`      the search: encoder or seeded starts, then a short optimisation
"""
