"""The out dir is owned through a manifest: out dirs `generate` must refuse, files it must never touch,
configurations and writes that fail. Bad input is one located line, exit 2, and nothing changed on disk."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import QORTEX_CONTRACT, ROOT, refused, snapshot

MANIFEST = ".metrics-contract-manifest.json"
ENV = "GF_SECURITY_ADMIN_USER=me\nGF_SECURITY_ADMIN_PASSWORD=secret\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`tmp_path/proj` (the current dir: a project with its contract) beside a foreign dir and another project."""
    proj = tmp_path / "proj"
    (proj / "contract").mkdir(parents=True)
    shutil.copy(QORTEX_CONTRACT, proj / "contract" / "qortex.yaml")
    (proj / "pyproject.toml").write_text('[project]\nname = "p"\n\n'
                                         '[tool.metrics-contract]\ncontract = "contract/qortex.yaml"\n')
    (proj / ".git").mkdir()
    (proj / "README.md").write_text("mine\n")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("not generated\n")
    (tmp_path / "victim" / ".git").mkdir(parents=True)
    (tmp_path / "victim" / "precious.txt").write_text("keep me\n")
    monkeypatch.chdir(proj)
    return tmp_path


@pytest.mark.parametrize(("out", "message"), [
    ("../foreign", "`../foreign` is not empty and has no `.metrics-contract-manifest.json`, so `metrics-contract "
     "generate` did not write it; remove it or choose another out dir"),
    (".", "`.` is the current directory or one of its parents; choose another out dir"),
    ("..", "`..` is the current directory or one of its parents; choose another out dir"),
    ("../victim", "`../victim` is a project root (it holds `pyproject.toml` or `.git`); choose another out dir"),
    ("contract", "`contract` holds the contract `contract/qortex.yaml`; choose another out dir"),
])
def test_generate_refuses_an_out_dir_it_does_not_own(project: Path, capsys: pytest.CaptureFixture[str], out: str,
                                                     message: str) -> None:
    assert refused(capsys, ["generate", "--out", out], project) == f"{out}: error[generate/out-dir]: {message}\n"


