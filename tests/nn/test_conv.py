"""Conv2D and MaxPool2D: values against plain loops, gradients against finite differences."""

import numpy as np
import pytest

from nn.network.conv import Conv2D, MaxPool2D
from nn.network.losses import softmax_cross_entropy
from nn.network.model import Model
from nn.files.modelfile import load_model, save_model
from nn.network.optim import Adam
from nn.training.presets import PRESETS, cnn_architecture
from tests.nn.gradcheck import numerical_grad


def naive_conv(x, W, b, padding):
    """Cross-correlation written as loops over every output value: slow but obviously right."""
    k = W.shape[2]
    if padding == "same":
        before = (k - 1) // 2
        x = np.pad(x, ((0, 0), (0, 0), (before, k - 1 - before), (before, k - 1 - before)))
    n, _, h, w = x.shape
    out = np.zeros((n, W.shape[0], h - k + 1, w - k + 1))
    for i in range(n):
        for o in range(W.shape[0]):
            for r in range(h - k + 1):
                for c in range(w - k + 1):
                    out[i, o, r, c] = np.sum(x[i, :, r:r + k, c:c + k] * W[o]) + b[o]
    return out


def naive_max_pool(x, s):
    n, c, h, w = x.shape
    out = np.zeros((n, c, h // s, w // s))
    for r in range(h // s):
        for col in range(w // s):
            out[:, :, r, col] = x[:, :, r * s:(r + 1) * s, col * s:(col + 1) * s].max(axis=(2, 3))
    return out


def as_float64(layer):
    """Switch a layer's parameters to float64, so finite differences are accurate."""
    for name in layer.param_names:
        setattr(layer, name, getattr(layer, name).astype(np.float64))
        setattr(layer, "d" + name, np.zeros_like(getattr(layer, name)))
    return layer


def check_gradients(layer, x, rng):
    """Compare backward() with finite differences of L = sum(forward(x) * r) for fixed r."""
    r = rng.normal(size=layer.forward(x, training=True).shape)

    def loss():
        return float(np.sum(layer.forward(x, training=True) * r))

    layer.forward(x, training=True)
    dx = layer.backward(r)
    analytic = [dx] + [g.copy() for g in layer.grads]
    numeric = [numerical_grad(loss, x)] + [numerical_grad(loss, p) for p in layer.params]
    for got, want in zip(analytic, numeric):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_forward_matches_loops(padding):
    rng = np.random.default_rng(1)
    conv = Conv2D(2, 3, 3, padding=padding, rng=rng)
    conv.b[:] = rng.normal(size=3)
    x = rng.normal(size=(2, 2, 6, 7)).astype(np.float32)
    y = conv.forward(x)
    want = naive_conv(x.astype(np.float64), conv.W.astype(np.float64), conv.b, padding)
    assert y.dtype == np.float32
    assert y.shape == (2, 3) + conv.output_shape((2, 6, 7))[1:]
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_gradients(padding):
    rng = np.random.default_rng(2)
    conv = as_float64(Conv2D(2, 3, 3, padding=padding, rng=rng))
    conv.b[:] = rng.normal(size=3)
    check_gradients(conv, rng.normal(size=(2, 2, 6, 6)), rng)


def test_conv_even_kernel_same_padding_keeps_size():
    rng = np.random.default_rng(3)
    conv = as_float64(Conv2D(1, 2, 4, padding="same", rng=rng))
    x = rng.normal(size=(2, 1, 5, 5))
    assert conv.forward(x).shape == (2, 2, 5, 5)
    np.testing.assert_allclose(conv.forward(x), naive_conv(x, conv.W, conv.b, "same"), atol=1e-12)
    check_gradients(conv, x, rng)


def test_conv_first_layer_skips_input_gradient():
    rng = np.random.default_rng(4)
    conv = Conv2D(1, 2, 3, rng=rng)
    x = rng.random((3, 1, 5, 5), dtype=np.float32)
    conv.forward(x, training=True)
    g = np.ones((3, 2, 3, 3), dtype=np.float32)
    assert conv.backward(g, need_input_grad=False) is None
    dW = conv.dW.copy()
    conv.backward(g)
    np.testing.assert_array_equal(conv.dW, dW)


def test_conv_inference_in_chunks_matches_one_batch(monkeypatch):
    rng = np.random.default_rng(5)
    conv = Conv2D(2, 4, 3, padding="same", rng=rng)
    x = rng.random((10, 2, 8, 8), dtype=np.float32)
    whole = conv.forward(x, training=True)
    monkeypatch.setattr("nn.network.conv.MAX_INFERENCE_COLS_BYTES", 3 * 2 * 9 * 64 * 4)  # 3 images
    np.testing.assert_allclose(conv.forward(x), whole, rtol=1e-6, atol=1e-6)


def test_max_pool_forward_and_gradient():
    rng = np.random.default_rng(6)
    x = rng.permutation(2 * 3 * 6 * 6).reshape(2, 3, 6, 6).astype(np.float64)  # no ties
    pool = MaxPool2D(2)
    np.testing.assert_array_equal(pool.forward(x), naive_max_pool(x, 2))
    check_gradients(pool, x / 10, rng)


def test_max_pool_odd_size_drops_the_last_row_and_column():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 2, 7, 5))
    pool = MaxPool2D(2)
    assert pool.output_shape((2, 7, 5)) == (2, 3, 2)
    np.testing.assert_array_equal(pool.forward(x), naive_max_pool(x, 2))
    check_gradients(pool, x, rng)


def test_max_pool_splits_a_tied_gradient_equally_and_it_adds_up_to_the_tied_slope():
    pool = MaxPool2D(2)
    x = np.zeros((1, 2, 2, 2), dtype=np.float64)
    x[0, 0, 1, :] = 5.0  # channel 0: the bottom row ties
    x[0, 1] = 3.0        # channel 1: all four tie (blank paper after a bias)
    pool.forward(x, training=True)
    dx = pool.backward(np.array([[[[2.0]], [[1.0]]]]))
    np.testing.assert_array_equal(dx[0, 0], [[0, 0], [1, 1]])
    np.testing.assert_array_equal(dx[0, 1], np.full((2, 2), 0.25))
    # Raising the tied inputs together by h raises the maximum by h: the shares of each
    # window add up to that slope, measured by central differences.
    h = 1e-6
    for channel, tied in ((0, (slice(1, 2), slice(None))), (1, (slice(None), slice(None)))):
        up, down = x.copy(), x.copy()
        up[0, channel][tied] += h
        down[0, channel][tied] -= h
        slope = (pool.forward(up)[0, channel] - pool.forward(down)[0, channel]) / (2 * h)
        np.testing.assert_allclose(dx[0, channel].sum() / [2.0, 1.0][channel], slope[0, 0])


def test_output_shapes_and_specs_round_trip():
    rng = np.random.default_rng(8)
    for layer, shape, want in [
        (Conv2D(1, 16, 5, rng=rng), (1, 28, 28), (16, 24, 24)),
        (Conv2D(16, 32, 5, padding="same", rng=rng), (16, 14, 14), (32, 14, 14)),
        (MaxPool2D(2), (32, 14, 14), (32, 7, 7)),
        (MaxPool2D(3), (8, 10, 10), (8, 3, 3)),
    ]:
        assert layer.output_shape(shape) == want
        again = type(layer).from_spec(layer.spec(), rng)
        assert again.spec() == layer.spec()
        assert [p.shape for p in again.params] == [p.shape for p in layer.params]
    with pytest.raises(ValueError):
        Conv2D(1, 2, 3, padding="full")
    with pytest.raises(ValueError):
        Conv2D(3, 4, 3).output_shape((1, 28, 28))


def tiny_cnn(rng):
    specs = [
        {"type": "Conv2D", "in_channels": 1, "out_channels": 4, "kernel_size": 3,
         "padding": "same"},
        {"type": "ReLU"},
        {"type": "MaxPool2D", "size": 2},
        {"type": "Conv2D", "in_channels": 4, "out_channels": 8, "kernel_size": 3},
        {"type": "ReLU"},
        {"type": "Flatten"},
        {"type": "Dense", "in": 8 * 2 * 2, "out": 10, "init": "glorot"},
    ]
    return Model.from_architecture(specs, input_shape=(1, 8, 8), rng=rng)


def test_whole_cnn_gradient_matches_finite_differences():
    rng = np.random.default_rng(9)
    model = tiny_cnn(rng)
    for layer in model.layers:
        if layer.params:
            as_float64(layer)
    x = rng.random((3, 1, 8, 8))
    y = np.array([1, 4, 7])

    def loss():
        return softmax_cross_entropy(model.forward(x, training=True), y)[0]

    model.backward(softmax_cross_entropy(model.forward(x, training=True), y)[2])
    analytic = [g.copy() for g in model.grads]
    names = [name for name, _ in model.named_params()]
    assert names == ["layer0.W", "layer0.b", "layer3.W", "layer3.b", "layer6.W", "layer6.b"]
    for name, p, g in zip(names, model.params, analytic):
        assert np.any(g != 0), name
        np.testing.assert_allclose(g, numerical_grad(loss, p), rtol=1e-5, atol=1e-9,
                                   err_msg=name)


def test_tiny_cnn_overfits_a_small_batch():
    rng = np.random.default_rng(10)
    model = tiny_cnn(rng)
    x = rng.random((20, 1, 8, 8), dtype=np.float32)
    y = np.arange(20) % 10
    optimizer = Adam(model.params, model.grads)
    for _ in range(150):
        _, _, grad = softmax_cross_entropy(model.forward(x, training=True), y)
        model.backward(grad)
        optimizer.step(0.01)
    assert model.accuracy(x, y) == 1.0
    assert "Conv" in model.summary()


def test_cnn_model_file_round_trip_is_bit_exact(tmp_path):
    rng = np.random.default_rng(11)
    model = tiny_cnn(rng)
    for p in model.params:
        p[...] = rng.normal(size=p.shape)
    save_model(tmp_path / "cnn.npz", model)
    again = load_model(tmp_path / "cnn.npz")
    assert again.architecture() == model.architecture()
    assert again.input_shape == (1, 8, 8)
    for a, b in zip(again.params, model.params):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    x = rng.random((5, 64), dtype=np.float32)
    np.testing.assert_array_equal(again.predict_proba(x), model.predict_proba(x))


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_cnn_architecture_layers_fit_together(padding):
    specs = cnn_architecture((4, 8), kernel=5, padding=padding, dense=(16,), dropout=0.5)
    model = Model.from_architecture(specs, input_shape=(1, 28, 28))
    shape = model.input_shape
    for layer in model.layers:
        shape = layer.output_shape(shape)
    assert shape == (10,)
    x = np.random.default_rng(12).random((3, 784), dtype=np.float32)
    assert model.predict_proba(x).shape == (3, 10)


def test_cnn_preset_builds_for_28x28_images():
    preset = PRESETS["cnn"]
    assert preset.input_shape == (1, 28, 28)
    model = Model.from_architecture(preset.architecture, preset.input_shape)
    assert model.summary().startswith("Conv5x5x16 > MaxPool2 > ReLU > Conv5x5x32")
    x = np.random.default_rng(13).random((2, 1, 28, 28), dtype=np.float32)
    assert model.forward(x).shape == (2, 10)
