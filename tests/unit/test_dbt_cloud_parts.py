"""The pieces of the dbt Cloud integration that need no server: run scripts, base URLs, which
errors are worth another poll, and the run marker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
import requests

from airfleet.dbt.hook import DbtCloudRunHook, base_url, is_transient, status_name
from airfleet.dbt.operator import DbtCloudRunOperator, run_key
from tests.support.fakes.dbt_cloud import FakeRun, Script, ScriptError, Step

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(("text", "steps", "trigger_http"), [
    ("1,3,10", (Step(status=1), Step(status=3), Step(status=10)), None),
    (" 1, http503 ,20", (Step(status=1), Step(http=503), Step(status=20)), None),
    ("trigger:http502,1,30", (Step(status=1), Step(status=30)), 502),
])
def test_scripts_parse(text, steps, trigger_http):
    assert Script.parse(text) == Script(steps, trigger_http)


@pytest.mark.parametrize(("text", "complaint"), [
    ("1,4,10", "'4' is neither a dbt status"),
    ("1,http200", "4xx or 5xx"),
    ("http503", "at least one dbt status"),
    ("1,trigger:http502", "may appear once, first"),
])
def test_bad_scripts_are_refused_with_what_is_expected(text, complaint):
    with pytest.raises(ScriptError, match=complaint):
        Script.parse(text)


def test_a_run_follows_its_script_one_poll_at_a_time_and_holds_its_last_status():
    run = FakeRun(id=1, account_id=1, job_id=1, cause="", script=Script.parse("1,http503,3"), href="")
    seen = [(run.poll(), run.status) for _ in range(5)]
    assert seen == [(None, 1), (503, 1), (None, 3), (None, 3), (None, 3)]
    run.cancel()
    assert run.status == 30 and run.finished_at


def test_an_ended_run_is_not_cancelled():
    run = FakeRun(id=1, account_id=1, job_id=1, cause="", script=Script.parse("10"), href="")
    run.poll()
    run.cancel()
    assert run.status == 10 and run.cancel_requests == 1


def test_the_fake_runs_from_the_command_line_and_refuses_a_bad_script():
    result = subprocess.run([sys.executable, "-m", "tests.support.fakes.dbt_cloud", "--script", "42=1,7"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 2 and "'7' is neither a dbt status" in result.stderr


@pytest.mark.parametrize(("host", "port", "url"), [
    (None, None, "https://cloud.getdbt.com"),
    ("ab123.us1.dbt.com", None, "https://ab123.us1.dbt.com"),
    ("http://172.18.0.1:8765/", None, "http://172.18.0.1:8765"),
    ("http://fake", 8765, "http://fake:8765"),
    ("https://emea.dbt.com:8443", 1, "https://emea.dbt.com:8443"),
])
def test_the_connection_host_is_a_tenant_or_a_base_url(host, port, url):
    assert base_url(host, port) == url


def test_a_host_that_is_no_url_names_the_fix():
    with pytest.raises(ValueError, match="fix the connection's host"):
        base_url("ftp://dbt")


def response(code: int) -> requests.Response:
    answer = requests.Response()
    answer.status_code = code
    return answer


@pytest.mark.parametrize(("error", "transient"), [
    (requests.HTTPError(response=response(503)), True),
    (requests.HTTPError(response=response(429)), True),
    (requests.HTTPError(response=response(404)), False),
    (requests.HTTPError(response=response(401)), False),
    (requests.ConnectionError("refused"), True),
    (requests.ReadTimeout("slow"), True),
    (aiohttp.ClientResponseError(None, (), status=502), True),  # type: ignore[arg-type]
    (aiohttp.ClientResponseError(None, (), status=403), False),  # type: ignore[arg-type]
    (aiohttp.ServerDisconnectedError(), True),
    (TimeoutError(), True),
    (ValueError("bad JSON"), False),
])
def test_only_transient_errors_are_worth_another_poll(error, transient):
    assert is_transient(error) is transient
    assert DbtCloudRunHook._retryable_error(error) is transient


def test_request_urls_keep_the_scheme_and_port():
    url, params = DbtCloudRunHook.get_request_url_params("http://fake:8765", "7/runs/1/", ["trigger"])
    assert url == "http://fake:8765/api/v2/accounts/7/runs/1/" and params == {"include_related": ["trigger"]}


def test_status_names():
    assert [status_name(s) for s in (1, 3, 10, 20, 30, 99)] == ["QUEUED", "RUNNING", "SUCCESS", "ERROR",
                                                               "CANCELLED", "UNKNOWN(99)"]


def test_the_run_marker_names_the_task_instance_not_the_try():
    ti = SimpleNamespace(dag_id="d", run_id="r", task_id="t", map_index=-1, try_number=1)
    assert run_key(ti) == run_key(SimpleNamespace(**{**ti.__dict__, "try_number": 2}))
    assert run_key(ti) != run_key(SimpleNamespace(**{**ti.__dict__, "map_index": 0}))
    assert len(run_key(ti)) == 16


def test_the_operator_refuses_a_blocking_wait():
    with pytest.raises(ValueError, match="always defers"):
        DbtCloudRunOperator(task_id="dbt", job_id=1, deferrable=False)
