"""The client surface beyond start/result/cancel, against a real dev server
and a real Python SDK worker: signal and signal-with-start, query, update,
list/count, history, async activity completion and batch jobs. Each
operation: what it does, its error cases (unknown workflow, unknown handler,
malformed input, wrong Python types) and, for the main ones, the asyncio
flavour. Waits poll real state with a deadline."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import time
from collections.abc import Awaitable
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, TypeVar

import pytest
from devenv import DevEnv
from helpers import nested, wait_until
from temporalio.exceptions import ApplicationError

from temporal_bridge import (
    ActivityHandle,
    ActivityHeartbeatResponse,
    AsyncActivityHandle,
    AsyncClient,
    AsyncWorkflowUpdateHandle,
    BatchOperationResult,
    CallCancelledError,
    CallTimeoutError,
    Client,
    InvalidArgumentError,
    NotFoundError,
    Payload,
    QueryRejectCondition,
    WorkflowAlreadyStartedError,
    WorkflowCanceledError,
    WorkflowExecution,
    WorkflowExecutionAsyncIterator,
    WorkflowExecutionCount,
    WorkflowExecutionCountAggregationGroup,
    WorkflowExecutionIterator,
    WorkflowExecutionStatus,
    WorkflowFailedError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowTerminatedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateStage,
)

T = TypeVar("T")
WfId = Callable[[str], str]
REPO = Path(__file__).resolve().parents[2]


def run(env: DevEnv, body: Callable[[AsyncClient], Awaitable[T]], timeout: float = 90) -> T:
    """Runs `body` with a fresh AsyncClient on a fresh event loop."""

    async def main() -> T:
        async with await AsyncClient.connect(env.target, namespace=env.namespace) as client:
            return await asyncio.wait_for(body(client), timeout)

    return asyncio.run(main())


def eventually(what: str, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Polls real state until `predicate` holds (visibility is eventually
    consistent; workers take a moment)."""
    assert wait_until(predicate, timeout=timeout, interval=0.1), f"{what}: not within {timeout}s"


