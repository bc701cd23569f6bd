"""The command line, ``python -m nn`` (``digitlab-cli`` when installed)."""

from nn.cli.commands import main

__all__ = ["main"]
