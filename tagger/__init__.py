"""tagger: tag news articles with topics from hand labels and a TF-IDF linear model.

    import tagger
    docs = tagger.read_documents(["articles/"])
    model = tagger.load_model("models/ukraine-war")
    for p in model.predict(docs):
        print(p.id, p.tags)
"""

__version__ = "0.1.0"

from .documents import Document, Skipped, read_documents  # noqa: E402
from .errors import InputError, LabelError, ModelError, TaggerError  # noqa: E402
from .labels import TagSchema, attach_labels, load_schema, read_labels  # noqa: E402
from .metrics import cross_validate, evaluate  # noqa: E402
from .model import Prediction, Settings, TaggerModel, train  # noqa: E402
from .persist import load_model, save_model  # noqa: E402

__all__ = [
    "Document", "Skipped", "read_documents", "InputError", "LabelError", "ModelError",
    "TaggerError", "TagSchema", "attach_labels", "load_schema", "read_labels", "cross_validate",
    "evaluate", "Prediction", "Settings", "TaggerModel", "train", "load_model", "save_model",
]
