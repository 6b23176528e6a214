"""Table tests for every contract check: a passing and a failing case, messages pinned."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.checks.registry import CONTRACT_CHECKS, check_contract
from tests.conftest import MINIMAL, contract_from

# check id -> (edit to MINIMAL that passes, edit that fails, expected problem lines)
# An edit is (old, new) applied to MINIMAL; the passing edit is a near miss.
CASES: dict[str, tuple[tuple[str, str], tuple[str, str], list[str]]] = {
    "contract/counter-total-suffix": (
        ("name: svc_requests\n", "name: svc_requests_totals\n"),
        ("name: svc_requests\n", "name: svc_requests_total\n"),
        ["c.yaml:6:11: error[contract/counter-total-suffix]: counter `svc_requests_total` must not end in "
          "`_total`; the exporter appends it"],
    ),
    "contract/invalid-name": (
        ("- name: code\n", "- name: code_2\n"),
        ("- name: code\n", "- name: 2code\n"),
        ["c.yaml:11:15: error[contract/invalid-name]: label name `2code` of `svc_requests` is not a valid "
          "Prometheus label name",
         "c.yaml:11:7: error[contract/path-divergence]: labels of `svc_requests` are `_code` on "
          "prometheus-client but `key_2code` on otel-collector"],
    ),
    "contract/namespace": (
        ("name: svc_requests\n", "name: svc_requests_in\n"),
        ("name: svc_requests\n", "name: other_requests\n"),
        ["c.yaml:6:11: error[contract/namespace]: metric `other_requests` is outside namespace `svc`; name "
          "it `svc_...`"],
    ),
    "contract/unit-suffix": (
        ("unit: s\n", "unit: s\n"),
        ("unit: s\n", "unit: ms\n"),
        ["c.yaml:15:11: error[contract/unit-suffix]: `svc_latency_seconds` ends in `_seconds` but its unit "
          "is `ms`; declare unit `s`"],
    ),
    "contract/reserved-label": (
        ("- name: code\n", "- name: lemon\n"),
        ("- name: code\n", "- name: le\n"),
        ["c.yaml:11:15: error[contract/reserved-label]: label `le` of `svc_requests` is reserved: `le` "
          "holds histogram bucket bounds"],
    ),
    "contract/buckets": (
        ("buckets: [0.1, 1.0]", "buckets: [0.1, 0.5, 1.0]"),
        ("buckets: [0.1, 1.0]", "buckets: [1.0, 0.1, 0.1]"),
        ["c.yaml:17:20: error[contract/buckets]: buckets of `svc_latency_seconds` are not sorted: `0.1` "
          "follows `1.0`",
         "c.yaml:17:25: error[contract/buckets]: bucket `0.1` of `svc_latency_seconds` is repeated"],
    ),
    "contract/duplicate": (
        ("values: [\"200\", \"500\"]\n", "values: [\"200\", \"500\"]\n      - name: method\n"),
        ("values: [\"200\", \"500\"]\n", "values: [\"200\", \"500\"]\n      - name: code\n"),
        ["c.yaml:13:15: error[contract/duplicate]: label `code` of `svc_requests` is declared twice"],
    ),
    "contract/collision": (
        ("name: svc_latency_seconds\n", "name: svc_requests_seconds\n"),
        ("name: svc_latency_seconds\n    type: histogram\n    unit: s\n    help: Latency\n    buckets: [0.1, 1.0]",
         "name: svc_requests_total\n    type: gauge\n    unit: \"{request}\"\n    help: Latency"),
        ["c.yaml:13:11: error[contract/collision]: `svc_requests_total` and `svc_requests` both yield "
          "series `svc_requests_total` on prometheus-client"],
    ),
    "contract/path-divergence": (
        ("type: histogram\n    unit: s\n", "type: histogram\n    unit: s\n"),
        ("  - name: svc_latency_seconds\n", "  - name: svc_up\n    type: gauge\n    unit: \"1\"\n    help: Up\n"
         "  - name: svc_latency_seconds\n"),
        ["c.yaml:13:11: error[contract/path-divergence]: `svc_up` is exposed as `svc_up` on "
          "prometheus-client but as `svc_up_ratio` on otel-collector"],
    ),
    "contract/event-op": (
        ("record: {field: ms", "record: {field: ms"),
        ("record: {field: ms", "add: {field: ms"),
        ["c.yaml:22:39: error[contract/event-op]: `add` does not apply to histogram `svc_latency_seconds`; "
          "use `record`"],
    ),
    "contract/event-labels": (
        ("{code: {field: code}}", "{code: {value: \"500\"}}"),
        ("{code: {field: code}}", "{code: {value: \"404\"}, path: {field: p}}"),
        ["c.yaml:21:63: error[contract/event-labels]: value `404` of label `code` is not in its closed set "
          "`200`, `500`",
         "c.yaml:21:71: error[contract/event-labels]: event `Done` sets label `path`, which `svc_requests` "
          "does not declare"],
    ),
    "contract/cardinality": (
        # 2 bounds: (2 + 1 + 2 + `_created`) on prometheus-client, 5 on otel-collector
        ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\n    max_series: 11\n"),
        ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\n    max_series: 10\n"),
        ["c.yaml:18:17: error[contract/cardinality]: `svc_latency_seconds` is estimated at 11 series, over its "
         "budget of 10"],
    ),
    "contract/span-events": (
        ("events:\n", "spans:\n  - {name: s, key: id, start: {event: A}, end: [{event: B}, {event: C}]}\nevents:\n"),
        ("events:\n", "spans:\n  - {name: s, key: id, start: {event: A}, end: [{event: B}, {event: A}]}\nevents:\n"),
        ["c.yaml:19:69: error[contract/span-events]: event `A` starts span `s`; start and end events must "
          "differ"],
    ),
}


# name checks run without the events section, so renaming a metric does not
# also break the ops that refer to it
BARE = MINIMAL[: MINIMAL.index("events:")]
EVENT_CHECKS = {"contract/event-op", "contract/event-labels", "contract/span-events"}


def _problems(tmp_path: Path, edit: tuple[str, str], base: str = MINIMAL) -> list[str]:
    old, new = edit
    assert old in base, old
    lc = contract_from(tmp_path, base.replace(old, new, 1))
    return sorted(p.text().removeprefix(f"{tmp_path}/") for p in check_contract(lc))


def _base(check_id: str) -> str:
    return MINIMAL if check_id in EVENT_CHECKS else BARE


def test_every_check_has_cases() -> None:
    assert sorted(c.id for c in CONTRACT_CHECKS) == sorted(CASES)
    for check in CONTRACT_CHECKS:
        assert check.summary and check.__doc__ and check.id.startswith("contract/")


def test_minimal_is_clean(tmp_path: Path) -> None:
    assert _problems(tmp_path, ("\n", "\n")) == []


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_passing_case(check_id: str, tmp_path: Path) -> None:
    assert _problems(tmp_path, CASES[check_id][0], _base(check_id)) == []


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_failing_case(check_id: str, tmp_path: Path) -> None:
    got = _problems(tmp_path, CASES[check_id][1], _base(check_id))
    assert got == sorted(CASES[check_id][2])


def test_qortex_contract_is_clean(qortex) -> None:  # type: ignore[no-untyped-def]
    assert check_contract(qortex) == []


def test_unit_word_missing_from_name_is_a_warning(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, MINIMAL.replace("svc_latency_seconds", "svc_latency"))
    assert [p.text().removeprefix(f"{tmp_path}/") for p in check_contract(lc)] == [
        "c.yaml:13:11: warning[contract/unit-suffix]: `svc_latency` has unit `s` and is exposed as "
        "`svc_latency_seconds`; name it `svc_latency_seconds`"]


def test_contract_budget_and_unbounded_labels(tmp_path: Path) -> None:
    # svc_requests: 3 values (with `other`) x (`_total` + `_created`) + 3 x `_total` = 9; histogram 11
    assert _problems(tmp_path, ("metrics:\n", "max_series: 20\nmetrics:\n")) == []
    assert _problems(tmp_path, ("metrics:\n", "max_series: 19\nmetrics:\n")) == [
        "c.yaml:5:13: error[contract/cardinality]: the contract is estimated at 20 series, over its budget of 19"]
    open_label = MINIMAL.replace('        values: ["200", "500"]\n', "    max_series: 5\n", 1)
    assert _problems(tmp_path, ("metrics:\n", "max_series: 20\nmetrics:\n"), open_label) == [
        "c.yaml:13:17: warning[contract/cardinality]: `svc_requests` has a budget but label `code` has no closed "
        "value set, so its series cannot be bounded",
        "c.yaml:5:13: warning[contract/cardinality]: some metrics have labels without a closed value set, so only "
        "11 series are bounded by the budget"]
