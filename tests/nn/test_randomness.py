"""Random streams: independent per use, continued across runs, kept in model files."""

import json

import numpy as np
import pytest

from nn.network.errors import ModelFileError
from nn.network.model import Model
from nn.files.modelfile import load_model, save_model
from nn.training.presets import mlp_architecture
from nn.network.randomness import CONTINUED, RandomStreams, is_valid_state


def test_resume_continues_the_streams_of_the_same_seed_only():
    first = RandomStreams(3)
    drawn = {name: getattr(first, name).random(5) for name in CONTINUED}
    state = first.state()

    resumed = RandomStreams.resume(3, json.loads(json.dumps(state)))  # as a model file keeps it
    again = RandomStreams(3)
    for name in CONTINUED:
        assert np.array_equal(getattr(resumed, name).random(5), getattr(first, name).random(5))
        assert np.array_equal(getattr(again, name).random(5), drawn[name])  # restarts
    assert np.array_equal(RandomStreams.resume(3, state).split.random(5),
                          RandomStreams(3).split.random(5))  # the split always restarts
    other_seed = RandomStreams.resume(4, state)
    assert np.array_equal(other_seed.shuffle.random(5), RandomStreams(4).shuffle.random(5))


def test_model_files_keep_the_random_state(tmp_path):
    model = Model.from_architecture(mlp_architecture((4,), n_in=6, n_out=10), (6,), "abcdefghij")
    model.random_state = RandomStreams(9).state()
    save_model(tmp_path / "m.npz", model)
    assert load_model(tmp_path / "m.npz").random_state == model.random_state
    model.random_state = None
    save_model(tmp_path / "none.npz", model)
    assert load_model(tmp_path / "none.npz").random_state is None


@pytest.mark.parametrize("state", [
    "not a record", {"seed": "9"}, {"seed": 9}, {"seed": 9, "shuffle": {}, "dropout": {},
                                                "augmentation": {}},
])
def test_a_damaged_random_state_is_refused_on_loading(tmp_path, state):
    assert not is_valid_state(state)
    model = Model.from_architecture(mlp_architecture((4,), n_in=6, n_out=10), (6,), "abcdefghij")
    path = tmp_path / "m.npz"
    save_model(path, model)
    with np.load(path) as npz:
        arrays = {name: npz[name] for name in npz.files}
    meta = json.loads(str(arrays.pop("meta")))
    np.savez(path, **arrays, meta=np.array(json.dumps(meta | {"random_state": state})))
    with pytest.raises(ModelFileError, match="random_state"):
        load_model(path)
