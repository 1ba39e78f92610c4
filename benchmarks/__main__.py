"""`python -m benchmarks SCENARIO`: measure a scenario on Airfleet's defaults and on stock Airflow
settings (benchmarks/scenarios.py), from a checkout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import scenarios


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=scenarios.SCENARIOS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--root", default=".", help="the Airfleet checkout (default: .)")
    parser.add_argument("--tasks", type=int, nargs="+", default=[200, 1000],
                        help="no-op tasks per fan-out in `throughput` (default: 200 1000)")
    parser.add_argument("--waits", type=int, default=200, help="deferred waits in `waits` (default 200)")
    parser.add_argument("--purge-runs", type=int, default=100, help="DAG runs in `purge` (default 100)")
    parser.add_argument("--purge-mapped", type=int, default=1000, help="mapped tasks per run in `purge` (default 1000)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    options = {"tasks": args.tasks, "waits": args.waits, "purge_runs": args.purge_runs,
               "purge_mapped": args.purge_mapped}
    scenarios.report(scenarios.run(Path(args.root).resolve(), args.scenario, options), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
