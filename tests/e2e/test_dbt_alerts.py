"""dbt Cloud runs, failure alerts and the task audit log on the cluster.

The fake dbt Cloud, a real SMTP server (aiosmtpd), a webhook receiver and an SNS-compatible server
(moto) run on this host, bound to the cluster network's gateway so its containers reach them. The
cluster was started without any of them: the test points it at them at run time, as a user
would, with connections and the `airfleet_alerts` Variable through the REST API.

Five runs go at once: a dbt job that succeeds, one that fails (one alert at each destination),
one whose status polls meet HTTP 503s, one that outlives its timeout (cancelled in dbt Cloud),
and a failing DAG that opted out of alerts.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest

from airfleet.client import AirflowClient
from tests.support import waiting
from tests.support.fakes.dbt_cloud import FakeDbtCloud
from tests.support.fakes.receivers import SmtpInbox, SnsInbox, WebhookInbox

pytestmark = pytest.mark.e2e

pytest.importorskip("aiosmtpd", reason="aiosmtpd (requirements/dev.in) is not installed")
pytest.importorskip("moto", reason="moto[server] (requirements/dev.in) is not installed")

TOKEN = f"airfleet-alert-test-{uuid.uuid4().hex[:8]}"
DBT_CONN, SMTP_CONN, AWS_CONN = "airfleet_alert_test_dbt", "airfleet_alert_test_smtp", "airfleet_alert_test_aws"
JOBS = {"success": (1, "1,2,3,10"), "error": (2, "1,3,20"), "flaky": (3, "1,http503,http502,3,http503,10"),
        "timeout": (4, "1,3")}
DAG, TIMEOUT_DAG, OPTOUT_DAG = "airfleet_test_dbt", "airfleet_test_dbt_timeout", "airfleet_test_alert_optout"


def gateway(network: str) -> str:
    out = subprocess.run(["docker", "network", "inspect", network, "-f", "{{(index .IPAM.Config 0).Gateway}}"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


@dataclass
class Stage:
    client: Any
    dbt: FakeDbtCloud
    smtp: SmtpInbox
    webhook: WebhookInbox
    sns: SnsInbox


def put(client, kind: str, key: str, body: dict[str, Any]) -> None:
    client.request("DELETE", f"/api/v2/{kind}/{key}")
    client.json("POST", f"/api/v2/{kind}", json=body)


@pytest.fixture(scope="module")
def stage(cluster):
    host = gateway(f"{cluster.project}_default")
    servers = [FakeDbtCloud(host=host, token=TOKEN, scripts=dict(JOBS.values())).start(),
               SmtpInbox(host=host).start(), WebhookInbox(host=host).start(), SnsInbox(host=host).start()]
    dbt, smtp, webhook, sns = servers
    env = cluster.env
    # A generous timeout: the api-server answers slowly while the machine also runs other clusters.
    client = AirflowClient(cluster.url, env["AIRFLOW_ADMIN_USER"], env["AIRFLOW_ADMIN_PASSWORD"], timeout=120)
    try:
        put(client, "connections", DBT_CONN, {"connection_id": DBT_CONN, "conn_type": "dbt_cloud", "login": "1",
                                              "password": TOKEN, "host": dbt.url})
        put(client, "connections", SMTP_CONN, {"connection_id": SMTP_CONN, "conn_type": "smtp", "host": host,
                                               "port": smtp.port, "extra": json.dumps({
                                                   "disable_tls": True, "disable_ssl": True,
                                                   "from_email": "airflow@airfleet.invalid"})})
        put(client, "connections", AWS_CONN, {"connection_id": AWS_CONN, "conn_type": "aws", "login": "testing",
                                              "password": "testing", "extra": json.dumps({
                                                  "endpoint_url": sns.endpoint_url, "region_name": SnsInbox.REGION})})
        put(client, "variables", "airfleet_alerts", {"key": "airfleet_alerts", "value": json.dumps({
            "email_to": "oncall@airfleet.invalid", "smtp_conn_id": SMTP_CONN, "webhook_url": webhook.url,
            "sns_topic_arn": sns.topic_arn, "aws_conn_id": AWS_CONN})})
        yield Stage(client, dbt, smtp, webhook, sns)
    finally:
        client.request("DELETE", "/api/v2/variables/airfleet_alerts")
        for conn in (DBT_CONN, SMTP_CONN, AWS_CONN):
            client.request("DELETE", f"/api/v2/connections/{conn}")
        for server in servers:
            server.stop()


def task_log(client, dag_id: str, run_id: str, task_id: str) -> str:
    response = client.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/1",
                              params={"full_content": "true"}, headers={"Accept": "application/json"})
    if response.status_code != 200:
        return f"no log: {response.status_code}"
    return "\n".join(str(line.get("event", "")) for line in response.json()["content"])[-4000:]


def audit(cluster) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """The audit log's rows by (dag_id, run_id) and task id, read inside the cluster."""
    out = cluster.compose_run("exec", "-T", "worker", "airfleet", "audit", "--json")
    rows: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for row in json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else []:
        rows.setdefault((row["dag_id"], row["run_id"]), {})[row["task_id"]] = row
    return rows


