"""Bad contract inputs: each one located line on stderr, exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import MINIMAL, ROOT

ALIAS_BOMB = """\
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""

CASES = {
    "empty": (b"", "c.yaml:1:1: error[input/empty]: file is empty"),
    "blank": (b"  \n\n", "c.yaml:1:1: error[input/empty]: file is empty"),
    "not-yaml": (b"contract: 1\nmetrics: [a, b\n",
                 "c.yaml:3:1: error[input/yaml]: not valid YAML: did not find expected ',' or ']'"),
    "not-a-mapping": (b"- a\n- b\n",
                      "c.yaml:1:1: error[contract/shape]: a contract is a YAML mapping with `contract: 1` at the top"),
    "duplicate-key": (MINIMAL.replace("service: svc\n", "service: svc\nservice: other\n").encode(),
                      "c.yaml:3:1: error[input/duplicate-key]: duplicate key `service`"),
    "unknown-field": (MINIMAL.replace("    unit: s\n", "    unit: s\n    colour: red\n").encode(),
                      "c.yaml:16:5: error[contract/schema]: unknown key `colour` in metric `svc_latency_seconds` "
                      "(known: name, type, unit, help, labels, buckets, renamed_from, max_series, group, semconv, "
                      "required)"),
    "wrong-type": (MINIMAL.replace("type: histogram", "type: timer").encode(),
                   "c.yaml:14:11: error[contract/schema]: `timer` is not a metric type (known: counter, "
                   "updowncounter, gauge, histogram, summary, untyped, info, stateset, native_histogram)"),
    "missing-field": (MINIMAL.replace("    help: Latency\n", "").encode(),
                      "c.yaml:13:5: error[contract/schema]: metric `svc_latency_seconds` needs `help` (a string)"),
    "alias-bomb": (ALIAS_BOMB.encode(),
                   "c.yaml:1:24: error[input/alias-bomb]: alias expansion exceeds the size limit"),
    "non-utf8": (b"contract: 1\nservice: caf\xe9\n",
                 "c.yaml:2:13: error[input/encoding]: byte 0xe9 is not valid UTF-8"),
    "python-tag": (b"contract: !!python/object:os.system {}\n",
                   "c.yaml:1:11: error[input/yaml]: unsupported YAML tag `tag:yaml.org,2002:python/object:os.system`"),
    "bad-duration": (MINIMAL.replace("exposition:", "scrape_interval: soon\nexposition:").encode(),
                     "c.yaml:4:18: error[contract/schema]: `scrape_interval`: `soon` is not a duration like 15s, "
                     "500ms, 1m or 1h30m"),
    "op-two-operations": (MINIMAL.replace("add: 1, labels", "add: 1, set: 2, labels").encode(),
                          "c.yaml:21:9: error[contract/schema]: event `Done` op 1: an op takes exactly one of "
                          "`add`, `record` or `set`"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_located_line(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    data, expected = CASES[case]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_bytes(data)
    assert main(["validate", "c.yaml"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == expected + "\n"


def test_missing_file_and_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "nope.yaml"]) == 2
    assert capsys.readouterr().err == "nope.yaml: error[input/not-found]: no such file\n"
    (tmp_path / "d").mkdir()
    assert main(["validate", "d"]) == 2
    assert capsys.readouterr().err == "d: error[input/not-a-file]: is a directory, not a file\n"


def test_recursive_alias_is_rejected_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text("a: &a [*a]\n")
    assert main(["validate", "c.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("c.yaml:1:") and "error[input/" in err and err.count("\n") == 1


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_bytes(b"\xff\xfe\x00")
    proc = subprocess.run([sys.executable, "-m", "generators", "validate", str(bad)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr == f"{bad}:1:1: error[input/encoding]: byte 0xff is not valid UTF-8\n"


def test_merge_keys_and_positions(tmp_path: Path) -> None:
    from contract.loader import load_yaml

    value, smap = load_yaml("x.yaml", "base: &b {a: 1, b: 2}\nitem:\n  <<: *b\n  b: 3\n")
    assert value == {"base": {"a": 1, "b": 2}, "item": {"a": 1, "b": 3}}
    assert smap.position(("item", "b")) == (4, 6)
    assert smap.locate(("item", "b"), key=True) == (4, 3)
    assert smap.position(("item", "a")) == (1, 14)        # merged: where the anchored mapping wrote it
    assert smap.position(("item", "c")) is None
    assert smap.locate(("item", "c", 0)) == (3, 3)         # the nearest ancestor the document has


# thousands of `[` inside a string are no nesting, yet they make the loader count nesting on libyaml's events
# before composing; without them it composes at once and the conversion counts: both find the same limit
@pytest.mark.parametrize("padding", [0, 6000])
@pytest.mark.parametrize("levels", [64, 65])
def test_the_yaml_nesting_limit_is_the_same_either_way(levels: int, padding: int) -> None:
    from contract.loader import load_yaml
    from contract.problems import InputError

    text = "a: " + "[" * levels + "]" * levels + "\nb: '" + "[" * padding + "'\n"
    if levels == 64:   # the root mapping, then 64 levels below it
        value, _ = load_yaml("x.yaml", text)
        assert value["b"] == "[" * padding
        return
    with pytest.raises(InputError) as exc:
        load_yaml("x.yaml", text)
    assert [p.text() for p in exc.value.problems] == ["x.yaml:1:68: error[input/too-deep]: nesting deeper than 64 "
                                                      "levels"]


@pytest.mark.parametrize(("text", "expected"), [
    # a sequence at its key's indentation is a level of its own, as libyaml composes it
    ("".join("  " * i + "- a:\n" for i in range(40)) + "  " * 40 + "- x\n",
     "x.yaml:33:67: error[input/too-deep]: nesting deeper than 64 levels"),
    ("- " * 6000 + "x\n", "x.yaml:1:131: error[input/too-deep]: nesting deeper than 64 levels"),
    ("{a: " * 6000 + "1" + "}" * 6000 + "\n", "x.yaml:1:261: error[input/too-deep]: nesting deeper than 64 levels"),
])
def test_yaml_nested_past_the_limit_is_located(text: str, expected: str) -> None:
    from contract.loader import load_yaml
    from contract.problems import InputError

    with pytest.raises(InputError) as exc:
        load_yaml("x.yaml", text)
    assert [p.text() for p in exc.value.problems] == [expected]


def test_json_nesting_is_counted_outside_strings() -> None:
    from contract.loader import check_json_nesting
    from contract.problems import InputError

    check_json_nesting("d.json", '{"a": "' + "[" * 1000 + '", "b": "\\"[[[[", "c": ' + "[" * 255 + "]" * 255 + "}")
    with pytest.raises(InputError) as exc:
        check_json_nesting("d.json", '{"a":\n ' + "[" * 256 + "]" * 256 + "}")
    assert [p.text() for p in exc.value.problems] == ["d.json:2:257: error[input/too-deep]: nesting deeper than 256 "
                                                      "levels"]
