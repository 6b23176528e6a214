"""Every PromQL expression of a dashboard or rule file, located: `load_source` tells which a file is.

A JSON object with `panels` or `rows` (or the HTTP API's `{"dashboard":
...}`) is a Grafana dashboard (`contract.promql.grafana`); anything else
promtool would load as rules (a YAML or JSON mapping with a `groups` list,
an empty file, `{}`, Kubernetes `PrometheusRule` resources) is a Prometheus
rule file (`contract.promql.rulefile`).
"""

from __future__ import annotations

from contract.loader import load_yaml_all, read_text
from contract.problems import InputError, input_error
from contract.promql import rulefile
from contract.promql.expression import Source


def load_source(file: str, data: bytes | None = None) -> Source:
    text = read_text(file, data)
    head = text.lstrip("\ufeff \t\r\n")[:1]
    if head == "{":
        # here, not at the top: a run over rule files only never reads a dashboard
        from contract.promql import grafana

        source = grafana.read_dashboard(file, text)
        if source is not None:
            return source
    if head != "[":
        documents = load_yaml_all(file, text)
        rules = rulefile.read_rule_file(file, text, documents)
        if rules is not None:
            return rules
        value = documents[0][0]
        if len(documents) == 1 and isinstance(value, dict) and "contract" in value:
            raise input_error(file, "input/unknown-file-kind", "is a contract, not a dashboard or rule file; give the "
                              "contract as the first argument", 1, 1)
    raise _unknown(file)


def _unknown(file: str) -> InputError:
    return input_error(file, "input/unknown-file-kind", "is neither a Grafana dashboard (JSON with `panels`) nor a "
                       "Prometheus rule file (YAML with `groups`)", 1, 1)
