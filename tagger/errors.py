"""Exceptions raised by tagger, with messages written for the person running it."""

from __future__ import annotations


def _rebuilt(cls, args):
    """An exception of ``cls`` with ``args``, made without calling its ``__init__``; pickle
    then restores its attributes (see :meth:`TaggerError.__reduce__`)."""
    exc = cls.__new__(cls, *args)
    exc.args = args
    return exc


class TaggerError(Exception):
    """Base class: every error tagger raises on purpose is one of these."""

    def __reduce__(self):
        # Pickled as (class, args, attributes), rebuilt without __init__: an error raised in
        # a worker process must reach the parent whole, whatever its __init__ asks for
        # (FileError's takes a path and a message, not the formatted args).
        return _rebuilt, (type(self), self.args), self.__dict__ or None


class FileError(TaggerError):
    """A file or directory cannot be used; the message names it (and the line or record)."""

    def __init__(self, path, message: str, *, line: int | None = None, record: str | None = None):
        self.path = str(path)
        self.line = line
        self.record = record
        self.reason = message
        where = self.path
        if line is not None:
            where += f", line {line}"
        if record is not None:
            where += f", record {record!r}"
        super().__init__(f"{where}: {message}")


class InputError(FileError):
    """A data, label or schema file cannot be used; the message names the file and place."""


class DuplicateError(InputError):
    """The same document id is given more than once."""


class ArchiveModelError(InputError):
    """An archive tagged with another model than the one adding to it."""


class LabelError(InputError):
    """Hand labels that contradict the schema or the data."""


class OutputError(FileError):
    """An output path that tagger will not write: it would destroy something not asked for."""


class ModelError(TaggerError):
    """A model directory is missing, corrupt, unsafe, or cannot be trained."""


class SettingsError(TaggerError, ValueError):
    """A model setting outside what it may be."""


class DecisionError(TaggerError, ValueError):
    """A labelling decision that cannot be stored as it is (the message says why)."""


class TrainingDataError(ModelError):
    """Every document given to score was one the model was trained on."""
