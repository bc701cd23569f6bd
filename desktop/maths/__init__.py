"""The Maths tab: one training step of the notebook's network, equation by equation."""
