"""Use cases: submit (sync or through the queue), process pending work, read, list and delete articles.

`get_article_service()` is the process-wide service built from the settings; tests call
`get_article_service.cache_clear()` after changing the environment.
"""

from __future__ import annotations

from functools import lru_cache

from whosaid.config import get_settings
from whosaid.service.articles import (
    ArticleNotReadyError,
    ArticleProcessingError,
    ArticleService,
    ExtractorProvider,
    SubmitMode,
    SubmitOutcome,
    SubmitStatus,
)


@lru_cache(maxsize=1)
def get_article_service() -> ArticleService:
    """The service for this process: boto3 clients and the extractor are created once and reused."""
    return ArticleService.from_settings(get_settings())


__all__ = [
    "ArticleNotReadyError",
    "ArticleProcessingError",
    "ArticleService",
    "ExtractorProvider",
    "SubmitMode",
    "SubmitOutcome",
    "SubmitStatus",
    "get_article_service",
]
