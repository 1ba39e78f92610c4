"""Failure alerts without servers: what an alert says, where it goes, which failures alert, and
that the cluster policy attaches the notifier to every task and DAG but those that opt out."""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

from airfleet.alerts import senders
from airfleet.alerts.message import MAX_EXCEPTION_CHARS, Alert
from airfleet.alerts.notifier import FailureNotifier
from airfleet.alerts.settings import AlertSettings
from airfleet.local_settings import OPT_OUT_TAG


def task_context(exception: BaseException | None = None, **ti) -> dict:
    fields = dict(dag_id="sales", task_id="load", run_id="scheduled__2026-01-02", map_index=-1, try_number=3,
                  max_tries=2, hostname="10.0.0.9", log_url="http://airflow:8080/dags/sales/runs/r/tasks/load?try_number=3")
    return {"ti": SimpleNamespace(**{**fields, **ti}), "exception": exception}


def test_a_task_alert_names_dag_task_run_try_host_log_and_exception():
    alert = Alert.from_task_context(task_context(ValueError("row 7: bad date")))
    text = alert.text()
    assert alert.subject == "Airflow task failed: sales.load"
    for expected in ("DAG: sales", "Task: load", "Run: scheduled__2026-01-02", "Try: 3 of 3", "Host: 10.0.0.9",
                     "Log: http://airflow:8080/dags/sales/runs/r/tasks/load?try_number=3",
                     "ValueError: row 7: bad date"):
        assert expected in text
    assert "<a href='http://airflow:8080/dags/sales/runs/r/tasks/load?try_number=3'>" in alert.html()


def test_a_mapped_task_alert_names_its_index():
    alert = Alert.from_task_context(task_context(RuntimeError("x"), map_index=4))
    assert alert.subject == "Airflow task failed: sales.load[4]" and "Map index: 4" in alert.text()


def test_html_escapes_the_exception():
    assert "&lt;script&gt;" in Alert.from_task_context(task_context(ValueError("<script>"))).html()


def test_a_long_exception_is_cut():
    alert = Alert.from_task_context(task_context(ValueError("x" * 10_000)))
    assert len(alert.exception) < MAX_EXCEPTION_CHARS + 50 and alert.exception.endswith("(cut; see the log)")


def test_a_lost_task_process_still_alerts_with_this_host():
    alert = Alert.from_task_context(task_context(None, hostname=None))
    assert alert.host and "no exception recorded" in alert.exception


def test_the_webhook_payload_is_what_slack_and_teams_show():
    payload = Alert.from_task_context(task_context(ValueError("boom"))).webhook_payload()
    assert payload["text"].startswith("Airflow task failed: sales.load\n") and "ValueError: boom" in payload["text"]
    assert payload["title"] == payload["summary"] == "Airflow task failed: sales.load"
    assert payload["airfleet"]["try_number"] == 3 and payload["airfleet"]["host"] == "10.0.0.9"


def test_the_sns_subject_is_short_ascii_on_one_line_and_attributes_are_not_empty():
    alert = Alert.from_task_context(task_context(ValueError("x"), dag_id="é" + "d" * 200, task_id="t\nu"))
    subject = alert.sns_subject()
    assert len(subject) <= 100 and subject.isascii() and "\n" not in subject
    assert all(alert.sns_attributes().values())


def test_a_dag_alert_names_the_reason_and_the_last_task():
    context = {"dag": SimpleNamespace(dag_id="sales"), "run_id": "r1", "reason": "timed_out",
               "ti": task_context()["ti"]}
    alert = Alert.from_dag_context(context)
    assert alert.subject == "Airflow DAG run failed: sales (timed_out)"
    assert "Run: r1" in alert.text() and "the DAG run failed: timed_out" in alert.text()


def test_settings_come_from_env_and_the_variable_wins():
    env = {"AIRFLEET_ALERT_WEBHOOK_URL": "https://hooks.example/1", "AIRFLEET_ALERT_EMAIL_TO": "a@x.io, b@x.io",
           "AIRFLEET_ALERT_SNS_TOPIC_ARN": "arn:aws:sns:eu-west-1:1:alerts"}
    settings = AlertSettings.resolve(env)
    assert settings.destinations == ["email", "webhook", "sns"] and settings.recipients == ["a@x.io", "b@x.io"]
    assert settings.smtp_conn_id == "smtp_default" and settings.aws_conn_id == "aws_default"
    changed = AlertSettings.resolve(env, {"webhook_url": "https://hooks.example/2", "sns_topic_arn": "",
                                          "aws_conn_id": None})
    assert changed.webhook_url == "https://hooks.example/2" and changed.destinations == ["email", "webhook"]
    assert changed.aws_conn_id == "aws_default"


