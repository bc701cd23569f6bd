"""The PyTorch side of ``python -m nn bench --vs torch``: the same network, batch size and
optimizer, trained the same way, so that seconds per epoch can be compared in one run.

PyTorch is imported only here and only when asked for; DigitLab never depends on it.
"""

import time

import numpy as np

from nn.errors import DigitLabError
from nn.train import split_sizes


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
    used, n_train = split_sizes(len(data.x_train), config)
    start = used - n_train  # the same number of training examples as the NumPy run
    x = torch.from_numpy(data.x_train[start:used].reshape((-1,) + preset.input_shape).copy())
    y = torch.from_numpy(data.y_train[start:used].copy())
    x_test = torch.from_numpy(data.x_test.reshape((-1,) + preset.input_shape).copy())
    y_test = torch.from_numpy(data.y_test.copy())
    model = torch_module(preset.architecture)
    optimizers = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD,
                  "gd": torch.optim.SGD}
    optimizer = optimizers[config.optimizer](model.parameters(), lr=config.learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()
    batch = len(x) if config.batch_size <= 0 else config.batch_size
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
        epoch_seconds.append(time.perf_counter() - start)
        model.eval()
        with torch.no_grad():
            predicted = torch.cat([model(x_test[i:i + 1000]).argmax(1)
                                   for i in range(0, len(x_test), 1000)])
        accuracies.append(float((predicted == y_test).float().mean()))
    return {"version": torch.__version__, "threads": torch.get_num_threads(),
            "seconds_per_epoch": float(np.median(epoch_seconds)),
            "epoch_seconds": epoch_seconds, "test_accuracy": accuracies,
            "final_test_accuracy": accuracies[-1]}
