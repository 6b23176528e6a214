"""Reading expositions: the text format and OpenMetrics line by line, and the format an endpoint answers in."""

from __future__ import annotations

import contextlib
import http.server
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.live.exposition import parse
from contract.loader import load_contract
from generators.cli import main
from tests.conftest import SHOP_HEAD, contract_from, exposing, serving

# (case, exposition, format given (None: judged by the text), {family: (type, help, [(series, labels, value)])})
ACCEPTED = [
    ("openmetrics-exemplar",
     '# TYPE shop_orders counter\nshop_orders_total{method="GET"} 3.0 # {trace_id="abc123"} 1.0 1700000000.123\n'
     "# EOF\n", None,
     {"shop_orders": ("counter", "", [("shop_orders_total", {"method": "GET"}, 3.0)])}),
    ("openmetrics-exemplar-without-timestamp",
     '# TYPE shop_wait_seconds histogram\nshop_wait_seconds_bucket{le="+Inf"} 2 # {trace_id="a}b"} 0.5\n'
     "shop_wait_seconds_count 2\n# EOF\n", None,
     {"shop_wait_seconds": ("histogram", "", [("shop_wait_seconds_bucket", {"le": "+Inf"}, 2.0),
                                              ("shop_wait_seconds_count", {}, 2.0)])}),
    ("openmetrics-float-timestamp", "# TYPE shop_temp gauge\nshop_temp 20.5 1700000000.5\n# EOF\n", None,
     {"shop_temp": ("gauge", "", [("shop_temp", {}, 20.5)])}),
    ("text-milliseconds-timestamp", "# TYPE shop_temp gauge\nshop_temp 20.5 1700000000500\n", None,
     {"shop_temp": ("gauge", "", [("shop_temp", {}, 20.5)])}),
    ("space-before-brace", '# TYPE shop_queue_depth gauge\nshop_queue_depth {queue="slow"} 2\n', None,
     {"shop_queue_depth": ("gauge", "", [("shop_queue_depth", {"queue": "slow"}, 2.0)])}),
    ("backslash-before-n", '# HELP shop_dir Dir C:\\\\new\nshop_dir{path="C:\\\\new"} 1\n', None,
     {"shop_dir": ("untyped", "Dir C:\\new", [("shop_dir", {"path": "C:\\new"}, 1.0)])}),
    ("escapes", '# HELP shop_x a\\nb \\"q\\" \\t\nshop_x{v="a\\"b\\nc\\\\"} 1\n', None,
     {"shop_x": ("untyped", 'a\nb "q" \\t', [("shop_x", {"v": 'a"b\nc\\'}, 1.0)])}),
    ("brace-inside-a-value", 'shop_x{v="}"} 1\n', None, {"shop_x": ("untyped", "", [("shop_x", {"v": "}"}, 1.0)])}),
    # OpenMetrics as an endpoint answers it: `# UNIT` lines, `_created` in the family, no newline after `# EOF`
    ("openmetrics-from-content-type",
     "# HELP shop_orders Orders.\n# TYPE shop_orders counter\n# UNIT shop_orders \nshop_orders_total 1.0\n"
     "shop_orders_created 1.7e+09\n# TYPE shop_build info\nshop_build_info{version=\"1.2\"} 1.0\n"
     "# TYPE shop_state stateset\nshop_state{shop_state=\"idle\"} 1.0\nshop_state{shop_state=\"busy\"} 0.0\n# EOF",
     True,
     {"shop_orders": ("counter", "Orders.", [("shop_orders_total", {}, 1.0), ("shop_orders_created", {}, 1.7e9)]),
      "shop_build": ("info", "", [("shop_build_info", {"version": "1.2"}, 1.0)]),
      "shop_state": ("stateset", "", [("shop_state", {"shop_state": "idle"}, 1.0),
                                      ("shop_state", {"shop_state": "busy"}, 0.0)])}),
    # a text-format answer that happens to end with `# EOF`: a comment there
    ("text-from-content-type", "shop_x 1\n# EOF\n", False, {"shop_x": ("untyped", "", [("shop_x", {}, 1.0)])}),
]


