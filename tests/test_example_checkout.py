"""`examples/checkout`, a service that is not qortex, through the whole cycle a new adopter goes through.

`init` in an empty directory, the example's contract put in place of the
starter one, `generate`, `check`, `docs`, then the real `pre-commit run` with
the hooks `init` configured; and the committed generated module driven into
the real OpenTelemetry SDK and prometheus_client. The live part (its default
dashboard read from a real Prometheus) is tests/live/test_checkout_live.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from contract.loader import load_contract
from contract.naming import expose
from tests.checkout_events import CHECKOUT_DIR, CONTRACT, PER_BATCH, batch, emit
from tests.conftest import ROOT
from tests.subscriber_util import import_generated

BIN = ROOT / ".venv" / "bin"


def tool(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "metrics-contract"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


YAML_DASHBOARDS = ROOT / "tests" / "fixtures" / "yaml-dashboards" / "contract.yaml"


def adopt(tmp_path: Path, contract: Path) -> Path:
    """An empty directory taken through `init`, its starter contract replaced by `contract`."""
    project = tmp_path / "checkout"
    done = tool(tmp_path, "init", "checkout", "--service", "checkout")
    assert done.returncode == 0, done.stderr
    shutil.copy(contract, project / "metrics-contract.yaml")
    return project


def generate_check_docs(project: Path) -> str:
    """`generate`, `check` and `docs` exit 0 with no problem at all; returns what `check` printed."""
    generated = tool(project, "generate")
    assert generated.returncode == 0, generated.stderr
    # not even a warning, for a contract written by the book
    assert generated.stdout.splitlines()[:-1] == [], generated.stdout
    assert generated.stdout.splitlines()[-1].startswith("wrote "), generated.stdout
    checked = tool(project, "check")
    assert (checked.returncode, checked.stdout) == (0, ""), checked.stdout + checked.stderr
    docs = tool(project, "docs")
    assert (docs.returncode, docs.stdout) == (0, "wrote out/METRICS.md\n"), docs.stderr
    return checked.stderr


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", *args], cwd=repo,
                   check=True, capture_output=True)


def pre_commit(project: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """The real `pre-commit run --all-files` with the hooks `init` configured, the toolkit on PATH."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PRE_COMMIT_HOME": str(home),
           "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([str(BIN / "pre-commit"), "run", "--all-files"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def commit_and_run_hooks(project: Path, home: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs git")
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "checkout metrics")
    clean = pre_commit(project, home)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert [line.split("...")[0].rstrip(".") for line in clean.stdout.splitlines() if "Passed" in line] == [
        "metrics-contract check", "metrics-contract diff --against HEAD"]


def test_the_example_through_init_generate_check_docs_and_pre_commit(tmp_path: Path) -> None:
    project = adopt(tmp_path, CONTRACT)
    assert generate_check_docs(project) == "checked 72 expressions in 3 files\n"
    # the default dashboard and everything else, compared whole with the committed example
    assert tree(project / "out") == tree(CHECKOUT_DIR / "out")
    assert "http.server.request.duration" in (project / "out" / "METRICS.md").read_text()
    commit_and_run_hooks(project, tmp_path / "pre-commit-home")

    dashboard = project / "out" / "grafana" / "checkout.json"
    dashboard.write_text(dashboard.read_text().replace("checkout_orders_total", "checkout_orders"))
    broken = pre_commit(project, tmp_path / "pre-commit-home")
    assert broken.returncode == 1, broken.stdout
    assert "out/grafana/checkout.json:342: error[check/stale-output]: `out/grafana/checkout.json` differs" \
        in broken.stdout, broken.stdout
    assert "out/grafana/checkout.json:342:50: error[promql/unknown-metric]: panel \"checkout_orders\" target A: " \
        "`checkout_orders` is not in the contract; did you mean `checkout_orders_total`" in broken.stdout, broken.stdout


def test_a_contract_with_a_dashboards_section_goes_through_the_same_cycle(tmp_path: Path) -> None:
    project = adopt(tmp_path, YAML_DASHBOARDS)
    generate_check_docs(project)
    expected = ROOT / "tests" / "fixtures" / "yaml-dashboards" / "expected"
    # the section's two dashboards, no default one; their goldens are the fixture's (which names its contract
    # by another path, in each dashboard's description only)
    written = sorted(p.name for p in (project / "out" / "grafana").glob("*.json"))
    assert written == sorted(p.name for p in (expected / "grafana").glob("*.json")) == [
        "carts.json", "checkout-overview.json"]
    for name in written:
        ours = (project / "out" / "grafana" / name).read_text()
        theirs = (expected / "grafana" / name).read_text()
        assert ours == theirs.replace("tests/fixtures/yaml-dashboards/contract.yaml", "metrics-contract.yaml"), name
    commit_and_run_hooks(project, tmp_path / "pre-commit-home")


def test_committed_example_is_fresh() -> None:
    checked = tool(CHECKOUT_DIR, "check")
    assert (checked.returncode, checked.stdout, checked.stderr) == (0, "", "checked 72 expressions in 3 files\n")


def _samples(registry: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the registry's exposition, exporter-added labels left out."""
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    found = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in family.samples:
            labels = tuple(sorted((k, v) for k, v in s.labels.items() if not k.startswith("otel_scope_")))
            found[(s.name, labels)] = s.value
    return found


def test_committed_module_drives_the_real_sdks(tmp_path: Path) -> None:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import CollectorRegistry

    # named as `generate` names it, run in the example's directory
    lc = load_contract("metrics-contract.yaml", CONTRACT.read_bytes())
    module = import_generated(lc, tmp_path)
    assert (tmp_path / "checkout_metrics.py").read_bytes() == \
        (CHECKOUT_DIR / "out" / "python" / "checkout_metrics.py").read_bytes()
    direct, through_otel = CollectorRegistry(), CollectorRegistry()
    provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=through_otel)])
    try:
        found = module.handlers(meter=provider.get_meter("checkout"), registry=direct)
        assert sorted(found) == ["InFlightChanged", "OrderPlaced", "OrderShipped", "PaymentAnswered",
                                 "PaymentFailed", "RequestFinished"]
        for _ in range(5):
            emit(found, batch())
        assert module.DROPPED == {}
        for registry, path in ((direct, "prometheus-client"), (through_otel, "otel-python")):
            samples = _samples(registry)
            for (series, labels), per_batch in PER_BATCH.items():
                assert samples[(series, labels)] == 5 * per_batch, (path, series, labels)
            assert samples[("checkout_inflight_requests", ())] == 7
            # every series the SDK wrote is one `names` predicts for this path
            predicted = {s for m in lc.contract.metrics for s in expose(m, path).series}
            assert {name for name, _ in samples} - {"target_info"} <= predicted, path
    finally:
        provider.shutdown()
