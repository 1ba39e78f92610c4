"""The Cluster page on the running cluster: its endpoints take exactly the Airflow UI's login,
its data matches the cluster (worker, hosts, a running and a deferred task), and in Debian's
chromium, logged in through the real login page, the page inside the UI shows every time in the
chosen zone. The screenshot goes to tests/artifacts/cluster-view.png."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.support import waiting

pytestmark = pytest.mark.e2e

DAG = "airfleet_test_cluster_view"
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
PLUGIN_ROUTES = ["/airfleet/cluster/", "/airfleet/static/cluster.js", "/airfleet/static/cluster.css",
                 "/airfleet/static/cluster.svg", "/airfleet/api/cluster", "/airfleet/api/cluster?tz=Asia/Shanghai"]
BROWSER_ZONE = "America/New_York"  # chromium runs with TZ set to it
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


eventually = partial(waiting.eventually, poll=2)


def expected(utc_iso: str, zone: str) -> str:
    """How a UTC instant must read in `zone`: wall-clock time and that instant's offset."""
    local = datetime.fromisoformat(utc_iso.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} UTC{offset[:3]}:{offset[3:]}"


def stamps(data: Any) -> Iterator[dict[str, str]]:
    """Every formatted time anywhere in the page's data."""
    if isinstance(data, dict):
        if set(data) == {"utc", "local", "offset", "abbreviation"}:
            yield data
        else:
            for value in data.values():
                yield from stamps(value)
    elif isinstance(data, list):
        for value in data:
            yield from stamps(value)


@pytest.fixture(scope="module")
def client(cluster):
    return cluster.client()


@pytest.fixture(scope="module")
def busy_run(cluster, client):
    """A run of the test DAG with `busy` running on the worker and `waiting` deferred; marked
    successful afterwards, so the worker's warm shutdown at the end does not wait for it."""
    client.wait_for_dag(DAG, timeout=300)
    client.unpause(DAG)
    run_id = client.trigger(DAG, conf={"seconds": 240})

    def both_started():
        try:
            states = {ti["task_id"]: ti for ti in client.task_instances(DAG, run_id)}
        except requests.RequestException:  # a busy machine: the api-server answers late
            return None
        busy, waiting = states.get("busy", {}), states.get("waiting", {})
        return busy.get("state") == "running" and waiting.get("state") == "deferred" and states

    try:
        yield run_id, eventually(both_started, timeout=300, what="running and deferred task instances")
    finally:
        client.request("PATCH", f"/api/v2/dags/{DAG}/dagRuns/{quote(run_id, safe='')}", json={"state": "success"})


def page_data(client, **params: str) -> dict[str, Any]:
    return client.json("GET", "/airfleet/api/cluster", params=params)


def test_every_plugin_endpoint_takes_exactly_the_ui_login(cluster):
    env = cluster.env
    login = {"username": env["AIRFLOW_ADMIN_USER"], "password": env["AIRFLOW_ADMIN_PASSWORD"]}
    token = requests.post(f"{cluster.url}/auth/token", json=login, timeout=30).json()["access_token"]
    credentials = {
        "none": {},
        "a forged token": {"headers": {"Authorization": "Bearer not-a-jwt"}},
        "a token": {"headers": {"Authorization": f"Bearer {token}"}},
        "the UI's cookie": {"cookies": {"_token": token}},
    }
    for label, kwargs in credentials.items():
        airflow_api = requests.get(f"{cluster.url}/api/v2/dags", timeout=30, **kwargs).status_code
        for route in PLUGIN_ROUTES:
            status = requests.get(f"{cluster.url}{route}", timeout=30, **kwargs).status_code
            assert status == airflow_api, (label, route, status, airflow_api)
        assert airflow_api == {"none": 401, "a forged token": 403}.get(label, 200), label
    for route in ("/airfleet/openapi.json", "/airfleet/docs"):
        assert requests.get(f"{cluster.url}{route}", timeout=30).status_code == 404, route


def test_the_plugin_is_loaded_once_from_the_package_with_a_nav_view(client):
    plugins = client.json("GET", "/api/v2/plugins")["plugins"]
    (plugin,) = [p for p in plugins if p["name"] == "airfleet_ui"]
    assert plugin["source"].startswith("airfleet=="), plugin["source"]  # the entry point, not plugins/
    (view,) = plugin["external_views"]
    assert (view["name"], view["url_route"], view["destination"]) == ("Cluster", "cluster", "nav")
    errors = client.json("GET", "/api/v2/plugins/importErrors")["import_errors"]
    assert not [e for e in errors if "airfleet" in e["source"]], errors


