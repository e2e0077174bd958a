"""Batch tagging: streaming, parallel, resumable, locally or on a Dask cluster."""

from .run import BatchSummary, tag_files, tag_stream

__all__ = ["BatchSummary", "tag_files", "tag_stream"]
