"""Schedules that start MySimpleWorkflow on the real Python SDK worker, and
the named task queue, namespace and search attribute calls, against the
real dev server."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest
from devenv import DevEnv

from temporal_bridge import (
    AsyncClient,
    Client,
    InvalidArgumentError,
    NotFoundError,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleBackfill,
    ScheduleCalendarSpec,
    ScheduleHandle,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

WfId = Callable[[str], str]


def until(what: str, probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def every_second(env: DevEnv, schedule_id: str, paused: bool = False) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "MySimpleWorkflow", "World", id=f"{schedule_id}-wf", task_queue=env.task_queue
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=1))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL),
        state=ScheduleState(paused=paused, note="made paused" if paused else None),
    )


def actions(handle: ScheduleHandle) -> int:
    return handle.describe().info.num_actions


def test_schedule_runs_pauses_triggers_backfills_updates_and_deletes(client: Client, env: DevEnv) -> None:
    schedule_id = f"sched-{uuid.uuid4().hex[:8]}"
    handle = client.create_schedule(schedule_id, every_second(env, schedule_id), memo={"owner": "tests"})
    described = handle.describe()
    assert described.schedule.action.args == ["World"]
    assert described.schedule.action.task_queue == env.task_queue
    assert described.memo == {"owner": "tests"}
    assert described.schedule.spec.intervals == [ScheduleIntervalSpec(every=timedelta(seconds=1))]

    # It runs: its workflows appear in list and answer "Hello, World!".
    until("two scheduled runs", lambda: actions(handle) >= 2)
    recent = handle.describe().info.recent_actions
    first_run = recent[0]["startWorkflowResult"]["workflowId"]
    assert first_run.startswith(f"{schedule_id}-wf")
    assert client.get_workflow_handle(first_run).result(timeout=60) == "Hello, World!"
    listed = until(
        "scheduled runs in list",
        lambda: [e for e in client.list_workflows(f"TemporalScheduledById = '{schedule_id}'")],
    )
    assert all(e.workflow_type == "MySimpleWorkflow" for e in listed)

    # Paused, it starts nothing for a while (1 s interval: three would be due).
    handle.pause("stop for the test")
    state = handle.describe().schedule.state
    assert state.paused and state.note == "stop for the test"
    time.sleep(1.5)  # let an action already due land before counting
    paused_at = actions(handle)
    time.sleep(3)
    assert actions(handle) == paused_at

    # Trigger starts one while paused.
    handle.trigger()
    until("the triggered run", lambda: actions(handle) == paused_at + 1)

    # Backfill takes the actions of a past window (three seconds, an hour ago).
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    handle.backfill(ScheduleBackfill(start, start + timedelta(seconds=3), overlap=ScheduleOverlapPolicy.ALLOW_ALL))
    until("the backfilled runs", lambda: actions(handle) >= paused_at + 4)
    an_hour_ago = (start + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
    backfilled = [a for a in handle.describe().info.recent_actions if a["scheduleTime"] < an_hour_ago]
    assert len(backfilled) >= 3, handle.describe().info.recent_actions

    # Update changes the interval.
    def hourly(update: ScheduleUpdateInput) -> ScheduleUpdate:
        schedule = update.description.schedule
        schedule.spec.intervals = [ScheduleIntervalSpec(every=timedelta(hours=1))]
        return ScheduleUpdate(schedule)

    handle.update(hourly)
    assert handle.describe().schedule.spec.intervals == [ScheduleIntervalSpec(every=timedelta(hours=1))]

    # A concurrent writer gets in between: the update runs again on the
    # fresh description, and both changes hold.
    calls = []

    def noted(update: ScheduleUpdateInput) -> ScheduleUpdate:
        calls.append(update.description.conflict_token)
        if len(calls) == 1:
            other = client.get_schedule_handle(schedule_id)
            other.update(
                lambda u: ScheduleUpdate(
                    Schedule(
                        action=u.description.schedule.action,
                        spec=u.description.schedule.spec,
                        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.BUFFER_ONE),
                        state=u.description.schedule.state,
                    )
                )
            )
        schedule = update.description.schedule
        schedule.state.note = "updated twice"
        return ScheduleUpdate(schedule)

    handle.update(noted)
    assert len(calls) == 2 and calls[0] != calls[1]
    final = handle.describe().schedule
    assert final.state.note == "updated twice"
    assert final.policy.overlap == ScheduleOverlapPolicy.BUFFER_ONE

    handle.delete()
    with pytest.raises(NotFoundError):
        handle.describe()


def test_calendars_cron_and_listing(client: Client, env: DevEnv) -> None:
    schedule_id = f"sched-cal-{uuid.uuid4().hex[:8]}"
    schedule = Schedule(
        action=ScheduleActionStartWorkflow("MySimpleWorkflow", "Cal", id=f"{schedule_id}-wf", task_queue=env.task_queue),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=(ScheduleRange(9, 17, 2),), day_of_week=(ScheduleRange(1, 5),))],
            cron_expressions=["30 12 * * SAT"],
            jitter=timedelta(seconds=5),
            time_zone_name="Europe/Berlin",
        ),
        state=ScheduleState(paused=True, note="calendar only"),
    )
    handle = client.create_schedule(schedule_id, schedule, search_attributes={"TemporalSchedulePaused": True})
    try:
        spec = handle.describe().schedule.spec
        # The cron expression comes back as a second calendar.
        assert spec.calendars[0].hour == (ScheduleRange(9, 17, 2),)
        assert len(spec.calendars) == 2
        assert spec.calendars[1].day_of_week == (ScheduleRange(6),)
        assert spec.jitter == timedelta(seconds=5)
        assert spec.time_zone_name == "Europe/Berlin"
        assert len(handle.describe().info.next_action_times) > 0
        found = until("the schedule in list", lambda: [s for s in client.list_schedules() if s.id == schedule_id])
        assert found[0].info["workflowType"]["name"] == "MySimpleWorkflow"
    finally:
        handle.delete()


def test_schedule_bad_input(client: Client, env: DevEnv) -> None:
    schedule_id = f"sched-bad-{uuid.uuid4().hex[:8]}"
    with pytest.raises(TypeError, match="schedule must be a Schedule"):
        client.create_schedule(schedule_id, {"spec": {}})  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="overlap"):
        client.get_schedule_handle(schedule_id).trigger(overlap="sometimes")
    bad = every_second(env, schedule_id)
    bad.spec = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=-5))])
    with pytest.raises(InvalidArgumentError):
        client.create_schedule(schedule_id, bad)
    with pytest.raises(NotFoundError):
        client.get_schedule_handle(f"missing-{schedule_id}").describe()
    with pytest.raises(ValueError):
        client.get_schedule_handle(schedule_id).backfill()


def test_task_queues_namespaces_and_search_attributes(client: Client, env: DevEnv, wf_id: WfId) -> None:
    pollers = until(
        "activity pollers",
        lambda: client.describe_task_queue(env.task_queue, task_queue_type="activity").get("pollers"),
    )
    assert pollers[0]["identity"]
    assert client.describe_namespace()["namespaceInfo"]["name"] == env.namespace
    assert env.namespace in [n["namespaceInfo"]["name"] for n in client.list_namespaces()]

    namespace = f"tb-ns-{uuid.uuid4().hex[:8]}"
    client.register_namespace(namespace, retention=timedelta(days=2), description="made by the tests")
    described = until("the new namespace", lambda: _describe_or_none(client, namespace))
    assert described["namespaceInfo"]["description"] == "made by the tests"
    assert described["config"]["workflowExecutionRetentionTtl"] == "172800s"
    client.update_namespace(namespace, description="changed", retention="36h")
    changed = client.describe_namespace(namespace)
    assert changed["namespaceInfo"]["description"] == "changed"
    assert changed["config"]["workflowExecutionRetentionTtl"] == "129600s"
    with pytest.raises(InvalidArgumentError, match="workflowExecutionRetentionTtl") as bad:
        client.update_namespace(namespace, retention="soon")
    assert bad.value.error_details["field"] == "config.workflowExecutionRetentionTtl"

    # A custom search attribute: added, set at start, found by a list query.
    attribute = "TbKw" + uuid.uuid4().hex[:8]
    client.add_search_attributes({attribute: "keyword"})
    until("the attribute", lambda: attribute in client.list_search_attributes().get("customAttributes", {}))
    assert client.list_search_attributes()["customAttributes"][attribute] == "INDEXED_VALUE_TYPE_KEYWORD"
    workflow_id = wf_id("sa")
    handle = client.start_workflow(
        "MySimpleWorkflow", "Attr", id=workflow_id, task_queue=env.task_queue, search_attributes={attribute: "blue"}
    )
    assert handle.result(timeout=60) == "Hello, Attr!"
    found = until("the workflow by its attribute", lambda: list(client.list_workflows(f"{attribute} = 'blue'")))
    assert [e.id for e in found] == [workflow_id]
    client.remove_search_attributes([attribute])
    until("the attribute gone", lambda: attribute not in client.list_search_attributes().get("customAttributes", {}))

    with pytest.raises(NotFoundError):
        client.describe_namespace(f"missing-{namespace}")
    with pytest.raises(TypeError):
        client.add_search_attributes(["x"])  # type: ignore[arg-type]


def _describe_or_none(client: Client, namespace: str) -> dict[str, Any] | None:
    try:
        return client.describe_namespace(namespace)
    except NotFoundError:
        return None


def test_asyncio_schedules(env: DevEnv) -> None:
    async def main() -> None:
        async with await AsyncClient.connect(env.target, namespace=env.namespace) as client:
            schedule_id = f"sched-aio-{uuid.uuid4().hex[:8]}"
            handle = await client.create_schedule(schedule_id, every_second(env, schedule_id, paused=True))
            await handle.trigger()
            deadline = time.monotonic() + 30
            while (await handle.describe()).info.num_actions < 1:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.2)

            async def slower(update: ScheduleUpdateInput) -> ScheduleUpdate:
                update.description.schedule.spec.intervals = [ScheduleIntervalSpec(every=timedelta(minutes=5))]
                return ScheduleUpdate(update.description.schedule)

            await handle.update(slower)
            described = await handle.describe()
            assert described.schedule.spec.intervals[0].every == timedelta(minutes=5)
            assert described.schedule.state.paused
            pollers = (await client.describe_task_queue(env.task_queue)).get("pollers", [])
            assert isinstance(pollers, list)
            await handle.delete()
            with pytest.raises(NotFoundError):
                await handle.describe()

    asyncio.run(asyncio.wait_for(main(), 90))
