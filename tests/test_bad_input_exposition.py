"""OpenMetrics answers that break their format: one located line, exit 2, nothing written (files that do:
tests/test_bad_input_import.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import MINIMAL, contract_from
from tests.test_exposition import static

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
# (case, body answered as OpenMetrics, the error after `<url>:`)
ANSWERS = [
    ("no-eof", '# TYPE svc_requests counter\nsvc_requests_total{code="200"} 1\n',
     "2:33: error[exposition/truncated]: the exposition is OpenMetrics and does not end with `# EOF`; it may be "
     "cut off"),
    ("after-eof", '# TYPE svc_requests counter\nsvc_requests_total{code="200"} 1\n# EOF\nsvc_other 1\n',
     "4:1: error[exposition/syntax]: a line after `# EOF` (line 3), which ends an OpenMetrics exposition"),
]


@pytest.mark.parametrize("command", ["import", "live-check"])
@pytest.mark.parametrize(("case", "body", "error"), ANSWERS, ids=[c for c, _, _ in ANSWERS])
def test_bad_openmetrics_answer(case: str, body: str, error: str, command: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    lc = contract_from(tmp_path, MINIMAL)
    argv = ["import", "--output", str(tmp_path / "out.yaml")] if command == "import" else ["live-check", lc.file]
    with static(body, OPENMETRICS) as url:
        assert main([*argv, "--metrics-url", url]) == 2
    out = capsys.readouterr()
    assert (out.out, out.err) == ("", f"{url}:{error}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]
