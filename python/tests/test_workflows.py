"""The blocking client against a real dev server and a real Python SDK worker:
start by type name, results (also from another process), every way a
workflow can end, cancel with cleanup, terminate, describe, start options."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Callable

import pytest
from devenv import DevEnv
from helpers import nested, run_child, wait_until

from temporal_bridge import (
    Client,
    NotFoundError,
    Payload,
    RetryPolicy,
    WorkflowAlreadyStartedError,
    WorkflowCanceledError,
    WorkflowContinuedAsNewError,
    WorkflowExecutionStatus,
    WorkflowFailedError,
    WorkflowFailureError,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
    WorkflowTerminatedError,
    WorkflowTimedOutError,
)

WfId = Callable[[str], str]


def test_start_by_type_name_and_result(client: Client, env: DevEnv, wf_id: WfId) -> None:
    workflow_id = wf_id("")
    handle = client.start_workflow("MySimpleWorkflow", "World", id=workflow_id, task_queue=env.task_queue)
    assert handle.id == workflow_id
    assert isinstance(handle.run_id, str) and len(handle.run_id) >= 32
    assert handle.result(timeout=30) == "Hello, World!"
    description = handle.describe()
    assert description.status is WorkflowExecutionStatus.COMPLETED
    assert description.run_id == handle.run_id
    assert description.workflow_type == "MySimpleWorkflow"
    assert description.task_queue == env.task_queue


def test_execute_workflow(client: Client, env: DevEnv, wf_id: WfId) -> None:
    assert client.execute_workflow("MySimpleWorkflow", "Temporal", id=wf_id(""), task_queue=env.task_queue) == (
        "Hello, Temporal!"
    )


def test_generated_workflow_id(client: Client, env: DevEnv) -> None:
    handle = client.start_workflow("MySimpleWorkflow", "x", task_queue=env.task_queue)
    assert len(handle.id) == 36  # a UUID
    assert handle.result(timeout=30) == "Hello, x!"


@pytest.mark.parametrize(
    "value",
    ["text", 42, 2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(3**50), [10**30, 0.1], 1.5, None, True, [1, "two", None], {"nested": {"l": [1, {"a": "é ✓ 😀"}]}}],
)
def test_values_round_trip_through_a_python_sdk_worker(client: Client, env: DevEnv, wf_id: WfId, value: Any) -> None:
    assert client.execute_workflow("EchoWorkflow", value, id=wf_id(""), task_queue=env.task_queue) == value


def test_several_arguments_and_tuples(client: Client, env: DevEnv, wf_id: WfId) -> None:
    result = client.execute_workflow("EchoArgsWorkflow", "a", 2, (3, 4), {"k": [None]}, id=wf_id(""), task_queue=env.task_queue)
    assert result == ["a", 2, [3, 4], {"k": [None]}]
    assert client.execute_workflow("EchoArgsWorkflow", id=wf_id(""), task_queue=env.task_queue) == []


def test_result_from_a_second_process_that_only_knows_the_id(client: Client, env: DevEnv, wf_id: WfId) -> None:
    workflow_id = wf_id("")
    # Still running when the other process starts waiting: it must long-poll.
    client.start_workflow("LongRunningWorkflow", 2, id=workflow_id, task_queue=env.task_queue)
    child = run_child(
        "import json, sys\n"
        "from temporal_bridge import Client\n"
        "client = Client.connect(sys.argv[1], namespace=sys.argv[2])\n"
        "handle = client.get_workflow_handle(sys.argv[3])\n"
        "print(json.dumps({'result': handle.result(timeout=60), 'run_id': handle.run_id}))\n",
        env.target,
        env.namespace,
        workflow_id,
    )
    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout) == {"result": "done", "run_id": None}


def test_failed_workflow_carries_the_failure_chain(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("FailingWorkflow", "boom", id=wf_id(""), task_queue=env.task_queue)
    with pytest.raises(WorkflowFailedError) as caught:
        handle.result(timeout=30)
    err = caught.value
    assert isinstance(err, WorkflowFailureError)
    assert err.kind == "workflow_failed"
    assert err.workflow_id == handle.id
    assert err.run_id == handle.run_id
    failure = err.failure
    assert failure is not None
    assert failure.message == "boom"
    assert failure.kind == "application"
    assert failure.type == "MyFailure"
    assert failure.non_retryable is True
    assert failure.details == [{"k": 1}]
    assert failure.cause is not None
    assert (failure.cause.message, failure.cause.type, failure.cause.kind) == ("root cause", "RootCause", "application")
    assert failure.cause.cause is None
    assert "boom" in str(err)


def test_failed_workflow_in_raw_mode_gives_payloads(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("FailingWorkflow", "raw boom", id=wf_id(""), task_queue=env.task_queue)
    with pytest.raises(WorkflowFailedError) as caught:
        handle.result(timeout=30, raw=True)
    failure = caught.value.failure
    assert failure is not None
    [detail] = failure.details
    assert isinstance(detail, Payload)
    assert detail.metadata["encoding"] == b"json/plain"
    assert json.loads(detail.data) == {"k": 1}


def test_cancel_runs_the_workflows_cleanup_and_ends_canceled(client: Client, env: DevEnv, wf_id: WfId) -> None:
    workflow_id = wf_id("")
    handle = client.start_workflow("CancellableWorkflow", id=workflow_id, task_queue=env.task_queue)
    # Cancel only once the long activity runs, so the cleanup path is the one taken.
    assert wait_until(lambda: _has_pending_activity(handle, "long_activity"), 30), "long_activity never started"
    handle.cancel(reason="test says stop")
    assert handle.describe().cancel_requested is True
    with pytest.raises(WorkflowCanceledError) as caught:
        handle.result(timeout=60)
    assert caught.value.kind == "workflow_canceled"
    assert caught.value.details == []
    assert caught.value.run_id == handle.run_id
    # The worker's cleanup activity ran before the workflow closed as canceled.
    assert (env.cleanup_dir / workflow_id).read_text() == "cleanup done"
    assert handle.describe().status is WorkflowExecutionStatus.CANCELED


def _has_pending_activity(handle: Any, activity_type: str) -> bool:
    return any(a.get("activity_type") == activity_type for a in handle.describe().pending_activities)


def test_terminate_with_reason_and_details(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
    handle.terminate(reason="enough", details=["why", {"n": 1}])
    with pytest.raises(WorkflowTerminatedError) as caught:
        handle.result(timeout=30)
    err = caught.value
    assert err.reason == "enough"
    assert err.details == ["why", {"n": 1}]
    assert err.identity == client.identity
    assert handle.describe().status is WorkflowExecutionStatus.TERMINATED


# 127 levels is the deepest payload the core reads back (serde_json's limit);
# the error object around the details adds levels of its own, which once made
# such errors unreadable (an InternalError instead of the workflow's).
@pytest.mark.parametrize("depth", [126, 127])
def test_terminate_with_deeply_nested_details(client: Client, env: DevEnv, wf_id: WfId, depth: int) -> None:
    deep = nested(depth)
    handle = client.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
    handle.terminate(reason="deep", details=[deep, "second"])
    with pytest.raises(WorkflowTerminatedError) as caught:
        handle.result(timeout=30)
    assert caught.value.reason == "deep"
    assert caught.value.details == [deep, "second"]


@pytest.mark.parametrize("depth", [126, 127])
def test_deeply_nested_values_round_trip(client: Client, env: DevEnv, wf_id: WfId, depth: int) -> None:
    deep = nested(depth)
    assert client.execute_workflow("EchoWorkflow", deep, id=wf_id(""), task_queue=env.task_queue) == deep


def test_timed_out(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow(
        "LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue, execution_timeout=timedelta(seconds=1)
    )
    with pytest.raises(WorkflowTimedOutError) as caught:
        handle.result(timeout=60)
    assert caught.value.kind == "workflow_timed_out"
    assert caught.value.retry_state == "timeout"
    assert handle.describe().status is WorkflowExecutionStatus.TIMED_OUT


def test_continue_as_new_is_followed_or_reported(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("ContinueAsNewWorkflow", 3, id=wf_id(""), task_queue=env.task_queue)
    assert handle.result(timeout=60) == 3
    first_run = client.get_workflow_handle(handle.id, run_id=handle.run_id)
    with pytest.raises(WorkflowContinuedAsNewError) as caught:
        first_run.result(timeout=30, follow_runs=False)
    new_run = caught.value.new_execution_run_id
    assert new_run and new_run != handle.run_id
    # The latest run is the last of the chain and completed.
    latest = handle.describe()
    assert latest.status is WorkflowExecutionStatus.COMPLETED
    assert latest.first_run_id == handle.run_id
    assert latest.run_id != handle.run_id


def test_workflow_retry_policy(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow(
        "RetryingWorkflow",
        id=wf_id(""),
        task_queue=env.task_queue,
        retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=3),
    )
    assert handle.result(timeout=60) == 2  # attempt 1 failed, attempt 2 returned its number
    with pytest.raises(WorkflowFailedError) as caught:
        client.get_workflow_handle(handle.id, run_id=handle.run_id).result(timeout=30, follow_runs=False)
    assert caught.value.failure is not None and caught.value.failure.message == "failing attempt 1"
    assert caught.value.retry_state == "in_progress"


def test_not_found(client: Client) -> None:
    handle = client.get_workflow_handle("no-such-workflow-anywhere")
    with pytest.raises(NotFoundError) as caught:
        handle.result(timeout=10)
    assert caught.value.grpc_code == "NOT_FOUND"
    assert caught.value.workflow_id == "no-such-workflow-anywhere"
    with pytest.raises(NotFoundError):
        handle.describe()
    with pytest.raises(NotFoundError):
        handle.cancel()


def test_already_started_carries_the_running_run_id(client: Client, env: DevEnv, wf_id: WfId) -> None:
    workflow_id = wf_id("")
    first = client.start_workflow("LongRunningWorkflow", 3600, id=workflow_id, task_queue=env.task_queue)
    try:
        with pytest.raises(WorkflowAlreadyStartedError) as caught:
            client.start_workflow("LongRunningWorkflow", 3600, id=workflow_id, task_queue=env.task_queue)
        assert caught.value.run_id == first.run_id
        assert caught.value.workflow_id == workflow_id
        assert caught.value.workflow_type == "LongRunningWorkflow"
        same = client.start_workflow(
            "LongRunningWorkflow", 3600, id=workflow_id, task_queue=env.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )  # fmt: skip
        assert same.run_id == first.run_id
    finally:
        first.terminate(reason="test cleanup")


def test_id_reuse_policy_as_enum_or_string(client: Client, env: DevEnv, wf_id: WfId) -> None:
    workflow_id = wf_id("")
    client.execute_workflow("MySimpleWorkflow", "a", id=workflow_id, task_queue=env.task_queue)
    with pytest.raises(WorkflowAlreadyStartedError):
        client.start_workflow(
            "MySimpleWorkflow", "b", id=workflow_id, task_queue=env.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )  # fmt: skip
    again = client.start_workflow(
        "MySimpleWorkflow", "c", id=workflow_id, task_queue=env.task_queue, id_reuse_policy="ALLOW_DUPLICATE"
    )
    assert again.result(timeout=30) == "Hello, c!"


def test_start_options_reach_the_server(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow(
        "LongRunningWorkflow",
        3600,
        id=wf_id(""),
        task_queue=env.task_queue,
        execution_timeout=timedelta(hours=2),
        run_timeout="1h30m",
        task_timeout=7,
        memo={"owner": "tests", "n": [1, 2]},
        start_delay=timedelta(seconds=30),
        request_id="req-" + wf_id(""),
        rpc_timeout=timedelta(seconds=10),
    )
    try:
        d = handle.describe()
        assert d.status is WorkflowExecutionStatus.RUNNING
        assert d.memo == {"owner": "tests", "n": [1, 2]}
        assert d.execution_timeout == timedelta(hours=2)
        assert d.run_timeout == timedelta(minutes=90)
        assert d.task_timeout == timedelta(seconds=7)
        assert d.start_time is not None and d.execution_time is not None
        # The start delay puts the first workflow task 30 s after the start.
        assert 29 <= (d.execution_time - d.start_time).total_seconds() <= 31
        assert d.history_length >= 1
    finally:
        handle.terminate()


def test_cron_schedule(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow(
        "MySimpleWorkflow", "cron", id=wf_id(""), task_queue=env.task_queue, cron_schedule="0 0 1 1 *"
    )
    try:
        d = handle.describe()
        assert d.status is WorkflowExecutionStatus.RUNNING
        # A cron workflow waits for its first scheduled time.
        assert d.execution_time is not None and d.start_time is not None and d.execution_time > d.start_time
    finally:
        handle.terminate()


def test_raw_payloads_pass_through_untouched(client: Client, env: DevEnv, wf_id: WfId) -> None:
    arg = Payload(b'{"raw": true}', {"encoding": b"json/plain"})
    handle = client.start_workflow("EchoWorkflow", id=wf_id(""), task_queue=env.task_queue, raw_args=[arg])
    [result] = handle.result(timeout=30, raw=True)
    assert isinstance(result, Payload)
    assert result.metadata["encoding"] == b"json/plain"
    assert json.loads(result.data) == {"raw": True}
    assert handle.result(timeout=30) == {"raw": True}


def test_reset_runs_a_failed_workflow_again_until_it_completes(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("FailsOnceWorkflow", id=wf_id(""), task_queue=env.task_queue)
    with pytest.raises(WorkflowFailedError):
        handle.result(timeout=30)
    with pytest.raises(TypeError, match="event_id"):
        handle.reset(event_id="4")  # type: ignore[arg-type]
    new_run = handle.reset("first_workflow_task", reason="try again")
    assert new_run.id == handle.id
    assert new_run.run_id is not None and new_run.run_id != handle.run_id
    assert new_run.result(timeout=30) == "recovered"
    assert new_run.describe().status is WorkflowExecutionStatus.COMPLETED
    # The failed run stays failed; the workflow's latest run completed.
    assert client.get_workflow_handle(handle.id).result(timeout=30) == "recovered"
    with pytest.raises(NotFoundError):
        client.get_workflow_handle(wf_id("missing")).reset()
