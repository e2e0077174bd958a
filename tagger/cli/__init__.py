"""The `tagger` command (see :mod:`.commands`); ``main`` is its click group."""

from .commands import main

__all__ = ["main"]
