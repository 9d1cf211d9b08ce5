"""The article lease state machine's pure parts (storage/article_states.py); the transitions themselves run against
moto in tests/service/test_storage.py."""

from __future__ import annotations

import pytest

from whosaid.storage import article_states


def test_condition_values_are_exactly_those_the_condition_uses() -> None:
    # DynamoDB refuses an expression value the expression does not use.
    assert article_states.condition_values(article_states.HELD, lease_id="L") == {
        ":pending": "pending",
        ":lease_id": "L",
    }
    assert article_states.condition_values(article_states.TAKEABLE, epoch=5) == {
        ":pending": "pending",
        ":failed": "failed",
        ":epoch": 5,
    }
    assert article_states.condition_values(article_states.DELETABLE, epoch=5) == {":pending": "pending", ":epoch": 5}
    with pytest.raises(ValueError, match="lease_id"):
        article_states.condition_values(article_states.HELD)


def test_lease_state_and_busy() -> None:
    assert article_states.lease_state("pending", "L", "L") == "holding"
    assert article_states.lease_state("complete", "L", "L") == "completed"
    assert article_states.lease_state("failed", "L", "L") == "lost"
    assert article_states.lease_state("pending", "other", "L") == "lost"
    assert article_states.lease_state(None, None, "L") == "lost"
    assert article_states.is_busy("pending", 10, 10) and not article_states.is_busy("pending", 9, 10)
    assert not article_states.is_busy("failed", 99, 10)


def test_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    for attempt in range(12):
        delay = article_states.backoff(attempt)
        ceiling = min(2.0, 0.05 * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling


# What each named condition's Python side says of each state an article item can be in (epoch 100, caller's lease
# "L"); tests/service/test_store_contract.py holds the in-memory store that uses them to DynamoDB's answers.
_STATES = {
    "absent": None,
    "pending, live, ours": {"status": "pending", "lease_id": "L", "lease_until": 100},
    "pending, live, another's": {"status": "pending", "lease_id": "M", "lease_until": 100},
    "pending, lapsed": {"status": "pending", "lease_id": "M", "lease_until": 99},
    "pending, live, queued": {"status": "pending", "lease_id": "M", "lease_until": 500, "queued": True},
    "complete": {"status": "complete", "lease_id": "L"},
    "failed": {"status": "failed", "lease_id": "M"},
}


@pytest.mark.parametrize(
    ("condition", "holds_in"),
    [
        (article_states.ABSENT, {"absent"}),
        (article_states.HELD, {"pending, live, ours"}),
        (article_states.TAKEABLE, {"pending, lapsed", "failed"}),
        (article_states.TAKEABLE_FROM_QUEUE, {"pending, lapsed", "pending, live, queued", "failed"}),
        (article_states.DELETABLE, {"pending, lapsed", "complete", "failed"}),
    ],
)
def test_each_condition_holds_in_the_states_its_expression_allows(
    condition: article_states.Condition, holds_in: set[str]
) -> None:
    held = {name for name, item in _STATES.items() if condition.holds(item, epoch=100, lease_id="L")}
    assert held == holds_in
    assert isinstance(condition, str)  # the expression DynamoDB is given is the condition itself
