"""Activity workers (temporal_bridge.Worker) against the real dev server:
the temporalio test worker's "CallActivityWorkflow" calls activities by name
on a task queue of their own (one per test), which our Worker serves.
Results, retries, failures, cancellation, heartbeats, shutdown, async
completion; asyncio (`async with`, `await run()`) and blocking (`with`,
`run_sync()`) use. Waits are on events and results, never on sleeps."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, Callable, TypeVar

import pytest
from devenv import DevEnv
from helpers import CTRL_C_AS_IN_A_TERMINAL, child_env, run_child, wait_until

from temporal_bridge import (
    ApplicationError,
    AsyncClient,
    Client,
    InvalidArgumentError,
    NotFoundError,
    Worker,
    WorkflowCanceledError,
    WorkflowFailedError,
    _native,
    activity,
)
from temporal_bridge.exceptions import Failure

T = TypeVar("T")
WfId = Callable[[str], str]
RESULT_TIMEOUT = 30


def new_queue() -> str:
    return f"py-activities-{uuid.uuid4().hex[:10]}"


def params(activity_type: str, task_queue: str, **extra: Any) -> dict[str, Any]:
    """CallActivityWorkflow's input (see tests/workers/python_worker.py)."""
    return {"activity": activity_type, "task_queue": task_queue, **extra}


def run(env: DevEnv, body: Callable[[AsyncClient], Awaitable[T]], timeout: float = 60) -> T:
    """Runs `body` with a fresh AsyncClient on a fresh event loop."""

    async def main() -> T:
        async with await AsyncClient.connect(env.target, namespace=env.namespace) as client:
            return await asyncio.wait_for(body(client), timeout)

    return asyncio.run(main())


def activity_failure(error: WorkflowFailedError) -> Failure:
    """The activity's own failure, under the workflow's ActivityError."""
    failure = error.failure
    assert failure is not None and failure.kind == "activity", failure
    assert failure.cause is not None
    return failure.cause


# ------------------------------------------------------------------ results


def test_sync_and_async_activities_return_results(env: DevEnv, wf_id: WfId) -> None:
    task_queue = new_queue()

    @activity.defn
    def add(a: int, b: int) -> dict[str, Any]:
        info = activity.info()
        assert activity.in_activity() and not activity.is_cancelled()
        assert activity.cancellation_details() is None and not activity.is_worker_shutdown()
        return {
            "sum": a + b,
            "attempt": info.attempt,
            "workflow_id": info.workflow_id,
            "activity_type": info.activity_type,
            "workflow_type": info.workflow_type,
            "task_queue": info.task_queue,
            "namespace": info.namespace,
            "thread": threading.current_thread().name,
            "times": info.scheduled_time <= info.started_time and info.start_to_close_timeout == timedelta(seconds=60),
            "token": len(info.task_token) > 0,
            "heartbeat_details": list(info.heartbeat_details),
        }

    @activity.defn(name="greet")
    async def greet_async(name: str, punctuation: str) -> dict[str, Any]:
        info = activity.info()
        await asyncio.sleep(0)
        return {"greeting": f"Hello, {name}{punctuation}", "attempt": info.attempt, "workflow_id": info.workflow_id}

    def nothing() -> None:  # undecorated: named by __name__; None is a result
        return None

    async def body(client: AsyncClient) -> None:
        worker = Worker(client, task_queue=task_queue, activities=[add, greet_async, nothing])
        assert worker.activity_types == ["add", "greet", "nothing"]
        async with worker:
            assert worker.is_running
            sync_id, async_id = wf_id("sync-"), wf_id("async-")
            summed, greeted, none = await asyncio.gather(
                client.execute_workflow(
                    "CallActivityWorkflow", params("add", task_queue, args=[2, 3]), id=sync_id,
                    task_queue=env.task_queue, result_timeout=RESULT_TIMEOUT,
                ),
                client.execute_workflow(
                    "CallActivityWorkflow", params("greet", task_queue, args=["World", "!"]), id=async_id,
                    task_queue=env.task_queue, result_timeout=RESULT_TIMEOUT,
                ),
                client.execute_workflow(
                    "CallActivityWorkflow", params("nothing", task_queue), id=wf_id("none-"),
                    task_queue=env.task_queue, result_timeout=RESULT_TIMEOUT,
                ),
            )  # fmt: skip
            assert summed == {
                "sum": 5,
                "attempt": 1,
                "workflow_id": sync_id,
                "activity_type": "add",
                "workflow_type": "CallActivityWorkflow",
                "task_queue": task_queue,
                "namespace": env.namespace,
                "thread": summed["thread"],
                "times": True,
                "token": True,
                "heartbeat_details": [],
            }
            assert summed["thread"].startswith("temporal_bridge-activity")
            assert greeted == {"greeting": "Hello, World!", "attempt": 1, "workflow_id": async_id}
            assert none is None
            stats = worker.stats()
            assert (stats["tasks"], stats["completed"], stats["failed"]) == (3, 3, 0)
        assert worker.is_shutdown and not worker.is_running

    run(env, body)


