"""Bad input around target labels and Grafana variables: one located line and exit 2, or a problem, never a crash.

A malformed `target_labels:` is bad input of the contract (exit 2, one located line, nothing written). What a
dashboard declares for its variables is never bad input: odd shapes are ignored, and declared values that build a
huge or deeply nested query are a problem of that one expression (`promql/too-complex`, exit 1). Those rows run
the CLI as a child process, so a crash would be a return code (-11), not a lost test run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import APP_CONTRACT
from tests.test_bad_input import LINE

REPRO = APP_CONTRACT

# `target_labels:` as written (line 10 of the contract) -> the one line `validate` prints after `c.yaml:`
TARGET_LABELS = {
    "scalar": ("cluster", "10:16: error[contract/schema]: `target_labels`: neither a list of label names like "
               "`[cluster]` nor a mapping of paths to lists like `{all: [cluster]}`"),
    "reserved": ("[__meta]", "10:16: error[contract/schema]: `target_labels`: `__meta` is not a Prometheus label name "
                 "(letters, digits, `_`; not starting with `__`)"),
    "not-a-name": ('["k8s.pod"]', "10:16: error[contract/schema]: `target_labels`: `k8s.pod` is not a Prometheus "
                   "label name (letters, digits, `_`; not starting with `__`)"),
    "repeated": ("[cluster, cluster]", "10:16: error[contract/schema]: `target_labels`: target labels repeat"),
    "undeclared-path": ("{otel-collector: [pod]}", "10:16: error[contract/schema]: `target_labels`: `otel-collector` "
                        "is neither `all` nor a declared exposition path (known: all, prometheus-client)"),
    "unknown-path": ("{prometheus: [pod]}", "10:16: error[contract/schema]: `target_labels`: `prometheus` is neither "
                     "`all` nor a declared exposition path (known: all, prometheus-client)"),
    "number": ("[1]", "10:17: error[contract/schema]: item 1 of `target_labels` must be a string, not the number "
               '`1`; quote it: `"1"`'),
    "path-not-a-list": ("{all: cluster}", "10:22: error[contract/schema]: `all` of `target_labels` must be a list of "
                        "strings, not `cluster`; a list of one is written `[cluster]`"),
}


@pytest.mark.parametrize("command", ["validate", "check"])
@pytest.mark.parametrize("kind", sorted(TARGET_LABELS))
def test_bad_target_labels(kind: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    written, expected = TARGET_LABELS[kind]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(REPRO + f"target_labels: {written}\n")
    (tmp_path / "d.json").write_text('{"panels": []}\n')
    before = sorted(p.name for p in tmp_path.iterdir())
    argv = ["validate", "c.yaml"] if command == "validate" else ["check", "c.yaml", "d.json"]
    assert main(argv) == 2
    out = capsys.readouterr()
    assert LINE.match(out.err), out.err
    assert out.err == f"c.yaml:{expected}\n"
    assert "Traceback" not in out.err + out.out
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def _cli(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generators", *argv], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", check=False, timeout=120, env=dict(os.environ))


def _dashboard(expr: str, variables: list[object], panel: dict[str, object] | None = None) -> str:
    return json.dumps({"panels": [{"title": "t", **(panel or {}), "targets": [{"refId": "A", "expr": expr}]}],
                       "templating": {"list": variables}})


# (dashboard, exit code, the problems' check ids)
HOSTILE = {
    # a constant of 200,000 characters used 20,000 times would build a 4 GB query: replacing stops past the limit
    "huge-value-many-times": (_dashboard("$c+" * 20_000 + "1", [{"name": "c", "type": "constant",
                                                                 "query": "app_temp" * 25_000}]),
                              1, ["promql/too-complex"]),
    # a declared value nested past the parser's stack is refused before it is parsed
    "deep-value": (_dashboard("topk($k, app_temp)", [{"name": "k", "type": "constant",
                                                        "query": "(" * 100_000 + "1" + ")" * 100_000}]),
                   1, ["promql/too-complex"]),
    # 100,000 options: only the first few expansions are tried
    "many-options": (_dashboard("app_temp $op app_temp", [{"name": "op", "type": "custom",
                                                           "query": ",".join(["or"] * 100_000)}]), 0, []),
    # shapes Grafana would not write: ignored, never a crash
    "odd-shapes": (_dashboard("topk($k, app_temp) + rate(app_requests_total[$__interval])", [
        {"name": "k", "type": "custom", "options": "5", "current": {"value": 5}},
        {"name": "k2", "type": "custom", "options": [None, 3, {"value": ["x"]}], "current": {"value": {"a": 1}}},
        {"name": "i", "type": "interval", "query": 5},
        {"name": "t", "type": "textbox", "query": None, "current": None},
        {"type": "constant", "query": "1"},
        {"name": "q", "type": "query", "query": {"query": 7}},
    ], {"interval": 120}), 1, ["promql/rate-window"]),
    "interval-not-a-duration": (_dashboard("rate(app_requests_total[$__interval])", [], {"interval": "soon"}),
                                1, ["promql/rate-window"]),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_variables(kind: str, tmp_path: Path) -> None:
    text, code, checks = HOSTILE[kind]
    (tmp_path / "c.yaml").write_text(REPRO)
    (tmp_path / "d.json").write_text(text)
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = _cli(tmp_path, "check", "c.yaml", "d.json", "--format", "json")
    assert proc.returncode == code, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert [p["check"] for p in json.loads(proc.stdout)["problems"]] == checks
    analyzed = _cli(tmp_path, "analyze", "d.json")
    assert analyzed.returncode in (0, 1) and "Traceback" not in analyzed.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before
