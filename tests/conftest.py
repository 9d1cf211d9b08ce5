"""Shared pytest fixtures (several test modules add theirs here: keep additions self-contained)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_openai import FakeOpenAI


@pytest.fixture(scope="session")
def _fake_openai_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai(_fake_openai_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """A local OpenAI-compatible server (tests/fake_openai.py), with an empty script and request log per test."""
    _fake_openai_server.reset()
    yield _fake_openai_server
    _fake_openai_server.reset()
