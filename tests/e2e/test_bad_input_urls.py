"""Bad requests to the plugin's URLs on the shared cluster: a 4xx whose one-line detail names what is
wrong, never a 500, nothing echoed back at length."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e

LONG = "A" * 5000
ZONE_HINT = "use an IANA name such as Asia/Shanghai"

# (label, path, credentials, status, what the detail says)
CASES = [
    ("no login", "/airfleet/api/cluster", "none", 401, "Not authenticated"),
    ("a forged token", "/airfleet/api/cluster", "forged", 403, "Invalid JWT token"),
    ("no login, the page", "/airfleet/cluster/", "none", 401, "Not authenticated"),
    ("an unknown zone", "/airfleet/api/cluster?tz=Mars/Olympus_Mons", "token", 400, ZONE_HINT),
    ("a zone name too long for a file name", f"/airfleet/api/cluster?tz={LONG}", "token", 400, ZONE_HINT),
    ("a NUL in the zone", "/airfleet/api/cluster?tz=%00", "token", 400, ZONE_HINT),
    ("a zone that walks the file system", "/airfleet/api/cluster?tz=../../../etc/passwd", "token", 400, ZONE_HINT),
    ("an unknown static file", "/airfleet/static/nothing.js", "token", 404, "no static file 'nothing.js'"),
    ("a static path out of the folder", "/airfleet/static/..%2f..%2fapp.py", "token", 404, "Not Found"),
    ("an unknown plugin route", "/airfleet/nothing", "token", 404, "Not Found"),
    ("the plugin's API schema (not served)", "/airfleet/openapi.json", "none", 404, "Not Found"),
]


@pytest.fixture(scope="module")
def credentials(cluster) -> dict[str, dict]:
    env = cluster.env
    login = {"username": env["AIRFLOW_ADMIN_USER"], "password": env["AIRFLOW_ADMIN_PASSWORD"]}
    token = requests.post(f"{cluster.url}/auth/token", json=login, timeout=30).json()["access_token"]
    return {"none": {}, "forged": {"Authorization": "Bearer not-a-jwt"}, "token": {"Authorization": f"Bearer {token}"}}


@pytest.mark.parametrize(("label", "path", "who", "status", "says"), CASES, ids=[case[0] for case in CASES])
def test_a_bad_request_is_a_4xx_naming_the_problem(cluster, credentials, label, path, who, status, says):
    response = requests.get(f"{cluster.url}{path}", headers=credentials[who], timeout=60)
    assert response.status_code == status, (label, response.status_code, response.text[:300])
    detail = response.json()["detail"]
    assert isinstance(detail, str) and says in detail and "\n" not in detail, detail
    assert len(detail) < 300 and LONG not in detail, detail


def test_a_wrong_password_is_refused_and_not_echoed(cluster):
    wrong = "wrong-Zq8vK3xT0-password"
    response = requests.post(f"{cluster.url}/auth/token", timeout=30,
                             json={"username": cluster.env["AIRFLOW_ADMIN_USER"], "password": wrong})
    assert response.status_code == 401 and wrong not in response.text, response.text

