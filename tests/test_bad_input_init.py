"""Bad input to `init`, and every command that needs a contract run where none is configured: one located line,
exit 2, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import ROOT
from tests.test_bad_input import LINE

NO_CONTRACT = ("pyproject.toml: error[config/no-contract]: no contract configured: pass CONTRACT or set "
               "[tool.metrics-contract] contract in pyproject.toml\n")


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under `root`: a file's bytes, a link's target, `dir` for a directory."""
    entries: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        entries[rel] = os.readlink(path) if path.is_symlink() else "dir" if path.is_dir() else path.read_bytes()
    return entries


def assert_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], root: Path, expected: str) -> None:
    before = snapshot(root)
    assert main(argv) == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    assert out.out == ""
    assert LINE.match(out.err), out.err
    assert out.err == expected
    assert snapshot(root) == before


@pytest.fixture
def dead_url() -> str:
    import socket

    with socket.socket() as s:  # bound but never listening: connections are refused
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/metrics"


# ── init: (files to make first, arguments after `init`, the one line) ───────────────────────────────────────

DIRECTORY = object()   # a directory instead of a file's bytes
NAMESPACE_RULE = "must start with a letter and hold only letters, digits and `_`"
INIT_CASES: dict[str, tuple[dict[str, bytes | object], list[str], str]] = {
    "empty-service": ({}, ["--service", ""], "--service: error[init/service]: the service name is empty"),
    "blank-service": ({}, ["--service", "  "], "--service: error[init/service]: the service name is empty"),
    "unprintable-service": ({}, ["--service", "shop\x1b[31m"],
                            "--service: error[init/service]: the service name holds a character that is not "
                            "printable"),
    "collector-service": ({}, ["--service", "otel-collector"],
                          "--service: error[init/service]: service `otel-collector` would share its scrape job "
                          "name with the Collector"),
    "no-namespace-in-service": ({}, ["--service", "!!!"],
                                "--service: error[init/namespace]: service `!!!` gives an empty namespace; pass "
                                "--namespace"),
    "service-starts-with-digit": ({}, ["--service", "3scale"],
                                  f"--service: error[init/namespace]: namespace `3scale` {NAMESPACE_RULE} (from "
                                  "service `3scale`); pass --namespace"),
    "empty-namespace": ({}, ["--service", "shop", "--namespace", ""],
                        "--namespace: error[init/namespace]: the namespace is empty"),
    "bad-namespace": ({}, ["--service", "shop", "--namespace", "shop-api"],
                      f"--namespace: error[init/namespace]: namespace `shop-api` {NAMESPACE_RULE}"),
    "underscore-namespace": ({}, ["--service", "shop", "--namespace", "_shop"],
                             f"--namespace: error[init/namespace]: namespace `_shop` {NAMESPACE_RULE}"),
    "dir-is-a-file": ({"f": b"x"}, ["f", "--service", "shop"], "f: error[init/directory]: is not a directory"),
    "dir-under-a-file": ({"f": b"x"}, ["f/sub/dir", "--service", "shop"],
                         "f/sub/dir: error[init/directory]: cannot be made: `f` is not a directory"),
    "contract-exists": ({"metrics-contract.yaml": b"contract: 1\n"}, ["--service", "shop"],
                        "metrics-contract.yaml: error[init/exists]: already exists; `init` never overwrites a "
                        "contract"),
    "contract-is-a-directory": ({"d/metrics-contract.yaml": DIRECTORY}, ["d", "--service", "shop"],
                                "d/metrics-contract.yaml: error[init/exists]: already exists; `init` never "
                                "overwrites a contract"),
    "pyproject-not-toml": ({"pyproject.toml": b"[tool\n"}, ["--service", "shop"],
                           "pyproject.toml:1:6: error[config/toml]: not valid TOML: expected ']' at the end of a "
                           "table declaration"),
    "pyproject-not-utf8": ({"pyproject.toml": b"a = 1\n\xff"}, ["--service", "shop"],
                           "pyproject.toml:2:1: error[config/encoding]: not UTF-8: byte 0xff cannot be decoded"),
    "pyproject-bad-table": ({"pyproject.toml": b"[tool.metrics-contract]\nouts = 1\n"}, ["--service", "shop"],
                            "pyproject.toml: error[config/unknown-key]: unknown key `outs` in "
                            "`[tool.metrics-contract]`; known: contract, dashboards, grafana, ignore, out, "
                            "prometheus, python, stack"),
    "pyproject-inline-tool": ({"pyproject.toml": b"tool = {black = {line-length = 100}}\n"}, ["--service", "shop"],
                              "pyproject.toml: error[init/pyproject]: `[tool.metrics-contract]` cannot be appended: "
                              "the file would not parse; add the table by hand"),
    "pyproject-is-a-directory": ({"pyproject.toml": DIRECTORY}, ["--service", "shop"],
                                 "pyproject.toml: error[input/not-a-file]: is a directory, not a file"),
    "from-missing-file": ({}, ["--service", "shop", "--from-metrics", "nope.prom"],
                          "nope.prom: error[input/not-found]: no such file"),
    "from-empty-file": ({"e.prom": b"\n"}, ["--service", "shop", "--from-metrics", "e.prom"],
                        "e.prom:1:1: error[input/empty]: the exposition is empty"),
    "from-bad-exposition": ({"e.prom": b"shop_a 1x\n"}, ["--service", "shop", "--from-metrics", "e.prom"],
                            "e.prom:1:8: error[exposition/syntax]: `1x` is not a number"),
    "from-bad-url": ({}, ["--service", "shop", "--from-metrics", "ftp://127.0.0.1/metrics"],
                     "ftp://127.0.0.1/metrics: error[input/url]: not an `http://` or `https://` URL with a host"),
    "from-url-zero-timeout": ({}, ["--service", "shop", "--from-metrics", "http://127.0.0.1:9/metrics",
                                   "--timeout", "0"],
                              "--timeout: error[usage/arguments]: `--timeout` must be a positive number of seconds"),
}


