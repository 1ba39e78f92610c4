"""Run a Python callable from a DAG file inside any image on the worker's Docker host.

The docker provider's `@task.docker` ships a function as source text, so the helpers, constants
and closures it uses from the DAG file are lost. Here the callable and its arguments are shipped
by value with `airfleet.serialization`, together with the worker's own copy of dill and a small
runner, into a sibling container (through the worker's docker.sock). The image needs only a
Python of the worker's minor version: code objects do not load across minor versions.

The return value comes back as JSON (and so into XCom). JSON and not a pickle on purpose: the
worker holds the Docker socket, and unpickling what a container wrote would let any image run
code there.
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.bases.decorator import DecoratedOperator, TaskDecorator, task_decorator_factory
from airflow.sdk.exceptions import AirflowException

from airfleet import serialization

WORKDIR = "/tmp/airfleet-task"
# Exit codes of the runner for what is not the callable's own failure.
EXIT_PYTHON_MISMATCH, EXIT_NOT_JSON = 86, 87

RUNNER = """
import json, os, sys, zlib
HERE = os.path.dirname(os.path.abspath(__file__))
meta = json.load(open(os.path.join(HERE, "meta.json")))
if list(sys.version_info[:2]) != meta["python"]:
    want = "{}.{}".format(*meta["python"])
    sys.stderr.write("airfleet: this image runs Python {}.{} but the task was serialized by Python {}; use an "
                     "image with Python {} (or point python= at one)\\n".format(*sys.version_info[:2], want, want))
    sys.exit(@MISMATCH@)
sys.path.insert(0, os.path.join(HERE, "lib"))  # the worker's dill first, whatever the image has
import dill
with open(os.path.join(HERE, "payload.bin"), "rb") as payload:
    data = payload.read()
func, args, kwargs = dill.loads(zlib.decompress(data[len(meta["magic"]):]))
result = func(*args, **kwargs)
try:
    text = json.dumps(result)
except (TypeError, ValueError) as error:
    sys.stderr.write("airfleet: the return value cannot go to XCom as JSON: {}\\n".format(error))
    sys.exit(@NOT_JSON@)
with open(os.path.join(HERE, "result.json"), "w") as out:
    out.write(text)
""".replace("@MISMATCH@", str(EXIT_PYTHON_MISMATCH)).replace("@NOT_JSON@", str(EXIT_NOT_JSON))


def task_archive(python_callable: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any],
                 by_value_modules: Collection[str] = ()) -> bytes:
    """A tar of the runner, the shipped call and dill, to unpack into the container's /tmp."""
    import dill

    payload = serialization.dumps((python_callable, list(args), dict(kwargs)), by_value_modules=by_value_modules)
    meta = {"python": list(sys.version_info[:2]), "magic": serialization.MAGIC.decode()}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        # World-writable: the image's user, root or not, writes result.json here.
        _add(tar, "airfleet-task", None, 0o777)
        _add(tar, "airfleet-task/run.py", RUNNER.encode())
        _add(tar, "airfleet-task/meta.json", json.dumps(meta).encode())
        _add(tar, "airfleet-task/payload.bin", payload)
        dill_dir = Path(dill.__file__).parent
        for path in sorted(dill_dir.rglob("*.py")):
            _add(tar, f"airfleet-task/lib/dill/{path.relative_to(dill_dir)}", path.read_bytes())
    return buffer.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes | None, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    if data is None:
        info.type, info.mode = tarfile.DIRTYPE, mode
        tar.addfile(info)
        return
    info.size, info.mode = len(data), mode
    tar.addfile(info, io.BytesIO(data))


def read_result(archive: Iterator[bytes]) -> Any:
    """The JSON value inside the tar stream `get_archive` returns for result.json."""
    with tarfile.open(fileobj=io.BytesIO(b"".join(archive))) as tar:
        member = tar.extractfile(tar.getmembers()[0])
        return json.loads(member.read())  # type: ignore[union-attr]


