"""The `tagger` command: parsing options and formatting output, nothing else (the work is in the
library); ``main`` is its click group, the commands in :mod:`.commands` and beside it."""

from .commands import main
from . import evaluate as _evaluate  # noqa: F401  registers `tagger evaluate` on main
from . import batch as _batch  # noqa: F401  registers `tagger tag` on main
from . import explain as _explain  # noqa: F401  registers `tagger explain` on main
from . import models as _models  # noqa: F401  registers `tagger info` and `tagger card`
from . import label as _label  # noqa: F401  registers `tagger label` on main
from . import suggest as _suggest  # noqa: F401  registers `tagger suggest` and `tagger audit`
from . import browse as _browse  # noqa: F401  registers `tagger browse` on main

__all__ = ["main"]
