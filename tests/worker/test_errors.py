"""Exceptions from user code as Problems: recursion is located at the recursive call and its traceback folded."""

from __future__ import annotations

from fxlens.worker.errors import collapse_repeats, problem_from_exception


def countdown(n: int) -> int:
    return countdown(n - 1)  # no case that ends it


def ping(n: int) -> int:
    return pong(n)


def pong(n: int) -> int:
    return ping(n)


def raised(call, *args):
    try:
        call(*args)
    except RecursionError as error:
        return error
    raise AssertionError("no RecursionError")


def is_this_file(filename: str) -> bool:
    return filename == __file__


def test_endless_recursion_points_at_the_call_that_recurses_and_says_so():
    problem = problem_from_exception("construction", raised(countdown, 3), is_user_file=is_this_file)
    assert (problem.kind, problem.location.text) == ("construction", "return countdown(n - 1)  # no case that ends it")
    assert problem.hint.startswith("endless recursion through `countdown` (")
    assert problem.hint.endswith(" nested calls at this line): give the recursion a case that ends it")
    call, recursion, folded = problem.details
    assert call.endswith(": call(*args)")
    assert recursion.endswith(": return countdown(n - 1)  # no case that ends it")
    assert folded.startswith("[previous line repeated ") and folded.endswith(" more times]")


def test_mutual_recursion_folds_the_pair_of_lines():
    problem = problem_from_exception("trace", raised(ping, 0), is_user_file=is_this_file)
    call, into_pong, into_ping, folded = problem.details
    assert call.endswith(": call(*args)")
    assert (into_pong.endswith(": return pong(n)"), into_ping.endswith(": return ping(n)")) == (True, True)
    assert folded.startswith("[previous 2 lines repeated ") and folded.endswith(" more times]")


def test_collapse_repeats_keeps_lines_that_do_not_repeat():
    assert collapse_repeats(["a", "b", "b", "c"]) == ["a", "b", "b", "c"]
    assert collapse_repeats(["a", *["b"] * 5, "c"]) == ["a", "b", "[previous line repeated 4 more times]", "c"]
    assert collapse_repeats(["x", "y"] * 3 + ["z"]) == ["x", "y", "[previous 2 lines repeated 2 more times]", "z"]
