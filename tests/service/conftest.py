"""Fixtures of the service and store tests."""

from __future__ import annotations

import pytest

from tests.support.store_limits import use_small_transactions


@pytest.fixture
def small_transactions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The store's transaction limits a few items each (tests/support/store_limits.py)."""
    use_small_transactions(monkeypatch)