@pytest.mark.parametrize("case", sorted(INIT_CASES))
def test_bad_init(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  capsys: pytest.CaptureFixture[str]) -> None:
    files, argv, expected = INIT_CASES[case]
    monkeypatch.chdir(tmp_path)
    for rel, data in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.mkdir()
    assert_bad_input(capsys, ["init", *argv], tmp_path, expected + "\n")


def test_init_over_a_dangling_link_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    os.symlink("elsewhere.yaml", "metrics-contract.yaml")   # writing through it would make a file elsewhere
    assert_bad_input(capsys, ["init", "--service", "shop"], tmp_path,
                     "metrics-contract.yaml: error[init/exists]: already exists; `init` never overwrites a contract\n")


def test_init_from_an_unreachable_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dead_url: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    assert main(["init", "--service", "shop", "--from-metrics", dead_url]) == 2
    out = capsys.readouterr()
    assert out.out == "" and LINE.match(out.err), out.err
    assert out.err.startswith(f"{dead_url}: error[input/unreachable]: cannot fetch: ")
    assert snapshot(tmp_path) == before


def test_init_with_an_undecodable_service_name_is_bad_input_not_a_crash(tmp_path: Path) -> None:
    """The program as a process: an argument that is not UTF-8 arrives with lone surrogates in it."""
    done = subprocess.run([sys.executable, "-m", "generators", "init", "--service", b"shop\xff"], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=False,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert (done.stdout, done.stderr) == (
        "", "--service: error[init/service]: the service name holds a character that is not printable\n")
    assert os.listdir(tmp_path) == []


# ── no contract configured: every command that needs one says so, in an empty dir and beside a pyproject ───

NEEDS_CONTRACT = {
    "validate": ["validate"],
    "validate-strict": ["validate", "--strict"],
    "names": ["names"],
    "generate": ["generate"],
    "check": ["check"],
    "check-files": ["check", "d.json"],
    "docs": ["docs"],
    "diff-against": ["diff", "--against", "HEAD"],
    "live-check-metrics": ["live-check", "--metrics-url", "{dead}"],
    "live-check-prometheus": ["live-check", "--prometheus", "{dead}"],
}


@pytest.mark.parametrize("pyproject", [None, b'[project]\nname = "shop"\n', b"[tool.metrics-contract]\nout = 'gen'\n"],
                         ids=["no-pyproject", "no-table", "table-without-contract"])
@pytest.mark.parametrize("command", sorted(NEEDS_CONTRACT))
def test_no_contract_configured(command: str, pyproject: bytes | None, tmp_path: Path, dead_url: str,
                                monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_bytes(pyproject)
    if command == "check-files":
        (tmp_path / "d.json").write_text('{"panels": []}\n')
    argv = [a.format(dead=dead_url) for a in NEEDS_CONTRACT[command]]
    assert_bad_input(capsys, argv, tmp_path, NO_CONTRACT)


def test_analyze_needs_no_contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.json").write_text('{"panels": [{"title": "P", "targets": [{"expr": "rate(a_total[5m])"}]}]}\n')
    assert main(["analyze", "d.json"]) == 0
    out = capsys.readouterr()
    assert out.out == 'd.json:1: target panel "P" target A: metrics: a_total; labels: -\n'
    assert out.err == "1 expressions in 1 files, 0 not parsed; 0 targets of other data sources skipped\n"
