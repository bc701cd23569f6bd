"""DigitLab's neural-network engine: layers, training and data in plain NumPy.

Nothing here imports Qt, so the engine can be used from scripts, tests and the CLI
(`python -m nn`) as well as from the desktop app.
"""

__version__ = "0.1.0"
