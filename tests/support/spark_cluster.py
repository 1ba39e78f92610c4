"""A real Spark standalone master and worker from pip `pyspark`, and a tiny Java job to run on it.

pip pyspark ships bin/spark-class and the jars but no sbin/ scripts or examples jar: the master
and worker are started with spark-class, and the job is compiled here with javac. Every port is
free-picked so parallel sessions do not collide; the REST server can be bound to an address
containers reach (the Docker bridge gateway) for the end-to-end tests.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import httpx
import pytest

from tests.support.ports import free_port
from tests.support.waiting import eventually

ROOT = Path(__file__).parents[2]

JOB_SOURCE = """
import java.nio.file.*;

/** Stand-in for a Spark application: what matters to Airflow is how its driver ends. */
public class AirfleetJob {
  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "write": {  // write <dir> <rows> [seconds [marker]]: sleep, write rows and (unless "nomarker") _SUCCESS
        if (args.length > 3) Thread.sleep(Long.parseLong(args[3]) * 1000);
        Path out = Paths.get(args[1]);
        Files.createDirectories(out);
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < Integer.parseInt(args[2]); i++) rows.append(i).append('\\n');
        Files.writeString(out.resolve("part-00000"), rows.toString());
        if (args.length < 5 || !args[4].equals("nomarker")) Files.writeString(out.resolve("_SUCCESS"), "");
        return;
      }
      case "sleep": Thread.sleep(Long.parseLong(args[1]) * 1000); return;
      case "stream": while (true) Thread.sleep(1000);
      case "fail": System.err.println("AirfleetJob failing on purpose"); System.exit(3);
      default: throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }
}
"""


def spark_home() -> Path:
    try:
        import pyspark
    except ImportError:
        pytest.skip("pip pyspark is not installed in this environment (requirements/dev.in has it)")
    return Path(pyspark.__file__).parent


def java_or_skip() -> None:
    missing = [tool for tool in ("java", "javac", "jar") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not found: the Spark tests need a JDK 17 "
                    "(bin/test installs openjdk-17-jdk-headless when run as root)")


def build_job(workdir: Path) -> Path:
    """Compile AirfleetJob into a jar; returns its path."""
    source, classes, jar = workdir / "AirfleetJob.java", workdir / "classes", workdir / "airfleet-job.jar"
    source.write_text(JOB_SOURCE)
    classes.mkdir(exist_ok=True)
    subprocess.run(["javac", "-d", str(classes), str(source)], check=True, capture_output=True, timeout=120)
    subprocess.run(["jar", "cf", str(jar), "-C", str(classes), "."], check=True, capture_output=True, timeout=60)
    jar.chmod(0o644)
    return jar


@dataclass
class SparkStandalone:
    """One master (REST enabled) and one worker, as child processes of the test session."""

    workdir: Path
    rest_host: str = "127.0.0.1"
    rest_port: int = field(default_factory=free_port)
    master_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def rest_url(self) -> str:
        return f"http://{self.rest_host}:{self.rest_port}"

    @property
    def local_rest_url(self) -> str:
        """The REST server as this host reaches it."""
        host = "127.0.0.1" if self.rest_host in ("0.0.0.0", "127.0.0.1") else self.rest_host
        return f"http://{host}:{self.rest_port}"

    def _start(self, name: str, *args: str) -> None:
        home = spark_home()
        env = {**os.environ, "SPARK_HOME": str(home), "SPARK_NO_DAEMONIZE": "1", "SPARK_LOG_DIR": str(self.workdir)}
        log = (self.workdir / f"{name}.log").open("wb")
        self.processes.append(subprocess.Popen(
            [str(home / "bin" / "spark-class"), *args], env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends the JVM and the drivers it forked
        ))

    def start(self, timeout: float = 120) -> SparkStandalone:
        conf = self.workdir / "spark.properties"
        conf.write_text(
            "spark.master.rest.enabled true\n"
            f"spark.master.rest.host {self.rest_host}\n"
            f"spark.master.rest.port {self.rest_port}\n"
            # Small drivers: a 2-core test machine runs several at once.
            "spark.driver.memory 256m\n"
        )
        self._start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                    "--port", str(self.master_port), "--webui-port", str(free_port()), "--properties-file", str(conf))
        self._start("worker", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "8",
                    "--memory", "4g", "--webui-port", str(free_port()), "--work-dir", str(self.workdir / "work"),
                    "--properties-file", str(conf), f"spark://127.0.0.1:{self.master_port}")
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        """Until the REST server answers and the worker has registered with the master."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"Spark exited early ({process.args[1]}):\n{self.logs()}")
            try:
                httpx.get(f"{self.local_rest_url}/v1/submissions/status/none", timeout=2)
                if "Successfully registered with master" in (self.workdir / "worker.log").read_text():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"Spark not ready after {timeout:.0f}s:\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(self.workdir.glob("*.log")))

    def driver_log(self, submission_id: str) -> str:
        path = self.workdir / "work" / submission_id / "stderr"
        return path.read_text() if path.exists() else ""

    def drivers(self) -> list[str]:
        """Every driver the worker has launched, in submission order."""
        work = self.workdir / "work"
        return sorted(p.name for p in work.glob("driver-*")) if work.exists() else []

    def state(self, submission_id: str) -> str:
        answer = httpx.get(f"{self.local_rest_url}/v1/submissions/status/{submission_id}", timeout=10).json()
        return answer.get("driverState", "NOT_FOUND")

    def wait_state(self, submission_id: str, wanted: set[str], timeout: float = 60) -> str:
        def reached() -> str | None:
            state = self.state(submission_id)
            return state if state in wanted else None

        return eventually(reached, timeout, f"driver {submission_id} state in {sorted(wanted)}", poll=0.5)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()


