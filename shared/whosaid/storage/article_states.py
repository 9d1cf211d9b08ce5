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
Each condition is defined once, below, in two forms side by side: the string itself is the DynamoDB condition
expression (over the names in NAMES; the values it uses, `:pending`, `:failed`, `:lease_id`, `:epoch`, come from
`condition_values`), and `holds` is the same test in Python over the item's plain attributes (None: absent), for a
store that keeps items itself (the in-memory store of the tests) and for refusing early (`is_busy`).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Literal

from whosaid.backoff import backoff_delay
from whosaid.storage.aws import error_code, translate_aws_errors

Item = Mapping[str, Any] | None  # an article item's plain attributes (items.from_item), None when it is absent


class Condition(str):
    """A named condition: the DynamoDB condition expression (the string) and `holds`, the same test in Python."""

    _predicate: Callable[[Item, int, str | None], bool]

    def __new__(cls, expression: str, predicate: Callable[[Item, int, str | None], bool]) -> Condition:
        condition = super().__new__(cls, expression)
        condition._predicate = predicate
        return condition

    def holds(self, item: Item, *, epoch: int, lease_id: str | None = None) -> bool:
        """Whether a write under this condition would succeed on `item` at `epoch` (for `lease_id`)."""
        return self._predicate(item, epoch, lease_id)


def _value(item: Item, name: str) -> Any:
    return None if item is None else item.get(name)


def _lapsed(item: Item, epoch: int) -> bool:
    # DynamoDB's comparison with an absent attribute is false: a lease that is not there has not lapsed.
    lease_until = _value(item, "lease_until")
    return lease_until is not None and int(lease_until) < epoch


_LAPSED = "lease_until < :epoch"
ABSENT = Condition("attribute_not_exists(pk)", lambda item, epoch, lease_id: item is None)
HELD = Condition(
    "#status = :pending AND lease_id = :lease_id",
    lambda item, epoch, lease_id: _value(item, "status") == "pending" and _value(item, "lease_id") == lease_id,
)
TAKEABLE = Condition(
    f"#status = :failed OR (#status = :pending AND {_LAPSED})",
    lambda item, epoch, lease_id: (
        _value(item, "status") == "failed" or (_value(item, "status") == "pending" and _lapsed(item, epoch))
    ),
)
TAKEABLE_FROM_QUEUE = Condition(
    f"#status = :failed OR (#status = :pending AND ({_LAPSED} OR attribute_exists(queued)))",
    lambda item, epoch, lease_id: (
        _value(item, "status") == "failed"
        or (_value(item, "status") == "pending" and (_lapsed(item, epoch) or _value(item, "queued") is not None))
    ),
)
DELETABLE = Condition(
    f"(#status <> :pending OR {_LAPSED})",
    lambda item, epoch, lease_id: item is not None and (_value(item, "status") != "pending" or _lapsed(item, epoch)),
)

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
    """Pending under a live lease: an existing article that is not DELETABLE (to refuse early)."""
    return not DELETABLE.holds({"status": status, "lease_until": lease_until}, epoch=epoch)


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
