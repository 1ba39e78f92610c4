import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support import docker_setups
from tests.support.cluster import ComposeCluster
from tests.support.package_index import PackageIndex, wheel_from_installed, write_wheel
from tests.support.registry import Registry

ROOT = Path(__file__).parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fault tests break their own cluster; run them last, when the shared one is idle."""
    items.sort(key=lambda item: item.get_closest_marker("faults") is not None)


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


AIRFLOW_UID = 50000


def git(*args: str, cwd: Path) -> str:
    # The bare repository belongs to the containers' user; this process only writes objects into it.
    command = ["git", "-c", "safe.directory=*", "-c", "user.name=Airfleet Tests",
               "-c", "user.email=tests@airfleet.invalid"]
    return subprocess.run([*command, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


class DagsRepo:
    """The reviewed DAG repository, standing in for GitLab: a work tree (dags/ = the project's DAGs
    plus the test DAGs) pushing to a bare repository the cluster clones through its GitDagBundle.
    The bare repository sits in a folder mounted into every container (AIRFLEET_DAGS_DIR)."""

    def __init__(self, workdir: Path) -> None:
        self.transport = workdir / "transport"
        self.bare = self.transport / "dags.git"
        self.work = workdir / "work"
        (self.work / "dags").mkdir(parents=True)
        for source in [*(ROOT / "dags").glob("*.py"), *(ROOT / "tests" / "dags").glob("*.py")]:
            shutil.copyfile(source, self.work / "dags" / source.name)
        git("init", "-q", "-b", "main", cwd=self.work)
        git("add", ".", cwd=self.work)
        git("commit", "-qm", "DAGs", cwd=self.work)
        self.transport.mkdir()
        self.transport.chmod(0o755)
        git("clone", "-q", "--bare", str(self.work), str(self.bare), cwd=workdir)
        git("remote", "add", "origin", str(self.bare), cwd=self.work)
        shutil.chown(self.bare, AIRFLOW_UID, 0)

    def commit_and_push(self, path: str, content: str, message: str) -> str:
        (self.work / path).write_text(content)
        git("add", path, cwd=self.work)
        git("commit", "-qm", message, cwd=self.work)
        # receive-pack runs in the bare repository, which another user owns: trust it there too.
        git("push", "-q", "--receive-pack=git -c safe.directory='*' receive-pack", "origin", "main", cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work)


@contextmanager
def git_bundle_cluster(workdir: Path, name: str, extra: dict[str, str] | None = None,
                       environ: dict[str, str] | None = None) -> Iterator[ComposeCluster]:
    """A throw-away cluster whose DAG bundle is a Git repository (`cluster.dags_repo`)."""
    if not docker_available():
        pytest.skip("no Docker daemon reachable: the end-to-end tests need one")
    repo = DagsRepo(workdir)
    cluster = ComposeCluster.throwaway(ROOT, workdir, f"airfleet-{name}-{uuid.uuid4().hex[:6]}",
                                       dags=repo.transport, environ=environ,
                                       extra={"AIRFLEET_DAGS_GIT_URL": "/opt/airflow/dags/dags.git", **(extra or {})})
    cluster.dags_repo = repo
    try:
        cluster.up_seconds = cluster.up()
        yield cluster
    finally:
        cluster.down(volumes=True)


# The company mirror the shared cluster installs virtualenv packages from, over HTTPS with a private CA.
INDEX_HOST = "pypi.airfleet.test"
PROBE = ("airfleet-venv-probe", "1.0", {"airfleet_venv_probe.py": b'ORIGIN = "the private package index"\n'})


def start_package_index(index: PackageIndex, network: str) -> None:
    wheels = [write_wheel(index.build, *PROBE), wheel_from_installed(index.build, "tabulate")]
    index.publish(wheels)
    index.start("airfleet/airflow:local", network, name=f"{network}-package-index")


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """One throw-away cluster shared by the end-to-end tests that do not disturb it, brought up the
    way most users' Docker does it (Compose v2, BuildKit), with its images pushed to a registry and a
    private package index (HTTPS, own CA) for virtualenv tasks."""
    workdir = tmp_path_factory.mktemp("e2e")
    index = PackageIndex(workdir / "index", INDEX_HOST)
    registry = Registry.start_or_none(workdir / "registry")
    extra = {"AIRFLEET_CA_BUNDLE": str(index.ca_bundle), "AIRFLEET_PIP_INDEX_URL": index.https_url,
             **({"AIRFLEET_REGISTRY": registry.address} if registry else {})}
    environ = docker_setups.V2_BUILDKIT if docker_setups.PLUGINS else {}
    try:
        with git_bundle_cluster(workdir, "e2e", extra=extra, environ=environ) as shared:
            shared.registry, shared.package_index = registry, index
            start_package_index(index, f"{shared.project}_default")
            yield shared
    finally:
        index.stop()
        if registry:
            registry.stop()


def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


CENTRAL_ONLY = ("MYSQL_ROOT_PASSWORD=", "AIRFLOW_ADMIN_PASSWORD=")


class NodeNetwork:
    """A Docker network standing for another machine. The cluster's DB, broker and api-server are
    routed to it under their own names, as a real network would route them, and workers started
    on it with sbin/200.sh are reached by the api-server under `address`."""

    def __init__(self, cluster: ComposeCluster, workdir: Path, suffix: str, address: str) -> None:
        self.cluster, self.address = cluster, address
        self.network = f"{cluster.project}-{suffix}"
        run("docker", "network", "create", self.network).check_returncode()
        for service in ("db", "redis", "api-server"):
            (container,) = cluster.containers(service)
            run("docker", "network", "connect", "--alias", service, self.network, container["Id"]).check_returncode()
        # A node's env file needs no secret of the central machine's own: not MySQL's root password
        # nor the first admin's.
        self.env_file = workdir / "node.env"
        self.env_file.write_text("".join(line + "\n" for line in cluster.env_file.read_text().splitlines()
                                         if not line.startswith(CENTRAL_ONLY))
                                 + f"AIRFLEET_NODE_ADDRESS={address}\n")

    def start_worker(self, name: str, *options: str, env_file: Path | None = None) -> subprocess.CompletedProcess[str]:
        return run("sbin/200.sh", "worker", "--env-file", str(env_file or self.env_file), "--network", self.network,
                   "--name", name, "--timeout", "240", *options)

    def close(self) -> None:
        workers = run("docker", "ps", "-aq", "--filter", f"network={self.network}",
                      "--filter", "name=airfleet-worker-").stdout.split()
        if workers:
            run("docker", "rm", "-f", *workers)
        for service in ("db", "redis", "api-server"):
            for container in self.cluster.containers(service):
                run("docker", "network", "disconnect", "-f", self.network, container["Id"])
        run("docker", "network", "rm", self.network)
