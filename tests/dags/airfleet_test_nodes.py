"""DAGs the node tests run: a slow task on the `node2` queue, and a sibling container on `docker`."""

from __future__ import annotations

import socket
import time

import pendulum
from airflow.providers.docker.operators.docker import DockerOperator
from airflow.sdk import Param, dag, task

START = pendulum.datetime(2026, 1, 1, tz="UTC")


@dag(schedule=None, start_date=START, catchup=False, params={"seconds": Param(60, type="integer")})
def airfleet_test_node_queue():
    @task(queue="node2")
    def slow(params=None) -> str:
        for tick in range(params["seconds"]):
            print(f"airfleet tick {tick}", flush=True)
            time.sleep(1)
        return socket.gethostname()

    slow()


@dag(schedule=None, start_date=START, catchup=False)
def airfleet_test_docker_socket():
    DockerOperator(
        task_id="sibling",
        queue="docker",
        image="debian:bookworm-slim",
        command=["sh", "-c", "echo sibling-says-$((6 * 7))"],
        docker_url="unix://var/run/docker.sock",
        auto_remove="success",
        mount_tmp_dir=False,
        retrieve_output=False,
    )


airfleet_test_node_queue()
airfleet_test_docker_socket()
