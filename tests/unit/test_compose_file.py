"""Static promises of docker-compose.yml: health checks, no default secrets, little published."""

import re
from pathlib import Path

import yaml

COMPOSE = Path(__file__).parents[2] / "docker-compose.yml"
SECRETS = ("AIRFLOW_FERNET_KEY", "AIRFLOW_API_SECRET_KEY", "AIRFLOW_JWT_SECRET", "MYSQL_ROOT_PASSWORD",
           "MYSQL_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_ADMIN_PASSWORD", "FLOWER_PASSWORD")


def services():
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_every_long_running_service_has_a_health_check():
    for name, service in services().items():
        if name != "airflow-init":
            assert "test" in service.get("healthcheck", {}), name


def test_airflow_roles_wait_for_healthy_dependencies():
    for name in ("api-server", "scheduler", "dag-processor", "triggerer", "worker", "flower"):
        depends = services()[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["airflow-init"]["condition"] == "service_completed_successfully"


def test_only_the_ui_and_flower_are_published():
    published = {name for name, service in services().items() if service.get("ports")}
    assert published == {"api-server", "flower"}


def test_no_secret_has_a_default():
    text = COMPOSE.read_text()
    for name in SECRETS:
        uses = re.findall(r"\$\{" + name + r"(:?[-?][^}]*)?\}", text)
        assert uses, name
        assert all(not use.startswith((":-", "-")) for use in uses), name
        assert any(use.startswith(":?") for use in uses), f"{name} must stop `up` when missing"


def test_every_airflow_role_runs_as_non_root():
    for name, service in services().items():
        if service.get("image", "").startswith("airfleet/airflow"):
            assert service["user"].split(":")[0] != "0", name