def test_generate_refuses_the_project_root_from_a_subdir(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # a cloned repository's configuration pointing at a project beside it
    (project / "proj" / "pyproject.toml").write_text('[tool.metrics-contract]\ncontract = "contract/qortex.yaml"\n'
                                                     'out = "../victim"\n')
    assert refused(capsys, ["generate"], project) == (
        "../victim: error[generate/out-dir]: `../victim` is a project root (it holds `pyproject.toml` or `.git`); "
        "choose another out dir\n")


@pytest.mark.parametrize("package", ["contract", "dashboards", "generators"])
def test_generate_refuses_the_package_source(project: Path, package: str, capsys: pytest.CaptureFixture[str]) -> None:
    source = ROOT / package
    names = sorted(os.listdir(source))
    out = str(source)
    assert refused(capsys, ["generate", "--out", out], project) == (
        f"{out}: error[generate/out-dir]: `{out}` holds the source of metrics-contract (`{package}/`); "
        "choose another out dir\n")
    assert sorted(os.listdir(source)) == names


def test_generate_refuses_a_file_and_a_foreign_manifest(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert refused(capsys, ["generate", "--out", "README.md"], project) == (
        "README.md: error[generate/out-dir]: `README.md` is not a directory; choose another out dir\n")
    (project / "proj" / "out").mkdir()
    (project / "proj" / "out" / MANIFEST).write_text("{}\n")
    (project / "proj" / "out" / "x.txt").write_text("x\n")
    assert refused(capsys, ["generate"], project) == (
        f"out/{MANIFEST}: error[generate/out-dir]: not a manifest written by `metrics-contract generate`; remove the "
        "out dir or choose another\n")


# ── files generate never touches ──────────────────────────────────────────

def test_env_survives_generate_and_check_passes_with_it(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = project / "proj" / "out"
    assert main(["generate"]) == 0
    (out / "stack" / ".env").write_text(ENV)   # as the README says: cp .env.example .env, then edit
    (out / "stack" / ".env").chmod(0o600)
    (out / "stack" / "data").mkdir(mode=0o700)   # a volume of the stack
    (out / "stack" / "data" / "db").write_bytes(b"\x00\x01")
    assert main(["generate"]) == 0
    assert (out / "stack" / ".env").read_text() == ENV
    assert (out / "stack" / ".env").stat().st_mode & 0o777 == 0o600
    assert (out / "stack" / "data").stat().st_mode & 0o777 == 0o700
    assert (out / "stack" / "data" / "db").read_bytes() == b"\x00\x01"
    capsys.readouterr()
    assert main(["check"]) == 0
    assert capsys.readouterr().out == ""


def test_check_reports_a_missing_or_edited_manifest(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate"]) == 0
    manifest = project / "proj" / "out" / MANIFEST
    text = manifest.read_text()
    manifest.write_text(text.replace('"METRICS.md"', '"METRICS.txt"'))
    capsys.readouterr()
    assert main(["check"]) == 1
    assert capsys.readouterr().out == (
        f"out/{MANIFEST}:3: error[check/stale-output]: `out/{MANIFEST}` differs from what `metrics-contract generate` "
        "writes; regenerate it, never edit it\n")
    manifest.write_text("[" * 5000 + "]" * 5000)   # too deep for `json`: not a manifest of this tool
    assert main(["generate"]) == 2
    assert capsys.readouterr().err == (f"out/{MANIFEST}: error[generate/out-dir]: not a manifest written by "
                                       "`metrics-contract generate`; remove the out dir or choose another\n")
    manifest.unlink()
    assert main(["check"]) == 1
    assert capsys.readouterr().out == (
        f"out/{MANIFEST}: error[check/stale-output]: `out/{MANIFEST}` is missing; move the files you added out of "
        "`out`, remove it and run `metrics-contract generate`\n")


def test_temp_dirs_of_killed_runs_are_swept(project: Path) -> None:
    assert main(["generate"]) == 0
    for stale in (".out-new-out-deadbeef/grafana", ".out-old-out-cafebabe/stack", ".out-old-out-2-12345678"):
        (project / "proj" / stale).mkdir(parents=True)
    assert main(["generate"]) == 0
    # only the out dir's own: `.out-old-out-2-*` is out dir `out-2`'s
    assert sorted(p.name for p in (project / "proj").glob(".out-*")) == [".out-old-out-2-12345678"]


def test_out_dir_moved_aside_by_a_killed_run_is_put_back(project: Path) -> None:
    out = project / "proj" / "out"
    assert main(["generate"]) == 0
    (out / "stack" / ".env").write_text(ENV)
    out.rename(project / "proj" / ".out-old-out-0badf00d")   # killed between the two renames of the fallback
    assert main(["generate"]) == 0
    assert (out / "stack" / ".env").read_text() == ENV
    assert not list((project / "proj").glob(".out-*"))


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def test_out_dir_mode_follows_the_umask(project: Path, umask_027: None) -> None:
    out = project / "proj" / "out"
    for _ in range(2):   # created, then replaced
        assert main(["generate"]) == 0
        assert [p.stat().st_mode & 0o777 for p in (out, out / "grafana", out / "METRICS.md")] == [0o750, 0o750, 0o640]


def test_symlinked_out_dir_stays_a_symlink(project: Path) -> None:
    real = project / "elsewhere"
    real.mkdir()
    link = project / "proj" / "out"
    link.symlink_to(real)
    assert main(["generate"]) == 0
    (real / "stack" / ".env").write_text(ENV)
    assert main(["generate"]) == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert (real / MANIFEST).is_file() and (real / "stack" / ".env").read_text() == ENV


# ── configuration and writes that fail ────────────────────────────────────

@pytest.mark.parametrize(("text", "line"), [
    (b"a = 1\n\xff\xfe\n", "pyproject.toml:2:1: error[config/encoding]: not UTF-8: byte 0xff cannot be decoded"),
    (b'tool = "x"\n', "pyproject.toml: error[config/shape]: `tool` must be a table"),
    (b'[tool.metrics-contract]\ncontract = "c\\u0000.yaml"\n',
     "pyproject.toml: error[config/value]: `contract` in `[tool.metrics-contract]` must not contain a NUL character"),
    (b'[tool.metrics-contract]\nout = "o\\u0000ut"\n',
     "pyproject.toml: error[config/value]: `out` in `[tool.metrics-contract]` must not contain a NUL character"),
    (b"[tool.metrics-contract]\nignore = " + b"[" * 5000 + b"]" * 5000 + b"\n",
     "pyproject.toml: error[config/toml]: not valid TOML: nested too deeply"),
    (b'[tool.metrics-contract]\nout = ""\n',
     "pyproject.toml: error[config/value]: `out` in `[tool.metrics-contract]` must not be empty"),
])
def test_bad_pyproject(project: Path, text: bytes, line: str) -> None:
    (project / "proj" / "pyproject.toml").write_bytes(text)
    before = snapshot(project)
    # a process of its own: a NUL that reached the operating system would end it another way
    proc = subprocess.run([sys.executable, "-m", "generators", "generate"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert (proc.returncode, proc.stderr, proc.stdout) == (2, line + "\n", "")
    assert snapshot(project) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only dir")
def test_read_only_project_dir(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "proj").chmod(0o555)
    try:
        assert refused(capsys, ["generate"], project) == (
            "out: error[generate/write]: cannot write the out dir: Permission denied; nothing was changed\n")
    finally:
        (project / "proj").chmod(0o755)


def test_out_dir_under_a_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert refused(capsys, ["generate", "--out", "README.md/out"], project) == (
        "README.md/out: error[generate/write]: cannot write the out dir: Not a directory; nothing was changed\n")


def test_long_service_name_is_a_located_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate"]) == 0   # an out dir to leave as it was
    capsys.readouterr()
    contract = project / "proj" / "contract" / "qortex.yaml"
    # without qortex's alerts, whose rules would name the job in PromQL longer than `check` reads (a located
    # `promql/too-complex`, exit 1): the file name is what fails here
    text = contract.read_text().split("\n# ── alerts and SLOs")[0] + "\n"
    contract.write_text(text.replace("service: qortex", "service: " + "q" * 300, 1))   # past NAME_MAX (255)
    assert refused(capsys, ["generate"], project) == (
        "out: error[generate/write]: cannot write the out dir: File name too long; nothing was changed\n")
    assert not list((project / "proj").glob(".out-*"))


def test_docs_output_a_directory(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "proj" / "docs").mkdir()
    assert refused(capsys, ["docs", "--output", "docs"], project) == (
        "docs: error[docs/output]: is a directory; give the file to write the catalogue to\n")


def test_docs_output_that_cannot_be_written(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert refused(capsys, ["docs", "--output", "README.md/METRICS.md"], project) == (
        "README.md/METRICS.md: error[docs/write]: cannot write: Not a directory\n")
