"""Exposition paths as input: a path or translation strategy that does not exist, a path declared twice (also
through the spelled-out default strategy), a path written as a mapping. Each is one located line on stderr and
exit 2 from every command that reads the contract, with nothing written; `names --path` refuses an unknown path
as a usage error (exit 2), never with a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MINIMAL, refused

KNOWN = ("prometheus-client, otel-python, otel-collector, otel-collector-remote-write, prometheus-otlp, "
         "prometheus-otlp:UnderscoreEscapingWithoutSuffixes, prometheus-otlp:NoUTF8EscapingWithSuffixes, "
         "prometheus-otlp:NoTranslation")

# the `exposition:` value (line 4 of the contract) -> the column and message of the one line
CASES = {
    "unknown-strategy": ('["prometheus-otlp:Foo"]', 14,
                         f"`prometheus-otlp:Foo` is not an exposition path; did you mean `prometheus-otlp`? "
                         f"(known: {KNOWN})"),
    "strategy-case": ('["prometheus-otlp:notranslation"]', 14,
                      "`prometheus-otlp:notranslation` is not an exposition path; did you mean "
                      f"`prometheus-otlp:NoTranslation`? (known: {KNOWN})"),
    "empty-strategy": ('[otel-collector, "prometheus-otlp:"]', 30,
                       f"`prometheus-otlp:` is not an exposition path; did you mean `prometheus-otlp`? "
                       f"(known: {KNOWN})"),
    "near-miss": ("[otel-collector-remotewrite]", 14,
                  "`otel-collector-remotewrite` is not an exposition path; did you mean "
                  f"`otel-collector-remote-write`? (known: {KNOWN})"),
    "repeated": ('["prometheus-otlp:NoTranslation", prometheus-otlp:NoTranslation]', 13,
                 "`exposition`: exposition paths repeat"),
    # Prometheus' default strategy spelled out is the bare path: declared twice
    "default-spelled-out": ('[prometheus-otlp, "prometheus-otlp:UnderscoreEscapingWithSuffixes"]', 13,
                            "`exposition`: exposition paths repeat"),
    "strategy-as-mapping": ("[{prometheus-otlp: NoTranslation}]", 14,
                            f"exposition path 1 must be one of {KNOWN}, not a mapping"),
}
COMMANDS = {
    "validate": ["validate", "{f}"],
    "names": ["names", "{f}"],
    "generate": ["generate", "{f}", "--out", "{out}"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(CASES))
def test_bad_exposition(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, command: str) -> None:
    value, column, message = CASES[case]
    contract = tmp_path / "c.yaml"
    contract.write_text(MINIMAL.replace("exposition: [prometheus-client, otel-collector]", f"exposition: {value}"),
                        encoding="utf-8")
    argv = [a.format(f=contract, out=tmp_path / "out") for a in COMMANDS[command]]
    assert refused(capsys, argv, tmp_path) == f"{contract}:4:{column}: error[contract/schema]: {message}\n"
    assert not (tmp_path / "out").exists()


def test_names_refuses_an_unknown_path(tmp_path: Path) -> None:
    contract = tmp_path / "c.yaml"
    contract.write_text(MINIMAL, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "generators", "names", "--path", "prometheus-otlp:Foo",
                           str(contract)], capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout == ""
    assert proc.stderr.splitlines()[-1] == (
        "metrics-contract names: error: argument --path: invalid choice: 'prometheus-otlp:Foo' (choose from "
        + ", ".join(f"'{p}'" for p in KNOWN.split(", ")) + ")")
