from __future__ import annotations

import contextlib
import os
import socketserver
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract.loader import LoadedContract, load_contract

ROOT = Path(__file__).resolve().parent.parent
QORTEX_CONTRACT = ROOT / "contract" / "qortex.yaml"
# the dashboard sources this repository's pyproject.toml configures (relative to ROOT, where the tests run)
QORTEX_DASHBOARDS = ("dashboards/qortex.py",)

# the head of a small service's contract, up to its metrics
APP_HEAD = """\
contract: 1
service: app
namespace: app
scrape_interval: 15s
exposition: [prometheus-client]
metrics:
"""
# the head of a shop's contract scraped with prometheus_client, up to its metrics
SHOP_HEAD = """\
contract: 1
service: shop
namespace: shop
scrape_interval: 15s
exposition: [prometheus-client]
metrics:
"""
# a counter and a gauge: what the checker's field-style tests start from
APP_CONTRACT = APP_HEAD + """\
  - {name: app_requests, type: counter, unit: "1", help: r}
  - {name: app_temp, type: gauge, unit: "1", help: t}
events: []
"""
# the same with a labelled counter and a histogram, for the checks that need them
APP_CONTRACT_FULL = APP_CONTRACT.replace("events: []\n", """\
  - name: app_calls
    type: counter
    unit: "{call}"
    help: c
    labels: [{name: code, values: ["200", "500"]}]
  - {name: app_latency_seconds, type: histogram, unit: s, help: l, buckets: [0.1, 1.0]}
events: []
""")

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


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under `root`, links not followed: dirs with their modes, links with their targets, files
    with their modes, mtimes and bytes: what a refused run must leave exactly as it was."""
    import stat

    tree: dict[str, tuple[object, ...]] = {}
    for dirpath, dirs, names in os.walk(root):
        for name in dirs + names:
            path = Path(dirpath) / name
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                tree[str(path)] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                tree[str(path)] = ("dir", st.st_mode)
            elif stat.S_ISREG(st.st_mode):
                tree[str(path)] = ("file", st.st_mode, st.st_mtime_ns, path.read_bytes())
            else:
                tree[str(path)] = ("other", st.st_mode)
    return tree


def refused(capsys: pytest.CaptureFixture[str], argv: list[str], root: Path) -> str:
    """Run the CLI on `argv`: exit 2, one located line on stderr and nothing else, `root` unchanged. The line."""
    from generators.cli import main
    from tests.test_bad_input import LINE

    before = snapshot(root)
    assert main(argv) == 2
    out = capsys.readouterr()
    assert LINE.match(out.err), out.err
    assert "Traceback" not in out.err + out.out
    assert out.out == ""
    assert snapshot(root) == before
    return out.err


@contextlib.contextmanager
def exposing(registry: object) -> Iterator[str]:
    """`registry` served by prometheus_client's own HTTP server on a free loopback port; yields its /metrics URL."""
    from prometheus_client import start_http_server

    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)  # type: ignore[arg-type]
    try:
        yield f"http://127.0.0.1:{server.server_port}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def scrape_text(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as resp:
        return str(resp.read().decode("utf-8"))


def scrape_samples(registry: object) -> list[Any]:
    """Every sample of `registry` as Prometheus gets it: over HTTP from prometheus_client's server, parsed."""
    from prometheus_client.parser import text_string_to_metric_families

    with exposing(registry) as url:
        text = scrape_text(url)
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def scrape_shapes(url: str) -> dict[str, set[frozenset[str]]]:
    """One scrape of `url`: each sample name with the label-name sets it carries."""
    from prometheus_client.parser import text_string_to_metric_families

    seen: dict[str, set[frozenset[str]]] = {}
    for family in text_string_to_metric_families(scrape_text(url)):
        for sample in family.samples:
            seen.setdefault(sample.name, set()).add(frozenset(sample.labels))
    return seen
