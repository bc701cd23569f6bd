"""How well a model's predictions match the labels: accuracy, per class, confusion matrix."""

import numpy as np


def accuracy(y_true, y_pred):
    """Fraction of examples whose predicted class equals the label."""
    return float(np.mean(np.asarray(y_pred) == np.asarray(y_true)))


def confusion_matrix(y_true, y_pred, n_classes):
    """(n_classes, n_classes) counts: row = true class, column = predicted class."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def per_class_accuracy(matrix):
    """Each class's share of its examples predicted right (0 for a class without examples)."""
    return matrix.diagonal() / np.maximum(matrix.sum(axis=1), 1)
