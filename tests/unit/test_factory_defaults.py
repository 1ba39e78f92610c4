"""Defaults: a file's `defaults` block and the cluster's defaults file give DAG options and task
settings to every record, the record's own value winning (record > file > cluster); a wrong key
names its level and field, and the records still build with the rest."""

from __future__ import annotations

from datetime import timedelta

from airfleet.factory.sources import cluster_defaults
from airfleet.local_settings import OPT_OUT_TAG
from tests.unit.factory_helpers import bash, dags_of

SPEC = {
    "defaults": {"dag": {"tags": ["team"], "max_active_runs": 3, "catchup": False},
                 "task": {"retries": 2, "owner": "file-owner", "queue": "file-queue"}},
    "tasks": [bash("1", "first"), bash("2", "second", retries=5)],
    "jobs": [{"id": "j", "name": "job", "tasks": ["1", "2"], "dependencies": [{"task_id": "2", "pid": "1"}],
              "options": {"max_active_runs": 1, "dagrun_timeout": 600}, "task_defaults": {"queue": "job-queue"}}],
    "schedules": [{"id": "s", "name": "nightly", "jobs": ["j"], "cron": "@daily", "options": {"tags": ["nightly"]}}],
}
CLUSTER = "dag:\n  tags: [cluster]\n  dagrun_timeout: 7200\ntask:\n  owner: cluster-owner\n  retry_delay: 30\n"


def cluster_file(tmp_path, monkeypatch, text: str = CLUSTER):
    path = tmp_path / "factory-defaults.yaml"
    path.write_text(text)
    monkeypatch.setenv("AIRFLEET_FACTORY_DEFAULTS", str(path))
    return cluster_defaults()


def test_record_beats_file_beats_cluster(tmp_path, monkeypatch):
    dags, problems = dags_of(SPEC, cluster_file(tmp_path, monkeypatch))
    assert problems == []
    job = dags["factory_job_job"]
    # DAG options: the job's max_active_runs and dagrun_timeout, the file's tags (not the cluster's).
    assert (job.max_active_runs, job.dagrun_timeout, job.catchup) == (1, timedelta(seconds=600), False)
    assert job.tags == {"factory", "job", "team"}
    first, second = job.get_task("first"), job.get_task("second")
    assert (first.retries, second.retries) == (2, 5)  # file default; the task's own params
    assert first.queue == "job-queue"  # the job's task_defaults over the file's
    assert first.owner == "file-owner"  # the file over the cluster
    assert first.retry_delay == timedelta(seconds=30)  # only the cluster sets it
    schedule = dags["factory_schedule_nightly"]
    assert schedule.tags == {"factory", "schedule", "nightly"}
    assert schedule.dagrun_timeout == timedelta(seconds=7200) and schedule.max_active_runs == 3
    assert schedule.get_task("run_job").owner == "file-owner"


def test_without_any_defaults_nothing_changes():
    spec = {"tasks": [bash("1", "first")], "jobs": [{"id": "j", "name": "job", "tasks": ["1"]}]}
    dags, problems = dags_of(spec)
    assert problems == [] and dags["factory_job_job"].tags == {"factory", "job"}
    assert dags["factory_job_job"].get_task("first").retries == 0


def test_an_unknown_default_key_is_one_line_and_the_records_still_build():
    spec = {**SPEC, "defaults": {"dag": {"tagz": ["x"], "catchup": "no"}, "task": {"retrys": 1, "owner": "o"},
                                 "tasks": {}}}
    dags, problems = dags_of(spec)
    assert problems == [
        "factory/spec.yaml: defaults, field 'defaults.tasks': not a defaults scope (did you mean 'task'?); "
        "fix: use dag (DAG options) and task (task settings)",
        "factory/spec.yaml: defaults, field 'defaults.dag.tagz': not a setting here (did you mean 'tags'?); fix: use "
        "only tags, catchup, max_active_runs, max_active_tasks, dagrun_timeout, alerts, on_failure_callback, "
        "on_success_callback",
        "factory/spec.yaml: defaults, field 'defaults.dag.catchup': expected true or false, got str 'no'; "
        "fix: set it to true or false",
        "factory/spec.yaml: defaults, field 'defaults.task.retrys': not a setting here (did you mean 'retries'?); "
        "fix: use only retries, retry_delay, execution_timeout, queue, pool, trigger_rule, owner, "
        "on_failure_callback, on_success_callback, on_retry_callback",
    ]
    assert set(dags) == {"factory_job_job", "factory_schedule_nightly"}
    assert dags["factory_job_job"].get_task("first").owner == "o"  # the valid defaults still apply


def test_per_task_settings_are_not_defaults():
    spec = {**SPEC, "defaults": {"task": {"expand": {"bash_command": ["a"]}}}}
    assert dags_of(spec)[1][0].startswith(
        "factory/spec.yaml: defaults, field 'defaults.task.expand': not a setting here;")


def test_a_wrong_job_option_names_the_job():
    spec = {**SPEC, "jobs": [{**SPEC["jobs"][0], "options": {"max_active_runs": 0}}]}
    dags, problems = dags_of(spec)
    assert problems[0] == ("factory/spec.yaml: job 'j' (job), field 'options.max_active_runs': "
                           "expected an integer > 0, got int 0; fix: set it to an integer > 0")
    assert "factory_job_job" not in dags


def test_a_broken_cluster_file_is_reported_and_everything_builds(tmp_path, monkeypatch):
    cluster = cluster_file(tmp_path, monkeypatch, "dag: {tags: [a]}\ntask: {retries: -1}\n")
    dags, problems = dags_of(SPEC, cluster)
    assert problems == [f"{tmp_path}/factory-defaults.yaml: defaults, field 'defaults.task.retries': expected an "
                        "integer >= 0, got int -1; fix: set it to an integer >= 0"]
    assert set(dags) == {"factory_job_job", "factory_schedule_nightly"}
    monkeypatch.setenv("AIRFLEET_FACTORY_DEFAULTS", str(tmp_path / "missing.yaml"))
    (problem,) = cluster_defaults().problems
    assert "cannot read the cluster defaults (No such file or directory); fix: make" in str(problem)


def test_alerts_false_opts_the_job_out_of_the_cluster_alerts():
    spec = {**SPEC, "jobs": [{**SPEC["jobs"][0], "options": {"alerts": False}}]}
    assert OPT_OUT_TAG in dags_of(spec)[0]["factory_job_job"].tags


def test_a_relative_cluster_file_is_in_the_dag_folder(tmp_path, monkeypatch):
    from airfleet.factory.dagfile import generate

    monkeypatch.setenv("AIRFLEET_FACTORY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("AIRFLEET_FACTORY_DB_URL", raising=False)
    (tmp_path / "factory").mkdir()
    (tmp_path / "factory" / "spec.yaml").write_text(
        "tasks: [{id: 1, name: a, type: bash, params: {bash_command: echo}}]\njobs: [{id: j, name: job, tasks: [1]}]\n")
    (tmp_path / "cluster-defaults.yaml").write_text(CLUSTER)
    monkeypatch.setenv("AIRFLEET_FACTORY_DEFAULTS", "cluster-defaults.yaml")
    dags, problems = generate(tmp_path)
    assert problems == [] and dags["factory_job_job"].get_task("a").owner == "cluster-owner"
