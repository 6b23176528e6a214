"""Bad input to the stack generator: one located error line on stderr, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import MINIMAL
from tests.test_bad_input import LINE

# (stack section, the key reported, its line in the contract, the message)
COLLISIONS = {
    "metrics-on-health-check": (
        "stack:\n  collector_metrics_port: 13133\n", "collector_metrics_port",
        "`stack.collector_metrics_port` 13133 is already the port of the collector's health_check extension"),
    "grpc-on-health-check": (
        "stack:\n  otlp_grpc_port: 13133\n", "otlp_grpc_port",
        "`stack.otlp_grpc_port` 13133 is already the port of the collector's health_check extension"),
    "http-on-grpc": (
        "stack:\n  otlp_grpc_port: 5000\n  otlp_http_port: 5000\n", "otlp_http_port",
        "`stack.otlp_http_port` 5000 is already the port of `stack.otlp_grpc_port`"),
    "metrics-on-http": (
        "stack:\n  otlp_http_port: 4318\n  collector_metrics_port: 4318\n", "collector_metrics_port",
        "`stack.collector_metrics_port` 4318 is already the port of `stack.otlp_http_port`"),
}


@pytest.mark.parametrize("kind", sorted(COLLISIONS))
def test_collector_port_collision_is_refused(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)   # no pyproject.toml: the contract's default dashboard, not the repository's
    section, key, message = COLLISIONS[kind]
    text = MINIMAL + section
    contract = tmp_path / "c.yaml"
    contract.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.split("\n"), 1) if row.startswith(f"  {key}:"))
    column = len(f"  {key}: ") + 1

    code = main(["generate", str(contract), "--out", str(tmp_path / "out")])

    out = capsys.readouterr()
    assert code == 2
    assert LINE.match(out.err), out.err
    assert out.err == f"{contract}:{line}:{column}: error[generate/port-collision]: {message}\n"
    assert "Traceback" not in out.err + out.out
    assert not (tmp_path / "out").exists()
