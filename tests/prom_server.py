"""A real Prometheus on 127.0.0.1 for live tests: start it, wait until ready, stop it by PID.

    server = prom_server.start(config_path, tmp_path)
    try:
        server.get("/api/v1/rules")
    finally:
        server.stop()

or the `prometheus_server` context manager, which stops it on any exit.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import require_binary

READY_TIMEOUT = 30.0


def free_port() -> int:
    # the port can be taken between close and use; good enough for tests on loopback
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PromServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=5) as resp:
            return json.load(resp)

    def stop(self) -> None:
        stop(self.process)

    def log_tail(self, lines: int = 20) -> str:
        return _tail(self.log, lines)


def start(config_path: Path, tmp: Path, binary: str | None = None, flags: tuple[str, ...] = ()) -> PromServer:
    """Start Prometheus with `config_path`, storage under `tmp`; return once `/-/ready` answers.

    `binary`: another Prometheus than Debian's on PATH (the built 3.x peer); `flags`: extra command-line flags.
    """
    binary = binary or require_binary("prometheus")
    port = free_port()
    log = tmp / "prometheus.log"
    (tmp / "tsdb").mkdir(parents=True, exist_ok=True)
    process = spawn([binary, f"--config.file={config_path}", f"--storage.tsdb.path={tmp / 'tsdb'}",
                     f"--web.listen-address=127.0.0.1:{port}", *flags], log)
    server = PromServer(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        wait_ready(server.url + "/-/ready", process, log)
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def prometheus_server(config_path: Path, tmp: Path, binary: str | None = None,
                      flags: tuple[str, ...] = ()) -> Iterator[PromServer]:
    server = start(config_path, tmp, binary, flags)
    try:
        yield server
    finally:
        server.stop()


def spawn(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a peer process with its output in `log`."""
    with open(log, "wb") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once `url` answers with a success; raise with the end of `log` if the process exits or never does."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the process logging to {log.name} exited with {process.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {READY_TIMEOUT} s:\n{_tail(log)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process this test run started, by its own PID."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _tail(log: Path, lines: int = 20) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def wait_for_series(url: str, job: str, names: set[str]) -> None:
    """Wait until the Prometheus at `url` holds series of every name in `names` from scrape job `job`."""
    query = "/api/v1/series?" + urllib.parse.urlencode({"match[]": f'{{job="{job}"}}'})
    deadline = time.monotonic() + 30
    found: set[str] = set()
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url + query, timeout=5) as resp:
            found = {s["__name__"] for s in json.load(resp)["data"]}
        if names <= found:
            return
        time.sleep(0.25)
    raise AssertionError(f"Prometheus has not scraped {sorted(names - found)} after 30s")