def test_retries_reach_attempt_n_and_see_the_last_heartbeat(env: DevEnv, wf_id: WfId) -> None:
    task_queue = new_queue()
    seen: list[tuple[int, list[Any]]] = []

    @activity.defn
    def flaky(succeed_at: int) -> int:
        info = activity.info()
        seen.append((info.attempt, list(info.heartbeat_details)))
        activity.heartbeat("progress", info.attempt)
        if info.attempt < succeed_at:
            raise RuntimeError(f"attempt {info.attempt} fails")
        return info.attempt

    async def body(client: AsyncClient) -> None:
        async with Worker(client, task_queue=task_queue, activities=[flaky]) as worker:
            result = await client.execute_workflow(
                "CallActivityWorkflow", params("flaky", task_queue, args=[3], retry={"maximum_attempts": 5}),
                id=wf_id(""), task_queue=env.task_queue, result_timeout=RESULT_TIMEOUT,
            )  # fmt: skip
            assert result == 3
            assert worker.stats()["failed"] == 2
        assert seen == [(1, []), (2, ["progress", 1]), (3, ["progress", 2])]

    run(env, body)


# ----------------------------------------------------------------- failures


def test_application_error_and_plain_exceptions_fail_the_activity(env: DevEnv, wf_id: WfId) -> None:
    task_queue = new_queue()
    calls: list[str] = []

    @activity.defn
    def refuses() -> None:
        calls.append("refuses")
        raise ApplicationError("bad input", {"field": "x"}, 7, type="BadInput", non_retryable=True)

    @activity.defn
    async def breaks() -> None:
        calls.append("breaks")
        raise ValueError("broken value")

    async def body(client: AsyncClient) -> None:
        async with Worker(client, task_queue=task_queue, activities=[refuses, breaks]):
            retry = {"maximum_attempts": 2}
            with pytest.raises(WorkflowFailedError) as caught:
                await client.execute_workflow(
                    "CallActivityWorkflow", params("refuses", task_queue, retry=retry), id=wf_id(""),
                    task_queue=env.task_queue, result_timeout=RESULT_TIMEOUT,
                )  # fmt: skip
            cause = activity_failure(caught.value)
            assert (cause.message, cause.type, cause.details, cause.non_retryable) == (
                "bad input", "BadInput", [{"field": "x"}, 7], True,
            )  # fmt: skip
            # Any other exception: retryable, its class name as type.
            with pytest.raises(WorkflowFailedError) as caught:
                await client.execute_workflow(
                    "CallActivityWorkflow", params("breaks", task_queue, retry=retry), id=wf_id(""),
                    task_queue=env.task_queue, result_timeout=RESULT_TIMEOUT,
                )  # fmt: skip
            cause = activity_failure(caught.value)
            assert (cause.message, cause.type, cause.non_retryable) == ("broken value", "ValueError", False)
        # Non-retryable: one attempt; the plain exception: both attempts.
        assert calls == ["refuses", "breaks", "breaks"]

    run(env, body)


