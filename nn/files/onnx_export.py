"""Export a model as a standard ONNX graph, to run it outside DigitLab (onnxruntime, ...).

The graph computes what ``Model.predict_proba`` computes:

- input ``image``: float32 in [0, 1], preprocessed as DigitLab's MNIST images are, shaped
  ``(N, *model.input_shape)``: (N, 784) for a dense network, (N, 1, 28, 28) for a
  convolutional one, with N free;
- outputs ``probabilities`` (N, classes), the calibrated softmax of ``logits`` (N, classes),
  the scores of the last layer: softmax(logits / temperature), the model's temperature being
  the graph's initializer ``temperature`` (see ``nn.network.model``).

Each layer becomes one ONNX node (Dense: Gemm, Conv2D: Conv, MaxPool2D: MaxPool, Flatten,
and the activations), except Dropout, which is the identity at inference and becomes nothing,
and a fine-tuned model's DenseWithMemory, which becomes the six nodes of its formula.
The class names, the dataset, the preprocessing, the temperature, the "unsure" threshold
(``unsure_below``: an answer with a lower probability deserves a second look) and DigitLab's
version go into the model's ``metadata_props``.

The ``onnx`` package is imported only here, when a model is exported: the engine itself needs
nothing but NumPy.
"""

import json

import numpy as np

import nn
from nn.files.atomic import write_atomically
from nn.network.errors import DigitLabError, ModelFileError, shorten
from nn.files.modelfile import PREPROCESSING, check_can_save, check_not_read
from nn.network.memory import TINY_NORM

# Opset 17 and IR version 8 are ONNX 1.12's: what onnxruntime 1.12 and every later one runs.
OPSET = 17
IR_VERSION = 8
INPUT, LOGITS, PROBABILITIES = "image", "logits", "probabilities"
TEMPERATURE, SCALED = "temperature", "logits_over_temperature"
TINY = "tiny_norm"
MISSING_ONNX = ("Exporting to ONNX needs the onnx package: install the onnx extra: "
                "pip install 'digitlab[onnx]' (in a checkout: pip install -e '.[onnx]').")


def import_onnx():
    """The ``onnx`` module, or a DigitLabError saying how to install it."""
    try:
        import onnx
    except ImportError as e:
        raise DigitLabError(MISSING_ONNX) from e
    return onnx


def save_onnx(path, model, source=None):
    """Write ``model`` to ``path`` as an ONNX file, atomically (as model files are); refused
    when ``path`` is ``source``, the model file it was read from, under any name."""
    check_can_save(path)
    check_not_read(path, () if source is None else (source,))
    proto = to_onnx(model)
    try:
        write_atomically(path, lambda f: f.write(proto.SerializeToString()))
    except OSError as e:
        raise ModelFileError(f"Cannot save {path}: {e.strerror or e}; check that the folder "
                             "exists and has free space, or choose another.") from e


def to_onnx(model):
    """The ONNX ``ModelProto`` of ``model``, checked by ``onnx.checker``."""
    onnx = import_onnx()
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    nodes, initializers, x = [], [], INPUT
    for i, layer in enumerate(model.layers):
        kind = type(layer).__name__
        if kind == "Dropout":
            continue
        names = [f"layer{i}.{name}" for name in layer.param_names]
        initializers += [numpy_helper.from_array(p, name) for name, p in zip(names, layer.params)]
        y = f"layer{i}.{kind}"
        if kind == "DenseWithMemory":
            nodes += _dense_with_memory(helper, x, names, y)
        else:
            op, attributes = NODES[kind](layer)
            nodes.append(helper.make_node(op, [x] + names, [y], name=y, **attributes))
        x = y
    if any(type(layer).__name__ == "DenseWithMemory" for layer in model.layers):
        initializers.append(numpy_helper.from_array(np.array(TINY_NORM, np.float32), TINY))
    initializers.append(numpy_helper.from_array(np.array(model.temperature, np.float32),
                                                TEMPERATURE))
    nodes += [helper.make_node("Identity", [x], [LOGITS], name=LOGITS),
              helper.make_node("Div", [LOGITS, TEMPERATURE], [SCALED], name=SCALED),
              helper.make_node("Softmax", [SCALED], [PROBABILITIES], name=PROBABILITIES, axis=1)]

    float32, classes = onnx.TensorProto.FLOAT, len(model.class_names)
    graph = helper.make_graph(
        nodes, _utf8(model.info.get("name") or "digitlab-model"),
        [helper.make_tensor_value_info(INPUT, float32, ["N", *model.input_shape])],
        [helper.make_tensor_value_info(name, float32, ["N", classes])
         for name in (PROBABILITIES, LOGITS)],
        initializers)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              ir_version=IR_VERSION, producer_name="DigitLab",
                              producer_version=nn.__version__,
                              doc_string=_utf8(model.summary()))
    helper.set_model_props(proto, {
        "class_names": json.dumps(list(model.class_names)),
        "dataset": _utf8(str(model.info.get("dataset", "unknown"))),
        "preprocessing": PREPROCESSING,
        "temperature": repr(model.temperature),
        "unsure_below": repr(model.unsure_below),
        "digitlab_version": nn.__version__,
    })
    try:
        onnx.checker.check_model(proto, full_check=True)
    except onnx.checker.ValidationError as e:
        first = (str(e).splitlines() or [type(e).__name__])[0]
        raise DigitLabError(f"ONNX refuses this model: {shorten(first)}.") from e
    return proto


def _utf8(text):
    """``text`` as ONNX can store it: a name read from a model file's JSON may hold a lone
    surrogate, which no UTF-8 encoder takes; it becomes "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _dense_with_memory(helper, x, names, y):
    """The nodes of y = x W + b + (x / max(|x|, TINY_NORM)) M (`nn.network.memory`)."""
    w, b, m = names
    parts = {part: f"{y}.{part}" for part in ("dense", "length", "norm", "direction", "memory")}
    return [
        helper.make_node("Gemm", [x, w, b], [parts["dense"]], name=parts["dense"]),
        helper.make_node("ReduceL2", [x], [parts["length"]], name=parts["length"], axes=[1],
                         keepdims=1),
        helper.make_node("Max", [parts["length"], TINY], [parts["norm"]], name=parts["norm"]),
        helper.make_node("Div", [x, parts["norm"]], [parts["direction"]],
                         name=parts["direction"]),
        helper.make_node("MatMul", [parts["direction"], m], [parts["memory"]],
                         name=parts["memory"]),
        helper.make_node("Add", [parts["dense"], parts["memory"]], [y], name=y),
    ]


def _conv(layer):
    before, after = layer.pad  # "same" with an even kernel: the extra row and column at the end
    return "Conv", {"kernel_shape": [layer.k, layer.k], "pads": [before, before, after, after]}


# For each layer type, the ONNX operator and its attributes; the inputs are the layer's input
# followed by its parameters (Gemm's B is W as it is: (n_in, n_out); Conv's is (O, C, k, k)).
NODES = {
    "Dense": lambda layer: ("Gemm", {}),
    "ReLU": lambda layer: ("Relu", {}),
    "LeakyReLU": lambda layer: ("LeakyRelu", {"alpha": layer.slope}),
    "Sigmoid": lambda layer: ("Sigmoid", {}),
    "Tanh": lambda layer: ("Tanh", {}),
    "Flatten": lambda layer: ("Flatten", {"axis": 1}),
    "Conv2D": _conv,
    "MaxPool2D": lambda layer: ("MaxPool", {"kernel_shape": [layer.size] * 2,
                                            "strides": [layer.size] * 2}),
}
