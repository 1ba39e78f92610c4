"""`python -m benchmarks SCENARIO`: cluster figures on Airfleet's defaults and, in the same run, on stock
Airflow settings of the same images; printed as JSON (benchmarks, not timed tests).

Cluster scenarios bring up one throw-away cluster per configuration (own project, ports, secrets
and volumes): "stock" reads an empty tuning file, so every setting in docker/airflow/tuning.env
falls back to Airflow's own default; "postgresql" is the peer a user of the official compose
file gets, stock settings with the metadata DB on PostgreSQL; "airfleet" is the cluster as `bin/up`
starts it. Each configuration is measured the same way, `--repeat` times, interleaved (stock,
postgresql, airfleet, airfleet, postgresql, stock, ...), each run only once the machine is quiet
(benchmarks/quiet.py). The figures are the medians of the runs, every run is kept under `runs`;
`ratio` divides Airfleet's median by stock's, `ratio_to_peer` by the PostgreSQL peer's. CPU is what
the Docker engine accounts to every container of the cluster (Airflow roles, the database and
Redis), so work moved from one role to another is still counted.

`hops` is the latency curve: one configuration per fixed `scheduler_idle_sleep_time` (`--sleeps`,
each on top of the shipped settings) and the shipped settings, each measured idle and on a
20-task chain; `curve` lists, per configuration,
the hop (one task's end to the next one's start) against the idle cluster's CPU.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks import quiet
from tests.support.cluster import ComposeCluster

# The peer a user of the official compose stack gets: stock Airflow settings on PostgreSQL.
PEER = "postgresql"
CONFIGS = ("stock", PEER, "airfleet")
CLUSTER_SCENARIOS = ("throughput", "chain", "waits", "cold-start")
SCENARIOS = (*CLUSTER_SCENARIOS, "hops", "purge", "all")
SLEEP_SETTING = "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME"
BUSY_SLEEP_SETTING = "AIRFLEET_SCHEDULER_BUSY_SLEEP"  # airfleet.scheduler
IMAGES = ("airflow", "mysql", "postgresql", "redis")
IDLE_WINDOW = 20.0  # seconds of an idle cluster measured for its background CPU


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def image_sizes(tag: str = "local") -> dict[str, float]:
    """Uncompressed size of each image, in MB."""
    sizes = {}
    for image in IMAGES:
        out = subprocess.run(["docker", "image", "inspect", "-f", "{{.Size}}", f"airfleet/{image}:{tag}"],
                             capture_output=True, text=True)
        if out.returncode == 0:  # a database engine no configuration used was not built
            sizes[image] = round(int(out.stdout) / 1e6, 1)
    return sizes


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def spread(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "mean": None, "max": None}
    return {"p50": round(percentile(values, 0.5), 3), "p95": round(percentile(values, 0.95), 3),
            "mean": round(statistics.mean(values), 3), "max": round(max(values), 3)}


class Probe:
    """CPU-seconds and memory of each service of a compose project, from the Docker engine."""

    def __init__(self, project: str) -> None:
        import docker

        self.docker = docker.from_env(timeout=120)
        self.project = project

    def sample(self) -> dict[str, dict[str, float]]:
        found: dict[str, dict[str, float]] = {}
        for container in self.docker.containers.list(filters={"label": f"com.docker.compose.project={self.project}"}):
            stats = container.stats(stream=False, one_shot=True)
            memory = stats.get("memory_stats") or {}
            counters = memory.get("stats") or {}
            inactive = counters.get("inactive_file", counters.get("total_inactive_file", 0))
            service = found.setdefault(container.labels.get("com.docker.compose.service", container.name),
                                       {"cpu_s": 0.0, "memory_mb": 0.0})
            service["cpu_s"] += stats["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9
            service["memory_mb"] += (memory.get("usage", 0) - inactive) / 1e6
        return found

    @staticmethod
    def cpu_delta(before: dict, after: dict) -> dict[str, float]:
        return {service: round(after[service]["cpu_s"] - before.get(service, {"cpu_s": 0.0})["cpu_s"], 2)
                for service in after}


def measure_cpu(probe: Probe, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `action`; add the CPU-seconds every service used meanwhile."""
    before = probe.sample()
    result = action()
    cpu = Probe.cpu_delta(before, probe.sample())
    return {**result, "cpu_s": round(sum(cpu.values()), 2), "cpu_s_by_role": cpu}


