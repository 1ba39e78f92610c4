"""The GitLab pipeline's definition and the ci/ scripts it calls, run as a laptop would run them."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
needs_docker = pytest.mark.skipif(shutil.which("docker") is None, reason="ci/validate.sh runs the airflow image")

GOOD = '''
import pendulum
from airflow.sdk import dag, task

@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"))
def {dag_id}():
    @task
    def a(): ...
    @task
    def b(): ...
    a() >> b()

{dag_id}()
'''

CYCLE = '''
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("cyclic", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    a, b = EmptyOperator(task_id="a"), EmptyOperator(task_id="b")
    a >> b >> a
'''


def test_gitlab_ci_is_valid_against_gitlabs_schema():
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci",
                             str(ROOT / ".gitlab-ci.yml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_job_only_calls_a_script_in_ci():
    pipeline = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())
    jobs = {name: job for name, job in pipeline.items() if isinstance(job, dict) and "script" in job}
    assert set(jobs) == {"lint", "validate-dags", "test-dags", "deploy"}
    for name, job in jobs.items():
        for line in job["script"]:
            script = line.split()[0]
            assert script.startswith("ci/"), (name, line)
            assert (ROOT / script).is_file() and (ROOT / script).stat().st_mode & 0o111, script
    assert pipeline["deploy"]["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]


def test_lint_passes():
    result = subprocess.run([str(ROOT / "ci" / "lint.sh")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def dag_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)  # the image's airflow user reads it
    for name, text in files.items():
        (folder / name).write_text(text)
        (folder / name).chmod(0o644)
    return folder


def validate(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "ci" / "validate.sh"), str(folder)], capture_output=True, text=True, timeout=900)


@needs_docker
def test_validate_passes_on_good_dags(tmp_path):
    result = validate(dag_folder(tmp_path, {"one.py": GOOD.format(dag_id="one"), "two.py": GOOD.format(dag_id="two")}))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 DAG(s) imported; no errors" in result.stdout


@needs_docker
def test_validate_names_each_broken_file_and_its_error(tmp_path):
    result = validate(dag_folder(tmp_path, {
        "good.py": GOOD.format(dag_id="good"),
        "typo.py": "import pendulum\ndef broken(:\n    pass\n",
        "missing.py": "import package_that_is_not_installed\n",
        "cyclic.py": CYCLE,
        "again.py": GOOD.format(dag_id="good"),
    }))
    assert result.returncode == 1
    out = result.stdout
    assert "FAIL /opt/airflow/dags/typo.py" in out and "SyntaxError" in out
    assert "FAIL /opt/airflow/dags/missing.py" in out and "package_that_is_not_installed" in out
    assert "FAIL /opt/airflow/dags/cyclic.py" in out and "Cycle" in out
    assert "again.py" in out and "good" in out and "Duplicat" in out
    assert "4 file(s) with errors" in out
