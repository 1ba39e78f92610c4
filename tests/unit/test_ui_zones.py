"""The display zone: formatting with the offset of each instant (across DST changes), the one
variable, and `[core] default_timezone` following it unless set separately."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from airfleet.ui.zones import (
    ZoneError,
    default_timezone_exports,
    describe,
    display_zone,
    format_offset,
    get_zone,
    stamp,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def shown(moment: datetime, zone: str) -> tuple[str, str, str]:
    result = stamp(moment, get_zone(zone))
    assert result is not None
    return result["local"], result["offset"], result["abbreviation"]


def test_shanghai_is_eight_hours_ahead_all_year():
    assert shown(utc(2026, 11, 21, 10, 22, 3), "Asia/Shanghai") == ("2026-11-21 18:22:03", "+08:00", "CST")
    assert shown(utc(2026, 7, 1, 20, 0, 0), "Asia/Shanghai") == ("2026-07-02 04:00:00", "+08:00", "CST")


def test_new_york_springs_forward_on_the_second_sunday_of_march():
    assert shown(utc(2026, 3, 8, 6, 59, 59), "America/New_York") == ("2026-03-08 01:59:59", "-05:00", "EST")
    assert shown(utc(2026, 3, 8, 7, 0, 0), "America/New_York") == ("2026-03-08 03:00:00", "-04:00", "EDT")


def test_new_york_falls_back_showing_the_same_wall_time_twice_with_different_offsets():
    first = shown(utc(2026, 11, 1, 5, 30), "America/New_York")
    second = shown(utc(2026, 11, 1, 6, 30), "America/New_York")
    assert first == ("2026-11-01 01:30:00", "-04:00", "EDT")
    assert second == ("2026-11-01 01:30:00", "-05:00", "EST")


def test_berlin_changes_at_one_utc_on_the_last_sunday_of_march():
    assert shown(utc(2026, 3, 29, 0, 59, 59), "Europe/Berlin") == ("2026-03-29 01:59:59", "+01:00", "CET")
    assert shown(utc(2026, 3, 29, 1, 0, 0), "Europe/Berlin") == ("2026-03-29 03:00:00", "+02:00", "CEST")


def test_offsets_that_are_not_whole_hours():
    assert shown(utc(2026, 1, 1), "Asia/Kathmandu")[1] == "+05:45"
    assert shown(utc(2026, 1, 1), "America/St_Johns")[1] == "-03:30"
    assert format_offset(timedelta(hours=-9, minutes=-30)) == "-09:30"
    assert format_offset(None) == "+00:00"


def test_stamp_keeps_the_instant_in_utc_to_the_second():
    result = stamp(datetime(2026, 3, 8, 6, 59, 59, 999999, tzinfo=UTC), get_zone("America/New_York"))
    assert result is not None and result["utc"] == "2026-03-08T06:59:59Z"
    assert stamp(None, get_zone("UTC")) is None


def test_a_naive_datetime_is_refused_not_guessed():
    with pytest.raises(ValueError, match="naive"):
        stamp(datetime(2026, 1, 1), get_zone("UTC"))


def test_describe_gives_the_offset_now():
    assert describe(get_zone("America/New_York"), utc(2026, 7, 1)) == {
        "name": "America/New_York", "offset": "-04:00", "abbreviation": "EDT"}
    assert describe(get_zone("America/New_York"), utc(2026, 12, 1))["offset"] == "-05:00"


def test_zone_names():
    assert get_zone("utc").key == "UTC"
    assert get_zone(" Asia/Shanghai ").key == "Asia/Shanghai"
    for bad in ("Mars/Olympus_Mons", "../etc/passwd", "", "A" * 5000):  # too long for a file name: OSError
        with pytest.raises(ZoneError, match="IANA name"):
            get_zone(bad)


def test_display_zone_is_the_one_variable_or_utc():
    assert display_zone({}).key == "UTC"
    assert display_zone({"AIRFLOW_UI_TIMEZONE": ""}).key == "UTC"
    assert display_zone({"AIRFLOW_UI_TIMEZONE": "Asia/Shanghai"}).key == "Asia/Shanghai"
    with pytest.raises(ZoneError, match="^AIRFLOW_UI_TIMEZONE: unknown time zone 'Asia/Shanghia'"):
        display_zone({"AIRFLOW_UI_TIMEZONE": "Asia/Shanghia"})


def test_default_timezone_follows_the_display_zone():
    assert default_timezone_exports({"AIRFLOW_UI_TIMEZONE": "Asia/Shanghai"}) == [
        "export AIRFLOW__CORE__DEFAULT_TIMEZONE=Asia/Shanghai"]
    assert default_timezone_exports({}) == ["export AIRFLOW__CORE__DEFAULT_TIMEZONE=UTC"]


@pytest.mark.parametrize("name", ["AIRFLOW__CORE__DEFAULT_TIMEZONE", "AIRFLOW__CORE__DEFAULT_TIMEZONE_CMD",
                                  "AIRFLOW__CORE__DEFAULT_TIMEZONE_SECRET"])
def test_default_timezone_set_separately_is_left_alone(name):
    assert default_timezone_exports({"AIRFLOW_UI_TIMEZONE": "Asia/Shanghai", name: "Europe/Berlin"}) == []


def run_module(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if "TIMEZONE" not in k}
    return subprocess.run([sys.executable, "-m", "airfleet.ui.zones"], env={**clean, **env}, capture_output=True,
                          text=True, timeout=60)


def test_the_entrypoint_step_prints_shell_exports():
    result = run_module({"AIRFLOW_UI_TIMEZONE": "America/New_York"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "export AIRFLOW__CORE__DEFAULT_TIMEZONE=America/New_York"


def test_the_entrypoint_step_refuses_an_unknown_zone_naming_the_variable():
    result = run_module({"AIRFLOW_UI_TIMEZONE": "Europe/Berln"})
    assert result.returncode == 1
    assert result.stdout == ""
    assert "AIRFLOW_UI_TIMEZONE: unknown time zone 'Europe/Berln'" in result.stderr