def idle(probe: Probe, seconds: float = IDLE_WINDOW) -> dict[str, Any]:
    """Background CPU of an idle cluster (scheduler loop, parsing, heartbeats) and each role's memory."""
    before = probe.sample()
    time.sleep(seconds)
    after = probe.sample()
    cpu = Probe.cpu_delta(before, after)
    return {"cpu_s_per_s": round(sum(cpu.values()) / seconds, 3),
            "cpu_s_per_s_by_role": {s: round(v / seconds, 3) for s, v in cpu.items()},
            "memory_mb_by_role": {s: round(v["memory_mb"], 1) for s, v in after.items()}}


def run_dag(cluster: ComposeCluster, dag_id: str, conf: dict[str, Any], timeout: float = 3600) -> tuple[str, float]:
    client = cluster.client()
    client.wait_for_dag(dag_id, timeout=300)
    client.unpause(dag_id)
    start = time.monotonic()
    run_id = client.trigger(dag_id, conf)
    state = client.wait_for_run(dag_id, run_id, timeout=timeout, poll=0.5)
    if state != "success":
        raise RuntimeError(f"{dag_id} run {run_id} ended {state}")
    return run_id, time.monotonic() - start


def fanout(cluster: ComposeCluster, probe: Probe, n: int) -> dict[str, Any]:
    """`airfleet_fanout` with n no-op tasks: wall time, CPU per task, queued->start latency."""
    def action() -> dict[str, Any]:
        run_id, wall = run_dag(cluster, "airfleet_fanout", {"n": n})
        tis = [ti for ti in cluster.client().task_instances("airfleet_fanout", run_id) if ti["task_id"] == "noop"]
        waits = [(_ts(ti["start_date"]) - _ts(ti["queued_when"])).total_seconds()
                 for ti in tis if ti["queued_when"] and ti["start_date"]]
        return {"tasks": n, "wall_s": round(wall, 2), "tasks_per_s": round(n / wall, 2),
                "queued_to_start_s": spread(waits)}

    result = measure_cpu(probe, action)
    result["cpu_s_per_task"] = round(result["cpu_s"] / n, 4)
    return result


def chain(cluster: ComposeCluster, probe: Probe, length: int = 20) -> dict[str, Any]:
    """`airfleet_chain`: the gap between one task's end and the next one's start."""
    def action() -> dict[str, Any]:
        run_id, wall = run_dag(cluster, "airfleet_chain", {})
        tis = sorted((ti for ti in cluster.client().task_instances("airfleet_chain", run_id)),
                     key=lambda ti: _ts(ti["start_date"]))
        hops = [(_ts(b["start_date"]) - _ts(a["end_date"])).total_seconds() for a, b in itertools.pairwise(tis)]
        return {"tasks": len(tis), "wall_s": round(wall, 2), "hop_s": spread(hops)}

    return measure_cpu(probe, action)


HOLD_WINDOW = 30.0  # seconds the triggerer's CPU is measured while it holds the waits