async def eventually_async(what: str, predicate: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        await asyncio.sleep(0.1)


def query_values(handle: WorkflowHandle) -> list[Any]:
    values = handle.query("values")
    assert isinstance(values, list)
    return values


def published_activity(env: DevEnv, workflow_id: str) -> dict[str, Any]:
    """What the worker's `async_activity` published about itself (it writes
    the file atomically once the activity runs)."""
    path = env.cleanup_dir / f"{workflow_id}.activity.json"
    eventually("the async activity started", path.exists)
    info: dict[str, Any] = json.loads(path.read_text())
    return info


def task_token(info: dict[str, Any]) -> bytes:
    return base64.b64decode(info["task_token"])


# ------------------------------------------------------------ signal, query


def test_signal_then_query_then_result_and_queries_after_close(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("SignalQueryWorkflow", id=wf_id(""), task_queue=env.task_queue)
    assert query_values(handle) == []
    handle.signal("add", 1)
    handle.signal("add", {"a": [2, "ü"]}, rpc_timeout=10)
    eventually("both signals handled", lambda: len(query_values(handle)) >= 2)
    values = query_values(handle)
    assert values == [1, {"a": [2, "ü"]}]
    # Raw arguments pass through untouched (here: JSON the worker decodes).
    handle.signal("add", raw_args=[Payload(b'"raw"', {"encoding": b"json/plain"})])
    eventually("the raw signal handled", lambda: len(query_values(handle)) == 3)

    handle.signal("finish")
    assert handle.result(timeout=30) == [1, {"a": [2, "ü"]}, "raw"]

    # A closed workflow still answers queries (a worker replays it)...
    assert query_values(handle) == [1, {"a": [2, "ü"]}, "raw"]
    assert handle.query("values", reject_condition=QueryRejectCondition.NOT_COMPLETED_CLEANLY)[0] == 1
    assert handle.query("values", reject_condition="none")[0] == 1
    # ...unless the reject condition says otherwise.
    with pytest.raises(WorkflowQueryRejectedError) as caught:
        handle.query("values", reject_condition=QueryRejectCondition.NOT_OPEN)
    rejected = caught.value
    assert (rejected.kind, rejected.status, rejected.query_type) == ("query_rejected", "completed", "values")
    assert rejected.workflow_id == handle.id and handle.id in str(rejected)

    # Raw mode gives the answer's payloads.
    [payload] = handle.query("values", raw=True)
    assert isinstance(payload, Payload)
    assert payload.metadata["encoding"] == b"json/plain"
    assert json.loads(payload.data) == [1, {"a": [2, "ü"]}, "raw"]

    # A signal to a closed workflow is refused.
    with pytest.raises(NotFoundError) as not_found:
        handle.signal("add", 3)
    assert handle.id in str(not_found.value)


def test_signal_and_query_errors(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("HandlerFailuresWorkflow", id=wf_id(""), task_queue=env.task_queue)
    try:
        # No handler of that name: the worker says so; not a malformed request.
        with pytest.raises(WorkflowQueryFailedError) as caught:
            handle.query("no_such_query")
        assert not isinstance(caught.value, InvalidArgumentError)
        assert caught.value.query_type == "no_such_query"
        assert "no_such_query" in str(caught.value) and handle.id in str(caught.value)
        # The handler raised.
        with pytest.raises(WorkflowQueryFailedError, match="query handler failed") as caught:
            handle.query("fail_query")
        assert caught.value.grpc_code == "INVALID_ARGUMENT"
        failure = caught.value.failure
        if failure is not None:  # only when the worker's SDK sends the failure itself
            assert failure.message == "query handler failed"

        # A signal without a handler is recorded (the SDK buffers it), not refused.
        handle.signal("no_such_signal", 1)

        # Wrong Python types and values JSON cannot carry: refused before sending.
        with pytest.raises(TypeError, match="signal must be a str"):
            handle.signal(5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"args\[1\]\['x'\]: \{1\}"):
            handle.signal("finish", 1, {"x": {1}})
        with pytest.raises(ValueError, match="raw_args"):
            handle.signal("finish", 1, raw_args=[Payload(b"1")])
        with pytest.raises(TypeError, match=r"raw_args\[0\]"):
            handle.signal("finish", raw_args=[b"1"])  # type: ignore[list-item]
        with pytest.raises(TypeError, match="query must be a str"):
            handle.query(None)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"args\[0\].*datetime"):
            handle.query("fail_query", datetime.now())
        with pytest.raises(TypeError, match="reject_condition"):
            handle.query("fail_query", reject_condition=2)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="rpc_timeout"):
            handle.signal("finish", rpc_timeout=[1])  # type: ignore[arg-type]
        # Bad values: the core names the field.
        with pytest.raises(InvalidArgumentError) as invalid:
            handle.query("fail_query", reject_condition="never")
        assert invalid.value.field == "reject_condition"
        with pytest.raises(InvalidArgumentError, match="signal_name"):
            handle.signal("")
        with pytest.raises(InvalidArgumentError, match="query_type"):
            handle.query("")
        # None of the refused signals reached the workflow: "finish" would have ended it.
        assert handle.describe().status is WorkflowExecutionStatus.RUNNING
    finally:
        handle.signal("finish")
    assert handle.result(timeout=30) == "finished"

    # Unknown workflow.
    missing = client.get_workflow_handle(wf_id("missing-"))
    for call in (lambda: missing.signal("add", 1), lambda: missing.query("values")):
        with pytest.raises(NotFoundError) as not_found:
            call()
        assert missing.id in str(not_found.value)


def test_signal_with_start_starts_once_then_signals_the_running_workflow(
    client: Client, env: DevEnv, wf_id: WfId
) -> None:
    workflow_id = wf_id("")
    queue = env.task_queue
    first = client.start_workflow(
        "SignalQueryWorkflow", id=workflow_id, task_queue=queue, start_signal="add", start_signal_args=["first"]
    )
    second = client.start_workflow(
        "SignalQueryWorkflow", id=workflow_id, task_queue=queue, start_signal="add", start_signal_args=("second",)
    )
    # The running workflow was signaled, not started again.
    assert second.run_id == first.run_id
    assert first.first_execution_run_id == first.run_id
    assert second.first_execution_run_id is None
    eventually("both signals handled", lambda: len(query_values(first)) >= 2)
    assert query_values(first) == ["first", "second"]
    second.signal("finish")
    assert first.result(timeout=30) == ["first", "second"]

    # The signal is delivered with the start: "finish" ends the run at once.
    finished = client.execute_workflow(
        "SignalQueryWorkflow", id=wf_id(""), task_queue=queue, start_signal="finish", result_timeout=30
    )
    assert finished == []

    refused = wf_id("refused-")
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"start_signal_args": [1]}, InvalidArgumentError, "start_signal"),
        ({"start_signal": ""}, InvalidArgumentError, "start_signal"),
        ({"start_signal": b"add"}, TypeError, "start_signal must be a str"),
        ({"start_signal": "add", "start_signal_args": "abc"}, TypeError, "start_signal_args must be a list or tuple"),
        ({"start_signal": "add", "start_signal_args": [{1}]}, TypeError, r"start_signal_args\[0\]: \{1\}"),
    ]
    for options, expected, pattern in cases:
        with pytest.raises(expected, match=pattern):
            client.start_workflow("SignalQueryWorkflow", id=refused, task_queue=queue, **options)
    with pytest.raises(NotFoundError):
        client.get_workflow_handle(refused).describe()


# ------------------------------------------------------------------ update


