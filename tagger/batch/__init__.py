"""Batch tagging: streaming, parallel, resumable, locally or on a Dask cluster."""

from .finish import BatchSummary
from .run import tag_files, tag_stream

__all__ = ["BatchSummary", "tag_files", "tag_stream"]
