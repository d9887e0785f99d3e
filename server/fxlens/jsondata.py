"""JSON round trips for fxlens's frozen dataclasses.

Every value that crosses a process boundary (worker channel, disk cache, CLI ``--json``) is a
frozen dataclass made of str/int/float/bool/None, tuples, dicts with str keys, and other such
dataclasses. ``to_json`` turns one into plain JSON data; ``from_json`` rebuilds it from the type
hints, so a round trip gives back an equal object.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_SCALARS = frozenset((str, int, float, bool, type(None)))  # the values that are their own JSON


def to_json(value: Any) -> Any:
    """Plain JSON data (dicts, lists, scalars) for a dataclass tree."""
    if type(value) in _SCALARS:
        return value
    names = _field_names(type(value))
    if names is not None:
        return {name: to_json(getattr(value, name)) for name in names}
    if isinstance(value, (tuple, list)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


@functools.cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    """The fields of a dataclass type, once per type (None: not a dataclass)."""
    return tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None


def from_json(cls: type[T], data: Any) -> T:
    """Rebuild an instance of ``cls`` (a dataclass or a typing form) from ``to_json`` output."""
    return _decoder(cls)(data)


@functools.cache
def _decoder(tp: Any) -> Callable[[Any], Any]:
    """A function decoding data of type ``tp``, built once per type: the type hints are read when
    it is built, not for every value (a resnet50 table is thousands of values)."""
    if tp is Any:
        return _freeze
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _union_decoder(tp)
    if origin is typing.Literal:
        allowed = typing.get_args(tp)

        def literal(data: Any) -> Any:
            if data not in allowed:
                raise ValueError(f"{data!r} is not one of {allowed}")
            return data

        return literal
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])
            return lambda data: tuple(map(item, data))
        items = [_decoder(a) for a in args]
        return lambda data: tuple(decode(v) for decode, v in zip(items, data, strict=True))
    if origin is dict:
        key_tp, value_tp = typing.get_args(tp)
        key, value = _decoder(key_tp), _decoder(value_tp)
        return lambda data: {key(k): value(v) for k, v in data.items()}
    if dataclasses.is_dataclass(tp):
        return _dataclass_decoder(tp)
    if tp is float:
        return _float
    if isinstance(tp, type):

        def typed(data: Any) -> Any:
            if not isinstance(data, tp):
                raise TypeError(f"expected {tp.__name__}, got {type(data).__name__}")
            return data

        return typed
    return lambda data: data


def _union_decoder(tp: Any) -> Callable[[Any], Any]:
    """The first member of the union that decodes the data (None for an optional one's null)."""
    args = typing.get_args(tp)
    optional = type(None) in args
    members = [_decoder(arg) for arg in args if arg is not type(None)]

    def union(data: Any) -> Any:
        if data is None and optional:
            return None
        errors = []
        for decode in members:
            try:
                return decode(data)
            except (TypeError, ValueError, KeyError) as exc:
                errors.append(exc)
        raise ValueError(f"{data!r} matches none of {tp}: {errors}")

    return union


def _dataclass_decoder(tp: type) -> Callable[[Any], Any]:
    """The dataclass from an object; its fields' decoders are built at the first call, so a
    dataclass that holds itself (a tree) does not recurse while its decoder is built."""
    fields: list[tuple[str, Callable[[Any], Any]]] = []

    def dataclass(data: Any) -> Any:
        if not isinstance(data, dict):
            raise TypeError(f"expected an object for {tp.__name__}, got {type(data).__name__}")
        if not fields:
            hints = typing.get_type_hints(tp)
            fields.extend((f.name, _decoder(hints[f.name])) for f in dataclasses.fields(tp))
        return tp(**{name: decode(data[name]) for name, decode in fields if name in data})

    return dataclass


def _float(data: Any) -> float:
    if isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if not isinstance(data, float):
        raise TypeError(f"expected float, got {type(data).__name__}")
    return data


def _freeze(data: Any) -> Any:
    """Lists become tuples so that ``Any``-typed fields stay hashable and compare equal."""
    if isinstance(data, list):
        return tuple(_freeze(v) for v in data)
    if isinstance(data, dict):
        return {k: _freeze(v) for k, v in data.items()}
    return data
