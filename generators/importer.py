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

The result must pass the contract checks: without `--namespace` the
namespace is the first name segment most metrics share (the Python
client's own `process_`/`python_` metrics count only when nothing else is
there), and every metric outside it is left out with a note; a name a
contract cannot hold (`a:b`) is left out with a note too. `imported` runs
the checks on the text; a caller writes it only when they find no error.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass

import yaml

from contract.checks.registry import check_contract
from contract.live.exposition import Family, parse_number
from contract.loader import load_contract
from contract.naming import PATHS, UNIT_SUFFIXES, yields_type
from contract.problems import InputError, Problem, input_error

_DROPPED_LABELS = frozenset({"le", "quantile"} | {
    label for facts in PATHS.values() for label in facts.exporter_labels + facts.scrape_labels})
_WORD_UNITS = {word: unit for unit, word in UNIT_SUFFIXES.items() if word}
# exposition TYPE -> contract type; a histogram without `_bucket` series is a native one (`_kind`)
_TYPES = {"counter": "counter", "gauge": "gauge", "histogram": "histogram", "summary": "summary",
          "untyped": "untyped", "unknown": "untyped", "info": "info", "stateset": "stateset"}
# prometheus_client registers these on every process: they say nothing about whose metrics these are
_RUNTIME_PREFIXES = frozenset({"process", "python"})


@dataclass(frozen=True)
class _Imported:
    name: str
    type: str
    unit: str
    help: str
    labels: list[tuple[str, list[str]]]
    buckets: list[float] | None


def imported(families: dict[str, Family], source: str, namespace: str | None, service: str | None,
             shown: str) -> tuple[str, list[str], list[Problem]]:
    """The contract text, notes about what was left out, and the contract checks' problems with the text.

    The problems are located in `shown`, the file the text is meant for; a
    text the loader rejects (no metrics left, say) yields the loader's problems.
    """
    text, notes = contract_yaml(families, source, namespace, service)
    try:
        lc = load_contract(shown, text.encode("utf-8"))
    except InputError as exc:
        return text, notes, list(exc.problems)
    return text, notes, check_contract(lc)


def contract_yaml(families: dict[str, Family], source: str, namespace: str | None,
                  service: str | None = None) -> tuple[str, list[str]]:
    """The contract text, and notes about what was skipped; `service` defaults to the namespace."""
    notes: list[str] = []   # in exposition order
    folded = _folded_created(families)
    # (family, contract type or None, metric name): every family that could be a metric of its own
    entries: list[tuple[Family, str | None, str]] = []
    for fam in families.values():
        if fam.name not in folded and fam.name != "target_info":
            kind = _kind(fam)
            entries.append((fam, kind, fam.name.removesuffix("_total") if kind == "counter" else fam.name))
    ns = namespace or _chosen_namespace([name for _, kind, name in entries if kind and ":" not in name])
    path, why = _path(families, [fam for fam, kind, name in entries if kind and name in _kept(entries, ns)],
                      bool(folded))
    if why:
        notes.append(f"{source}: {why}")
    metrics = []
    taken: dict[str, Family] = {}   # contract name -> the family that took it
    outside: list[Family] = []
    outside_at = 0
    for fam, kind, name in entries:
        if kind is None:
            notes.append(f"{source}:{fam.line}: skipped `{fam.name}`: type `{fam.type}` has no contract type")
            continue
        if ":" in name:   # the exposition's names allow colons, which are the names of recording rules' results
            notes.append(f"{source}:{fam.line}: left out `{fam.name}`: a name with `:` is a recording rule's, "
                         "not an instrument's")
            continue
        metric = _metric(name, kind, fam, source)   # a malformed family is an error wherever it is kept or not
        if ns and name.startswith(ns + "_") and name != ns + "_":
            first = taken.setdefault(name, fam)
            if first is not fam:
                # a gauge `x_total` beside a counter `x`, say: one contract name cannot hold both
                notes.append(f"{source}:{fam.line}: left out `{fam.name}`: {kind} `{name}` would have the contract "
                             f"name of {_kind(first)} `{first.name}` (line {first.line})")
                continue
            metrics.append(metric)
        elif ns:
            if not outside:
                outside_at = len(notes)
            outside.append(fam)
    if outside:   # never silently, and in one note (at the first one's place): a client's own families are many
        names = ", ".join(f"`{fam.name}`" for fam in outside)
        notes.insert(outside_at, f"{source}:{outside[0].line}: left out {len(outside)} "
                     f"famil{'y' if len(outside) == 1 else 'ies'} outside namespace `{ns}`: {names}"
                     + ("" if namespace else "; pass --namespace to choose another"))
    if not ns and any(kind and ":" not in name for _, kind, name in entries):
        notes.append(f"{source}: no metric name has a first segment to take as the namespace; pass --namespace")
    out = [f"# imported from {json.dumps(source)} by metrics-contract import: review units, closed label "
           "value sets and add events",
           "contract: 1", f"service: {yaml_quoted(service or ns)}", f"namespace: {yaml_quoted(ns)}",
           "scrape_interval: 15s", f"exposition: [{path}]", "metrics:" if metrics else "metrics: []"]
    for m in metrics:
        out.append(f"  - name: {yaml_string(m.name)}")
        out.append(f"    type: {m.type}")
        out.append(f"    unit: {json.dumps(m.unit)}")
        out.append(f"    help: {yaml_quoted(m.help)}")
        if m.labels:
            out.append("    labels:")
            for label, seen in m.labels:
                if m.type == "stateset" and label == m.name:
                    # a stateset writes a series for every state, so the states seen are all of them
                    out.append(f"      - name: {yaml_string(label)}")
                    out.append(f"        values: [{', '.join(yaml_quoted(v) for v in seen)}]")
                else:
                    out.append(f"      - name: {yaml_string(label)}  # seen: "
                               f"{', '.join(json.dumps(v) for v in seen)}")
        if m.buckets is not None:
            out.append(f"    buckets: [{', '.join(_number(b) for b in m.buckets)}]")
    if not metrics:
        notes.append(f"{source}: no metrics found" + (f" in namespace `{ns}`" if ns else ""))
    return "\n".join(out) + "\n", notes