class ContainerPythonOperator(BaseOperator):
    """Call `python_callable(*op_args, **op_kwargs)` inside `image`; return its JSON-able result.

    :param image: any image with the worker's Python minor version (`python` names the binary).
    :param docker_url: the Docker daemon; the worker's socket by default (start the worker with
        `sbin/200.sh worker --docker-socket`).
    :param by_value_modules: extra modules to ship by value, e.g. helper modules kept next to
        the DAG files (DAG files themselves always are).
    :param container_name: a fixed name (default: Docker picks one).

    The callable gets no Airflow context: pass what it needs as arguments (templated, XComArgs
    resolved). Its stdout and stderr go to the task log.
    """

    template_fields: Sequence[str] = ("image", "op_args", "op_kwargs", "environment")
    ui_color = "#e8f7e4"

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        image: str,
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        python: str = "python3",
        docker_url: str = "unix://var/run/docker.sock",
        environment: dict[str, str] | None = None,
        network_mode: str | None = None,
        mem_limit: str | None = None,
        container_name: str | None = None,
        by_value_modules: Collection[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(python_callable):
            raise TypeError("python_callable must be callable")
        self.python_callable = python_callable
        self.image = image
        self.op_args = list(op_args or [])
        self.op_kwargs = dict(op_kwargs or {})
        self.python = python
        self.docker_url = docker_url
        self.environment = dict(environment or {})
        self.network_mode = network_mode
        self.mem_limit = mem_limit
        self.container_name = container_name
        self.by_value_modules = tuple(by_value_modules)
        self._container: Any = None

    def execute(self, context: Any) -> Any:
        import docker

        archive = task_archive(self.python_callable, self.op_args, self.op_kwargs, self.by_value_modules)
        client = docker.DockerClient(base_url=self.docker_url)
        try:
            self._container = client.containers.create(
                self.image, command=[self.python, f"{WORKDIR}/run.py"], name=self.container_name,
                environment=self.environment, network_mode=self.network_mode, mem_limit=self.mem_limit,
                entrypoint=[], labels={"airfleet.task": f"{context['ti'].dag_id}.{context['ti'].task_id}"},
            )
        except docker.errors.ImageNotFound:
            raise AirflowException(f"image {self.image} is not on the worker's Docker host; "
                                   "pull or load it there") from None
        try:
            if not self._container.put_archive("/tmp", archive):
                raise AirflowException(f"could not copy the task into {self.image}: it needs a /tmp directory")
            self._container.start()
            self._stream_logs()
            code = self._container.wait()["StatusCode"]
            if code == EXIT_PYTHON_MISMATCH:
                raise AirflowException(f"wrong Python in {self.image}; see the log line starting 'airfleet:'")
            if code:
                raise AirflowException(f"the callable failed in {self.image} (exit {code}); "
                                       "its traceback is in the log")
            stream, _ = self._container.get_archive(f"{WORKDIR}/result.json")
            return read_result(stream)
        finally:
            self._remove()

    def _stream_logs(self) -> None:
        pending = b""
        for chunk in self._container.logs(stream=True, follow=True):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                self.log.info("%s", line.decode(errors="replace"))
        if pending:
            self.log.info("%s", pending.decode(errors="replace"))

    def _remove(self) -> None:
        if self._container is not None:
            try:
                self._container.remove(force=True)
            except Exception as error:  # noqa: BLE001 - already gone, or the daemon is away: report only
                self.log.warning("could not remove container %s: %s", self._container.id[:12], error)
            self._container = None

    def on_kill(self) -> None:
        self._remove()


class _ContainerDecoratedOperator(DecoratedOperator, ContainerPythonOperator):
    custom_operator_name = "@container_task"
    template_fields: Sequence[str] = ContainerPythonOperator.template_fields

    def __init__(self, *, python_callable: Callable[..., Any], op_args: Collection[Any] | None = None,
                 op_kwargs: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        upstream = {"python_callable": python_callable, "op_args": op_args, "op_kwargs": op_kwargs}
        super().__init__(kwargs_to_upstream=upstream, python_callable=python_callable, op_args=op_args,
                         op_kwargs=op_kwargs, **kwargs)


def container_task(python_callable: Callable[..., Any] | None = None, multiple_outputs: bool | None = None,
                   **kwargs: Any) -> TaskDecorator:
    """`@container_task(image=...)`: a TaskFlow task whose body runs in a sibling container."""
    return task_decorator_factory(python_callable=python_callable, multiple_outputs=multiple_outputs,
                                  decorated_operator_class=_ContainerDecoratedOperator, **kwargs)
