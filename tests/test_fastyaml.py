"""The rule-file YAML fast path gives exactly what `load_yaml` gives, or steps aside."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from contract import fastyaml
from contract.fastyaml import FastReader, _Fallback
from contract.problems import InputError
from contract.yamlsrc import load_yaml

HANDLED = [
    # plain values read without `FastReader.value`, and their neighbours that are not
    'record: a:b:c\nexpr: x{a="b"} > 0 # note\nfor: 5m\nkeep: yes please\nv: 1.5e3x\nw: x:y\n'
    "a: trailing  \nc: -1\ne: '#'\nf: x#y\n",
    """\
# comment
groups:
- name: a   # trailing comment
  interval: 1m
  rules:
  - record: "job:x:rate5m"
    expr: |
      sum by (job) (
        rate(x_total[5m])
      )

    labels:
      team: 'o''k'
      n: 3
      on_call: yes
      ratio: 0.5
  - alert: X
    expr: >-
      up == 0
      and foo
    for: 5m
    annotations:
      summary: "a \\"b\\" c"
      since: 2021-01-01
  - alert: Y
    expr: up{job="a"} == 0 # trailing
    labels:
      empty: ''
""",
    """\
groups:
  - name: g
    rules:
      - record: r
        expr: x
      - record: s
        expr: |-
          a
           b
      -   record: t
          expr: "x#y"
""",
    "a:\n  - - 1\n    - 2\n  - x\n",
]

FALLS_BACK = [
    "groups:\n- name: g\n  rules:\n  - {record: r, expr: x}\n",   # flow mapping
    "groups: []\n",
    "groups: &g\n  - name: a\n",           # anchor
    "groups:\n- name: a\n  rules: [1, 2]\n",  # flow sequence
    "a: |+\n  kept\n\n",                    # keep chomping
    "a: >\n  folded\n\n  paragraph\n",      # folded with a blank line
    "a: b\n\tc: d\n",                       # tab
    "a:\n  b\n  c\n",                       # multi-line plain scalar
    "a: 1\na: 2\n",                         # duplicate key (load_yaml reports it)
    "---\na: 1\n",                          # document marker
    "a:\n",                                 # empty value
    '"quoted key": 1\n',
    "a: ends:\n",                          # a plain value ending in `:`
    "a: - x\n",                            # a sequence entry where a value was
    "true: 1\n",
]


@pytest.mark.parametrize("text", HANDLED + FALLS_BACK)
def test_same_as_load_yaml(text: str) -> None:
    try:
        expected = load_yaml("f.yml", text)
    except InputError as exc:
        with pytest.raises(InputError) as got:
            fastyaml.load("f.yml", text)
        assert got.value.problems == exc.problems
        return
    value, smap = fastyaml.load("f.yml", text)
    assert value == expected[0]
    assert smap.values == expected[1].values
    assert smap.keys == expected[1].keys


@pytest.mark.parametrize("text", HANDLED)
def test_fast_path_is_taken(text: str) -> None:
    FastReader(text).run()


@pytest.mark.parametrize("text", FALLS_BACK)
def test_falls_back(text: str) -> None:
    with pytest.raises(_Fallback):
        FastReader(text).run()


_text = st.text(st.sampled_from('abc_x:01 (){}[]"\'#|>-=~!,.*\\\n'), max_size=40) | st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)
_word = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
_rule = st.fixed_dictionaries({"record": _word, "expr": _text},
                              optional={"labels": st.dictionaries(_word, _text | st.integers(), min_size=1, max_size=3),
                                        "annotations": st.dictionaries(_word, _text, min_size=1, max_size=2)})
_rules = st.fixed_dictionaries({"groups": st.lists(
    st.fixed_dictionaries({"name": _word, "rules": st.lists(_rule, min_size=1, max_size=4)}), min_size=1, max_size=3)})


@given(_rules, st.sampled_from([None, None, None, "|", '"', "'"]), st.integers(2, 4), st.booleans(),
       st.sampled_from([40, 4096]))
def test_fuzz_rule_files(data: dict, style: str | None, indent: int, indentless: bool, width: int) -> None:
    text = yaml.safe_dump(data, default_style=style, indent=indent, sort_keys=False, allow_unicode=True, width=width)
    if indentless:
        text = text.replace("\n" + " " * indent + "- ", "\n- ")
    try:
        expected = load_yaml("f.yml", text)
    except InputError:
        return
    value, smap = fastyaml.load("f.yml", text)
    assert value == expected[0]
    assert (smap.values, smap.keys) == (expected[1].values, expected[1].keys)


_STR = "tag:yaml.org,2002:str"
# YAML 1.1's spellings of bools and nulls, including some PyYAML does not take
_SPELLINGS = ("y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF null Null NULL ~ "
              "yES tRUE nULL Nope onward offset nullable truth falsey").split()


def test_maybe_typed_follows_pyyaml_resolvers() -> None:
    table = yaml.resolver.Resolver.yaml_implicit_resolvers
    assert set(table) - {c for c in table if c.isalpha()} - {""} == fastyaml._SYMBOLIC
    resolver = yaml.resolver.Resolver()
    for word in fastyaml._WORDS:
        assert resolver.resolve(yaml.ScalarNode, word, (True, False)) != _STR, word  # type: ignore[no-untyped-call]


_symbolic = st.text(st.sampled_from(sorted(fastyaml._SYMBOLIC_CHARS) + list("msh")), min_size=1, max_size=14)


@given(st.sampled_from(_SPELLINGS) | _symbolic | st.text(min_size=1, max_size=12))
def test_what_is_not_maybe_typed_is_a_string(plain: str) -> None:
    if not fastyaml.maybe_typed(plain):
        assert yaml.resolver.Resolver().resolve(yaml.ScalarNode, plain, (True, False)) == _STR  # type: ignore[no-untyped-call]


def test_a_rule_file_of_strings_does_not_import_pyyaml() -> None:
    text = "groups:\n- name: g\n  rules:\n  - alert: a\n    expr: up == 0\n    for: 5m\n    labels:\n      x: \"y\"\n"
    script = (f"import sys; from contract import fastyaml; fastyaml.FastReader({text!r}).run(); "
              "print(sys.modules.get('yaml'))")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "None"
