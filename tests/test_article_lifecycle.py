"""The article lease state machine's pure parts (storage/lifecycle.py); the transitions themselves run against
moto in tests/test_storage.py."""

from __future__ import annotations

import pytest

from whosaid.storage import lifecycle


def test_condition_values_are_exactly_those_the_condition_uses() -> None:
    # DynamoDB refuses an expression value the expression does not use.
    assert lifecycle.condition_values(lifecycle.HELD, lease_id="L") == {":pending": "pending", ":lease_id": "L"}
    assert lifecycle.condition_values(lifecycle.TAKEABLE, epoch=5) == {
        ":pending": "pending",
        ":failed": "failed",
        ":epoch": 5,
    }
    assert lifecycle.condition_values(lifecycle.DELETABLE, epoch=5) == {":pending": "pending", ":epoch": 5}
    with pytest.raises(ValueError, match="lease_id"):
        lifecycle.condition_values(lifecycle.HELD)


def test_lease_state_and_busy() -> None:
    assert lifecycle.lease_state("pending", "L", "L") == "holding"
    assert lifecycle.lease_state("complete", "L", "L") == "completed"
    assert lifecycle.lease_state("failed", "L", "L") == "lost"
    assert lifecycle.lease_state("pending", "other", "L") == "lost"
    assert lifecycle.lease_state(None, None, "L") == "lost"
    assert lifecycle.is_busy("pending", 10, 10) and not lifecycle.is_busy("pending", 9, 10)
    assert not lifecycle.is_busy("failed", 99, 10)


def test_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    for attempt in range(12):
        delay = lifecycle.backoff(attempt)
        ceiling = min(2.0, 0.05 * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling
