"""Waiting for the language server: the one way the LSP tests wait.

``wait_for`` checks a condition now and again each time the server sends something, until the
condition holds or the time is up; then it fails naming what it waited for, the last answer the
check saw and the last message from the server. Nothing sleeps and nothing polls on a clock.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import NoReturn, TypeVar

import pytest
from lsprotocol import types
from recording_client import RecordingClient

T = TypeVar("T")

LIMIT = 2000  # characters of an answer or message shown in a failure


async def wait_for(
    client: RecordingClient,
    probe: Callable[[], T | Awaitable[T]],
    accept: Callable[[T], bool],
    *,
    what: str,
    timeout: float = 90.0,
) -> T:
    """The first answer of ``probe`` (a value or a request) that ``accept`` takes, checked at once
    and after every message from the server; fails after ``timeout`` seconds saying ``what``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        arrival = client.arrival()  # taken before probing, so a message during the probe is not missed
        answer = probe()
        if inspect.isawaitable(answer):
            answer = await answer
        if accept(answer):
            return answer
        remaining = deadline - loop.time()
        if remaining <= 0:
            gave_up(
                what,
                f"not within {timeout:g} s",
                f"last answer: {answer!r}",
                f"last message from the server: {client.last_message}",
            )
        try:
            await asyncio.wait_for(arrival.wait(), remaining)
        except TimeoutError:
            pass  # check once more, then fail with that answer


async def diagnostics_of(
    client: RecordingClient,
    uri: str,
    accept: Callable[[Sequence[types.Diagnostic]], bool],
    *,
    what: str,
    version: int | None = None,
    timeout: float = 90.0,
) -> Sequence[types.Diagnostic]:
    """The diagnostics published for ``uri`` (for ``version``, when given) once ``accept`` takes them."""

    def latest() -> types.PublishDiagnosticsParams | None:
        return client.published.get(uri)

    def taken(published: types.PublishDiagnosticsParams | None) -> bool:
        return (
            published is not None
            and (version is None or published.version == version)
            and accept(published.diagnostics)
        )

    published = await wait_for(client, latest, taken, what=f"diagnostics of {uri}: {what}", timeout=timeout)
    return published.diagnostics


def gave_up(what: str, why: str, *seen: str) -> NoReturn:
    """Fail the test: ``what`` did not happen, for the reason ``why``; ``seen`` says what did."""
    pytest.fail("\n  ".join([f"gave up waiting for {what}: {why}", *map(_short, seen)]))


def _short(text: str) -> str:
    return text if len(text) <= LIMIT else text[:LIMIT] + f"… ({len(text) - LIMIT} more characters)"
