"""The training loop: learning, progress records, stop and pause, divergence, early stopping,
validation split, batching, determinism, resuming, random streams, and the notebook preset on
real MNIST."""

import dataclasses
import threading
import time

import numpy as np
import pytest

import nn.training.progress
import nn.training.train
from nn.ink.augment import Augmentation
from nn.network.errors import TrainingError
from nn.network.layers import Dense, Dropout, Layer
from nn.network.losses import NONE
from nn.network.model import Model
from nn.files.modelfile import load_model, save_model
from nn.training.presets import PRESETS, mlp_architecture
from nn.network.randomness import STREAMS, RandomStreams, init_rng
from nn.training.progress import BatchProgress, EpochProgress
from nn.training.train import TrainConfig, make_optimizer, resume_optimizer, train
from nn.training.validation import split_validation

N_IN = 20


def random_problem(n, seed, n_in=N_IN, classes=10):
    """n random examples (n, n_in) float32 in [0, 1) with random labels (n,) int64."""
    rng = np.random.default_rng(seed)
    return rng.random((n, n_in), dtype=np.float32), rng.integers(0, classes, n)


def small_mlp(seed=0, hidden=(16,), dropout=0.0):
    return Model.from_architecture(mlp_architecture(hidden, dropout=dropout, n_in=N_IN),
                                   (N_IN,), rng=np.random.default_rng(seed))


class Recorder:
    """An on_progress callback that keeps every record."""

    def __init__(self):
        self.records = []

    def __call__(self, record):
        self.records.append(record)

    @property
    def batches(self):
        return [r for r in self.records if isinstance(r, BatchProgress)]

    @property
    def epochs(self):
        return [r for r in self.records if isinstance(r, EpochProgress)]


# --- learning -----------------------------------------------------------------------------------

def test_adam_overfits_a_small_random_batch_to_full_accuracy():
    x, y = random_problem(64, seed=3)
    model = small_mlp(seed=2, hidden=(64,))
    config = TrainConfig(epochs=60, batch_size=16, optimizer="adam", learning_rate=1e-2,
                         validation_size=0, seed=4)

    result = train(model, x, y, config)

    assert model.accuracy(x, y) == 1.0
    assert result.history[-1].train_accuracy == 1.0
    assert result.history[-1].train_loss < result.history[0].train_loss / 10
    assert result.stopped is False and result.best_epoch is None


