"""The article store's transaction limits made small for a test (monkeypatched on the modules that read them).

moto's time goes on items: an article of 150 claims or 120 speakers took seconds per request. Against limits of
a few items, a few claims or speakers cross the same boundaries that hundreds cross against the real ones
(TRANSACTION_MAX_ITEMS 100, CHUNK_SPEAKERS 99): more claims than one transaction holds (batch-written, then the
flip) and more directory entries than one chunk (several transactions of entries). The chunk stays one below the
transaction, as in the store: a chunk's entries plus the article's own action.
"""

from __future__ import annotations

import pytest

SMALL_CHUNK_SPEAKERS = 4
SMALL_TRANSACTION_MAX_ITEMS = SMALL_CHUNK_SPEAKERS + 1


def use_small_transactions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("whosaid.storage.directory.CHUNK_SPEAKERS", SMALL_CHUNK_SPEAKERS)
    monkeypatch.setattr("whosaid.storage.articles.TRANSACTION_MAX_ITEMS", SMALL_TRANSACTION_MAX_ITEMS)


__all__ = ["SMALL_CHUNK_SPEAKERS", "SMALL_TRANSACTION_MAX_ITEMS", "use_small_transactions"]
