"""The peers' cache key and lookup: rebuilt only when their Go sources change; a clear skip or failure without them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests import peer_bins


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "peers"
    for path in peer_bins.PEERS.rglob("*"):
        if path.is_file() and (path.suffix == ".go" or path.name in ("go.mod", "go.sum")):
            target = copy / path.relative_to(peer_bins.PEERS)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    monkeypatch.setattr(peer_bins, "PEERS", copy)
    monkeypatch.setenv("METRICS_CONTRACT_PEERS", str(tmp_path / "cache"))
    return copy


def test_the_key_follows_every_pinned_file_and_nothing_else(sources: Path) -> None:
    first = peer_bins.key()
    assert peer_bins.key() == first
    (sources / "README").write_text("not a build input\n", encoding="utf-8")
    assert peer_bins.key() == first
    seen = {first}
    for name in ("collector/go.sum", "prometheus/go.mod", "collector/main.go"):
        path = sources / name
        path.write_bytes(path.read_bytes() + b"\n")
        seen.add(peer_bins.key())
    assert len(seen) == 4


def test_the_binaries_live_under_the_configured_cache(sources: Path, tmp_path: Path) -> None:
    assert peer_bins.bin_dir() == tmp_path / "cache" / peer_bins.key()


def test_a_missing_peer_skips_with_the_command_to_build_it(sources: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUIRE_PEERS", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"`otelcol` test peer missing .*run `make peers`"):
        peer_bins.binary("otelcol")


def test_a_missing_peer_fails_when_peers_are_required(sources: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUIRE_PEERS", "1")
    with pytest.raises(pytest.fail.Exception, match=r"`prometheus` test peer missing .*REQUIRE_PEERS=1"):
        peer_bins.binary("prometheus")


def test_a_built_peer_is_found(sources: Path) -> None:
    target = peer_bins.bin_dir() / "promtool"
    target.parent.mkdir(parents=True)
    target.write_text("#!/bin/sh\n", encoding="utf-8")
    target.chmod(0o755)
    assert peer_bins.binary("promtool") == str(target)
