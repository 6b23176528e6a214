"""The contract as pydantic models (shape documented in README "The contract").

Only structure and local value rules live here; everything that relates two
parts of the contract (an op naming a metric, two metrics colliding) is a
check under `contract/checks/`, so it is reported as a located problem
rather than a validation failure.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contract.naming import ExpositionPath

MetricType = Literal["counter", "updowncounter", "gauge", "histogram"]

_DURATION = re.compile(r"^(\d+)(ms|s|m|h)$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration_seconds(text: str) -> float:
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"`{text}` is not a duration like 15s, 500ms, 1m or 1h")
    return int(match.group(1)) * _DURATION_UNITS[match.group(2)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(_Model):
    name: str
    values: tuple[str, ...] | None = None
    # With a closed `values` set, anything else is recorded as `other` so a
    # bad caller cannot explode cardinality; `guard: false` records it as is.
    guard: bool = True
    help: str = ""

    @field_validator("values")
    @classmethod
    def _non_empty(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if v is not None and not v:
            raise ValueError("a closed value set needs at least one value")
        if v is not None and len(set(v)) != len(v):
            raise ValueError("values repeat")
        return v

    def allowed_values(self) -> tuple[str, ...] | None:
        """Values a series may carry: the closed set, plus `other` when guarded."""
        if self.values is None:
            return None
        if self.guard and "other" not in self.values:
            return self.values + ("other",)
        return self.values


class Metric(_Model):
    name: str
    type: MetricType
    unit: str
    help: str
    labels: tuple[Label, ...] = ()
    buckets: tuple[float, ...] | None = None
    renamed_from: str | None = None
    max_series: int | None = Field(default=None, ge=1)

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    def label(self, name: str) -> Label | None:
        return next((label for label in self.labels if label.name == name), None)


class ValueSpec(_Model):
    """A number, or an event field optionally multiplied by `scale`."""

    const: float | None = None
    field: str | None = None
    scale: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: object) -> object:
        if isinstance(data, bool):
            raise ValueError("expected a number or {field, scale}, got a boolean")
        if isinstance(data, (int, float)):
            return {"const": data}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> ValueSpec:
        if (self.const is None) == (self.field is None):
            raise ValueError("give either a number or `field`")
        if self.scale is not None and self.field is None:
            raise ValueError("`scale` applies to a `field` value only")
        return self


class LabelSource(_Model):
    field: str | None = None
    value: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> LabelSource:
        if (self.field is None) == (self.value is None):
            raise ValueError("a label takes exactly one of `field` or `value`")
        return self


class Guard(_Model):
    field: str
    not_null: bool = False
    gt: float | None = None

    @model_validator(mode="after")
    def _has_test(self) -> Guard:
        if not self.not_null and self.gt is None:
            raise ValueError("a `when` guard needs `not_null: true` or `gt`")
        return self


class Op(_Model):
    metric: str
    add: ValueSpec | None = None
    record: ValueSpec | None = None
    set: ValueSpec | None = None
    labels: dict[str, LabelSource] = {}
    when: Guard | None = None

    @model_validator(mode="after")
    def _one_operation(self) -> Op:
        given = [k for k in ("add", "record", "set") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("an op takes exactly one of `add`, `record` or `set`")
        return self

    @property
    def operation(self) -> Literal["add", "record", "set"]:
        return "add" if self.add is not None else "record" if self.record is not None else "set"

    @property
    def value(self) -> ValueSpec:
        spec = self.add or self.record or self.set
        assert spec is not None  # guaranteed by _one_operation
        return spec


class Event(_Model):
    event: str
    ops: tuple[Op, ...] = Field(min_length=1)


class SpanStart(_Model):
    event: str
    attributes: dict[str, str] = {}


class SpanEnd(_Model):
    event: str
    error: bool = False
    attributes: dict[str, str] = {}


class Span(_Model):
    name: str
    key: str
    start: SpanStart
    end: tuple[SpanEnd, ...] = Field(min_length=1)
    max_open: int = Field(default=1000, ge=1)


class Rule(_Model):
    record: str | None = None
    alert: str | None = None
    expr: str
    for_: str | None = Field(default=None, alias="for")
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _kind(self) -> Rule:
        if (self.record is None) == (self.alert is None):
            raise ValueError("a rule takes exactly one of `record` or `alert`")
        if self.for_ is not None:
            if self.record is not None:
                raise ValueError("`for` applies to alerting rules only")
            duration_seconds(self.for_)
        return self


class Stack(_Model):
    """Ports and host names of the generated observability stack (seed defaults)."""

    app_host: str = "host.docker.internal"
    app_metrics_port: int = Field(default=9090, ge=1, le=65535)
    otlp_grpc_port: int = Field(default=4317, ge=1, le=65535)
    otlp_http_port: int = Field(default=4318, ge=1, le=65535)
    collector_metrics_port: int = Field(default=8889, ge=1, le=65535)
    prometheus_port: int = Field(default=9091, ge=1, le=65535)
    grafana_port: int = Field(default=3010, ge=1, le=65535)
    jaeger_ui_port: int = Field(default=16686, ge=1, le=65535)


class Contract(_Model):
    contract: Literal[1]
    service: str = Field(min_length=1)
    namespace: str = Field(min_length=1)
    scrape_interval: str = "15s"
    exposition: tuple[ExpositionPath, ...] = Field(min_length=1)
    metrics: tuple[Metric, ...] = Field(min_length=1)
    events: tuple[Event, ...] = ()
    spans: tuple[Span, ...] = ()
    rules: tuple[Rule, ...] = ()
    stack: Stack = Stack()
    # budget for the estimated series of all metrics on all declared paths
    max_series: int | None = Field(default=None, ge=1)

    @field_validator("scrape_interval")
    @classmethod
    def _duration(cls, v: str) -> str:
        # Prometheus reads a zero interval as "unset" and scrapes every minute
        # instead; the rule windows and Grafana's $__rate_interval would then
        # be computed from an interval nobody scrapes at. Milliseconds are
        # fine: Prometheus accepts them.
        if duration_seconds(v) <= 0:
            raise ValueError(f"`{v}` must be longer than zero")
        return v

    @field_validator("exposition")
    @classmethod
    def _unique_paths(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError("exposition paths repeat")
        return v

    @property
    def scrape_seconds(self) -> float:
        return duration_seconds(self.scrape_interval)

    def metric(self, name: str) -> Metric | None:
        return self.metric_index.get(name)

    @cached_property
    def metric_index(self) -> dict[str, Metric]:
        # first declaration wins; duplicates are reported by a check
        index: dict[str, Metric] = {}
        for m in self.metrics:
            index.setdefault(m.name, m)
        return index
