"""Stage 3, training: `python -m gan.train` (gan/train.py) runs `loop.train(config)`.

- `config.py`      TrainConfig: every setting, the presets' defaults filled in, validated
- `loop.py`        the training loop: batches, the D and G steps, EMA, checkpoints, resume
- `losses.py`      the adversarial losses and penalties (R1, R2, WGAN-GP)
- `run_log.py`     log.jsonl, the run's record that the trainer writes and the web page reads
- `distributed.py` torchrun: one process per GPU or machine
"""
