from airfleet.deploy import _changed


def test_changed_files_match_dags_by_their_bundle_relative_path():
    dag = {"relative_fileloc": "airfleet_test_deploy.py"}
    assert _changed(dag, ["dags/airfleet_test_deploy.py"])
    assert _changed(dag, ["airfleet_test_deploy.py"])
    assert not _changed(dag, ["dags/other_airfleet_test_deploy.py", "README.md"])
    assert not _changed({"relative_fileloc": None}, ["dags/x.py"])
