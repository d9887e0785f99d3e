"""What a lost worker means, from canned worker output: faulthandler's dumps as CPython writes them."""

from __future__ import annotations

import os

from fxlens.nodes import Problem, SourceLocation
from fxlens.worker.lost import LostWorker, exit_description, last_dump, lost_worker_problem
from fxlens.workspace.spec import ModelSpec

ROOT = os.path.realpath("/ws")
MODEL = f"{ROOT}/hang.py"
SOURCE = "import torch\n\n\nclass Model:\n    def __init__(self):\n        while True:\n            pass\n"
SPEC = ModelSpec("workspace", "hang", "Model", "Model", file=MODEL, workspace_root=ROOT)
OVERLAYS = {MODEL: SOURCE}
LIB = "/usr/lib/python3.11"

# faulthandler.register(SIGUSR1): every thread, the one that took the signal marked "Current"
SIGNAL_DUMP = f"""\
loading...
Thread 0x00007f35034c76c0 (most recent call first):
  File "{MODEL}", line 6 in <lambda>
  File "{LIB}/threading.py", line 982 in run

Current thread 0x00007f350422cb80 (most recent call first):
  File "{LIB}/site-packages/torch/nn/modules/module.py", line 40 in __setattr__
  File "{MODEL}", line 7 in __init__
  File "{LIB}/site-packages/fxlens/worker/build.py", line 70 in _build_table
"""

# faulthandler.dump_traceback_later: no current thread; the main thread is listed last
WATCHDOG_DUMP = f"""\
Timeout (0:00:05)!
Thread 0x00007f4091d3b6c0 (most recent call first):
  File "{LIB}/threading.py", line 324 in wait
  File "{LIB}/threading.py", line 982 in run

Thread 0x00007f409329db80 (most recent call first):
  File "{MODEL}", line 6 in __init__
  File "{LIB}/site-packages/fxlens/worker/build.py", line 70 in _build_table
"""

SEGFAULT_DUMP = f"""\
Fatal Python error: Segmentation fault

Current thread 0x00007fae25c7cb80 (most recent call first):
  File "{LIB}/ctypes/__init__.py", line 519 in string_at
  File "{MODEL}", line 5 in __init__
  File "{LIB}/site-packages/fxlens/worker/build.py", line 70 in _build_table

Extension modules: numpy.core._multiarray_umath, torch._C (total: 2)
"""


def problem(output: str, returncode: int | None = None, **how: object) -> Problem:
    lost = LostWorker(output, returncode, how.pop("phase", "build"), **how)  # type: ignore[arg-type]
    return lost_worker_problem(lost, SPEC, OVERLAYS, timeout=5, memory_limit=8 << 30, read_file=lambda path: None)


def test_a_timeout_points_at_the_innermost_workspace_frame_of_the_thread_that_took_the_signal():
    timeout = problem(SIGNAL_DUMP, -9, overdue=True)
    assert (timeout.kind, timeout.message) == (
        "timeout",
        "building Model took longer than 5 s; the worker was restarted",
    )
    assert timeout.location == SourceLocation(MODEL, 7, "pass")


def test_the_worker_s_own_watchdog_is_a_timeout_in_the_main_thread():
    timeout = problem("some output\n" + WATCHDOG_DUMP, 1)
    assert (timeout.kind, timeout.location) == ("timeout", SourceLocation(MODEL, 6, "while True:"))


def test_exit_code_1_without_the_watchdog_s_dump_last_is_a_crash():
    assert problem("", 1).kind == "crash"
    assert problem(WATCHDOG_DUMP + "printed after the dump\n", 1).kind == "crash"
    assert problem(WATCHDOG_DUMP, -9).kind == "crash"


def test_only_the_last_dump_counts():
    earlier = SEGFAULT_DUMP.replace("line 5 in", "line 2 in")
    assert problem(earlier + "more output\n" + WATCHDOG_DUMP, 1).location.line == 6
    assert [len(frames) for _, frames in last_dump(earlier + WATCHDOG_DUMP)] == [2, 2]


def test_a_segfault_is_a_crash_with_the_signal_and_the_user_s_line():
    crash = problem(SEGFAULT_DUMP, -11)
    assert (crash.kind, crash.message) == (
        "crash",
        "the worker process ended (signal SIGSEGV) while building Model; it was restarted",
    )
    assert crash.location == SourceLocation(MODEL, 5, "def __init__(self):")
    assert crash.details[-1] == "Extension modules: numpy.core._multiarray_umath, torch._C (total: 2)"


def test_an_exit_without_a_stack_is_a_crash_with_its_code_and_no_location():
    crash = problem("", 3, phase="import")
    assert crash.message == "the worker process ended (exit code 3) while importing Model; it was restarted"
    assert crash.location is None and crash.details == ()


def test_an_allocation_failure_in_the_output_is_a_memory_problem():
    memory = problem("terminate called after throwing an instance of 'std::bad_alloc'\n" + SEGFAULT_DUMP, -6)
    assert (memory.kind, memory.message) == (
        "memory",
        "the worker ran out of memory (8 GiB cap) while building Model and ended (signal SIGABRT)",
    )


def test_garbage_on_the_channel_is_a_crash_that_says_so():
    corrupted = problem("", None, phase="trace", channel_error="a frame of 1936287860 bytes announced")
    assert corrupted.kind == "crash"
    assert corrupted.message == (
        "the worker's channel was corrupted while tracing Model (a frame of 1936287860 bytes announced); "
        "the worker was restarted"
    )


def test_frames_outside_the_workspace_give_no_location():
    outside = ModelSpec(**{**SPEC.__dict__, "workspace_root": "/elsewhere"})
    lost = LostWorker(SIGNAL_DUMP, -9, "build", overdue=True)
    assert lost_worker_problem(lost, outside, {}, timeout=5, memory_limit=0, read_file=lambda p: None).location is None


def test_the_line_text_comes_from_the_file_when_there_is_no_overlay():
    lost = LostWorker(SEGFAULT_DUMP, -11, "build")
    crash = lost_worker_problem(lost, SPEC, {}, timeout=5, memory_limit=0, read_file={MODEL: SOURCE}.get)
    assert crash.location == SourceLocation(MODEL, 5, "def __init__(self):")


def test_exit_descriptions():
    assert [exit_description(c) for c in (0, 3, -9, -11, -99, None)] == [
        "exit code 0", "exit code 3", "signal SIGKILL", "signal SIGSEGV", "signal 99", "exit status unknown",
    ]  # fmt: skip
