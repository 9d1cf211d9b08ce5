"""whosaid.backoff: the one exponential backoff, and the three waits built on it."""

from __future__ import annotations

import pytest

from whosaid.backoff import backoff_delay


def test_without_jitter_the_delay_doubles_from_base_up_to_the_cap() -> None:
    assert [backoff_delay(attempt, base=30, cap=100) for attempt in range(-1, 4)] == [30, 30, 60, 100, 100]


@pytest.mark.parametrize("jitter", [0.25, 0.5, 1.0])
def test_jitter_takes_off_at_most_its_fraction_and_spreads_the_waits(jitter: float) -> None:
    delays = [backoff_delay(3, base=0.5, cap=8.0, jitter=jitter) for _ in range(200)]
    assert all(4.0 * (1 - jitter) <= delay <= 4.0 for delay in delays)
    assert len(set(delays)) > 100  # random: clients that failed together do not retry together


@pytest.mark.parametrize("jitter", [-0.1, 1.5])
def test_jitter_outside_zero_to_one_is_refused(jitter: float) -> None:
    with pytest.raises(ValueError, match="fraction from 0 to 1"):
        backoff_delay(0, base=1, cap=1, jitter=jitter)


def test_the_llm_retries_wait_as_the_openai_sdk_would() -> None:
    from whosaid.extraction.llm_endpoint import _backoff

    for retry in range(6):
        ceiling = min(0.5 * 2**retry, 8.0)
        assert all(ceiling * 0.75 <= _backoff(retry) <= ceiling for _ in range(50))
