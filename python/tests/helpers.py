"""Small helpers shared by the tests (polling with a deadline, child processes)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Callable


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Polls `predicate` until it is true or `timeout` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def child_env() -> dict[str, str]:
    """Environment for child Python processes running temporal_bridge."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_child(code: str, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a fresh Python process (same interpreter) and waits."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(),
    )


def free_port() -> int:
    """A local port nothing listens on (connections to it are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nested(depth: int) -> object:
    """A JSON value of `depth` containers, one inside the other (lists and
    dicts alternating, a string at the bottom)."""
    value: object = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"level": level, "inner": value}
    return value
