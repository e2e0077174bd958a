"""Batch tagging: streaming, parallel, resumable, locally or on a Dask cluster (the engine
registry); the part-file store and its duplicate policies, the worker processes, progress, the
metadata files beside an output, and retagging an archive."""

from .finish import BatchSummary
from .run import tag_files, tag_stream

__all__ = ["BatchSummary", "tag_files", "tag_stream"]
