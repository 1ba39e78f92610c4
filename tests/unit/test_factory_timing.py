"""Schedules beyond cron, for jobs and schedules: timedelta, allow-listed timetables, and assets
(a job runs when the assets other jobs' tasks list in `outlets` are updated)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from airfleet.factory.dagfile import raise_for_malformed
from airfleet.factory.problems import FactorySpecError
from tests.unit.factory_helpers import bash, dags_of

CRON_TRIGGER = "airflow.timetables.trigger:CronTriggerTimetable"


def spec_with(job_schedule=None, schedule_fields=None, outlets=("orders",)) -> dict:
    job = {"id": "j", "name": "consumer", "tasks": ["2"], **({"schedule": job_schedule} if job_schedule else {})}
    return {
        "tasks": [bash("1", "produce", outlets=list(outlets)), bash("2", "consume", inlets=["orders"])],
        "jobs": [{"id": "p", "name": "producer", "tasks": ["1"]}, job],
        "schedules": [{"id": "s", "name": "timed", "jobs": ["p"],
                       **({"cron": "@daily"} if schedule_fields is None else schedule_fields)}],
    }


def test_a_job_runs_when_the_assets_it_waits_for_are_updated():
    from airflow.sdk import Asset

    dags, problems = dags_of(spec_with({"assets": ["orders"]}))
    assert problems == []
    assert dags["factory_job_producer"].get_task("produce").outlets == [Asset(name="orders")]
    assert dags["factory_job_consumer"].get_task("consume").inlets == [Asset(name="orders")]
    consumer = dags["factory_job_consumer"]
    assert list(consumer.timetable.asset_condition.objects) == [Asset(name="orders")]


def test_any_of_several_assets():
    from airflow.sdk import AssetAny

    spec = spec_with({"assets": ["orders", "refunds"], "match": "any"}, outlets=("orders", "refunds"))
    dags, problems = dags_of(spec)
    assert problems == [] and isinstance(dags["factory_job_consumer"].timetable.asset_condition, AssetAny)


@pytest.mark.parametrize(("value", "expected"), [
    ({"timedelta": 5400}, timedelta(minutes=90)),
    ({"timedelta": {"hours": 1, "minutes": 30}}, timedelta(minutes=90)),
])
def test_every_so_long(value, expected):
    dags, problems = dags_of(spec_with(schedule_fields={"schedule": value}))
    assert problems == [] and dags["factory_schedule_timed"].timetable.delta == expected


def test_an_allowed_timetable_with_its_arguments():
    from airflow.timetables.trigger import CronTriggerTimetable

    value = {"timetable": CRON_TRIGGER, "args": {"cron": "0 2 * * *", "timezone": "UTC"}}
    dags, problems = dags_of(spec_with(value))
    assert problems == []
    timetable = dags["factory_job_consumer"].timetable
    assert isinstance(timetable, CronTriggerTimetable) and timetable._expression == "0 2 * * *"


BAD = [
    ("a timetable outside the allow-list", {"timetable": "airfleet.hostname:get_hostname"},
     "field 'schedule.timetable': 'airfleet.hostname:get_hostname' is outside the modules allowed for timetables "
     "(AIRFLEET_FACTORY_TIMETABLE_MODULES: airflow.timetables); fix: use code from an allowed module, or add its "
     "module prefix to AIRFLEET_FACTORY_TIMETABLE_MODULES in the cluster's configuration (a reviewed change)"),
    ("a timetable refusing its arguments", {"timetable": CRON_TRIGGER, "args": {"crontab": "x"}},
     "field 'schedule.args': airflow.timetables.trigger:CronTriggerTimetable refuses them: TypeError: "),
    ("a negative timedelta", {"timedelta": -1},
     "field 'schedule.timedelta': expected seconds > 0 or a mapping of weeks, days, hours, minutes, seconds, got -1; "
     "fix: write it as {timedelta: 3600} or {timedelta: {hours: 1}}"),
    ("an unknown form", {"every": 60},
     "field 'schedule': expected a cron expression, {timedelta: seconds}, {timetable: 'module:Class', args: {...}}, "
     "or {assets: [names], match: all|any}, got {\"every\": 60}; fix: write schedule in one of those forms"),
    ("a bad cron", "every day",
     "field 'schedule': \"every day\" is not a cron expression; fix: use five fields like"),
    ("assets that are not names", {"assets": "orders"},
     "field 'schedule.assets': expected a non-empty list of asset names, got \"orders\"; fix: list the names"),
]


@pytest.mark.parametrize(("value", "expected"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_a_wrong_schedule_is_one_line(value, expected):
    dags, problems = dags_of(spec_with(value))
    assert problems[0].startswith(f"factory/spec.yaml: job 'j' (consumer), {expected}")
    assert "factory_job_consumer" not in dags and "factory_job_producer" in dags


def test_a_schedule_with_both_cron_and_schedule_or_neither():
    both = dags_of(spec_with(schedule_fields={"cron": "@daily", "schedule": {"timedelta": 60}}))[1]
    neither = dags_of(spec_with(schedule_fields={}))[1]
    assert both == ["factory/spec.yaml: schedule 's' (timed), field 'cron': a schedule runs on its cron or on its "
                    "schedule, not both; fix: set exactly one of cron and schedule"]
    assert neither == ["factory/spec.yaml: schedule 's' (timed), field 'cron': a schedule runs on its cron or on its "
                       "schedule; fix: set exactly one of cron and schedule"]


def test_an_asset_nothing_produces_is_a_warning_and_the_job_still_builds(tmp_path):
    dags, problems = dags_of(spec_with({"assets": ["ordres"]}))
    warning = ("factory/spec.yaml: job 'j' (consumer), field 'schedule.assets[0]': warning: no factory task has asset "
               "'ordres' in its outlets, so only something outside the factory can start this; fix: add the asset to "
               "the outlets of the task that produces it, or check its spelling")
    assert problems == [warning] and "factory_job_consumer" in dags
    (tmp_path / "factory").mkdir()
    (tmp_path / "factory" / "spec.yaml").write_text(
        "tasks: [{id: 1, name: a, type: bash, params: {bash_command: echo}}]\n"
        "jobs: [{id: j, name: consumer, tasks: [1], schedule: {assets: [ordres]}}]\n")
    with pytest.raises(FactorySpecError) as raised:
        raise_for_malformed(tmp_path)
    assert str(raised.value).splitlines()[0] == "no malformed factory record; every factory DAG is generated:"
    assert "field 'schedule.assets[0]': warning: no factory task has asset 'ordres'" in str(raised.value)
