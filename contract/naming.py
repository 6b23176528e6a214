"""Contract metric -> Prometheus series names and labels, per exposition path.

The rules are data (`PATHS`, `UNIT_SUFFIXES`) measured against the real
exporters; `tests/test_naming.py` pins one table row each and
`tests/test_naming_empirical.py` checks the predictions against the real
OpenTelemetry SDK, prometheus_client, the Collector and Prometheus 3.

Paths:
- `prometheus-client`: the generated module's prometheus_client instruments,
  created with the sanitized contract name and the mapped unit.
- `otel-python`: the OpenTelemetry SDK read by `PrometheusMetricReader`.
- `otel-collector`: OTLP into the Collector's `prometheus` exporter as
  generators/stack.py configures it (suffixes on,
  `resource_to_telemetry_conversion`), scraped by Prometheus with
  `honor_labels` (so `job`/`instance` are the service's).
- `otel-collector-remote-write`: OTLP into the Collector, its
  `prometheusremotewrite` exporter (default settings) into Prometheus'
  remote-write receiver.
- `prometheus-otlp`, `prometheus-otlp:<strategy>`: OTLP straight into
  Prometheus 3's own receiver, whose `otlp.translation_strategy` is the part
  after the colon (`UnderscoreEscapingWithSuffixes`, Prometheus' default, when
  there is none); no resource attribute promoted to a label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal, Protocol, get_args

# A Prometheus OTLP strategy other than the default is spelled as the path's parameter: `prometheus-otlp:NoTranslation`.
# Only the non-default strategies have a spelling, so one configuration has one name (`exposition:` must not repeat).
ExpositionPath = Literal[
    "prometheus-client", "otel-python", "otel-collector", "otel-collector-remote-write",
    "prometheus-otlp", "prometheus-otlp:UnderscoreEscapingWithoutSuffixes",
    "prometheus-otlp:NoUTF8EscapingWithSuffixes", "prometheus-otlp:NoTranslation",
]
EXPOSITION_PATHS: tuple[ExpositionPath, ...] = get_args(ExpositionPath)
# Prometheus' default strategy spelled out is read as the bare path (so the two cannot both be declared)
PATH_ALIASES: dict[str, ExpositionPath] = {"prometheus-otlp:UnderscoreEscapingWithSuffixes": "prometheus-otlp"}

# the TYPE Prometheus (and OpenMetrics) gives a family; a native histogram is a "histogram" in the exposition,
# told apart here because its series are the family name alone (no `_bucket`, `_count` or `_sum`)
PromType = Literal["counter", "gauge", "histogram", "summary", "untyped", "info", "stateset", "native_histogram"]


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
# what the Collector's exporters and Prometheus' OTLP receiver make of `service.name` and `service.instance.id`;
# on a pushed path Prometheus has them where it would have a scrape's (`scrape_labels`)
TARGET_LABELS = ("instance", "job")


# a metric name PromQL writes bare; any other is quoted (`{"a.b"}`), as Prometheus 3 reads it
BARE_METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_NOT_BARE = re.compile(r"[^a-zA-Z0-9_:]")


def record_part(family: str) -> str:
    """The `metric` of a recorded name `level:metric:operations` for a family: itself, or, for a name a UTF-8 path
    keeps (`a.b`), each character other than letters, digits, `_` and `:` as `_`: a recorded name every Prometheus
    reads and queries bare. Two families it would make one are one series name on a path `contract/collision`
    checks."""
    return family if BARE_METRIC.fullmatch(family) else _NOT_BARE.sub("_", family)


@dataclass(frozen=True)
class PathFacts:
    name: ExpositionPath
    # how the exporter cleans a name: "sanitize" replaces runs of invalid
    # characters with `_`; "tokens" splits on every non-alphanumeric
    # character and joins the tokens with single underscores; "escape"
    # replaces each run of characters other than letters, digits, `:` and `_`
    # with one `_` (underscores kept, a leading or trailing run dropped);
    # "utf8" keeps the name as written. The unit joins the name unless it is there already: after "sanitize"
    # when the name ends with `_` and it, after "tokens" when it is any `_`-separated token, after "utf8" when
    # the name ends with it, whatever comes before
    normalize: Literal["sanitize", "tokens", "escape", "utf8"]
    # whether the unit, `_total` (counters) and `_ratio` (see gauge_unit_1_ratio) join the name; `_bucket`,
    # `_count` and `_sum` of a classic histogram are there either way
    suffixes: bool
    # the OpenTelemetry SDK lowercases instrument names (they are case-insensitive), before its own
    # exporter and before OTLP; attribute names keep their case
    lowercase: bool
    gauge_unit_1_ratio: bool
    # how an attribute becomes a label name: "sanitize" turns a leading digit and every run of other
    # characters than letters and digits into `_`; "escape" turns each character other than letters, digits
    # and `_` into `_` and puts `key_` before a leading digit; "escape-key" also puts `key` before one leading
    # `_`; "utf8" keeps it as written
    label_rule: Literal["sanitize", "escape", "escape-key", "utf8"]
    created_series: frozenset[PromType]
    exporter_labels: tuple[str, ...]     # added by the exporter (or receiver) to every series
    # exposed with an empty value (the scope's schema URL, which the generated module's meter does not set):
    # in the exposition, but Prometheus drops a label with an empty value when it ingests the series
    empty_labels: tuple[str, ...]
    scrape_labels: tuple[str, ...]       # added when Prometheus scrapes it (or the receiver, on a pushed path)
    info_series: tuple[str, ...]         # extra series outside the contract
    # how `le` and `quantile` values arrive: "float" as OpenMetrics writes them (`1.0`, the Python exporters),
    # "go" as Go's `%g` (`1`, client_golang in the Collector's exporter; Prometheus 3 rewrites them to the float
    # form when it scrapes, 2 keeps them), "otlp" as the OTLP translator's fixed point (`1`, never rewritten)
    bounds: Literal["float", "go", "otlp"]
    # where Prometheus gets the series: by scraping the service itself, by scraping the Collector's exporter
    # (the stack's `otel-collector` job), or pushed to it (no scrape target of the path's own)
    scraped: Literal["service", "collector", "pushed"]
    # only a Prometheus 3 can hold the path's series (its own OTLP receiver): declaring it says the server is 3
    prometheus3_only: bool = False


def _prometheus_otlp(name: ExpositionPath, *, suffixes: bool, utf8: bool) -> PathFacts:
    """Prometheus 3's OTLP receiver under one translation strategy, with its default settings otherwise:
    `job`/`instance` from the resource (whose other attributes go to `target_info` only) and no scope labels."""
    return PathFacts(
        name=name, normalize="utf8" if utf8 else ("tokens" if suffixes else "escape"), suffixes=suffixes,
        lowercase=True, gauge_unit_1_ratio=True,
        label_rule="utf8" if utf8 else "escape-key", created_series=frozenset(), exporter_labels=(),
        empty_labels=(), scrape_labels=TARGET_LABELS, info_series=("target_info",), bounds="otlp",
        scraped="pushed", prometheus3_only=True,
    )


PATHS: dict[ExpositionPath, PathFacts] = {
    "prometheus-client": PathFacts(
        name="prometheus-client", normalize="sanitize", suffixes=True, lowercase=False,
        gauge_unit_1_ratio=False, label_rule="sanitize",
        created_series=frozenset({"counter", "histogram", "summary"}), exporter_labels=(), empty_labels=(),
        scrape_labels=("instance", "job"), info_series=(), bounds="float", scraped="service",
    ),
    "otel-python": PathFacts(
        name="otel-python", normalize="sanitize", suffixes=True, lowercase=True,
        gauge_unit_1_ratio=False, label_rule="sanitize",
        created_series=frozenset(), exporter_labels=OTEL_SCOPE_LABELS, empty_labels=(),
        scrape_labels=("instance", "job"), info_series=("target_info",), bounds="float", scraped="service",
    ),
    "otel-collector": PathFacts(
        name="otel-collector", normalize="tokens", suffixes=True, lowercase=True,
        gauge_unit_1_ratio=True, label_rule="escape",
        created_series=frozenset(), exporter_labels=TARGET_LABELS + COLLECTOR_SCOPE_LABELS + RESOURCE_LABELS,
        empty_labels=("otel_scope_schema_url",),
        # the exporter's own job/instance (from the resource), kept by the scrape's `honor_labels`
        scrape_labels=TARGET_LABELS, info_series=("target_info",), bounds="go", scraped="collector",
    ),
    # the exporter's defaults: resource attributes go to `target_info` only
    "otel-collector-remote-write": PathFacts(
        name="otel-collector-remote-write", normalize="tokens", suffixes=True, lowercase=True,
        gauge_unit_1_ratio=True, label_rule="escape",
        created_series=frozenset(), exporter_labels=COLLECTOR_SCOPE_LABELS, empty_labels=(),
        scrape_labels=TARGET_LABELS, info_series=("target_info",), bounds="otlp", scraped="pushed",
    ),
    "prometheus-otlp": _prometheus_otlp("prometheus-otlp", suffixes=True, utf8=False),
    "prometheus-otlp:UnderscoreEscapingWithoutSuffixes": _prometheus_otlp(
        "prometheus-otlp:UnderscoreEscapingWithoutSuffixes", suffixes=False, utf8=False),
    "prometheus-otlp:NoUTF8EscapingWithSuffixes": _prometheus_otlp(
        "prometheus-otlp:NoUTF8EscapingWithSuffixes", suffixes=True, utf8=True),
    "prometheus-otlp:NoTranslation": _prometheus_otlp("prometheus-otlp:NoTranslation", suffixes=False, utf8=True),
}

PROM_TYPES: dict[str, PromType] = {
    "counter": "counter", "updowncounter": "gauge", "gauge": "gauge", "histogram": "histogram",
    "summary": "summary", "untyped": "untyped", "info": "info", "stateset": "stateset",
    "native_histogram": "native_histogram",
}

# Which exposition paths can yield each contract type; a type not listed here, every path. OpenTelemetry has no
# summary, info, stateset or untyped instrument, so only prometheus_client's path yields them (untyped through a
# custom collector's UnknownMetricFamily; the generated module records neither untyped nor native histograms).
# A native histogram comes from an exponential histogram: the Collector's prometheus exporter converts it (and
# Prometheus' own OTLP receiver and remote write keep it), while opentelemetry-exporter-prometheus drops
# exponential histograms; prometheus_client exposes native histogram samples only from a custom collector.
TYPE_PATHS: dict[str, frozenset[str]] = {
    "summary": frozenset({"prometheus-client"}),
    "info": frozenset({"prometheus-client"}),
    "stateset": frozenset({"prometheus-client"}),
    "untyped": frozenset({"prometheus-client"}),
    "native_histogram": frozenset({"prometheus-client", "otel-collector", "prometheus-otlp",
                                   "otel-collector-remote-write"}),
}


def yields_type(path: str, metric_type: str) -> bool:
    """Whether exposition path `path` can yield a metric of contract type `metric_type`."""
    paths = TYPE_PATHS.get(metric_type)
    return paths is None or path in paths or path.split(":", 1)[0] in paths

# a name in Prometheus' own style (no dots or dashes of OpenTelemetry's), which every path exposes as written
PROMETHEUS_STYLE = re.compile(r"[a-zA-Z0-9_]*")
_INVALID_NAME_CHARS = re.compile(r"[^a-zA-Z0-9:]+")
_INVALID_LABEL_CHARS = re.compile(r"[^a-zA-Z0-9]+")
_INVALID_LABEL_CHAR = re.compile(r"[^a-zA-Z0-9_]")
_NOT_ESCAPED_NAME_CHARS = re.compile(r"[^a-zA-Z0-9:_]+")
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
    empty_labels: tuple[str, ...] = ()   # exposed with an empty value, gone once Prometheus ingests the series

    @property
    def core_series(self) -> tuple[str, ...]:
        """Series a dashboard may rely on on every path (no `_created`)."""
        return tuple(s for s in self.series if not s.endswith("_created") or s == self.family)

    def labels_of(self, series: str, *, scraped: bool = True) -> frozenset[str]:
        """Label names carried by one series once scraped (or as exposed)."""
        names = set(self.labels) | set(self.exporter_labels)
        if scraped:
            names |= set(self.scrape_labels)
        else:
            names |= set(self.empty_labels)
        if self.prom_type == "histogram" and series == self.family + "_bucket":
            names.add("le")
        elif self.prom_type == "summary" and series == self.family:
            names.add("quantile")
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


def translator_unit(unit: str) -> tuple[str, str]:
    """(main, per) suffix words as Prometheus' OTLP translator finds them (the Collector's exporters and
    Prometheus' receiver): a part holding an annotation names no unit at all (`By{packet}` gives none, where
    the Python exporter reads `By`), and an unknown unit is its own word, uncleaned."""
    top, _, bottom = unit.partition("/")
    top, bottom = top.strip(), bottom.strip()
    main = "" if not top or "{" in top or "}" in top else UNIT_SUFFIXES.get(top, top)
    per = "" if not bottom or "{" in bottom or "}" in bottom else PER_UNIT_SUFFIXES.get(bottom, bottom)
    return main, per


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


def namespace_prefixes(namespace: str, path: ExpositionPath) -> tuple[str, ...]:
    """What the names a path exposes of a namespace's metrics may start with: a path that keeps UTF-8 names
    (`prometheus-otlp:NoTranslation`) exposes `shop.api.requests` as written, `shop_api_requests` too."""
    if PATHS[path].normalize == "utf8":
        return namespace + "_", namespace + "."
    return (namespace_prefix(namespace),)


def sanitize_label(name: str, path: ExpositionPath = "otel-python") -> str:
    rule = PATHS[path].label_rule
    if rule == "utf8":
        return name
    if rule in ("escape", "escape-key"):
        clean = _INVALID_LABEL_CHAR.sub("_", name)
        if clean[:1].isdigit():
            return "key_" + clean
        if rule == "escape-key" and clean.startswith("_") and not clean.startswith("__"):
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
    if facts.normalize == "utf8":
        return _utf8_family(metric, name) if facts.suffixes else name
    if facts.normalize == "escape":
        # as "tokens" without the suffixes, except that `_` is no separator: `a__b` stays
        base = "_".join(t for t in _NOT_ESCAPED_NAME_CHARS.split(name) if t)
        return "_" + base if base[:1].isdigit() else base
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
    main, per = (_clean_unit(word) for word in translator_unit(metric.unit))
    if main and main not in tokens:
        tokens.append(main)
    # `per_<unit>` is one token, which no token of the name (split at every `_`) can equal: always appended
    if per:
        tokens.append("per_" + per)
    if metric.type == "gauge" and metric.unit == "1":
        # like `total`, a `ratio` token anywhere in the name moves to the end
        tokens = [t for t in tokens if t != "ratio"] + ["ratio"]
    family = "_".join(tokens)
    return "_" + family if family[:1].isdigit() else family


def _clean_unit(word: str) -> str:
    """A unit word as the translator appends it to an escaped name: invalid characters as one `_`, none leading."""
    return _INVALID_NAME_CHARS.sub("_", word).lstrip("_")


def _utf8_family(metric: Instrument, name: str) -> str:
    """The name as written with its suffixes (Prometheus' NoUTF8EscapingWithSuffixes): a trailing `total` or
    `ratio` and the character before it give way to `_total`/`_ratio`, and the unit is appended unless the name
    ends with it, whatever character comes before."""
    main, per = translator_unit(metric.unit)
    ratio = metric.type == "gauge" and metric.unit == "1"
    if ratio:
        name = _trim_suffix(name, "ratio")
    if metric.type == "counter":
        name = _trim_suffix(name, "total")
    if per:
        name = _trim_suffix(name, "per_" + per)
    if main and not name.endswith(main):
        name += "_" + main
    if per:
        name += "_per_" + per
    return name + "_ratio" if ratio else name


def _trim_suffix(name: str, suffix: str) -> str:
    return name[: -len(suffix) - 1] if name.endswith(suffix) and len(name) > len(suffix) + 1 else name


@cache
def expose(metric: Instrument, path: ExpositionPath) -> Exposure:
    facts = PATHS[path]
    prom_type = PROM_TYPES[metric.type]
    family = family_name(metric, path)
    if prom_type == "counter":
        series = [family + "_total" if facts.suffixes else family]
    elif prom_type == "histogram":
        series = [family + "_bucket", family + "_count", family + "_sum"]
    elif prom_type == "summary":
        # the family series carries `quantile`; prometheus_client's Summary computes no quantiles, other
        # clients' summaries do, so a dashboard may read them
        series = [family, family + "_count", family + "_sum"]
    elif prom_type == "info":
        series = [family + "_info"]   # value 1; its labels are the information
    else:
        # gauge, untyped, native histogram (one series of whole histograms), stateset (one series per state,
        # the state in a label named after the metric, value 0 or 1)
        series = [family]
    if prom_type in facts.created_series:
        series.append(family + "_created")
    return Exposure(
        metric=metric.name, path=path, prom_type=prom_type, family=family, series=tuple(sorted(series)),
        labels=tuple(sanitize_label(n, path) for n in metric.label_names),
        exporter_labels=facts.exporter_labels, scrape_labels=facts.scrape_labels, empty_labels=facts.empty_labels,
    )
