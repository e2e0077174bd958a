"""tagger: tag news articles with topics from hand labels and a TF-IDF linear model.

    import tagger
    docs = tagger.read_documents(["seeds/"])
    model = tagger.load_model()  # the model shipped with the package
    for p in model.predict(docs):
        print(p.id, p.tags)

The names below are loaded on first use, so that importing one part of the package (the
command line's ``--help``, say) does not import all of it.
"""

from importlib import import_module

_API = {
    "Settings": "config",
    "TaggerError": "errors", "InputError": "errors", "LabelError": "errors",
    "ModelError": "errors", "OutputError": "errors", "SettingsError": "errors",
    "Document": "io.records", "Skipped": "io.records",
    "read_documents": "io.documents",
    "TagSchema": "labels.tagschema", "load_schema": "labels.tagschema",
    "attach_labels": "labels.attach", "read_labels": "labels.attach",
    "Prediction": "model.predictions", "TaggerModel": "model.core",
    "train": "model.train", "explain": "model.explain",
    "load_model": "model.persist", "save_model": "model.persist", "shipped_model": "model.persist",
    "evaluate": "evaluation.results", "cross_validate": "evaluation.crossval",
    "compare": "evaluation.compare",
}
__all__ = ["__version__", *_API]


def _version() -> str:
    # looked up on first use: importlib.metadata costs a run of `tagger tag` about 30 ms
    # of start-up, while its workers wait for the parent to fork them
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tagger")
    except PackageNotFoundError:  # pragma: no cover - a source tree that is not installed
        return "0+unknown"


def __getattr__(name: str):
    if name == "__version__":
        return _version()
    if name in _API:
        return getattr(import_module(f".{_API[name]}", __name__), name)
    raise AttributeError(f"module 'tagger' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
