"""The library's log records in Python's ``logging``: attempts against a
server that is not there fail with their cause and are retried (WARNING),
the connect to the real one is recorded (INFO, once asked for), records
carry their origin and fields, nothing secret appears, and by default only
warnings and errors come through."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from temporal_bridge import Client, RetryConfig, UnavailableError, logs

SECRET = "s3cr3t-py-header"


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def wait_for(self, predicate: Any, what: str) -> logging.LogRecord:
        limit = time.monotonic() + 10
        while time.monotonic() < limit:
            for record in list(self.records):
                if predicate(record):
                    return record
            time.sleep(0.02)
        raise AssertionError(f"no record {what} in {[r.getMessage() for r in self.records]}")


@pytest.fixture
def collected() -> Iterator[Collect]:
    handler = Collect()
    logs.LOGGER.addHandler(handler)
    level = logs.LOGGER.level
    logs.LOGGER.setLevel(logging.DEBUG)  # the logger passes on what the library sends
    try:
        yield handler
    finally:
        logs.LOGGER.setLevel(level)
        logs.LOGGER.removeHandler(handler)
        logs.set_level("warn")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_retries_and_connects_reach_logging(env: Any, collected: Collect) -> None:
    logs.set_level(logging.INFO)
    nowhere = Client.connect(
        f"127.0.0.1:{closed_port()}", lazy=True, rpc_metadata={"x-team-token": SECRET},
        retry_config=RetryConfig(max_attempts=3, initial_interval=0.05),
    )  # fmt: skip
    with pytest.raises(UnavailableError):
        nowhere.count_workflows()
    nowhere.close()
    retry = collected.wait_for(
        lambda r: r.getMessage().startswith("CountWorkflowExecutions attempt 1 failed"), "of a retry"
    )
    assert retry.levelno == logging.WARNING
    assert retry.name == "temporal_bridge"
    assert retry.temporal_bridge_target == "temporal_bridge::client"  # type: ignore[attr-defined]
    fields = retry.temporal_bridge_fields  # type: ignore[attr-defined]
    assert fields["status_code"] == "UNAVAILABLE" and fields["attempt"] == 1
    assert "could not connect" in fields["cause"]
    collected.wait_for(
        lambda r: r.getMessage().startswith("could not connect: 127.0.0.1:") and r.levelno == logging.WARNING,
        "of a failed connect",
    )
    Client.connect(env.target, namespace=env.namespace).close()
    connected = collected.wait_for(lambda r: r.getMessage().startswith(f"connected to {env.target}"), "of a connect")
    assert connected.levelno == logging.INFO
    assert all(SECRET not in r.getMessage() and SECRET not in str(vars(r)) for r in collected.records)


def test_by_default_only_warnings_and_errors(env: Any, collected: Collect) -> None:
    logs.set_level("warn")
    Client.connect(env.target, namespace=env.namespace).close()
    time.sleep(0.2)
    assert [r for r in collected.records if r.levelno < logging.WARNING] == []
    with pytest.raises(ValueError, match="level must be one of"):
        logs.set_level("loud")
    logs.disable()
    nowhere = Client.connect(f"127.0.0.1:{closed_port()}", lazy=True, retry_config=RetryConfig(max_attempts=2))
    with pytest.raises(UnavailableError):
        nowhere.count_workflows()
    time.sleep(0.2)
    assert collected.records == []
