"""A model is traced once per content: however many requests, edits and documents ask for it.

The model here hangs (it waits forever, without using the CPU), so every trace costs the whole
timeout and a worker restart: the worst case for a server that traced once per keystroke.
"""

from __future__ import annotations

import asyncio

import pytest
from fxlens.nodes import Problem
from fxlens.worker.supervisor import Superseded
from fxlens.workspace.spec import InputSpec, ModelSpec
from worker_helpers import SupervisorFactory, Workspace, until_busy

pytestmark = pytest.mark.asyncio

TIMEOUT = 2.0
URI = "file:///train.py#0"
HANGING = """\
import threading

from torch import nn


class Hangs(nn.Module):
    def __init__(self):
        super().__init__()
        threading.Event().wait()
"""


@pytest.fixture
def hanging(workspace: Workspace) -> ModelSpec:
    workspace.write("hangs.py", HANGING)
    spec = workspace.spec("hangs.py", "Hangs")
    return ModelSpec(**{**spec.__dict__, "example_input": InputSpec(shapes=((1, 4),), origin="file")})


def is_timeout(result: object) -> bool:
    return isinstance(result, Problem) and result.kind == "timeout" and result.location.line == 9


async def test_requests_for_the_same_content_share_one_trace_and_its_timeout(
    make_supervisor: SupervisorFactory, hanging: ModelSpec
):
    supervisor = make_supervisor(timeout=TIMEOUT)
    first, second, keyless = await asyncio.gather(
        supervisor.node_table(hanging, document_key=("file:///a.py#0", 1)),
        supervisor.node_table(hanging, document_key=("file:///b.py#0", 1)),
        supervisor.node_table(hanging),
    )
    assert is_timeout(first) and first is second is keyless
    assert supervisor.traces_run == 1
    later = [
        await supervisor.node_table(hanging, document_key=("file:///a.py#0", 2)),
        await supervisor.node_table(hanging, overlays={hanging.file: HANGING}),  # unsaved, but the same text
    ]
    assert later == [first, first] and supervisor.traces_run == 1


async def test_keystrokes_in_a_hanging_model_s_file_trace_the_one_running_and_the_latest(
    make_supervisor: SupervisorFactory, hanging: ModelSpec
):
    supervisor = make_supervisor(timeout=TIMEOUT)
    assert await supervisor.start() is None

    def edit(version: int) -> asyncio.Future[object]:
        text = HANGING + f"# keystroke {version}\n"
        return asyncio.ensure_future(
            supervisor.node_table(hanging, overlays={hanging.file: text}, document_key=(URI, version))
        )

    requests = [edit(1)]
    await until_busy(supervisor)  # version 1 is running
    for version in range(2, 7):
        requests.append(edit(version))
        await asyncio.sleep(0)
    results = await asyncio.gather(*requests, return_exceptions=True)
    assert [type(r) for r in results[:5]] == [Superseded] * 5
    assert is_timeout(results[5])
    assert supervisor.traces_run == 2  # version 1 (it had started) and version 6; not 2 to 5
    running = supervisor.node_table(hanging, overlays={hanging.file: HANGING + "# keystroke 1\n"})
    assert is_timeout(await running) and supervisor.traces_run == 2  # its result was kept


async def test_two_requests_for_one_version_of_a_document_are_both_answered(
    make_supervisor: SupervisorFactory, hanging: ModelSpec
):
    supervisor = make_supervisor(timeout=TIMEOUT)
    diagnostics, completion = await asyncio.gather(
        supervisor.node_table(hanging, document_key=(URI, 3)),
        supervisor.node_table(hanging, document_key=(URI, 3)),
    )
    assert is_timeout(diagnostics) and diagnostics is completion
