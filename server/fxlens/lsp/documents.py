"""The open documents: each one's latest text and version, and its latest parse, kept off the event loop.

Edits are applied to the text at once, in time linear in the text. Parsing (with the repair of
half-typed code) runs on the event loop only for small documents; a large one is parsed in one
background thread, so requests and other documents are served meanwhile, and the parse that
finishes is followed by another when edits came in during it. A document over the size limit is
not parsed at all. ``current`` gives a document's parse only while it matches the latest text, so
no answer is ever computed on a stale copy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from fxlens.workspace.parse import ParsedDocument, parse_document
from fxlens.workspace.text import TextChange, apply_changes

logger = logging.getLogger("fxlens.lsp")

PARSE_ON_LOOP_UP_TO = 100_000  # characters: a larger document is parsed in the background thread


@dataclass(frozen=True)
class Text:
    """A document's latest text as the client holds it."""

    text: str
    version: int
    opening: int  # which opening of the document this is: a reopened document is a new one


class OpenDocuments:
    """Texts, versions and parses of the open documents; ``on_parsed(uri, in_background)`` runs
    after each new parse."""

    def __init__(self, on_parsed: Callable[[str, bool], None], max_size: int) -> None:
        self.parsed: dict[str, ParsedDocument] = {}
        self.max_size = max_size
        self._texts: dict[str, Text] = {}
        self._on_parsed = on_parsed
        self._openings = 0
        self._parsing: dict[str, asyncio.Task[None]] = {}
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fxlens-parse")

    def __contains__(self, uri: str) -> bool:
        return uri in self._texts

    def uris(self) -> list[str]:
        return list(self._texts)

    def latest(self, uri: str) -> Text | None:
        return self._texts.get(uri)

    def current(self, uri: str) -> ParsedDocument | None:
        """The document's parse, if it is of the latest text (None while a newer text is parsed)."""
        text, doc = self._texts.get(uri), self.parsed.get(uri)
        return doc if text is not None and doc is not None and doc.version == text.version else None

    def oversized(self, uri: str) -> bool:
        text = self._texts.get(uri)
        return text is not None and len(text.text) > self.max_size

    def open(self, uri: str, text: str, version: int) -> None:
        """Register an opened document (a reopened one starts afresh, whatever its version)."""
        self._openings += 1
        self._texts[uri] = Text(text, version, self._openings)
        self.parsed.pop(uri, None)
        self._parse(uri)

    def change(self, uri: str, changes: Sequence[TextChange], version: int) -> bool:
        """Apply a ``didChange``'s changes (False: the document is not open)."""
        old = self._texts.get(uri)
        if old is None:
            return False
        self._texts[uri] = Text(apply_changes(old.text, changes), version, old.opening)
        self._parse(uri)
        return True

    def close(self, uri: str) -> None:
        self._texts.pop(uri, None)
        self.parsed.pop(uri, None)
        if (task := self._parsing.pop(uri, None)) is not None:
            task.cancel()

    def shutdown(self) -> None:
        for task in self._parsing.values():
            task.cancel()
        self._thread.shutdown(wait=False, cancel_futures=True)

    def _parse(self, uri: str) -> None:
        text = self._texts[uri]
        if uri in self._parsing:
            return  # the parse in flight is followed by one of the latest text
        if len(text.text) > self.max_size:
            self.parsed[uri] = parse_document(uri, "", text.version)  # positions only: nothing is analysed
            self._on_parsed(uri, False)
        elif len(text.text) <= PARSE_ON_LOOP_UP_TO:
            self.parsed[uri] = _parsed(self.parsed.get(uri), uri, text)
            self._on_parsed(uri, False)
        else:
            self._parsing[uri] = asyncio.ensure_future(self._parse_in_thread(uri))

    async def _parse_in_thread(self, uri: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            while (text := self._texts.get(uri)) is not None:
                doc = await loop.run_in_executor(self._thread, _parsed, self.parsed.get(uri), uri, text)
                if self._texts.get(uri) is None or self._texts[uri].opening != text.opening:
                    return  # closed (or reopened) meanwhile
                self.parsed[uri] = doc
                if self._texts[uri].version == text.version:
                    break
        finally:
            self._parsing.pop(uri, None)
        if uri in self._texts:
            self._on_parsed(uri, True)


def _parsed(previous: ParsedDocument | None, uri: str, text: Text) -> ParsedDocument:
    """``text`` parsed, reusing the previous parse's tree when there is one (it differs by one span)."""
    if previous is None or not previous.text:
        return parse_document(uri, text.text, text.version)
    return previous.edit([TextChange(text.text)], text.version)
