"""Run every `bench_*.py` module's `main()`, in name order, each in its own process.

A fresh process per module because OpenTelemetry's global tracer and meter
providers can be set only once per process, and one benchmark's setup must
not become another's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    failed = []
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        module = f"tests.benchmarks.{path.stem}"
        print(f"== {module}", flush=True)
        run = subprocess.run([sys.executable, "-c", f"import {module} as m; m.main()"], cwd=ROOT, check=False)
        if run.returncode:
            failed.append(module)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
