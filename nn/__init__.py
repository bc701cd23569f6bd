"""DigitLab's neural-network engine: layers, training and data in plain NumPy.

Nothing here imports Qt, so the engine can be used from scripts, tests and the CLI
(`python -m nn`) as well as from the desktop app. The modules live in rooms, each importing
only from the rooms below it:

- ``nn.network``: layers, convolution, losses, optimizers, the model, saliency;
- ``nn.ink``: pen strokes and images turned into the network's input, numbers split into digits;
- ``nn.data``: the IDX reader, MNIST and Fashion-MNIST, downloads;
- ``nn.training``: the training loop, the validation split, presets;
- ``nn.files``: model files and their metadata, atomic writes, ONNX export;
- ``nn.cli``: the command line and its benchmarks.
"""

__version__ = "0.1.0"
