"""A real image registry for the tests: Debian's docker-registry (the CNCF distribution registry)
on a loopback port, where Docker allows plain HTTP, with its storage in a test folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.ports import free_port

CONFIG = """version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


MISSING = "no docker-registry (Debian's package docker-registry; bin/test installs it when run as root)"


class Registry:
    def __init__(self, folder: Path) -> None:
        binary = shutil.which("docker-registry")
        if binary is None:
            pytest.skip(MISSING)
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "config.yml"
        config.write_text(CONFIG.format(storage=folder / "storage", port=self.port))
        self.log = (folder / "registry.log").open("w")
        self.process = subprocess.Popen([binary, "serve", str(config)], stdout=self.log, stderr=subprocess.STDOUT)
        self._wait()

    @classmethod
    def start_or_none(cls, folder: Path) -> Registry | None:
        return cls(folder) if shutil.which("docker-registry") else None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _wait(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://{self.address}/v2/", timeout=2):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"docker-registry did not start; see {self.log.name}") from None
                time.sleep(0.2)

    def tags(self, repository: str) -> list[str]:
        with urllib.request.urlopen(f"http://{self.address}/v2/{repository}/tags/list", timeout=10) as response:
            return json.load(response).get("tags") or []

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()