def _chosen_namespace(names: list[str]) -> str:
    """The first name segment most metrics share (the first seen among equals); the runtime's only if alone.

    A segment counts only where a name goes on after it (`up` has no namespace).
    """
    segments = [n.split("_", 1)[0] for n in names if "_" in n.strip("_")]
    segments = [s for s in segments if s]
    own = [s for s in segments if s not in _RUNTIME_PREFIXES]
    ranked = Counter(own or segments).most_common(1)
    return ranked[0][0] if ranked else ""


def _kind(fam: Family) -> str | None:
    """The contract type of a family (None: it has none); a histogram without `_bucket` series is native."""
    if fam.type == "histogram" and fam.samples and not any(s.endswith("_bucket") for s, _, _, _ in fam.samples):
        return "native_histogram"
    return _TYPES.get(fam.type)


def _kept(entries: list[tuple[Family, str | None, str]], ns: str) -> set[str]:
    return {name for _, kind, name in entries if kind and ":" not in name and ns and name.startswith(ns + "_")}


def _folded_created(families: dict[str, Family]) -> set[str]:
    bases = {f.name.removesuffix("_total") for f in families.values()
             if f.type in ("counter", "histogram", "summary")}
    return {name for name, f in families.items()
            if name.endswith("_created") and name.removesuffix("_created") in bases and f.type != "counter"}


def _metric(name: str, kind: str, fam: Family, source: str) -> _Imported:
    labels: dict[str, set[str]] = {}
    bounds: set[float] = set()
    for sample, sample_labels, number, line in fam.samples:
        if sample.endswith("_created"):
            continue
        _sample_value(kind, fam.name, sample, sample_labels, number, source, line)
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


def _sample_value(kind: str, family: str, sample: str, labels: dict[str, str], value: float, source: str,
                  line: int) -> None:
    """What OpenMetrics requires of a sample of these types; a family that breaks it is no evidence of its type."""
    if kind == "stateset" and value not in (0.0, 1.0):
        raise input_error(source, "exposition/syntax", f"stateset `{family}` has value `{_number(value)}`; a state "
                          "is 1 (current) or 0", line)
    if kind == "info" and value != 1.0:
        raise input_error(source, "exposition/syntax", f"info `{family}` has value `{_number(value)}`; an info "
                          "sample is always 1", line)
    if kind == "summary" and sample == family and "quantile" in labels:
        try:
            quantile = parse_number(labels["quantile"])
        except ValueError:
            quantile = math.nan
        if not 0.0 <= quantile <= 1.0:   # NaN compares false
            raise input_error(source, "exposition/syntax", f"`quantile` value `{labels['quantile']}` of summary "
                              f"`{family}` is not a number from 0 to 1", line)


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


def yaml_string(text: str) -> str:
    """`text` as a YAML scalar: plain when safe, else quoted (`on`, `null`, `true` would not stay strings)."""
    if _PLAIN.fullmatch(text) and yaml.safe_load(text) == text:
        return text
    return yaml_quoted(text)


def yaml_quoted(text: str) -> str:
    """`text` as a double-quoted YAML scalar that loads back as `text`.

    JSON's escapes are YAML's too, with two exceptions that matter: PyYAML
    reads JSON's surrogate pair for a character beyond U+FFFF as two lone
    surrogates, so such a character is written as itself; and YAML reads
    U+0085, U+2028 and U+2029 as line breaks, so every character that is not
    printable is written as an escape.
    """
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"
                   for c in json.dumps(text, ensure_ascii=False))


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _path(families: dict[str, Family], kept: list[Family], folded: bool) -> tuple[str, str]:
    """The exposition path the evidence points to, and a note when the evidence fits no path exactly.

    prometheus_client is the path whose counters, histograms and summaries have `_created` series; else
    OpenTelemetry scope labels mean an OpenTelemetry exporter; an exporter without them (Go's client, say) is
    closer to `otel-python`, whose names are the same for names written in Prometheus' style and which predicts
    no `_created` - unless a kept metric has a type or a name OpenTelemetry cannot yield.
    """
    # `_created` is a family of its own in the text format (folded away), a sample in OpenMetrics; no
    # OpenTelemetry exporter writes it, so it outweighs scope labels
    if folded or any(s.endswith("_created") for f in kept for s, _, _, _ in f.samples):
        return "prometheus-client", ""
    if any("otel_scope_name" in labels for f in families.values() for _, labels, _, _ in f.samples):
        return "otel-python", ""
    if not any(f.type in ("counter", "histogram", "summary") for f in kept):
        return "prometheus-client", ""
    if all(yields_type("otel-python", _kind(f) or "") and f.name == f.name.lower() for f in kept):
        return "otel-python", ("no `_created` series and no OpenTelemetry scope labels: taking path `otel-python`, "
                               "which predicts the same names without `_created`")
    return "prometheus-client", ("no `_created` series, but a metric OpenTelemetry cannot yield: taking path "
                                 "`prometheus-client`, which also accepts `_created` names this exporter does not "
                                 "expose")
