import stat

import pytest

from airfleet import envfile
from airfleet.cli import main as cli


def test_init_creates_every_setting_private(tmp_path):
    path = tmp_path / ".env"
    added = envfile.init(path)
    assert added == [s.name for s in envfile.SETTINGS]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    values = envfile.load(path)
    for setting in envfile.SETTINGS:
        assert setting.valid(values[setting.name]), setting.name


def test_secrets_are_fresh_for_every_cluster(tmp_path):
    a, b = tmp_path / "a.env", tmp_path / "b.env"
    envfile.init(a)
    envfile.init(b)
    va, vb = envfile.load(a), envfile.load(b)
    for setting in envfile.SETTINGS:
        if setting.secret:
            assert va[setting.name] != vb[setting.name], setting.name


def test_init_never_overwrites_and_fills_what_is_missing(tmp_path):
    path = tmp_path / ".env"
    path.write_text("# mine\nMYSQL_PASSWORD=mysecretpassword0001\nAIRFLEET_API_PORT=9090\n")
    added = envfile.init(path)
    assert "MYSQL_PASSWORD" not in added and "AIRFLOW_FERNET_KEY" in added
    text = path.read_text()
    assert text.startswith("# mine\nMYSQL_PASSWORD=mysecretpassword0001\nAIRFLEET_API_PORT=9090\n")
    assert envfile.load(path)["AIRFLEET_API_PORT"] == "9090"
    before = path.read_text()
    assert envfile.init(path) == []
    assert path.read_text() == before


@pytest.mark.parametrize(
    "line, named",
    [
        ("AIRFLOW_FERNET_KEY=not-a-key", "AIRFLOW_FERNET_KEY"),
        ("MYSQL_PASSWORD=short", "MYSQL_PASSWORD"),
        ("REDIS_PASSWORD=has spaces and @ signs in it", "REDIS_PASSWORD"),
        ("AIRFLEET_API_PORT=99999", "AIRFLEET_API_PORT"),
        ("this is not an assignment", "not a KEY=VALUE line"),
        ("MYSQL_PASSWORD=aaaaaaaaaaaaaaaaaaaa\nMYSQL_PASSWORD=bbbbbbbbbbbbbbbbbbbb", "set twice"),
    ],
)
def test_malformed_value_is_refused_and_nothing_is_lost(tmp_path, line, named):
    path = tmp_path / ".env"
    path.write_text(line + "\n")
    with pytest.raises(envfile.EnvFileError, match=named) as error:
        envfile.init(path)
    assert "airfleet init" in str(error.value) or "line" in str(error.value)
    assert path.read_text() == line + "\n"


def test_malformed_secret_is_not_echoed(tmp_path):
    path = tmp_path / ".env"
    path.write_text("MYSQL_PASSWORD=secret!value\n")
    with pytest.raises(envfile.EnvFileError) as error:
        envfile.init(path)
    assert "secret!value" not in str(error.value)


def test_load_names_missing_variables(tmp_path):
    path = tmp_path / ".env"
    envfile.init(path)
    path.write_text("\n".join(l for l in path.read_text().splitlines() if not l.startswith("REDIS_PASSWORD=")))
    with pytest.raises(envfile.EnvFileError, match="missing REDIS_PASSWORD"):
        envfile.load(path)


def test_cli_init_exit_codes(tmp_path, capsys):
    path = tmp_path / ".env"
    assert cli(["init", "--env-file", str(path)]) == 0
    assert "added" in capsys.readouterr().out
    assert cli(["init", "--env-file", str(path)]) == 0
    assert "nothing changed" in capsys.readouterr().out
    path.write_text("AIRFLOW_FERNET_KEY=bad\n")
    assert cli(["init", "--env-file", str(path)]) == 1
    assert "AIRFLOW_FERNET_KEY" in capsys.readouterr().err
