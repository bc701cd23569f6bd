"""The PyTorch side of ``python -m nn bench --vs torch``: the same network, batch size and
optimizer, trained the same way, so that seconds per epoch can be compared in one run.

PyTorch is imported only here and only when asked for; DigitLab never depends on it.
"""

import time

import numpy as np

from nn.network.errors import DigitLabError
from nn.training.validation import split_sizes


def torch_module(specs):
    """A torch.nn.Sequential equivalent to DigitLab layer specs."""
    import torch.nn as tnn

    def convert(spec):
        kind = spec["type"]
        if kind == "Dense":
            return tnn.Linear(spec["in"], spec["out"])
        if kind == "Conv2D":
            return tnn.Conv2d(spec["in_channels"], spec["out_channels"], spec["kernel_size"],
                              padding="same" if spec.get("padding") == "same" else 0)
        if kind == "MaxPool2D":
            return tnn.MaxPool2d(spec.get("size", 2))
        if kind == "Dropout":
            return tnn.Dropout(spec["rate"])
        if kind == "LeakyReLU":
            return tnn.LeakyReLU(spec.get("slope", 0.01))
        return {"ReLU": tnn.ReLU, "Sigmoid": tnn.Sigmoid, "Tanh": tnn.Tanh,
                "Flatten": tnn.Flatten}[kind]()

    return tnn.Sequential(*[convert(s) for s in specs])


def bench_torch(preset, config, data):
    try:
        import torch
    except ImportError as e:
        raise DigitLabError("--vs torch needs PyTorch: pip install torch==2.13.0") from e
    torch.manual_seed(config.seed)
    # As many training and held-out examples as the NumPy run. train() checks the model on its
    # held-out examples after every epoch, inside the epoch's time, and so does this side.
    used, n_train = split_sizes(len(data.x_train), config)
    held_out = used - n_train
    shape = (-1,) + preset.input_shape
    x = torch.from_numpy(data.x_train[held_out:used].reshape(shape).copy())
    y = torch.from_numpy(data.y_train[held_out:used].copy())
    x_val = torch.from_numpy(data.x_train[:held_out].reshape(shape).copy())
    y_val = torch.from_numpy(data.y_train[:held_out].copy())
    x_test = torch.from_numpy(data.x_test.reshape(shape).copy())
    y_test = torch.from_numpy(data.y_test.copy())
    model = torch_module(preset.architecture)
    optimizers = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD,
                  "gd": torch.optim.SGD}
    optimizer = optimizers[config.optimizer](model.parameters(), lr=config.learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()
    batch = len(x) if config.batch_size <= 0 else config.batch_size

    def accuracy(x, y):
        model.eval()
        with torch.no_grad():  # in batches of 1,000, like DigitLab
            correct = sum(int((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum())
                          for i in range(0, len(x), 1000))
        return correct / max(len(x), 1)

    epoch_seconds, accuracies = [], []
    for _ in range(config.epochs):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(x))
        xs, ys = x[order], y[order]  # one shuffled copy per epoch, like DigitLab
        for i in range(0, len(x), batch):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xs[i:i + batch]), ys[i:i + batch])
            loss.backward()
            optimizer.step()
        accuracy(x_val, y_val)
        epoch_seconds.append(time.perf_counter() - start)
        accuracies.append(accuracy(x_test, y_test))  # not timed, as on the NumPy side
    return {"version": torch.__version__, "threads": torch.get_num_threads(),
            "seconds_per_epoch": float(np.median(epoch_seconds)),
            "epoch_seconds": epoch_seconds, "test_accuracy": accuracies,
            "final_test_accuracy": accuracies[-1]}
