"""The generated rule files and their promtool tests pass on promtool 2.42 (Debian's) and 3.16 (the built peer).

Prometheus 3 parses the same rules but evaluates differently in ways a test can see: a range selector no
longer holds the sample at its start (so a window's first minute of increments drops out), and scraped `le`
values are normalised (`contract/promql/prometheus3.py`). Both promtools check and run every rule test, on
the files as committed (out/, examples/checkout/out/) and on every fixture contract, the SLO and alert
contracts of tests/test_slo.py and tests/test_alerts.py, and the extreme bucket bounds of tests/test_rules.py
(whose float arithmetic the expected values repeat), generated into a temp dir.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from contract.loader import load_contract
from generators import outputs
from tests.conftest import MINIMAL, ROOT, contract_from, require_binary
from tests.peer_bins import binary
from tests.test_alerts import ALERTS
from tests.test_rules import EXTREME_BUCKETS, write
from tests.test_slo import SLOS

VERSIONS = ("2.42", "3.16")
COMMITTED = ("out/prometheus", "examples/checkout/out/prometheus")
FIXTURES = sorted(p.parent.name for p in (ROOT / "tests" / "fixtures").glob("*/contract.yaml"))


def promtool_of(version: str) -> str:
    path = require_binary("promtool") if version == "2.42" else binary("promtool")
    banner = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    assert banner.startswith(f"promtool, version {version}."), banner   # the binary is the one the test means
    return path


def assert_proven(promtool: str, prometheus: Path) -> list[str]:
    """`promtool check rules` on every rule file and `promtool test rules` on every test file of the dir; the
    files it ran."""
    rule_files = sorted(str(p) for p in prometheus.glob("*.yml") if not p.name.endswith("_test.yml"))
    test_files = sorted(str(p) for p in prometheus.glob("*_test.yml"))
    assert rule_files and test_files, f"nothing to prove in {prometheus}"
    for args in (["check", "rules", *rule_files], ["test", "rules", *test_files]):
        done = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=300, cwd=prometheus)
        assert done.returncode == 0, f"promtool {' '.join(args[:2])}:\n{done.stdout}{done.stderr}"
    return [Path(f).name for f in rule_files + test_files]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("where", COMMITTED)
def test_committed_rules_pass(version: str, where: str) -> None:
    ran = assert_proven(promtool_of(version), ROOT / where)
    assert ran == ["alerts.yml", "rules.yml", "alerts_test.yml", "rules_test.yml"]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("fixture", FIXTURES)
def test_fixture_rules_pass(version: str, fixture: str, tmp_path: Path) -> None:
    lc = load_contract(str(ROOT / "tests" / "fixtures" / fixture / "contract.yaml"))
    ran = assert_proven(promtool_of(version), write(outputs.render_all(lc), tmp_path) / "prometheus")
    assert "rules_test.yml" in ran


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("contract", [SLOS, ALERTS], ids=["slos", "alerts"])
def test_alert_rules_pass(version: str, contract: str, tmp_path: Path) -> None:
    lc = contract_from(tmp_path, contract)
    ran = assert_proven(promtool_of(version), write(outputs.render_all(lc), tmp_path / "out") / "prometheus")
    assert ran == ["alerts.yml", "rules.yml", "alerts_test.yml", "rules_test.yml"]


@pytest.mark.parametrize("bounds", EXTREME_BUCKETS, ids=str)
def test_extreme_buckets_pass_promtool3(bounds: list[float], tmp_path: Path) -> None:
    # promtool 2.42 runs these in tests/test_rules.py
    lc = contract_from(tmp_path, MINIMAL.replace("buckets: [0.1, 1.0]", f"buckets: {bounds!r}"))
    assert lc.contract.metric("svc_latency_seconds").buckets == tuple(bounds)  # type: ignore[union-attr]
    ran = assert_proven(promtool_of("3.16"), write(outputs.render_all(lc), tmp_path / "out") / "prometheus")
    assert ran == ["rules.yml", "rules_test.yml"]
