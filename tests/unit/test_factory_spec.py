"""Factory spec validation: each malformed record is reported with its source, record, field and
fix, the records that depend on it are not built, and everything else still is."""

from __future__ import annotations

import copy
import datetime

import pytest
import yaml

from airfleet.factory.catalog import JOB_PREFIX, SCHEDULE_PREFIX, resolve
from airfleet.factory.sources import yaml_text_document
from airfleet.factory.spec import Dependency, Disabled, parse_document

ORIGIN = "factory/spec.yaml"
BASE = {
    "tasks": [
        {"id": "1", "name": "extract", "type": "bash", "params": {"bash_command": "echo extract"}},
        {"id": "2", "name": "load", "type": "sql", "params": {"conn_id": "warehouse", "sql": "SELECT 1"}},
        {"id": "3", "name": "report", "type": "python", "params": {"callable": "json:dumps", "op_args": [[1]]}},
        {"id": "4", "name": "ping", "type": "bash", "params": {"bash_command": "echo ping"}},
    ],
    "jobs": [
        {"id": "10", "name": "daily", "tasks": ["1", "2", "3"],
         "dependencies": [{"task_id": "2", "pid": "1"}, {"task_id": "3", "pid": "2"}]},
        {"id": "20", "name": "other", "tasks": ["4"]},
    ],
    "schedules": [{"id": "100", "name": "nightly", "jobs": ["10"], "cron": "0 2 * * *", "params": {"run": "nightly"}}],
}
NOT_BUILT = "so this is not built either"


def spec_with(change) -> dict:
    spec = copy.deepcopy(BASE)
    change(spec)
    return spec


def problems_of(spec: dict) -> list[str]:
    return [str(problem) for problem in resolve([parse_document(spec, ORIGIN)]).problems]


def test_the_base_spec_is_valid_and_resolves():
    catalog = resolve([parse_document(BASE, ORIGIN)])
    assert catalog.problems == []
    assert [job.dag_id for job in catalog.jobs] == [f"{JOB_PREFIX}daily", f"{JOB_PREFIX}other"]
    (schedule,) = catalog.schedules
    assert schedule.dag_id == f"{SCHEDULE_PREFIX}nightly"
    assert [task.name for task in catalog.jobs[0].tasks] == ["extract", "load", "report"]


def _set(path: str, value):
    """A change that sets spec[kind][index][key]... ("tasks.0.params.sql")."""
    def change(spec):
        *parents, last = path.split(".")
        target = spec
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return change


DELETE = object()

