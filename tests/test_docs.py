"""`out/METRICS.md` and `metrics-contract docs`."""

from __future__ import annotations

from pathlib import Path

import pytest

from generators import docs
from generators.cli import main
from tests.conftest import MINIMAL, QORTEX_CONTRACT, ROOT, contract_from


def test_unused_metrics_are_listed_and_help_is_escaped(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, MINIMAL.replace("help: Latency", "help: \"Latency <b>|\\\\n\""))
    rules = ("groups:\n  - name: g\n    rules:\n      - record: job:svc_requests:rate5m\n"
             "        expr: sum by (job) (rate(svc_requests_total[5m]))\n")
    text = docs.generate(lc, {"prometheus/rules.yml": rules})[docs.PATH]
    assert "- used by: rule `job:svc_requests:rate5m`" in text
    assert text.endswith("## Not used by any panel or rule\n\n- `svc_latency_seconds`\n")
    assert "Latency &lt;b>\\|\\\\n" in text
    assert "| [`svc_latency_seconds`](#svc_latency_seconds) | histogram | `s` | - | 11 | **unused** |" in text
    assert "- fed by: `Done` (record `ms` × 0.001)" in text


def test_docs_command_writes_the_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["docs", "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "METRICS.md").read_text() == (ROOT / "out" / "METRICS.md").read_text()
    assert capsys.readouterr().out == f"wrote {tmp_path}/o/METRICS.md\n"


def test_diff_names_the_panels_a_rename_breaks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    renamed = QORTEX_CONTRACT.read_text().replace(
        "  - name: qortex_vec_search_duration_seconds\n",
        "  - name: qortex_retrieval_duration_seconds\n    renamed_from: qortex_vec_search_duration_seconds\n").replace(
        "metric: qortex_vec_search_duration_seconds,", "metric: qortex_retrieval_duration_seconds,")
    new = tmp_path / "new.yaml"
    new.write_text(renamed)
    assert main(["diff", str(QORTEX_CONTRACT), str(new), "--out", str(ROOT / "out")]) == 1
    line = capsys.readouterr().out.strip()
    assert line.endswith(
        "error[diff/metric-renamed]: metric `qortex_vec_search_duration_seconds` was renamed to "
        "`qortex_retrieval_duration_seconds`; breaks panel \"Vec Search Latency p50/p95\" (qortex.json), "
        "rule `job:qortex_vec_search_duration_seconds:mean_rate5m`, rule `job:qortex_vec_search_duration_seconds:"
        "p50_rate5m`, rule `job:qortex_vec_search_duration_seconds:p95_rate5m`, rule "
        "`job:qortex_vec_search_duration_seconds:p99_rate5m`")
