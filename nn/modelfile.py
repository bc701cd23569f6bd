"""Old import path of `nn.files.modelfile`, kept for scripts written before nn/ had rooms."""

from nn.files.modelfile import check_can_save, import_notebook_weights, load_model, save_model

__all__ = ["check_can_save", "import_notebook_weights", "load_model", "save_model"]
