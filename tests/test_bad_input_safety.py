"""Writing safely: runs of `generate` at once, a temp dir removed under a run, `docs` into a dir it does not own,
the Compose project name of any service, and a contract too large to load."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from generators.cli import main
from tests.conftest import MINIMAL, refused, snapshot

ENV = "GF_SECURITY_ADMIN_PASSWORD=hunter2\n"
MANIFEST = ".metrics-contract-manifest.json"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """A project made by `init` (the current dir), generated once, with the user's `out/stack/.env`."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--service", "pay"]) == 0
    assert main(["generate"]) == 0
    (tmp_path / "out" / "stack" / ".env").write_text(ENV)
    capsys.readouterr()
    return tmp_path


def generate_process(cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "generators", "generate"], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


# ── runs at once ──────────────────────────────────────────────────────────────────────────────────────────

def test_runs_at_once_take_turns_and_keep_the_users_files(project: Path) -> None:
    out = project / "out"
    notes = out / "notes"   # the user's files beside `.env`: carrying them over keeps each run writing a while
    notes.mkdir()
    for i in range(2000):
        (notes / f"{i}.txt").write_text("mine\n")
    mine = {p.name: p.read_bytes() for p in notes.iterdir()}
    for _ in range(5):
        runs = [generate_process(project) for _ in range(3)]
        results = [run.communicate(timeout=120) + (run.returncode,) for run in runs]
        assert [(code, err) for _, err, code in results] == [(0, "")] * 3
        assert (out / "stack" / ".env").read_text() == ENV
        assert {p.name: p.read_bytes() for p in notes.iterdir()} == mine
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".out-")) == []


def test_a_temp_dir_removed_while_it_is_built_fails_the_run(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = project / "out"
    notes = out / "notes"   # the user's files, carried into the new tree one by one: time for the move below
    notes.mkdir()
    for i in range(10_000):
        (notes / f"{i}.txt").write_text("mine\n")
    before = snapshot(out)
    moved: list[str] = []

    def move_the_temp_dir_away() -> None:
        # as a program that does not take the lock might: the whole temp dir gone in one step
        while not moved:
            for name in os.listdir(project):
                if name.startswith(".out-new-"):
                    os.rename(project / name, project / "moved")
                    moved.append(name)

    mover = threading.Thread(target=move_the_temp_dir_away)
    mover.start()
    try:
        code = main(["generate"])
    finally:
        if not moved:
            moved.append("")   # ends the thread when the run never made a temp dir
        mover.join()
    err = capsys.readouterr().err
    assert code == 2, err
    assert err == (f"out: error[generate/write]: cannot write the out dir: its temp dir `{moved[0]}` was removed while "
                   "it was written; nothing was changed\n")
    assert re.fullmatch(r"\.out-new-out-[0-9a-f]{8}", moved[0])
    assert snapshot(out) == before


# ── docs writes only where generate would ─────────────────────────────────────────────────────────────────

def test_docs_refuses_an_out_dir_it_does_not_own(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "mine").mkdir()
    (project / "mine" / "METRICS.md").write_text("my own notes\n")
    assert refused(capsys, ["docs", "--out", "mine"], project) == (
        "mine: error[generate/out-dir]: `mine` is not empty and has no `.metrics-contract-manifest.json`, so "
        "`metrics-contract generate` did not write it; remove it or choose another out dir\n")


@pytest.mark.parametrize(("remove", "line"), [
    (False, "out/METRICS.md: error[generate/out-dir]: not written by `metrics-contract generate`, but in the way of "
     "a file it writes; move it away"),
    (True, f"out/{MANIFEST}: error[generate/out-dir]: does not list `METRICS.md`; run `metrics-contract generate` "
     "to write the out dir"),
])
def test_docs_refuses_a_file_the_manifest_does_not_list(project: Path, capsys: pytest.CaptureFixture[str],
                                                        remove: bool, line: str) -> None:
    manifest = project / "out" / MANIFEST
    manifest.write_text(manifest.read_text().replace('    "METRICS.md": ', '    "notes.md": ', 1))
    if remove:
        (project / "out" / "METRICS.md").unlink()
    assert refused(capsys, ["docs"], project) == line + "\n"


@pytest.mark.parametrize(("text", "line"), [
    ("my own notes\n", "not a catalogue written by `metrics-contract docs`; move it away or give another file"),
    ("", "not a catalogue written by `metrics-contract docs`; move it away or give another file"),
])
def test_docs_output_refuses_a_file_it_did_not_write(project: Path, capsys: pytest.CaptureFixture[str], text: str,
                                                    line: str) -> None:
    (project / "NOTES.md").write_text(text)
    assert refused(capsys, ["docs", "--output", "NOTES.md"], project) == f"NOTES.md: error[docs/output]: {line}\n"


def test_docs_output_refuses_a_symlink(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "CATALOGUE.md").symlink_to("out/METRICS.md")
    assert refused(capsys, ["docs", "--output", "CATALOGUE.md"], project) == (
        "CATALOGUE.md: error[docs/output]: is not a regular file; `metrics-contract docs` replaces only a catalogue "
        "it wrote\n")


def test_docs_into_a_new_out_dir_gives_it_to_generate(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "--out", "new"]) == 0
    assert sorted(p.name for p in (project / "new").iterdir()) == [MANIFEST, "METRICS.md"]
    assert (project / "new" / "METRICS.md").read_bytes() == (project / "out" / "METRICS.md").read_bytes()
    assert main(["generate", "--out", "new"]) == 0   # the out dir is generate's: it replaces it
    assert capsys.readouterr().out.splitlines()[-1] == "wrote 13 files to new/"
    assert (project / "new" / MANIFEST).read_bytes() == (project / "out" / MANIFEST).read_bytes()


