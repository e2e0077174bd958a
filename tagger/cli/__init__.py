"""The `tagger` command: parsing options and formatting output, nothing else (the work is in the
library); ``main`` is its click group, the commands in :mod:`.commands` and beside it (each
module imported when its command runs: :data:`.commands.LAZY_COMMANDS`)."""

import atexit
import gc

from .commands import main

# A command's process ends once it is done: what it made (a model's vocabulary and arrays,
# the modules) is left to the operating system rather than walked by the collections Python
# runs at exit (about 30 ms of every `tagger tag`). Files are closed by the code that opens
# them. Registered before any other exit handler, so run after them all.
atexit.register(gc.freeze)

__all__ = ["main"]