def test_unknown_activity_type_fails_naming_the_known_ones(env: DevEnv, wf_id: WfId) -> None:
    task_queue = new_queue()

    def known_one() -> int:
        return 1

    async def known_two() -> int:
        return 2

    async def body(client: AsyncClient) -> None:
        async with Worker(client, task_queue=task_queue, activities=[known_one, known_two]):
            with pytest.raises(WorkflowFailedError) as caught:
                await client.execute_workflow(
                    "CallActivityWorkflow", params("no_such_activity", task_queue, retry={"maximum_attempts": 3}),
                    id=wf_id(""), task_queue=env.task_queue, result_timeout=RESULT_TIMEOUT,
                )  # fmt: skip
        cause = activity_failure(caught.value)
        assert cause.type == "NotFoundError" and cause.non_retryable
        assert "no_such_activity" in cause.message
        assert "known_one" in cause.message and "known_two" in cause.message

    run(env, body)


def test_non_json_return_values_fail_the_activity_clearly(env: DevEnv, wf_id: WfId) -> None:
    task_queue = new_queue()

    def returns_object() -> object:
        return object()

    async def returns_set() -> object:
        return {"items": {1, 2}}

    def fails_with_object() -> None:
        raise ApplicationError("with odd details", object(), type="Odd")

    def returns_coroutine() -> object:  # an `async def` in disguise
        return asyncio.sleep(0)

    with Client.connect(env.target, namespace=env.namespace) as client:
        activities = [returns_object, returns_set, fails_with_object, returns_coroutine]
        with Worker(client, task_queue=task_queue, activities=activities) as worker:
            causes = []
            for name in ("returns_object", "returns_set", "fails_with_object", "returns_coroutine"):
                handle = client.start_workflow(
                    "CallActivityWorkflow", params(name, task_queue), id=wf_id(""), task_queue=env.task_queue
                )
                with pytest.raises(WorkflowFailedError) as caught:
                    handle.result(timeout=RESULT_TIMEOUT)
                causes.append(activity_failure(caught.value))
            stats = worker.stats()
        returned_object, returned_set, odd_details, coroutine = causes
        assert returned_object.type == "TypeError"
        assert returned_object.message.startswith(
            "the activity's return value cannot be carried as JSON: result: <object"
        )
        assert returned_set.type == "TypeError"
        assert "result['items']: {1, 2} (type set) cannot be carried as JSON" in returned_set.message
        assert odd_details.type == "TypeError"
        assert "failure cannot be carried as JSON: failure['details'][0]: <object" in odd_details.message
        assert (coroutine.type, coroutine.message) == (
            "TypeError", "activity 'returns_coroutine' returned an awaitable from a plain function; declare it `async def`",
        )  # fmt: skip
        # The worker went on serving; nothing was left unanswered.
        assert (stats["failed"], stats["running"], stats["rpc_errors"]) == (4, 0, 0)


