"""The worker's state machine: the transitions the supervisor may make, and the ones it may not."""

from __future__ import annotations

import itertools
import json

import pytest
from fxlens.worker.state import TRANSITIONS, TransitionError, WorkerState, check_transition

S = WorkerState


def test_a_worker_s_life_is_a_path_through_the_machine():
    life = [S.DEAD, S.STARTING, S.READY, S.BUSY, S.READY, S.BUSY, S.DEAD, S.STARTING, S.READY, S.STOPPED]
    for old, new in itertools.pairwise(life):
        check_transition(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [(S.STOPPED, S.STARTING), (S.FAILED, S.STARTING), (S.DEAD, S.BUSY), (S.STARTING, S.BUSY), (S.BUSY, S.STARTING)],
)
def test_a_transition_the_machine_lacks_is_refused(old: WorkerState, new: WorkerState):
    with pytest.raises(TransitionError, match=f"from {old} to {new}"):
        check_transition(old, new)


def test_stopping_is_possible_from_every_state_but_final():
    assert [s for s in S if S.STOPPED not in TRANSITIONS[s]] == [S.STOPPED]
    assert TRANSITIONS[S.STOPPED] == frozenset()


def test_states_read_as_their_names_in_status_displays():
    assert (S.READY == "ready", str(S.BUSY), json.dumps({"workerState": S.FAILED})) == (
        True,
        "busy",
        '{"workerState": "failed"}',
    )
