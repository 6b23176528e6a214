from __future__ import annotations

import contextlib
import os
import socketserver
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.loader import LoadedContract, load_contract

ROOT = Path(__file__).resolve().parent.parent
QORTEX_CONTRACT = ROOT / "contract" / "qortex.yaml"

MINIMAL = """\
contract: 1
service: svc
namespace: svc
exposition: [prometheus-client, otel-collector]
metrics:
  - name: svc_requests
    type: counter
    unit: "{request}"
    help: Requests
    labels:
      - name: code
        values: ["200", "500"]
  - name: svc_latency_seconds
    type: histogram
    unit: s
    help: Latency
    buckets: [0.1, 1.0]
events:
  - event: Done
    ops:
      - {metric: svc_requests, add: 1, labels: {code: {field: code}}}
      - {metric: svc_latency_seconds, record: {field: ms, scale: 0.001}}
"""


def contract_from(tmp_path: Path, text: str, name: str = "c.yaml") -> LoadedContract:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_contract(str(path))


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The contract cache of the tests' own runs lives in a temp dir, never in the user's cache dir."""
    os.environ["METRICS_CONTRACT_CACHE"] = str(tmp_path_factory.mktemp("contract-cache"))


@pytest.fixture
def qortex() -> LoadedContract:
    # named as in the repo, so generated headers match the committed out/ wherever the checkout is
    return load_contract("contract/qortex.yaml", QORTEX_CONTRACT.read_bytes())


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT


def require_binary(name: str) -> str:
    """Path of a real binary; a clear skip without it, a failure in CI."""
    import shutil

    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("REQUIRE_PROMETHEUS") == "1":
        pytest.fail(f"`{name}` is required (REQUIRE_PROMETHEUS=1) but not on PATH")
    pytest.skip(f"`{name}` not installed (Debian package `prometheus`); set REQUIRE_PROMETHEUS=1 to make this fail")


SEED_DIR = ROOT / ".venv" / "seed" / "qortex-0.3.0"


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    """qortex 0.3.0's source release, fetched by the Makefile's bootstrap."""
    if not (SEED_DIR / "docker").is_dir():
        pytest.fail(f"{SEED_DIR} is missing: run `make test` (it downloads qortex 0.3.0's source release)")
    return SEED_DIR


def _hypothesis_profiles() -> None:
    from hypothesis import HealthCheck, settings

    # `make test` stays fast; `make fuzz` (HYPOTHESIS_PROFILE=fuzz) digs deeper
    settings.register_profile("default", max_examples=150, deadline=None, derandomize=True,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("fuzz", max_examples=5000, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


_hypothesis_profiles()


@contextlib.contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[str]:
    """`server` answering from a thread for the block, as `127.0.0.1:<port>`; shut down and closed after it."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"   # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
