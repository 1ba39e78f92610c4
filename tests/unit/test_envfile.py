import os
import stat
import subprocess
from pathlib import Path

import pytest

from airfleet import envfile
from airfleet.cli import main as cli

ROOT = Path(__file__).parents[2]


def test_init_creates_every_setting_private(tmp_path):
    path = tmp_path / ".env"
    added = envfile.init(path)
    generated = [s for s in envfile.SETTINGS if s.default]
    assert added == [s.name for s in generated]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    values = envfile.load(path)
    for setting in generated:
        assert setting.valid(values[setting.name]), setting.name


def test_secrets_are_fresh_for_every_cluster(tmp_path):
    a, b = tmp_path / "a.env", tmp_path / "b.env"
    envfile.init(a)
    envfile.init(b)
    va, vb = envfile.load(a), envfile.load(b)
    for setting in envfile.SETTINGS:
        if setting.secret and setting.default:
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
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line for line in lines if not line.startswith("REDIS_PASSWORD=")))
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


# What Compose reads from each line (v1 and v2 agree on these); tests/integration checks Compose itself.
COMPOSE_READINGS = [
    ('AIRFLEET_SAMPLE="8080"', "8080"),
    ("AIRFLEET_SAMPLE='8080'", "8080"),
    ("AIRFLEET_SAMPLE=8080\r", "8080"),
    ("export AIRFLEET_SAMPLE=8080", "8080"),
    ("AIRFLEET_SAMPLE=8080  # the UI", "8080"),
    ("AIRFLEET_SAMPLE = 8080", "8080"),
    ("AIRFLEET_SAMPLE=", ""),
    ("AIRFLEET_SAMPLE='a $dollar'", "a $dollar"),
    ('AIRFLEET_SAMPLE="say \\"hi\\""', 'say "hi"'),
    ("AIRFLEET_SAMPLE=a#b", "a#b"),
]


@pytest.mark.parametrize("line, value", COMPOSE_READINGS)
def test_values_are_read_as_compose_reads_them(tmp_path, line, value):
    path = tmp_path / ".env"
    path.write_bytes(line.encode() + b"\n")
    assert envfile.parse(path.read_bytes().decode(), path) == {"AIRFLEET_SAMPLE": value}


@pytest.mark.parametrize(
    "line, named",
    [
        ('AIRFLEET_SAMPLE="8080', "quote is not closed"),
        ("AIRFLEET_SAMPLE='8080", "quote is not closed"),
        ("AIRFLEET_SAMPLE='8080' extra", "after the closing quote"),
        ("AIRFLEET_ALERT_WEBHOOK_URL=http://h/a$b", "single quotes"),
        ('AIRFLEET_ALERT_WEBHOOK_URL="http://h/${b}"', "single quotes"),
        ('AIRFLEET_ALERT_WEBHOOK_URL="a\\nb"', "backslashes"),
        ("AIRFLEET_CA_BUNDLE=/no/such/ca.pem", "AIRFLEET_CA_BUNDLE"),
        ("AIRFLEET_CA_BUNDLE=relative.pem", "AIRFLEET_CA_BUNDLE"),
        ("AIRFLEET_REGISTRY=http://registry:5000", "AIRFLEET_REGISTRY"),
        ("AIRFLEET_PIP_INDEX_URL=pypi.example/simple", "AIRFLEET_PIP_INDEX_URL"),
        ("AIRFLEET_LOAD_EXAMPLES=yes", "AIRFLEET_LOAD_EXAMPLES"),
        ("AIRFLEET_DB=postgres", "AIRFLEET_DB='postgres' is malformed: expected mysql or postgresql"),
    ],
)
def test_what_compose_would_read_differently_is_refused_naming_the_line(tmp_path, line, named):
    path = tmp_path / ".env"
    path.write_text("# first\n" + line + "\n")
    with pytest.raises(envfile.EnvFileError, match=named) as error:
        envfile.init(path)
    assert str(error.value).startswith(f"{path}:2") or "AIRFLEET_" in str(error.value)
    assert path.read_text() == "# first\n" + line + "\n"


def test_optional_settings_are_never_generated(tmp_path):
    path = tmp_path / ".env"
    added = envfile.init(path)
    assert "AIRFLEET_REGISTRY" not in added and "AIRFLEET_CA_BUNDLE" not in added
    assert "AIRFLEET_REGISTRY" not in envfile.load(path)


def test_a_ca_bundle_must_hold_a_certificate(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate\n")
    path = tmp_path / ".env"
    path.write_text(f"AIRFLEET_CA_BUNDLE={bundle}\n")
    with pytest.raises(envfile.EnvFileError, match="PEM file"):
        envfile.init(path)
    bundle.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    envfile.init(path)
    assert envfile.load(path)["AIRFLEET_CA_BUNDLE"] == str(bundle)


def shell_value(path, name: str) -> subprocess.CompletedProcess[str]:
    script = 'source bin/lib.sh && env_value "$1"'
    return subprocess.run(["bash", "-c", script, "lib", name], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "AIRFLEET_ENV_FILE": str(path)})


@pytest.mark.parametrize("line, value", COMPOSE_READINGS)
def test_the_shell_library_reads_what_init_accepts(tmp_path, line, value):
    path = tmp_path / ".env"
    path.write_bytes(line.encode() + b"\nOTHER=x\n")
    result = shell_value(path, "AIRFLEET_SAMPLE")
    assert result.returncode == 0, result.stderr
    assert result.stdout == value + "\n"


def test_the_shell_library_stops_on_what_init_refuses(tmp_path):
    path = tmp_path / ".env"
    path.write_text('AIRFLEET_SAMPLE="8080\n')
    result = shell_value(path, "AIRFLEET_SAMPLE")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and "quote is not closed" in result.stderr


@pytest.mark.parametrize("name", envfile.DATA_SECRETS)
def test_a_lost_data_secret_is_not_regenerated_while_its_data_exists(tmp_path, name):
    path = tmp_path / ".env"
    envfile.init(path)
    path.write_text("".join(line + "\n" for line in path.read_text().splitlines() if not line.startswith(f"{name}=")))
    before = path.read_text()
    with pytest.raises(envfile.EnvFileError, match=f"{name} missing, but data that depends on it exists") as error:
        envfile.init(path, ["volume airfleet_mysql"])
    assert "bin/down --volumes" in str(error.value) and "volume airfleet_mysql" in str(error.value)
    assert path.read_text() == before
    assert envfile.init(path) == [name], "without data, a fresh value is fine"


def test_every_rewrite_keeps_the_previous_file_as_a_private_backup(tmp_path):
    path = tmp_path / ".env"
    path.write_text("AIRFLEET_API_PORT=9090\n")
    envfile.init(path)
    (backup,) = tmp_path.glob(".env.backup-*")
    assert backup.read_text() == "AIRFLEET_API_PORT=9090\n"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert envfile.init(path) == [] and len(list(tmp_path.glob(".env.backup-*"))) == 1, "nothing written, nothing kept"


def test_the_shell_environment_wins_over_the_file_as_in_compose(tmp_path):
    path = tmp_path / ".env"
    path.write_text("AIRFLEET_SAMPLE=8080\n")
    script = 'source bin/lib.sh && env_value AIRFLEET_SAMPLE'
    result = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "AIRFLEET_ENV_FILE": str(path), "AIRFLEET_SAMPLE": "9999"})
    assert result.stdout == "9999\n"
