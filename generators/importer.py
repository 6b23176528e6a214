"""`metrics-contract import`: bootstrap a contract from a Prometheus exposition.

Counters' `_total` and every `_created` series fold back into their metric;
histogram bounds come from the `le` values; exporter and scrape labels
(`job`, `otel_scope_*`, resource attributes) are dropped. The text format
carries no units, so a unit is inferred from a unit word at the end of the
name, else left empty; observed label values are written as comments, never
as a closed set, because an exposition shows only the values seen so far.
A bucket whose `le` is not a number is an error (the histogram's bounds
would be a guess); a name YAML would read as another type (`on`, `null`)
is written quoted.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import yaml

from contract.live.exposition import Family, parse_number
from contract.naming import PATHS, UNIT_SUFFIXES
from contract.problems import input_error

_DROPPED_LABELS = frozenset({"le", "quantile"} | {
    label for facts in PATHS.values() for label in facts.exporter_labels + facts.scrape_labels})
_WORD_UNITS = {word: unit for unit, word in UNIT_SUFFIXES.items() if word}
_TYPES = {"counter": "counter", "gauge": "gauge", "histogram": "histogram"}


@dataclass(frozen=True)
class _Imported:
    name: str
    type: str
    unit: str
    help: str
    labels: list[tuple[str, list[str]]]
    buckets: list[float] | None


def contract_yaml(families: dict[str, Family], source: str, namespace: str | None) -> tuple[str, list[str]]:
    """The contract text, and notes about what was skipped."""
    notes: list[str] = []
    folded = _folded_created(families)
    metrics = []
    for fam in families.values():
        if fam.name in folded or fam.name == "target_info":
            continue
        kind = _TYPES.get(fam.type)
        if kind is None:
            notes.append(f"{source}:{fam.line}: skipped `{fam.name}`: type `{fam.type}` has no contract type")
            continue
        name = fam.name.removesuffix("_total") if kind == "counter" else fam.name
        if namespace and not name.startswith(namespace + "_"):
            continue
        metrics.append(_metric(name, kind, fam, source))
    ns = namespace or _common_prefix(m.name for m in metrics)
    out = [f"# imported from {json.dumps(source)} by metrics-contract import: review units, closed label "
           "value sets and add events",
           "contract: 1", f"service: {json.dumps(ns)}", f"namespace: {json.dumps(ns)}",
           "scrape_interval: 15s", f"exposition: [{_path(families)}]", "metrics:"]
    for m in metrics:
        out.append(f"  - name: {_yaml_string(m.name)}")
        out.append(f"    type: {m.type}")
        out.append(f"    unit: {json.dumps(m.unit)}")
        out.append(f"    help: {json.dumps(m.help)}")
        if m.labels:
            out.append("    labels:")
            for label, seen in m.labels:
                out.append(f"      - name: {_yaml_string(label)}  # seen: {', '.join(json.dumps(v) for v in seen)}")
        if m.buckets is not None:
            out.append(f"    buckets: [{', '.join(_number(b) for b in m.buckets)}]")
    if not metrics:
        notes.append(f"{source}: no metrics found" + (f" in namespace `{namespace}`" if namespace else ""))
    return "\n".join(out) + "\n", notes


def _folded_created(families: dict[str, Family]) -> set[str]:
    bases = {f.name.removesuffix("_total") for f in families.values() if f.type in ("counter", "histogram")}
    return {name for name, f in families.items()
            if name.endswith("_created") and name.removesuffix("_created") in bases and f.type != "counter"}


def _metric(name: str, kind: str, fam: Family, source: str) -> _Imported:
    labels: dict[str, set[str]] = {}
    bounds: set[float] = set()
    for sample, sample_labels, _, line in fam.samples:
        if sample.endswith("_created"):
            continue
        for key, value in sample_labels.items():
            if key not in _DROPPED_LABELS:
                labels.setdefault(key, set()).add(value)
        if kind == "histogram" and sample.endswith("_bucket") and "le" in sample_labels:
            bound = _bound(sample_labels["le"], source, line)
            if bound != math.inf:  # the +Inf bucket is implied by every contract histogram
                bounds.add(bound)
    tail = name.rsplit("_", 1)[-1]
    return _Imported(name=name, type=kind, unit=_WORD_UNITS.get(tail, ""), help=fam.help,
                     labels=[(k, sorted(v)) for k, v in labels.items()],
                     buckets=sorted(bounds) if kind == "histogram" else None)


def _bound(text: str, source: str, line: int) -> float:
    """A bucket's `le`: a number, or +Inf; anything else makes the histogram unusable, so it is an error."""
    try:
        bound = parse_number(text)
    except ValueError:
        raise input_error(source, "exposition/syntax", f"`le` value `{text}` is not a number", line) from None
    if math.isnan(bound) or bound == -math.inf:
        raise input_error(source, "exposition/syntax", f"`le` value `{text}` is not a bucket bound", line)
    return bound


# a plain YAML scalar only when it is a simple word that YAML reads back as this very string
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _yaml_string(text: str) -> str:
    """`text` as a YAML scalar: plain when safe, else quoted (`on`, `null`, `true` would not stay strings)."""
    if _PLAIN.fullmatch(text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text)


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _common_prefix(names: Iterable[str]) -> str:
    prefixes = {n.split("_", 1)[0] for n in names}
    return prefixes.pop() if len(prefixes) == 1 else "app"


def _path(families: dict[str, Family]) -> str:
    scoped = any("otel_scope_name" in labels for f in families.values() for _, labels, _, _ in f.samples)
    return "otel-python" if scoped else "prometheus-client"