def test_execute_update_returns_its_result_and_is_idempotent_by_id(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("SignalQueryWorkflow", id=wf_id(""), task_queue=env.task_queue)
    assert handle.execute_update("set_values", [1, 2, 3]) == 3
    assert query_values(handle) == [1, 2, 3]

    # The same update ID again refers to the same update: not run twice.
    assert handle.execute_update("set_values", ["x"], id="fixed-update") == 1
    assert handle.execute_update("set_values", ["y", "z"], id="fixed-update") == 1
    assert query_values(handle) == ["x"]

    # Its result later, from another client that knows only the IDs.
    with Client.connect(env.target, namespace=env.namespace) as other:
        later = other.get_workflow_handle(handle.id).get_update_handle("fixed-update")
        assert isinstance(later, WorkflowUpdateHandle)
        assert (later.id, later.workflow_id, later.name) == ("fixed-update", handle.id, None)
        assert later.result(timeout=30) == 1

    # Raw mode: the result's payloads.
    [payload] = handle.execute_update("set_values", [True], raw=True)
    assert isinstance(payload, Payload) and payload.data == b"1"

    handle.signal("finish")
    assert handle.result(timeout=30) == [True]


def test_start_update_then_wait_for_its_result(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("HandlerFailuresWorkflow", id=wf_id(""), task_queue=env.task_queue)
    begun = time.monotonic()
    update = handle.start_update("slow_update", 2)
    assert time.monotonic() - begun < 2, "returned once accepted, not completed"
    assert isinstance(update, WorkflowUpdateHandle)
    assert len(update.id) == 36  # a generated UUID
    assert (update.workflow_id, update.name) == (handle.id, "slow_update")
    assert update.workflow_run_id == handle.run_id
    # A deadline shorter than the handler: the wait is abandoned, the update is not.
    with pytest.raises(CallTimeoutError):
        update.result(timeout=0.2)
    assert update.result(timeout=30) == "slept 2.0"
    assert time.monotonic() - begun >= 2

    # Waiting for completion: the handle holds the result, no further call.
    done = handle.start_update("slow_update", 0.1, id="completed-one", wait_for_stage=WorkflowUpdateStage.COMPLETED)
    assert done.id == "completed-one"
    with Client.connect(env.target, namespace=env.namespace) as closing:
        cached = closing.get_workflow_handle(handle.id).start_update(
            "slow_update", 0.1, id="completed-one", wait_for_stage="completed"
        )
        closing.close()
        with pytest.raises(CallCancelledError):
            closing.get_workflow_handle(handle.id).describe()
        assert cached.result() == "slept 0.1"
    assert done.result() == "slept 0.1"

    handle.signal("finish")
    assert handle.result(timeout=30) == "finished"


def test_rejected_failed_and_unknown_updates(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("SignalQueryWorkflow", id=wf_id(""), task_queue=env.task_queue)
    failing = client.start_workflow("HandlerFailuresWorkflow", id=wf_id(""), task_queue=env.task_queue)
    try:
        # Rejected by its validator; also when only waiting for acceptance.
        with pytest.raises(WorkflowUpdateFailedError, match="expects a list") as caught:
            handle.execute_update("set_values", "not a list")
        assert caught.value.kind == "update_failed"
        assert caught.value.update_name == "set_values"
        assert caught.value.update_id and len(caught.value.update_id) == 36
        with pytest.raises(WorkflowUpdateFailedError):
            handle.start_update("set_values", 7)
        # No handler of that name.
        with pytest.raises(WorkflowUpdateFailedError, match="no_such_update"):
            handle.execute_update("no_such_update")
        assert query_values(handle) == [], "no rejected update changed anything"

        # Accepted, then failed by its handler: the failure chain comes along.
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            failing.execute_update("fail_update", "update went wrong", id="failing-update")
        failure = caught.value.failure
        assert failure is not None
        assert (failure.message, failure.type, failure.details) == ("update went wrong", "UpdateFailure", [{"k": 2}])
        assert failure.cause is not None and failure.cause.type == "RootCause"
        assert caught.value.update_id == "failing-update"
        # The same outcome later through a handle; raw mode gives the details as payloads.
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            failing.get_update_handle("failing-update").result(raw=True)
        assert caught.value.failure is not None
        [detail] = caught.value.failure.details
        assert isinstance(detail, Payload) and json.loads(detail.data) == {"k": 2}

        # Unknown workflow, unknown update ID.
        missing = client.get_workflow_handle(wf_id("missing-"))
        with pytest.raises(NotFoundError) as not_found:
            missing.execute_update("set_values", [])
        assert missing.id in str(not_found.value)
        with pytest.raises(NotFoundError):
            handle.get_update_handle("no-such-update-id").result(timeout=20)

        # Wrong Python types and bad values, refused before anything is sent.
        with pytest.raises(TypeError, match="update must be a str"):
            handle.execute_update(len)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="id must be a str"):
            handle.execute_update("set_values", [], id=5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"args\[0\]\[0\]: b'x'"):
            handle.execute_update("set_values", [b"x"])
        with pytest.raises(TypeError, match="wait_for_stage"):
            handle.start_update("set_values", [], wait_for_stage=3)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="id must be a str"):
            handle.get_update_handle(None)  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError) as invalid:
            handle.start_update("set_values", [1], wait_for_stage="admitted")
        assert invalid.value.field == "wait_for_stage"
        with pytest.raises(InvalidArgumentError, match="update_name"):
            handle.execute_update("")
        assert query_values(handle) == []
    finally:
        handle.signal("finish")
        failing.signal("finish")


