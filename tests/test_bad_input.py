"""The bad-input matrix: every command, every kind of bad input, one located line and exit 2."""

from __future__ import annotations

import http.server
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import serving

LINE = re.compile(r"^\S.*?: error\[[a-z-]+/[a-z0-9-]+\]: \S[^\n]*\n$")
OLD_INVALID = re.compile(r"^\S+:1:1: warning\[diff/old-invalid\]: the old contract does not load, so nothing was "
                         r"compared \([a-z-]+/[a-z0-9-]+: [^\n]+\)\n$")


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path.startswith("/fail"):
            self.send_error(500, "boom")
            return
        body = b"# TYPE a counter\na_total 1"  # cut off mid-exposition: no final newline
        if self.path.startswith("/api"):
            body = b"<html>not prometheus</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def http_base() -> Iterator[str]:
    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)) as address:
        yield f"http://{address}"


@pytest.fixture
def unreachable() -> Iterator[str]:
    import socket

    with socket.socket() as s:  # bound but never listening: connections are refused
        s.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


FILES = {
    "missing": None,
    "directory": "DIR",
    "empty": b"",
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
    "json-not-a-dashboard": b'{"hello": ["world"]}\n',
    "yaml-not-a-rule-file": b"groceries:\n  - milk\n  - eggs\n",
}
# commands that read a contract (or contract-like) file, as argv with {f} for the file
FILE_COMMANDS = {
    "validate": ["validate", "{f}"],
    "names": ["names", "{f}"],
    "generate": ["generate", "{f}", "--out", "{tmp}/out"],
    "diff-old": ["diff", "{f}", "{good}"],
    "diff-new": ["diff", "{good}", "{f}"],
    "live-check": ["live-check", "{f}", "--metrics-url", "http://127.0.0.1:9/metrics"],
    "import": ["import", "--metrics-file", "{f}"],
    "check-contract": ["check", "{f}", "{tmp}/d.json"],
    "check-file": ["check", "{good}", "{f}"],
    "analyze": ["analyze", "{f}"],
}


def _file(tmp_path: Path, kind: str) -> str:
    path = tmp_path / "input.yaml"
    data = FILES[kind]
    if data == "DIR":
        path.mkdir()
    elif isinstance(data, bytes):
        path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("kind", sorted(FILES))
@pytest.mark.parametrize("command", sorted(FILE_COMMANDS))
def test_bad_file(command: str, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                  monkeypatch: pytest.MonkeyPatch) -> None:
    if command == "import" and kind in ("json-not-a-dashboard", "yaml-not-a-rule-file"):
        pytest.skip("import reads expositions, where these are just malformed lines (covered by `binary`)")
    if command in ("analyze", "check-file") and kind == "empty":
        pytest.skip("an empty file is a rule file of 0 rules, as promtool loads it (tests/test_check_files.py)")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.json").write_text('{"panels": []}\n')
    good = tmp_path / "good.yaml"
    good.write_text((Path(__file__).parent.parent / "contract" / "qortex.yaml").read_text())
    bad = _file(tmp_path, kind)
    argv = [a.format(f=bad, tmp=tmp_path, good=good) for a in FILE_COMMANDS[command]]
    if command == "diff-old" and kind not in ("missing", "directory"):
        # an old contract that reads but does not load is no reason to block its fix (tests/test_diff.py)
        assert main(argv) == 0
        assert OLD_INVALID.match(capsys.readouterr().out)
        return
    assert main(argv) == 2
    out = capsys.readouterr()
    assert LINE.match(out.err), out.err
    assert "Traceback" not in out.err + out.out
    assert not (tmp_path / "out").exists()


URLS = {
    "unreachable": lambda base, dead: f"{dead}/metrics",
    "http-500": lambda base, dead: f"{base}/fail",
    "truncated": lambda base, dead: f"{base}/metrics",
}


@pytest.mark.parametrize("kind", sorted(URLS))
@pytest.mark.parametrize("command", ["import", "live-check-metrics", "live-check-prometheus"])
def test_bad_url(command: str, kind: str, http_base: str, unreachable: str,
                 capsys: pytest.CaptureFixture[str]) -> None:
    url = URLS[kind](http_base, unreachable)
    if command == "import":
        argv = ["import", "--metrics-url", url]
    elif command == "live-check-metrics":
        argv = ["live-check", "--metrics-url", url]
    else:
        argv = ["live-check", "--prometheus", url.replace("/metrics", "/api")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert LINE.match(err), err