def start_spark(workdir: Path, rest_host: str = "127.0.0.1") -> tuple[SparkStandalone, Path]:
    """A running master and worker plus the compiled job jar; skips when Java is missing."""
    java_or_skip()
    spark_home()
    jar = build_job(workdir)
    return SparkStandalone(workdir, rest_host=rest_host).start(), jar


def import_dag_file(path: Path) -> ModuleType:
    """Import a DAG file as Airflow does: under `unusual_prefix_<sha1 of path>_<stem>`."""
    from airflow.utils.file import get_unique_dag_module_name

    name = get_unique_dag_module_name(str(path))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def task_context(task_id: str, run_id: str = "manual__test", dag_id: str = "airfleet_test_spark") -> dict[str, Any]:
    return {"ti": SimpleNamespace(dag_id=dag_id, task_id=task_id, run_id=run_id, map_index=-1)}


TRIGGER_RUNNER = """
import asyncio, importlib, json, sys
classpath, kwargs = json.loads(sys.stdin.read())
module, _, name = classpath.rpartition(".")
trigger = getattr(importlib.import_module(module), name)(**kwargs)
async def first():
    async for event in trigger.run():
        return event.payload
event = asyncio.run(first())
assert not [m for m in sys.modules if m.startswith("unusual_prefix_")], "a DAG module was imported"
print(json.dumps(event))
"""


def run_trigger_elsewhere(trigger: Any, timeout: float = 180) -> dict[str, Any]:
    """Run a trigger as the triggerer would: rebuilt from its JSON-serialized kwargs in another
    process that has no DAG file and no DAG module; returns its first event's payload."""
    classpath, kwargs = trigger.serialize()
    result = subprocess.run([sys.executable, "-c", TRIGGER_RUNNER], input=json.dumps([classpath, kwargs]),
                            capture_output=True, text=True, timeout=timeout, cwd="/")
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


async def first_event(trigger: Any) -> dict[str, Any]:
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


def run_trigger_here(trigger: Any, timeout: float | None = None) -> dict[str, Any]:
    """Run a trigger rebuilt from its JSON-serialized kwargs, in this process, as the triggerer
    would; its first event (within `timeout` seconds, when given)."""
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**json.loads(json.dumps(kwargs)))
    return asyncio.run(asyncio.wait_for(first_event(rebuilt), timeout))
