"""Proves the harness: a real dev server plus the Python worker behave the way
every language's tests rely on. Run: .venv/bin/python -m pytest tests/harness -q
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, CancelledError

from devenv import DevEnv

T = TypeVar("T")


@pytest.fixture(scope="module")
def env() -> Iterator[DevEnv]:
    with DevEnv(task_queue=f"smoke-{uuid.uuid4().hex[:8]}") as e:
        yield e


@pytest.fixture
def run(env: DevEnv) -> Callable[[Callable[[Client], Awaitable[T]]], T]:
    """Runs an async test body with a fresh client on its own event loop."""

    def runner(body: Callable[[Client], Awaitable[T]]) -> T:
        async def main() -> T:
            client = await Client.connect(env.target, namespace=env.namespace)
            return await asyncio.wait_for(body(client), 60)

        return asyncio.run(main())

    return runner


def wf_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4()}"


def test_devenv_info(env: DevEnv) -> None:
    assert env.target.startswith("127.0.0.1:")
    assert env.namespace == "default"
    assert env.cleanup_dir.is_dir()
    assert isinstance(env.server_pid, int) and isinstance(env.worker_pid, int)


def test_simple(env: DevEnv, run: Any) -> None:
    async def body(client: Client) -> Any:
        return await client.execute_workflow(
            "MySimpleWorkflow", "World", id=wf_id("simple"), task_queue=env.task_queue
        )

    assert run(body) == "Hello, World!"


@pytest.mark.parametrize(
    "value",
    ["text", 42, 2**60, 1.5, None, True, [1, "two", None], {"nested": {"list": [1, {"a": "é ✓ 😀"}]}}],
)
def test_echo(env: DevEnv, run: Any, value: Any) -> None:
    async def body(client: Client) -> Any:
        return await client.execute_workflow(
            "EchoWorkflow", value, id=wf_id("echo"), task_queue=env.task_queue
        )

    assert run(body) == value


@pytest.mark.parametrize("args", [[], ["a"], [1, "b", None, {"c": [2]}]])
def test_echo_args(env: DevEnv, run: Any, args: list[Any]) -> None:
    async def body(client: Client) -> Any:
        return await client.execute_workflow(
            "EchoArgsWorkflow", args=args, id=wf_id("echo-args"), task_queue=env.task_queue
        )

    assert run(body) == args


def test_failing(env: DevEnv, run: Any) -> None:
    async def body(client: Client) -> BaseException:
        with pytest.raises(WorkflowFailureError) as info:
            await client.execute_workflow(
                "FailingWorkflow", "boom", id=wf_id("fail"), task_queue=env.task_queue
            )
        return info.value

    err = run(body)
    top = err.cause
    assert isinstance(top, ApplicationError)
    assert (top.message, top.type, top.non_retryable, list(top.details)) == (
        "boom", "MyFailure", True, [{"k": 1}]
    )
    root = top.cause
    assert isinstance(root, ApplicationError)
    assert (root.message, root.type, root.cause) == ("root cause", "RootCause", None)


def test_continue_as_new(env: DevEnv, run: Any) -> None:
    async def body(client: Client) -> tuple[Any, str | None, str | None]:
        handle = await client.start_workflow(
            "ContinueAsNewWorkflow", 3, id=wf_id("can"), task_queue=env.task_queue
        )
        result = await handle.result()  # follows the continue-as-new chain
        latest = await client.get_workflow_handle(handle.id).describe()
        return result, handle.first_execution_run_id, latest.run_id

    result, first_run, last_run = run(body)
    assert result == 3
    assert first_run != last_run


def test_retrying(env: DevEnv, run: Any) -> None:
    async def body(client: Client) -> Any:
        return await client.execute_workflow(
            "RetryingWorkflow",
            id=wf_id("retry"),
            task_queue=env.task_queue,
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=3),
        )

    assert run(body) == 2


def test_long_running(env: DevEnv, run: Any) -> None:
    async def body(client: Client) -> Any:
        return await client.execute_workflow(
            "LongRunningWorkflow", 0.5, id=wf_id("long"), task_queue=env.task_queue
        )

    assert run(body) == "done"


def test_cancellable(env: DevEnv, run: Any) -> None:
    workflow_id = wf_id("cancel")

    async def body(client: Client) -> tuple[WorkflowFailureError, Any, list[Any], float]:
        handle = await client.start_workflow(
            "CancellableWorkflow", id=workflow_id, task_queue=env.task_queue
        )
        # Cancel only once long_activity runs, so the heartbeat path is exercised.
        while not (await handle.describe()).raw_description.pending_activities:
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        t0 = time.monotonic()
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
        elapsed = time.monotonic() - t0
        desc = await handle.describe()
        events = [e.event_type async for e in handle.fetch_history_events()]
        return info.value, desc.status, events, elapsed

    err, status, events, elapsed = run(body)
    assert isinstance(err.cause, CancelledError)
    assert status == WorkflowExecutionStatus.CANCELED
    # long_activity acknowledged the cancel (it ended Canceled, not abandoned)
    # and cleanup_activity then completed, all before the workflow closed.
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in events
    assert events.count(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) == 1
    assert events[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED
    assert (Path(env.cleanup_dir) / workflow_id).read_text() == "cleanup done"
    assert elapsed < 5, f"cancellation took {elapsed:.1f}s"


def test_signal_query_update(env: DevEnv, run: Any) -> None:
    async def body(client: Client) -> dict[str, Any]:
        handle = await client.start_workflow(
            "SignalQueryWorkflow", id=wf_id("sq"), task_queue=env.task_queue
        )
        await handle.signal("add", "a")
        await handle.signal("add", {"b": 2})
        out: dict[str, Any] = {"after_signals": await handle.query("values")}
        out["update_len"] = await handle.execute_update("set_values", ["x", "y", "z"])
        with pytest.raises(WorkflowUpdateFailedError) as rejected:
            await handle.execute_update("set_values", "not a list")
        out["rejected"] = rejected.value.cause
        await handle.signal("add", 4)
        await handle.signal("finish")
        out["result"] = await handle.result()
        return out

    out = run(body)
    assert out["after_signals"] == ["a", {"b": 2}]
    assert out["update_len"] == 3
    assert isinstance(out["rejected"], ApplicationError)
    assert "expects a list" in out["rejected"].message
    assert out["result"] == ["x", "y", "z", 4]