def test_workers_hosts_and_tasks_match_the_cluster(cluster, client, busy_run):
    run_id, _ = busy_run
    (worker,) = cluster.containers("worker")
    (triggerer,) = cluster.containers("triggerer")
    worker_ip = {n["IPAddress"] for n in worker["NetworkSettings"]["Networks"].values()}
    triggerer_ip = {n["IPAddress"] for n in triggerer["NetworkSettings"]["Networks"].values()}
    node = f"celery@{worker['Config']['Hostname']}"

    def showing_the_busy_worker():
        # The page caches a round of Celery replies for a few seconds, and a reply a loaded worker
        # sends late is left out of that round: what it shows catches up within seconds.
        data = page_data(client)
        return any(w["node"] == node and w["heartbeat_age"] is not None and w["running"] >= 1
                   for w in data["workers"]) and data

    data = eventually(showing_the_busy_worker, timeout=60, what="the worker with its heartbeat and running task")
    (shown,) = [w for w in data["workers"] if w["node"] == node]
    assert shown["answering"] and shown["heartbeat_age"] < 30
    assert "default" in shown["queues"] and shown["running"] >= 1
    assert shown["hostname"] in worker_ip  # what its running task recorded
    assert ("busy", run_id) in {(t["task_id"], t["run_id"]) for t in shown["tasks"]}

    tasks = {t["task_id"]: t for t in data["tasks"] if t["dag_id"] == DAG and t["run_id"] == run_id}
    assert (tasks["busy"]["state"], tasks["busy"]["worker"]) == ("running", node)
    assert tasks["busy"]["host"] in worker_ip
    assert tasks["waiting"]["state"] == "deferred" and tasks["waiting"]["host"] in triggerer_ip
    assert tasks["busy"]["log"] == f"dags/{DAG}/runs/{quote(run_id, safe='')}/tasks/busy"
    (dag,) = [d for d in data["dags"] if d["dag_id"] == DAG]
    assert (dag["last_run"]["run_id"], dag["last_run"]["state"]) == (run_id, "running")

    env = cluster.env
    assert shown["flower"] == f"http://{env['AIRFLEET_BIND_ADDRESS']}:{env['AIRFLEET_FLOWER_PORT']}/worker/{node}"
    flower = requests.get(shown["flower"], auth=(env["FLOWER_USER"], env["FLOWER_PASSWORD"]), timeout=30)
    assert flower.status_code == 200 and node in flower.text


def test_times_are_shown_in_the_zone_asked_for(cluster, client, busy_run):
    default = page_data(client)
    assert default["zone"]["name"] == default["cluster_zone"]["name"] == "UTC"  # the cluster's default
    for zone in ("Asia/Shanghai", "America/New_York", "Europe/Berlin"):
        data = page_data(client, tz=zone)
        assert data["zone"]["name"] == zone
        found = list(stamps(data))
        assert len(found) >= 3  # now, the run's start, the tasks' starts
        for stamp in found:
            assert f"{stamp['local']} UTC{stamp['offset']}" == expected(stamp["utc"], zone), stamp
    bad = client.request("GET", "/airfleet/api/cluster", params={"tz": "Mars/Olympus"})
    assert bad.status_code == 400


def test_default_timezone_follows_the_display_zone_unless_set(cluster):
    """[core] default_timezone as the image's entrypoint sets it up for every role: the cluster's
    display zone (UTC here, where Airflow's own default is "utc"), another zone when one is set,
    and a separately set default_timezone left alone."""
    read = "python -c \"from airflow.configuration import conf; print('tz=' + conf.get('core', 'default_timezone'))\""
    shown = cluster.compose("exec", "-T", "api-server", "bash", "-c",
                            f"airfleet-entrypoint {read}; "
                            f"AIRFLOW_UI_TIMEZONE=Asia/Shanghai airfleet-entrypoint {read}; "
                            f"AIRFLOW_UI_TIMEZONE=Asia/Shanghai AIRFLOW__CORE__DEFAULT_TIMEZONE=Europe/Berlin "
                            f"airfleet-entrypoint {read}", timeout=600)
    zones = [line[3:] for line in shown.splitlines() if line.startswith("tz=")]
    assert zones == ["UTC", "Asia/Shanghai", "Europe/Berlin"]