def test_an_unknown_variable_key_is_ignored_with_a_warning(caplog):
    assert AlertSettings.resolve({}, {"webhook": "https://x"}).destinations == []
    assert "unknown key 'webhook'" in caplog.text


def notifier(kind: str, settings: AlertSettings, monkeypatch, fail: str = "") -> list[tuple[str, Alert]]:
    sent: list[tuple[str, Alert]] = []

    def sender(name: str):
        def send(alert: Alert, _settings: AlertSettings) -> None:
            if name == fail:
                raise ConnectionError(f"{name} is down")
            sent.append((name, alert))
        return send

    monkeypatch.setattr(senders, "SENDERS", {name: sender(name) for name in ("email", "webhook", "sns")})
    return sent, FailureNotifier(kind, settings=lambda: settings)


ALL = AlertSettings(email_to="a@x.io", webhook_url="http://hook", sns_topic_arn="arn:aws:sns:us-east-1:1:t")


def test_a_task_failure_goes_to_every_destination_once(monkeypatch):
    sent, notify = notifier("task", ALL, monkeypatch)
    notify(task_context(ValueError("boom")))
    assert [name for name, _ in sent] == ["email", "webhook", "sns"]
    assert all(alert.exception == "ValueError: boom" for _, alert in sent)


def test_one_broken_destination_does_not_silence_the_others(monkeypatch, caplog):
    sent, notify = notifier("task", ALL, monkeypatch, fail="email")
    notify(task_context(ValueError("boom")))
    assert [name for name, _ in sent] == ["webhook", "sns"]


def test_nothing_is_sent_without_a_destination(monkeypatch):
    sent, notify = notifier("task", AlertSettings(), monkeypatch)
    notify(task_context(ValueError("boom")))
    assert sent == []


def test_a_dag_run_failed_by_its_tasks_does_not_alert_twice(monkeypatch):
    sent, notify = notifier("dag", ALL, monkeypatch)
    notify({"dag": SimpleNamespace(dag_id="sales"), "run_id": "r", "reason": "task_failure"})
    assert sent == []
    notify({"dag": SimpleNamespace(dag_id="sales"), "run_id": "r", "reason": "timed_out"})
    assert len(sent) == 3 and sent[0][1].kind == "dag"


def test_exception_text_is_not_rendered_as_a_template(monkeypatch):
    sent, notify = notifier("task", AlertSettings(webhook_url="http://hook"), monkeypatch)
    notify(task_context(KeyError("{{ 7 * 7 }}")))
    assert "{{ 7 * 7 }}" in sent[0][1].exception


DAGS = textwrap.dedent('''
    import pendulum
    from airflow.sdk import dag, task

    def mine(context):
        pass

    @dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1), on_failure_callback=mine)
    def alerted():
        @task(on_failure_callback=mine)
        def a():
            pass

        @task
        def b(x):
            pass

        b.expand(x=[1, 2])
        a()

    @dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1), tags=["{tag}"])
    def quiet():
        @task
        def c():
            pass

        c()

    alerted()
    quiet()
''').replace("{tag}", OPT_OUT_TAG)


def test_the_policy_attaches_the_notifier_unless_the_dag_opts_out(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "policy_dags.py").write_text(DAGS)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(tmp_path / "dags"))
    assert bag.import_errors == {}
    alerted, quiet = bag.dags["alerted"], bag.dags["quiet"]

    def kinds(callbacks) -> list[str]:
        return [c.kind if isinstance(c, FailureNotifier) else c.__name__ for c in callbacks]

    assert kinds(alerted.on_failure_callback) == ["mine", "dag"] and alerted.has_on_failure_callback
    assert kinds(alerted.get_task("a").on_failure_callback) == ["mine", "task"]
    assert kinds(alerted.get_task("b").on_failure_callback) == ["task"]  # a mapped task
    assert not quiet.on_failure_callback and not quiet.get_task("c").on_failure_callback
