"""The calls of a function across the workspace, and the argument each passes for one parameter.

A model that is a parameter (``def extract(model): create_feature_extractor(model, ...)``) is the
model its caller passes. Callers are found by text first (the function's name followed by ``(``),
then confirmed by resolving the called name to the same definition; only top-level functions are
looked for outside their own file. A method's callers are the calls through ``self`` in the methods
of its own class (``self._extractor(backbone)``), whose positional arguments start after ``self``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from fxlens.workspace.construction import CannotResolve
from fxlens.workspace.reader import Place, Reader
from fxlens.workspace.scopes import enclosing_function
from fxlens.workspace.wrappers import keyword, positional

SKIPPED_FOLDERS = frozenset({"node_modules", "site-packages", "__pycache__", "build", "dist", "venv", "env"})
MAX_FILES = 2000  # a workspace bigger than this is searched only in its open and first files


@dataclass(frozen=True)
class Caller:
    """One call of the function, and the argument it passes for the parameter (None: not passed)."""

    place: Place
    call: Node
    argument: Node | None


def callers(reader: Reader, place: Place, function: Node, parameter: str) -> list[Caller]:
    """Every call of the function definition ``function`` (in ``place``) found in the workspace."""
    name_node = function.child_by_field_name("name")
    if name_node is None:
        return []
    name = place.text(name_node)
    owner = _owner_class(function)
    if owner is not None:
        bound = 0 if _is_static(place, function) else 1
        return [
            Caller(place, call, _argument_for(place, function, place, call, parameter, bound))
            for call in _calls_named(place, name)
            if not _within(call, function) and _through_self(place, call, owner)
        ]
    top_level = function.parent is not None and function.parent.type in ("module", "decorated_definition")
    wanted = (place.file, name)
    found = []
    for doc_place in _places(reader, place, name, everywhere=top_level):
        for call in _calls_named(doc_place, name):
            if _within(call, function) and doc_place == place:
                continue  # a recursive call passes the model it received
            if _definition_of(reader, doc_place, call) == wanted:
                found.append(Caller(doc_place, call, _argument_for(place, function, doc_place, call, parameter)))
    return found


def _within(call: Node, function: Node) -> bool:
    return call.start_byte >= function.start_byte and call.end_byte <= function.end_byte


def _owner_class(function: Node) -> Node | None:
    """The class whose body defines ``function`` directly (decorated or not)."""
    parent = function.parent
    if parent is not None and parent.type == "decorated_definition":
        parent = parent.parent
    owner = parent.parent if parent is not None and parent.type == "block" else None
    return owner if owner is not None and owner.type == "class_definition" else None


def _is_static(place: Place, function: Node) -> bool:
    parent = function.parent
    if parent is None or parent.type != "decorated_definition":
        return False
    return any(
        place.text(d).strip() in ("@staticmethod", "@builtins.staticmethod")
        for d in parent.named_children
        if d.type == "decorator"
    )


def _through_self(place: Place, call: Node, owner: Node) -> bool:
    """True when ``call`` is ``self.name(...)`` in a method of class ``owner`` whose first parameter is ``self``."""
    function = call.child_by_field_name("function")
    receiver = function.child_by_field_name("object") if function is not None and function.type == "attribute" else None
    method = enclosing_function(call)
    method_owner = _owner_class(method) if method is not None else None
    if receiver is None or receiver.type != "identifier" or method_owner is None or method_owner.id != owner.id:
        return False
    parameters = method.child_by_field_name("parameters")
    first = parameters.named_children[0] if parameters is not None and parameters.named_children else None
    if first is not None and first.type != "identifier":
        first = first.child_by_field_name("name") or (first.named_children[0] if first.named_children else None)
    return first is not None and place.text(first) == place.text(receiver)


def _places(reader: Reader, place: Place, name: str, everywhere: bool) -> Iterator[Place]:
    yield place
    if not everywhere:
        return
    needle = name + "("
    for path in _python_files(reader):
        if path == place.file:
            continue
        text = reader.view.workspace.read(path)
        doc = reader.view.document(path) if text is not None and needle in text else None
        if doc is not None:
            yield reader.place(doc)


def _python_files(reader: Reader) -> list[str]:
    root = reader.view.workspace.root
    files = list(reader.view.workspace.overlays)
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in SKIPPED_FOLDERS)
        files += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".py")]
        if len(files) > MAX_FILES:
            break
    return list(dict.fromkeys(files))


def _calls_named(place: Place, name: str) -> list[Node]:
    """Calls whose function is ``name`` or ``something.name``."""
    syntax = place.doc.syntax
    found = []
    needle = (name + "(").encode()
    at = syntax.source.find(needle)
    while at != -1:
        node = syntax.root.descendant_for_byte_range(at, at + len(name))
        if node is not None and node.type == "identifier":
            function = node.parent if node.parent is not None and node.parent.type == "attribute" else node
            call = function.parent
            if call is not None and call.type == "call" and call.child_by_field_name("function") == function:
                found.append(call)
        at = syntax.source.find(needle, at + len(needle))
    return found


def _definition_of(reader: Reader, place: Place, call: Node) -> tuple[str, str] | None:
    """(file, name) of the top-level function the call calls."""
    function = call.child_by_field_name("function")
    qualified = place.qualify(place.text(function), function) if function is not None else None
    if qualified is None:
        return None
    try:
        definition = reader.locate(qualified, place)
    except CannotResolve:  # a cycle of imports: not a caller fxlens can follow
        return None
    if definition is None or definition.kind != "def":
        return None
    return definition.place.file, definition.qualname


def _argument_for(
    place: Place, function: Node, caller: Place, call: Node, parameter: str, bound: int = 0
) -> Node | None:
    """The argument ``call`` passes for ``parameter`` of ``function``, whose first ``bound`` parameters it binds."""
    passed = keyword(caller, call, parameter)
    if passed is not None:
        return passed
    parameters = function.child_by_field_name("parameters")
    for index, node in enumerate(parameters.named_children if parameters is not None else ()):
        if node.type in ("keyword_separator", "list_splat_pattern", "dictionary_splat_pattern"):
            return None  # the parameter is keyword-only
        target = node if node.type == "identifier" else node.child_by_field_name("name")
        if target is None and node.named_children:
            target = node.named_children[0]
        if target is not None and place.text(target) == parameter:
            given = positional(call)
            index -= bound
            if index < 0 or any(item.type == "list_splat" for item in given[: index + 1]):
                return None
            return given[index] if index < len(given) else None
    return None
