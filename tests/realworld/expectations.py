"""What `truth.json` says fxlens should report and offer at each call: pure, torch-free.

A call's expected rule codes follow from what running it did: an exception maps to the rule that
predicts it; a query that did not get its node maps to why (it selected nothing, its output name
is shared, another query took its node); a returned tensor that no longer equals its node's value
is an in-place overwrite. A call that returned everything it was asked for expects no finding.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKSPACE = HERE / "workspace"
TRUTH = json.loads((HERE / "truth.json").read_text())
CALLS: dict[str, dict] = TRUTH["calls"]
MODELS: dict[str, dict] = TRUTH["models"]
REPORTED = ("error", "warning")
MODEL_CODES = ("FXL011", "FXL012")  # about the model expression, which may sit above the call
RENUMBERED = re.compile(r"_[0-9]+$")


def model_names(call: dict, modes: tuple[str, ...] = ("train", "eval")) -> list[str]:
    """The node names torchvision lists for the call's model in ``modes`` (train first), no repeats."""
    model = MODELS[call["model"]]
    return list(dict.fromkeys(name for mode in modes for name in model[mode]))


def model_class(call: dict) -> str | None:
    return MODELS[call["model"]]["class"] if call.get("model") else None


def expected_codes(call: dict) -> set[str]:
    """The error and warning codes `fxlens check` should report at this call."""
    if call["outcome"] == "raises":
        return {_code_for(call["exception"])}
    if call["outcome"] == "timeout":
        return {"FXL011"}
    codes = set()
    for found in call.get("modes", {}).values():
        shared = Counter(q["key"] for q in found["queries"])
        for query in found["queries"]:
            if not query["served"]:
                codes.add("FXL003" if query["alone"] is None else "FXL006" if shared[query["key"]] > 1 else "FXL005")
        for output in found["outputs"]:
            if output.get("equals_own_value") is False:
                codes.add("FXL007")
            if "type" in output:
                codes.add("FXL008")
    return codes


def _code_for(exception: dict) -> str:
    missing = exception.get("not_present")
    if missing is not None:
        if missing["in_modes"]:
            return "FXL002"
        if missing["is_module_path"] and RENUMBERED.search(missing["query"]):
            return "FXL010"
        return "FXL001"
    if exception["type"] in ("error", "PatternError"):  # re.error
        return "FXL004"
    if exception["type"] == "ValueError" and "should be specified" in exception["message"]:
        return "FXL009"
    return "FXL011"


@dataclass(frozen=True)
class Place:
    file: str
    line: int
    end_line: int
    shared_with: tuple[str, ...] = ()  # other calls this literal feeds


def places(call_id: str) -> list[Place]:
    """The call's own span and the spans of the literals marked as feeding it."""
    call = CALLS[call_id]
    found = [Place(call["file"], call["line"], call["end_line"])]
    for literal in call.get("literals", []):
        others = tuple(
            other
            for other, c in CALLS.items()
            if other != call_id and literal in c.get("literals", []) and model_class(c) != model_class(call)
        )
        found.append(Place(literal["file"], literal["line"], literal["end_line"], others))
    return found


def model_region(call_id: str) -> Place:
    """The lines after the previous marked call in the file, to the end of this call: where the
    model expression of the call (a variable, a parameter, a factory call) is written."""
    call = CALLS[call_id]
    before = [c["end_line"] for c in CALLS.values() if c["file"] == call["file"] and c["end_line"] < call["line"]]
    return Place(call["file"], max(before, default=0) + 1, call["end_line"])


def findings_at(call_id: str, findings: list[dict]) -> list[dict]:
    """The findings located at the call or in a literal feeding it (in a literal shared with calls on
    other models, those whose message names this call's model class); for the model rules, also
    those in the model's region."""
    cls = model_class(CALLS[call_id])
    chosen = []
    for finding in findings:
        file, row = os.path.normpath(finding["filename"]), finding["location"]["row"]
        region = model_region(call_id)
        if finding["code"] in MODEL_CODES and region.file == file and region.line <= row <= region.end_line:
            chosen.append(finding)
            continue
        for place in places(call_id):
            if place.file == file and place.line <= row <= place.end_line:
                if not place.shared_with or (cls is not None and cls in finding["message"]):
                    chosen.append(finding)
                break
    return chosen


@dataclass(frozen=True)
class QueryString:
    query: str
    file: str
    line: int  # 0-based, for LSP positions
    character: int  # of the first character inside the quotes
    shared_with: tuple[str, ...] = ()  # other calls, on other model classes, that this literal feeds


def query_strings(call_id: str) -> list[QueryString]:
    """Each query of the call written as a literal string at the call or in a literal feeding it."""
    arguments = CALLS[call_id].get("arguments") or {}
    queries = dict.fromkeys(
        q for name in ("train_return_nodes", "eval_return_nodes") for q, _ in arguments.get(name) or []
    )
    found = []
    for query in queries:
        for place in places(call_id):
            lines = (WORKSPACE / place.file).read_text().splitlines()
            hit = next(
                (
                    (row, lines[row].index(quoted) + 1)
                    for row in range(place.line - 1, place.end_line)
                    for quoted in (f'"{query}"', f"'{query}'")
                    if quoted in lines[row]
                ),
                None,
            )
            if hit is not None:
                found.append(QueryString(query, place.file, *hit, place.shared_with))
                break
    return found


def is_valid_query(label: str, names: list[str]) -> bool:
    """torchvision accepts a query naming a node or a module prefix of one (whole dot components)."""
    return any(name == label or name.startswith(label + ".") for name in names)


def completion_names(call: dict, query: str) -> list[str]:
    """The names completion should offer at ``query``: those of the mode(s) its argument is for."""
    arguments = call["arguments"]
    if arguments["return_nodes"] is not None:
        return model_names(call)
    in_train = query in dict(arguments["train_return_nodes"])
    return model_names(call, ("train",) if in_train else ("eval",))


def served_outputs(call: dict, query: str) -> dict[str, dict]:
    """Per mode that ran, the output ``query`` really got (its node, shape, dtype)."""
    served = {}
    for mode, found in call.get("modes", {}).items():
        if "run_error" in found:
            continue
        entry = next((q for q in found["queries"] if q["query"] == query and q["served"]), None)
        if entry is not None:
            served[mode] = next(o for o in found["outputs"] if o["key"] == entry["key"])
    return served
