"""What an alert says: the DAG, task, run, try, host, log URL and exception of a failure.

Built from the context Airflow hands a failure callback: a task's (on the worker, or in the
dag-processor for a task whose process was lost) or a DAG run's (in the dag-processor).
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass
from typing import Any

MAX_EXCEPTION_CHARS = 3000
SNS_SUBJECT_CHARS = 100  # SNS refuses longer subjects, and any line break or non-ASCII character


@dataclass(frozen=True)
class Alert:
    kind: str  # "task" or "dag"
    dag_id: str
    run_id: str
    task_id: str | None
    map_index: int | None
    try_number: int | None
    max_tries: int | None
    host: str | None
    log_url: str | None
    exception: str
    reason: str | None = None  # a DAG run's failure reason (timed_out, task_failure, ...)

    @classmethod
    def from_task_context(cls, context: dict[str, Any]) -> Alert:
        ti = context["ti"]
        map_index = getattr(ti, "map_index", -1)
        return cls(
            kind="task", dag_id=ti.dag_id, run_id=ti.run_id, task_id=ti.task_id,
            map_index=map_index if map_index is not None and map_index >= 0 else None,
            try_number=getattr(ti, "try_number", None), max_tries=_total_tries(ti),
            host=getattr(ti, "hostname", None) or _this_host(), log_url=_log_url(ti),
            exception=describe_exception(context.get("exception")),
        )

    @classmethod
    def from_dag_context(cls, context: dict[str, Any]) -> Alert:
        dag, ti = context["dag"], context.get("ti")  # ti: the run's last task instance, when known
        reason = str(context.get("reason") or "unknown")
        return cls(
            kind="dag", dag_id=dag.dag_id, run_id=str(context.get("run_id") or getattr(ti, "run_id", "")),
            task_id=getattr(ti, "task_id", None), map_index=None, try_number=getattr(ti, "try_number", None),
            max_tries=_total_tries(ti) if ti is not None else None, host=getattr(ti, "hostname", None),
            log_url=_log_url(ti) if ti is not None else None,
            exception=f"the DAG run failed: {reason}", reason=reason,
        )

    @property
    def subject(self) -> str:
        if self.kind == "dag":
            return f"Airflow DAG run failed: {self.dag_id} ({self.reason})"
        task = self.task_id if self.map_index is None else f"{self.task_id}[{self.map_index}]"
        return f"Airflow task failed: {self.dag_id}.{task}"

    @property
    def fields(self) -> list[tuple[str, str]]:
        tries = f"{self.try_number} of {self.max_tries}" if self.max_tries else str(self.try_number or "-")
        rows = [("DAG", self.dag_id), ("Task", self.task_id or "-"), ("Run", self.run_id), ("Try", tries),
                ("Host", self.host or "-"), ("Log", self.log_url or "-")]
        if self.map_index is not None:
            rows.insert(2, ("Map index", str(self.map_index)))
        return rows

    def text(self) -> str:
        lines = [self.subject, ""] + [f"{name}: {value}" for name, value in self.fields]
        return "\n".join(lines + ["", "Exception:", self.exception])

    def html(self) -> str:
        rows = "".join(f"<tr><th align='left'>{html.escape(name)}</th><td>{_html_value(value)}</td></tr>"
                       for name, value in self.fields)
        return (f"<h3>{html.escape(self.subject)}</h3><table>{rows}</table>"
                f"<p><b>Exception</b></p><pre>{html.escape(self.exception)}</pre>")

    def webhook_payload(self) -> dict[str, Any]:
        """JSON that Slack incoming webhooks and Teams connectors both show (`text`; Teams adds
        `title`), with the fields under `airfleet` for receivers that parse them."""
        body = "\n".join(f"{name}: {value}" for name, value in self.fields)
        return {"title": self.subject, "summary": self.subject,
                "text": f"{self.subject}\n{body}\n```\n{self.exception}\n```", "airfleet": asdict(self)}

    def sns_subject(self) -> str:
        printable = re.sub(r"[^\x20-\x7e]", "?", self.subject)
        return printable[: SNS_SUBJECT_CHARS - 3] + "..." if len(printable) > SNS_SUBJECT_CHARS else printable

    def sns_attributes(self) -> dict[str, str]:
        values = {"kind": self.kind, "dag_id": self.dag_id, "task_id": self.task_id, "run_id": self.run_id}
        return {name: value for name, value in values.items() if value}  # SNS refuses empty values


def describe_exception(error: Any) -> str:
    if error is None:
        return "no exception recorded (the task process may have been lost); see the log"
    text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
    return text if len(text) <= MAX_EXCEPTION_CHARS else text[:MAX_EXCEPTION_CHARS] + " ...(cut; see the log)"


def _total_tries(ti: Any) -> int | None:
    max_tries = getattr(ti, "max_tries", None)
    return max_tries + 1 if isinstance(max_tries, int) else None


def _log_url(ti: Any) -> str | None:
    try:
        return ti.log_url
    except Exception:  # noqa: BLE001 - a partial task instance (lost process) may not build one
        return None


def _this_host() -> str:
    from airfleet.hostname import get_hostname

    return get_hostname()


def _html_value(value: str) -> str:
    escaped = html.escape(value)
    return f"<a href='{escaped}'>{escaped}</a>" if value.startswith(("http://", "https://")) else escaped
