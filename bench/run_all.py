"""Run the prefecture-scale benchmarks on one data set and print one table of ratios.

    .venv/bin/python bench/run_all.py [--size small|medium|full] [--database-url URL]
        [--only reports,lists,maintenance]

Each benchmark measures its own baseline in the same run (docs/performance.md) and prints
``RESULT {json}`` lines; this script runs them one after another (never in parallel: they would
measure each other) and prints every result beside its baseline, with the load average at the
time. Not part of the test command.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = {
    "reports": ["reports_scale.py"],
    "lists": ["lists_search.py"],
    "maintenance": ["maintenance_scale.py"],
}


def _value(result: dict, prefix: str = "") -> str:
    if f"{prefix}value_ms" in result:
        return f"{result[f'{prefix}value_ms']:,.1f} ms"
    if prefix and "baseline_ms" in result:
        return f"{result['baseline_ms']:,.1f} ms"
    key = "baseline_value" if prefix else "value"
    return f"{result.get(key, 0):,} {result.get('unit', '')}".strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    args, extra = parser.parse_known_args()
    results = []
    for name in args.only.split(","):
        command = [sys.executable, str(HERE / BENCHMARKS[name][0]), "--size", args.size, *extra]
        if args.database_url:
            command += ["--database-url", args.database_url]
        print(f"$ {' '.join(command[1:])}", flush=True)
        run = subprocess.run(command, capture_output=True, text=True)
        for line in run.stdout.splitlines():
            if line.startswith("RESULT "):
                results.append(json.loads(line[7:]))
            else:
                print("  " + line, flush=True)
        if run.returncode:
            print(run.stderr[-3000:], file=sys.stderr)
    print()
    header = f"{'benchmark':<16} {'case':<44} {'value':>16} {'baseline':>16} {'ratio':>8} {'target':>10} {'ok':>4}  load"
    print(header)
    print("-" * len(header))
    for r in results:
        ok = {True: "yes", False: "NO", None: "-"}[r.get("pass")]
        print(
            f"{r['benchmark']:<16} {r['case'][:44]:<44} {_value(r):>16} {_value(r, 'baseline_'):>16} "
            f"{r['ratio']:>8} {r.get('target', '-'):>10} {ok:>4}  {r.get('load', '')}"
        )


if __name__ == "__main__":
    main()
