"""The ingest function: S3 notifications and queued extractions on moto."""