# The tasks that run, and how they end, in each run.
ENDS = {"success": {"dbt": "success", "after": "success"}, "flaky": {"dbt": "success", "after": "success"},
        "error": {"dbt": "failed"}, "timeout": {"dbt": "failed"}, "optout": {"fail_quietly": "failed"}}


@pytest.fixture(scope="module")
def runs(cluster, stage):
    client = stage.client
    for dag_id in (DAG, TIMEOUT_DAG, OPTOUT_DAG):
        client.wait_for_dag(dag_id, timeout=300)
        client.unpause(dag_id)
    started = {name: (TIMEOUT_DAG if name == "timeout" else DAG,
                      client.trigger(TIMEOUT_DAG if name == "timeout" else DAG, {"conn_id": DBT_CONN, "job_id": job}))
               for name, (job, _) in JOBS.items()}
    started["optout"] = (OPTOUT_DAG, client.trigger(OPTOUT_DAG))
    try:
        states = {name: client.wait_for_run(dag_id, run_id, timeout=300) for name, (dag_id, run_id) in started.items()}
    except TimeoutError as error:
        services = cluster.compose_run("ps", "-a").stdout
        scheduler = cluster.compose_run("logs", "--tail", "40", "scheduler").stdout
        raise AssertionError(f"{error}\n{services}\n{scheduler[-6000:]}") from error

    def ended() -> list[str]:
        # A task's end record is written after its failure callbacks ran: then its alerts are out.
        rows = audit(cluster)
        return [name for name, key in started.items()
                if sum(1 for row in rows.get(key, {}).values() if row["end_date"]) >= len(ENDS[name])]

    waiting.eventually(lambda: len(ended()) >= len(started), 120, "end record of every run")
    return {name: {"dag_id": dag_id, "run_id": run_id, "state": states[name]}
            for name, (dag_id, run_id) in started.items()}


def mail_text(message: Any) -> str:
    return "".join(part.get_payload(decode=True).decode() for part in message.walk() if not part.is_multipart())


def ti(client, run: dict[str, Any], task_id: str) -> dict[str, Any]:
    return client.json("GET", f"/api/v2/dags/{run['dag_id']}/dagRuns/{run['run_id']}/taskInstances/{task_id}")


def job_runs(stage: Stage, name: str) -> list[dict[str, Any]]:
    return stage.dbt.runs(JOBS[name][0])


def test_a_successful_dbt_run_lets_the_dag_go_on(stage, runs):
    run = runs["success"]
    assert run["state"] == "success", task_log(stage.client, DAG, run["run_id"], "dbt")
    (dbt_run,) = job_runs(stage, "success")
    assert dbt_run["status"] == 10
    xcom = stage.client.json("GET", f"/api/v2/dags/{DAG}/dagRuns/{run['run_id']}/taskInstances/after/xcomEntries/"
                             "return_value")
    assert xcom["value"] == dbt_run["id"]