# ---- in the browser ----

@pytest.fixture(scope="module")
def browser():
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip("Debian's chromium and chromium-driver are not installed (bin/test installs them as root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1500,1100"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, kept on failure
    # An explicit driver, so Selenium Manager downloads nothing; TZ sets the browser's zone.
    service = Service(executable_path=CHROMEDRIVER, env={"TZ": BROWSER_ZONE})
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(120)
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


def log_in(driver, cluster) -> None:
    from selenium.webdriver.common.by import By

    env = cluster.env
    driver.get(f"{cluster.url}/")
    wait(driver).until(lambda d: d.find_elements(By.ID, "username"))
    driver.find_element(By.ID, "username").send_keys(env["AIRFLOW_ADMIN_USER"])
    driver.find_element(By.ID, "password").send_keys(env["AIRFLOW_ADMIN_PASSWORD"])
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()


def wait(driver, timeout: float = 240):  # generous: CI machines run the whole suite at once
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.5)


def enter_page_frame(driver, zone: str) -> None:
    """Into the UI's frame holding the Cluster page, once it shows data in `zone`."""
    from selenium.webdriver.common.by import By

    driver.switch_to.default_content()
    frame = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "iframe[title=Cluster]"))
    driver.switch_to.frame(frame)
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == zone)


def shown_times(driver) -> list[tuple[str, str]]:
    """(UTC instant, text shown) of every time on the page."""
    from selenium.webdriver.common.by import By

    return [(t.get_attribute("datetime"), t.text) for t in driver.find_elements(By.TAG_NAME, "time")]


def check_times(driver, zone: str) -> None:
    times = shown_times(driver)
    assert len(times) >= 3, times
    for utc_iso, text in times:
        assert text == expected(utc_iso, zone), (utc_iso, text, zone)


def test_the_cluster_page_in_the_ui_in_chromium(cluster, browser, busy_run):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser
    try:
        log_in(driver, cluster)
        nav = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "a[href$='plugin/cluster']"))
        nav.click()
        wait(driver).until(lambda d: d.current_url.rstrip("/").endswith("/plugin/cluster")
                           or "/plugin/cluster/" in d.current_url)

        # The cluster's zone (UTC here), then this browser's: every time re-read in the zone.
        enter_page_frame(driver, "UTC")
        assert "UTC, UTC+00:00 now" in driver.find_element(By.ID, "zone-label").text
        check_times(driver, "UTC")
        worker_rows = driver.find_elements(By.CSS_SELECTOR, "#workers tbody tr[data-node]")
        assert worker_rows and worker_rows[0].find_element(By.CLASS_NAME, "hostname").text
        busy = driver.find_element(By.CSS_SELECTOR, f"#tasks tr[data-dag-id='{DAG}'][data-task-id='busy']")
        assert busy.find_element(By.CLASS_NAME, "host").text == busy_run[1]["busy"]["hostname"]

        Select(driver.find_element(By.ID, "zone")).select_by_value("browser")
        wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == BROWSER_ZONE)
        check_times(driver, BROWSER_ZONE)
        driver.switch_to.default_content()
        assert "tz=browser" in driver.current_url  # the choice shows in the UI's own address
        driver.save_screenshot(str(ARTIFACTS / "cluster-view.png"))

        # A link to the page with a zone opens it in that zone.
        driver.get(f"{cluster.url}/plugin/cluster/airfleet/cluster/?tz=Asia/Shanghai")
        enter_page_frame(driver, "Asia/Shanghai")
        check_times(driver, "Asia/Shanghai")

        # A task's log link opens the task's page in the whole UI, not inside the frame.
        busy = driver.find_element(By.CSS_SELECTOR, f"#tasks tr[data-dag-id='{DAG}'][data-task-id='busy']")
        busy.find_element(By.LINK_TEXT, "log").click()
        driver.switch_to.default_content()
        wait(driver).until(lambda d: f"/dags/{DAG}/runs/" in d.current_url and "/tasks/busy" in d.current_url)
    except Exception:
        driver.switch_to.default_content()
        driver.save_screenshot(str(ARTIFACTS / "cluster-view-failure.png"))
        (ARTIFACTS / "cluster-view-failure.html").write_text(driver.page_source)
        (ARTIFACTS / "cluster-view-failure-console.txt").write_text(
            "\n".join(f"{entry['level']} {entry['message']}" for entry in driver.get_log("browser")))
        raise
