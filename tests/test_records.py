"""`contract.records.NamedTuple` builds what `typing.NamedTuple` builds, without importing typing at run time."""

from __future__ import annotations

import typing

import pytest

from contract import records


def _pair(base: type) -> type:
    class Pair(base):  # type: ignore[misc,valid-type]
        """Two things."""

        left: str
        right: int = 0
        flag: bool = False

        def total(self) -> str:
            return f"{self.left}{self.right}"

    return Pair


def test_the_same_tuple_class_as_typing_builds() -> None:
    ours, theirs = _pair(records.NamedTuple), _pair(typing.NamedTuple)
    for cls in (ours, theirs):
        assert cls.__bases__ == (tuple,)
        assert cls._fields == ("left", "right", "flag")
        assert cls._field_defaults == {"right": 0, "flag": False}
        assert cls.__doc__ == "Two things."
        assert cls.__name__ == "Pair" and cls.__module__ == __name__
        assert cls.__qualname__ == "_pair.<locals>.Pair"
        assert "__slots__" in vars(cls) and not hasattr(cls("a"), "__dict__")
    a, b = ours("x", 2), theirs("x", 2)
    assert a == b == ("x", 2, False)
    assert repr(a) == repr(b) == "Pair(left='x', right=2, flag=False)"
    assert a.total() == b.total() == "x2"
    assert a._replace(flag=True) == ("x", 2, True)
    assert tuple.__new__(ours, ("y", 1, True)).right == 1
    with pytest.raises(TypeError):
        ours()   # `left` has no default


def test_a_field_without_default_after_one_with_default_is_refused() -> None:
    with pytest.raises(TypeError, match="Broken: a field without a default follows one with a default"):
        class Broken(records.NamedTuple):
            first: int = 1
            second: int
