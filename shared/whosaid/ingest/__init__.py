"""S3 ingest: uploads under incoming/ (and queued async extractions) arriving on IngestQueue become articles."""

from whosaid.ingest.processor import handle_batch

__all__ = ["handle_batch"]
