"""Expositions that break their format (text or OpenMetrics): one located line, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import MINIMAL, contract_from
from tests.test_bad_input import LINE
from tests.test_exposition import static

# (case, file text, the one error line); a file is OpenMetrics when its last line is `# EOF`
FILES = [
    ("exemplar-in-text-format", '# TYPE shop_orders counter\nshop_orders_total 3 # {trace_id="a"} 1\n',
     "e.prom:2:21: error[exposition/syntax]: an exemplar (`# {...}` after the value) is OpenMetrics only, and this "
     "exposition is in the text format (OpenMetrics ends with `# EOF`)"),
    ("seconds-in-text-format", "# TYPE shop_temp gauge\nshop_temp 20.5 1700000000.5\n",
     "e.prom:2:16: error[exposition/syntax]: timestamp `1700000000.5` is not a whole number of milliseconds, as the "
     "text format writes it (OpenMetrics, which ends with `# EOF`, writes seconds)"),
    ("openmetrics-timestamp", "# TYPE shop_temp gauge\nshop_temp 1 soon\n# EOF\n",
     "e.prom:2:13: error[exposition/syntax]: timestamp `soon` is not a number"),
    ("exemplar-value", '# TYPE shop_orders counter\nshop_orders_total 3 # {trace_id="a"} x\n# EOF\n',
     "e.prom:2:38: error[exposition/syntax]: exemplar value `x` is not a number"),
    ("exemplar-timestamp", '# TYPE shop_orders counter\nshop_orders_total 3 # {trace_id="a"} 1 later\n# EOF\n',
     "e.prom:2:40: error[exposition/syntax]: exemplar timestamp `later` is not a number"),
    ("exemplar-labels", "# TYPE shop_orders counter\nshop_orders_total 3 # {trace_id=a} 1\n# EOF\n",
     "e.prom:2:24: error[exposition/syntax]: malformed label set"),
]


@pytest.mark.parametrize(("case", "text", "line"), FILES, ids=[c for c, _, _ in FILES])
def test_bad_exposition_file(case: str, text: str, line: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text(text)
    assert main(["import", "--metrics-file", "e.prom", "--output", "c.yaml"]) == 2
    out = capsys.readouterr()
    assert (out.out, out.err) == ("", line + "\n")
    assert LINE.match(out.err), out.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.prom"]


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
