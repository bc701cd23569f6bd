"""FLOPs and bytes of a training step, against numbers worked out by hand on a tiny model."""

import numpy as np
import pytest

from nn.network.conv import Conv2D
from nn.network.cost import FLOAT, PHASES, Cost, epoch_costs, layer_step_cost, total
from nn.network.layers import Dense, Flatten, ReLU
from nn.network.model import Model


def tiny_model():
    """A 3x3 convolution with 2 filters on 5x5 images, then a dense layer 18 -> 3."""
    rng = np.random.default_rng(0)
    return Model([Conv2D(1, 2, 3, rng=rng), Flatten(), Dense(18, 3, rng=rng)],
                 input_shape=(1, 5, 5), class_names="abc")


def test_a_first_convolution_counts_its_forward_and_weight_products_by_hand():
    conv = tiny_model().layers[0]
    cost = layer_step_cost(conv, (1, 5, 5), n=2, first=True)
    # 2 images x 2 filters x 3x3 outputs = 36 outputs, each 9 multiplies and 9 adds (the
    # 9th adds the bias): 36 * 19 = 684. dW: 18 weights, each a sum over 2 x 9 positions of
    # products (2 * 18 * 18 = 648), plus db: 2 biases summing 18 values each (36).
    assert cost.flops["gemm"] == 684 + 684
    # im2col reads 2 images of 25 pixels and writes 9 rows x 18 columns.
    assert cost.bytes["im2col"] == (50 + 162) * FLOAT
    assert cost.flops["col2im"] == cost.bytes["col2im"] == 0  # no input gradient to scatter


def test_a_convolution_after_the_first_also_pays_the_input_gradient_and_col2im():
    conv = tiny_model().layers[0]
    first = layer_step_cost(conv, (1, 5, 5), n=2, first=True)
    later = layer_step_cost(conv, (1, 5, 5), n=2, first=False)
    assert later.flops["gemm"] - first.flops["gemm"] == 648  # dcols = W^T g, 2 * 18 * 18
    assert later.bytes["col2im"] == (162 + 50) * FLOAT


def test_a_dense_layer_counts_three_products_by_hand():
    dense = tiny_model().layers[2]
    cost = layer_step_cost(dense, (18,), n=2, first=False)
    # forward 2 * 18 * 3 * 2 = 216 and 6 bias adds; dW 216 and db 6; dx 216.
    assert cost.flops["gemm"] == 222 + 222 + 216
    # forward reads x (36) and W, b (57), writes y (6); dW reads x and g, writes dW, db;
    # dx reads g and W, b, writes dx.
    assert cost.bytes["gemm"] == (36 + 57 + 6) * 3 * FLOAT
    assert sum(cost.flops.values()) == cost.flops["gemm"]


def test_an_element_wise_layer_moves_four_arrays_and_no_products():
    cost = layer_step_cost(ReLU(), (18,), n=2, first=False)
    assert cost.bytes["activation"] == 4 * 36 * FLOAT and cost.flops["gemm"] == 0


def test_an_epoch_is_its_steps_plus_loss_optimizer_and_data():
    model = tiny_model()
    costs = dict(epoch_costs(model, n_train=8, batch_size=2, optimizer="adam", augmented=False))
    step = layer_step_cost(model.layers[2], (18,), n=2, first=False)
    assert costs["2:Dense"].flops == {p: 4 * f for p, f in step.flops.items()}  # 4 batches
    # Adam reads p, g, m, v and writes p, m, v: 7 arrays of the 20 + 57 parameters, 4 times.
    assert costs["optimizer"].bytes["optimizer"] == 7 * 77 * 4 * FLOAT
    assert costs["data"].bytes["data"] == 2 * 8 * 25 * FLOAT  # the shuffled copy
    full_batch = dict(epoch_costs(model, 8, 8, "gd", augmented=False))
    assert full_batch["data"].bytes["data"] == 0  # nothing to shuffle


def test_the_floor_of_a_phase_is_its_slower_resource():
    cost = Cost()
    cost.add("gemm", flops=100, nbytes=10)
    cost.add("activation", flops=1, nbytes=50)
    floor = cost.floor(gemm_flops_per_second=10, bytes_per_second=10)
    assert floor["gemm"] == pytest.approx(10) and floor["activation"] == pytest.approx(5)
    assert total([("a", cost), ("b", cost)]).flops["gemm"] == 200
    assert set(floor) == set(PHASES)
