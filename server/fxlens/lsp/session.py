"""The server's state: open documents, the models behind their calls, and debounced refreshes.

A refresh runs the pipeline (``fxlens.pipeline``) on one document: resolve every call, trace the
resolved models in the supervised worker, lint. It publishes what is known at once, then the
traced result, and only while the document is still the one the findings were computed for, so a
stale result never overwrites a newer one. Handlers ask the session for a call's model state and
never wait long for a trace.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from fxlens.lint import Finding
from fxlens.lsp.class_lenses import ClassStates
from fxlens.lsp.documents import OpenDocuments
from fxlens.lsp.settings import Settings
from fxlens.nodes import NodeTable, Problem
from fxlens.pipeline import (
    MAX_FILE_SIZE,
    ResolvedCall,
    initial_state,
    lint_calls,
    not_analysed,
    resolve_call,
    resolve_calls,
)
from fxlens.state import ModelState
from fxlens.worker.spawn import Started
from fxlens.worker.supervisor import Superseded, Supervisor
from fxlens.workspace.callsite import CallSite, Position
from fxlens.workspace.config import ConfigError, load_config
from fxlens.workspace.imported import imported_uses
from fxlens.workspace.launch import WorkerLaunch, worker_launch
from fxlens.workspace.modules import Workspace, path_of
from fxlens.workspace.parse import CursorContext, ParsedDocument, cursor_context
from fxlens.workspace.spec import ModelSpec
from fxlens.workspace.text import TextChange

logger = logging.getLogger("fxlens.lsp")
T = TypeVar("T")

DEBOUNCE = 0.3  # seconds after the last edit before a document is re-linted
INTERIM = 0.2  # seconds to wait for traces before publishing what is already known


@dataclass(frozen=True)
class Hooks:
    """How the session talks to the client (``lsp.reporting`` supplies these)."""

    publish: Callable[[str, int, list[Finding]], None]  # uri, version, findings
    status: Callable[[str, str], None]  # state ("idle"|"tracing"|"error"), message
    tracing: Callable[[str, Awaitable[ModelState]], Awaitable[ModelState]]  # title, trace: progress around it
    traced: Callable[[], None] = lambda: None  # a trace ended: what shows model states (lenses) is stale


class Session:
    """Documents, workspace and worker of one language-server process."""

    def __init__(self, root: str, settings: Settings, hooks: Hooks, standby: Started | None = None):
        self.hooks = hooks
        self._standby = standby  # a worker started with the server, for the first supervisor
        self.docs = OpenDocuments(self._parsed, settings.max_file_size or MAX_FILE_SIZE)
        self.findings: dict[str, tuple[int, list[Finding]]] = {}  # uri -> (version, findings)
        self.dependencies: dict[str, set[str]] = {}  # uri -> workspace files its models import
        self.unresolved: set[str] = set()  # uris with a call whose model is not resolved yet
        self.workspace = Workspace(root)
        self.project_config = self.workspace.config  # [tool.fxlens], before the client's settings
        self.settings = settings
        self.supervisor: Supervisor | None = None
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._traced: dict[str, ModelState] = {}  # spec key -> the latest table or problem for it
        self._in_flight: dict[str, asyncio.Future[ModelState]] = {}  # spec key -> its running trace
        self._background: set[asyncio.Future[object]] = set()
        self._worker_ready = asyncio.Event()  # set once the worker is started (at initialize or initialized)
        self.class_states = ClassStates(self._trace_for_lens)  # the nn.Module classes' lenses, by content
        self._lens_pending: set[str] = set()  # spec keys of call lenses last shown without their table

    # -- configuration and worker ----------------------------------------------------------------

    def configure(self, settings: Settings) -> None:
        """Apply settings; a changed interpreter, timeout or trust restarts the worker."""
        old_worker = self._worker_settings()
        self.settings = settings
        if not settings.execute_code:
            self._discard_standby()
        config = self.project_config
        if settings.default_input_shape is not None and config.input_shapes is None:  # the project's input wins
            config = replace(config, input_shapes=(settings.default_input_shape,))
        self.workspace.config = config
        if self.supervisor is not None and self._worker_settings() != old_worker:
            self._in_background(self.supervisor.stop())
            self.supervisor = None
            self._worker_ready.clear()
        self._traced.clear()
        self.class_states.clear()

    def _worker_settings(self) -> tuple[WorkerLaunch, bool]:
        """What the worker is started with, and whether code may run at all."""
        launch = worker_launch(self.workspace.config, self.settings.interpreter, self.settings.trace_timeout)
        return launch, self.settings.execute_code

    def start_worker(self) -> None:
        """Start the warm worker (unless code execution is off), so the first trace skips ``import torch``;
        documents opened before it existed are linted again with their models."""
        if self.supervisor is not None or not self.settings.execute_code:
            return
        launch, _ = self._worker_settings()
        standby, self._standby = self._standby, None
        self.supervisor = Supervisor(
            launch.interpreter,
            timeout=launch.timeout,
            log=lambda line: logger.info("worker: %s", line),
            standby=standby,
        )
        self._worker_ready.set()
        self._in_background(self._warm(self.supervisor))
        for uri in self.documents:
            self.schedule(uri, 0.0)

    async def _warm(self, supervisor: Supervisor) -> None:
        problem = await supervisor.start()
        if problem is not None:
            self.hooks.status("error", f"fxlens cannot trace models: {problem.message}")

    def _in_background(self, work: Awaitable[T]) -> asyncio.Future[T]:
        """Run ``work`` without awaiting it, holding a reference until it ends."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    @property
    def documents(self) -> dict[str, ParsedDocument]:
        """The latest parse of each open document (possibly of an older text while one is parsed)."""
        return self.docs.parsed

    def _discard_standby(self) -> None:
        if self._standby is not None:
            self._standby.discard()
            self._standby = None

    async def stop(self) -> None:
        self.docs.shutdown()
        for task in self._pending.values():
            task.cancel()
        self._discard_standby()
        if self.supervisor is not None:
            await self.supervisor.stop()

    # -- documents -------------------------------------------------------------------------------

    def open(self, uri: str, text: str, version: int) -> None:
        """Register an opened document (a reopened one starts afresh, whatever its version) and lint it."""
        self.docs.open(uri, text, version)
        self.schedule(uri, 0.0)

    def change(self, uri: str, changes: Sequence[TextChange], version: int) -> None:
        """Apply edits, then re-lint this document and every one whose models import it."""
        if self.docs.change(uri, changes, version):
            self.schedule(uri, DEBOUNCE)

    def _parsed(self, uri: str, in_background: bool) -> None:
        """A new parse of ``uri``: other modules read it from now on, and the documents whose models
        import it are re-linted (it, too, when the parse finished in the background)."""
        doc = self.docs.parsed[uri]
        if not self.docs.oversized(uri):
            self.workspace.add(doc)
        path = path_of(uri)
        for other, files in self.dependencies.items():
            if other != uri and path in files:
                self.schedule(other, DEBOUNCE)
        if in_background:
            self.schedule(uri, 0.0)

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
            self.refresh_all()
            return errors
        for uri in self.documents:
            if uri in self.unresolved or self.dependencies.get(uri, set()) & changed:
                self.schedule(uri, DEBOUNCE)
        return []

    def close(self, uri: str) -> None:
        """Forget the document: its text, versions, findings and pending refresh."""
        self.docs.close(uri)
        self.workspace.overlays.pop(path_of(uri), None)
        self.findings.pop(uri, None)
        self.dependencies.pop(uri, None)
        self.unresolved.discard(uri)
        if (task := self._pending.pop(uri, None)) is not None:
            task.cancel()

    def refresh_all(self) -> None:
        """Re-lint every open document now (settings or configuration changed)."""
        for uri in self.documents:
            self.schedule(uri, 0.0)

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
        doc, latest = self.docs.current(uri), self.docs.latest(uri)
        if doc is None or latest is None:
            return  # closed, or a newer text is being parsed: its parse schedules the next refresh
        opening = latest.opening
        if self.docs.oversized(uri):
            self._publish(doc, opening, [], {}, not_analysed(latest.text, self.docs.max_size))
            return
        calls = resolve_calls(doc, self.workspace)
        traces = {
            # one supervisor "document" per call site of this opening: a newer version supersedes
            # only its own call, and a reopened document (versions from 1 again) is a new one
            i: asyncio.ensure_future(self._trace(call, (f"{uri}#{opening}#{i}", doc.version)))
            for i, call in enumerate(calls)
            if call.traceable and self.supervisor is not None
        }
        self.dependencies[uri] = {path for call in calls for path in call.dependencies}
        if any(not call.traceable for call in calls):
            self.unresolved.add(uri)
        else:
            self.unresolved.discard(uri)
        if traces:
            await asyncio.wait(traces.values(), timeout=INTERIM)
        if any(not t.done() for t in traces.values()):
            self._publish(doc, opening, calls, {i: t.result() for i, t in traces.items() if t.done()})
            await asyncio.wait(traces.values())
        self._publish(doc, opening, calls, {i: t.result() for i, t in traces.items()})

    def _publish(
        self,
        doc: ParsedDocument,
        opening: int,
        calls: list[ResolvedCall],
        traced: dict[int, ModelState],
        findings: list[Finding] | None = None,
    ) -> None:
        latest = self.docs.latest(doc.uri)
        if self.docs.current(doc.uri) is not doc or latest is None or latest.opening != opening:
            return  # a newer version (or a reopened document) publishes its own findings
        if findings is None:
            states = [traced[i] if i in traced else self.known_state(call) for i, call in enumerate(calls)]
            findings = lint_calls(doc, calls, states)
        self.findings[doc.uri] = (doc.version, findings)
        self.hooks.publish(doc.uri, doc.version, findings)

    # -- models ----------------------------------------------------------------------------------

    def cursor(self, uri: str, position: Position) -> CursorContext | None:
        """Where ``position`` is in a node-argument literal of the document — read by its own calls
        or by calls of other open documents that import it (None: in none, or no document)."""
        doc = self.docs.current(uri)
        if doc is None:
            return None  # not open, or a newer text is being parsed: no answer from a stale copy
        found = cursor_context(doc, position)
        if found is None:
            readers = [other for other_uri, other in self.documents.items() if other_uri != uri]
            found = cursor_context(doc, position, imported_uses(path_of(uri), readers, self.workspace))
        return found

    @staticmethod
    def calls_of(uri: str, context: CursorContext) -> list[tuple[str, CallSite]]:
        """Every document and call that reads the cursor's literal, once each."""
        found = [((use.uri or uri), use.site) for use in context.uses] or [(uri, context.call_site)]
        return list(dict.fromkeys(found))

    @staticmethod
    def call_of(uri: str, context: CursorContext) -> tuple[str, CallSite]:
        """The document and call the cursor's literal belongs to (the first that reads it)."""
        use = context.uses[0] if context.uses else None
        return (use.uri or uri) if use is not None else uri, context.call_site

    def known_state(self, call: ResolvedCall) -> ModelState:
        """What is known of the call's model now, without tracing."""
        if isinstance(call.spec, ModelSpec):
            return self._traced.get(call.spec.key())
        return initial_state(call)

    def traced_table(self, key: str) -> NodeTable | None:
        """The latest table traced for the spec with this key (None: not traced, or it failed)."""
        state = self._traced.get(key)
        return state if isinstance(state, NodeTable) else None

    @property
    def tracing_off(self) -> str | None:
        """Why no model is traced in this session (None: tracing is on)."""
        if not self.settings.execute_code:
            return "tracing is off: the workspace is not trusted, so no model code runs (static rules only)"
        return None

    def tracing(self, call: ResolvedCall) -> bool:
        """Whether the call's model is being traced right now."""
        return isinstance(call.spec, ModelSpec) and call.spec.key() in self._in_flight

    async def call_state(self, uri: str, site: CallSite, wait: float) -> tuple[ResolvedCall, ModelState]:
        """The call's model and its state for completion and hover: known at once, else after at
        most ``wait`` seconds of the trace in flight (started here only if none is, once per model)."""
        call = resolve_call(self.documents[uri], site, self.workspace)
        known = self.known_state(call)
        if self.supervisor is None and self.settings.execute_code and wait > 0 and known is None:
            try:  # a request that came before ``initialized`` started the worker waits for it
                await asyncio.wait_for(self._worker_ready.wait(), wait)
            except asyncio.TimeoutError:
                pass
        if known is not None or not call.traceable or self.supervisor is None:
            return call, known
        assert isinstance(call.spec, ModelSpec)
        key = call.spec.key()
        started = None if key in self._in_flight else self._in_background(self._trace(call))
        if wait <= 0:
            return call, None
        deadline = asyncio.get_running_loop().time() + wait
        while (trace := self._in_flight.get(key) or started) is not None:  # a superseded trace hands over
            started = None
            try:
                return call, await asyncio.wait_for(asyncio.shield(trace), deadline - asyncio.get_running_loop().time())
            except asyncio.TimeoutError:
                break
            except Superseded:  # a newer version's refresh took over: wait for its trace, or trace again
                await asyncio.sleep(0)
                if (known := self.known_state(call)) is not None:
                    return call, known
                if key not in self._in_flight:
                    started = self._in_background(self._trace(call))
        return call, self.known_state(call)

    async def _trace(self, call: ResolvedCall, document_key: tuple[str, int] | None = None) -> ModelState:
        """The call's table or problem from the worker (shown as progress), remembered by spec."""
        if not isinstance(call.spec, ModelSpec):
            return self.known_state(call)
        return await self.trace_spec(call.spec, call.dependencies, document_key)

    async def _trace_for_lens(self, spec: ModelSpec, dependencies: Sequence[str]) -> ModelState:
        """A class lens's trace: its resolve answers with the result, so the lenses are refreshed only
        when a call lens of the same model waits for it (a refresh re-fetches every lens, and a click
        landing during one is lost)."""
        return await self.trace_spec(spec, dependencies, announce=False)

    async def trace_spec(
        self,
        spec: ModelSpec,
        dependencies: Sequence[str],
        document_key: tuple[str, int] | None = None,
        *,
        announce: bool = True,
    ) -> ModelState:
        """The spec's table or problem from the worker (shown as progress), remembered by spec;
        ``announce``: tell the client its lenses are stale (a call's lens shows the result)."""
        supervisor = self.supervisor
        if supervisor is None:
            return self._traced.get(spec.key())
        request = supervisor.node_table(
            spec,
            overlays=dict(self.workspace.overlays),
            dependencies=list(dependencies),
            document_key=document_key,
        )
        key = spec.key()
        running = self._in_flight[key] = asyncio.ensure_future(
            self.hooks.tracing(f"Tracing {spec.display_name} (train, eval)…", request)
        )
        try:
            result = await running
        finally:
            if self._in_flight.get(key) is running:
                del self._in_flight[key]
        self._traced[key] = result
        if announce or key in self._lens_pending:
            self._lens_pending.discard(key)
            self.hooks.traced()
        if isinstance(result, Problem):  # a problem of the user's model is a diagnostic, not a broken server
            self.hooks.status("idle", f"{spec.display_name} cannot be traced ({result.kind} error): see its diagnostic")
        elif isinstance(result, NodeTable):
            self.hooks.status("idle", f"{spec.display_name}: {len(result.eval)} nodes")
        return result

    def calls_with_states(self, uri: str) -> list[tuple[ResolvedCall, ModelState, bool]]:
        """Each call of the current document with what is known of its model, and whether it is
        being traced (no trace is started)."""
        doc = self.docs.current(uri)
        if doc is None:
            return []
        found = [(call, self.known_state(call), self.tracing(call)) for call in resolve_calls(doc, self.workspace)]
        self._lens_pending |= {c.spec.key() for c, state, _ in found if state is None and isinstance(c.spec, ModelSpec)}
        return found

    def stats(self) -> dict[str, object]:
        """Counters for benchmarks and bug reports: open documents, traces run, workers started."""
        supervisor = self.supervisor
        return {
            "documents": len(self.documents),
            "tracesRun": supervisor.traces_run if supervisor else 0,
            "workersStarted": supervisor.workers_started if supervisor else 0,
            "workerState": supervisor.state if supervisor else "off",
        }
