"""A label's `map:`: a shape that is neither a table nor a list of ranges is one located line and exit 2, with
nothing written; a map that records values outside the closed set, overlapping ranges, and a constant that a map
turns into a value outside the set are located problems (exit 1), and `generate` writes nothing either."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generators.cli import main
from tests.test_bad_input import LINE

CONTRACT = """\
contract: 1
service: svc
namespace: svc
exposition: [prometheus-client, otel-collector]
metrics:
  - name: svc_requests
    type: counter
    unit: "{{request}}"
    help: Requests
    labels:
      - name: status
        values: [2xx, 4xx, 5xx]
{map}
events:
  - event: Done
    ops:
      - {{metric: svc_requests, add: 1, labels: {{status: {constant}}}}}
"""
SUBJECT = "metric `svc_requests` label `status`"
RANGES = "neither a table like `{\"200\": ok}` nor a list of ranges like `[{from: 500, to: 599, value: 5xx}]`"

# the `map:` line (line 13 of the contract), and the one problem it makes: its column, its message
SCHEMA = {
    "scalar": ("        map: 5xx", 14, f"`map` of {SUBJECT}: {RANGES}"),
    "empty-table": ("        map: {}", 14, f"`map` of {SUBJECT}: a map needs at least one entry"),
    "empty-ranges": ("        map: []", 14, f"`map` of {SUBJECT}: a map needs at least one entry"),
    "boolean-key": ("        map: {yes: 2xx}", 14, f"`map` of {SUBJECT}: key `true` is read as a boolean; quote it"),
    "key-twice": ('        map: {200: 2xx, "200": 4xx}', 14,
                  f"`map` of {SUBJECT}: key `200` appears twice (a number key is its digits)"),
    "number-value": ('        map: {"200": 2}', 22,
                     f"{SUBJECT} map entry `200` must be a string, not the number `2`; quote it: `\"2\"`"),
    "list-value": ('        map: {"200": [2xx]}', 22, f"{SUBJECT} map entry `200` must be a string, not a list"),
    "range-not-a-mapping": ("        map: [500]", 15,
                            f"{SUBJECT} map range 1 must be a mapping with `from`, `to` and `value`, not the number "
                            "`500`"),
    "range-misspelt": ("        map: [{form: 500, to: 599, value: 5xx}]", 16,
                       f"unknown key `form` in {SUBJECT} map range 1; did you mean `from`?"),
    "range-without-value": ("        map: [{from: 500, to: 599}]", 15,
                            f"{SUBJECT} map range 1 needs `value` (a string)"),
    "range-not-a-number": ("        map: [{from: five, to: 599, value: 5xx}]", 22,
                           f"`from` of {SUBJECT} map range 1 must be a number, not `five`"),
    "range-reversed": ("        map: [{from: 599, to: 500, value: 5xx}]", 15,
                       f"{SUBJECT} map range 1: `from` (599) must not be more than `to` (500)"),
    "range-infinite": ("        map: [{from: 500, to: .inf, value: 5xx}]", 15,
                       f"{SUBJECT} map range 1: `from` and `to` must be finite numbers"),
}


def _contract(tmp_path: Path, map_line: str, constant: str = "{field: status}") -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(CONTRACT.format(map=map_line, constant=constant), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["validate", "generate"])
@pytest.mark.parametrize("case", sorted(SCHEMA))
def test_a_map_of_the_wrong_shape_is_one_located_line(case: str, command: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    line, column, message = SCHEMA[case]
    path = _contract(tmp_path, line)
    argv = [command, str(path)] + (["--out", str(tmp_path / "out")] if command == "generate" else [])
    assert main(argv) == 2
    out = capsys.readouterr()
    assert out.err == f"{path}:13:{column}: error[contract/schema]: {message}\n"
    assert LINE.match(out.err)
    assert "Traceback" not in out.err + out.out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


# ── problems of `contract/label-map` and `contract/event-labels` ───────────────

# the `map:` line, the label's source in the event, and the problems: (line, text the column points at, check, message)
PROBLEMS = {
    "table-records-outside-the-set": (
        '        map: {"200": 2xx, "404": missing}', "{field: status}",
        [(13, "missing", "label-map", "map of label `status` of `svc_requests` records `missing`, which is not in "
                                      "its closed set `2xx`, `4xx`, `5xx`, `other`")]),
    "range-records-outside-the-set": (
        "        map: [{from: 200, to: 299, value: 2xx}, {from: 300, to: 399, value: 3xx}]", "{field: status}",
        [(13, "3xx", "label-map", "map of label `status` of `svc_requests` records `3xx`, which is not in its "
                                  "closed set `2xx`, `4xx`, `5xx`, `other`")]),
    "ranges-overlap": (
        "        map: [{from: 400, to: 599, value: 4xx}, {from: 500, to: 599, value: 5xx}]", "{field: status}",
        [(13, "{from: 500", "label-map", "map range 2 of label `status` of `svc_requests` overlaps range 1")]),
    "ranges-inside-an-earlier-one": (
        "        map: [{from: 0, to: 999, value: 2xx}, {from: 200, to: 299, value: 2xx}, "
        "{from: 300, to: 399, value: 4xx}]", "{field: status}",
        [(13, "{from: 200", "label-map", "map range 2 of label `status` of `svc_requests` overlaps range 1"),
         (13, "{from: 300", "label-map", "map range 3 of label `status` of `svc_requests` overlaps range 1")]),
    "constant-mapped-outside-the-set": (
        '        map: {"404": other}', '{value: "404"}',
        [(17, '"404"}', "event-labels", "value `404` (mapped to `other`) of label `status` is not in its closed "
                                        "set `2xx`, `4xx`, `5xx`")]),
}


@pytest.mark.parametrize("case", sorted(PROBLEMS))
def test_a_map_that_records_what_the_set_forbids_is_a_located_problem(case: str, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    line, constant, problems = PROBLEMS[case]
    path = _contract(tmp_path, line, constant)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr()
    lines = path.read_text().splitlines()
    assert out.out.splitlines() == [f"{path}:{row}:{lines[row - 1].index(at) + 1}: error[contract/{check}]: {message}"
                                    for row, at, check, message in problems]
    assert main(["generate", str(path), "--out", str(tmp_path / "out")]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


def test_a_constant_the_map_turns_into_a_closed_value_is_fine(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = _contract(tmp_path, '        map: {"404": 4xx}', '{value: "404"}')
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out == ""


def test_a_huge_map_is_no_crash(tmp_path: Path) -> None:
    # 20,000 table entries and as many ranges, in a subprocess: a crash would be a signal, not exit 2
    table = ", ".join(f'"{n}": 2xx' for n in range(20_000))
    ranges = ", ".join(f"{{from: {n}, to: {n}, value: 4xx}}" for n in range(20_000))
    for line in (f"        map: {{{table}}}", f"        map: [{ranges}]"):
        path = _contract(tmp_path, line)
        run = subprocess.run([sys.executable, "-m", "generators", "generate", str(path), "--out",
                              str(tmp_path / "out")], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                             check=False)
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr
