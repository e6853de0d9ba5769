import json
import os
import pickle
import shutil

import pytest
import torch
from safetensors.torch import save_file

from gan import load_generator
from gan.checkpoint import CheckpointError, load_training_state, save_generator
from gan.sampling.latents import sample


def copy_checkpoint(src, dst_dir, name="model"):
    for suffix in (".safetensors", ".json"):
        shutil.copy(src.with_suffix(suffix), dst_dir / f"{name}{suffix}")
    return dst_dir / f"{name}.safetensors"


def test_round_trip_gives_identical_samples(trained_checkpoint, tmp_path):
    G, meta = load_generator(trained_checkpoint)
    before = sample(G, seeds=range(32))
    again = save_generator(tmp_path / "copy", G, meta)
    G2, meta2 = load_generator(again)
    assert (sample(G2, seeds=range(32)) == before).all()
    assert meta2["generator_args"] == meta["generator_args"]
    for path in (tmp_path / "copy", tmp_path / "copy.json"):  # stem and sidecar name both work
        assert (sample(load_generator(path)[0], seeds=range(32)) == before).all()


@pytest.mark.parametrize("damage, message", [
    (lambda w: w.write_bytes(b""), "not a valid safetensors"),
    (lambda w: w.write_bytes(w.read_bytes()[: w.stat().st_size // 2]), "not a valid safetensors"),
    (lambda w: w.write_bytes(os.urandom(4096)), "not a valid safetensors"),
    (lambda w: w.unlink(), "weights file not found"),
    (lambda w: w.with_suffix(".json").unlink(), "sidecar not found"),
    (lambda w: w.with_suffix(".json").write_text("{not json"), "malformed JSON"),
    (lambda w: w.with_suffix(".json").write_text('{"arch": "mlp"}'), "missing keys"),
])
def test_damaged_checkpoints_give_clear_errors(trained_checkpoint, tmp_path, damage, message):
    weights = copy_checkpoint(trained_checkpoint, tmp_path)
    damage(weights)
    with pytest.raises(CheckpointError, match=message):
        load_generator(weights)


def test_mismatched_tensors_are_refused(trained_checkpoint, tmp_path):
    G, meta = load_generator(trained_checkpoint)
    state = {k: v.clone() for k, v in G.state_dict().items()}
    cases = {
        "missing": {k: v for k, v in list(state.items())[1:]},
        "extra": {**state, "bonus.weight": torch.zeros(3)},
        "misshaped": {**state, next(iter(state)): torch.zeros(5, 5)},
    }
    for name, tensors in cases.items():
        weights = copy_checkpoint(trained_checkpoint, tmp_path, name)
        save_file(tensors, weights)
        with pytest.raises(CheckpointError, match="do not match the architecture"):
            load_generator(weights)


def test_nan_weights_and_wrong_architecture_are_refused(trained_checkpoint, tmp_path):
    G, meta = load_generator(trained_checkpoint)
    state = {k: v.clone() for k, v in G.state_dict().items()}
    first_float = next(k for k, v in state.items() if v.is_floating_point())
    state[first_float][0] = float("nan")
    weights = copy_checkpoint(trained_checkpoint, tmp_path, "nan")
    save_file(state, weights)
    with pytest.raises(CheckpointError, match="NaN or inf"):
        load_generator(weights)
    weights = copy_checkpoint(trained_checkpoint, tmp_path, "arch")
    meta_path = weights.with_suffix(".json")
    meta_path.write_text(json.dumps({**meta, "generator_args": {**meta["generator_args"], "base_channels": 32}}))
    with pytest.raises(CheckpointError, match="do not match the architecture"):
        load_generator(weights)


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch /tmp/gan-studio-pwned",))


# torch.load warns about the plain pickle's protocol before refusing it; the refusal is what is tested.
@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_pickled_training_state_never_executes(tmp_path):
    if os.path.exists("/tmp/gan-studio-pwned"):
        os.unlink("/tmp/gan-studio-pwned")
    evil = tmp_path / "state.pt"
    torch.save({"step": 1, "payload": Exploit()}, evil)  # torch.save pickles the object
    with pytest.raises(CheckpointError, match="unreadable training state"):
        load_training_state(evil)
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(CheckpointError):
        load_training_state(plain)
    assert not os.path.exists("/tmp/gan-studio-pwned")


def test_atomic_writes_are_readable_by_others_and_leave_no_temp_files(tmp_path):
    import stat

    from gan.fileio import atomic_file, atomic_write

    umask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "a.bin", b"hello")
    finally:
        os.umask(umask)
    assert (tmp_path / "a.bin").read_bytes() == b"hello"
    assert stat.S_IMODE((tmp_path / "a.bin").stat().st_mode) & 0o044 == 0o044  # group/other can read
    with pytest.raises(RuntimeError):
        with atomic_file(tmp_path / "a.bin") as (f, _):
            f.write(b"half")
            raise RuntimeError("crash mid-write")
    assert (tmp_path / "a.bin").read_bytes() == b"hello"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_unreadable_sidecar_is_a_checkpoint_error(trained_checkpoint, tmp_path):
    weights = copy_checkpoint(trained_checkpoint, tmp_path)
    weights.with_suffix(".json").unlink()
    weights.with_suffix(".json").mkdir()  # reading it raises IsADirectoryError, an OSError
    with pytest.raises(CheckpointError, match="cannot read"):
        load_generator(weights)