# -------------------------------------------------------------- visibility


def start_listed(client: Client, env: DevEnv, prefix: str) -> tuple[list[str], WorkflowHandle]:
    """Three completed workflows (memo n) and one running, all with `prefix`."""
    ids = [f"{prefix}-{n}" for n in range(3)]
    for n, workflow_id in enumerate(ids):
        client.start_workflow("MySimpleWorkflow", f"n{n}", id=workflow_id, task_queue=env.task_queue, memo={"n": n})
    running = client.start_workflow("LongRunningWorkflow", 300, id=f"{prefix}-running", task_queue=env.task_queue)
    for workflow_id in ids:
        client.get_workflow_handle(workflow_id).result(timeout=30)
    completed = f"WorkflowId STARTS_WITH '{prefix}' AND ExecutionStatus = 'Completed'"
    eventually("3 completed in visibility", lambda: client.count_workflows(completed).count == 3)
    eventually("4 in visibility", lambda: client.count_workflows(f"WorkflowId STARTS_WITH '{prefix}'").count == 4)
    return ids, running


def test_list_workflows_fetches_pages_on_demand(client: Client, env: DevEnv, wf_id: WfId) -> None:
    prefix = wf_id("")
    ids, running = start_listed(client, env, prefix)
    query = f"WorkflowId STARTS_WITH '{prefix}' AND ExecutionStatus = 'Completed'"
    try:
        listing = client.list_workflows(query, page_size=2)
        assert isinstance(listing, WorkflowExecutionIterator)
        assert listing.current_page is None, "nothing is fetched before iterating"
        executions = list(listing)
        assert sorted(e.id for e in executions) == ids
        assert listing.next_page_token is None

        first = next(e for e in executions if e.id == ids[0])
        assert isinstance(first, WorkflowExecution)
        assert first.status is WorkflowExecutionStatus.COMPLETED
        assert (first.workflow_type, first.task_queue, first.memo) == ("MySimpleWorkflow", env.task_queue, {"n": 0})
        assert len(first.run_id) == 36
        assert first.start_time is not None and first.close_time is not None
        assert first.close_time >= first.start_time
        assert first.history_length >= 5
        assert first.parent_id is None
        assert first.raw["workflow_id"] == ids[0]

        # Page by page: two, then one, resumable from the token.
        paged = client.list_workflows(query, page_size=2)
        paged.fetch_next_page()
        assert paged.current_page is not None and len(paged.current_page) == 2
        assert isinstance(paged.next_page_token, bytes)
        rest = list(client.list_workflows(query, page_size=2, next_page_token=paged.next_page_token))
        assert len(rest) == 1
        assert sorted([e.id for e in paged.current_page] + [rest[0].id]) == ids
        # A limit stops early.
        assert len(list(client.list_workflows(query, page_size=2, limit=1))) == 1
        assert list(client.list_workflows(query, limit=0)) == []
        # Everything with the prefix, one page of the server's default size.
        everything = client.list_workflows(f"WorkflowId STARTS_WITH '{prefix}'")
        by_id = {e.id: e.status for e in everything}
        assert by_id[running.id] is WorkflowExecutionStatus.RUNNING and len(by_id) == 4
    finally:
        running.terminate(reason="test cleanup")


