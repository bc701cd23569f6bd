"""Ink: pen strokes and images turned into the network's 28x28 input, and numbers
split into digits."""
