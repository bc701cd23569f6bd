"""Files DigitLab writes: model files, their metadata, atomic writes, ONNX export."""
