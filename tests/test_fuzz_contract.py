"""Fuzzing the loader and the contract checks: never a traceback, always a location."""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from contract.checks.registry import check_contract
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


NAMES = st.from_regex(r"[a-z][a-z0-9]{0,6}(_[a-z0-9]{1,5}){0,2}", fullmatch=True)


@st.composite
def valid_contracts(draw: st.DrawFn) -> str:
    metrics = []
    for name in draw(st.lists(NAMES, min_size=1, max_size=5, unique=True)):
        kind = draw(st.sampled_from(["counter", "updowncounter", "gauge", "histogram"]))
        unit = draw(st.sampled_from(["{x}", "s", "By", "1", "%"])) if kind != "counter" else "{x}"
        if kind == "gauge" and unit == "1":
            unit = "{x}"  # unit 1 on a gauge diverges between paths, by design an error
        m: dict[str, Any] = {"name": f"app_{name}", "type": kind, "unit": unit, "help": draw(st.text(max_size=20))}
        labels = draw(st.lists(st.sampled_from(["mode", "code", "stage"]), max_size=2, unique=True))
        if labels:
            m["labels"] = [{"name": label, **({"values": ["a", "b"]} if draw(st.booleans()) else {})}
                           for label in labels]
        if kind == "histogram":
            m["buckets"] = sorted(draw(st.sets(st.integers(1, 1000), min_size=1, max_size=5)))
        metrics.append(m)
    doc = {"contract": 1, "service": "app", "namespace": "app",
           "exposition": draw(st.sampled_from([["prometheus-client"], ["prometheus-client", "otel-collector"]])),
           "metrics": metrics}
    return yaml.safe_dump(doc, allow_unicode=True)


@given(text=valid_contracts())
def test_fuzz_valid_contracts_generate_outputs_that_pass_check(tmp_path_factory: Any, text: str) -> None:
    from contract.catalog import Catalog
    from contract.promql.lint import Linter
    from contract.promql.sources import load_source
    from generators import rules, subscriber

    path = tmp_path_factory.mktemp("fuzz") / "c.yaml"
    path.write_text(text, encoding="utf-8")
    lc = load_contract(str(path))
    if any(p.severity == "error" for p in check_contract(lc)):
        return  # e.g. a unit word that collides with another metric's name: reported, not generated
    files = rules.generate(lc)
    sources = [load_source(rel, body.encode()) for rel, body in files.items() if rel.endswith("rules.yml")]
    problems = Linter(Catalog.from_contract(lc)).check(sources).problems
    assert [p.text() for p in problems if p.severity == "error"] == []
    ((_, module),) = subscriber.generate(lc).items()
    compile(module, "generated.py", "exec")