def test_a_failing_native_callback_fails_the_task(env: DevEnv, client: Client, wf_id: WfId) -> None:
    task_queue = new_queue()
    kept: list[_native.NativeActivityTask] = []

    def raises(task: _native.NativeActivityTask) -> None:
        raise ValueError("dispatcher broke")

    def drops(task: _native.NativeActivityTask) -> None:
        pass  # never answers, keeps nothing: the task fails when released

    def answers_badly(task: _native.NativeActivityTask) -> None:
        kept.append(task)
        with pytest.raises(TypeError, match=r"^result: <object"):
            task.answer({"result": object()})
        with pytest.raises(_native.NativeError, match="exactly one of"):
            task.answer({"result": 1, "cancelled": {}})
        task.answer({"result": "answered after two refusals"})
        with pytest.raises(_native.NativeError, match="already answered"):
            task.answer({"result": 2})

    worker = _native.NativeWorker(client._native, _native.to_json({"task_queue": task_queue}))
    worker.register("raises", raises)
    worker.register("drops", drops)
    worker.register("answers_badly", answers_badly)
    worker.start()
    try:
        messages = {}
        for name in ("raises", "drops"):
            handle = client.start_workflow(
                "CallActivityWorkflow", params(name, task_queue), id=wf_id(""), task_queue=env.task_queue
            )
            with pytest.raises(WorkflowFailedError) as caught:
                handle.result(timeout=RESULT_TIMEOUT)
            cause = activity_failure(caught.value)
            messages[name] = (cause.type, cause.message)
        assert messages["raises"] == (
            "ValueError", "the worker could not start the activity: ValueError: dispatcher broke",
        )  # fmt: skip
        assert messages["drops"] == (
            "HandlerReleasedTask", "the activity handler released its task without answering it",
        )  # fmt: skip
        assert client.execute_workflow(
            "CallActivityWorkflow", params("answers_badly", task_queue), id=wf_id(""), task_queue=env.task_queue,
            result_timeout=RESULT_TIMEOUT,
        ) == "answered after two refusals"  # fmt: skip
        assert kept[0].info["activity_type"] == "answers_badly"
    finally:
        worker.shutdown()
        assert worker.wait(timeout=20)


# ------------------------------------------------------------- cancellation


def test_cancelling_the_workflow_cancels_a_heartbeating_async_activity(env: DevEnv, wf_id: WfId) -> None:
    task_queue = new_queue()
    cleaned: list[str] = []
    details: list[activity.ActivityCancellationDetails | None] = []

    async def body(client: AsyncClient) -> None:
        started = asyncio.Event()

        @activity.defn
        async def beating() -> str:
            started.set()
            try:
                while True:
                    activity.heartbeat("tick")
                    await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                details.append(activity.cancellation_details())
                raise

        @activity.defn(name="cleanup")
        def cleanup_activity(workflow_id: str) -> str:
            cleaned.append(workflow_id)
            return "cleaned"

        async with Worker(client, task_queue=task_queue, activities=[beating, cleanup_activity]) as worker:
            handle = await client.start_workflow(
                "CallActivityWorkflow",
                params("beating", task_queue, heartbeat_timeout_ms=1000, cleanup_activity="cleanup"),
                id=wf_id(""), task_queue=env.task_queue,
            )  # fmt: skip
            await started.wait()
            await handle.cancel()
            with pytest.raises(WorkflowCanceledError):
                await handle.result(timeout=RESULT_TIMEOUT)
            assert cleaned == [handle.id]
            stats = worker.stats()
            assert (stats["cancelled"], stats["completed"]) == (1, 1)
        assert details == [activity.ActivityCancellationDetails(cancel_requested=True)]

    run(env, body)


def test_cancelling_the_workflow_cancels_a_heartbeating_sync_activity(env: DevEnv, wf_id: WfId) -> None:
    task_queue = new_queue()
    started = threading.Event()
    cleaned: list[str] = []
    details: list[activity.ActivityCancellationDetails | None] = []

    @activity.defn
    def beating() -> str:
        started.set()
        while not activity.wait_for_cancelled_sync(timedelta(milliseconds=50)):
            activity.heartbeat("tick")
        assert activity.is_cancelled()
        details.append(activity.cancellation_details())
        raise asyncio.CancelledError

    @activity.defn
    async def cleanup(workflow_id: str) -> str:
        cleaned.append(workflow_id)
        return "cleaned"

    with Client.connect(env.target, namespace=env.namespace) as client:
        # Blocking use: the async cleanup runs on the worker's own event loop.
        with Worker(client, task_queue=task_queue, activities=[beating, cleanup]) as worker:
            handle = client.start_workflow(
                "CallActivityWorkflow",
                params("beating", task_queue, heartbeat_timeout_ms=1000, cleanup_activity="cleanup"),
                id=wf_id(""), task_queue=env.task_queue,
            )  # fmt: skip
            assert started.wait(RESULT_TIMEOUT)
            handle.cancel()
            with pytest.raises(WorkflowCanceledError):
                handle.result(timeout=RESULT_TIMEOUT)
            assert cleaned == [handle.id]
            assert worker.stats()["cancelled"] == 1
        assert details == [activity.ActivityCancellationDetails(cancel_requested=True)]