MALFORMED = [
    ("task without a type", _set("tasks.0.type", DELETE),
     "factory/spec.yaml: task '1' (extract), field 'type': missing; fix: give the task its type"),
    ("unknown task type", _set("tasks.0.type", "bsh"),
     "factory/spec.yaml: task '1' (extract), field 'type': \"bsh\" is not a task type (did you mean 'bash'?); "
     "fix: use one of bash, container, dbt_cloud, python, spark, sql"),
    ("bash task without its command", _set("tasks.0.params", {}),
     "factory/spec.yaml: task '1' (extract), field 'params.bash_command': missing (a bash task needs it); "
     "fix: set it to a non-empty string"),
    ("misspelt parameter", _set("tasks.0.params.bash_cmd", "echo"),
     "factory/spec.yaml: task '1' (extract), field 'params.bash_cmd': not a parameter of a bash task "
     "(did you mean 'bash_command'?); fix: use only alerts, append_env, bash_command, cwd, doc_md, env, "
     "execution_timeout, expand, inlets, map_index_template, on_failure_callback, on_retry_callback, "
     "on_success_callback, outlets, owner, pool, queue, retries, retry_delay, trigger_rule"),
    ("negative retries", _set("tasks.1.params.retries", -1),
     "factory/spec.yaml: task '2' (load), field 'params.retries': expected an integer >= 0, got int -1; "
     "fix: set it to an integer >= 0"),
    ("unknown trigger rule", _set("tasks.1.params.trigger_rule", "all_good"),
     "factory/spec.yaml: task '2' (load), field 'params.trigger_rule': expected one of all_success, all_failed, "
     "all_done, all_done_min_one_success, all_done_setup_success, all_skipped, one_success, one_failed, one_done, "
     "none_failed, none_failed_min_one_success, none_skipped, always, got str 'all_good'; fix: set it to one of "
     "all_success, all_failed, all_done, all_done_min_one_success, all_done_setup_success, all_skipped, one_success, "
     "one_failed, one_done, none_failed, none_failed_min_one_success, none_skipped, always"),
    ("python callable that cannot be imported", _set("tasks.2.params.callable", "airfleet.nosuch:run"),
     "factory/spec.yaml: task '3' (report), field 'params.callable': cannot import 'airfleet.nosuch:run' "
     "(ModuleNotFoundError: No module named 'airfleet.nosuch'); fix: name a function importable on every worker, as "
     "'package.module:function' (an installed package, or a module at the top of the DAG bundle)"),
    ("params holding a YAML date", _set("tasks.3.params.doc_md", {"day": datetime.date(2026, 1, 1)}),
     "factory/spec.yaml: task '4' (ping), field 'params.doc_md.day': datetime.date(2026, 1, 1) cannot be stored as "
     "JSON; fix: use strings, numbers, true/false, null, lists and mappings (quote dates and times in YAML)"),
    ("task without an id", lambda spec: spec["tasks"].append({"name": "orphan", "type": "bash",
                                                                "params": {"bash_command": "true"}}),
     "factory/spec.yaml: task #5, field 'id': missing; fix: give the task its id"),
    ("two tasks with one id",
     lambda spec: spec["tasks"].append({"id": "1", "name": "dup", "type": "bash", "params": {"bash_command": "true"}}),
     "factory/spec.yaml: task '1' (dup), field 'id': another task in factory/spec.yaml has id '1'; "
     "fix: give each task its own id"),
    ("job name that cannot be a DAG id", _set("jobs.0.name", "daily load"),
     "factory/spec.yaml: job '10', field 'name': \"daily load\" cannot name a DAG or task; fix: use letters, digits, "
     "'_', '.', '-' (at most 200, not starting with '.' or '-')"),
    ("job listing an unknown task", _set("jobs.1.tasks", ["4", "9"]),
     "factory/spec.yaml: job '20' (other), field 'tasks[1]': no task with id '9' in factory/spec.yaml; "
     "fix: add that task to factory/spec.yaml or remove it from this list"),
    ("job with no tasks", _set("jobs.1.tasks", []),
     "factory/spec.yaml: job '20' (other), field 'tasks': expected a non-empty list of task ids, got []; "
     "fix: list the ids of the tasks this job runs, e.g. [\"1\", \"2\"]"),
    ("dependency in another form", _set("jobs.0.dependencies.0", {"task": "2", "parent": "1"}),
     "factory/spec.yaml: job '10' (daily), field 'dependencies[0]': expected a mapping with task_id and pid, got "
     "{\"task\": \"2\", \"parent\": \"1\"}; fix: write it as [{\"task_id\": \"2\", \"pid\": \"1\"}] "
     "(task_id 2 runs after 1)"),
    ("dependency on a task outside the job", _set("jobs.0.dependencies.0.pid", "4"),
     "factory/spec.yaml: job '10' (daily), field 'dependencies[0].pid': \"4\" is not one of this job's tasks "
     "['1', '2', '3']; fix: add it to tasks or remove this dependency"),
    ("task depending on itself", _set("jobs.0.dependencies.0.pid", "2"),
     "factory/spec.yaml: job '10' (daily), field 'dependencies[0]': task '2' depends on itself; "
     "fix: remove this dependency"),
    ("dependency cycle", lambda spec: spec["jobs"][0]["dependencies"].append({"task_id": "1", "pid": "3"}),
     "factory/spec.yaml: job '10' (daily), field 'dependencies': dependency cycle extract -> load -> report -> "
     "extract; fix: remove one of these dependencies"),
    ("two tasks of a job with one name", _set("tasks.2.name", "load"),
     "factory/spec.yaml: job '10' (daily), field 'tasks': tasks '2' and '3' are both named 'load', and task names "
     "are the task ids of the job's DAG; fix: rename one of the tasks"),
    ("misspelt job field", _set("jobs.1.depends", []),
     "factory/spec.yaml: job '20' (other), field 'depends': not a field of a job (did you mean 'dependencies'?); "
     "fix: use only id, name, tasks, dependencies, params, enabled, task_groups, schedule, options, task_defaults"),
    ("enabled as a word", _set("jobs.1.enabled", "yes"),
     "factory/spec.yaml: job '20' (other), field 'enabled': expected true or false, got \"yes\"; "
     "fix: set enabled to true or false"),
    ("bad cron", _set("schedules.0.cron", "61 * * * *"),
     "factory/spec.yaml: schedule '100' (nightly), field 'cron': \"61 * * * *\" is not a cron expression; fix: use "
     "five fields like \"30 2 * * *\" (02:30 UTC daily) or one of @hourly, @daily, @midnight, @weekly, @monthly, "
     "@quarterly, @yearly, @annually"),
    ("schedule running an unknown job", _set("schedules.0.jobs", ["10", "11"]),
     "factory/spec.yaml: schedule '100' (nightly), field 'jobs[1]': no job with id '11' in factory/spec.yaml; "
     "fix: add that job to factory/spec.yaml or remove it from this list"),
    ("schedule params not a mapping", _set("schedules.0.params", ["nightly"]),
     "factory/spec.yaml: schedule '100' (nightly), field 'params': expected a mapping, got [\"nightly\"]; "
     "fix: give params as a mapping of names to values"),
    ("misspelt top-level key", lambda spec: spec.update(job=[]),
     "factory/spec.yaml: file, field 'job': not a list of records (did you mean 'jobs'?); "
     "fix: use only the keys defaults, tasks, jobs and schedules"),
    ("container task with a command and a callable",
     _set("tasks.3", {"id": "4", "name": "ping", "type": "container",
                      "params": {"image": "alpine", "command": "true", "callable": "json:dumps"}}),
     "factory/spec.yaml: task '4' (ping), field 'params.command': a container task runs either a command or a "
     "callable; fix: set exactly one of params.command and params.callable"),
    ("spark task without its main class", _set("tasks.3", {"id": "4", "name": "ping", "type": "spark",
                                                            "params": {"application": "file:/jobs.jar"}}),
     "factory/spec.yaml: task '4' (ping), field 'params.main_class': missing (a spark task needs it); "
     "fix: set it to a non-empty string"),
    ("dbt Cloud job id as text", _set("tasks.3", {"id": "4", "name": "ping", "type": "dbt_cloud",
                                                   "params": {"job_id": "1234"}}),
     "factory/spec.yaml: task '4' (ping), field 'params.job_id': expected an integer, got str '1234'; "
     "fix: set it to an integer"),
]


