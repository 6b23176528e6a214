"""PromQL and rule-file checks, run in this order on every expression (no auto-discovery)."""

from __future__ import annotations

from contract.promql.checks.base import PromqlCheck
from contract.promql.checks.counter_without_rate import CounterWithoutRate
from contract.promql.checks.grouping_label import GroupingLabel
from contract.promql.checks.label_value import LabelValue
from contract.promql.checks.le_normalized import LeNormalized
from contract.promql.checks.legend_label import LegendLabel
from contract.promql.checks.name_convention import NameConvention
from contract.promql.checks.native_histogram import NativeHistogram
from contract.promql.checks.quantile_without_le import QuantileWithoutLe
from contract.promql.checks.rate_on_gauge import RateOnGauge
from contract.promql.checks.rate_window import RateWindow
from contract.promql.checks.result_type import ResultType
from contract.promql.checks.syntax import Syntax
from contract.promql.checks.too_complex import TooComplex
from contract.promql.checks.unknown_label import UnknownLabel
from contract.promql.checks.unknown_metric import UnknownMetric
from contract.promql.checks.utf8_name import Utf8Name
from contract.promql.checks.vector_matching import VectorMatching

PROMQL_CHECKS: tuple[PromqlCheck, ...] = (
    Syntax(),
    TooComplex(),
    ResultType(),
    Utf8Name(),
    UnknownMetric(),
    UnknownLabel(),
    LabelValue(),
    LeNormalized(),
    GroupingLabel(),
    VectorMatching(),
    LegendLabel(),
    RateOnGauge(),
    CounterWithoutRate(),
    QuantileWithoutLe(),
    NativeHistogram(),
    RateWindow(),
    NameConvention(),
)
