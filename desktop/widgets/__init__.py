"""Widgets more than one tab uses: the drawing pad and the network-input view."""
