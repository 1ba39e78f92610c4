"""Drive a compose cluster from Python: bring it up with bin/up, inspect it, tear it down.

Used by the end-to-end tests and the benchmarks, each with its own project name, ports and env
file, so they never touch the user's own cluster.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from airfleet import envfile
from airfleet.client import AirflowClient
from tests.support.ports import free_port


@dataclass
class ComposeCluster:
    root: Path
    env_file: Path
    environ: dict[str, str] = field(default_factory=dict)  # e.g. which Compose and builder
    up_output: str = ""

    @classmethod
    def throwaway(cls, root: Path, workdir: Path, project: str, dags: Path | None = None,
                  extra: dict[str, str] | None = None, environ: dict[str, str] | None = None) -> ComposeCluster:
        """A cluster with its own project name, free ports and freshly generated secrets;
        `dags` replaces the checkout's dags/ folder; `extra` adds env-file settings; `environ`
        adds environment variables for bin/up and compose (AIRFLEET_COMPOSE, DOCKER_BUILDKIT)."""
        settings = {"COMPOSE_PROJECT_NAME": project, "AIRFLEET_API_PORT": str(free_port()),
                    "AIRFLEET_FLOWER_PORT": str(free_port()), **({"AIRFLEET_DAGS_DIR": str(dags)} if dags else {}),
                    **(extra or {})}
        env_file = workdir / f"{project}.env"
        env_file.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
        envfile.init(env_file)
        return cls(root=root, env_file=env_file, environ=dict(environ or {}))

    @property
    def env(self) -> dict[str, str]:
        return envfile.load(self.env_file)

    @property
    def project(self) -> str:
        return self.env["COMPOSE_PROJECT_NAME"]

    @property
    def url(self) -> str:
        return f"http://{self.env['AIRFLEET_BIND_ADDRESS']}:{self.env['AIRFLEET_API_PORT']}"

    def _run(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        environ = {**os.environ, **self.environ, "AIRFLEET_ENV_FILE": str(self.env_file)}
        return subprocess.run(args, cwd=self.root, env=environ, text=True, capture_output=True, timeout=timeout)

    def up(self, timeout: float = 1800) -> float:
        """Run bin/up; returns its wall time in seconds. Raises with its output on failure."""
        start = time.monotonic()
        result = self._run(str(self.root / "bin" / "up"), timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"bin/up failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-6000:]}")
        self.up_output = result.stdout + result.stderr
        return time.monotonic() - start

    def down(self, volumes: bool = True) -> None:
        """Remove the cluster. Tasks still running are not waited for (the worker's 5-minute
        drain is for real clusters; a throw-away one is deleted with its volumes)."""
        args = ["down", "--timeout", "20"] + (["--volumes"] if volumes else [])
        result = self.compose_run(*args, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"compose down failed:\n{result.stderr[-4000:]}")

    def compose_run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`docker compose ARGS` for this cluster, whatever its exit status."""
        return self._run("bash", "-c", 'source bin/lib.sh && compose "$@"', "compose", *args, timeout=timeout)

    def compose(self, *args: str, timeout: float = 300) -> str:
        """`docker compose ARGS` for this cluster; its output, or an error with its stderr."""
        result = self.compose_run(*args, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"compose {' '.join(args)} failed:\n{result.stderr[-4000:]}")
        return result.stdout

    def containers(self, service: str) -> list[dict]:
        ids = self.compose("ps", "-q", service).split()
        if not ids:
            return []
        out = subprocess.run(["docker", "inspect", *ids], text=True, capture_output=True, check=True).stdout
        return json.loads(out)

    def client(self) -> AirflowClient:
        env = self.env
        return AirflowClient(self.url, env["AIRFLOW_ADMIN_USER"], env["AIRFLOW_ADMIN_PASSWORD"])

    def client_for(self, dag_id: str, timeout: float = 180) -> AirflowClient:
        """A client, once the dag-processor has parsed `dag_id`, with that DAG unpaused."""
        client = self.client()
        client.wait_for_dag(dag_id, timeout=timeout)
        client.unpause(dag_id)
        return client
