"""Hostile expositions for `import`: one located line and exit 2, or a listed skip where the family can be left out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generators.cli import main
from tests.test_bad_input import LINE

# (case, exposition text, the one error line); plain data, reused by the corpus
HOSTILE = [
    ("unknown-type", "# TYPE app_x weird\napp_x 1\n",
     "e.prom:1:1: error[exposition/syntax]: unknown metric type `weird`"),
    ("stateset-value-2", '# TYPE app_mode stateset\napp_mode{app_mode="idle"} 2\napp_mode{app_mode="busy"} 1\n',
     "e.prom:2: error[exposition/syntax]: stateset `app_mode` has value `2`; a state is 1 (current) or 0"),
    ("stateset-value-half", '# TYPE app_mode stateset\napp_mode{app_mode="idle"} 0.5\n',
     "e.prom:2: error[exposition/syntax]: stateset `app_mode` has value `0.5`; a state is 1 (current) or 0"),
    ("info-value-2", '# TYPE app_build info\napp_build_info{version="1.2"} 2\n',
     "e.prom:2: error[exposition/syntax]: info `app_build` has value `2`; an info sample is always 1"),
    ("quantile-not-a-number", '# TYPE app_gc summary\napp_gc{quantile="half"} 1\napp_gc_sum 1\napp_gc_count 1\n',
     "e.prom:2: error[exposition/syntax]: `quantile` value `half` of summary `app_gc` is not a number from 0 to 1"),
    ("quantile-above-1", '# TYPE app_gc summary\napp_gc{quantile="1.5"} 1\napp_gc_count 1\n',
     "e.prom:2: error[exposition/syntax]: `quantile` value `1.5` of summary `app_gc` is not a number from 0 to 1"),
    ("quantile-nan", '# TYPE app_gc summary\napp_gc{quantile="NaN"} 1\napp_gc_count 1\n',
     "e.prom:2: error[exposition/syntax]: `quantile` value `NaN` of summary `app_gc` is not a number from 0 to 1"),
    ("typed-twice", "# TYPE app_x counter\napp_x_total 1\n# TYPE app_x gauge\napp_x 1\n",
     "e.prom:3:1: error[exposition/syntax]: `app_x` is typed twice (first on line 1)"),
    ("native-histogram-value", "# TYPE app_lat histogram\napp_lat {count:2,sum:1.5,schema:0,zero_threshold:0.001,"
     "zero_count:0,positive_spans:[0:1],positive_deltas:[2]}\n",
     "e.prom:2:9: error[exposition/syntax]: `{count:2,sum:1.5,schema:0,zero_threshold:0.001,zero_count:0,"
     "positive_spans:[0:1],positive_deltas:[2]}` is not a number"),
    # a family the import would leave out (outside the namespace) is read all the same
    ("outside-namespace", '# TYPE app_x gauge\napp_x 1\n# TYPE other_mode stateset\nother_mode{other_mode="a"} 3\n',
     "e.prom:4: error[exposition/syntax]: stateset `other_mode` has value `3`; a state is 1 (current) or 0"),
    # a file is OpenMetrics when its last line is `# EOF`
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

# (case, exposition text, the notes on stderr, the contract's metrics as (name, type)): imported with a skip listed
SKIPPED = [
    ("gaugehistogram", "# TYPE app_q gaugehistogram\napp_q_bucket{le=\"+Inf\"} 1\n# TYPE app_x gauge\napp_x 1\n",
     "e.prom:1: skipped `app_q`: type `gaugehistogram` has no contract type\n", [("app_x", "gauge")]),
    ("unknown-is-untyped", "# TYPE app_x unknown\napp_x 1\n# TYPE app_y gauge\napp_y 2\n", "",
     [("app_x", "untyped"), ("app_y", "gauge")]),
]


@pytest.mark.parametrize(("case", "text", "line"), HOSTILE, ids=[c for c, _, _ in HOSTILE])
def test_hostile_exposition(case: str, text: str, line: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text(text)
    assert main(["import", "--metrics-file", "e.prom", "--output", "c.yaml"]) == 2
    out = capsys.readouterr()
    assert out.err == line + "\n"
    assert LINE.match(out.err), out.err
    assert "Traceback" not in out.err + out.out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.prom"]


@pytest.mark.parametrize(("case", "text", "notes", "metrics"), SKIPPED, ids=[c for c, _, _, _ in SKIPPED])
def test_family_left_out_is_listed(case: str, text: str, notes: str, metrics: list[tuple[str, str]], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from contract.loader import load_contract

    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text(text)
    assert main(["import", "--metrics-file", "e.prom", "--output", "c.yaml"]) == 0
    assert capsys.readouterr().err == notes
    assert [(m.name, m.type) for m in load_contract("c.yaml").contract.metrics] == metrics


def test_hostile_exposition_in_a_subprocess(tmp_path: Path) -> None:
    """The CLI as a user runs it: exit 2 and the one line, not an interpreter crash."""
    case, text, line = HOSTILE[1]
    (tmp_path / "e.prom").write_text(text)
    run = subprocess.run([sys.executable, "-m", "generators", "import", "--metrics-file", "e.prom", "--output",
                          "c.yaml"], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120,
                         env={"PYTHONPATH": str(Path(__file__).parent.parent), "PATH": "/usr/bin:/bin"})
    assert (run.returncode, run.stderr) == (2, line + "\n"), case
    assert not (tmp_path / "c.yaml").exists()
