"""Old import path of `nn.ink.strokes`, kept for scripts written before nn/ had rooms."""

from nn.ink.strokes import strokes_to_mnist

__all__ = ["strokes_to_mnist"]
