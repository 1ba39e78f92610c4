"""Bad factory spec files: `airfleet factory validate FILE`, and `factory add FILE` into a SQLite file,
refuse each with exit 1 and one line naming the record and field (or the line of the file) and the
fix (`validate` adds its one summary line, `add` its "nothing written"), no traceback, quickly, and
with the spec file and the tables as they were. Odd but valid files are read as meant.

Each case is one small document with one thing wrong, so that it is the only problem reported.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.badinput.harness import ROOT, assert_refused, environment, fingerprint, run

# Seconds for one command, Python's start-up included (a few seconds on a quiet machine); a hostile
# document that was expanded or walked instead of refused would take hours, not this.
TIMEOUT = 90

TWO_TASKS = ('tasks:\n'
             '  - {id: "1", name: extract, type: bash, params: {bash_command: "echo extract"}}\n'
             '  - {id: "2", name: load, type: bash, params: {bash_command: "echo load"}}\n')
# Ten levels of nine: 9**10 values once expanded, a few hundred bytes as written. In op_kwargs, which
# is passed on to the callable as it is, so nothing but the loader's own limit stands in its way.
BOMB = ('tasks:\n  - id: "1"\n    name: laughs\n    type: python\n    params:\n'
        '      callable: "airfleet.hostname:get_hostname"\n      op_kwargs:\n'
        '        a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
        + "".join(f"        {chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n"
                  for i in range(9)))

# (id, file content, parts of the output, also through `factory add`)
CASES: list[tuple[str, str | bytes, tuple[str, ...], bool]] = [
    ("self-referencing anchor",
     'tasks:\n  - &task {id: "1", name: loop, type: bash, params: {bash_command: "echo", env: *task}}\n',
     ("an anchor refers to itself", "fix: write the values out"), True),
    ("alias bomb in op_kwargs", BOMB,
     ("aliases repeat more than 100000 values (an alias bomb?)", "fix: write the values out"), True),
    ("callable outside the allow-list",
     'tasks:\n  - {id: "1", name: run, type: python, params: {callable: "os:system"}}\n',
     ("task '1' (run), field 'params.callable'", "'os:system' is outside the modules allowed",
      "fix: use code from an allowed module, or add its module prefix to AIRFLEET_FACTORY_PYTHON_MODULES"), True),
    ("operator path outside the allow-list",
     'tasks:\n  - {id: "1", name: run, type: "subprocess.Popen", params: {}}\n',
     ("task '1' (run), field 'type'", "'subprocess.Popen' is outside the modules allowed for operators",
      "fix: use code from an allowed module"), False),
    ("python object tag",
     'tasks:\n  - !!python/object/apply:os.system ["touch pwned"]\n',
     ("line 2", "could not determine a constructor for the tag", "fix: fix the YAML syntax"), True),
    ("unknown task type",
     'tasks:\n  - {id: "1", name: run, type: bsh, params: {bash_command: "echo"}}\n',
     ("task '1' (run), field 'type'", '"bsh" is not a task type (did you mean \'bash\'?)',
      "fix: use one of bash, container"), False),
    ("bad cron",
     TWO_TASKS + 'jobs:\n  - {id: "10", name: nightly, tasks: ["1", "2"], schedule: "61 * * * *"}\n',
     ("job '10' (nightly), field 'schedule'", '"61 * * * *" is not a cron expression',
      'fix: use five fields like "30 2 * * *"'), False),
    ("dependency cycle",
     TWO_TASKS + 'jobs:\n  - {id: "10", name: etl, tasks: ["1", "2"],\n'
                 '     dependencies: [{task_id: "2", pid: "1"}, {task_id: "1", pid: "2"}]}\n',
     ("job '10' (etl), field 'dependencies'", "dependency cycle extract -> load -> extract",
      "fix: remove one of these dependencies"), True),
    ("dependency on an unknown task",
     TWO_TASKS + 'jobs:\n  - {id: "10", name: etl, tasks: ["1", "2"], dependencies: [{task_id: "2", pid: "3"}]}\n',
     ("job '10' (etl), field 'dependencies[0].pid'", "\"3\" is not one of this job's tasks ['1', '2']",
      "fix: add it to tasks or remove this dependency"), True),
    ("job listing an unknown task",
     TWO_TASKS + 'jobs:\n  - {id: "10", name: etl, tasks: ["1", "3"]}\n',
     ("job '10' (etl), field 'tasks[1]'", "no task with id '3'", "or remove it from this list"), True),
    ("duplicate ids",
     TWO_TASKS + '  - {id: "2", name: report, type: bash, params: {bash_command: "echo report"}}\n',
     ("task '2' (report), field 'id'", "has id '2'", "fix: give each task its own id"), True),
    ("key given twice",
     'tasks:\n  - {id: "1", name: run, type: bash, params: {bash_command: "echo"}, name: other}\n',
     ("line 2", "key 'name' appears twice in one mapping", "fix: fix the YAML syntax"), True),
    ("wrong type",
     'tasks:\n  - {id: "1", name: run, type: bash, params: {bash_command: "echo", retries: many}}\n',
     ("task '1' (run), field 'params.retries'", "expected an integer >= 0, got str 'many'",
      "fix: set it to an integer >= 0"), True),
    ("unquoted date",
     'tasks:\n  - {id: "1", name: run, type: bash, params: {bash_command: "echo", doc_md: 2026-01-01}}\n',
     ("task '1' (run), field 'params.doc_md'", "cannot be stored as JSON", "quote dates and times in YAML"), False),
    ("unknown time zone",
     TWO_TASKS + 'jobs:\n  - id: "10"\n    name: etl\n    tasks: ["1"]\n    schedule:\n'
                 '      timetable: "airflow.timetables.trigger:CronTriggerTimetable"\n'
                 '      args: {cron: "0 2 * * *", timezone: "Mars/Olympus_Mons"}\n',
     ("job '10' (etl), field 'schedule.args'", "Mars/Olympus_Mons", "fix: give the arguments"), False),
    ("unknown field",
     TWO_TASKS + 'jobs:\n  - {id: "10", name: etl, tasks: ["1", "2"], shedule: "@daily"}\n',
     ("job '10' (etl), field 'shedule'", "not a field of a job (did you mean 'schedule'?)",
      "fix: use only id, name, tasks"), True),
    ("unknown top-level key",
     'task:\n  - {id: "1", name: run, type: bash, params: {bash_command: "echo"}}\n',
     ("field 'task'", "did you mean 'tasks'?", "fix: use only the keys defaults, tasks, jobs and schedules"), False),
    ("binary garbage", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00",
     ("not UTF-8 text", "fix: save the file as UTF-8 text"), True),
    ("Latin-1 text", 'tasks:\n  - {id: "1", name: run, type: bash, params: {bash_command: "echo café"}}\n'
     .encode("latin-1"),
     ("not UTF-8 text (byte 0xe9", "fix: save the file as UTF-8 text"), False),
    ("control characters", b"\x00\x01\x02 tasks: []\n",
     ("not valid YAML", "control characters are not allowed", "fix: fix the YAML syntax"), False),
    ("tab-indented",
     'tasks:\n\t- id: "1"\n\t  name: run\n\t  type: bash\n',
     ("line 2", "cannot start any token", "fix: fix the YAML syntax"), True),
    ("two documents",
     TWO_TASKS + '---\n' + TWO_TASKS,
     ("line 4", "expected a single document in the stream, but found another document"), False),
    ("nesting too deep", "tasks: " + "[" * 100 + "]" * 100 + "\n",
     ("field '(document)'", "nested more than 64 levels deep"), False),
    ("empty file", "", ("no records in it", "see dags/factory/ for the format"), True),
    ("only comments", "# tasks:\n#   - {id: \"1\"}\n", ("no records in it", "see dags/factory/ for the format"), False),
    ("top-level list",
     '- {id: "1", name: run, type: bash, params: {bash_command: "echo"}}\n',
     ("field '(top level)'", "expected a mapping, got [", "fix: write a mapping with the keys tasks, jobs"), True),
    ("record not a mapping", 'tasks:\n  - "1"\n',
     ("task #1, field '(record)'", 'expected a mapping, got "1"', "fix: write each task as a mapping"), False),
]
ADD_CASES = [case for case in CASES if case[3]]


def _spec(tmp_path: Path, content: str | bytes) -> Path:
    spec = tmp_path / "specs" / "team.yaml"
    spec.parent.mkdir()
    spec.write_bytes(content if isinstance(content, bytes) else content.encode())
    return spec


def factory(tmp_path: Path, *argv: str, **env: str):
    return run([sys.executable, "-m", "airfleet", "factory", *argv], environment(tmp_path, **env), tmp_path,
               timeout=TIMEOUT)


def _refused(result, says: tuple[str, ...]) -> None:
    assert_refused(result, says, codes=(1,))
    assert "unexpected error" not in result.stdout + result.stderr, result.stderr  # a bug's one line


@pytest.mark.parametrize(("content", "says"), [case[1:3] for case in CASES], ids=[case[0] for case in CASES])
def test_validate_refuses_a_bad_spec_in_one_line(tmp_path, content, says):
    spec = _spec(tmp_path, content)
    before = fingerprint([spec.parent])
    result = factory(tmp_path, "validate", str(spec))
    _refused(result, (f"{spec}", *says))
    assert "0 DAG(s) generated, 1 malformed record(s)" in result.stdout
    assert fingerprint([spec.parent]) == before


def _tables(tmp_path: Path) -> str:
    """A SQLite file holding a well-formed job already, so that a refusal has something to leave alone."""
    from airfleet.factory import db

    folder = tmp_path / "tables"
    folder.mkdir()
    url = f"sqlite:///{folder / 'factory.db'}"
    bind = db.engine(url)
    db.create_tables(bind)
    db.write(bind, {"tasks": [{"id": "s1", "name": "seed", "type": "bash", "params": {"bash_command": "echo"}}],
                    "jobs": [{"id": "s10", "name": "seeded", "tasks": ["s1"]}]})
    bind.dispose()
    return url


@pytest.mark.parametrize(("content", "says"), [case[1:3] for case in ADD_CASES], ids=[case[0] for case in ADD_CASES])
def test_add_refuses_a_bad_spec_and_writes_nothing(tmp_path, content, says):
    url = _tables(tmp_path)
    spec = _spec(tmp_path, content)
    before = fingerprint([spec.parent, tmp_path / "tables"])
    result = factory(tmp_path, "add", str(spec), "--db-url", url)
    _refused(result, says)  # the path is not always named: a cycle is found with what the tables hold
    assert fingerprint([spec.parent, tmp_path / "tables"]) == before


def test_a_callable_outside_the_allow_list_is_never_imported(tmp_path):
    """Refused before import: a module that leaves a mark when imported stays unimported, unless allowed."""
    code = tmp_path / "code"
    code.mkdir()
    mark = tmp_path / "imported"
    (code / "tattler.py").write_text(f"open({str(mark)!r}, 'w').close()\n\ndef run():\n    pass\n")
    spec = _spec(tmp_path, 'tasks:\n  - {id: "1", name: run, type: python, params: {callable: "tattler:run"}}\n')
    path = os.pathsep.join([str(ROOT / "plugins"), str(ROOT), str(code)])
    result = factory(tmp_path, "validate", str(spec), PYTHONPATH=path)
    _refused(result, ("'tattler:run' is outside the modules allowed for python callables",
                      "AIRFLEET_FACTORY_PYTHON_MODULES: airfleet"))
    assert not mark.exists()
    allowed = factory(tmp_path, "validate", str(spec), PYTHONPATH=path, AIRFLEET_FACTORY_PYTHON_MODULES="tattler")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert mark.exists()  # the check above could have seen an import


JOB = 'jobs:\n  - {id: "10", name: etl, tasks: ["1", "2"], dependencies: [{task_id: "2", pid: "1"}]}\n'
ODD_BUT_VALID = [
    ("CRLF line endings", (TWO_TASKS + JOB).replace("\n", "\r\n").encode()),
    ("UTF-8 byte order mark", b"\xef\xbb\xbf" + (TWO_TASKS + JOB).encode()),
    ("BOM and CRLF", b"\xef\xbb\xbf" + (TWO_TASKS + JOB).replace("\n", "\r\n").encode()),
    ("comments everywhere", "# team specs\ntasks:   # two of them\n" + TWO_TASKS.replace("tasks:\n", "").replace(
        "}}\n", "}}  # a '#' in a comment\n") + "\n# the job\n" + JOB + "# end\n"),
    ("non-ASCII text", TWO_TASKS.replace("echo load", "echo 'chargé ✓ 載入'") + JOB),
    ("merge key overriding a value",
     'tasks:\n  - {id: "1", name: extract, type: bash, params: &common {bash_command: "echo extract", retries: 2}}\n'
     '  - {id: "2", name: load, type: bash, params: {<<: *common, bash_command: "echo load"}}\n' + JOB),
    ("JSON", '{"tasks": [{"id": "1", "name": "extract", "type": "bash", "params": {"bash_command": "echo"}},\n'
             '           {"id": 2, "name": "load", "type": "bash", "params": {"bash_command": "echo"}}],\n'
             ' "jobs": [{"id": "10", "name": "etl", "tasks": [1, 2], "dependencies": [{"task_id": 2, "pid": 1}]}]}\n'),
]


@pytest.mark.parametrize("content", [case[1] for case in ODD_BUT_VALID], ids=[case[0] for case in ODD_BUT_VALID])
def test_an_odd_but_valid_spec_is_read_as_meant(tmp_path, content):
    spec = _spec(tmp_path, content)
    before = fingerprint([spec.parent])
    result = factory(tmp_path, "validate", str(spec))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["1 source(s): 1 DAG(s) generated, 0 malformed record(s)",
                                          "  factory_job_etl"], result.stdout + result.stderr
    assert result.stderr == ""
    assert fingerprint([spec.parent]) == before
