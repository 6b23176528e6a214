"""`check` speed: per expression in-process, and whole runs against `promtool check rules`.

1. A synthetic contract of 10,000 metrics and dashboards holding 10,000 and
   100,000 expressions: µs per expression for extraction plus every check
   (target <= 40 µs), next to promql_parser's parse alone on the same
   expressions in the same process (best of 3 each, the cyclic garbage
   collector off as in `check`), and the 10k/100k growth (linear: equal
   per-expression cost). Where `check` would split the work between
   processes (`contract/parallel.py`), the split figure is printed too.
2. A 10,000-rule file: `metrics-contract check CONTRACT FILE` as a process
   versus `promtool check rules FILE` (target: wall-time ratio <= 1.5).
3. `metrics-contract check` on this repository (contract checks, freshness,
   out dir) versus `promtool check rules out/prometheus/rules.yml`, median
   of 10 runs (target: ratio <= 1.5).

For 2 and 3 the commands run in turn, and each figure is the median of its
runs. A floor is printed too: a Python process that imports json and
promql_parser and parses the same expressions, and does nothing else. That
is what any checker built on promql_parser pays before reading a file,
following a label or running a check.

For 2 and 3, every run but the very first finds the validated contract in
the contract cache, as every run after the first does. Beyond that:
"unchanged" is a repeated run with nothing changed, which
`generators/check_cache.py` replays; "one rule edited" changes one rule's
expression (as a commit does), so only that expression is checked again and
the others are known clean (`contract.verdicts`); "everything checked" has
no recorded run and no verdicts, so every expression is read, analysed and
checked: the checker's own speed. Processes run with PYTHONDONTWRITEBYTECODE
removed from their environment: users' Python caches bytecode, and without
it every import recompiles from source.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CHECK = str(ROOT / ".venv" / "bin" / "metrics-contract")
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
METRICS = 10_000


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
    """The i-th panel target (expr, legend), each text distinct so nothing is served from a cache."""
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
            m = i - i % 3   # counters
            lines += [f"      - record: job:bench_m{m}:rate5m_{i}",
                      f"        expr: sum by (job, mode) (rate(bench_m{m}_total{{mode=\"a\"}}[5m]))"]
    return "\n".join(lines) + "\n"


def in_process(tmp: Path) -> None:
    import promql_parser
    from contract.parallel import available_cpus, can_fork

    from contract.cache import ContractCache, validated
    from contract.naming import expose
    from contract.promql.lint import Linter, Report
    from contract.promql.sources import load_source

    contract = tmp / "bench.yaml"
    contract.write_text(contract_text())
    started = time.perf_counter()
    validated(str(contract), ContractCache(str(tmp / "cache")))
    built = time.perf_counter() - started
    # as on every run after the first: the catalog from the cache, no pydantic objects around
    expose.cache_clear()
    gc.collect()
    started = time.perf_counter()
    catalog, problems, _ = validated(str(contract), ContractCache(str(tmp / "cache")))
    print(f"  contract: {METRICS} metrics, {len(catalog.series)} series; validated in {built:.1f} s, then "
          f"{(time.perf_counter() - started) * 1000:.0f} ms from the cache ({len(problems)} contract problems)")
    per_expr = {}
    jobs = available_cpus() if can_fork() else 1
    for total in (10_000, 100_000):
        files = []
        for start in range(0, total, 1000):
            path = tmp / f"d{total}_{start}.json"
            path.write_text(dashboard(start, 1000))
            files.append(str(path))
        texts = [expression(i)[0].replace("$__rate_interval", "1m").replace("$job", "x") for i in range(total)]
        assert len(set(texts)) == total
        parse = _best(lambda texts=texts: [promql_parser.parse(text) for text in texts]) / total * 1e6

        def run(files: list[str] = files, jobs: int = 1) -> Report:
            return Linter(catalog).check([load_source(f) for f in files], jobs=jobs)

        report = run()
        assert report.expressions == total + len(files) and not report.problems, report.problems[:3]
        check = _best(run) / total * 1e6
        per_expr[total] = check
        split = ""
        if jobs > 1:
            took = _best(lambda: run(jobs=jobs))
            split = f"; split between {jobs} processes (as `check` does) {took / total * 1e6:5.1f} µs/expr"
        print(f"  {total:>7,} expressions: check {check:5.1f} µs/expr in one process (target <= 40), parse alone "
              f"{parse:5.1f} µs/expr, ratio {check / parse:.2f}{split}")
    print(f"  growth 10k -> 100k: {per_expr[100_000] / per_expr[10_000]:.2f}× per expression (1.00 = linear)")


def _best(run: Callable[[], object], runs: int = 3) -> float:
    """Least wall time of `runs` calls: this machine's noise only ever adds time.

    The cyclic collector is off while a call runs, as it is while `check` runs (`generators/check_cmd.py`).
    """
    times = []
    for _ in range(runs):
        gc.collect()
        gc.disable()
        try:
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        finally:
            gc.enable()
    return min(times)


def _env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["METRICS_CONTRACT_CACHE"] = str(cache)
    return env


def _nothing() -> None:
    return None


def _wall(cmd: list[str], env: dict[str, str], before: Callable[[], object] = _nothing) -> float:
    before()
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed: {done.stderr.decode()[:500]}")
    return elapsed


def _medians(runs: int, env: dict[str, str], *commands: tuple[list[str], Callable[[], object]]) -> list[float]:
    """Median wall time of each (command, what to do before it), the commands run in turn `runs` times.

    In turn, not one after the other: a slow spell of this machine then slows every command alike, and the
    ratios between them hold, where runs in blocks would charge it to whichever command ran at the time.
    """
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for (cmd, before), taken in zip(commands, times, strict=True):
            taken.append(_wall(cmd, env, before))
    return [statistics.median(taken) for taken in times]


FLOOR = "import json, sys, promql_parser\nfor text in json.load(open(sys.argv[1])):\n    promql_parser.parse(text)\n"


def _floor(texts: list[str], tmp: Path, env: dict[str, str]) -> list[str]:
    """A process that only starts Python, imports json and promql_parser and parses `texts`."""
    from contract.promql.variables import expand

    path = tmp / "floor.json"
    path.write_text(json.dumps([expand(text, 15.0, frozenset()).text for text in texts]))
    command = [PYTHON, "-c", FLOOR, str(path)]
    subprocess.run(command, env=env, check=True)   # every text parses
    return command


def _texts(files: list[Path]) -> list[str]:
    from contract.promql.sources import load_source

    return [e.text for file in files for e in load_source(str(file)).expressions if e.text.strip()]


def _forget_runs(cache: Path) -> None:
    """Remove the recorded runs and the clean verdicts, keeping the validated contracts: the next run checks all."""
    for entry in [*cache.glob("check-*.marshal"), *cache.glob("*.verdicts.marshal")]:
        entry.unlink()


def versus_promtool(tmp: Path) -> None:
    contract = tmp / "bench.yaml"
    rules = tmp / "rules.yml"
    text = rule_file(10_000)
    rules.write_text(text)
    env = _env(tmp / "cache-rules")
    check = [CHECK, "check", str(contract), str(rules)]
    first = _wall(check, env)   # validates the contract (10,000 metrics) and fills the contract cache
    edits = itertools.count(1)

    def edit_one_rule() -> None:
        # a different rule each time, its window changed: a new expression the verdicts do not know
        n = next(edits)
        rules.write_text(text.replace(f"bench_m{n * 3}_total{{mode=\"a\"}}[5m]",
                                      f"bench_m{n * 3}_total{{mode=\"a\"}}[{n + 5}m]", 1))

    floor_command = _floor(_texts([rules]), tmp, env)
    # "unchanged" follows "one rule edited": it replays that run
    everything, edited, unchanged, theirs, floor = _medians(
        5, env, (check, lambda: _forget_runs(tmp / "cache-rules")), (check, edit_one_rule), (check, _nothing),
        ([PROMTOOL, "check", "rules", str(rules)], _nothing), (floor_command, _nothing))
    print(f"  10,000 rules: promtool {theirs:.3f} s; check with everything checked {everything:.3f} s, ratio "
          f"{everything / theirs:.2f} (target <= 1.5); one rule edited {edited:.3f} s, ratio {edited / theirs:.2f}; "
          f"unchanged (replayed) {unchanged:.3f} s, ratio {unchanged / theirs:.2f}; first run (contract not cached) "
          f"{first:.1f} s; floor (start-up and parse alone) {floor:.3f} s, ratio {floor / theirs:.2f}")


def this_repo(tmp: Path) -> None:
    rules = ROOT / "out" / "prometheus" / "rules.yml"
    if not rules.exists():
        print("  skipped: out/prometheus/rules.yml does not exist yet (run `make dashboards`)")
        return
    cache = tmp / "cache"
    env = _env(cache)
    from generators.check_cache import walk_files

    from generators.common import is_checked_output

    texts = _texts([ROOT / "out" / rel for rel in walk_files(str(ROOT / "out")) if is_checked_output(rel)])
    floor_command = _floor(texts, tmp, env)
    _wall([CHECK, "check"], env)
    # "unchanged" follows "everything checked": it replays that run
    everything, unchanged, theirs, bare, floor = _medians(
        10, env, ([CHECK, "check"], lambda: _forget_runs(cache)), ([CHECK, "check"], _nothing),
        ([PROMTOOL, "check", "rules", str(rules)], _nothing), ([PYTHON, "-c", "pass"], _nothing),
        (floor_command, _nothing))
    print(f"  this repo: promtool check rules {theirs:.3f} s; check with everything checked {everything:.3f} s, "
          f"ratio {everything / theirs:.2f} (target <= 1.5); unchanged (replayed) {unchanged:.3f} s, ratio "
          f"{unchanged / theirs:.2f}; bare `python -c pass` {bare:.3f} s; floor (start-up and parse alone, "
          f"{len(texts)} expressions) {floor:.3f} s, ratio {floor / theirs:.2f}")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench-check-") as name:
        tmp = Path(name)
        print("1. in process, synthetic contract")
        in_process(tmp)
        print("2. a 10,000-rule file, as processes (medians of 5; see the module docstring for the three kinds of run)")
        if not Path(PROMTOOL).exists():
            print("  skipped: promtool not installed")
        else:
            versus_promtool(tmp)
            print("3. this repository")
            this_repo(tmp)


if __name__ == "__main__":
    main()
