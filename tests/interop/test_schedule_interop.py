"""Schedules between temporal_bridge and the official Python SDK's client
(temporalio), running MySimpleWorkflow on the Go SDK worker: a schedule one
client makes, the other reads, pauses and deletes, and its runs answer
"Hello, World!"."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from temporalio import client as sdk
from temporalio.service import RPCError, RPCStatusCode

from conftest import Env
from temporal_bridge import (
    AsyncClient,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)


async def wait_for_actions(handle: Any, count: int) -> Any:
    for _ in range(150):
        described = await handle.describe()
        if described.info.num_actions >= count:
            return described
        await asyncio.sleep(0.2)
    raise AssertionError(f"fewer than {count} actions in 30 s")


def test_bridge_schedule_runs_on_the_go_worker_and_temporalio_reads_it(env: Env, run: Any) -> None:
    schedule_id = f"interop-sched-{uuid.uuid4().hex[:8]}"

    async def body(official: sdk.Client) -> None:
        bridge = await AsyncClient.connect(env.target, namespace=env.namespace)
        handle = await bridge.create_schedule(
            schedule_id,
            Schedule(
                action=ScheduleActionStartWorkflow(
                    "MySimpleWorkflow", "World", id=f"{schedule_id}-wf", task_queue=env.go_queue
                ),
                spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=1))]),
                policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL),
            ),
        )
        try:
            ours = await wait_for_actions(handle, 2)
            run_id = ours.info.recent_actions[0]["startWorkflowResult"]["workflowId"]
            assert await official.get_workflow_handle(run_id).result() == "Hello, World!"

            # temporalio decodes what we encoded, and pauses it.
            theirs = await official.get_schedule_handle(schedule_id).describe()
            action = theirs.schedule.action
            assert isinstance(action, sdk.ScheduleActionStartWorkflow)
            assert action.workflow == "MySimpleWorkflow"
            assert action.task_queue == env.go_queue
            assert await official.data_converter.decode(action.args) == ["World"]
            assert theirs.schedule.spec.intervals[0].every == timedelta(seconds=1)
            await official.get_schedule_handle(schedule_id).pause(note="paused by temporalio")
            state = (await handle.describe()).schedule.state
            assert state.paused and state.note == "paused by temporalio"
        finally:
            await handle.delete()

    run(body)


def test_temporalio_schedule_is_read_triggered_and_deleted_by_bridge(env: Env, run: Any) -> None:
    schedule_id = f"interop-sdk-sched-{uuid.uuid4().hex[:8]}"

    async def body(official: sdk.Client) -> None:
        await official.create_schedule(
            schedule_id,
            sdk.Schedule(
                action=sdk.ScheduleActionStartWorkflow(
                    "MySimpleWorkflow", "World", id=f"{schedule_id}-wf", task_queue=env.go_queue
                ),
                spec=sdk.ScheduleSpec(intervals=[sdk.ScheduleIntervalSpec(every=timedelta(hours=1))]),
                state=sdk.ScheduleState(paused=True, note="made by temporalio"),
            ),
        )
        bridge = await AsyncClient.connect(env.target, namespace=env.namespace)
        handle = bridge.get_schedule_handle(schedule_id)
        described = await handle.describe()
        assert described.schedule.action.args == ["World"]
        assert described.schedule.state.note == "made by temporalio"
        assert described.schedule.spec.intervals[0].every == timedelta(hours=1)
        await handle.trigger()
        triggered = await wait_for_actions(handle, 1)
        run_id = triggered.info.recent_actions[0]["startWorkflowResult"]["workflowId"]
        assert await bridge.get_workflow_handle(run_id).result(timeout=60) == "Hello, World!"
        await handle.delete()
        assert not await _exists(official, schedule_id)

    run(body)


async def _exists(official: sdk.Client, schedule_id: str) -> bool:
    try:
        await official.get_schedule_handle(schedule_id).describe()
        return True
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
