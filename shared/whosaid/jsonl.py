"""The one reader of JSON-lines files (CLI `extract --jsonl`, `eval` gold files): numbered records, parsed as the
API parses a body. What a bad line costs is the caller's choice: the batch records it and goes on, `eval` stops."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whosaid.article_input import load_json
from whosaid.errors import InvalidInputError


@dataclass(frozen=True)
class JsonLine:
    """One non-blank line: its 1-based number and either its value or why it is not JSON."""

    number: int
    value: Any = None
    error: InvalidInputError | None = None

    def parsed(self, where: str) -> Any:
        """The value; InvalidInputError "<where>: not valid JSON (...)" for a line that is not JSON."""
        if self.error is not None:
            raise InvalidInputError(f"{where}: {self.error.message}") from self.error
        return self.value


def json_lines(path: str | Path) -> Iterator[JsonLine]:
    """The non-blank lines of a UTF-8 file, streamed; InvalidInputError "cannot read ..." when it cannot be read."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below, streamed line by line
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with handle:
        try:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    yield JsonLine(number, value=load_json(line))
                except InvalidInputError as exc:
                    yield JsonLine(number, error=exc)
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"cannot read {path}: it is not UTF-8 ({exc.reason})") from exc


__all__ = ["JsonLine", "json_lines"]
