"""The container task's archive and runner, without Docker: unpacked into a folder and run by a
Python started with -I -S (no site-packages, so no dill and no airfleet), as a bare image would."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile

from airfleet.container import EXIT_NOT_JSON, EXIT_PYTHON_MISMATCH, read_result, task_archive
from tests.unit.test_serialization import dag_module  # noqa: F401 - fixture


def run_archive(archive: bytes, root) -> subprocess.CompletedProcess[str]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="fully_trusted")
    return subprocess.run([sys.executable, "-I", "-S", str(root / "airfleet-task" / "run.py")],
                          capture_output=True, text=True, cwd="/", timeout=60)


def result_of(root):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:  # what Docker's get_archive streams back
        tar.add(root / "airfleet-task" / "result.json", arcname="result.json")
    return read_result(iter([out.getvalue()]))


def test_closure_from_a_dag_file_runs_without_dill_installed(dag_module, tmp_path):  # noqa: F811
    check = dag_module.make_check(2)
    archive = task_archive(lambda lines, extra: {**check(lines), "extra": extra}, [["row-2", "row-30"]],
                           {"extra": dag_module.THRESHOLD})
    result = run_archive(archive, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result_of(tmp_path) == {"ok": True, "labels": ["below", "at or above"], "calls": 1, "extra": 10}


def test_a_raising_callable_exits_non_zero_with_its_traceback(tmp_path):
    def broken(value):
        raise RuntimeError(f"bad value {value}")

    result = run_archive(task_archive(broken, [7], {}), tmp_path)
    assert result.returncode == 1 and "RuntimeError: bad value 7" in result.stderr


def test_a_result_that_is_not_json_is_refused(tmp_path):
    result = run_archive(task_archive(lambda: {1, 2}, [], {}), tmp_path)
    assert result.returncode == EXIT_NOT_JSON and "cannot go to XCom as JSON" in result.stderr


def test_another_python_minor_version_is_refused_with_the_fix(tmp_path):
    result = run_archive(task_archive(lambda: 1, [], {}), tmp_path)
    assert result.returncode == 0
    meta = tmp_path / "airfleet-task" / "meta.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "python": [3, 99]}))
    result = subprocess.run([sys.executable, "-I", "-S", str(tmp_path / "airfleet-task" / "run.py")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == EXIT_PYTHON_MISMATCH
    assert "serialized by Python 3.99; use an image with Python 3.99" in result.stderr


def test_archive_directory_is_writable_by_any_user():
    with tarfile.open(fileobj=io.BytesIO(task_archive(lambda: 1, [], {}))) as tar:
        top = tar.getmember("airfleet-task")
        assert top.isdir() and top.mode == 0o777
        assert "airfleet-task/lib/dill/__init__.py" in tar.getnames()