@pytest.mark.parametrize(("change", "expected"), [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED])
def test_a_malformed_record_is_reported_and_the_rest_still_builds(change, expected):
    spec = spec_with(change)
    catalog = resolve([parse_document(spec, ORIGIN)])
    first, *consequences = [str(problem) for problem in catalog.problems]
    assert first == expected
    assert all(NOT_BUILT in line for line in consequences), consequences
    built = {job.dag_id for job in catalog.jobs} | {schedule.dag_id for schedule in catalog.schedules}
    untouched = "'20'" not in expected and "'4'" not in expected
    assert (f"{JOB_PREFIX}other" in built) == untouched


def test_records_depending_on_a_malformed_one_say_so():
    assert problems_of(spec_with(_set("tasks.0.type", "bsh")))[1:] == [
        "factory/spec.yaml: job '10' (daily), field 'tasks[0]': task '1' is malformed, so this is not built either; "
        "fix: fix task '1' (its own error is listed too)",
        "factory/spec.yaml: schedule '100' (nightly), field 'jobs[0]': job '10' is malformed, so this is not built "
        "either; fix: fix job '10' (its own error is listed too)",
    ]


def test_a_cycle_between_jobs_names_the_jobs():
    def change(spec):
        spec["schedules"][0]["jobs"] = ["10", "20"]
        spec["schedules"][0]["dependencies"] = [{"job_id": "20", "pid": "10"}, {"task_id": "10", "pid": "20"}]

    assert problems_of(spec_with(change)) == [
        "factory/spec.yaml: schedule '100' (nightly), field 'dependencies': dependency cycle daily -> other -> daily; "
        "fix: remove one of these dependencies"]