# ----------------------------------------------------------------- shutdown


def test_shutdown_lets_a_running_activity_finish_within_the_grace_period(env: DevEnv, wf_id: WfId) -> None:
    task_queue = new_queue()
    started = threading.Event()

    @activity.defn
    def finishes_after_shutdown() -> str:
        started.set()
        assert wait_until(activity.is_worker_shutdown, timeout=RESULT_TIMEOUT)
        return "finished after shutdown was asked"

    async def body(client: AsyncClient) -> None:
        worker = Worker(
            client, task_queue=task_queue, activities=[finishes_after_shutdown],
            graceful_shutdown_timeout=timedelta(seconds=20),
        )  # fmt: skip
        running = asyncio.create_task(worker.run())
        handle = await client.start_workflow(
            "CallActivityWorkflow", params("finishes_after_shutdown", task_queue), id=wf_id(""),
            task_queue=env.task_queue,
        )  # fmt: skip
        assert await asyncio.to_thread(started.wait, RESULT_TIMEOUT)
        await worker.shutdown()
        await asyncio.wait_for(running, 5)  # run() returns too (its wake-up may come a loop turn later)
        assert await handle.result(timeout=RESULT_TIMEOUT) == "finished after shutdown was asked"
        stats = worker.stats()
        assert (stats["completed"], stats["given_up"], stats["running"]) == (1, 0, 0)

    run(env, body)


def test_shutdown_cancels_what_outlives_the_grace_period(env: DevEnv, wf_id: WfId) -> None:
    task_queue = new_queue()
    details: list[activity.ActivityCancellationDetails | None] = []

    async def body(client: AsyncClient) -> None:
        started = asyncio.Event()

        @activity.defn
        async def endless() -> None:
            started.set()
            try:
                await activity.wait_for_cancelled()
                details.append(activity.cancellation_details())
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                raise

        worker = Worker(
            client, task_queue=task_queue, activities=[endless], graceful_shutdown_timeout=timedelta(milliseconds=100)
        )
        running = asyncio.create_task(worker.run())
        handle = await client.start_workflow(
            "CallActivityWorkflow", params("endless", task_queue), id=wf_id(""), task_queue=env.task_queue
        )
        await started.wait()
        # Cancelling run() shuts the worker down gracefully, then re-raises.
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert worker.is_shutdown
        # Cancelled by the shutdown: a retryable failure, so another worker
        # could run it again (here, the workflow allows one attempt).
        with pytest.raises(WorkflowFailedError) as caught:
            await handle.result(timeout=RESULT_TIMEOUT)
        cause = activity_failure(caught.value)
        assert (cause.type, cause.non_retryable) == ("WorkerShutdown", False)

    run(env, body)
    assert details == [activity.ActivityCancellationDetails(worker_shutdown=True)]


# ------------------------------------------------------- async completion


def test_raise_complete_async_then_complete_through_the_client(env: DevEnv, client: Client, wf_id: WfId) -> None:
    task_queue = new_queue()
    tokens: queue.Queue[bytes] = queue.Queue()

    @activity.defn
    def completes_later(value: str) -> None:
        tokens.put(activity.info().task_token)
        activity.raise_complete_async()

    with Worker(client, task_queue=task_queue, activities=[completes_later]) as worker:
        handle = client.start_workflow(
            "CallActivityWorkflow", params("completes_later", task_queue, args=["x"]), id=wf_id(""),
            task_queue=env.task_queue,
        )  # fmt: skip
        token = tokens.get(timeout=RESULT_TIMEOUT)
        assert wait_until(lambda: worker.stats()["completing_async"] == 1)
        assert worker.stats()["running"] == 0
        client.get_async_activity_handle(task_token=token).complete({"done": "from outside"})
        assert handle.result(timeout=RESULT_TIMEOUT) == {"done": "from outside"}


