"""Bad input to `metrics-contract rules ID`: one located line, exit 2, nothing written, never a traceback.

Arguments that could take the interpreter down (an argument near the
kernel's size limit for one, bytes that are not UTF-8) run the program in a
subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import ROOT
from tests.test_bad_input import LINE
from tests.test_bad_input_init import snapshot

UNKNOWN = "rules: error[usage/arguments]: unknown check "
ROWS = {
    "typo": ("promql/unknown-metrc", UNKNOWN + "`promql/unknown-metrc`; did you mean `promql/unknown-metric`?\n"),
    "bare-name-of-two-families": (
        "unknown-metric",
        UNKNOWN + "`unknown-metric`; did you mean `promql/unknown-metric` or `dashboard/unknown-metric`?\n"),
    "bare-name-of-one-family": ("stale-output", UNKNOWN + "`stale-output`; did you mean `check/stale-output`?\n"),
    "upper-case": ("PROMQL/SYNTAX", UNKNOWN + "`PROMQL/SYNTAX`; did you mean `promql/syntax`?\n"),
    "nothing-close": ("xyz", UNKNOWN + "`xyz`; `metrics-contract rules` lists them\n"),
    "bad-input-id-is-not-a-check": ("input/too-deep", UNKNOWN + "`input/too-deep`; `metrics-contract rules` lists "
                                    "them\n"),
    "line-break": ("promql/syn\ntax", UNKNOWN + "`promql/syn\\ntax`; did you mean `promql/syntax`?\n"),
    "escape-sequence": ("\x1b[2Jpromql/syntax", UNKNOWN + "`\\x1b[2Jpromql/syntax`; did you mean `promql/syntax`?\n"),
    "empty": ("", "rules: error[usage/arguments]: give a check id such as `promql/unknown-metric`, or none to list "
                  "every check\n"),
    "blank": ("  ", "rules: error[usage/arguments]: give a check id such as `promql/unknown-metric`, or none to list "
                    "every check\n"),
    "british-spelling": ("promql/le-normalised", UNKNOWN + "`promql/le-normalised`; did you mean "
                         "`promql/le-normalized`?\n"),
    "bare-le-normalized": ("le-normalized", UNKNOWN + "`le-normalized`; did you mean `promql/le-normalized`?\n"),
    "bare-utf8-name": ("utf8-name", UNKNOWN + "`utf8-name`; did you mean `promql/utf8-name`?\n"),
    "hyphenated-utf-8": ("promql/utf-8-name", UNKNOWN + "`promql/utf-8-name`; did you mean `promql/utf8-name`?\n"),
}


@pytest.mark.parametrize("row", sorted(ROWS))
def test_unknown_rule_id(row: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    wanted, expected = ROWS[row]
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    assert main(["rules", wanted]) == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    assert out.out == ""
    assert LINE.match(out.err), out.err
    assert out.err == expected
    assert snapshot(tmp_path) == before


def _program(tmp_path: Path, *argv: str | bytes) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generators", "rules", *argv], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=False,
                          timeout=120)


def test_an_id_that_is_not_utf8_is_bad_input_not_a_crash(tmp_path: Path) -> None:
    done = _program(tmp_path, b"promql/syntax\xff")
    assert done.returncode == 2, done.stderr
    assert (done.stdout, done.stderr) == (
        "", UNKNOWN + "`promql/syntax\\udcff`; did you mean `promql/syntax`?\n")
    assert os.listdir(tmp_path) == []


def test_a_huge_id_is_bad_input_not_a_crash(tmp_path: Path) -> None:
    wanted = "promql/" + "x" * 120_000   # just under the kernel's limit for one argument (128 KiB)
    done = _program(tmp_path, wanted)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr == UNKNOWN + f"`{wanted}`; `metrics-contract rules` lists them\n"
    assert os.listdir(tmp_path) == []