def test_transient_5xx_on_status_polls_are_survived(stage, runs):
    assert runs["flaky"]["state"] == "success", task_log(stage.client, DAG, runs["flaky"]["run_id"], "dbt")
    (dbt_run,) = job_runs(stage, "flaky")
    assert dbt_run["status"] == 10 and dbt_run["polls"] >= 6


def test_a_failed_dbt_run_fails_the_task_and_alerts_exactly_once_everywhere(stage, runs):
    run = runs["error"]
    assert run["state"] == "failed"
    (dbt_run,) = job_runs(stage, "error")
    dbt_task, after = ti(stage.client, run, "dbt"), ti(stage.client, run, "after")
    assert dbt_task["state"] == "failed" and after["state"] == "upstream_failed"
    values = [DAG, run["run_id"], "1 of 1", dbt_task["hostname"], f"/dags/{DAG}/runs/{quote(run['run_id'])}/tasks/dbt",
              f"DbtCloudRunFailed: dbt Cloud run {dbt_run['id']} ended ERROR (status 20)",
              f"{stage.dbt.url}/deploy/1/projects/1/runs/{dbt_run['id']}/"]
    labelled = [f"Run: {run['run_id']}", "Try: 1 of 1", f"Host: {dbt_task['hostname']}", "Task: dbt"]

    mails = [m for m in stage.smtp.messages if run["run_id"] in mail_text(m)]
    assert len(mails) == 1, [m["Subject"] for m in stage.smtp.messages]
    assert mails[0]["Subject"] == f"Airflow task failed: {DAG}.dbt"
    assert all(value in mail_text(mails[0]) for value in values), mail_text(mails[0])

    hooks = [p for p in stage.webhook.payloads() if p["airfleet"]["run_id"] == run["run_id"]]
    assert len(hooks) == 1 and all(text in hooks[0]["text"] for text in values + labelled), hooks

    notes = [n for n in stage.sns.notifications() if f"Run: {run['run_id']}" in n["Message"]]
    assert len(notes) == 1 and all(text in notes[0]["Message"] for text in values + labelled), notes
    assert notes[0]["Subject"] == f"Airflow task failed: {DAG}.dbt"


def test_a_timeout_cancels_the_run_in_dbt_cloud(stage, runs):
    run = runs["timeout"]
    assert run["state"] == "failed"
    (dbt_run,) = job_runs(stage, "timeout")
    assert dbt_run["status"] == 30 and dbt_run["cancel_requests"] >= 1
    hooks = [p for p in stage.webhook.payloads() if p["airfleet"]["run_id"] == run["run_id"]]
    assert len(hooks) == 1 and "at the deadline: cancelled it" in hooks[0]["text"], hooks


def test_a_dag_that_opted_out_fails_without_alerting(stage, runs):
    run = runs["optout"]
    assert run["state"] == "failed"
    assert ti(stage.client, run, "fail_quietly")["state"] == "failed"
    assert not [p for p in stage.webhook.payloads() if p["airfleet"]["dag_id"] == OPTOUT_DAG]
    assert not [m for m in stage.smtp.messages if OPTOUT_DAG in m["Subject"]]
    assert not [n for n in stage.sns.notifications() if OPTOUT_DAG in n["Subject"]]


def test_every_task_that_ran_has_audit_records(cluster, stage, runs):
    rows = audit(cluster)
    for name, ends in ENDS.items():
        run = runs[name]
        found = rows.get((run["dag_id"], run["run_id"]), {})
        assert {task_id: row["state"] for task_id, row in found.items()} == ends, (name, found)
        for task_id, row in found.items():
            api = ti(stage.client, run, task_id)
            assert row["host"] == api["hostname"] and row["try_number"] == api["try_number"] == 1
            assert row["start_date"] and row["end_date"] and row["duration"] >= 0
    # Its dbt run took four polls a second apart, across a deferral: one try, start to end.
    assert rows[(DAG, runs["success"]["run_id"])]["dbt"]["duration"] >= 3
