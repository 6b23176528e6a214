"""The Go-built test peers: an OpenTelemetry Collector and Prometheus 3 with its promtool.

Their sources are `tests/peers/collector` (a `main.go` naming the components the
generated stack uses) and `tests/peers/prometheus` (`tool` lines for Prometheus'
own commands), each with a pinned `go.mod`/`go.sum`. `python -m tests.peer_bins`
(`make peers`) builds them into a cache directory named by a hash of those files
and of the Go version, so a rebuild happens only when one of them changes;
`binary(name)` gives a test the path, or skips it with the reason (fails it when
`REQUIRE_PEERS=1`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

PEERS = Path(__file__).resolve().parent / "peers"
# binary -> (Go source dir under PEERS, package to build); a binary is named after its package's last element
BINARIES = {
    "otelcol": ("collector", "."),
    "prometheus": ("prometheus", "github.com/prometheus/prometheus/cmd/prometheus"),
    "promtool": ("prometheus", "github.com/prometheus/prometheus/cmd/promtool"),
}
PROMETHEUS_MODULE = "github.com/prometheus/prometheus"


def cache_root() -> Path:
    configured = os.environ.get("METRICS_CONTRACT_PEERS")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "metrics-contract" / "peers"


def _go_version() -> str:
    go = shutil.which("go")
    if go is None:
        return ""
    return subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout.strip()


def key() -> str:
    """Hash of every Go source and module file of the peers, and of the Go version that builds them."""
    digest = hashlib.sha256(_go_version().encode())
    for path in sorted(PEERS.rglob("*")):
        if path.is_file() and (path.suffix == ".go" or path.name in ("go.mod", "go.sum")):
            digest.update(path.relative_to(PEERS).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def bin_dir() -> Path:
    return cache_root() / key()


def binary(name: str) -> str:
    """Path of a built peer; a clear skip without it, a failure when `REQUIRE_PEERS=1`."""
    import pytest

    path = bin_dir() / name
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    if shutil.which("go") is None:
        why = "Go is not installed"
    else:
        why = "the peers are not built for these sources"
    message = f"`{name}` test peer missing ({why}; run `make peers`)"
    if os.environ.get("REQUIRE_PEERS") == "1":
        pytest.fail(message + " but REQUIRE_PEERS=1")
    pytest.skip(message + "; set REQUIRE_PEERS=1 to make this fail")


def _prometheus_version(source: Path) -> str:
    """Prometheus' release (`3.16.0`) from the VERSION file of the module go.mod pins."""
    # `go mod download` fetches it first when the module cache is cold (`go list -m` would give no directory)
    found = subprocess.run(["go", "mod", "download", "-json", PROMETHEUS_MODULE], cwd=source,
                           capture_output=True, text=True, check=True).stdout
    return (Path(json.loads(found)["Dir"]) / "VERSION").read_text(encoding="utf-8").strip()


def build() -> Path:
    """Build every peer into `bin_dir()` unless it is there; return the directory."""
    target = bin_dir()
    if all((target / name).is_file() for name in BINARIES):
        print(f"peers: up to date in {target}")
        return target
    if shutil.which("go") is None:
        raise SystemExit("peers: Go is required to build the test peers (`go` is not on PATH)")
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for source in sorted({src for src, _ in BINARIES.values()}):
        packages = [pkg for src, pkg in BINARIES.values() if src == source]
        flags = ["-trimpath"]
        if source == "prometheus":
            # without it the binaries report an empty version
            version = _prometheus_version(PEERS / source)
            flags.append(f"-ldflags=-X github.com/prometheus/common/version.Version={version}")
        started = time.monotonic()
        # -mod=readonly: go.mod and go.sum are used as pinned, never rewritten by a build
        subprocess.run(["go", "build", "-mod=readonly", *flags, "-o", str(staging) + "/", *packages],
                       cwd=PEERS / source, check=True)
        print(f"peers: built {source} in {time.monotonic() - started:.0f} s")
    # the whole set appears at once: a build that stops half-way leaves only the .partial directory
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    print(f"peers: {', '.join(sorted(BINARIES))} in {target}")
    return target


if __name__ == "__main__":
    try:
        build()
    except subprocess.CalledProcessError as error:
        sys.exit(f"peers: `{' '.join(error.cmd[:2])}` failed with exit code {error.returncode}")
