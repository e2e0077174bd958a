"""tagger: tag news articles with topics from hand labels and a TF-IDF linear model.

    import tagger
    docs = tagger.read_documents(["seeds/"])
    model = tagger.load_model()  # the model shipped with the package
    for p in model.predict(docs):
        print(p.id, p.tags)
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tagger")
except PackageNotFoundError:  # pragma: no cover - running from a source tree not installed
    __version__ = "0+unknown"

from .config import Settings  # noqa: E402
from .errors import InputError, LabelError, ModelError, OutputError, SettingsError, TaggerError  # noqa: E402
from .evaluation.crossval import cross_validate  # noqa: E402
from .evaluation.results import evaluate  # noqa: E402
from .io.documents import read_documents  # noqa: E402
from .io.labels import attach_labels, read_labels  # noqa: E402
from .io.records import Document, Skipped  # noqa: E402
from .io.schema import TagSchema, load_schema  # noqa: E402
from .model.core import Prediction, TaggerModel  # noqa: E402
from .model.persist import load_model, save_model, shipped_model  # noqa: E402
from .model.train import train  # noqa: E402

__all__ = [
    "Document", "Skipped", "read_documents", "InputError", "LabelError", "ModelError",
    "OutputError", "SettingsError", "TaggerError", "TagSchema", "attach_labels", "load_schema",
    "read_labels", "cross_validate", "evaluate", "Prediction", "Settings", "TaggerModel",
    "train", "load_model", "save_model", "shipped_model",
]
