"""Virtualenv tasks against the test's private package index: one from the cluster-wide index
(AIRFLEET_PIP_INDEX_URL, HTTPS with the cluster's extra CA), one from an index the operator names
(plain HTTP), and the same on a worker started with sbin/200.sh (queue node2)."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.python import PythonVirtualenvOperator
from airflow.sdk import Param, dag, task

START = pendulum.datetime(2026, 1, 1, tz="UTC")
NAMED_INDEX = "http://pypi.airfleet.test:8080/simple/"


def probe() -> dict[str, str]:
    import socket
    import sys

    import airfleet_venv_probe

    return {"python": sys.executable, "origin": airfleet_venv_probe.ORIGIN, "host": socket.gethostname()}


@dag(schedule=None, start_date=START, catchup=False, default_args={"retries": 0},
     params={"requirement": Param("airfleet-venv-probe==1.0", type="string")})
def airfleet_test_virtualenv():
    @task.virtualenv(requirements=["{{ params.requirement }}"], system_site_packages=False)
    def from_cluster_index() -> dict[str, str]:
        import sys

        import airfleet_venv_probe

        return {"python": sys.executable, "origin": airfleet_venv_probe.ORIGIN}

    from_cluster_index()
    PythonVirtualenvOperator(task_id="from_named_index", python_callable=probe, system_site_packages=False,
                             requirements=["airfleet-venv-probe==1.0"], index_urls=[NAMED_INDEX],
                             pip_install_options=["--trusted-host", "pypi.airfleet.test"])


@dag(schedule=None, start_date=START, catchup=False)
def airfleet_test_virtualenv_node():
    PythonVirtualenvOperator(task_id="on_node", queue="node2", python_callable=probe, system_site_packages=False,
                             requirements=["airfleet-venv-probe==1.0"])


airfleet_test_virtualenv()
airfleet_test_virtualenv_node()