def waits(cluster: ComposeCluster, probe: Probe, n: int) -> dict[str, Any]:
    """`airfleet_waits`: n deferred waits at once; worker slots they hold, the triggerer's memory and
    CPU while it holds them. Each wait starts on a worker and defers, so the waits last long enough
    for the last one to defer (several per second) before the first one ends; if some have not
    deferred by then, `deferred_at_most` says how many were held at once."""
    seconds = max(300, n // 4 + 120)
    client = cluster.client()
    client.wait_for_dag("airfleet_waits", timeout=300)
    client.unpause("airfleet_waits")
    before = probe.sample()["triggerer"]["memory_mb"]
    run_id = client.trigger("airfleet_waits", {"n": n, "seconds": seconds})
    start = time.monotonic()
    deadline = start + seconds

    def deferred() -> int:
        page = client.json("GET", f"/api/v2/dags/airfleet_waits/dagRuns/{run_id}/taskInstances",
                           params={"state": "deferred", "limit": 1})
        return page["total_entries"]

    peak = 0
    while (count := deferred()) < n and time.monotonic() < deadline - HOLD_WINDOW:
        peak = max(peak, count)
        time.sleep(2)
    peak = max(peak, count)
    all_deferred = round(time.monotonic() - start, 1) if peak == n else None
    pool = client.json("GET", "/api/v2/pools/default_pool")
    holding = probe.sample()
    time.sleep(HOLD_WINDOW)
    cpu = Probe.cpu_delta(holding, probe.sample())
    state = client.wait_for_run("airfleet_waits", run_id, timeout=seconds + 900, poll=2)
    during = holding["triggerer"]["memory_mb"]
    return {"waits": n, "seconds": seconds, "all_deferred_after_s": all_deferred, "deferred_at_most": peak,
            "run_state": state,
            "worker_slots_held": pool["running_slots"] + pool["queued_slots"],
            "deferred_slots": pool["deferred_slots"],
            "triggerer_memory_mb": {"idle": round(before, 1), "waiting": round(during, 1),
                                    "added": round(during - before, 1)},
            "triggerer_cores_holding": round(cpu["triggerer"] / HOLD_WINDOW, 3),
            "cluster_cores_holding": round(sum(cpu.values()) / HOLD_WINDOW, 3)}


def build_images(root: Path, peer: bool = False) -> None:
    """Build (or find cached) every image first, so no configuration's cold start includes a build;
    `peer`: the PostgreSQL image too."""
    command = "source bin/lib.sh && build_images" + (" && build_image postgresql" if peer else "")
    out = subprocess.run(["bash", "-c", command], cwd=root, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"building the images failed:\n{out.stderr[-4000:]}")


def tuning_file(root: Path, workdir: Path, config: str) -> Path | None:
    """The tuning file of a configuration: "stock" and the PostgreSQL peer an empty one (Airflow's
    defaults), "airfleet" the shipped one (None), "sleep-X" the shipped one with a fixed
    scheduler_idle_sleep_time X."""
    if config == "airfleet":
        return None
    path = workdir / f"{config}-tuning.env"
    if config in ("stock", PEER):
        path.write_text("# stock: every Airflow setting at its default\n")
    else:
        shipped = (root / "docker" / "airflow" / "tuning.env").read_text()
        path.write_text(f"{shipped}\n{SLEEP_SETTING}={sleep_of(config)}\n{BUSY_SLEEP_SETTING}=off\n")
    return path


def sleep_config(seconds: float) -> str:
    return f"sleep-{seconds:g}"


def sleep_of(config: str) -> float:
    return float(config.removeprefix("sleep-"))


def config_settings(root: Path, workdir: Path, config: str) -> dict[str, str]:
    """The env-file settings a configuration's cluster starts with."""
    tuning = tuning_file(root, workdir, config)
    settings = {"AIRFLEET_TUNING_FILE": str(tuning)} if tuning else {}
    if config == PEER:
        settings["AIRFLEET_DB"] = "postgresql"
    return settings


def measure_config(root: Path, workdir: Path, config: str, scenarios: list[str], options: dict[str, Any]) -> dict:
    extra = config_settings(root, workdir, config)
    project = f"airfleet-bench-{config.replace('.', 'p')}-{uuid.uuid4().hex[:6]}"  # Compose names: no dots
    cluster = ComposeCluster.throwaway(root, workdir, project, extra=extra)
    figures: dict[str, Any] = {}
    try:
        log(f"{config}: starting a throw-away cluster")
        figures["cold_start_s"] = round(cluster.up(), 1)
        probe = Probe(cluster.project)
        time.sleep(10)  # let the first parse of every DAG file settle
        figures["idle"] = idle(probe)
        if "throughput" in scenarios:
            for n in options["tasks"]:
                log(f"{config}: fan-out of {n} no-op tasks")
                figures[f"throughput_{n}"] = fanout(cluster, probe, n)
        if "chain" in scenarios:
            log(f"{config}: chain of 20 no-op tasks")
            figures["chain"] = chain(cluster, probe)
        if "waits" in scenarios:
            log(f"{config}: {options['waits']} deferred waits")
            figures["waits"] = waits(cluster, probe, options["waits"])
        figures["after"] = idle(probe, 5.0)["memory_mb_by_role"]
        return figures
    finally:
        cluster.down(volumes=True)


def ratios(stock: Any, tuned: Any) -> Any:
    """airfleet / stock for every number both have, in the same nesting."""
    if isinstance(stock, dict) and isinstance(tuned, dict):
        out = {key: ratios(stock[key], tuned[key]) for key in stock.keys() & tuned.keys()}
        return {key: value for key, value in out.items() if value not in (None, {})}
    if isinstance(stock, (int, float)) and isinstance(tuned, (int, float)) and stock:
        return round(tuned / stock, 3)
    return None


def schedule(configs: tuple[str, ...], repeat: int) -> list[tuple[str, int]]:
    """(config, run number) in interleaved order, A B B A ...: a drift of the machine during the
    benchmark falls on both configurations alike."""
    order = []
    for run in range(repeat):
        order += [(config, run) for config in (configs if run % 2 == 0 else configs[::-1])]
    return order


def median(runs: list[Any]) -> Any:
    """The median of every number the runs share, in the same nesting."""
    if all(isinstance(run, dict) for run in runs):
        shared = set.intersection(*(set(run) for run in runs))
        out = {key: median([run[key] for run in runs]) for key in sorted(shared)}
        return {key: value for key, value in out.items() if value is not None}
    if all(isinstance(run, (int, float)) and not isinstance(run, bool) for run in runs):
        return round(statistics.median(runs), 3)
    return runs[0] if all(run == runs[0] for run in runs) else None


def cluster_figures(root: Path, scenarios: list[str], options: dict[str, Any],
                    configs: tuple[str, ...] = CONFIGS) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {config: [] for config in configs}
    reliable = True
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        log("building the images (cached layers are reused)")
        build_images(root, peer=PEER in configs)
        for config, number in schedule(configs, options["repeat"]):
            try:
                load = quiet.wait_for_quiet(options["max_load"], options["quiet_wait"])
            except quiet.Loaded:
                if not options["allow_load"]:
                    raise
                load, reliable = quiet.load_average(), False
                log(f"load average {load}: measuring anyway (--allow-load); these figures cannot rank settings")
            log(f"{config} run {number + 1} of {options['repeat']}, load average {load} at the start")
            figures = measure_config(root, workdir, config, scenarios, options)
            runs[config].append({"load_at_start": load, **figures})
    medians = {config: median(results) for config, results in runs.items()}
    figures = {**medians, "runs": runs, "reliable": reliable, "image_size_mb": image_sizes()}
    if "stock" in medians and "airfleet" in medians:
        figures["ratio"] = ratios(medians["stock"], medians["airfleet"])
    if PEER in medians and "airfleet" in medians:
        figures["ratio_to_peer"] = ratios(medians[PEER], medians["airfleet"])
    return figures


def hop_curve(medians: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """What each scheduler sleep buys (a chain's hop) and costs (idle CPU): fixed sleeps in
    ascending order, then the shipped settings."""
    curve = []
    for config, figures in medians.items():
        idle_cpu = figures.get("idle", {})
        curve.append({"config": config,
                      "scheduler_idle_sleep_s": sleep_of(config) if config.startswith("sleep-") else None,
                      "hop_p50_s": figures.get("chain", {}).get("hop_s", {}).get("p50"),
                      "hop_p95_s": figures.get("chain", {}).get("hop_s", {}).get("p95"),
                      "idle_cores": idle_cpu.get("cpu_s_per_s"),
                      "idle_scheduler_cores": idle_cpu.get("cpu_s_per_s_by_role", {}).get("scheduler"),
                      "chain_cpu_s": figures.get("chain", {}).get("cpu_s")})
    fixed = [p for p in curve if p["scheduler_idle_sleep_s"] is not None]
    return sorted(fixed, key=lambda p: p["scheduler_idle_sleep_s"]) + [p for p in curve if p not in fixed]


def purge_figures(root: Path, options: dict[str, int]) -> dict[str, Any]:
    """benchmarks/purge.py: `airfleet dags purge` against stock `airflow dags delete`, same data."""
    args = [sys.executable, "-m", "benchmarks.purge", "--runs", str(options["purge_runs"]),
            "--mapped", str(options["purge_mapped"])]
    out = subprocess.run(args, cwd=root, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"benchmarks.purge failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout)


def run(root: Path, names: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """The named scenarios; cluster ones share each configuration's clusters."""
    chosen = [*CLUSTER_SCENARIOS, "purge"] if "all" in names else list(dict.fromkeys(names))
    started = time.monotonic()
    figures: dict[str, Any] = {"scenario": " ".join(names), "machine": machine()}
    if "hops" in chosen:
        configs = (*(sleep_config(seconds) for seconds in options["sleeps"]), "airfleet")
        measured = cluster_figures(root, ["chain"], options, configs)
        figures["hops"] = {**measured, "curve": hop_curve({config: measured[config] for config in configs})}
    cluster_part = [s for s in chosen if s in CLUSTER_SCENARIOS]
    if cluster_part:
        figures.update(cluster_figures(root, cluster_part, options, tuple(options.get("configs") or CONFIGS)))
    if "purge" in chosen:
        figures["purge"] = purge_figures(root, options)
    figures["bench_s"] = round(time.monotonic() - started, 1)
    return figures


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def report(figures: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in flatten(figures):
            print(f"{key}: {value}")


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [item for key, inner in value.items() for item in flatten(inner, f"{prefix}{key}.")]
    return [(prefix.rstrip("."), value)]
