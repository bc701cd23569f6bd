"""Step-by-step training: each batch that Step lets through reports what the step did to it,
measured before and after on that very batch; the batches of a running run report nothing."""

import threading

import numpy as np

from nn.network.model import Model
from nn.training.presets import mlp_architecture
from nn.training.progress import BatchProgress
from nn.training.train import TrainConfig, train

N_IN = 20


def stepped_records(config, steps, n=96, running_first=0):
    """Train on a random problem: ``running_first`` batches run freely, then the run pauses
    and Step lets ``steps`` batches through; the batch records, in order."""
    rng = np.random.default_rng(3)
    x, y = rng.random((n, N_IN), dtype=np.float32), rng.integers(0, 10, n)
    model = Model.from_architecture(mlp_architecture((16,), n_in=N_IN), (N_IN,),
                                    rng=np.random.default_rng(4))
    pause, stop, step = threading.Event(), threading.Event(), threading.Semaphore(0)
    records = []

    def on_progress(record):
        if isinstance(record, BatchProgress):
            records.append(record)
            if len(records) == running_first:
                pause.set()
            if len(records) == running_first + steps:
                stop.set()

    if running_first == 0:
        pause.set()
    for _ in range(steps):
        step.release()
    train(model, x, y, config, on_progress=on_progress, stop=stop, pause=pause, step=step)
    return records


def test_full_batch_steps_chain_and_lower_the_loss():
    # Full batch: every step learns from the same examples, so what one step leaves is what
    # the next one finds, and a small step down the gradient lowers the loss.
    config = TrainConfig(epochs=10, batch_size=0, optimizer="gd", learning_rate=0.5,
                         validation_size=0)
    records = stepped_records(config, steps=5)

    steps = [r.step for r in records]
    assert [s.number for s in steps] == [1, 2, 3, 4, 5]
    assert all(s.batches_per_epoch == 1 and s.size == 96 for s in steps)
    for s in steps:
        assert s.loss_after < s.loss_before
        assert 0 <= s.right_before <= s.size and 0 <= s.right_after <= s.size
    for earlier, later in zip(steps, steps[1:]):
        assert later.loss_before == earlier.loss_after
        assert later.right_before == earlier.right_after


def test_only_the_batches_step_lets_through_are_measured():
    config = TrainConfig(epochs=5, batch_size=32, validation_size=0)
    records = stepped_records(config, steps=2, running_first=4)

    assert [r.step is None for r in records] == [True] * 4 + [False] * 2
    assert [r.step.number for r in records[4:]] == [5, 6]      # the run's 5th and 6th batch
    assert records[4].step.batches_per_epoch == 3
