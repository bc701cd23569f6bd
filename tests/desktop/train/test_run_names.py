"""How overlaid runs are named: the settings that differ, short, valued as the Train form
shows them; all of a run's settings, named as the form names them, for its tooltip."""

import dataclasses

from desktop.train.runs_model import (all_settings, completed_epochs, describe_settings,
                                      differing_settings)
from desktop.storage.runs import Run
from nn.training.train import TrainConfig


def run(status="finished", epochs=3, **config):
    settings = {"config": dataclasses.asdict(TrainConfig(epochs=5, **config))}
    return Run("2026-12-06T08:00:00+00:00", "new", status, "mlp-2026-12-06-0800",
               "784-16-10 ReLU", "mnist", epochs, 0.9, 12.0, 12_730, settings)


def test_an_optimizer_is_named_as_the_form_names_it():
    momentum = run(optimizer="sgd", momentum=0.9, learning_rate=0.5)
    adam = run(optimizer="adam", learning_rate=0.5)
    nesterov = run(optimizer="sgd", nesterov=True, learning_rate=0.5)

    names = differing_settings([momentum, adam, nesterov])

    assert names == ["optimizer"]
    assert [describe_settings(r, names) for r in (momentum, adam, nesterov)] == [
        "Momentum", "Adam", "Nesterov momentum"]


def test_short_names_for_the_legend_and_form_names_in_the_tooltip():
    fast, slow = run(learning_rate=0.5, batch_size=64), run(learning_rate=0.01, batch_size=0)
    names = differing_settings([fast, slow])

    assert [describe_settings(r, names) for r in (fast, slow)] == ["lr=0.5, batch=64",
                                                                 "lr=0.01, batch=full"]
    tooltip = all_settings(slow).split("\n")
    assert tooltip[0] == "mlp-2026-12-06-0800: 3 epochs"
    assert "Learning rate: 0.01" in tooltip and "Batch size: full" in tooltip
    assert "Optimizer: Adam" in tooltip and "Schedule: Constant" in tooltip


def test_a_stopped_run_says_how_far_it_got():
    assert completed_epochs(run(status="stopped", epochs=2)) == "stopped after 2 of 5 epochs"
    assert completed_epochs(run(status="stopped", epochs=1)) == "stopped after 1 of 5 epochs"
    assert completed_epochs(run(epochs=1)) == "1 epoch"