# ------------------------------------------------------------- blocking use


def test_run_sync_serves_sync_and_async_activities_until_shut_down(env: DevEnv, client: Client, wf_id: WfId) -> None:
    task_queue = new_queue()
    loops: list[int] = []

    def double(x: int) -> int:
        return 2 * x

    async def triple(x: int) -> int:
        loops.append(threading.get_ident())
        await asyncio.sleep(0)
        return 3 * x

    worker = Worker(client, task_queue=task_queue, activities=[double, triple])
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            worker.run_sync()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        for name, expected in (("double", 14), ("triple", 21)):
            result = client.execute_workflow(
                "CallActivityWorkflow", params(name, task_queue, args=[7]), id=wf_id(""), task_queue=env.task_queue,
                result_timeout=RESULT_TIMEOUT,
            )  # fmt: skip
            assert result == expected
    finally:
        worker.shutdown_sync()
        thread.join(RESULT_TIMEOUT)
    assert not thread.is_alive() and errors == []
    # The async activity ran on the worker's own loop thread, not ours.
    assert loops and loops[0] not in (threading.get_ident(), thread.ident)
    with pytest.raises(RuntimeError, match="runs once"):
        worker.run_sync()


# ------------------------------------------------------- the activity module


def test_activity_functions_inside_and_outside_activities(env: DevEnv, client: Client, wf_id: WfId) -> None:
    task_queue = new_queue()
    assert not activity.in_activity()
    for outside in (activity.info, activity.is_cancelled, activity.cancellation_details, activity.is_worker_shutdown):
        with pytest.raises(RuntimeError, match="not in an activity"):
            outside()
    with pytest.raises(RuntimeError, match="not in an activity"):
        activity.heartbeat()

    @activity.defn(name="probe")
    def probe() -> list[str]:
        problems = []
        for bad in ((object(),), ({"k": float("nan")},)):
            try:
                activity.heartbeat(*bad)
            except TypeError as error:
                problems.append(str(error))
        assert not activity.wait_for_cancelled_sync(0)
        return problems

    with Worker(client, task_queue=task_queue, activities=[probe]):
        problems = client.execute_workflow(
            "CallActivityWorkflow", params("probe", task_queue), id=wf_id(""), task_queue=env.task_queue,
            result_timeout=RESULT_TIMEOUT,
        )  # fmt: skip
    assert problems[0].startswith("details[0]: <object object at")
    assert problems[1].startswith("details[0]['k']: nan is not a finite number")


