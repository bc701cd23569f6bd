"""Training: the loop, the validation split and the named presets."""
