"""Contract metric -> Prometheus series names and labels, per exposition path.

The rules are data (`PATHS`, `UNIT_SUFFIXES`) measured against the real
exporters; `tests/test_naming.py` pins one table row each and
`tests/test_naming_empirical.py` checks the predictions against the real
OpenTelemetry SDK and prometheus_client.

Paths:
- `prometheus-client`: the generated module's prometheus_client instruments,
  created with the sanitized contract name and the mapped unit.
- `otel-python`: the OpenTelemetry SDK read by `PrometheusMetricReader`.
- `otel-collector`: OTLP into the Collector's `prometheus` exporter
  (`add_metric_suffixes`, `resource_to_telemetry_conversion`), scraped by
  Prometheus without `honor_labels`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal, Protocol

ExpositionPath = Literal["prometheus-client", "otel-python", "otel-collector"]
EXPOSITION_PATHS: tuple[ExpositionPath, ...] = ("prometheus-client", "otel-python", "otel-collector")

PromType = Literal["counter", "gauge", "histogram"]


class Instrument(Protocol):
    """What naming needs of a metric (`contract.model.Metric` is one): naming sits below the model."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def label_names(self) -> tuple[str, ...]: ...

# OpenTelemetry unit -> Prometheus name suffix (OTel spec "Prometheus and
# OpenMetrics compatibility"; same table in the Python exporter and the
# Collector's translator). "1" maps to nothing, except that the Collector
# appends `_ratio` to gauges with unit "1".
UNIT_SUFFIXES: dict[str, str] = {
    "d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds",
    "us": "microseconds", "ns": "nanoseconds",
    "By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes", "GiBy": "gibibytes", "TiBy": "tibibytes",
    "KBy": "kilobytes", "MBy": "megabytes", "GBy": "gigabytes", "TBy": "terabytes",
    "m": "meters", "V": "volts", "A": "amperes", "J": "joules", "W": "watts", "g": "grams",
    "Cel": "celsius", "Hz": "hertz", "1": "", "%": "percent",
}
PER_UNIT_SUFFIXES: dict[str, str] = {
    "s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year",
}

OTEL_SCOPE_LABELS = ("otel_scope_name", "otel_scope_schema_url", "otel_scope_version")
COLLECTOR_SCOPE_LABELS = ("otel_scope_name", "otel_scope_version")
# resource attributes of the OpenTelemetry Python SDK's default resource, which
# `resource_to_telemetry_conversion` copies onto every series
RESOURCE_LABELS = ("service_instance_id", "service_name", "telemetry_sdk_language",
                   "telemetry_sdk_name", "telemetry_sdk_version")


@dataclass(frozen=True)
class PathFacts:
    name: ExpositionPath
    # how the exporter cleans a name: "sanitize" replaces runs of invalid
    # characters with `_`; "tokens" splits on every non-alphanumeric
    # character and joins the tokens with single underscores
    normalize: Literal["sanitize", "tokens"]
    # "suffix": the unit is appended unless the name already ends with it;
    # "token": unless it is any `_`-separated token of the name
    unit_rule: Literal["suffix", "token"]
    # the OpenTelemetry SDK lowercases instrument names (they are case-insensitive), before its own
    # exporter and before OTLP; attribute names keep their case
    lowercase: bool
    gauge_unit_1_ratio: bool
    created_series: frozenset[PromType]
    exporter_labels: tuple[str, ...]     # added by the exporter to every series
    scrape_labels: tuple[str, ...]       # added when Prometheus scrapes it
    info_series: tuple[str, ...]         # extra series outside the contract


PATHS: dict[ExpositionPath, PathFacts] = {
    "prometheus-client": PathFacts(
        name="prometheus-client", normalize="sanitize", unit_rule="suffix", lowercase=False,
        gauge_unit_1_ratio=False,
        created_series=frozenset({"counter", "histogram"}), exporter_labels=(),
        scrape_labels=("instance", "job"), info_series=(),
    ),
    "otel-python": PathFacts(
        name="otel-python", normalize="sanitize", unit_rule="suffix", lowercase=True,
        gauge_unit_1_ratio=False,
        created_series=frozenset(), exporter_labels=OTEL_SCOPE_LABELS,
        scrape_labels=("instance", "job"), info_series=("target_info",),
    ),
    "otel-collector": PathFacts(
        name="otel-collector", normalize="tokens", unit_rule="token", lowercase=True,
        gauge_unit_1_ratio=True,
        created_series=frozenset(), exporter_labels=COLLECTOR_SCOPE_LABELS + RESOURCE_LABELS,
        # the exporter's own job/instance (from the resource) become exported_*
        scrape_labels=("exported_instance", "exported_job", "instance", "job"), info_series=("target_info",),
    ),
}

PROM_TYPES: dict[str, PromType] = {
    "counter": "counter", "updowncounter": "gauge", "gauge": "gauge", "histogram": "histogram",
}

