"""A DAG's task log files: the directory its log file name template gives it under
`[logging] base_log_folder` (`dag_id=<id>/` with the default template)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from airfleet.purge.plan import PurgeError

_OTHER = "\x00other\x00"  # stands for every template field but the DAG id


@dataclass(frozen=True)
class LogDir:
    path: Path
    files: int
    bytes: int

    def __str__(self) -> str:
        return f"{self.path} ({self.files} files, {self.bytes / 1e6:.1f} MB)"


def dag_log_dir(base: Path, template: str, dag_id: str) -> Path:
    """The directory holding every log file of `dag_id`, from the template's first path part."""
    import jinja2

    ti = SimpleNamespace(dag_id=dag_id, run_id=_OTHER, task_id=_OTHER, map_index=-1, try_number=1)
    rendered = jinja2.Template(template).render(ti=ti, try_number=1)
    first = Path(rendered).parts[0]
    if _OTHER in first or dag_id not in first or len(Path(rendered).parts) < 2:
        raise PurgeError(f"the log file name template '{template}' ([logging] log_filename_template) does not "
                         "start with one directory per DAG, so --include-logs cannot find the DAG's files; "
                         "delete them by hand, or purge without --include-logs")
    path = (base / first).resolve()
    if path.parent != base.resolve():
        raise PurgeError(f"the DAG's log directory {path} is not directly under {base}; delete it by hand")
    return path


def survey(path: Path) -> LogDir:
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []
    return LogDir(path, len(files), sum(p.stat().st_size for p in files))


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)


def configured_log_dirs(dag_ids: list[str]) -> list[Path]:
    """The DAGs' log directories under this host's Airflow logging configuration."""
    from airflow.configuration import conf

    base = Path(conf.get("logging", "base_log_folder")).expanduser()
    template = conf.get("logging", "log_filename_template")
    return [dag_log_dir(base, template, dag_id) for dag_id in dag_ids]
