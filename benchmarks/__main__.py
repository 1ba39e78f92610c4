"""`python -m benchmarks SCENARIO...`: measure scenarios on Airfleet's defaults and on stock Airflow
settings (benchmarks/scenarios.py), from a checkout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import profile, quiet, scenarios


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", nargs="+", choices=(*scenarios.SCENARIOS, "profile"),
                        help="scenarios, measured on the same clusters; or `profile` alone: where the CPU goes "
                             "(benchmarks/profile.py)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--root", default=".", help="the Airfleet checkout (default: .)")
    parser.add_argument("--tasks", type=int, nargs="+", default=[200, 1000],
                        help="no-op tasks per fan-out in `throughput` (default: 200 1000)")
    parser.add_argument("--sleeps", type=float, nargs="+", default=[1.0, 0.5, 0.25, 0.1],
                        help="scheduler_idle_sleep_time values in `hops`, the latency curve (default: 1 0.5 0.25 0.1)")
    parser.add_argument("--waits", type=int, default=200, help="deferred waits in `waits` (default 200)")
    parser.add_argument("--purge-runs", type=int, default=100, help="DAG runs in `purge` (default 100)")
    parser.add_argument("--purge-mapped", type=int, default=1000, help="mapped tasks per run in `purge` (default 1000)")
    parser.add_argument("--configs", nargs="+", choices=scenarios.CONFIGS, default=list(scenarios.CONFIGS),
                        help="configurations the cluster scenarios compare: stock settings on MySQL, the PostgreSQL "
                             "peer (stock settings, as the official compose file runs Airflow), Airfleet's "
                             "(default: all three)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each configuration, interleaved (default 2)")
    parser.add_argument("--max-load", type=float, default=1.5,
                        help="start a run only below this 1-minute load average (default 1.5)")
    parser.add_argument("--quiet-wait", type=float, default=600,
                        help="seconds to wait for the load to come down before refusing (default 600)")
    parser.add_argument("--allow-load", action="store_true",
                        help="measure on a busy machine anyway; the figures are marked unreliable")
    parser.add_argument("--profile-tasks", type=int, default=300,
                        help="no-op tasks in `profile`'s fan-out (default 300)")
    parser.add_argument("--idle-seconds", type=float, default=60, help="`profile`'s idle window (default 60)")
    parser.add_argument("--top", type=int, default=15, help="functions per role in `profile` (default 15)")
    parser.add_argument("--out", help="`profile`'s results folder (default .build/profile-TIME)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if "profile" in args.scenario and len(args.scenario) > 1:
        parser.error("`profile` runs alone: python -m benchmarks profile")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if min(args.sleeps) <= 0:
        parser.error("--sleeps must be positive seconds, e.g. --sleeps 1 0.5 0.25")
    options = {"tasks": args.tasks, "sleeps": args.sleeps, "configs": args.configs, "waits": args.waits,
               "purge_runs": args.purge_runs, "purge_mapped": args.purge_mapped, "repeat": args.repeat,
               "max_load": args.max_load, "quiet_wait": args.quiet_wait, "allow_load": args.allow_load,
               "profile_tasks": args.profile_tasks, "idle_seconds": args.idle_seconds, "top": args.top, "out": args.out}
    root = Path(args.root).resolve()
    try:
        if "profile" in args.scenario:
            figures = profile.main(root, options)
        else:
            figures = scenarios.run(root, args.scenario, options)
    except (quiet.Loaded, profile.Unavailable) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    scenarios.report(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
