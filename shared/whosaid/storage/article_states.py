"""The article lease state machine: every transition of an article item, its condition, and the one helper that
makes a conditional write of it (storage/articles.py executes them; storage/directory.py counts speakers).

An article item is absent, `pending` (held under a lease: a random `lease_id` and an expiry `lease_until`, epoch
seconds; `queued` while it waits for the queue worker), `complete` or `failed`:

    transition        from                                          to         condition
    ----------------  --------------------------------------------  ---------  ---------------------
    create pending    (absent)                                      pending    ABSENT
    acquire           failed | pending, lease lapsed                pending    TAKEABLE
    acquire (worker)  failed | pending, lease lapsed or queued      pending    TAKEABLE_FROM_QUEUE
    complete          pending under the caller's lease              complete   HELD
    fail              pending under the caller's lease              failed     HELD
    delete            complete | failed | pending, lease lapsed     (absent)   DELETABLE

A live lease is never taken over (only one worker ever writes an article's claims); `complete` keeps the lease id,
so an ambiguous completion (committed, reported as an error, retried) is told from a real conflict (`lease_state`).
The conditions are DynamoDB condition expressions over the names in NAMES; the values they use (`:pending`,
`:failed`, `:lease_id`, `:epoch`) come from `condition_values`.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal

from whosaid.backoff import backoff_delay
from whosaid.storage.aws import error_code, translate_aws_errors

ABSENT = "attribute_not_exists(pk)"
HELD = "#status = :pending AND lease_id = :lease_id"
_LAPSED = "lease_until < :epoch"
TAKEABLE = f"#status = :failed OR (#status = :pending AND {_LAPSED})"
TAKEABLE_FROM_QUEUE = f"#status = :failed OR (#status = :pending AND ({_LAPSED} OR attribute_exists(queued)))"
DELETABLE = f"(#status <> :pending OR {_LAPSED})"

NAMES = {"#status": "status"}

LeaseState = Literal["holding", "completed", "lost"]


class ArticleStateConflict(Exception):
    """A conditional write lost: the article is not in the state the caller expected (someone else moved it).

    `item`: the article's raw item as it is now, when DynamoDB returned it (None: absent, or not asked for)."""

    def __init__(self, operation: str, item: dict[str, Any] | None = None) -> None:
        super().__init__(operation)
        self.item = item


class ArticleBusy(Exception):
    """The article is pending under a live lease (being extracted, or queued for it): it cannot be deleted now."""


def new_lease_id() -> str:
    return uuid.uuid4().hex


def epoch_now() -> int:
    """The clock leases are measured by (epoch seconds)."""
    return int(time.time())


def condition_values(condition: str, *, epoch: int | None = None, lease_id: str | None = None) -> dict[str, Any]:
    """The values `condition` (one of the above) refers to, plain (items.to_values encodes them): DynamoDB refuses
    a value an expression does not use."""
    values: dict[str, Any] = {":pending": "pending", ":failed": "failed", ":epoch": epoch, ":lease_id": lease_id}
    used = {name: value for name, value in values.items() if re.search(f"{name}\\b", condition)}
    if None in used.values():
        raise ValueError(f"{condition!r} needs {sorted(k for k, v in used.items() if v is None)}")
    return used


def is_busy(status: str | None, lease_until: int, epoch: int) -> bool:
    """Pending under a live lease: not DELETABLE (the Python side of that condition, to refuse early)."""
    return status == "pending" and lease_until >= epoch


def lease_state(status: str | None, holder: str | None, lease_id: str) -> LeaseState:
    """Whether `lease_id` still holds the pending article, completed it, or lost it (deleted, taken over), from the
    article's status and lease holder as read (status None: the article is gone)."""
    if status is None or holder != lease_id:
        return "lost"
    return "holding" if status == "pending" else "completed" if status == "complete" else "lost"


def conditional_write(write: Callable[..., Any], operation: str, **request: Any) -> dict[str, Any]:
    """One conditional PutItem / UpdateItem / DeleteItem of an article item: the response, or ArticleStateConflict
    carrying the item as it is now (DynamoDB returns it with the failure, so the loser needs no second read).
    Any other failure is a StorageError naming `operation`."""
    with translate_aws_errors(operation):
        try:
            response: dict[str, Any] = write(**request, ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                item = exc.response.get("Item")  # type: ignore[attr-defined]
                raise ArticleStateConflict(operation, item) from None
            raise
    return response


def backoff(attempt: int) -> float:
    """The wait before retrying a batch's unprocessed items: 50 ms doubling per attempt (from 0) up to 2 s, less
    up to half of it at random."""
    return backoff_delay(attempt, base=0.05, cap=2.0, jitter=0.5)
