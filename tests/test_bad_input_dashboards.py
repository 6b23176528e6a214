"""Bad dashboard input: configured files, YAML dashboards, the contract's section. One located line, exit 2.

Each row is a project (a contract `c.yaml`, files, `[tool.metrics-contract] dashboards`) whose `generate`
must fail with exactly the given line on stderr, no traceback, and nothing changed on disk (no out dir,
no `__pycache__` beside a Python dashboard). A few rows run `check` and `docs` too, which render the same
configured dashboards. Cases that could take the interpreter down run the CLI in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from generators.cli import main
from tests.conftest import MINIMAL
from tests.test_bad_input import LINE

GOOD_PANEL = "{title: P, kind: rate, metric: svc_requests}"


def yaml_board(panel: str = GOOD_PANEL, head: str = "title: T\n") -> str:
    return head + "rows:\n  - title: R\n    panels:\n      - " + panel + "\n"


def section(body: str) -> str:
    """MINIMAL with a `dashboards:` section; its first dashboard starts on line 24."""
    return MINIMAL + "dashboards:\n" + body


class Case(NamedTuple):
    files: dict[str, str]          # path -> text, beside c.yaml
    configured: tuple[str, ...]    # `dashboards` in pyproject.toml
    expected: str                  # the one line on stderr
    contract: str = MINIMAL


CASES: dict[str, Case] = {
    "missing-file": Case({}, ("boards/nope.py",), "boards/nope.py: error[input/not-found]: no such file"),
    "directory": Case({"boards/x.py/keep": ""}, ("boards/x.py",),
                      "boards/x.py: error[input/not-a-file]: is a directory, not a file"),
    "unknown-suffix": Case({"boards/b.json": "{}"}, ("boards/b.json",),
                           "boards/b.json: error[dashboard/load]: a dashboard file is a `.py` file that defines "
                           "`DASHBOARD` or a `.yaml` dashboard, not `.json`"),
    "no-suffix": Case({"boards/b": ""}, ("boards/b",),
                      "boards/b: error[dashboard/load]: a dashboard file is a `.py` file that defines `DASHBOARD` "
                      "or a `.yaml` dashboard, not `b`"),
    "python-raises": Case({"boards/b.py": "def broken():\n    return 1 / 0\n\n\nDASHBOARD = broken()\n"},
                          ("boards/b.py",),
                          "boards/b.py:2: error[dashboard/load]: running it raised `ZeroDivisionError`: "
                          "division by zero"),
    "python-misuses-lib": Case({"boards/b.py": "from dashboards import lib\n\nDASHBOARD = lib.dashboard('T')\n"},
                               ("boards/b.py",),
                               "boards/b.py:3: error[dashboard/load]: running it raised `TypeError`: dashboard() "
                               "missing 4 required keyword-only arguments: 'uid', 'tags', 'job_metric', and 'rows'"),
    "python-exits": Case({"boards/b.py": "import sys\nsys.exit(3)\n"}, ("boards/b.py",),
                         "boards/b.py:2: error[dashboard/load]: running it raised `SystemExit`: 3"),
    "python-syntax": Case({"boards/b.py": "x = 1\nDASHBOARD = (\n"}, ("boards/b.py",),
                          "boards/b.py:2:13: error[dashboard/load]: not valid Python: '(' was never closed"),
    "python-nul": Case({"boards/b.py": "x = 1\x00\n"}, ("boards/b.py",),
                       "boards/b.py: error[dashboard/load]: not valid Python: source code string cannot contain "
                       "null bytes"),
    "python-no-dashboard": Case({"boards/b.py": "BOARD = None\n"}, ("boards/b.py",),
                                "boards/b.py: error[dashboard/load]: defines no module-level `DASHBOARD`; assign it "
                                "`lib.dashboard(...)` of `dashboards.lib`"),
    "python-wrong-dashboard": Case({"boards/b.py": "DASHBOARD = {'title': 'T'}\n"}, ("boards/b.py",),
                                   "boards/b.py: error[dashboard/load]: `DASHBOARD` is a `dict`, not the "
                                   "`lib.dashboard(...)` of `dashboards.lib`"),
    "python-unknown-metric": Case(
        {"boards/b.py": "from dashboards import lib\n\nDASHBOARD = lib.dashboard(\n"
                        "    'T', uid='t', tags=(), job_metric='svc_requests',\n"
                        "    rows=(lib.row('R', (lib.timeseries('P', lib.rate('svc_request')),)),),\n)\n"},
        ("boards/b.py",),
        'boards/b.py:5: error[dashboard/unknown-metric]: panel "P" references `svc_request`, which is not in the '
        "contract; did you mean `svc_requests`?"),
    "yaml-not-a-mapping": Case({"boards/b.yaml": "- title: T\n"}, ("boards/b.yaml",),
                               "boards/b.yaml:1:1: error[dashboard/load]: a dashboard file is a YAML mapping with "
                               "`title` and `rows`"),
    "yaml-empty": Case({"boards/b.yml": "\n"}, ("boards/b.yml",),
                       "boards/b.yml:1:1: error[input/empty]: file is empty"),
    "yaml-unknown-field": Case({"boards/b.yaml": yaml_board() + "colour: red\n"}, ("boards/b.yaml",),
                               "boards/b.yaml:6:1: error[dashboard/schema]: unknown key `colour` in the contract "
                               "(known: title, name, uid, tags, job_metric, rows)"),
    "yaml-missing-rows": Case({"boards/b.yaml": "title: T\n"}, ("boards/b.yaml",),
                              "boards/b.yaml:1:1: error[dashboard/schema]: the contract needs `rows` (a list of "
                              "mappings)"),
    "yaml-field-of-another-kind": Case(
        {"boards/b.yaml": yaml_board("{title: P, kind: rate, metric: svc_requests, window: 5m}")}, ("boards/b.yaml",),
        "boards/b.yaml:5:62: error[dashboard/schema]: `window` of item 1 of `panels` of item 1 of `rows`: a "
        "`rate` panel takes no `window` (its own fields: `by`, `legend`)"),
    "yaml-bad-window": Case(
        {"boards/b.yaml": yaml_board("{title: P, kind: increase, metric: svc_requests, window: 5 minutes}")},
        ("boards/b.yaml",),
        "boards/b.yaml:5:66: error[dashboard/schema]: `window` of item 1 of `panels` of item 1 of `rows`: "
        "`5 minutes` is not a PromQL duration like 5m or 1h, nor `$__range`"),
    "yaml-unknown-kind": Case(
        {"boards/b.yaml": yaml_board("{title: P, kind: pie, metric: svc_requests}")}, ("boards/b.yaml",),
        "boards/b.yaml:5:26: error[dashboard/schema]: `pie` is not a valid `kind` of item 1 of `panels` of item "
        "1 of `rows` (known: rate, increase, quantiles, gauge, heatmap, stat)"),
    "yaml-unknown-metric": Case({"boards/b.yaml": yaml_board("{title: P, kind: rate, metric: svc_request}")},
                                ("boards/b.yaml",),
                                'boards/b.yaml:5:9: error[dashboard/unknown-metric]: panel "P" references '
                                "`svc_request`, which is not in the contract; did you mean `svc_requests`?"),
    "yaml-too-deep": Case({"boards/b.yaml": "title: T\nrows: " + "[" * 70 + "]" * 70 + "\n"}, ("boards/b.yaml",),
                          "boards/b.yaml:2:71: error[input/too-deep]: nesting deeper than 64 levels"),
    "section-unknown-label": Case(
        {}, (), 'c.yaml:28:13: error[dashboard/unknown-label]: panel "P" groups `svc_requests` by `path`, which is '
        "not one of its labels (`code`)",
        section("  - title: T\n    rows:\n      - title: R\n        panels:\n"
                "          - {title: P, kind: rate, metric: svc_requests, by: [path]}\n")),
    "section-wrong-type-for-kind": Case(
        {}, (), 'c.yaml:28:13: error[dashboard/metric-type]: panel "P" asks for the buckets of `svc_requests`, a '
        "counter; that needs a histogram",
        section("  - title: T\n    rows:\n      - title: R\n        panels:\n"
                "          - {title: P, kind: heatmap, metric: svc_requests}\n")),
    "section-legend-label": Case(
        {}, (), 'c.yaml:28:13: error[dashboard/legend-label]: panel "P" legend `{{code}}` names `code`, which the '
        "query on `svc_requests` does not keep (it keeps: no labels)",
        section("  - title: T\n    rows:\n      - title: R\n        panels:\n"
                "          - {title: P, kind: rate, metric: svc_requests, legend: '{{code}}'}\n")),
    "section-unknown-job-metric": Case(
        {}, (), 'c.yaml:25:17: error[dashboard/unknown-metric]: dashboard "T" (job variable) references `svc_req`, '
        "which is not in the contract; did you mean `svc_requests`?",
        section("  - title: T\n    job_metric: svc_req\n    rows:\n      - title: R\n        panels:\n"
                f"          - {GOOD_PANEL}\n")),
    "section-missing-rows": Case(
        {}, (), "c.yaml:24:5: error[contract/schema]: item 1 of `dashboards` needs `rows` (a list of mappings)",
        section("  - title: T\n")),
    "section-bad-quantile": Case(
        {}, (), "c.yaml:28:81: error[contract/schema]: `quantiles` of item 1 of `panels` of item 1 of `rows` of item 1 "
        "of `dashboards`: quantiles lie strictly between 0 and 1, like 0.5 or 0.99",
        section("  - title: T\n    rows:\n      - title: R\n        panels:\n"
                "          - {title: P, kind: quantiles, metric: svc_latency_seconds, quantiles: [50, 99]}\n")),
    "section-bad-name": Case(
        {}, (), "c.yaml:25:11: error[contract/schema]: `name` of item 1 of `dashboards`: `../x` is not a file name of "
        "letters, digits, `.`, `_` and `-` (at most 100)",
        section("  - title: T\n    name: ../x\n    rows:\n      - title: R\n        panels:\n"
                f"          - {GOOD_PANEL}\n")),
    "duplicate-name": Case(
        {"boards/main.yaml": yaml_board()}, ("boards/main.yaml",),
        "c.yaml:24:5: error[dashboard/duplicate-name]: dashboard `grafana/main.json` is also rendered from "
        "`boards/main.yaml`; give one of them another name",
        section("  - title: Other\n    name: main\n    rows:\n      - title: R\n        panels:\n"
                f"          - {GOOD_PANEL}\n")),
    "duplicate-name-in-section": Case(
        {}, (), "c.yaml:29:5: error[dashboard/duplicate-name]: dashboard `grafana/t.json` is also rendered from "
        "`c.yaml:24`; give one of them another name",
        section(("  - title: T\n    rows:\n      - title: R\n        panels:\n"
                 f"          - {GOOD_PANEL}\n") * 2)),
    "duplicate-uid": Case(
        {"boards/a.yaml": yaml_board(head="title: A\nuid: same\n"),
         "boards/b.yaml": yaml_board(head="title: B\nuid: same\n")}, ("boards/a.yaml", "boards/b.yaml"),
        "boards/b.yaml:1:1: error[dashboard/duplicate-uid]: dashboard uid `same` is also the uid of `boards/a.yaml`; "
        "Grafana would show only one of them"),
}


def _tree(root: Path) -> dict[str, bytes | None]:
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None) for p in root.rglob("*")}


def _project(root: Path, case: Case) -> None:
    (root / "c.yaml").write_text(case.contract, encoding="utf-8")
    for rel, text in case.files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    listed = ", ".join(f'"{f}"' for f in case.configured)
    (root / "pyproject.toml").write_text(f'[tool.metrics-contract]\ncontract = "c.yaml"\nout = "out"\n'
                                         f"dashboards = [{listed}]\n", encoding="utf-8")


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_dashboard_input(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES[name]
    _project(tmp_path, case)
    monkeypatch.chdir(tmp_path)
    before = _tree(tmp_path)
    assert main(["generate"]) == 2
    out = capsys.readouterr()
    assert LINE.match(out.err), out.err
    assert "Traceback" not in out.err + out.out
    assert out.err == case.expected + "\n"
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("command", [["check"], ["docs", "--output", "-"]])
@pytest.mark.parametrize("name", ["python-raises", "yaml-unknown-metric", "section-unknown-label"])
def test_check_and_docs_render_the_configured_dashboards_too(name: str, command: list[str], tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES[name]
    _project(tmp_path, case)
    monkeypatch.chdir(tmp_path)
    before = _tree(tmp_path)
    assert main([*command, "--no-cache"] if command == ["check"] else command) == 2
    out = capsys.readouterr()
    assert out.err == case.expected + "\n"
    assert out.out == ""
    assert _tree(tmp_path) == before


@pytest.mark.parametrize(("name", "source", "expected"), [
    # Python's own recursion limit, not a C stack overflow
    ("recursion", "def f(n):\n    return f(n + 1)\n\n\nDASHBOARD = f(0)\n",
     "boards/b.py:2: error[dashboard/load]: running it raised `RecursionError`: maximum recursion depth exceeded"),
    ("deep-literal", "DASHBOARD = " + "[" * 5000 + "]" * 5000 + "\n",
     "boards/b.py:1:213: error[dashboard/load]: not valid Python: too many nested parentheses"),
])
def test_a_python_dashboard_cannot_crash_the_interpreter(name: str, source: str, expected: str,
                                                         tmp_path: Path) -> None:
    _project(tmp_path, Case({"boards/b.py": source}, ("boards/b.py",), expected))
    proc = subprocess.run([sys.executable, "-m", "generators", "generate"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr == expected + "\n"
    assert not (tmp_path / "out").exists()
