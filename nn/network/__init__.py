"""The network itself: layers and their backward passes, losses, optimizers, the model."""
