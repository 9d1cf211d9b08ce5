"""Extraction: article text in, grounded attributed claims out.

`get_extractor()` picks the rules or the LLM extractor from the settings. The LLM module (and with it the
`openai` package, which costs over a second to import) is imported only when the LLM extractor is chosen.
"""

from __future__ import annotations

from typing import Literal, Protocol

from whosaid.config import Settings, get_settings
from whosaid.deadlines import Deadline
from whosaid.models import Article, ExtractionResult


class Extractor(Protocol):
    # Read-only, so each extractor can declare its own single literal (a settable member would have to be invariant).
    @property
    def name(self) -> Literal["rules", "llm"]: ...

    def extract(self, article: Article, *, deadline: Deadline | None = None) -> ExtractionResult:
        """Return the article's claims, every span grounded in `article.text`, by `deadline` (LLMTimeoutError, with
        the usage so far, when it passes; default: WHOSAID_EXTRACTION_DEADLINE_SECONDS from now)."""
        ...


def get_extractor(choice: Literal["auto", "llm", "rules"] | None = None, settings: Settings | None = None) -> Extractor:
    """The extractor for `choice` (default: the WHOSAID_EXTRACTOR setting)."""
    settings = settings or get_settings()
    if choice is not None and choice != settings.extractor:
        settings = settings.model_copy(update={"extractor": choice})
    if settings.effective_extractor == "llm":
        from whosaid.extraction.llm import LLMExtractor  # heavy: imports openai

        return LLMExtractor(settings)
    from whosaid.extraction.rules import RulesExtractor

    return RulesExtractor()


__all__ = ["Extractor", "get_extractor"]
