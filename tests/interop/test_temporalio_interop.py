"""temporal_bridge and the official Python SDK's client (temporalio) on the
same workflows, in both directions: what one starts the other reads, waits
for and cancels, and arguments and results come through unchanged. The
workflows run on real SDK workers: EchoWorkflow / EchoArgsWorkflow /
CancellableWorkflow of the Python test worker, MyWorkflow / CancellableWorkflow
of the Go worker.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client as SdkClient
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import CancelledError

from temporal_bridge import AsyncClient, Client, WorkflowCanceledError
from conftest import Env, workflow_id

# JSON's whole range as Python sees it. Every value must arrive exactly as
# sent (Python's == also tells 1 from True and 1.0 from 1 here via repr).
VALUES: list[Any] = [
    "plain",
    "",
    "ünïcødé ✓ 中文 🚀 \u0000 \"quotes\" \\ \n\t",
    0,
    42,
    -7,
    2**53 + 1,
    -(2**63),
    2**64 - 1,
    3.25,
    -0.1,
    1e-7,
    1.5e300,
    True,
    False,
    None,
    [],
    {},
    [1, "two", None, 3.5, [True, {"k": []}]],
    {"nested": {"list": [1, {"deep": None}], "ü": "é", "emoji 🎉": ["x"]}, "n": -1.5, "empty": {}, "none": None},
]
IDS = [repr(v)[:40] for v in VALUES]


def same(got: Any, want: Any) -> bool:
    """Equal and of the same JSON types all the way down (1 != 1.0 != True)."""
    if type(got) is not type(want):
        return False
    if isinstance(want, list):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    if isinstance(want, dict):
        return got.keys() == want.keys() and all(same(got[k], want[k]) for k in want)
    return bool(got == want)


async def started_input(sdk: SdkClient, wf_id: str) -> tuple[list[Payload], list[Any]]:
    """The start event's input payloads, and their values decoded by temporalio."""
    async for event in sdk.get_workflow_handle(wf_id).fetch_history_events():
        assert event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
        payloads = list(event.workflow_execution_started_event_attributes.input.payloads)
        return payloads, await sdk.data_converter.decode(payloads)
    raise AssertionError(f"{wf_id} has no history")


async def bridge(env: Env) -> AsyncClient:
    return await AsyncClient.connect(env.target, namespace=env.namespace)


# ---------------------------------------------- temporal_bridge -> temporalio


@pytest.mark.parametrize("value", VALUES, ids=IDS)
def test_started_by_bridge_read_by_temporalio(env: Env, run: Any, value: Any) -> None:
    async def body(sdk: SdkClient) -> None:
        client = await bridge(env)
        handle = await client.start_workflow("EchoWorkflow", value, id=workflow_id("b2t"), task_queue=env.py_queue)

        # The argument as stored by the server, decoded by the SDK: unchanged,
        # one json/plain payload (what every SDK sends by default).
        payloads, decoded = await started_input(sdk, handle.id)
        assert [p.metadata["encoding"] for p in payloads] == [b"json/plain"]
        assert same(decoded, [value]), decoded

        sdk_handle = sdk.get_workflow_handle(handle.id)
        assert same(await sdk_handle.result(), value)
        description = await sdk_handle.describe()
        assert (description.run_id, description.workflow_type) == (handle.run_id, "EchoWorkflow")
        assert same(await handle.result(), value)  # and the bridge agrees

    run(body)


def test_many_args_started_by_bridge_read_by_temporalio(env: Env, run: Any) -> None:
    async def body(sdk: SdkClient) -> None:
        client = await bridge(env)
        handle = await client.start_workflow("EchoArgsWorkflow", *VALUES, id=workflow_id("b2t-args"), task_queue=env.py_queue)
        _, decoded = await started_input(sdk, handle.id)
        assert same(decoded, VALUES)
        assert same(await sdk.get_workflow_handle(handle.id).result(), VALUES)

    run(body)


def test_go_custom_name_started_by_bridge_read_by_temporalio(env: Env, run: Any) -> None:
    # Go decodes JSON numbers to float64 and writes whole ones back without a
    # fraction, so integers here stay below 2**53.
    param = {"name": "Zoë 🌍", "count": 3, "ratio": 0.25, "tags": ["a", None, True], "inner": {"deep": {"x": None}}}

    async def body(sdk: SdkClient) -> None:
        client = await bridge(env)
        handle = await client.start_workflow("MyWorkflow", param, id=workflow_id("b2t-go"), task_queue=env.go_queue)
        expected = {**param, "handled_by": "MyWorkflow"}
        assert same(await sdk.get_workflow_handle(handle.id).result(), expected)
        assert same(await handle.result(), expected)

    run(body)


