"""PromQL and rule-file checks, run in this order (no auto-discovery).

Kept apart from `CONTRACT_CHECKS` because they run per expression of a
dashboard or rule file (`contract.lint`), not once per contract.
"""

from __future__ import annotations

from contract.checks.promql_base import PromqlCheck
from contract.checks.promql_counter_without_rate import CounterWithoutRate
from contract.checks.promql_grouping_label import GroupingLabel
from contract.checks.promql_label_value import LabelValue
from contract.checks.promql_legend_label import LegendLabel
from contract.checks.promql_quantile_without_le import QuantileWithoutLe
from contract.checks.promql_rate_on_gauge import RateOnGauge
from contract.checks.promql_rate_window import RateWindow
from contract.checks.promql_syntax import Syntax
from contract.checks.promql_unknown_label import UnknownLabel
from contract.checks.promql_unknown_metric import UnknownMetric
from contract.checks.rules_name_convention import NameConvention

PROMQL_CHECKS: tuple[PromqlCheck, ...] = (
    Syntax(),
    UnknownMetric(),
    UnknownLabel(),
    LabelValue(),
    GroupingLabel(),
    LegendLabel(),
    RateOnGauge(),
    CounterWithoutRate(),
    QuantileWithoutLe(),
    RateWindow(),
    NameConvention(),
)
