"""Use cases: submit (sync or through the queue), process pending work, read, list and delete articles.

`get_article_service()` is the process-wide service built from the settings; tests call
`get_article_service.cache_clear()` after changing the environment. `prepare()` is what a function's init does.
"""

from __future__ import annotations

from functools import lru_cache

from whosaid.config import get_settings
from whosaid.lifecycle import register_before_snapshot
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


def prepare() -> None:
    """The handlers call this at import (the function's init). When an LLM may be used: the service and the LLM
    client, so `openai` (over a second to import) is imported now, not by the first request. With the rules
    extractor nothing: the AWS clients (about 0.2 s each to create) are then made by the first request that needs
    them, except under SnapStart, where the hook below makes them before the snapshot, which then carries them."""
    if ExtractorProvider.may_use_llm(get_settings()):
        get_article_service().prepare()


@register_before_snapshot
def _before_snapshot() -> None:
    get_article_service().prepare(all_clients=True)


__all__ = [
    "ArticleNotReadyError",
    "ArticleProcessingError",
    "ArticleService",
    "ExtractorProvider",
    "SubmitMode",
    "SubmitOutcome",
    "SubmitStatus",
    "get_article_service",
    "prepare",
]