def test_docs_replaces_only_the_catalogue_of_generates_out_dir(project: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = project / "out"
    generated = (out / "METRICS.md").read_bytes()
    (out / "METRICS.md").write_text("edited by hand\n")
    before = snapshot(out)
    assert main(["docs"]) == 0
    assert capsys.readouterr().out == "wrote out/METRICS.md\n"
    assert (out / "METRICS.md").read_bytes() == generated
    after = snapshot(out)
    assert sorted(path for path in before if before[path] != after.get(path)) == [str(out / "METRICS.md")]
    assert main(["docs", "--output", "CATALOGUE.md"]) == 0
    assert main(["docs", "--output", "CATALOGUE.md"]) == 0   # a catalogue it wrote: replaced
    assert (project / "CATALOGUE.md").read_bytes() == generated


# ── the Compose project name ──────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("service", "name"), [
    ("shop.orders", "shop-orders-observability"),
    ("Shop", "shop-observability"),
    ("a b", "a-b-observability"),
    ("dollar$x", "dollar-x-observability"),
    ("_Ünïcode..svc_", "n-code-svc-observability"),
    ("...", "observability"),
    ("pay_v2-eu", "pay_v2-eu-observability"),
])
def test_compose_project_name(tmp_path: Path, service: str, name: str) -> None:
    from generators import stack
    from tests.conftest import contract_from

    lc = contract_from(tmp_path, MINIMAL.replace("service: svc", f"service: {service!r}"))
    compose = yaml.safe_load(stack.generate(lc)["stack/docker-compose.yml"])
    assert compose["name"] == name
    assert re.fullmatch(r"[a-z0-9][a-z0-9_-]*", compose["name"])


# ── a contract too large to load ──────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("command", ["validate", "check"])
def test_a_contract_over_its_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str], command: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("f.yaml").write_text("contract: 1\nx: [" + "a," * 10_000_000 + "a]\n")
    assert main([command, "f.yaml"]) == 2
    out = capsys.readouterr()
    assert (out.err, out.out) == ("f.yaml: error[input/too-large]: larger than 2 MiB, the limit for a contract\n", "")


def test_a_contract_at_its_size_limit_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    text = MINIMAL + "# padding\n"
    Path("c.yaml").write_text(text + "#" * (2 * 1024 * 1024 - len(text) - 1) + "\n")
    assert os.path.getsize("c.yaml") == 2 * 1024 * 1024
    assert main(["validate", "c.yaml"]) == 0
    with open("c.yaml", "a") as fh:
        fh.write("\n")
    assert main(["validate", "c.yaml"]) == 2
    assert capsys.readouterr().err == "c.yaml: error[input/too-large]: larger than 2 MiB, the limit for a contract\n"


def _address_space(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def test_a_rule_file_beyond_the_memory_available_is_too_large(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(MINIMAL)
    # within the 64 MiB of an input file, but composed into more nodes than 300 MB of address space hold
    (tmp_path / "r.yml").write_text("groups: [" + "a," * 1_500_000 + "a]\n")
    proc = subprocess.run([sys.executable, "-m", "generators", "check", "--no-cache", "c.yaml", "r.yml"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
                          preexec_fn=lambda: _address_space(300 * 1024 * 1024))
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        2, "", "r.yml: error[input/too-large]: too large to load: it does not fit in the memory available\n")
