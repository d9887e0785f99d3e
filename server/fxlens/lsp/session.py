"""The server's state: open documents, their call sites, the models behind them, and refreshes.

Parsing and resolving happen here, in milliseconds; tracing happens in the supervised worker, so
every handler answers from what is known and never waits long. A refresh (debounced after edits)
re-lints a document and publishes its findings only if the document is still at the version the
findings were computed for, so a stale result never overwrites a newer one.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace

from fxlens.lint import Finding, Model, lint_call_site
from fxlens.lsp.settings import Settings
from fxlens.nodes import Problem
from fxlens.worker.supervisor import Superseded, Supervisor
from fxlens.workspace.callsite import CallSite
from fxlens.workspace.config import ConfigError, load_config
from fxlens.workspace.modules import Workspace, path_of, workspace_dependencies
from fxlens.workspace.parse import ParsedDocument, parse_document
from fxlens.workspace.resolve import resolve_model
from fxlens.workspace.spec import ModelSpec, Unresolved
from fxlens.workspace.text import TextChange

logger = logging.getLogger("fxlens.lsp")

DEBOUNCE = 0.3  # seconds after the last edit before a document is re-linted
INTERIM = 0.2  # seconds to wait for traces before publishing what is already known


@dataclass(frozen=True)
class Hooks:
    """How the session talks to the client (the pygls wiring supplies these)."""

    publish: Callable[[str, int, list[Finding]], None]  # uri, version, findings
    status: Callable[[str, str], None]  # state ("idle"|"tracing"|"error"), message
    tracing: Callable[[str, Awaitable[Model]], Awaitable[Model]]  # title, trace: shows progress around it


class Session:
    """Documents, workspace and worker of one language-server process."""

    def __init__(self, root: str, settings: Settings, hooks: Hooks):
        self.root = root
        self.hooks = hooks
        self.documents: dict[str, ParsedDocument] = {}
        self.findings: dict[str, tuple[int, list[Finding]]] = {}  # uri -> (version, findings)
        self.dependencies: dict[str, set[str]] = {}  # uri -> files its models import
        self.workspace = Workspace(root)
        self.project_config = self.workspace.config  # [tool.fxlens], before the client's settings
        self.settings = settings
        self.supervisor: Supervisor | None = None
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._known: dict[str, Model] = {}  # spec key -> the latest table or problem for it

    # -- configuration and worker ----------------------------------------------------------------

    def configure(self, settings: Settings) -> None:
        """Apply settings; a changed interpreter, timeout or trust restarts the worker."""
        old_worker = self._worker_settings()
        self.settings = settings
        config = self.project_config
        if settings.default_input_shape is not None:
            config = replace(config, input_shapes=(settings.default_input_shape,))
        self.workspace.config = config
        if self.supervisor is not None and self._worker_settings() != old_worker:
            asyncio.create_task(self.supervisor.stop())
            self.supervisor = None
        self._known.clear()

    def _worker_settings(self) -> tuple[str, float, bool]:
        """(interpreter, timeout, code execution on): what the worker is started with."""
        config = self.workspace.config
        return (
            self.settings.interpreter or config.python or sys.executable,
            self.settings.trace_timeout or config.trace_timeout or 30.0,
            self.settings.execute_code,
        )

    def start_worker(self) -> None:
        """Start the warm worker (unless code execution is off), so the first trace skips ``import torch``;
        documents opened before it existed are linted again with their models."""
        if self.supervisor is not None or not self.settings.execute_code:
            return
        interpreter, timeout, _ = self._worker_settings()
        self.supervisor = Supervisor(interpreter, timeout=timeout, log=lambda line: logger.info("worker: %s", line))
        asyncio.create_task(self._warm(self.supervisor))
        for uri in self.documents:
            self.schedule(uri, 0.0)

    async def _warm(self, supervisor: Supervisor) -> None:
        problem = await supervisor.start()
        if problem is not None:
            self.hooks.status("error", f"fxlens cannot trace models: {problem.message}")

    async def stop(self) -> None:
        for task in self._pending.values():
            task.cancel()
        if self.supervisor is not None:
            await self.supervisor.stop()

    # -- documents -------------------------------------------------------------------------------

    def open(self, uri: str, text: str, version: int) -> None:
        self.documents[uri] = doc = parse_document(uri, text, version)
        self.workspace.add(doc)
        self.schedule(uri, 0.0)

    def change(self, uri: str, changes: list[TextChange], version: int) -> None:
        """Apply edits incrementally, then re-lint this document and every one whose models import it."""
        doc = self.documents.get(uri)
        if doc is None:
            return
        self.documents[uri] = doc = doc.edit(changes, version)
        self.workspace.add(doc)
        path = path_of(uri)
        for other, files in self.dependencies.items():
            if other != uri and path in files:
                self.schedule(other, DEBOUNCE)
        self.schedule(uri, DEBOUNCE)

    def files_changed(self, paths: Iterable[str]) -> list[ConfigError]:
        """Files changed on disk, outside the editor: re-lint the documents whose models import
        them, and those with a model not resolved yet (a new file may resolve it). A changed
        ``pyproject.toml`` reloads ``[tool.fxlens]`` (restarting the worker if its interpreter or
        timeout changed) and re-lints every document. Returns the configuration's errors."""
        changed = {path_of(p) for p in paths}
        if path_of(str(self.workspace.root / "pyproject.toml")) in changed:
            self.project_config, errors = load_config(self.workspace.root)
            self.configure(self.settings)
            self.start_worker()
            for uri in self.documents:
                self.schedule(uri, 0.0)
            return errors
        for uri in self.documents:
            unresolved = any(f.code == "FXL012" for f in self.findings.get(uri, (0, []))[1])
            if unresolved or self.dependencies.get(uri, set()) & changed:
                self.schedule(uri, DEBOUNCE)
        return []

    def close(self, uri: str) -> None:
        self.documents.pop(uri, None)
        self.workspace.overlays.pop(path_of(uri), None)
        self.findings.pop(uri, None)
        self.dependencies.pop(uri, None)
        if (task := self._pending.pop(uri, None)) is not None:
            task.cancel()

    def schedule(self, uri: str, delay: float) -> None:
        """Re-lint ``uri`` after ``delay`` seconds, replacing a refresh that has not started yet."""
        if (task := self._pending.get(uri)) is not None:
            task.cancel()
        self._pending[uri] = asyncio.create_task(self._refresh_later(uri, delay))

    async def _refresh_later(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        self._pending.pop(uri, None)
        try:
            await self.refresh(uri)
        except Superseded:
            pass  # a newer version of the document is being linted
        except Exception:  # one failed refresh must not end the server
            logger.exception("linting %s failed", uri)
            self.hooks.status("error", f"fxlens: linting {uri} failed; see the server log")

    async def refresh(self, uri: str) -> None:
        """Lint every call in the document and publish, first what is known, then the traced result."""
        doc = self.documents.get(uri)
        if doc is None:
            return
        resolved = [(site, self.resolve(doc, site)) for site in doc.call_sites]
        traces = {
            # one supervisor "document" per call site: a newer version supersedes only its own call
            i: asyncio.ensure_future(self._trace(spec, (f"{uri}#{i}", doc.version)))
            for i, (_, spec) in enumerate(resolved)
            if isinstance(spec, ModelSpec) and self.supervisor is not None
        }
        self.dependencies[uri] = {
            path for _, spec in resolved if isinstance(spec, ModelSpec) for path in self._dependencies(spec)
        }
        if traces:
            await asyncio.wait(traces.values(), timeout=INTERIM)
        if any(not t.done() for t in traces.values()):
            self._publish(doc, resolved, {i: t.result() for i, t in traces.items() if t.done()})
            await asyncio.wait(traces.values())
        self._publish(doc, resolved, {i: t.result() for i, t in traces.items()})

    def _publish(
        self, doc: ParsedDocument, resolved: list[tuple[CallSite, ModelSpec | Unresolved]], traced: dict[int, Model]
    ) -> None:
        current = self.documents.get(doc.uri)
        if current is None or current.version != doc.version:
            return  # a newer version will publish its own findings
        findings = []
        for i, (site, spec) in enumerate(resolved):
            model = spec if isinstance(spec, Unresolved) else traced.get(i, self._known.get(spec.key()))
            findings += lint_call_site(site, model, doc.text)
        self.findings[doc.uri] = (doc.version, findings)
        self.hooks.publish(doc.uri, doc.version, findings)

    # -- models ----------------------------------------------------------------------------------

    def resolve(self, doc: ParsedDocument, site: CallSite) -> ModelSpec | Unresolved:
        return resolve_model(doc, site, self.workspace)

    def _dependencies(self, spec: ModelSpec) -> list[str]:
        return workspace_dependencies(spec, self.workspace) if spec.builder == "workspace" else []

    async def _trace(self, spec: ModelSpec, document_key: tuple[str, int] | None = None) -> Model:
        """The model's table or problem from the worker (shown as progress), remembered by spec."""
        supervisor = self.supervisor
        if supervisor is None:
            return None
        request = supervisor.node_table(
            spec,
            overlays=dict(self.workspace.overlays),
            dependencies=self._dependencies(spec),
            document_key=document_key,
        )
        result = await self.hooks.tracing(f"Tracing {spec.display_name} (train, eval)…", request)
        self._known[spec.key()] = result
        if isinstance(result, Problem):
            self.hooks.status("error", f"{spec.display_name}: {result.kind} error: {result.message}")
        else:
            self.hooks.status("idle", f"{spec.display_name}: {len(result.eval)} nodes")
        return result

    async def model(self, doc: ParsedDocument, site: CallSite, wait: float) -> Model:
        """The call's model for completion/hover: known at once, else after at most ``wait`` seconds."""
        return await self.model_of(self.resolve(doc, site), wait)

    def known(self, key: str) -> Model:
        """The latest table or problem traced for the spec with this key (None: not traced)."""
        return self._known.get(key)

    async def model_of(self, spec: ModelSpec | Unresolved, wait: float) -> Model:
        """``spec``'s model: known at once, else after at most ``wait`` seconds."""
        if isinstance(spec, Unresolved) or self.supervisor is None:
            return spec if isinstance(spec, Unresolved) else None
        trace = asyncio.ensure_future(self._trace(spec))
        try:
            return await asyncio.wait_for(asyncio.shield(trace), wait)
        except asyncio.TimeoutError:
            return self._known.get(spec.key())
