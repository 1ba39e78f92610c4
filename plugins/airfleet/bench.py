"""`airfleet bench`: figures about the cluster, printed as JSON (benchmarks, not timed tests).

Each run brings up its own throw-away cluster from a checkout (own project, ports and secrets),
measures, and deletes it with its volumes.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from airfleet.cluster import ComposeCluster

IMAGES = ("airflow", "mysql", "redis")


def image_sizes(tag: str = "local") -> dict[str, float]:
    """Uncompressed size of each image, in MB."""
    sizes = {}
    for image in IMAGES:
        out = subprocess.run(["docker", "image", "inspect", "-f", "{{.Size}}", f"airfleet/{image}:{tag}"],
                             capture_output=True, text=True, check=True).stdout
        sizes[image] = round(int(out) / 1e6, 1)
    return sizes


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fanout(cluster: ComposeCluster, n: int) -> dict[str, Any]:
    """Trigger `airfleet_fanout` with n no-op tasks; wall time and queued->start latency."""
    client = cluster.client()
    client.wait_for_dag("airfleet_fanout")
    client.unpause("airfleet_fanout")
    start = time.monotonic()
    run_id = client.trigger("airfleet_fanout", {"n": n})
    state = client.wait_for_run("airfleet_fanout", run_id, timeout=1800, poll=1)
    wall = time.monotonic() - start
    tis = [ti for ti in client.task_instances("airfleet_fanout", run_id) if ti["task_id"] == "noop"]
    latencies = [
        (_ts(ti["start_date"]) - _ts(ti["queued_when"])).total_seconds()
        for ti in tis if ti["queued_when"] and ti["start_date"]
    ]
    return {
        "tasks": n,
        "state": state,
        "wall_s": round(wall, 2),
        "tasks_per_s": round(n / wall, 2),
        "queued_to_start_mean_s": round(statistics.mean(latencies), 3) if latencies else None,
        "queued_to_start_p95_s": round(_percentile(latencies, 0.95), 3) if latencies else None,
    }


def run(root: Path, fanout_tasks: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as workdir:
        cluster = ComposeCluster.throwaway(root, Path(workdir), f"airfleet-bench-{uuid.uuid4().hex[:6]}")
        try:
            cluster.up()  # builds the images if needed, so the timed start below finds them present
            cluster.down(volumes=True)
            cold_start = cluster.up()
            return {
                "image_size_mb": image_sizes(),
                "cold_start_s": round(cold_start, 1),
                "fanout": fanout(cluster, fanout_tasks),
            }
        finally:
            cluster.down(volumes=True)


def main(root: Path, fanout_tasks: int) -> int:
    print(json.dumps(run(root, fanout_tasks), indent=2))
    return 0