def test_list_workflows_errors(client: Client) -> None:
    # A malformed query is reported when the first page is fetched.
    listing = client.list_workflows("WorkflowId ==== nonsense")
    with pytest.raises(InvalidArgumentError, match="nonsense"):
        next(listing)
    with pytest.raises(InvalidArgumentError) as caught:
        next(iter(client.list_workflows(page_size=0)))
    assert "page_size" in str(caught.value)
    with pytest.raises(InvalidArgumentError, match="page_size"):
        next(iter(client.list_workflows(page_size=-1)))
    # Wrong Python types: at once.
    with pytest.raises(TypeError, match="query must be a str"):
        client.list_workflows(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="page_size must be an int"):
        client.list_workflows(page_size="2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="page_size must be an int"):
        client.list_workflows(page_size=True)
    with pytest.raises(TypeError, match="next_page_token must be bytes"):
        client.list_workflows(next_page_token="abc")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit"):
        client.list_workflows(limit=-1)
    with pytest.raises(TypeError, match="rpc_timeout"):
        client.list_workflows(rpc_timeout=[1])  # type: ignore[arg-type]


def test_count_workflows_with_groups(client: Client, env: DevEnv, wf_id: WfId) -> None:
    prefix = wf_id("")
    _, running = start_listed(client, env, prefix)
    try:
        grouped = client.count_workflows(f"WorkflowId STARTS_WITH '{prefix}' GROUP BY ExecutionStatus")
        assert isinstance(grouped, WorkflowExecutionCount)
        assert grouped.count == 4
        groups = sorted(grouped.groups, key=lambda g: str(g.group_values))
        assert groups == [
            WorkflowExecutionCountAggregationGroup(3, ["Completed"]),
            WorkflowExecutionCountAggregationGroup(1, ["Running"]),
        ]
        plain = client.count_workflows(f"WorkflowId STARTS_WITH '{prefix}'")
        assert (plain.count, plain.groups) == (4, [])
        assert client.count_workflows().count >= 4, "no query: the whole namespace"
    finally:
        running.terminate(reason="test cleanup")

    with pytest.raises(InvalidArgumentError, match="NoSuchAttribute"):
        client.count_workflows("NoSuchAttribute = 'x'")
    with pytest.raises(TypeError, match="query must be a str"):
        client.count_workflows(["WorkflowId = 'x'"])  # type: ignore[arg-type]


# ----------------------------------------------------------------- history


def temporal_cli_history(env: DevEnv, workflow_id: str) -> Any:
    shown = subprocess.run(
        [str(REPO / ".venv" / "bin" / "temporal"), "workflow", "show", "--address", env.target,
         "--namespace", env.namespace, "--workflow-id", workflow_id, "--output", "json"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(shown.stdout)


def test_history_is_the_proto_json_the_temporal_cli_prints(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("SignalQueryWorkflow", id=wf_id(""), task_queue=env.task_queue)
    handle.signal("add", {"k": "v"})
    handle.execute_update("set_values", [1])
    handle.signal("finish")
    handle.result(timeout=30)

    history = handle.fetch_history()
    events = history["events"]
    assert [e["eventId"] for e in events] == [str(n) for n in range(1, len(events) + 1)]
    assert events[0]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
    assert events[-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
    assert any(e["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED" for e in events)
    # Not only the same events: the same canonical JSON, field for field.
    assert history == temporal_cli_history(env, handle.id)


def test_history_follow_waits_for_the_close_event(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("LongRunningWorkflow", 2, id=wf_id(""), task_queue=env.task_queue)
    begun = time.monotonic()
    events = handle.fetch_history(follow=True, timeout=60)["events"]
    assert time.monotonic() - begun >= 1.5, "waited for the timer"
    assert events[-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
    assert any(e["eventType"] == "EVENT_TYPE_TIMER_FIRED" for e in events)

    running = client.start_workflow("LongRunningWorkflow", 300, id=wf_id(""), task_queue=env.task_queue)
    try:
        # Without follow: the history so far.
        so_far = running.fetch_history()["events"]
        assert so_far[0]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
        # Following is abandoned by the timeout, promptly, and the workflow runs on.
        begun = time.monotonic()
        with pytest.raises(CallTimeoutError):
            running.fetch_history(follow=True, timeout=0.5)
        assert time.monotonic() - begun < 2
        assert running.describe().status is WorkflowExecutionStatus.RUNNING
        with pytest.raises(InvalidArgumentError, match="call_timeout"):
            running.fetch_history(timeout="soon")
        with pytest.raises(TypeError, match="timeout"):
            running.fetch_history(timeout=[1])  # type: ignore[arg-type]
    finally:
        running.terminate(reason="test cleanup")

    missing = client.get_workflow_handle(wf_id("missing-"))
    with pytest.raises(NotFoundError) as caught:
        missing.fetch_history()
    assert missing.id in str(caught.value)
    with pytest.raises(InvalidArgumentError, match="workflow_id"):
        client.get_workflow_handle("").fetch_history()


# ------------------------------------------------ async activity completion


def test_async_activity_completed_by_task_token_and_by_id(client: Client, env: DevEnv, wf_id: WfId) -> None:
    by_token = client.start_workflow("AsyncActivityWorkflow", id=wf_id(""), task_queue=env.task_queue)
    by_id = client.start_workflow("AsyncActivityWorkflow", id=wf_id(""), task_queue=env.task_queue)

    token = task_token(published_activity(env, by_token.id))
    activity = client.get_async_activity_handle(task_token=token)
    assert isinstance(activity, ActivityHandle)
    assert "<set>" in repr(activity) and base64.b64encode(token).decode() not in repr(activity)
    beat = activity.heartbeat({"progress": 50})
    assert beat == ActivityHeartbeatResponse(cancel_requested=False)
    # The heartbeat details are visible on the pending activity.
    [pending] = by_token.describe().pending_activities
    assert pending["heartbeat_details"] == [{"progress": 50}]
    activity.complete({"done": "by token"})
    assert by_token.result(timeout=30) == {"done": "by token"}
    # Completing it again: the activity is gone.
    with pytest.raises(NotFoundError):
        activity.complete(1)

    info = published_activity(env, by_id.id)
    addressed = client.get_async_activity_handle(
        workflow_id=by_id.id, run_id=info["run_id"], activity_id=info["activity_id"]
    )
    assert addressed.heartbeat().cancel_requested is False
    addressed.complete([1, 2])
    assert by_id.result(timeout=30) == [1, 2]


def test_async_activity_failed_and_cancelled(client: Client, env: DevEnv, wf_id: WfId) -> None:
    # Failed with the official SDK's ApplicationError: its type, details and
    # non_retryable come along.
    failing = client.start_workflow("AsyncActivityWorkflow", id=wf_id(""), task_queue=env.task_queue)
    info = published_activity(env, failing.id)
    client.get_async_activity_handle(workflow_id=failing.id, activity_id=info["activity_id"]).fail(
        ApplicationError("external system said no", {"code": 409}, type="ExternalRefusal", non_retryable=True),
        last_heartbeat_details=["last"],
    )
    with pytest.raises(WorkflowFailedError) as caught:
        failing.result(timeout=30)
    failure = caught.value.failure
    assert failure is not None and failure.kind == "activity"
    assert failure.cause is not None
    cause = failure.cause
    assert (cause.message, cause.type, cause.details, cause.non_retryable) == (
        "external system said no", "ExternalRefusal", [{"code": 409}], True,
    )  # fmt: skip

    # Any exception: its class name is the type, unless `type=` says otherwise.
    plain = client.start_workflow("AsyncActivityWorkflow", id=wf_id(""), task_queue=env.task_queue)
    client.get_async_activity_handle(task_token=task_token(published_activity(env, plain.id))).fail(
        ValueError("bad input"), details=[1]
    )
    with pytest.raises(WorkflowFailedError) as caught:
        plain.result(timeout=30)
    assert caught.value.failure is not None and caught.value.failure.cause is not None
    assert (caught.value.failure.cause.message, caught.value.failure.cause.type) == ("bad input", "ValueError")
    assert caught.value.failure.cause.details == [1]

    # Cancelling the workflow reaches the activity as cancel_requested on its
    # next heartbeat; reporting the cancellation lets the workflow end.
    cancelled = client.start_workflow("AsyncActivityWorkflow", id=wf_id(""), task_queue=env.task_queue)
    activity = client.get_async_activity_handle(task_token=task_token(published_activity(env, cancelled.id)))
    assert activity.heartbeat().cancel_requested is False
    cancelled.cancel()
    eventually("cancel_requested", lambda: activity.heartbeat("still here").cancel_requested)
    activity.report_cancellation("stopped")
    with pytest.raises(WorkflowCanceledError):
        cancelled.result(timeout=30)


def test_workflow_failure_with_deeply_nested_details(client: Client, env: DevEnv, wf_id: WfId) -> None:
    # The details travel through the server and the Python SDK worker (whose
    # workflow fails with the activity's failure) and come back five levels
    # down in the error object: {details: {failure: {cause: {details: [...]}}}}.
    deep = nested(126)
    failing = client.start_workflow("AsyncActivityWorkflow", id=wf_id(""), task_queue=env.task_queue)
    info = published_activity(env, failing.id)
    client.get_async_activity_handle(workflow_id=failing.id, activity_id=info["activity_id"]).fail(
        "deep failure", type="Deep", non_retryable=True, details=[deep]
    )
    with pytest.raises(WorkflowFailedError) as caught:
        failing.result(timeout=30)
    failure = caught.value.failure
    assert failure is not None and failure.kind == "activity"
    assert failure.cause is not None
    assert (failure.cause.message, failure.cause.type, failure.cause.details) == ("deep failure", "Deep", [deep])

    # The same through the asyncio client, whose errors reach the event loop
    # through the completion queue.
    async def body(aclient: AsyncClient) -> None:
        handle = aclient.get_workflow_handle(failing.id)
        with pytest.raises(WorkflowFailedError) as caught:
            await handle.result(timeout=30)
        failure = caught.value.failure
        assert failure is not None and failure.cause is not None
        assert failure.cause.details == [deep]

    run(env, body)


def test_async_activity_errors(client: Client, env: DevEnv, wf_id: WfId) -> None:
    missing = wf_id("missing-")
    with pytest.raises(NotFoundError) as caught:
        client.get_async_activity_handle(workflow_id=missing, activity_id="1").heartbeat()
    assert missing in str(caught.value)
    assert caught.value.error_details["activity_id"] == "1"

    # A running workflow without such an activity.
    running = client.start_workflow("AsyncActivityWorkflow", id=wf_id(""), task_queue=env.task_queue)
    try:
        published_activity(env, running.id)
        with pytest.raises(NotFoundError, match="no-such-activity"):
            client.get_async_activity_handle(workflow_id=running.id, activity_id="no-such-activity").complete()
    finally:
        running.terminate(reason="test cleanup")

    # A token the server cannot read; addressing that makes no sense.
    with pytest.raises(InvalidArgumentError, match="task token"):
        client.get_async_activity_handle(task_token=b"\x00\x00\x00").complete(1)
    with pytest.raises(InvalidArgumentError) as invalid:
        client.get_async_activity_handle().heartbeat()
    assert invalid.value.field == "workflow_id"
    with pytest.raises(InvalidArgumentError, match="not both"):
        client.get_async_activity_handle(task_token=b"t", workflow_id="w", activity_id="1").complete()
    with pytest.raises(InvalidArgumentError, match="task_token"):
        client.get_async_activity_handle(task_token=b"").complete()
    with pytest.raises(InvalidArgumentError, match="activity_id"):
        client.get_async_activity_handle(workflow_id="w").report_cancellation()

    # Wrong Python types and values JSON cannot carry: refused before sending.
    with pytest.raises(TypeError, match="task_token must be bytes"):
        client.get_async_activity_handle(task_token="AAAA")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="activity_id must be a str"):
        client.get_async_activity_handle(workflow_id="w", activity_id=1)  # type: ignore[arg-type]
    activity = client.get_async_activity_handle(workflow_id=missing, activity_id="1")
    with pytest.raises(TypeError, match=r"result: \{1\}"):
        activity.complete({1})
    with pytest.raises(TypeError, match=r"details\[1\]"):
        activity.heartbeat("ok", {1})
    with pytest.raises(TypeError, match=r"details\[0\]"):
        activity.report_cancellation(object())
    with pytest.raises(TypeError, match="error must be an exception or a str"):
        activity.fail(409)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="details must be a list or tuple"):
        activity.fail("m", details="abc")
    with pytest.raises(TypeError, match="type must be a str"):
        activity.fail("m", type=ValueError)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"last_heartbeat_details\[0\]"):
        activity.fail("m", last_heartbeat_details=[float("nan")])


# ------------------------------------------------------------------- batch


def running_batch(client: Client, env: DevEnv, prefix: str, n: int = 2) -> tuple[str, list[WorkflowHandle]]:
    """`n` long-running workflows, visible as running; their query."""
    handles = [
        client.start_workflow("LongRunningWorkflow", 300, id=f"{prefix}-{i}", task_queue=env.task_queue)
        for i in range(n)
    ]
    query = f"WorkflowId STARTS_WITH '{prefix}' AND ExecutionStatus = 'Running'"
    eventually("visible as running", lambda: client.count_workflows(query).count == n)
    return query, handles


def test_batch_terminate_and_cancel_by_query(client: Client, env: DevEnv, wf_id: WfId) -> None:
    # One job at a time: the dev server runs one batch job per namespace at once.
    query, handles = running_batch(client, env, wf_id(""))
    job_id = client.batch_terminate_workflows(query, reason="batch test")
    assert len(job_id) == 36  # a generated UUID
    job = client.wait_batch_operation(job_id, timeout=60)
    assert isinstance(job, BatchOperationResult)
    assert (job.job_id, job.state, job.operation_type, job.reason) == (
        job_id, "completed", "terminate_workflow", "batch test",
    )  # fmt: skip
    assert (job.total_operation_count, job.complete_operation_count, job.failure_operation_count) == (2, 2, 0)
    assert job.start_time is not None and job.close_time is not None and job.close_time >= job.start_time
    for handle in handles:
        with pytest.raises(WorkflowTerminatedError) as caught:
            handle.result(timeout=30)
        assert caught.value.reason == "batch test"

    query, handles = running_batch(client, env, wf_id(""))
    job_id = wf_id("cancel-job-")
    assert client.batch_cancel_workflows(query, reason="batch cancel test", job_id=job_id) == job_id
    job = client.wait_batch_operation(job_id, timeout=60)
    assert (job.state, job.operation_type, job.complete_operation_count) == ("completed", "cancel_workflow", 2)
    for handle in handles:
        with pytest.raises(WorkflowCanceledError):
            handle.result(timeout=30)
    # A job ID is used once.
    with pytest.raises(WorkflowAlreadyStartedError):
        client.batch_cancel_workflows(query, reason="again", job_id=job_id)


def test_batch_errors(client: Client, wf_id: WfId) -> None:
    with pytest.raises(NotFoundError, match="no-such-job"):
        client.wait_batch_operation("no-such-job", timeout=30)
    with pytest.raises(InvalidArgumentError, match="query"):
        client.batch_cancel_workflows("", reason="r")
    with pytest.raises(InvalidArgumentError, match="reason"):
        client.batch_terminate_workflows("WorkflowId = 'x'", reason="")
    with pytest.raises(InvalidArgumentError, match="job_id"):
        client.wait_batch_operation("")
    with pytest.raises(TypeError, match="reason must be a str"):
        client.batch_cancel_workflows("WorkflowId = 'x'", reason=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="query must be a str"):
        client.batch_terminate_workflows(b"WorkflowId = 'x'", reason="r")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="job_id must be a str"):
        client.wait_batch_operation(5)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="call_timeout"):
        client.wait_batch_operation("no-such-job", timeout=-1)


# ----------------------------------------------------------------- asyncio


def test_async_signal_query_and_signal_with_start(env: DevEnv, wf_id: WfId) -> None:
    async def body(client: AsyncClient) -> None:
        workflow_id = wf_id("")
        handle = await client.start_workflow(
            "SignalQueryWorkflow", id=workflow_id, task_queue=env.task_queue, start_signal="add", start_signal_args=[0]
        )
        await handle.signal("add", {"n": 1})

        async def both_handled() -> bool:
            return len(await handle.query("values")) >= 2

        await eventually_async("both signals handled", both_handled)
        assert await handle.query("values") == [0, {"n": 1}]
        again = await client.start_workflow(
            "SignalQueryWorkflow", id=workflow_id, task_queue=env.task_queue, start_signal="finish"
        )
        assert again.run_id == handle.run_id
        assert await handle.result(timeout=30) == [0, {"n": 1}]
        with pytest.raises(WorkflowQueryRejectedError):
            await handle.query("values", reject_condition=QueryRejectCondition.NOT_OPEN)

        failures = await client.start_workflow("HandlerFailuresWorkflow", id=wf_id(""), task_queue=env.task_queue)
        with pytest.raises(WorkflowQueryFailedError):
            await failures.query("no_such_query")
        with pytest.raises(TypeError, match=r"args\[0\]"):
            await failures.signal("finish", {1})
        await failures.signal("finish")
        assert await failures.result(timeout=30) == "finished"

        missing = client.get_workflow_handle(wf_id("missing-"))
        with pytest.raises(NotFoundError):
            await missing.signal("add", 1)
        with pytest.raises(NotFoundError):
            await missing.query("values")

    run(env, body)


def test_async_update(env: DevEnv, wf_id: WfId) -> None:
    async def body(client: AsyncClient) -> None:
        handle = await client.start_workflow("HandlerFailuresWorkflow", id=wf_id(""), task_queue=env.task_queue)
        update = await handle.start_update("slow_update", 1)
        assert isinstance(update, AsyncWorkflowUpdateHandle)
        # Cancelling the awaiting task abandons the wait, not the update.
        waiter = asyncio.ensure_future(update.result())
        await asyncio.sleep(0.1)
        cancelled_at = time.monotonic()
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert time.monotonic() - cancelled_at < 0.5
        assert await update.result(timeout=30) == "slept 1.0"
        assert await handle.execute_update("slow_update", 0.1) == "slept 0.1"
        completed = await handle.start_update("slow_update", 0.1, wait_for_stage=WorkflowUpdateStage.COMPLETED)
        assert await completed.result() == "slept 0.1"
        assert await handle.get_update_handle(completed.id).result() == "slept 0.1"

        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await handle.execute_update("fail_update", "async update failure")
        assert caught.value.failure is not None and caught.value.failure.type == "UpdateFailure"
        with pytest.raises(WorkflowUpdateFailedError, match="no_such_update"):
            await handle.start_update("no_such_update")
        with pytest.raises(NotFoundError):
            await client.get_workflow_handle(wf_id("missing-")).execute_update("slow_update", 0)
        with pytest.raises(TypeError, match="update must be a str"):
            await handle.execute_update(b"slow_update")  # type: ignore[arg-type]
        await handle.signal("finish")
        assert await handle.result(timeout=30) == "finished"

    run(env, body)


def test_async_list_count_and_history(client: Client, env: DevEnv, wf_id: WfId) -> None:
    prefix = wf_id("")
    ids, running = start_listed(client, env, prefix)
    query = f"WorkflowId STARTS_WITH '{prefix}' AND ExecutionStatus = 'Completed'"

    async def body(aclient: AsyncClient) -> None:
        listing = aclient.list_workflows(query, page_size=2)
        assert isinstance(listing, WorkflowExecutionAsyncIterator)
        listed = [execution async for execution in listing]
        assert sorted(e.id for e in listed) == ids
        assert all(e.status is WorkflowExecutionStatus.COMPLETED for e in listed)
        assert len([e.id async for e in aclient.list_workflows(query, page_size=2, limit=1)]) == 1
        with pytest.raises(InvalidArgumentError, match="nonsense"):
            await aclient.list_workflows("WorkflowId ==== nonsense").__anext__()
        with pytest.raises(TypeError, match="page_size"):
            aclient.list_workflows(page_size=2.0)  # type: ignore[arg-type]

        counted = await aclient.count_workflows(f"WorkflowId STARTS_WITH '{prefix}' GROUP BY ExecutionStatus")
        assert counted.count == 4 and len(counted.groups) == 2

        history = await aclient.get_workflow_handle(ids[0]).fetch_history(follow=True, timeout=30)
        assert history["events"][-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
        with pytest.raises(CallTimeoutError):
            await aclient.get_workflow_handle(running.id).fetch_history(follow=True, timeout=0.3)

    try:
        run(env, body)
    finally:
        running.terminate(reason="test cleanup")


def test_async_activity_completion(env: DevEnv, wf_id: WfId) -> None:
    async def body(client: AsyncClient) -> None:
        handle = await client.start_workflow("AsyncActivityWorkflow", id=wf_id(""), task_queue=env.task_queue)
        path: Path = env.cleanup_dir / f"{handle.id}.activity.json"

        async def published() -> bool:
            return path.exists()

        await eventually_async("the async activity started", published)
        info = json.loads(path.read_text())
        activity = client.get_async_activity_handle(workflow_id=handle.id, activity_id=info["activity_id"])
        assert isinstance(activity, AsyncActivityHandle)
        assert (await activity.heartbeat(1)).cancel_requested is False
        await activity.complete("async done")
        assert await handle.result(timeout=30) == "async done"
        with pytest.raises(NotFoundError):
            await activity.fail("too late")
        with pytest.raises(TypeError, match="result"):
            await activity.complete({1})

    run(env, body)
