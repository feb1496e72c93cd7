"""The library's log records in Python's ``logging``: attempts against a
server that is not there fail with their cause and are retried (WARNING),
the connect to the real one is recorded (INFO, once asked for), a real
server restart shows the retries, the reconnect and the slow call, records
carry their origin and fields, nothing secret appears, and by default only
warnings and errors come through."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from devenv import DevEnv
from helpers import free_port
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


def test_a_server_restart_in_logging(tmp_path: Any, collected: Collect) -> None:
    """A real dev server stopped and started again on the same port and
    database: the call made while it is down is retried with its cause,
    the transport reconnects, and the call, which outlived the restart, is
    logged as slow; nothing secret anywhere."""
    logs.set_level(logging.INFO)
    port, db = free_port(), str(tmp_path / "restart.db")
    with DevEnv(worker=False, port=port, db_filename=db) as first:
        client = Client.connect(
            first.target, namespace=first.namespace, rpc_metadata={"x-team-token": SECRET},
            retry_config=RetryConfig(max_attempts=1000, max_interval=0.5, max_elapsed=120),
            slow_call_threshold=0.5,
        )  # fmt: skip
        client.count_workflows()
    outcome: list[object] = []

    def call_through_the_restart() -> None:
        try:
            outcome.append(client.count_workflows(rpc_timeout=150))
        except Exception as error:  # reported below
            outcome.append(error)

    waiting = threading.Thread(target=call_through_the_restart)
    waiting.start()
    retry = collected.wait_for(
        lambda r: r.getMessage().startswith("CountWorkflowExecutions attempt 1 failed (UNAVAILABLE"),
        "of a retry while the server is down",
    )
    # The server comes back only after the fourth failed attempt: the call
    # has then waited through its backoffs (100 + 200 + 400 + 800 ms, less a
    # fifth of jitter), well over the slow-call threshold however fast the
    # server restarts.
    collected.wait_for(
        lambda r: r.getMessage().startswith("CountWorkflowExecutions attempt 4 failed"), "of a fourth attempt"
    )
    with DevEnv(worker=False, port=port, db_filename=db):
        waiting.join(150)
        assert len(outcome) == 1 and not isinstance(outcome[0], Exception), outcome
        reconnect = collected.wait_for(lambda r: r.getMessage().startswith("reconnected to"), "of the reconnect")
        slow = collected.wait_for(
            lambda r: r.getMessage().startswith("slow call: CountWorkflowExecutions took"), "of the slow call"
        )
        client.close()
    assert retry.levelno == logging.WARNING
    assert "could not connect" in retry.temporal_bridge_fields["cause"]  # type: ignore[attr-defined]
    assert reconnect.levelno == logging.INFO
    assert reconnect.temporal_bridge_target == "temporal_bridge::transport"  # type: ignore[attr-defined]
    assert slow.levelno == logging.WARNING
    fields = slow.temporal_bridge_fields  # type: ignore[attr-defined]
    assert fields["outcome"] == "ok" and fields["elapsed_ms"] >= 500, fields
    assert all(SECRET not in r.getMessage() and SECRET not in str(vars(r)) for r in collected.records)
