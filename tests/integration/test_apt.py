"""bin/apt.sh: installing host packages waits for another apt instead of failing on its lock."""

import fcntl
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

APT = Path(__file__).parents[2] / "bin" / "apt.sh"
LISTS_LOCK = Path("/var/lib/apt/lists/lock")

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("apt-get") is None,
                                reason="needs root on a Debian host (apt-get)")


def test_a_held_package_lists_lock_is_waited_for():
    held_for = 12.0
    fd = os.open(LISTS_LOCK, os.O_RDWR | os.O_CREAT)
    fcntl.lockf(fd, fcntl.LOCK_EX)  # what a running `apt-get update` holds
    releaser = threading.Timer(held_for, lambda: os.close(fd))
    releaser.start()
    start = time.monotonic()
    try:
        # bash, which the tests' environment needs anyway: already installed, so only the wait is new.
        result = subprocess.run(["bash", "-c", f'source "{APT}" && apt_install bash'],
                                capture_output=True, text=True, timeout=300)
    finally:
        releaser.join()
    assert result.returncode == 0, result.stderr
    assert "another apt is running" in result.stderr
    assert time.monotonic() - start >= held_for


def test_an_unknown_package_fails_with_apts_own_message():
    result = subprocess.run(["bash", "-c", f'source "{APT}" && apt_install airfleet-no-such-package'],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "airfleet-no-such-package" in result.stderr and "another apt" not in result.stderr
