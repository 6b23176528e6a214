"""`NamedTuple` class syntax without importing `typing` when the program runs.

`check` runs as a pre-commit hook, and importing `typing` costs a cold run
about 5 ms, more than checking this repository's 53 expressions takes. Type
checkers see `typing.NamedTuple` itself; at run time a class written
`class X(NamedTuple)` becomes the `collections.namedtuple` that
`typing.NamedTuple` would have built: the same fields, defaults, methods and
docstring. `collections` is loaded anyway (`re` needs it).
"""

from __future__ import annotations

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    from collections import namedtuple

    # what a class body holds that namedtuple sets itself
    _SKIP = frozenset({"__module__", "__qualname__", "__doc__"})

    class _Fields(type):
        def __new__(mcs, name: str, bases: tuple[type, ...], body: dict[str, object]) -> type:
            if not bases:    # `NamedTuple` itself, below
                return super().__new__(mcs, name, bases, body)
            fields = list(body.get("__annotations__", {}))
            defaults = [body[f] for f in fields if f in body]
            if defaults and any(f not in body for f in fields[len(fields) - len(defaults):]):
                raise TypeError(f"{name}: a field without a default follows one with a default")
            cls = namedtuple(name, fields, defaults=defaults, module=body["__module__"])
            cls.__qualname__ = body.get("__qualname__", name)
            if "__doc__" in body:
                cls.__doc__ = body["__doc__"]
            for key, value in body.items():
                if key not in _SKIP and key not in fields:
                    setattr(cls, key, value)
            return cls

    class NamedTuple(metaclass=_Fields):
        __slots__ = ()
