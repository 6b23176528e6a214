"""Series names of qortex 0.3.0's own hand-written prometheus_client subscriber.

Read from the installed qortex package with `ast` (its register function
starts an HTTP server and uses the global registry, so it is not run).
"""

from __future__ import annotations

import ast
import importlib.util

SUFFIXES = {"Counter": ("_total", "_created"), "Gauge": ("",),
            "Histogram": ("_bucket", "_count", "_sum", "_created")}


def seed_instruments() -> dict[str, str]:
    """{name as written: prometheus_client class} from qortex 0.3.0's prometheus.py."""
    spec = importlib.util.find_spec("qortex.observability.subscribers.prometheus")
    assert spec and spec.origin, "qortex 0.3.0 is not installed"
    with open(spec.origin, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SUFFIXES
                and node.args and isinstance(node.args[0], ast.Constant)):
            found[node.args[0].value] = node.func.id
    return found


def seed_series() -> set[str]:
    names: set[str] = set()
    for name, kind in seed_instruments().items():
        base = name.removesuffix("_total") if kind == "Counter" else name
        names.update(base + suffix for suffix in SUFFIXES[kind])
    return names