def test_bridge_starts_temporalio_cancels_bridge_sees_canceled(env: Env, run: Any) -> None:
    async def body(sdk: SdkClient) -> None:
        client = await bridge(env)
        handle = await client.start_workflow("CancellableWorkflow", id=workflow_id("b2t-cancel"), task_queue=env.go_queue)
        await wait_for_pending_activity(client, handle.id)
        await sdk.get_workflow_handle(handle.id).cancel()
        with pytest.raises(WorkflowCanceledError) as caught:
            await handle.result()
        assert caught.value.run_id == handle.run_id
        assert (env.cleanup_dir / handle.id).read_text() == "cleanup done"

    run(body)


# ---------------------------------------------- temporalio -> temporal_bridge


@pytest.mark.parametrize("value", VALUES, ids=IDS)
def test_started_by_temporalio_read_by_bridge(env: Env, run: Any, value: Any) -> None:
    async def body(sdk: SdkClient) -> None:
        sdk_handle = await sdk.start_workflow("EchoWorkflow", value, id=workflow_id("t2b"), task_queue=env.py_queue)
        # Another client, knowing only the ID (the blocking one, in a thread).
        client = Client.connect(env.target, namespace=env.namespace)
        result = await asyncio.to_thread(client.get_workflow_handle(sdk_handle.id).result)
        assert same(result, value), result
        description = client.get_workflow_handle(sdk_handle.id).describe()
        assert description.run_id == sdk_handle.result_run_id
        assert description.workflow_type == "EchoWorkflow"
        assert description.status == "completed"

    run(body)


def test_many_args_started_by_temporalio_read_by_bridge(env: Env, run: Any) -> None:
    async def body(sdk: SdkClient) -> None:
        sdk_handle = await sdk.start_workflow(
            "EchoArgsWorkflow", args=VALUES, id=workflow_id("t2b-args"), task_queue=env.py_queue
        )
        client = await bridge(env)
        assert same(await client.get_workflow_handle(sdk_handle.id).result(), VALUES)

    run(body)


def test_go_custom_name_started_by_temporalio_read_by_bridge(env: Env, run: Any) -> None:
    param = {"ключ": "значение", "n": -12, "list": [{"a": None}, [], {}]}

    async def body(sdk: SdkClient) -> None:
        sdk_handle = await sdk.start_workflow("MyWorkflow", param, id=workflow_id("t2b-go"), task_queue=env.go_queue)
        client = await bridge(env)
        result = await client.get_workflow_handle(sdk_handle.id).result()
        assert same(result, {**param, "handled_by": "MyWorkflow"}), result

    run(body)


@pytest.mark.parametrize("queue", ["go", "python"])
def test_started_by_temporalio_cancelled_by_bridge(env: Env, run: Any, queue: str) -> None:
    """The Go docs' cancellation, on both SDKs' CancellableWorkflow: temporalio
    starts it, temporal_bridge (knowing only the ID) cancels it and waits;
    both clients then see it Canceled, after its cleanup activity ran."""
    task_queue = env.go_queue if queue == "go" else env.py_queue
    cleanup_activity = "CleanupActivity" if queue == "go" else "cleanup_activity"

    async def body(sdk: SdkClient) -> None:
        sdk_handle = await sdk.start_workflow("CancellableWorkflow", id=workflow_id("t2b-cancel"), task_queue=task_queue)
        client = await bridge(env)
        handle = client.get_workflow_handle(sdk_handle.id)
        await wait_for_pending_activity(client, sdk_handle.id)
        await handle.cancel(reason="cancelled by temporal_bridge")
        with pytest.raises(WorkflowCanceledError) as caught:
            await handle.result()
        assert caught.value.kind == "workflow_canceled"
        assert (await handle.describe()).status == "canceled"

        # The SDK's view of the same execution.
        with pytest.raises(WorkflowFailureError) as sdk_caught:
            await sdk_handle.result()
        assert isinstance(sdk_caught.value.cause, CancelledError)
        assert (await sdk_handle.describe()).status == WorkflowExecutionStatus.CANCELED
        events = [e async for e in sdk_handle.fetch_history_events()]
        requested = [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED]
        assert [e.workflow_execution_cancel_requested_event_attributes.cause for e in requested] == [
            "cancelled by temporal_bridge"
        ]
        scheduled = [
            e.activity_task_scheduled_event_attributes.activity_type.name
            for e in events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        ]
        assert cleanup_activity in scheduled
        assert events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED
        assert (env.cleanup_dir / sdk_handle.id).read_text() == "cleanup done"

    run(body)


async def wait_for_pending_activity(client: AsyncClient, wf_id: str) -> None:
    """Until the workflow's long activity runs (so a cancel has work to undo)."""
    handle = client.get_workflow_handle(wf_id)
    for _ in range(300):
        if (await handle.describe()).pending_activities:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{wf_id}: no activity started")