def test_invalid_yaml_names_the_line():
    (problem,) = yaml_text_document("tasks:\n  - id: 1\n    name: [unclosed\n", ORIGIN).problems
    assert str(problem).startswith("factory/spec.yaml: file, field 'line 4': not valid YAML: ")


def test_the_same_dag_id_from_two_sources_keeps_the_first():
    catalog = resolve([parse_document(BASE, "factory/a.yaml"), parse_document(BASE, "factory/b.yaml")])
    assert [job.spec.origin for job in catalog.jobs] == ["factory/a.yaml", "factory/a.yaml"]
    assert [str(problem) for problem in catalog.problems][0] == (
        "factory/b.yaml: job '10' (daily), field 'name': DAG id factory_job_daily is already generated by "
        "factory/a.yaml: job '10' (daily); fix: give one of them another name")


def test_numeric_ids_from_yaml_are_the_same_ids_as_strings():
    text = yaml.safe_dump(BASE).replace("'1'", "1").replace("'10'", "10")
    catalog = resolve([yaml_text_document(text, ORIGIN)])
    assert catalog.problems == []
    assert catalog.jobs[0].spec.tasks == ("1", "2", "3")
    assert catalog.schedules[0].spec.jobs == ("10",)


def test_a_disabled_job_is_left_out_and_its_schedule_keeps_the_order():
    def change(spec):
        spec["tasks"].append({"id": "5", "name": "tidy", "type": "bash", "params": {"bash_command": "true"}})
        spec["jobs"].append({"id": "30", "name": "tidy", "tasks": ["5"], "enabled": False, "unknown": "ignored"})
        spec["schedules"][0]["jobs"] = ["10", "30", "20"]
        spec["schedules"][0]["dependencies"] = [{"job_id": "30", "pid": "10"}, {"job_id": "20", "pid": "30"}]

    document = parse_document(spec_with(change), ORIGIN)
    assert Disabled("job", "30", ORIGIN) in document.jobs
    catalog = resolve([document])
    assert catalog.problems == []
    assert f"{JOB_PREFIX}tidy" not in {job.dag_id for job in catalog.jobs}
    (schedule,) = catalog.schedules
    assert [job.spec.id for job in schedule.jobs] == ["10", "20"]
    assert schedule.dependencies == (Dependency(child="20", parent="10"),)
    assert schedule.skipped == ("30",)


def test_a_disabled_schedule_and_a_schedule_of_disabled_jobs_are_not_built():
    def change(spec):
        spec["jobs"][1]["enabled"] = False
        spec["schedules"].append({"id": "200", "name": "off", "jobs": ["10"], "cron": "@daily", "enabled": False})
        spec["schedules"].append({"id": "300", "name": "idle", "jobs": ["20"], "cron": "@daily"})

    catalog = resolve([parse_document(spec_with(change), ORIGIN)])
    assert catalog.problems == []
    assert [schedule.spec.id for schedule in catalog.schedules] == ["100"]
