"""The Train tab: the settings form, the training run in its worker thread, and the live curves."""
