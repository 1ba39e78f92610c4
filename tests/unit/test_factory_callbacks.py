"""Callbacks and notifiers named by records, from allowed modules only, and per-job alert routing:
a routed job's failures go to its own destinations, through one notifier per task and DAG."""

from __future__ import annotations

from airfleet import local_settings
from airfleet.alerts.notifier import FailureNotifier
from airfleet.factory.alerting import AlertRouting
from airfleet.hostname import get_hostname
from tests.unit.factory_helpers import bash, dags_of

NOTIFIER = {"notifier": "airfleet.alerts.notifier:FailureNotifier", "args": {"kind": "task"}}


def job_with(options: dict | None = None, **task_params) -> dict:
    return {"tasks": [bash("1", "work", **task_params)], "jobs": [{"id": "j", "name": "job", "tasks": ["1"],
                                                                  "options": options or {}}]}


def test_callbacks_by_import_path_at_job_and_task_level():
    dags, problems = dags_of(job_with({"on_success_callback": "airfleet.hostname:get_hostname"},
                                      on_failure_callback=[NOTIFIER],
                                      on_retry_callback="airfleet.hostname.get_hostname"))
    assert problems == []
    dag = dags["factory_job_job"]
    assert dag.on_success_callback == [get_hostname]
    task = dag.get_task("work")
    (notifier,) = task.on_failure_callback
    assert isinstance(notifier, FailureNotifier) and notifier.kind == "task"
    assert task.on_retry_callback == [get_hostname]


def test_a_callback_outside_the_allow_list_or_not_callable_is_refused():
    _, problems = dags_of(job_with({"on_failure_callback": ["os:system", "airfleet.local_settings:OPT_OUT_TAG"]}))
    assert problems[:2] == [
        "factory/spec.yaml: job 'j' (job), field 'options.on_failure_callback[0]': 'os:system' is outside the modules "
        "allowed for python callables, callbacks and notifiers (AIRFLEET_FACTORY_PYTHON_MODULES: airfleet, json); "
        "fix: use code from an allowed module, or add its module prefix to AIRFLEET_FACTORY_PYTHON_MODULES in the "
        "cluster's configuration (a reviewed change)",
        "factory/spec.yaml: job 'j' (job), field 'options.on_failure_callback[1]': "
        "'airfleet.local_settings:OPT_OUT_TAG' is a str, not a function or notifier class; fix: name a function, or a "
        "notifier class under `notifier`, importable on every host that parses DAGs",
    ]
    _, problems = dags_of(job_with(on_failure_callback={"notifier": "airfleet.factory.alerting:notifiers"}))
    assert ("field 'params.on_failure_callback': 'airfleet.factory.alerting:notifiers' is a function, "
            "not a notifier class") in problems[0]


def test_a_routed_job_alerts_only_its_own_destinations(monkeypatch):
    monkeypatch.setenv("AIRFLEET_ALERT_WEBHOOK_URL", "http://cluster.example/hook")
    monkeypatch.setenv("AIRFLEET_ALERT_SNS_TOPIC_ARN", "arn:aws:sns:eu-west-1:1:cluster")
    monkeypatch.setattr("airfleet.alerts.settings.read_variable", lambda: None)
    alerts = {"webhook_url": "http://team.example/hook", "email_to": ["a@team.example", "b@team.example"]}
    dags, problems = dags_of(job_with({"alerts": alerts}))
    assert problems == []
    dag = dags["factory_job_job"]
    task = dag.get_task("work")
    local_settings.dag_policy(dag)
    local_settings.task_policy(task)  # the cluster policy adds no second notifier
    (dag_notifier,), (task_notifier,) = dag.on_failure_callback, task.on_failure_callback
    assert (dag_notifier.kind, task_notifier.kind) == ("dag", "task")
    assert task_notifier.settings == AlertRouting(webhook_url="http://team.example/hook",
                                               email_to="a@team.example,b@team.example")
    settings = task_notifier.settings()
    assert (settings.webhook_url, settings.recipients, settings.sns_topic_arn) == (
        "http://team.example/hook", ["a@team.example", "b@team.example"], "")
    assert settings.destinations == ["email", "webhook"]


def test_alert_routing_that_names_nothing_or_a_wrong_key_is_refused():
    _, problems = dags_of(job_with({"alerts": {"webhook": "http://x"}}))
    assert problems[:2] == [
        "factory/spec.yaml: job 'j' (job), field 'options.alerts.webhook': not an alert setting (did you mean "
        "'webhook_url'?); fix: use only email_to, webhook_url, sns_topic_arn, email_from, smtp_conn_id, aws_conn_id, "
        "sns_region",
        "factory/spec.yaml: job 'j' (job), field 'options.alerts': names no destination; fix: set at least one of "
        "email_to, webhook_url, sns_topic_arn, or alerts: false for none",
    ]


def test_a_routed_schedule_routes_its_trigger_tasks_too():
    spec = {**job_with(), "schedules": [{"id": "s", "name": "nightly", "jobs": ["j"], "cron": "@daily",
                                         "options": {"alerts": {"sns_topic_arn": "arn:aws:sns:eu-west-1:1:team"}}}]}
    dags, problems = dags_of(spec)
    assert problems == []
    (notifier,) = dags["factory_schedule_nightly"].get_task("run_job").on_failure_callback
    assert notifier.settings == AlertRouting(sns_topic_arn="arn:aws:sns:eu-west-1:1:team")
    assert not dags["factory_job_job"].get_task("work").on_failure_callback  # the job itself is not routed


def test_a_task_routes_or_silences_its_own_alerts(monkeypatch):
    monkeypatch.setenv("AIRFLEET_ALERT_WEBHOOK_URL", "http://cluster.example/hook")
    monkeypatch.setattr("airfleet.alerts.settings.read_variable", lambda: None)
    spec = {"tasks": [bash("1", "loud", alerts={"email_to": "me@team.example"}), bash("2", "quiet", alerts=False),
                      bash("3", "usual", alerts=True), bash("4", "job_routed")],
            "jobs": [{"id": "j", "name": "job", "tasks": ["1", "2", "3", "4"],
                      "options": {"alerts": {"webhook_url": "http://team.example/hook"}}}]}
    dags, problems = dags_of(spec)
    assert problems == []
    dag = dags["factory_job_job"]
    settings = {task.task_id: [n.settings for n in task.on_failure_callback] for task in dag.tasks}
    assert settings == {"loud": [AlertRouting(email_to="me@team.example")], "quiet": [AlertRouting()], "usual": [],
                        "job_routed": [AlertRouting(webhook_url="http://team.example/hook")]}
    assert AlertRouting()().destinations == []  # the cluster's webhook is off for the silenced task
