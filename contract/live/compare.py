"""`live-check`: compare a running target with the contract.

A target is either one `/metrics` endpoint (parsed with line numbers) or a
Prometheus server (its `/api/v1/series` and `/api/v1/metadata` for one job).
Either way it becomes a set of observed series, each with its type and
label sets, which is compared with what `contract.naming` predicts for the
target's exposition path.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from contract.live.exposition import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, Family, fetch, parse, redact
from contract.loader import LoadedContract, check_json_nesting
from contract.model import Contract, Metric
from contract.naming import PATHS, ExpositionPath, Exposure, expose, namespace_prefixes
from contract.problems import Problem, input_error


@dataclass
class Observed:
    """One exposed series name: its family type and every label set seen."""

    name: str
    type: str
    line: int = 0
    label_sets: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    source: str
    path: ExpositionPath
    series: dict[str, Observed]
    # families a /metrics endpoint declares (`# TYPE`) without a sample yet: a
    # labelled prometheus_client metric before its first child is exposed all
    # the same. Prometheus only knows series that have samples, so it has none.
    empty_families: frozenset[str] = frozenset()


def from_exposition(text: str, source: str, path: ExpositionPath | None, openmetrics: bool | None = None) -> Target:
    """The target a /metrics answer shows; `openmetrics` is its format (None: judged by the text, see `parse`)."""
    families = parse(text, source, openmetrics)
    series: dict[str, Observed] = {}
    for fam in families.values():
        _add_family(series, fam)
    empty = frozenset(fam.name for fam in families.values() if not fam.samples)
    return Target(source=source, path=path or _guess_path(series), series=series, empty_families=empty)


def _add_family(series: dict[str, Observed], fam: Family) -> None:
    for name, labels, _, line in fam.samples:
        obs = series.setdefault(name, Observed(name=name, type=fam.type, line=line))
        obs.label_sets.append(labels)


def from_prometheus(base: str, job: str | None, contract: Contract, path: ExpositionPath | None, *,
                    timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES) -> Target:
    selector = f'{{__name__=~"{_escape(own_names(contract, path))}"' + (f',job="{_escape(job)}"' if job else "") + "}"
    query = "/api/v1/series?" + urllib.parse.urlencode({"match[]": selector})
    data = _series(base, query, _api(base, query, timeout, max_bytes))
    types = _types(base, _api(base, "/api/v1/metadata", timeout, max_bytes))
    series: dict[str, Observed] = {}
    for labels in data:
        name = labels.pop("__name__")
        obs = series.setdefault(name, Observed(name=name, type=_family_type(name, types)))
        obs.label_sets.append(labels)
    source = redact(base) + (f" (job {job})" if job else "")
    return Target(source=source, path=path or _guess_path(series), series=series)


def own_names(contract: Contract, path: ExpositionPath | None) -> str:
    """A regular expression for the names of the service's own series: `<namespace>_...`, and the series of its
    `semconv` metrics, which sit outside the namespace, as `path` exposes them (every declared path while the
    path is still to be guessed from what the series look like)."""
    paths = (path,) if path else contract.exposition
    semconv = sorted({s for m in contract.metrics if m.semconv for p in paths for s in expose(m, p).series})
    prefixes = sorted({prefix for p in paths for prefix in namespace_prefixes(contract.namespace, p)})
    # a path that keeps UTF-8 names exposes dots, which a regular expression reads specially
    return "|".join([*(re.escape(prefix) + ".+" for prefix in prefixes), *map(re.escape, semconv)])


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _family_type(name: str, types: dict[str, str]) -> str:
    for candidate in (name, *(name.removesuffix(s) for s in ("_bucket", "_sum", "_count", "_total", "_created")
                              if name.endswith(s))):
        if candidate in types:
            return types[candidate]
    return "unknown"


# The API's answers nest four levels (answer, `data`, series or metadata list, entry); a
# deeper document is not one of them, and json.loads would recurse once per level.
_MAX_JSON_DEPTH = 32


def _api(base: str, path: str, timeout: float, max_bytes: int) -> Any:
    """The `data` of one Prometheus API answer; its shape is checked by the caller."""
    url = base.rstrip("/") + path
    where = redact(url)
    text = fetch(url, timeout, max_bytes)
    check_json_nesting(where, text, _MAX_JSON_DEPTH)
    try:
        body = json.loads(text)
    except ValueError:  # JSONDecodeError, and integers longer than Python converts
        raise input_error(where, "input/prometheus", "the answer is not JSON; is this a Prometheus server?") from None
    if not isinstance(body, dict) or body.get("status") != "success":
        raise input_error(where, "input/prometheus", "the Prometheus API did not answer with status success")
    if "data" not in body:
        raise input_error(where, "input/api-shape", "the answer has no `data`")
    return body["data"]


def _series(base: str, path: str, data: Any) -> list[dict[str, str]]:
    """`/api/v1/series` data: a list of label sets, each with string values and a `__name__`."""
    where = redact(base.rstrip("/") + path)
    if not isinstance(data, list):
        raise input_error(where, "input/api-shape", "`data` is not a list of series")
    for i, labels in enumerate(data):
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise input_error(where, "input/api-shape", f"`data[{i}]` is not an object of string label values")
        if "__name__" not in labels:
            raise input_error(where, "input/api-shape", f"`data[{i}]` has no `__name__`")
    return data


def _types(base: str, data: Any) -> dict[str, str]:
    """`/api/v1/metadata` data: metric name -> list of entries; the first entry's `type` counts."""
    where = redact(base.rstrip("/") + "/api/v1/metadata")
    if not isinstance(data, dict):
        raise input_error(where, "input/api-shape", "`data` is not an object of metric metadata")
    types: dict[str, str] = {}
    for name, entries in data.items():
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise input_error(where, "input/api-shape", f"`data.{name}` is not a list of objects")
        kind = entries[0].get("type", "unknown") if entries else None
        if kind is not None and not isinstance(kind, str):
            raise input_error(where, "input/api-shape", f"`data.{name}[0].type` is not a string")
        if kind is not None:
            types[name] = kind
    return types


