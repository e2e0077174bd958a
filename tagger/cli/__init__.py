"""The `tagger` command: parsing options and formatting output, nothing else (the work is in the
library); ``main`` is its click group, the commands in :mod:`.commands` and beside it."""

import atexit
import gc

from .commands import main
from . import evaluate as _evaluate  # noqa: F401  registers `tagger evaluate` on main
from . import batch as _batch  # noqa: F401  registers `tagger tag` on main
from . import explain as _explain  # noqa: F401  registers `tagger explain` on main
from . import models as _models  # noqa: F401  registers `tagger info` and `tagger card`
from . import label as _label  # noqa: F401  registers `tagger label` on main
from . import suggest as _suggest  # noqa: F401  registers `tagger suggest` and `tagger audit`
from . import browse as _browse  # noqa: F401  registers `tagger browse` on main

# A command's process ends once it is done: what it made (a model's vocabulary and arrays,
# the modules) is left to the operating system rather than walked by the collections Python
# runs at exit (about 30 ms of every `tagger tag`). Files are closed by the code that opens
# them. Registered before any other exit handler, so run after them all.
atexit.register(gc.freeze)

__all__ = ["main"]
