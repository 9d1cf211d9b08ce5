"""How many AWS calls a submission makes (moto, counted through botocore's before-call hook on the service's
clients): the service builds its outcomes from what it wrote instead of reading it back, and every outcome it
returns is what a later read of the store shows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from whosaid.models import Article
from whosaid.service import ArticleService, SubmitOutcome

TEXT = "Hazem Qassem said the talks went well. Mary Smith said nothing had changed."


class CallCounter:
    """The AWS operations made through some clients, in order (e.g. "dynamodb.PutItem")."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def watch(self, *clients: Any) -> None:
        for client in clients:
            client.meta.events.register("before-call.*.*", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append(f"{model.service_model.service_name}.{model.name}")

    def reset(self) -> None:
        self.calls.clear()


@pytest.fixture
def counter(article_service: ArticleService) -> Iterator[CallCounter]:
    counter = CallCounter()
    counter.watch(article_service.store._dynamodb, article_service.store.s3, article_service.queue.sqs)
    yield counter


def _assert_stored(service: ArticleService, outcome: SubmitOutcome) -> None:
    """The outcome (built in memory) is exactly what the store holds (an accepted one, as a status read shows it:
    without the text)."""
    article_id = outcome.article.article_id
    stored = service.get_article(article_id)
    if outcome.status == "accepted":
        stored = stored.model_copy(update={"text": None})
    assert outcome.article.model_dump() == stored.model_dump()
    assert [c.model_dump() for c in outcome.claims] == [c.model_dump() for c in service.store.all_claims(article_id)]


def test_a_new_synchronous_post_makes_at_most_four_calls(article_service: ArticleService, counter: CallCounter) -> None:
    outcome = article_service.submit(Article(text=TEXT, title="Talks"))
    assert outcome.status == "created" and len(outcome.claims) == 2
    assert len(counter.calls) <= 4, counter.calls
    _assert_stored(article_service, outcome)


def test_a_repeated_post_makes_at_most_two_calls(article_service: ArticleService, counter: CallCounter) -> None:
    article_service.submit(Article(text=TEXT, title="Talks"))
    counter.reset()
    outcome = article_service.submit(Article(text=TEXT, title="Talks"))
    assert outcome.status == "existing" and len(outcome.claims) == 2
    assert len(counter.calls) <= 2, counter.calls
    _assert_stored(article_service, outcome)


def test_a_queued_extraction_makes_at_most_five_calls(article_service: ArticleService, counter: CallCounter) -> None:
    accepted = article_service.submit(Article(text=TEXT, title="Talks"), mode="async")
    assert accepted.status == "accepted"
    _assert_stored(article_service, accepted)
    counter.reset()
    outcome = article_service.process_pending(accepted.article.article_id)
    assert outcome.status == "created" and len(outcome.claims) == 2
    assert len(counter.calls) <= 5, counter.calls
    _assert_stored(article_service, outcome)
