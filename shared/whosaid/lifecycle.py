"""SnapStart runtime hooks: code to run before Lambda snapshots an initialised function, and after it resumes one.

`snapshot_restore_py` is part of Lambda's Python runtime only (it is not on PyPI's dependency list of anything
here): outside Lambda the two decorators register nothing and return the function unchanged, so modules may use
them unconditionally. Lambda runs before-snapshot hooks in reverse order of registration and after-restore hooks
in order, and gives the after-restore hooks 10 s in all: they must only drop or reset state, never call out.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

try:
    from snapshot_restore_py import register_after_restore, register_before_snapshot  # type: ignore[import-not-found]
except ImportError:  # not in the Lambda runtime (tests, the local stack, the CLI)

    def register_before_snapshot(func: F, *args: Any, **kwargs: Any) -> F:
        return func

    def register_after_restore(func: F, *args: Any, **kwargs: Any) -> F:
        return func


@register_after_restore
def _reseed_random() -> None:
    # Every environment restored from one snapshot starts with the same `random` state: reseeded from os.urandom,
    # retry jitter (here and in botocore) differs again between them. (uuid4 and secrets read os.urandom anyway.)
    random.seed()


__all__ = ["register_after_restore", "register_before_snapshot"]
