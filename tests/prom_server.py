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
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_tail(self, lines: int = 20) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def start(config_path: Path, tmp: Path) -> PromServer:
    """Start Prometheus with `config_path`, storage under `tmp`; return once `/-/ready` answers."""
    binary = require_binary("prometheus")
    port = free_port()
    log = tmp / "prometheus.log"
    (tmp / "tsdb").mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [binary, f"--config.file={config_path}", f"--storage.tsdb.path={tmp / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    server = PromServer(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        _wait_ready(server)
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def prometheus_server(config_path: Path, tmp: Path) -> Iterator[PromServer]:
    server = start(config_path, tmp)
    try:
        yield server
    finally:
        server.stop()


def _wait_ready(server: PromServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"prometheus exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + "/-/ready", timeout=1) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"prometheus not ready after {READY_TIMEOUT}s:\n{server.log_tail()}")
