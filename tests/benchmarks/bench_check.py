"""`check` speed: four budgets, each next to a baseline measured in the same run.

a. This repository after one panel of `out/grafana/qortex.json` is edited,
   the contract cached (as on every commit but the first): median wall time,
   budget <= 150 ms, with its ratio to `promtool check rules` on the
   repository's rule file.
b. The same with nothing cached (`--no-cache`: the contract is validated and
   every output rendered): budget <= 600 ms, with its ratio to promtool.
c. A 10,000-rule file, nothing cached: budget <= 3x `promtool check rules`
   on the same file.
d. In one process, dashboards holding 10,000 and 100,000 expressions: µs
   per expression for extraction plus every check, budget <= 60, next to
   promql_parser's parse alone on the same texts; the growth from 10k to
   100k shows whether the cost is linear (1.00).

Runs a-c use a copy of the repository's contract and out dir in a temporary
directory, so the working tree is never touched. Commands run in turn, not
in blocks, and each figure is the median of its runs: a slow spell of the
machine then slows every command alike and the ratios hold. Processes run
with PYTHONDONTWRITEBYTECODE removed, as a user's Python caches bytecode.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CHECK = str(ROOT / ".venv" / "bin" / "metrics-contract")
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
METRICS = 300   # the synthetic contract of c and d


def contract_text(n: int = METRICS) -> str:
    lines = ["contract: 1", "service: bench", "namespace: bench", "scrape_interval: 15s",
             "exposition: [prometheus-client, otel-collector]", "metrics:"]
    for i in range(n):
        kind = ("counter", "gauge", "histogram")[i % 3]
        lines += [f"  - name: bench_m{i}" + ("_seconds" if kind == "histogram" else ""),
                  f"    type: {kind}", "    unit: " + ("s" if kind == "histogram" else '"{item}"'),
                  f"    help: metric {i}", "    labels:", "      - name: mode", "        values: [a, b]",
                  "      - name: route"]
        if kind == "histogram":
            lines.append("    buckets: [0.1, 1.0]")
    return "\n".join(lines) + "\n"


def expression(i: int) -> tuple[str, str]:
    """The i-th panel target (expr, legend); every text differs from every other."""
    m, n = (i * 7) % METRICS, i // METRICS
    kind = m % 3
    if kind == 0:
        return (f'sum by (mode) (rate(bench_m{m}_total{{job=~"$job", mode="a"}}[{n + 1}m]))', "{{mode}}")
    if kind == 1:
        return f'avg by (route) (bench_m{m}{{mode=~"a|b"}}) > {n}', "{{route}}"
    return (f"histogram_quantile(0.9{n}, sum by (le, route) (rate(bench_m{m}_seconds_bucket[$__rate_interval])))",
            "{{route}}")


def dashboard(start: int, count: int) -> str:
    panels = []
    for p in range(0, count, 4):
        targets = []
        for k in range(min(4, count - p)):
            expr, legend = expression(start + p + k)
            targets.append({"refId": chr(65 + k), "expr": expr, "legendFormat": legend})
        panels.append({"id": p // 4 + 1, "title": f"panel {p // 4}", "type": "timeseries",
                       "datasource": {"type": "prometheus", "uid": "${DS}"}, "targets": targets,
                       "gridPos": {"h": 8, "w": 12, "x": 0, "y": p}})
    return json.dumps({"title": "bench", "uid": "bench", "panels": panels, "templating": {"list": [
        {"name": "DS", "type": "datasource", "query": "prometheus"},
        {"name": "job", "type": "query", "query": "label_values(up, job)"}]}}, indent=2)


def rule_file(n: int) -> str:
    lines = ["groups:"]
    for g in range(n // 100):
        lines += [f"  - name: bench{g}", "    rules:"]
        for r in range(100):
            i = g * 100 + r
            m = (i * 3) % METRICS   # counters
            lines += [f"      - record: job:bench_m{m}:rate{i}m",
                      f"        expr: sum by (job, mode) (rate(bench_m{m}_total{{mode=\"a\"}}[{i + 1}m]))"]
    return "\n".join(lines) + "\n"


def _env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["METRICS_CONTRACT_CACHE"] = str(cache)
    return env


def _nothing() -> None:
    return None


Command = tuple[list[str], Callable[[], object]]   # argv, what to do before each run


def _medians(runs: int, cwd: Path, env: dict[str, str], *commands: Command) -> list[float]:
    """Median wall time of each command, the commands run in turn `runs` times; exit 0 or 1 (problems) only."""
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for (argv, before), taken in zip(commands, times, strict=True):
            before()
            started = time.perf_counter()
            done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
            taken.append(time.perf_counter() - started)
            if done.returncode not in (0, 1):
                raise SystemExit(f"{argv} exited {done.returncode}: {done.stderr.decode()[:500]}")
    return [statistics.median(taken) for taken in times]


def _verdict(value: float, budget: float) -> str:
    return "within budget" if value <= budget else "OVER BUDGET"


def this_repository(tmp: Path) -> None:
    project = tmp / "repo"
    (project / "contract").mkdir(parents=True)
    shutil.copy(ROOT / "contract" / "qortex.yaml", project / "contract" / "qortex.yaml")
    shutil.copytree(ROOT / "out", project / "out")
    (project / "pyproject.toml").write_text('[tool.metrics-contract]\ncontract = "contract/qortex.yaml"\n'
                                            'out = "out"\n')
    panel_file = project / "out" / "grafana" / "qortex.json"
    original = panel_file.read_text()
    windows = [w for w in ("[5m]", "[1m]", "[$__rate_interval]") if w in original]
    if not windows:
        raise SystemExit("out/grafana/qortex.json has no range window to edit")
    edits = itertools.count(1)

    def edit_one_panel() -> None:
        # one expression changes its window each run, as a commit touching one panel does
        n = next(edits)
        panel_file.write_text(original.replace(windows[0], f"[{n + 5}m]", 1))

    env = _env(tmp / "cache-repo")
    rules = str(project / "out" / "prometheus" / "rules.yml")
    subprocess.run([CHECK, "check"], cwd=project, env=env, capture_output=True, check=False)   # fills the cache
    edited, nothing_cached, promtool, bare = _medians(
        11, project, env, ([CHECK, "check"], edit_one_panel), ([CHECK, "check", "--no-cache"], _nothing),
        ([PROMTOOL, "check", "rules", rules], _nothing), ([PYTHON, "-c", "pass"], _nothing))
    print(f"  baseline: promtool check rules out/prometheus/rules.yml {promtool * 1000:.0f} ms; "
          f"python -c pass {bare * 1000:.0f} ms")
    print(f"  a. one panel edited, contract cached: {edited * 1000:.0f} ms (budget <= 150 ms, "
          f"{_verdict(edited, 0.150)}), {edited / promtool:.1f}x promtool")
    print(f"  b. nothing cached (--no-cache): {nothing_cached * 1000:.0f} ms (budget <= 600 ms, "
          f"{_verdict(nothing_cached, 0.600)}), {nothing_cached / promtool:.1f}x promtool")


def rule_file_versus_promtool(tmp: Path) -> None:
    contract = tmp / "bench.yaml"
    contract.write_text(contract_text())
    rules = tmp / "rules.yml"
    rules.write_text(rule_file(10_000))
    env = _env(tmp / "cache-rules")
    check = [CHECK, "check", str(contract), str(rules)]
    subprocess.run(check, env=env, capture_output=True, check=False)   # fills the cache for the cached figure
    nothing_cached, cached, promtool = _medians(
        5, tmp, env, ([*check, "--no-cache"], _nothing), (check, _nothing),
        ([PROMTOOL, "check", "rules", str(rules)], _nothing))
    ratio = nothing_cached / promtool
    print(f"  c. 10,000 rules, nothing cached: {nothing_cached * 1000:.0f} ms, {ratio:.2f}x promtool's "
          f"{promtool * 1000:.0f} ms (budget <= 3x, {_verdict(ratio, 3.0)}); contract cached "
          f"{cached * 1000:.0f} ms, {cached / promtool:.2f}x")


def _best(run: Callable[[], object], runs: int = 3) -> float:
    """Least wall time of `runs` calls: this machine's noise only ever adds time."""
    times = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def in_process(tmp: Path) -> None:
    import promql_parser

    from contract.cache import ContractCache, validated
    from contract.promql.lint import Linter
    from contract.promql.sources import load_source
    from contract.promql.variables import expand

    contract = tmp / "bench.yaml"
    contract.write_text(contract_text())
    catalog = validated(str(contract), ContractCache(enabled=False)).catalog
    per_expression = {}
    for total in (10_000, 100_000):
        files = []
        for start in range(0, total, 1000):
            path = tmp / f"d{total}_{start}.json"
            path.write_text(dashboard(start, 1000))
            files.append(str(path))
        texts = [expand(expression(i)[0], catalog.scrape_seconds, frozenset({"job"})).text for i in range(total)]
        assert len(set(texts)) == total
        parse = _best(lambda texts=texts: [promql_parser.parse(text) for text in texts]) / total * 1e6

        def run(files: list[str] = files) -> int:
            report = Linter(catalog).check([load_source(f) for f in files])
            assert not report.problems, report.problems[:3]
            return report.expressions

        assert run() == total + len(files)   # each file's `job` variable query is an expression too
        per_expression[total] = _best(run) / total * 1e6
        print(f"  d. {total:>7,} dashboard expressions: {per_expression[total]:.1f} µs each (budget <= 60 µs, "
              f"{_verdict(per_expression[total], 60.0)}); parse alone {parse:.1f} µs, "
              f"{per_expression[total] / parse:.2f}x")
    print(f"     growth 10k -> 100k: {per_expression[100_000] / per_expression[10_000]:.2f}x per expression "
          "(1.00 = linear)")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-check-") as name:
        tmp = Path(name)
        if not Path(PROMTOOL).exists():
            print("  a-c skipped: promtool is not installed (its figures are the baselines)")
        elif not (ROOT / "out" / "prometheus" / "rules.yml").exists():
            print("  a-b skipped: out/ has not been generated yet (run `make dashboards`)")
            rule_file_versus_promtool(tmp)
        else:
            this_repository(tmp)
            rule_file_versus_promtool(tmp)
        in_process(tmp)


if __name__ == "__main__":
    main()
