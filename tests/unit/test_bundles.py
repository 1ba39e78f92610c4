import json

import pytest

from airfleet import bundles


def test_no_git_url_keeps_the_local_bundle():
    assert bundles.git_bundle_environment({}) == {}


def test_git_bundle_settings():
    env = bundles.git_bundle_environment({
        "AIRFLEET_DAGS_GIT_URL": "https://gitlab.example.com/data/dags.git",
        "AIRFLEET_DAGS_GIT_BRANCH": "production",
        "AIRFLEET_DAGS_GIT_TOKEN": "glpat-secret",
        "AIRFLEET_DAGS_GIT_REFRESH": "60",
    })
    (bundle,) = json.loads(env["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"])
    assert bundle["classpath"] == "airflow.providers.git.bundles.git.GitDagBundle"
    assert bundle["kwargs"] == {"git_conn_id": "airfleet_dags_git", "tracking_ref": "production",
                                "refresh_interval": 60, "subdir": "dags"}
    connection = json.loads(env["AIRFLOW_CONN_AIRFLEET_DAGS_GIT"])
    assert connection == {"conn_type": "git", "host": "https://gitlab.example.com/data/dags.git",
                          "login": "oauth2", "password": "glpat-secret"}


def test_bundle_config_is_what_airflow_parses(monkeypatch):
    env = bundles.git_bundle_environment({"AIRFLEET_DAGS_GIT_URL": "/srv/dags.git", "AIRFLEET_DAGS_GIT_SUBDIR": ""})
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    (bundle,) = DagBundlesManager().get_all_dag_bundles()
    assert (bundle.name, type(bundle).__name__, bundle.tracking_ref) == ("dags", "GitDagBundle", "main")
    assert bundle.repo_url == "/srv/dags.git" and bundle.subdir is None


def test_bad_refresh_interval_is_named():
    with pytest.raises(ValueError, match="AIRFLEET_DAGS_GIT_REFRESH"):
        bundles.git_bundle_environment({"AIRFLEET_DAGS_GIT_URL": "x", "AIRFLEET_DAGS_GIT_REFRESH": "soon"})