# a name in Prometheus' own style (no dots or dashes of OpenTelemetry's), which every path exposes as written
PROMETHEUS_STYLE = re.compile(r"[a-zA-Z0-9_]*")
_INVALID_NAME_CHARS = re.compile(r"[^a-zA-Z0-9:]+")
_INVALID_LABEL_CHARS = re.compile(r"[^a-zA-Z0-9]+")
_NON_ALNUM = re.compile(r"[^a-zA-Z0-9]+")
_ANNOTATION = re.compile(r"\{.*\}")


@dataclass(frozen=True)
class Exposure:
    """What one contract metric looks like in Prometheus on one path."""

    metric: str
    path: ExpositionPath
    prom_type: PromType
    family: str                      # the name before `_total`/`_bucket`/...
    series: tuple[str, ...]          # every series name, sorted
    labels: tuple[str, ...]          # contract labels as exposed, in contract order
    exporter_labels: tuple[str, ...]
    scrape_labels: tuple[str, ...]

    @property
    def core_series(self) -> tuple[str, ...]:
        """Series a dashboard may rely on on every path (no `_created`)."""
        return tuple(s for s in self.series if not s.endswith("_created") or s == self.family)

    def labels_of(self, series: str, *, scraped: bool = True) -> frozenset[str]:
        """Label names carried by one series once scraped (or as exposed)."""
        names = set(self.labels) | set(self.exporter_labels)
        if scraped:
            names |= set(self.scrape_labels)
        if self.prom_type == "histogram" and series == self.family + "_bucket":
            names.add("le")
        return frozenset(names)

    @property
    def all_labels(self) -> tuple[str, ...]:
        every: set[str] = set()
        for s in self.series:
            every |= self.labels_of(s)
        return tuple(sorted(every))


def unit_suffix(unit: str) -> tuple[str, str]:
    """(main, per) suffix words for an OpenTelemetry unit; annotations drop out."""
    unit = _ANNOTATION.sub("", unit)
    if unit in UNIT_SUFFIXES:
        return UNIT_SUFFIXES[unit], ""
    top, _, bottom = unit.partition("/")
    bottom = _INVALID_NAME_CHARS.sub("_", bottom).strip("_")
    top = _INVALID_NAME_CHARS.sub("_", top).strip("_")
    if bottom:
        return UNIT_SUFFIXES.get(top, top), PER_UNIT_SUFFIXES.get(bottom, bottom)
    return top, ""


def unit_word(unit: str) -> str:
    """The unit as one suffix (`bytes_per_second`), as the Python exporters append it."""
    main, per = unit_suffix(unit)
    if per:
        return f"{main}_per_{per}" if main else f"per_{per}"
    return main


def sanitize_name(name: str) -> str:
    if name and name[0].isdigit():
        name = "_" + name[1:]
    return _INVALID_NAME_CHARS.sub("_", name)


def namespace_prefix(namespace: str) -> str:
    """What the exposed names of a namespace's metrics start with: `shop.api` -> `shop_api_`."""
    return sanitize_name(namespace) + "_"


def sanitize_label(name: str, path: ExpositionPath = "otel-python") -> str:
    if path == "otel-collector":
        clean = _NON_ALNUM.sub("_", name)
        if clean[:1].isdigit():
            return "key_" + clean
        if clean.startswith("_") and not clean.startswith("__"):
            return "key" + clean
        return clean
    if name and name[0].isdigit():
        name = "_" + name[1:]
    return _INVALID_LABEL_CHARS.sub("_", name)


def family_name(metric: Instrument, path: ExpositionPath) -> str:
    facts = PATHS[path]
    name = metric.name.lower() if facts.lowercase else metric.name
    if facts.normalize == "tokens":
        return _collector_family(metric, name)
    base = sanitize_name(name)
    if metric.type == "counter" and base.endswith("_total"):
        base = base[: -len("_total")]
    word = unit_word(metric.unit)
    if word and not base.endswith("_" + word):
        base += "_" + word
    return base


def _collector_family(metric: Instrument, name: str) -> str:
    tokens = [t for t in _NON_ALNUM.split(name) if t]
    if metric.type == "counter":
        tokens = [t for t in tokens if t != "total"]
    main, per = unit_suffix(metric.unit)
    if main and main not in tokens:
        tokens.append(main)
    if per and per not in tokens:
        tokens.extend(("per", per))
    if metric.type == "gauge" and metric.unit == "1" and "ratio" not in tokens:
        tokens.append("ratio")
    family = "_".join(tokens)
    return "_" + family if family[:1].isdigit() else family


@cache
def expose(metric: Instrument, path: ExpositionPath) -> Exposure:
    facts = PATHS[path]
    prom_type = PROM_TYPES[metric.type]
    family = family_name(metric, path)
    if prom_type == "counter":
        series = [family + "_total"]
    elif prom_type == "histogram":
        series = [family + "_bucket", family + "_count", family + "_sum"]
    else:
        series = [family]
    if prom_type in facts.created_series:
        series.append(family + "_created")
    return Exposure(
        metric=metric.name, path=path, prom_type=prom_type, family=family, series=tuple(sorted(series)),
        labels=tuple(sanitize_label(n, path) for n in metric.label_names),
        exporter_labels=facts.exporter_labels, scrape_labels=facts.scrape_labels,
    )
