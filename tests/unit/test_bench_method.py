"""How the benchmarks measure: only on a quiet machine, each configuration repeated and
interleaved, medians compared; a busy machine is refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import __main__ as bench
from benchmarks import quiet, scenarios


def test_runs_are_interleaved_so_a_drifting_machine_hits_both_configurations():
    assert scenarios.schedule(("stock", "airfleet"), 2) == [("stock", 0), ("airfleet", 0), ("airfleet", 1),
                                                          ("stock", 1)]
    assert [config for config, _ in scenarios.schedule(("a", "b"), 3)] == ["a", "b", "b", "a", "a", "b"]


def test_the_peer_is_stock_settings_on_postgresql_and_the_others_run_mysql(tmp_path):
    root = Path(__file__).parents[2]
    peer = scenarios.config_settings(root, tmp_path, scenarios.PEER)
    assert peer["AIRFLEET_DB"] == "postgresql"
    assert not [line for line in Path(peer["AIRFLEET_TUNING_FILE"]).read_text().splitlines()
                if line and not line.startswith("#")]
    for config in ("stock", "airfleet"):
        assert "AIRFLEET_DB" not in scenarios.config_settings(root, tmp_path, config)
    assert scenarios.config_settings(root, tmp_path, "airfleet") == {}  # the shipped tuning file, as bin/up


def test_medians_of_every_shared_number():
    runs = [{"wall_s": 10.0, "cpu": {"worker": 3}, "only_once": 1, "label": "x"},
            {"wall_s": 30.0, "cpu": {"worker": 5}, "label": "x"},
            {"wall_s": 12.0, "cpu": {"worker": 4}, "label": "x"}]
    assert scenarios.median(runs) == {"cpu": {"worker": 4}, "label": "x", "wall_s": 12.0}


def test_the_gate_waits_for_the_load_to_come_down():
    loads, slept = iter([3.2, 2.0, 1.1]), []
    assert quiet.wait_for_quiet(1.5, 60, read=lambda: next(loads), sleep=slept.append) == 1.1
    assert len(slept) == 2


def test_a_machine_that_stays_busy_is_refused_naming_the_way_out():
    with pytest.raises(quiet.Loaded, match=r"load average 4.0 is not under 1.5 .* --allow-load"):
        quiet.wait_for_quiet(1.5, 0, read=lambda: 4.0, sleep=lambda _: None)


def test_the_command_refuses_in_one_line_when_the_machine_is_busy(monkeypatch, capsys):
    def busy(*_):
        raise quiet.Loaded("load average 4.0 is not under 1.5")

    monkeypatch.setattr(scenarios, "run", busy)
    assert bench.main(["throughput", "--tasks", "300"]) == 1
    assert capsys.readouterr().err.strip() == "bench: load average 4.0 is not under 1.5"


def test_each_point_of_the_latency_curve_runs_the_shipped_settings_plus_its_sleep(tmp_path):
    root = scenarios.Path(__file__).resolve().parents[2]
    shipped = (root / "docker" / "airflow" / "tuning.env").read_text()
    path = scenarios.tuning_file(root, tmp_path, scenarios.sleep_config(0.25))
    assert path.read_text() == (f"{shipped}\nAIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME=0.25\n"
                                "AIRFLEET_SCHEDULER_BUSY_SLEEP=off\n")
    assert scenarios.tuning_file(root, tmp_path, "airfleet") is None
    assert "AIRFLOW__" not in scenarios.tuning_file(root, tmp_path, "stock").read_text()


def test_the_curve_pairs_each_sleep_with_its_hop_and_idle_cost():
    def figures(hop, idle):
        return {"chain": {"hop_s": {"p50": hop, "p95": hop * 2}, "cpu_s": 3.0},
                "idle": {"cpu_s_per_s": idle, "cpu_s_per_s_by_role": {"scheduler": idle / 2}}}

    curve = scenarios.hop_curve({"airfleet": figures(0.15, 0.3), "sleep-1": figures(1.1, 0.3),
                                 "sleep-0.1": figures(0.14, 0.5)})
    assert [(p["config"], p["scheduler_idle_sleep_s"], p["hop_p50_s"], p["idle_cores"], p["idle_scheduler_cores"])
            for p in curve] == [("sleep-0.1", 0.1, 0.14, 0.5, 0.25), ("sleep-1", 1.0, 1.1, 0.3, 0.15),
                                ("airfleet", None, 0.15, 0.3, 0.15)]


def test_a_sleep_of_zero_is_refused_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        bench.main(["hops", "--sleeps", "1", "0"])
    assert exit_.value.code == 2
    assert "--sleeps must be positive seconds" in capsys.readouterr().err


def test_profile_runs_alone(capsys):
    with pytest.raises(SystemExit) as exit_:
        bench.main(["profile", "throughput"])
    assert exit_.value.code == 2
    assert "`profile` runs alone" in capsys.readouterr().err
