"""whosaid: extract attributed claims (who said what) from news articles, grounded to character offsets.

Layers, each importing only downward:
models/errors/config -> extraction (rules, LLM, grounding) -> storage (DynamoDB/S3) -> service (use cases) -> api.
"""

__version__ = "0.1.0"