def test_worker_argument_errors(client: Client) -> None:
    def noop() -> None:
        pass

    with pytest.raises(InvalidArgumentError) as caught:
        Worker(client, task_queue=new_queue(), activities=[noop], max_concurrent_activities=0)
    assert caught.value.argument == "max_concurrent_activities"
    with pytest.raises(InvalidArgumentError) as caught:
        Worker(client, task_queue="  ", activities=[noop])
    assert caught.value.field == "task_queue"
    with pytest.raises(InvalidArgumentError, match="graceful_shutdown_timeout"):
        Worker(client, task_queue=new_queue(), activities=[noop], graceful_shutdown_timeout="soon")
    with pytest.raises(InvalidArgumentError, match="already registered"):
        Worker(client, task_queue=new_queue(), activities=[noop, activity.defn(name="noop")(lambda: None)])
    with pytest.raises(ValueError, match="must not be empty"):
        Worker(client, task_queue=new_queue(), activities=[])
    with pytest.raises(TypeError, match="Client or AsyncClient"):
        Worker(object(), task_queue=new_queue(), activities=[noop])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callables"):
        Worker(client, task_queue=new_queue(), activities=["noop"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="max_concurrent_activities must be an int"):
        Worker(client, task_queue=new_queue(), activities=[noop], max_concurrent_activities=1.5)  # type: ignore


def test_polling_failure_ends_run_with_the_core_error(env: DevEnv) -> None:
    def noop() -> None:
        pass

    async def body() -> None:
        client = await AsyncClient.connect(env.target, namespace="no-such-namespace-for-workers", lazy=True)
        worker = Worker(client, task_queue=new_queue(), activities=[noop])
        with pytest.raises(NotFoundError, match=r"^polling task queue .*no-such-namespace-for-workers"):
            await asyncio.wait_for(worker.run(), 30)
        assert worker.is_shutdown

    asyncio.run(body())


# ---------------------------------------------------------------- processes

EXITS_WHILE_SERVING = """
import asyncio, sys, threading, time
from temporal_bridge import Client, Worker
target, namespace, workflow_queue, task_queue, workflow_id, kind = sys.argv[1:7]
started = threading.Event()
def slow_sync(i):
    started.set()
    time.sleep(0.2)
    return i
async def slow_async(i):
    started.set()
    await asyncio.sleep(0.2)
    return i
client = Client.connect(target, namespace=namespace)
worker = Worker(client, task_queue=task_queue, activities=[slow_sync, slow_async], max_concurrent_activities=4)
worker.__enter__()  # never left: the process exits with the worker serving
client.start_workflow(
    "CallActivityWorkflow",
    {"activity": kind, "task_queue": task_queue, "args": [1], "count": 40},
    id=workflow_id, task_queue=workflow_queue,
)
assert started.wait(30)
print("exiting while serving", flush=True)
"""


@pytest.mark.parametrize("kind", ["slow_sync", "slow_async"])
def test_a_process_exiting_while_its_worker_serves_exits_cleanly(
    env: DevEnv, client: Client, wf_id: WfId, kind: str
) -> None:
    """Tasks keep arriving while the interpreter exits: they fail (to be
    retried elsewhere); no library thread touches the dying interpreter."""
    workflow_id = wf_id("")
    child = run_child(EXITS_WHILE_SERVING, env.target, env.namespace, env.task_queue, new_queue(), workflow_id, kind)
    assert (child.returncode, child.stdout) == (0, "exiting while serving\n"), child.stderr
    assert "panicked" not in child.stderr and "Fatal" not in child.stderr, child.stderr
    with contextlib.suppress(NotFoundError):  # over already if an activity failed (one attempt)
        client.get_workflow_handle(workflow_id).terminate("test over")


RUN_SYNC_UNTIL_CTRL_C = """
import sys
from temporal_bridge import Client, Worker
def noop():
    pass
client = Client.connect(sys.argv[1], namespace=sys.argv[2])
worker = Worker(client, task_queue=sys.argv[3], activities=[noop])
try:
    worker.run_sync()
except KeyboardInterrupt:
    print("KeyboardInterrupt; shut down:", worker.is_shutdown, flush=True)
"""


def test_ctrl_c_shuts_a_blocking_worker_down(env: DevEnv, client: Client) -> None:
    task_queue = new_queue()
    child = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_AS_IN_A_TERMINAL + RUN_SYNC_UNTIL_CTRL_C, env.target, env.namespace, task_queue],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
    )  # fmt: skip
    try:

        def polling() -> bool:
            pollers = client.describe_task_queue(task_queue, task_queue_type="activity").get("pollers") or []
            return len(pollers) > 0

        assert wait_until(polling, timeout=RESULT_TIMEOUT)
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=RESULT_TIMEOUT)
    finally:
        child.kill()
    assert (child.returncode, stdout) == (0, "KeyboardInterrupt; shut down: True\n"), stderr
