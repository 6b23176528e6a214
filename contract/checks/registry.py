"""The contract checks, run in this order (no auto-discovery)."""

from __future__ import annotations

from contract.checks.alerts import AlertRules
from contract.checks.base import ContractCheck
from contract.checks.buckets import Buckets
from contract.checks.cardinality import Cardinality
from contract.checks.collision import Collision
from contract.checks.counter_total_suffix import CounterTotalSuffix
from contract.checks.duplicate import Duplicate
from contract.checks.event_identifiers import EventIdentifiers
from contract.checks.event_labels import EventLabels
from contract.checks.event_ops import EventOps
from contract.checks.invalid_name import InvalidName
from contract.checks.label_map import LabelMap
from contract.checks.namespace import Namespace
from contract.checks.path_divergence import PathDivergence
from contract.checks.reserved_label import ReservedLabel
from contract.checks.rule_name import RuleName
from contract.checks.rule_template import RuleTemplate
from contract.checks.slos import Slos
from contract.checks.span_events import SpanEvents
from contract.checks.stack_paths import StackPaths
from contract.checks.stateset_states import StatesetStates
from contract.checks.type_path import TypePath
from contract.checks.unit_suffix import UnitSuffix
from contract.loader import LoadedContract
from contract.problems import Problem

CONTRACT_CHECKS: tuple[ContractCheck, ...] = (
    InvalidName(),
    Namespace(),
    CounterTotalSuffix(),
    UnitSuffix(),
    ReservedLabel(),
    Buckets(),
    TypePath(),
    StatesetStates(),
    LabelMap(),
    Duplicate(),
    Collision(),
    PathDivergence(),
    EventOps(),
    EventLabels(),
    EventIdentifiers(),
    SpanEvents(),
    RuleName(),
    RuleTemplate(),
    AlertRules(),
    Slos(),
    StackPaths(),
    Cardinality(),
)


def check_contract(lc: LoadedContract) -> list[Problem]:
    return [p for check in CONTRACT_CHECKS for p in check.run(lc)]
