"""A deadline: the moment by which a piece of work must be over, on the monotonic clock.

One extraction gets one deadline. In a Lambda function it is the invocation's remaining time less a margin to store
the outcome (so an article is never left pending because the function was stopped mid-call); elsewhere (CLI,
batch, eval) it is a setting. Everything that waits (an LLM request, a retry's backoff, a Retry-After) asks the
deadline first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol


class _HasRemainingTime(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class Deadline:
    at: float  # time.monotonic() value

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    @classmethod
    def for_invocation(cls, context: _HasRemainingTime | None, *, margin: float, default: float) -> Deadline:
        """The function's remaining time less `margin` seconds; `default` seconds without a Lambda context."""
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if remaining is None:
            return cls.after(default)
        return cls.after(max(0.0, remaining() / 1000 - margin))

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at


__all__ = ["Deadline"]
