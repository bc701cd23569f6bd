"""The other side of ``python -m nn bench --preset notebook --vs notebook``: the notebook
"Building a Neural Network From Scratch with NumPy" run as its author wrote it, on the same
training images, so that DigitLab's engine can be timed against the code it started from.

The functions below are the notebook's, changed only where it printed or drew from the global
``np.random``: examples are columns (X is 784 x m, float64 as ``pandas`` gives it), weights are
``(out, in)``, and every iteration allocates its intermediate arrays afresh.
"""

import time

import numpy as np

from nn.training.validation import split_sizes


def init_params(rng):
    W1 = rng.random((10, 784)) - 0.5
    b1 = rng.random((10, 1)) - 0.5
    W2 = rng.random((10, 10)) - 0.5
    b2 = rng.random((10, 1)) - 0.5
    return W1, b1, W2, b2


def ReLU(Z):
    return np.maximum(Z, 0)


def softmax(Z):
    A = np.exp(Z) / sum(np.exp(Z))
    return A


def forward_prop(W1, b1, W2, b2, X):
    Z1 = W1.dot(X) + b1
    A1 = ReLU(Z1)
    Z2 = W2.dot(A1) + b2
    A2 = softmax(Z2)
    return Z1, A1, Z2, A2


def ReLU_deriv(Z):
    return Z > 0


def one_hot(Y):
    one_hot_Y = np.zeros((Y.size, Y.max() + 1))
    one_hot_Y[np.arange(Y.size), Y] = 1
    one_hot_Y = one_hot_Y.T
    return one_hot_Y


def backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y):
    m = Y.size
    one_hot_Y = one_hot(Y)
    dZ2 = A2 - one_hot_Y
    dW2 = 1 / m * dZ2.dot(A1.T)
    db2 = 1 / m * np.sum(dZ2)
    dZ1 = W2.T.dot(dZ2) * ReLU_deriv(Z1)
    dW1 = 1 / m * dZ1.dot(X.T)
    db1 = 1 / m * np.sum(dZ1)
    return dW1, db1, dW2, db2


def update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha):
    W1 = W1 - alpha * dW1
    b1 = b1 - alpha * db1
    W2 = W2 - alpha * dW2
    b2 = b2 - alpha * db2
    return W1, b1, W2, b2


def get_predictions(A2):
    return np.argmax(A2, 0)


def bench_notebook(config, data):
    """Run the notebook's gradient descent for ``config.epochs`` iterations at its learning rate
    on as many training images as DigitLab trains on; seconds per iteration and test accuracy."""
    used, n_train = split_sizes(len(data.x_train), config)
    X = data.x_train[used - n_train:used].reshape(n_train, -1).T.astype(np.float64)
    Y = data.y_train[used - n_train:used]
    W1, b1, W2, b2 = init_params(np.random.default_rng(config.seed))
    start = time.perf_counter()
    for _ in range(config.epochs):
        Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
        dW1, db1, dW2, db2 = backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)
        W1, b1, W2, b2 = update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, config.learning_rate)
    seconds = (time.perf_counter() - start) / max(config.epochs, 1)
    X_test = data.x_test.reshape(len(data.x_test), -1).T.astype(np.float64)
    accuracy = float(np.mean(get_predictions(forward_prop(W1, b1, W2, b2, X_test)[3])
                             == data.y_test))
    return {"seconds_per_epoch": seconds, "final_test_accuracy": accuracy}