def test_examples_of_no_class_are_learnt_as_unsure_and_left_out_of_accuracy():
    # Class 0 inks the first half of the input, class 1 the second; examples of no class
    # (NONE) ink both halves, as two digits written as one ink both.
    rng = np.random.default_rng(7)
    kind = np.repeat([0, 1, 2], 60)
    x = rng.random((180, N_IN), dtype=np.float32) * 0.2
    x[kind != 1, :N_IN // 2] += 0.8
    x[kind != 0, N_IN // 2:] += 0.8
    y = np.where(kind == 2, NONE, kind)
    model = small_mlp(seed=1, hidden=(32,))
    config = TrainConfig(epochs=40, batch_size=30, optimizer="adam", learning_rate=1e-2,
                         validation_size=36, seed=3)

    result = train(model, x, y, config)

    probs = model.predict_proba(x)
    assert (probs[kind < 2].argmax(axis=1) == kind[kind < 2]).all()
    assert probs[kind == 2].max() < 0.2  # near 1/10 for each class: no class is sure
    # Accuracy counts the examples that have a right answer: all of them are read right here,
    # while the NONE third can never be "right".
    assert result.history[-1].train_accuracy == 1.0
    assert result.history[-1].val_accuracy == 1.0


# --- progress records ---------------------------------------------------------------------------

class FakeClock:
    """A clock for nn.training.progress that only moves when a (ticking) training batch runs."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


class Tick(Layer):
    """Identity layer whose training forward pass "takes" exactly one second of a FakeClock."""

    def __init__(self, clock):
        self.clock = clock

    def forward(self, x, training=False):
        if training:
            self.clock.now += 1.0
        return x

    def backward(self, grad_out, need_input_grad=True):
        return grad_out


def test_progress_records_counts_fractions_and_eta(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(nn.training.progress, "time", clock)
    model = small_mlp()
    model.layers.insert(0, Tick(clock))
    x, y = random_problem(96, seed=5)
    config = TrainConfig(epochs=3, batch_size=32, learning_rate=2e-3, validation_size=0)
    seen = Recorder()

    result = train(model, x, y, config, on_progress=seen)

    kinds = [type(r).__name__[0] for r in seen.records]
    assert "".join(kinds) == "BBBE" * 3
    assert [b.epoch for b in seen.batches] == pytest.approx([k / 3 for k in range(1, 10)])
    assert [e.epoch for e in seen.epochs] == [1, 2, 3]
    assert all(r.epochs == 3 for r in seen.records)
    assert all(b.learning_rate == 2e-3 for b in seen.batches)

    # One second per batch of 32 out of 288 samples: after batch k, elapsed k, ETA 9 - k.
    assert [b.elapsed for b in seen.batches] == list(range(1, 10))
    assert [b.eta for b in seen.batches] == [8, 7, 6, 5, 4, 3, 2, 1, 0]
    assert [e.elapsed for e in seen.epochs] == [3, 6, 9]
    assert [e.eta for e in seen.epochs] == [6, 3, 0]
    assert all(r.samples_per_second == pytest.approx(32) for r in seen.records)

    for e, epoch in enumerate(seen.epochs):
        batches = seen.batches[3 * e:3 * e + 3]  # equal sizes: plain means are the epoch's means
        assert epoch.train_loss == pytest.approx(np.mean([b.loss for b in batches]), rel=1e-6)
        assert epoch.train_accuracy == pytest.approx(np.mean([b.accuracy for b in batches]))
        assert epoch.val_loss is None and epoch.val_accuracy is None
    assert result.history == seen.epochs


def test_progress_reports_validation_results_when_examples_are_held_out():
    x, y = random_problem(100, seed=6)
    seen = Recorder()

    train(small_mlp(), x, y, TrainConfig(epochs=2, batch_size=40, validation_size=20),
          on_progress=seen)

    # 80 training examples in batches of 40, 40: two batches per epoch.
    assert len(seen.batches) == 4 and len(seen.epochs) == 2
    for epoch in seen.epochs:
        assert np.isfinite(epoch.val_loss)
        assert epoch.val_accuracy * 20 == pytest.approx(round(epoch.val_accuracy * 20))


# --- stop and pause -----------------------------------------------------------------------------

@pytest.mark.parametrize("stop_after", [1, 2, 5])
def test_stop_set_from_the_callback_stops_within_one_batch(stop_after):
    x, y = random_problem(96, seed=7)
    stop = threading.Event()
    seen = Recorder()

    def on_progress(record):
        seen(record)
        if isinstance(record, BatchProgress) and len(seen.batches) == stop_after:
            stop.set()

    result = train(small_mlp(), x, y, TrainConfig(epochs=4, batch_size=32, validation_size=0),
                   on_progress=on_progress, stop=stop)

    assert result.stopped is True
    assert len(seen.batches) == stop_after
    assert result.optimizer.t == stop_after
    assert len(result.history) == stop_after // 3  # 3 batches per epoch


def test_stop_set_before_training_takes_no_step():
    x, y = random_problem(50, seed=8)
    stop = threading.Event()
    stop.set()
    model = small_mlp()
    before = [p.copy() for p in model.params]

    result = train(model, x, y, TrainConfig(epochs=3, validation_size=0), stop=stop)

    assert result.stopped is True and result.history == [] and result.optimizer.t == 0
    for a, b in zip(model.params, before):
        np.testing.assert_array_equal(a, b)


def test_pause_waits_and_elapsed_excludes_the_paused_time():
    x, y = random_problem(96, seed=9)
    pause = threading.Event()
    wall_at_batch = []

    def on_progress(record):
        if isinstance(record, BatchProgress):
            wall_at_batch.append(time.perf_counter())
            if len(wall_at_batch) == 1:
                pause.set()
                threading.Timer(0.25, pause.clear).start()

    start = time.perf_counter()
    result = train(small_mlp(), x, y, TrainConfig(epochs=2, batch_size=32, validation_size=0),
                   on_progress=on_progress, pause=pause)
    wall = time.perf_counter() - start

    assert result.stopped is False and len(result.history) == 2 and len(wall_at_batch) == 6
    assert wall_at_batch[1] - wall_at_batch[0] >= 0.2  # the second batch waited
    assert result.history[-1].elapsed < wall - 0.15


def test_stop_while_paused_ends_training():
    x, y = random_problem(64, seed=10)
    pause, stop = threading.Event(), threading.Event()
    pause.set()
    threading.Timer(0.1, stop.set).start()

    start = time.perf_counter()
    result = train(small_mlp(), x, y, TrainConfig(epochs=2, validation_size=0),
                   stop=stop, pause=pause)

    assert result.stopped is True and result.optimizer.t == 0
    assert time.perf_counter() - start < 5


# --- divergence ---------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_loss_raises_training_error_naming_the_learning_rate():
    x, y = random_problem(64, seed=11)
    config = TrainConfig(epochs=5, batch_size=16, optimizer="gd", learning_rate=1e30,
                         validation_size=0)

    with pytest.raises(TrainingError) as info:
        train(small_mlp(), x, y, config)

    message = str(info.value)
    assert "diverged" in message
    assert "learning rate" in message and "1e+30" in message and "1e+29" in message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("optimizer, lr", [("sgd", 1e6), ("gd", 1e9)])
def test_huge_learning_rate_raises_training_error(optimizer, lr):
    # With these rates the loss reaches 1e5..1e9 (the ReLUs die, so it never overflows to
    # inf): training has plainly diverged and must say so instead of going on.
    x, y = random_problem(64, seed=0)
    config = TrainConfig(epochs=20, batch_size=16, optimizer=optimizer, learning_rate=lr,
                         validation_size=0)

    with pytest.raises(TrainingError, match="learning rate"):
        train(small_mlp(), x, y, config)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("validation_size", [0, 16])
def test_a_run_whose_only_step_diverges_raises_instead_of_keeping_it(validation_size):
    # One full-batch step: no later batch checks the loss it left. Before, the run ended
    # "finished" and its model, with a loss of 1e25, was saved.
    x, y = random_problem(64, seed=0)
    config = TrainConfig(epochs=1, batch_size=64, optimizer="gd", learning_rate=1e9,
                         validation_size=validation_size)

    with pytest.raises(TrainingError, match="after the last step of epoch 1"):
        train(small_mlp(), x, y, config)


# --- early stopping -----------------------------------------------------------------------------

@pytest.mark.parametrize("patience, val_accuracies, best, stopped_after", [
    (1, [0.5, 0.7, 0.6, 0.9, 0.9], 2, 3),
    (2, [0.5, 0.7, 0.6, 0.65, 0.9], 2, 4),
    (2, [0.5, 0.7, 0.6, 0.8, 0.75, 0.7, 0.9], 4, 6),
    (2, [0.5, 0.7, 0.7, 0.6, 0.9], 2, 4),  # a tie is not "better": the earlier epoch stays
])
def test_early_stopping_restores_the_best_weights(monkeypatch, patience, val_accuracies, best,
                                                  stopped_after):
    scripted = iter(val_accuracies)
    monkeypatch.setattr(nn.training.train, "evaluate", lambda model, x, y: (1.0, next(scripted)))
    x, y = random_problem(100, seed=12)
    model = small_mlp()
    weights_after_epoch = {}

    def on_progress(record):
        if isinstance(record, EpochProgress):
            weights_after_epoch[record.epoch] = [p.copy() for p in model.params]

    result = train(model, x, y, TrainConfig(epochs=len(val_accuracies), batch_size=20,
                                            validation_size=20,
                                            early_stopping_patience=patience),
                   on_progress=on_progress)

    assert result.best_epoch == best
    assert len(result.history) == stopped_after
    assert not np.array_equal(weights_after_epoch[best][0], weights_after_epoch[stopped_after][0])
    for p, saved in zip(model.params, weights_after_epoch[best]):
        np.testing.assert_array_equal(p, saved)


def test_early_stopping_leaves_the_model_at_its_best_validation_accuracy():
    x, y = random_problem(200, seed=13)
    config = TrainConfig(epochs=15, batch_size=16, learning_rate=3e-3, validation_size=40,
                         early_stopping_patience=2, seed=3)
    model = small_mlp(hidden=(32,))

    result = train(model, x, y, config)

    accuracies = [e.val_accuracy for e in result.history]
    assert result.best_epoch == int(np.argmax(accuracies)) + 1
    # The same held-out examples the loop used: the split stream of the same seed.
    _, val = split_validation(len(x), config.validation_size, RandomStreams(config.seed).split)
    x_val, y_val = x[val], y[val]
    assert model.accuracy(x_val, y_val) == max(accuracies)


def test_without_validation_examples_early_stopping_is_off():
    x, y = random_problem(60, seed=14)
    result = train(small_mlp(), x, y, TrainConfig(epochs=3, validation_size=0,
                                                  early_stopping_patience=1))
    assert len(result.history) == 3 and result.best_epoch is None


# --- validation split, train_size, batching -----------------------------------------------------

class InputRecorder(Layer):
    """Identity layer that notes which examples (their id in column 0) go through it."""

    def __init__(self):
        self.training_ids, self.eval_ids = [], []

    def forward(self, x, training=False):
        (self.training_ids if training else self.eval_ids).append(x[:, 0].astype(int).tolist())
        return x

    def backward(self, grad_out, need_input_grad=True):
        return grad_out


def identified_problem(n, seed):
    x, y = random_problem(n, seed, n_in=4, classes=3)
    x[:, 0] = np.arange(n)
    return x, y


def test_split_validation_holds_out_disjoint_examples():
    x, y = identified_problem(100, seed=15)

    train_index, val_index = split_validation(len(x), 15, np.random.default_rng(0))
    x_tr, y_tr, x_val, y_val = x[train_index], y[train_index], x[val_index], y[val_index]

    assert (len(x_tr), len(y_tr), len(x_val), len(y_val)) == (85, 85, 15, 15)
    ids_tr, ids_val = set(x_tr[:, 0].astype(int)), set(x_val[:, 0].astype(int))
    assert ids_tr.isdisjoint(ids_val) and ids_tr | ids_val == set(range(100))
    np.testing.assert_array_equal(y_val, y[x_val[:, 0].astype(int)])  # labels travel along


def test_split_validation_never_takes_more_than_a_fifth():
    x, y = identified_problem(100, seed=16)
    _, val_index = split_validation(len(x), 5000, np.random.default_rng(0))
    assert len(val_index) == 20


def test_train_size_limits_examples_and_validation_is_held_out_of_training():
    x, y = identified_problem(100, seed=17)
    recorder = InputRecorder()
    model = Model([recorder, Dense(4, 3, rng=np.random.default_rng(0))], (4,), "abc")

    train(model, x, y, TrainConfig(epochs=2, batch_size=0, train_size=50, validation_size=10))

    assert [len(ids) for ids in recorder.training_ids] == [40, 40]
    assert [len(ids) for ids in recorder.eval_ids] == [10, 10]
    trained, held_out = set(recorder.training_ids[0]), set(recorder.eval_ids[0])
    assert trained.isdisjoint(held_out)
    assert trained | held_out == set(range(50))
    assert set(recorder.training_ids[1]) == trained and set(recorder.eval_ids[1]) == held_out


def test_mini_batches_cover_every_example_once_per_epoch_in_a_new_order():
    x, y = identified_problem(100, seed=18)
    recorder = InputRecorder()
    model = Model([recorder, Dense(4, 3, rng=np.random.default_rng(0))], (4,), "abc")

    result = train(model, x, y, TrainConfig(epochs=2, batch_size=32, validation_size=0))

    assert [len(ids) for ids in recorder.training_ids] == [32, 32, 32, 4] * 2
    first = sum(recorder.training_ids[:4], [])
    second = sum(recorder.training_ids[4:], [])
    assert sorted(first) == sorted(second) == list(range(100))
    assert first != second
    assert result.optimizer.t == 8


@pytest.mark.parametrize("batch_size", [0, 1000])
def test_full_batch_makes_exactly_one_step_per_epoch(batch_size):
    x, y = random_problem(90, seed=19)
    seen = Recorder()

    result = train(small_mlp(), x, y, TrainConfig(epochs=5, batch_size=batch_size, optimizer="gd",
                                                  learning_rate=0.1, validation_size=0),
                   on_progress=seen)

    assert result.optimizer.t == 5
    assert [b.epoch for b in seen.batches] == [1.0, 2.0, 3.0, 4.0, 5.0]


# --- determinism and resuming -------------------------------------------------------------------

def run_seeded(seed):
    x, y = random_problem(120, seed=20)
    model = small_mlp(seed=5, hidden=(24, 12), dropout=0.3)
    config = TrainConfig(epochs=3, batch_size=16, validation_size=20, schedule="cosine", seed=seed)
    result = train(model, x, y, config)
    losses = [(e.train_loss, e.train_accuracy, e.val_loss, e.val_accuracy) for e in result.history]
    return model, losses


def test_same_seed_gives_bit_identical_runs():
    model_a, history_a = run_seeded(seed=1)
    model_b, history_b = run_seeded(seed=1)
    model_c, _ = run_seeded(seed=2)

    assert history_a == history_b
    for a, b in zip(model_a.params, model_b.params):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(model_a.params[0], model_c.params[0])


def saved_state(optimizer):
    """What a model file keeps of an optimizer: its settings with t, and copies of its arrays."""
    return (optimizer.config() | {"t": optimizer.t},
            {k: a.copy() for k, a in optimizer.state_arrays().items()})


def test_resume_optimizer_continues_the_same_optimizer():
    x, y = random_problem(64, seed=21)
    model = small_mlp()
    config = TrainConfig(epochs=2, batch_size=16, optimizer="adam", validation_size=0)
    first = train(model, x, y, config).optimizer
    model.optimizer_state = saved_state(first)

    resumed = resume_optimizer(model, config)

    assert type(resumed) is type(first) and resumed.t == first.t == 8
    assert resumed.params[0] is model.params[0]
    for key, a in first.state_arrays().items():
        np.testing.assert_array_equal(resumed.state_arrays()[key], a)
        assert np.any(a != 0)


def test_resume_optimizer_starts_fresh_for_another_optimizer():
    x, y = random_problem(64, seed=22)
    model = small_mlp()
    first = train(model, x, y, TrainConfig(epochs=1, batch_size=16, optimizer="adam",
                                           validation_size=0)).optimizer
    model.optimizer_state = saved_state(first)

    resumed = resume_optimizer(model, TrainConfig(optimizer="sgd", momentum=0.5))

    assert resumed.config()["name"] == "sgd" and resumed.momentum == 0.5
    assert resumed.t == 0
    assert all(not a.any() for a in resumed.state_arrays().values())


def test_resume_optimizer_without_saved_state_is_fresh():
    resumed = resume_optimizer(small_mlp(), TrainConfig(optimizer="adamw", weight_decay=0.02))
    assert resumed.config()["name"] == "adamw" and resumed.weight_decay == 0.02 and resumed.t == 0


def test_make_optimizer_refuses_an_unknown_name():
    with pytest.raises(TrainingError, match="Unknown optimizer 'rmsprop'.*gd, sgd, adam, adamw"):
        make_optimizer(small_mlp(), TrainConfig(optimizer="rmsprop"))


def test_train_config_round_trips_through_a_dict_and_ignores_unknown_keys():
    config = TrainConfig(epochs=3, optimizer="sgd", nesterov=True, schedule="step")
    assert TrainConfig.from_dict(config.to_dict() | {"from_the_future": 1}) == config


# --- the notebook preset on real MNIST ----------------------------------------------------------

@pytest.mark.slow
def test_notebook_recipe_reaches_85_percent_on_real_mnist(mnist_dir):
    """The notebook preset's network, initialisation, learning rate, seed and 500 full-batch
    steps, on 10,000 of its 41,000 training images (a quarter of the time): the tiny network
    learns nearly as much from them (86.4% here, 86.6% from all of them)."""
    from nn.data.datasets import load_dataset

    data = load_dataset(data_dir=mnist_dir)
    preset = PRESETS["notebook"]
    config = dataclasses.replace(preset.config, train_size=11000)
    model = Model.from_architecture(preset.architecture, preset.input_shape, data.class_names,
                                    rng=init_rng(config.seed))

    result = train(model, data.x_train, data.y_train, config)

    assert len(result.history) == 500 and result.optimizer.t == 500  # full batch: 1 step/epoch
    assert model.accuracy(data.x_test, data.y_test) >= 0.85


# --- random streams ------------------------------------------------------------------------------

def record_shuffles_and_masks(monkeypatch):
    """Make every batch note its examples' ids (column 0) and the dropout mask it drew."""
    seen = []
    original = nn.training.train.augmented_gradient

    def recording(augmentation, model, x, y, rng):
        result = original(augmentation, model, x, y, rng)
        dropout = next(layer for layer in model.layers if isinstance(layer, Dropout))
        seen.append((x[:, 0].astype(int).tolist(), dropout.mask.copy()))
        return result

    monkeypatch.setattr(nn.training.train, "augmented_gradient", recording)
    return seen


def streams_problem():
    x, y = random_problem(80, seed=22)
    x[:, 0] = np.arange(80)
    config = TrainConfig(epochs=1, batch_size=16, validation_size=10, seed=7)
    return x, y, config


def test_same_seed_draws_the_same_shuffles_and_masks(monkeypatch):
    x, y, config = streams_problem()
    seen = record_shuffles_and_masks(monkeypatch)
    train(small_mlp(dropout=0.5), x, y, config)
    first = list(seen)
    seen.clear()
    train(small_mlp(dropout=0.5), x, y, config)
    assert [ids for ids, _ in seen] == [ids for ids, _ in first]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(seen, first))


def test_a_resumed_run_continues_the_streams_instead_of_restarting_them(tmp_path, monkeypatch):
    x, y, config = streams_problem()
    seen = record_shuffles_and_masks(monkeypatch)
    model = small_mlp(dropout=0.5)
    train(model, x, y, config)
    first = list(seen)
    save_model(tmp_path / "m.npz", model)
    seen.clear()

    train(load_model(tmp_path / "m.npz"), x, y, config)

    resumed = list(seen)
    assert [ids for ids, _ in resumed] != [ids for ids, _ in first]
    assert (sorted(i for ids, _ in resumed for i in ids)
            == sorted(i for ids, _ in first for i in ids))
    assert not any(np.array_equal(a, b) for (_, a), (_, b) in zip(resumed, first))


def test_turning_augmentation_on_leaves_the_shuffles_and_the_masks_alone(monkeypatch):
    x, y = random_problem(80, seed=23, n_in=784)
    x[:, 0] = np.arange(80)
    config = TrainConfig(epochs=2, batch_size=16, validation_size=10, seed=7)
    seen = record_shuffles_and_masks(monkeypatch)
    runs = []
    for augmentation in (None, Augmentation()):
        model = Model.from_architecture(mlp_architecture((16,), dropout=0.5), (784,),
                                        rng=np.random.default_rng(0))
        train(model, x, y, dataclasses.replace(config, augmentation=augmentation))
        runs.append(list(seen))
        seen.clear()
    assert [ids for ids, _ in runs[0]] == [ids for ids, _ in runs[1]]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(*runs))


def test_each_use_of_randomness_has_its_own_stream():
    streams = RandomStreams(7)
    draws = {tuple(getattr(streams, name).random(4)) for name in STREAMS}
    assert len(draws) == len(STREAMS)
    assert np.array_equal(init_rng(7).random(4), RandomStreams(7).init.random(4))
