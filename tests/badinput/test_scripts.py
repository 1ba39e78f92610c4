"""The shell entry points on bad input: `bin/up` with a bad `.env` or a port it cannot have,
`sbin/200.sh` / `503.sh` with a bad command line or node env file, and the `ci/*.sh` scripts. Each
refuses before building or starting anything: one line (plus at most a hint), exit 1 or 2, no
secret, the env file as it was and no container of the project created."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from airfleet import envfile
from tests.badinput.harness import ROOT, SECRET, assert_refused, fingerprint, run

needs_docker = pytest.mark.skipif(shutil.which("docker") is None, reason="bin/up and sbin/200.sh need the docker CLI")


def script_env(**extra: str) -> dict[str, str]:
    keep = {name: value for name, value in os.environ.items() if not name.startswith(("AIRFLEET_", "AIRFLOW"))}
    return {**keep, **extra}


def project_containers(project: str) -> list[str]:
    return subprocess.run(["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"],
                          capture_output=True, text=True, check=True).stdout.split()


@contextmanager
def held_port(address: str = "127.0.0.1") -> Iterator[int]:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family) as holder:
        holder.bind((address, 0))
        holder.listen()
        yield holder.getsockname()[1]


def complete_env(tmp_path: Path, project: str, lines: str = "") -> Path:
    """A valid env file of a project of its own (generated secrets), plus `lines`."""
    env_file = tmp_path / ".env"
    env_file.write_text(f"COMPOSE_PROJECT_NAME={project}\n{lines}")
    envfile.init(env_file)
    return env_file


def secrets_of(env_file: Path) -> list[str]:
    return [value for name, value in envfile.load(env_file).items() if name.endswith(("PASSWORD", "KEY", "SECRET"))]


def up(env_file: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return run([str(ROOT / "bin" / "up")], script_env(AIRFLEET_ENV_FILE=str(env_file), **extra), ROOT)


# (label, env-file lines, the message's parts); each stops at `airfleet init`.
MALFORMED_ENV = [
    ("a space in a password", f"MYSQL_PASSWORD=x y{SECRET}\n", ["MYSQL_PASSWORD", "airfleet init"]),
    ("an unbalanced quote", "AIRFLEET_API_PORT='8080\n", ["quote is not closed"]),
    ("a port out of range", "AIRFLEET_API_PORT=99999\n", ["AIRFLEET_API_PORT", "a TCP port number"]),
    ("a port that is not a number", "AIRFLEET_FLOWER_PORT=fivefive\n", ["AIRFLEET_FLOWER_PORT"]),
    ("a host name as bind address", "AIRFLEET_BIND_ADDRESS=localhost\n", ["AIRFLEET_BIND_ADDRESS", "IP address"]),
    ("a project name with capitals", "COMPOSE_PROJECT_NAME=Airfleet Prod\n", ["COMPOSE_PROJECT_NAME"]),
    ("a dollar Compose would expand", f"REDIS_PASSWORD=ab$c{SECRET}\n", ["'$'", "single quotes"]),
    ("a line that is not KEY=VALUE", "export\n", ["not a KEY=VALUE line"]),
    ("a setting given twice", "AIRFLEET_API_PORT=8080\nAIRFLEET_API_PORT=8081\n", ["set twice"]),
    ("a Fernet key that is not one", "AIRFLOW_FERNET_KEY=not-a-key\n", ["AIRFLOW_FERNET_KEY"]),
]


@needs_docker
@pytest.mark.parametrize(("label", "lines", "says"), MALFORMED_ENV, ids=[case[0] for case in MALFORMED_ENV])
def test_up_with_a_malformed_env_file_stops_and_keeps_it(tmp_path, label, lines, says):
    env_file = tmp_path / ".env"
    env_file.write_text("COMPOSE_PROJECT_NAME=airfleet-badinput\n" * ("COMPOSE_PROJECT_NAME" not in lines) + lines)
    before = fingerprint([tmp_path])
    assert_refused(up(env_file), says, codes=(1,))
    assert fingerprint([tmp_path]) == before
    assert project_containers("airfleet-badinput") == []


@needs_docker
def test_up_on_a_port_in_use_names_the_port_and_the_setting(tmp_path):
    with held_port() as port:
        env_file = complete_env(tmp_path, "airfleet-badinput-port", f"AIRFLEET_API_PORT={port}\n")
        before = fingerprint([tmp_path])
        result = up(env_file)
    assert_refused(result, [f"port {port} on 127.0.0.1 is in use", "AIRFLEET_API_PORT"], codes=(1,),
                   secrets=secrets_of(env_file))
    assert fingerprint([tmp_path]) == before
    assert project_containers("airfleet-badinput-port") == []


@needs_docker
def test_up_on_an_ipv6_port_in_use_says_in_use_not_something_else(tmp_path):
    try:
        holder = held_port("::1")
        port = holder.__enter__()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    try:
        env_file = complete_env(tmp_path, "airfleet-badinput-v6",
                                f"AIRFLEET_BIND_ADDRESS=::1\nAIRFLEET_FLOWER_PORT={port}\n")
        result = up(env_file)
    finally:
        holder.__exit__(None, None, None)
    assert_refused(result, [f"port {port} on ::1 is in use", "AIRFLEET_FLOWER_PORT"], codes=(1,))


@needs_docker
def test_up_on_an_address_this_machine_lacks_names_the_setting(tmp_path):
    # 192.0.2.0/24 is reserved for documentation: no machine has it, and binding sends nothing.
    env_file = complete_env(tmp_path, "airfleet-badinput-addr", "AIRFLEET_BIND_ADDRESS=192.0.2.10\n")
    assert_refused(up(env_file), ["192.0.2.10:8080 is on an address this machine does not have",
                                  "AIRFLEET_BIND_ADDRESS"], codes=(1,))


@needs_docker
@pytest.mark.parametrize("secret", ["AIRFLOW_FERNET_KEY", "MYSQL_PASSWORD"])
def test_up_does_not_regenerate_a_lost_secret_while_the_database_volume_exists(tmp_path, secret):
    project = "airfleet-badinput-lost"
    env_file = complete_env(tmp_path, project)
    kept = "".join(line + "\n" for line in env_file.read_text().splitlines() if not line.startswith(secret + "="))
    env_file.write_text(kept)
    volume = f"{project}_mysql"
    subprocess.run(["docker", "volume", "create", "--label", f"com.docker.compose.project={project}", volume],
                   capture_output=True, check=True)
    try:
        result = up(env_file)
    finally:
        subprocess.run(["docker", "volume", "rm", volume], capture_output=True)
    assert_refused(result, [secret, volume], codes=(1,), max_lines=3)
    assert env_file.read_text() == kept


# (script, arguments, exit code, the message); all refused before Docker is touched.
NODE_COMMAND_LINES = [
    ("sbin/200.sh", ["database"], 2, "unknown role 'database'"),
    ("sbin/503.sh", ["database"], 2, "unknown role 'database'"),
    ("sbin/200.sh", ["worker", "--concurrency", "x"], 2, "--concurrency 'x' is not a number of task slots above 0"),
    ("sbin/200.sh", ["worker", "--concurrency", "0"], 2, "--concurrency '0' is not a number of task slots above 0"),
    ("sbin/200.sh", ["worker", "--timeout", "soon"], 2, "--timeout 'soon' is not a whole number of seconds"),
    ("sbin/200.sh", ["worker", "--name", "Etl_1"], 2, "--name 'Etl_1' must be lower-case letters, digits and '-'"),
    ("sbin/200.sh", ["worker", "--queue", "etl"], 2, "unknown option '--queue'"),
    ("sbin/200.sh", ["worker", "--env-file"], 2, "--env-file needs a value"),
    ("sbin/200.sh", ["scheduler", "--queues", "etl"], 2, "are for the worker role"),
    ("sbin/503.sh", ["worker", "--drain-timeout", "-1"], 2, "--drain-timeout '-1' is not a whole number of seconds"),
    ("sbin/503.sh", ["scheduler", "--name", "etl1"], 2, "--name is for the worker role"),
    ("sbin/503.sh", ["worker", "--name"], 2, "--name needs a value"),
    ("sbin/200.sh", ["worker", "--env-file", "/nonexistent/node.env"], 1,
     "cannot read the node env file /nonexistent/node.env"),
]


@pytest.mark.parametrize(("script", "args", "code", "says"), NODE_COMMAND_LINES,
                         ids=[" ".join([script, *args]) for script, args, _, _ in NODE_COMMAND_LINES])
def test_a_bad_node_command_line_is_one_line_naming_the_problem(script, args, code, says):
    result = run([str(ROOT / script), *args], {"PATH": "/usr/bin:/bin"}, ROOT)  # no docker needed to refuse it
    assert_refused(result, [says, f"see {ROOT / script} --help" if code == 2 else says], codes=(code,))


@pytest.mark.parametrize("script", ["sbin/200.sh", "sbin/503.sh"])
def test_help_prints_the_roles(script):
    result = run([str(ROOT / script), "--help"], script_env(), ROOT)
    assert result.returncode == 2 and "usage:" in result.stderr and "api-server (alias webserver)" in result.stderr


@needs_docker
def test_a_malformed_node_env_file_is_named_before_anything_starts(tmp_path):
    env_file = tmp_path / "node.env"
    env_file.write_text(f"MYSQL_PASSWORD='{SECRET}\n")
    env_file.chmod(0o600)
    result = run([str(ROOT / "sbin/200.sh"), "worker", "--env-file", str(env_file)], script_env(), ROOT)
    assert_refused(result, [str(env_file), "quote is not closed"], codes=(1,))
    assert subprocess.run(["docker", "ps", "-aq", "--filter", "name=airfleet-worker"],
                          capture_output=True, text=True).stdout.strip() == ""


@needs_docker
def test_a_node_image_that_is_not_there_is_named(tmp_path):
    env_file = tmp_path / "node.env"
    env_file.write_text("AIRFLEET_NODE_ADDRESS=10.0.0.9\n")
    result = run([str(ROOT / "sbin/200.sh"), "worker", "--env-file", str(env_file), "--image", "airfleet/none:x"],
                 script_env(), ROOT)
    assert_refused(result, ["image airfleet/none:x is not on this machine", "AIRFLEET_REGISTRY"], codes=(1,))


def test_deploy_without_its_settings_names_the_first_missing_one():
    assert_refused(run([str(ROOT / "ci/deploy.sh")], script_env(), ROOT),
                   "AIRFLEET_API_URL is not set; set it as a (masked) CI/CD variable", codes=(1,))


def test_deploy_after_a_force_push_deploys_every_dag_and_says_why(tmp_path):
    """The previous commit is unknown here (a force-push or a shallow clone): one warning that says
    so and what to set, then the deploy itself, which fails on the unreachable cluster in one line."""
    env = script_env(AIRFLEET_API_URL="http://127.0.0.1:9", AIRFLEET_API_USER="ci", AIRFLEET_API_PASSWORD=SECRET,
                     AIRFLEET_DEPLOY_BEFORE="0123456789abcdef0123456789abcdef01234567", AIRFLEET_DEPLOY_TIMEOUT="5")
    result = run([str(ROOT / "ci/deploy.sh")], env, ROOT, timeout=600)
    assert "fatal: bad object" not in result.stderr
    assert_refused(result, ["is not in this clone", "GIT_DEPTH", "deploying every DAG",
                            "cannot connect to http://127.0.0.1:9"], codes=(1,), max_lines=4)


def test_validate_a_folder_that_does_not_exist():
    result = run([str(ROOT / "ci/validate.sh"), "/nonexistent/dags"], script_env(), ROOT)
    assert_refused(result, "no DAG folder /nonexistent/dags", codes=(1,))
