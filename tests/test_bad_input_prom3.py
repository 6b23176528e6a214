"""Bad input around Prometheus 3's syntax: one located line, exit 2, nothing written, never a traceback.

A UTF-8 selector written bare in a YAML rule file (`expr: {"http.server.request.duration_count"}`) is a YAML
flow mapping, not a string: the rule has no PromQL to check, which is bad input at the rule. The same with a
name long enough to strain a parser runs the program in a subprocess. A check id misspelt after `rules` gets
the new ids as its did-you-mean.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import ROOT
from tests.test_bad_input import LINE
from tests.test_bad_input_init import snapshot

SEMCONV = ROOT / "tests" / "fixtures" / "semconv" / "contract.yaml"
UNKNOWN = "rules: error[usage/arguments]: unknown check "


def rule_file(expr: str) -> str:
    return f"groups:\n  - name: g\n    rules:\n      - record: job:x:rate5m\n        expr: {expr}\n"


@pytest.mark.parametrize("expr", [
    '{"http.server.request.duration_count"}',
    '{"http.server.request.duration_count", le="1"}',
    '{"http.server.request.duration_count": 1}',
], ids=["selector", "selector-with-le", "mapping"])
def test_unquoted_utf8_selector_in_a_rule_file(expr: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(rule_file(expr), encoding="utf-8")
    before = snapshot(tmp_path)
    assert main(["check", str(SEMCONV), str(rules)]) == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    assert LINE.match(out.err), out.err
    # at the rule that has no PromQL string (the reader's message is its own)
    assert out.err.startswith(f"{rules}:4:9: error[input/rule-file]: ")
    assert snapshot(tmp_path) == before


def test_a_huge_utf8_selector_in_a_subprocess(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(rule_file('{"' + "a." * 200_000 + 'b"}'), encoding="utf-8")
    before = snapshot(tmp_path)
    done = subprocess.run([sys.executable, "-m", "generators", "check", str(SEMCONV), str(rules)], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    assert LINE.match(done.stderr), done.stderr[:2000]
    assert done.stderr.startswith(f"{rules}:4:9: error[input/rule-file]: ")
    assert snapshot(tmp_path) == before
