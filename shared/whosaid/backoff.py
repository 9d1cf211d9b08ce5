"""The one exponential backoff: how long to wait before the next try of something that failed for a while.

Three waits use it, each with its own numbers: a DynamoDB batch's unprocessed items (storage, 50 ms doubling to 2 s,
up to half jitter), a retried LLM request (the openai SDK's own 0.5 s doubling to 8 s, up to a quarter jitter) and a
failed upload's redelivery through the SQS visibility timeout (a tenth of the function's timeout doubling, no jitter:
the delay is set once per delivery, and whole seconds).
"""

from __future__ import annotations

import random


def backoff_delay(attempt: int, *, base: float, cap: float, jitter: float = 0.0) -> float:
    """`base` doubled per attempt (the first retry is attempt 0), at most `cap`, less up to `jitter` of it at
    random (0 to 1): jitter spreads clients that failed together, so they do not retry in lockstep."""
    if not 0.0 <= jitter <= 1.0:
        raise ValueError(f"jitter is a fraction from 0 to 1, not {jitter}")
    delay = min(cap, base * 2 ** max(attempt, 0))
    return delay * (1 - jitter * random.random()) if jitter else delay