@pytest.mark.parametrize(("case", "text", "openmetrics", "expected"), ACCEPTED, ids=[c for c, _, _, _ in ACCEPTED])
def test_accepted_lines(case: str, text: str, openmetrics: bool | None,
                        expected: dict[str, tuple[str, str, list[tuple[str, dict[str, str], float]]]]) -> None:
    families = parse(text, "e.prom", openmetrics)
    assert {name: (f.type, f.help, [s[:3] for s in f.samples]) for name, f in families.items()} == expected


class _Static(http.server.BaseHTTPRequestHandler):
    """Answers every GET with the server's `body` and `content_type`."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body: bytes = self.server.body  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", self.server.content_type)  # type: ignore[attr-defined]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


@contextlib.contextmanager
def static(body: str, content_type: str = "text/plain; version=0.0.4; charset=utf-8") -> Iterator[str]:
    """`body` served at every path of a loopback HTTP server; yields its /metrics URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Static)
    server.body = body.encode("utf-8")  # type: ignore[attr-defined]
    server.content_type = content_type  # type: ignore[attr-defined]
    with serving(server) as address:
        yield f"http://{address}/metrics"


INFO_AND_ENUM = SHOP_HEAD + """\
  - {name: shop_build, type: info, unit: "", help: Build, labels: [{name: version}]}
  - {name: shop_state, type: stateset, unit: "", help: State, labels: [{name: shop_state, values: [idle, busy]}]}
"""


@pytest.fixture
def info_and_enum() -> Iterator[str]:
    """prometheus_client's Info and Enum (what the generated module uses for `info` and `stateset`), served by its
    own HTTP server; yields the /metrics URL."""
    from prometheus_client import CollectorRegistry, Enum, Info

    registry = CollectorRegistry()
    Info("shop_build", "Build", registry=registry).info({"version": "1.2"})
    Enum("shop_state", "State", states=["idle", "busy"], registry=registry).state("busy")
    with exposing(registry) as url:
        yield url


def test_live_check_reads_info_and_stateset_as_openmetrics(info_and_enum: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    lc = contract_from(tmp_path, INFO_AND_ENUM)
    assert main(["live-check", lc.file, "--metrics-url", info_and_enum]) == 0
    assert capsys.readouterr() == ("", "")


def test_import_reads_info_and_stateset_as_openmetrics(info_and_enum: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c.yaml"
    assert main(["import", "--metrics-url", info_and_enum, "--output", str(out)]) == 0
    assert capsys.readouterr() == ("", "")
    metrics = load_contract(str(out)).contract.metrics
    assert [(m.name, m.type, m.help, [(label.name, label.values) for label in m.labels]) for m in metrics] == [
        ("shop_build", "info", "Build", [("version", None)]),
        ("shop_state", "stateset", "State", [("shop_state", ("busy", "idle"))]),
    ]


def test_a_text_format_answer_is_read_as_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What an endpoint that does not speak OpenMetrics answers: both types written as gauges."""
    lc = contract_from(tmp_path, INFO_AND_ENUM)
    text = ('# TYPE shop_build_info gauge\nshop_build_info{version="1.2"} 1.0\n'
            '# TYPE shop_state gauge\nshop_state{shop_state="idle"} 0.0\nshop_state{shop_state="busy"} 1.0\n')
    with static(text) as url:
        assert main(["live-check", lc.file, "--metrics-url", url]) == 1
    assert capsys.readouterr() == (
        f"{url}:2: error[live/type-mismatch]: `shop_build_info` is a gauge, the contract declares a info "
        "(info `shop_build`)\n"
        f"{url}:4: error[live/type-mismatch]: `shop_state` is a gauge, the contract declares a stateset "
        "(stateset `shop_state`)\n", "")