# `target_info` carries the resource (`service_name`, ...) on every OpenTelemetry path;
# only resource labels on the metrics themselves mark the Collector
_INFO_SERIES = frozenset(s for facts in PATHS.values() for s in facts.info_series)


def _guess_path(series: dict[str, Observed]) -> ExpositionPath:
    labels = {k for obs in series.values() if obs.name not in _INFO_SERIES for ls in obs.label_sets for k in ls}
    # `exported_job`: a Collector scraped without `honor_labels`, as many existing set-ups do
    if "exported_job" in labels or "service_name" in labels:
        return "otel-collector"
    if "otel_scope_name" in labels:
        return "otel-python"
    return "prometheus-client"


def compare(lc: LoadedContract, target: Target) -> list[Problem]:
    c = lc.contract
    problems: list[Problem] = []
    owner: dict[str, tuple[Metric, Exposure]] = {}
    for m in c.metrics:
        e = expose(m, target.path)
        for s in e.series:
            owner[s] = (m, e)
    facts = PATHS[target.path]
    # labels of the exporter's own, those it writes empty (a scrape drops them) and the scrape's
    foreign = set(facts.exporter_labels) | set(facts.empty_labels) | set(facts.scrape_labels)
    # and those the contract says the scrape or relabelling adds: allowed, not required (a /metrics endpoint
    # has none of them)
    foreign |= set(c.target_labels_of(target.path))

    def at_target(obs: Observed | None, check: str, message: str, metric: str) -> Problem:
        return Problem(file=target.source, line=obs.line if obs else 0, column=0, check=check, message=message,
                       metric=metric)

    for i, m in enumerate(c.metrics):
        e = expose(m, target.path)
        # the text format names a counter family `<family>_total`, OpenMetrics `<family>`
        if not any(s in target.series for s in e.series) and not {e.family, *e.series} & target.empty_families:
            problems.append(lc.at(("metrics", i, "name"), "live/missing-metric",
                                  f"`{m.name}` ({', '.join(e.core_series)}) is not exposed by {target.source}",
                                  metric=m.name))
    label_checked: set[str] = set()
    for name, obs in sorted(target.series.items()):
        if name not in owner:
            if name.startswith(namespace_prefixes(c.namespace, target.path)):
                problems.append(at_target(obs, "live/undeclared-metric",
                                          f"`{name}` is exposed but not declared in the contract", name))
            continue
        m, e = owner[name]
        expected_type = e.prom_type
        # the text format exposes `_created` as a gauge family of its own;
        # OpenMetrics, which Prometheus negotiates, keeps it in the metric's family
        created = name.endswith("_created") and name != e.family
        if obs.type not in ("unknown", "untyped", expected_type) and not (created and obs.type == "gauge"):
            problems.append(at_target(obs, "live/type-mismatch",
                                      f"`{name}` is a {obs.type}, the contract declares a {expected_type} "
                                      f"({m.type} `{m.name}`)", m.name))
        if name not in e.core_series or m.name in label_checked:
            # `_created` and a histogram's other series repeat the same children:
            # a wrong label is reported once per metric, not once per series
            continue
        label_checked.add(m.name)
        declared = set(e.labels)
        # the series' own labels beyond the contract's: `le` on a bucket, `quantile` on a summary's quantiles
        ignored = (foreign | e.labels_of(name)) - declared
        for seen in _label_names(obs, ignored):
            if seen != declared:
                problems.append(at_target(obs, "live/label-mismatch",
                                          f"`{name}` carries labels {_list(seen)}, the contract declares "
                                          f"{_list(declared)}", m.name))
                break
        for label in m.labels:
            allowed = label.allowed_values()
            if allowed is None:
                continue
            exposed = e.labels[m.label_names.index(label.name)]
            bad = sorted({ls[exposed] for ls in obs.label_sets if exposed in ls} - set(allowed))
            if bad:
                problems.append(at_target(obs, "live/label-value",
                                          f"`{name}` has `{exposed}` value(s) {_list(bad)} outside the closed set "
                                          f"{_list(allowed)}", m.name))
    return problems


def _label_names(obs: Observed, ignored: set[str]) -> list[set[str]]:
    """The distinct sets of label names the series carries, without `ignored`."""
    shapes: list[set[str]] = []
    for ls in obs.label_sets:
        names = set(ls) - ignored
        if names not in shapes:
            shapes.append(names)
    return shapes


def _list(names: set[str] | list[str] | tuple[str, ...]) -> str:
    items = sorted(names) if isinstance(names, set) else list(names)
    return ", ".join(f"`{n}`" for n in items) or "none"
