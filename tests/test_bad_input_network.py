"""Bad input of `diff --against`, `import` and `live-check`: one located line, exit 2, nothing written.

The hostile servers are real `http.server`s on 127.0.0.1 serving each
behaviour from its path; the tests pass small `--max-bytes` and `--timeout`
so that every case ends within about a second.
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import MINIMAL, ROOT, serving
from tests.test_bad_input import LINE

STOP = threading.Event()  # set when the server stops: every serving loop below also ends on it

EXPOSITION = b"# TYPE svc_requests counter\nsvc_requests_total{code=\"200\"} 1\n"
SERIES = {"status": "success", "data": [{"__name__": "svc_requests_total", "code": "200"}]}
METADATA = {"status": "success", "data": {"svc_requests": [{"type": "counter", "help": "", "unit": ""}]}}
# Prometheus API answers of the wrong shape: (series answer, metadata answer), as JSON text
SHAPES: dict[str, tuple[str, str]] = {
    "ints-in-data": ('{"status": "success", "data": [1, 2]}', json.dumps(METADATA)),
    "no-name": ('{"status": "success", "data": [{"job": "x"}]}', json.dumps(METADATA)),
    "list-label": ('{"status": "success", "data": [{"__name__": "svc_requests_total", "code": ["200"]}]}',
                   json.dumps(METADATA)),
    "data-not-list": ('{"status": "success", "data": {"a": 1}}', json.dumps(METADATA)),
    "no-data": ('{"status": "success"}', json.dumps(METADATA)),
    "metadata-list": (json.dumps(SERIES), '{"status": "success", "data": []}'),
    "metadata-not-lists": (json.dumps(SERIES), '{"status": "success", "data": {"svc_requests": "counter"}}'),
    "metadata-int-type": (json.dumps(SERIES), '{"status": "success", "data": {"svc_requests": [{"type": 1}]}}'),
    "deep": ("[" * 100_000 + "]" * 100_000, json.dumps(METADATA)),
    "long-integer": ('{"status": "success", "data": [' + "1" * 5000 + "]}", json.dumps(METADATA)),
}


class _Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        behaviour = self.path.strip("/").split("/")[0].split("?")[0]
        if behaviour in SHAPES:
            series, metadata = SHAPES[behaviour]
            self._answer((metadata if self.path.endswith("/metadata") else series).encode())
        elif behaviour == "auth":
            if self.headers.get("Authorization") != "Basic dXNlcjpzM2NyZXQ=":  # user:s3cret
                self.send_error(401)
                return
            self._answer(EXPOSITION)
        else:
            getattr(self, "_" + behaviour.replace("-", "_"), self._missing)()

    def _missing(self) -> None:
        self.send_error(404)

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _write(self, data: bytes) -> bool:
        """Send more; False once the client has gone (or the server stops)."""
        if STOP.is_set():
            return False
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            return False
        return True

    def _endless(self) -> None:  # no length: the body ends when the connection does, which is never
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        line = b"svc_requests_total 1\n" * 3000
        for _ in range(20_000):  # about 1 GiB at most; the client stops reading long before
            if not self._write(line):
                return

    def _large(self) -> None:  # chunked, so the size is known only by reading it
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"svc_requests_total 1\n" * 1000
        for _ in range(100):
            if not self._write(b"%x\r\n%s\r\n" % (len(chunk), chunk)):
                return
        self._write(b"0\r\n\r\n")

    def _large_declared(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(10_000_000))
        self.end_headers()
        self._write(b"svc_requests_total 1\n")

    def _drip(self) -> None:  # each byte well within a per-read timeout, the whole far beyond the deadline
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        for _ in range(100):
            if not self._write(b"#"):
                return
            time.sleep(0.1)

    def _drip_close(self) -> None:  # no length and `Connection: close`: the body ends when the server hangs up
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        for _ in range(100):
            if not self._write(b"#"):
                return
            time.sleep(0.1)

    def _drip_headers(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(100):
            if not self._write(b"X-Slow: 1\r\n"):
                return
            time.sleep(0.1)

    def _truncated(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b"svc_up 1\n")
        self.close_connection = True

    def _bad_status(self) -> None:
        self.wfile.write(b"HELLO THERE\r\n\r\n")
        self.close_connection = True

    def _long_header(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n")
        self.close_connection = True

    def _many_headers(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n")
        self.close_connection = True

    def _hang_up(self) -> None:
        self.close_connection = True

    def _bad_chunk(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
        self.close_connection = True

    def _moved(self) -> None:
        self.send_response(301)
        self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        return  # clients that hang up mid-answer are the point here; the stdlib would print each to stderr


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    STOP.clear()
    with serving(_Server(("127.0.0.1", 0), _Hostile)) as address:
        try:
            yield address
        finally:
            STOP.set()   # before shutdown: handlers still dripping an answer end their loops


def _one_line(err: str, out: str = "") -> str:
    assert LINE.match(err), err
    assert "Traceback" not in err + out
    return err


# behaviour -> the message after "http://HOST/<behaviour>: "
HTTP = {
    "endless": "error[input/too-large]: the answer is larger than 100000 bytes (`--max-bytes`)",
    "large": "error[input/too-large]: the answer is larger than 100000 bytes (`--max-bytes`)",
    "large-declared": "error[input/too-large]: the answer is larger than 100000 bytes (`--max-bytes`)",
    "drip": "error[input/timeout]: no complete answer within 1 s (`--timeout`)",
    "drip-close": "error[input/timeout]: no complete answer within 1 s (`--timeout`)",
    "drip-headers": "error[input/timeout]: no complete answer within 1 s (`--timeout`)",
    "truncated": "error[input/http]: the answer was cut off after 9 of 100 bytes",
    "bad-status": "error[input/http]: the answer does not start with an HTTP status line",
    "long-header": "error[input/http]: the answer is not valid HTTP: got more than 65536 bytes when reading header "
                   "line",
    "many-headers": "error[input/http]: the answer is not valid HTTP: got more than 100 headers",
    "hang-up": "error[input/http]: the server closed the connection without an answer",
    "bad-chunk": "error[input/http]: the answer's body is cut off or its chunked encoding is malformed",
    "moved": "error[input/http-status]: the server answered HTTP 301 (redirect to `/elsewhere`, which is not "
             "followed)",
}
LIMITS = ["--max-bytes", "100000", "--timeout", "1"]


@pytest.mark.parametrize("behaviour", sorted(HTTP))
@pytest.mark.parametrize("command", ["import", "live-check"])
def test_hostile_endpoint(command: str, behaviour: str, hostile: str, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(MINIMAL)
    url = f"http://{hostile}/{behaviour}"
    args = ["--output", "imported.yaml"] if command == "import" else ["c.yaml"]
    assert main([command, "--metrics-url", url, *args, *LIMITS]) == 2
    out = capsys.readouterr()
    assert _one_line(out.err, out.out) == f"{url}: {HTTP[behaviour]}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


SHAPE_ERRORS = {
    "ints-in-data": "series: error[input/api-shape]: `data[0]` is not an object of string label values",
    "no-name": "series: error[input/api-shape]: `data[0]` has no `__name__`",
    "list-label": "series: error[input/api-shape]: `data[0]` is not an object of string label values",
    "data-not-list": "series: error[input/api-shape]: `data` is not a list of series",
    "no-data": "series: error[input/api-shape]: the answer has no `data`",
    "metadata-list": "metadata: error[input/api-shape]: `data` is not an object of metric metadata",
    "metadata-not-lists": "metadata: error[input/api-shape]: `data.svc_requests` is not a list of objects",
    "metadata-int-type": "metadata: error[input/api-shape]: `data.svc_requests[0].type` is not a string",
    "deep": "series:1:33: error[input/too-deep]: nesting deeper than 32 levels",
    "long-integer": "series: error[input/prometheus]: the answer is not JSON; is this a Prometheus server?",
}
SERIES_QUERY = "/api/v1/series?match%5B%5D=%7B__name__%3D~%22svc_.%2B%22%7D"


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_prometheus_api_shape(shape: str, hostile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(MINIMAL)
    base = f"http://{hostile}/{shape}"
    assert main(["live-check", "c.yaml", "--prometheus", base, "--timeout", "5"]) == 2
    out = capsys.readouterr()
    which, _, expected = SHAPE_ERRORS[shape].partition(":")
    where = base + (SERIES_QUERY if which == "series" else "/api/v1/metadata")
    assert _one_line(out.err, out.out) == f"{where}:{expected}\n"


def test_deep_json_in_a_subprocess(hostile: str, tmp_path: Path) -> None:
    """100,000 nested brackets would recurse once per level in json.loads: the process must still exit 2."""
    (tmp_path / "c.yaml").write_text(MINIMAL)
    done = subprocess.run([sys.executable, "-m", "generators", "live-check", str(tmp_path / "c.yaml"),
                           "--prometheus", f"http://{hostile}/deep", "--timeout", "5"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert _one_line(done.stderr, done.stdout).endswith(":1:33: error[input/too-deep]: nesting deeper than 32 "
                                                        "levels\n")


@pytest.mark.parametrize("behaviour", ["missing", "truncated", "auth"])
def test_credentials_are_never_shown(behaviour: str, hostile: str, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"http://user:s3cret@{hostile}/{behaviour}"
    code = main(["import", "--metrics-url", url, "--output", "imported.yaml", *LIMITS])
    out = capsys.readouterr()
    shown = out.err + out.out + "".join(p.read_text() for p in tmp_path.iterdir())
    assert "s3cret" not in shown and "user" not in shown
    if behaviour == "auth":  # the credentials were sent (as Basic authentication), only never shown
        assert code == 0
        assert (tmp_path / "imported.yaml").read_text().startswith(
            f'# imported from "http://***@{hostile}/auth" by metrics-contract import')
    else:
        assert code == 2
        assert _one_line(out.err).startswith(f"http://***@{hostile}/{behaviour}: error[input/http")


def test_credentials_in_a_bad_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "--metrics-url", "http://user:s3cret@[::1/metrics"]) == 2
    err = _one_line(capsys.readouterr().err)
    assert err == "http://***@[::1/metrics: error[input/url]: not a valid URL: Invalid IPv6 URL\n"


@pytest.mark.parametrize(("url", "expected"), [
    ("file:///etc/passwd", "error[input/url]: not an `http://` or `https://` URL with a host"),
    ("http:///metrics", "error[input/url]: not an `http://` or `https://` URL with a host"),
    ("http://127.0.0.1:99999/metrics", "error[input/url]: not a valid URL: Port out of range 0-65535"),
])
def test_bad_url(url: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "--metrics-url", url]) == 2
    assert _one_line(capsys.readouterr().err) == f"{url}: {expected}\n"


@pytest.mark.parametrize(("flags", "expected"), [
    (["--timeout", "0"], "--timeout: error[usage/arguments]: `--timeout` must be a positive number of seconds"),
    (["--timeout", "nan"], "--timeout: error[usage/arguments]: `--timeout` must be a positive number of seconds"),
    (["--max-bytes", "-1"], "--max-bytes: error[usage/arguments]: `--max-bytes` must be a positive number of bytes"),
])
def test_bad_limits(flags: list[str], expected: str, hostile: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "--metrics-url", f"http://{hostile}/auth", *flags]) == 2
    assert _one_line(capsys.readouterr().err) == expected + "\n"


# --- import: what it reads and where it writes

@pytest.mark.parametrize(("text", "expected"), [
    ('# TYPE h histogram\nh_bucket{le="abc"} 1\nh_bucket{le="+Inf"} 1\n',
     "e.prom:2: error[exposition/syntax]: `le` value `abc` is not a number"),
    ('# TYPE h histogram\nh_bucket{le="NaN"} 1\n',
     "e.prom:2: error[exposition/syntax]: `le` value `NaN` is not a bucket bound"),
    ('# TYPE h histogram\nh_bucket{le="1_0"} 1\n',
     "e.prom:2: error[exposition/syntax]: `le` value `1_0` is not a number"),
    ("# TYPE a gauge\na 1_000\n", "e.prom:2:3: error[exposition/syntax]: `1_000` is not a number"),
])
def test_bad_exposition_values(text: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text(text)
    assert main(["import", "--metrics-file", "e.prom", "--output", "c.yaml"]) == 2
    assert _one_line(capsys.readouterr().err) == expected + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.prom"]


@pytest.mark.parametrize(("output", "expected"), [
    ("adir", "adir: error[input/output]: `--output` is a directory, not a file"),
    ("missing/c.yaml", "missing/c.yaml: error[input/output]: the directory of `--output` does not exist"),
])
def test_import_output(output: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text("# TYPE a gauge\na 1\n")
    (tmp_path / "adir").mkdir()
    assert main(["import", "--metrics-file", "e.prom", "--output", output]) == 2
    assert _one_line(capsys.readouterr().err) == expected + "\n"
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["adir", "e.prom"]


# --- diff --against: every git failure is exit 2, never "nothing to compare"

GIT = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
NULL_SHA = "0" * 40


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose committed contract is MINIMAL; the working tree's has a breaking change."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LC_ALL", "C")
    subprocess.run(["git", "init", "-q"], check=True)
    (tmp_path / "c.yaml").write_text(MINIMAL)
    (tmp_path / "pyproject.toml").write_text('[tool.metrics-contract]\ncontract = "c.yaml"\n')
    subprocess.run([*GIT, "add", "."], check=True)
    subprocess.run([*GIT, "commit", "-qm", "c"], check=True)
    (tmp_path / "c.yaml").write_text(MINIMAL.replace("type: counter", "type: gauge"))
    return tmp_path


@pytest.mark.parametrize(("rev", "expected"), [
    ("HAED", "HAED:c.yaml: error[input/git]: `HAED` is not a commit in this repository"),
    (NULL_SHA, f"{NULL_SHA}:c.yaml: error[input/git]: `{NULL_SHA}` is not a commit in this repository"),
    ("--output=X", "--output=X:c.yaml: error[input/git]: `--output=X` is not a commit in this repository"),
    ("HEAD:c.yaml", "HEAD:c.yaml:c.yaml: error[input/git]: `HEAD:c.yaml` is not a commit in this repository"),
])
def test_diff_against_unknown_revision(rev: str, expected: str, repo: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.name for p in repo.iterdir())
    assert main(["diff", f"--against={rev}"]) == 2
    out = capsys.readouterr()
    assert _one_line(out.err, out.out) == expected + "\n"
    assert out.out == ""
    assert sorted(p.name for p in repo.iterdir()) == before  # `--output=X` reached git as a name: no X


def test_diff_against_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LC_ALL", "C")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    (tmp_path / "pyproject.toml").write_text('[tool.metrics-contract]\ncontract = "c.yaml"\n')
    (tmp_path / "c.yaml").write_text(MINIMAL)
    assert main(["diff", "--against", "HEAD"]) == 2
    err = _one_line(capsys.readouterr().err)
    assert err.startswith("HEAD:c.yaml: error[input/git]: not a git repository")


def test_diff_against_without_git(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(repo / "no-such-dir"))
    assert main(["diff", "--against", "HEAD"]) == 2
    assert _one_line(capsys.readouterr().err) == ("HEAD:c.yaml: error[input/git]: cannot run git: [Errno 2] No such "
                                                  "file or directory: 'git'\n")


def test_diff_against_a_directory_at_rev(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "c.yaml").unlink()
    (repo / "c.yaml").mkdir()
    (repo / "c.yaml" / "x").write_text("x\n")
    subprocess.run([*GIT, "add", "-A"], check=True)
    subprocess.run([*GIT, "commit", "-qm", "dir"], check=True)
    subprocess.run(["git", "rm", "-rq", "--cached", "c.yaml"], check=True)
    (repo / "c.yaml" / "x").unlink()
    (repo / "c.yaml").rmdir()
    (repo / "c.yaml").write_text(MINIMAL)
    assert main(["diff", "--against", "HEAD"]) == 2
    assert _one_line(capsys.readouterr().err) == "HEAD:c.yaml: error[input/git]: `c.yaml` is not a file in `HEAD`\n"


def test_diff_unborn_head_only_for_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Before the first commit `HEAD` has no contract (exit 0); a typo is still an unknown revision."""
    monkeypatch.chdir(tmp_path)
    subprocess.run(["git", "init", "-q"], check=True)
    (tmp_path / "pyproject.toml").write_text('[tool.metrics-contract]\ncontract = "c.yaml"\n')
    (tmp_path / "c.yaml").write_text(MINIMAL)
    assert main(["diff", "--against", "HAED"]) == 2
    assert _one_line(capsys.readouterr().err) == ("HAED:c.yaml: error[input/git]: `HAED` is not a commit in this "
                                                  "repository\n")
    assert main(["diff", "--against", "HEAD"]) == 0
    assert capsys.readouterr().out == ("c.yaml: info[diff/new-contract]: `HEAD` has no `c.yaml`: the contract is "
                                       "new, nothing to compare\n")
