"""Durations as Prometheus writes them, one reader for the contract and for rule files."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract import duration
from tests.conftest import MINIMAL, contract_from
from tests.test_rules import promtool

ROWS = [
    ("15s", 15.0), ("500ms", 0.5), ("1m", 60.0), ("1h30m", 5400.0), ("1m30s", 90.0), ("2d12h", 216000.0),
    ("1w", 604800.0), ("1y", 31536000.0), ("1h0m", 3600.0), ("0", 0.0), ("0s", 0.0),
    # not durations: a unit twice or out of order, a fraction, a bare number, a space, a sign, nothing
    ("1h1h", None), ("1m1h", None), ("1.5m", None), ("15", None), ("1 m", None), ("-1m", None), ("", None),
    ("1ms1s", None),
]


@pytest.mark.parametrize(("text", "seconds"), ROWS, ids=[t or "empty" for t, _ in ROWS])
def test_seconds(text: str, seconds: float | None) -> None:
    assert duration.seconds(text) == seconds


def test_promtool_reads_what_is_a_duration_and_refuses_the_rest(tmp_path: Path) -> None:
    for text, seconds in ROWS:
        rules = tmp_path / "rules.yml"
        rules.write_text(f'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: vector(1)\n    for: "{text}"\n')
        checked = promtool("check", "rules", str(rules))
        assert (checked.returncode == 0) == (seconds is not None), (text, checked.stdout + checked.stderr)


def test_a_contract_takes_compound_durations(tmp_path: Path) -> None:
    text = MINIMAL.replace("exposition:", "scrape_interval: 1m30s\nexposition:") + \
        "alerts:\n  metrics_stopped: {window: 1h30m, for: 2m30s}\n"
    c = contract_from(tmp_path, text).contract
    assert c.scrape_seconds == 90.0
    assert c.alerts is not None and c.alerts.metrics_stopped.window == "1h30m"
