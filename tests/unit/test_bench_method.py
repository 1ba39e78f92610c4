"""How the benchmarks measure: only on a quiet machine, each configuration repeated and
interleaved, medians compared; a busy machine is refused in one line."""

from __future__ import annotations

import pytest

from benchmarks import __main__ as bench
from benchmarks import quiet, scenarios


def test_runs_are_interleaved_so_a_drifting_machine_hits_both_configurations():
    assert scenarios.schedule(("stock", "airfleet"), 2) == [("stock", 0), ("airfleet", 0), ("airfleet", 1),
                                                          ("stock", 1)]
    assert [config for config, _ in scenarios.schedule(("a", "b"), 3)] == ["a", "b", "b", "a", "a", "b"]


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
