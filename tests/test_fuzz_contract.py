"""Fuzzing the loader and the contract checks: never a traceback, always a location."""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from contract.checks.contract_registry import check_contract
from contract.loader import load_contract
from contract.problems import InputError
from tests.conftest import MINIMAL

LOCATED = re.compile(r"^c\.yaml:\d+(:\d+)?: (error|warning|info)\[[a-z-]+/[a-z0-9-]+\]: \S")
BASE: dict[str, Any] = yaml.safe_load(MINIMAL)

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["counter", "gauge", "histogram", "updowncounter",
                                                           "svc_requests", "_total", "le", "s", "1", "{x}"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def mutated_contracts(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        else:
            parent[path[-1]] = draw(values)
    return doc


def _validate(tmp_path_factory: Any, text: str | bytes) -> list[str]:
    path = tmp_path_factory.mktemp("fuzz") / "c.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        lc = load_contract(str(path))
    except InputError as exc:
        return [p.text().replace(str(path), "c.yaml") for p in exc.problems]
    return [p.text().replace(str(path), "c.yaml") for p in check_contract(lc)]


@given(doc=mutated_contracts())
def test_fuzz_mutated_contracts(tmp_path_factory: Any, doc: dict[str, Any]) -> None:
    for line in _validate(tmp_path_factory, yaml.safe_dump(doc, allow_unicode=True)):
        assert LOCATED.match(line), line
        assert "\n" not in line


@given(data=st.binary(max_size=200))
def test_fuzz_arbitrary_bytes(tmp_path_factory: Any, data: bytes) -> None:
    for line in _validate(tmp_path_factory, data):
        assert LOCATED.match(line), line


@given(text=st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"# \n\t,?%@`0.")), max_size=120))
def test_fuzz_yaml_syntax(tmp_path_factory: Any, text: str) -> None:
    for line in _validate(tmp_path_factory, text):
        assert LOCATED.match(line), line
