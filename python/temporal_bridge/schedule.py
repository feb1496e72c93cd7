"""Schedules, named as temporalio names them: ``client.create_schedule(id,
Schedule(action=ScheduleActionStartWorkflow("MyWorkflow", "arg", id=...,
task_queue=...), spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=
timedelta(hours=1))])))``, ``client.get_schedule_handle(id)`` (describe,
pause, unpause, trigger, backfill, update, delete) and
``client.list_schedules()``.

These classes only build and read the core's schedule JSON (the protobuf
JSON mapping of ``temporal.api.schedule.v1.Schedule``, with the start
action's ``args``, ``memo`` and ``search_attributes`` as plain values); the
core validates and names the field at fault.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .exceptions import TemporalBridgeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from typing import Any

    from ._settings import RetryPolicy

__all__ = [
    "AsyncScheduleHandle",
    "AsyncScheduleIterator",
    "Schedule",
    "ScheduleActionStartWorkflow",
    "ScheduleBackfill",
    "ScheduleCalendarSpec",
    "ScheduleDescription",
    "ScheduleHandle",
    "ScheduleInfo",
    "ScheduleIntervalSpec",
    "ScheduleIterator",
    "ScheduleListDescription",
    "ScheduleOverlapPolicy",
    "SchedulePolicy",
    "ScheduleRange",
    "ScheduleSpec",
    "ScheduleState",
    "ScheduleUpdate",
    "ScheduleUpdateConflictError",
    "ScheduleUpdateInput",
]

# How often `update` re-reads and retries when another writer got in first.
UPDATE_ATTEMPTS = 10


def _duration(value: timedelta | float) -> str:
    from ._requests import proto_duration

    return proto_duration("duration", value)


def _parse_duration(text: str | None) -> timedelta | None:
    if not text:
        return None
    return timedelta(seconds=float(text.rstrip("s")))


def _time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(text: str | None) -> datetime | None:
    """RFC 3339 as the server writes it (UTC, ``Z``, up to nanoseconds)."""
    if not text:
        return None
    body = text[:-1] if text.endswith("Z") else text
    offset = timezone.utc
    if len(body) > 19 and body[-6] in "+-" and body[-3] == ":":
        sign = 1 if body[-6] == "+" else -1
        offset = timezone(sign * timedelta(hours=int(body[-5:-3]), minutes=int(body[-2:])))
        body = body[:-6]
    whole, _, fraction = body.partition(".")
    parsed = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=offset)
    if fraction:
        parsed += timedelta(microseconds=int(fraction[:6].ljust(6, "0")))
    return parsed


def _get(data: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    """A field by its lowerCamel or original name."""
    for name in names:
        if name in data:
            return data[name]
    return default


@dataclass(frozen=True)
class ScheduleRange:
    """A range of calendar values: ``start`` to ``end`` (inclusive, ``start``
    alone when 0) every ``step`` (1 when 0)."""

    start: int
    end: int = 0
    step: int = 0

    def _to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": max(self.end, self.start), "step": self.step or 1}

    @staticmethod
    def _from_json(data: Mapping[str, Any]) -> ScheduleRange:
        start = int(data.get("start", 0))
        end = int(data.get("end", 0))
        step = int(data.get("step", 0))
        return ScheduleRange(start, end if end != start else 0, step if step != 1 else 0)


@dataclass(frozen=True)
class ScheduleCalendarSpec:
    """Matching calendar times (UTC unless ``ScheduleSpec.time_zone_name``);
    the defaults mean midnight every day."""

    second: Sequence[ScheduleRange] = (ScheduleRange(0),)
    minute: Sequence[ScheduleRange] = (ScheduleRange(0),)
    hour: Sequence[ScheduleRange] = (ScheduleRange(0),)
    day_of_month: Sequence[ScheduleRange] = (ScheduleRange(1, 31),)
    month: Sequence[ScheduleRange] = (ScheduleRange(1, 12),)
    year: Sequence[ScheduleRange] = ()
    day_of_week: Sequence[ScheduleRange] = (ScheduleRange(0, 6),)
    comment: str | None = None

    _FIELDS = (
        ("second", "second"),
        ("minute", "minute"),
        ("hour", "hour"),
        ("day_of_month", "dayOfMonth"),
        ("month", "month"),
        ("year", "year"),
        ("day_of_week", "dayOfWeek"),
    )

    def _to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            json_name: [r._to_json() for r in getattr(self, name)] for name, json_name in self._FIELDS
        }
        if self.comment:
            out["comment"] = self.comment
        return out

    @staticmethod
    def _from_json(data: Mapping[str, Any]) -> ScheduleCalendarSpec:
        ranges = {
            name: tuple(ScheduleRange._from_json(r) for r in _get(data, json_name, name, default=[]))
            for name, json_name in ScheduleCalendarSpec._FIELDS
        }
        return ScheduleCalendarSpec(**ranges, comment=data.get("comment") or None)


@dataclass(frozen=True)
class ScheduleIntervalSpec:
    """Every ``every``, shifted by ``offset`` (from the Unix epoch)."""

    every: timedelta
    offset: timedelta | None = None

    def _to_json(self) -> dict[str, Any]:
        out = {"interval": _duration(self.every)}
        if self.offset:
            out["phase"] = _duration(self.offset)
        return out

    @staticmethod
    def _from_json(data: Mapping[str, Any]) -> ScheduleIntervalSpec:
        return ScheduleIntervalSpec(
            every=_parse_duration(data.get("interval")) or timedelta(0),
            offset=_parse_duration(data.get("phase")),
        )


@dataclass
class ScheduleSpec:
    """When the action is taken: the union of ``calendars``, ``intervals`` and
    ``cron_expressions``, minus ``skip``, between ``start_at`` and ``end_at``,
    each time moved by up to ``jitter``. (The server stores cron expressions
    as calendars: a described spec lists them under ``calendars``.)"""

    calendars: Sequence[ScheduleCalendarSpec] = ()
    intervals: Sequence[ScheduleIntervalSpec] = ()
    cron_expressions: Sequence[str] = ()
    skip: Sequence[ScheduleCalendarSpec] = ()
    start_at: datetime | None = None
    end_at: datetime | None = None
    jitter: timedelta | None = None
    time_zone_name: str | None = None

    def _to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.calendars:
            out["structuredCalendar"] = [c._to_json() for c in self.calendars]
        if self.intervals:
            out["interval"] = [i._to_json() for i in self.intervals]
        if self.cron_expressions:
            out["cronString"] = list(self.cron_expressions)
        if self.skip:
            out["excludeStructuredCalendar"] = [c._to_json() for c in self.skip]
        if self.start_at is not None:
            out["startTime"] = _time(self.start_at)
        if self.end_at is not None:
            out["endTime"] = _time(self.end_at)
        if self.jitter is not None:
            out["jitter"] = _duration(self.jitter)
        if self.time_zone_name:
            out["timezoneName"] = self.time_zone_name
        return out

    @staticmethod
    def _from_json(data: Mapping[str, Any]) -> ScheduleSpec:
        return ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec._from_json(c) for c in _get(data, "structuredCalendar", "structured_calendar", default=[])
            ],
            intervals=[ScheduleIntervalSpec._from_json(i) for i in data.get("interval", [])],
            cron_expressions=list(_get(data, "cronString", "cron_string", default=[])),
            skip=[
                ScheduleCalendarSpec._from_json(c)
                for c in _get(data, "excludeStructuredCalendar", "exclude_structured_calendar", default=[])
            ],
            start_at=_parse_time(_get(data, "startTime", "start_time")),
            end_at=_parse_time(_get(data, "endTime", "end_time")),
            jitter=_parse_duration(data.get("jitter")),
            time_zone_name=_get(data, "timezoneName", "timezone_name") or None,
        )


class ScheduleActionStartWorkflow:
    """The action: start workflow type ``workflow`` with ``args`` (JSON
    values) on ``task_queue``. Each run's workflow ID is ``id`` followed by
    the scheduled time."""

    __slots__ = (
        "workflow",
        "args",
        "id",
        "task_queue",
        "execution_timeout",
        "run_timeout",
        "task_timeout",
        "retry_policy",
        "memo",
        "search_attributes",
    )

    def __init__(
        self,
        workflow: str,
        *args: Any,
        id: str,
        task_queue: str,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        retry_policy: RetryPolicy | None = None,
        memo: Mapping[str, Any] | None = None,
        search_attributes: Mapping[str, Any] | None = None,
    ) -> None:
        self.workflow = workflow
        self.args = list(args)
        self.id = id
        self.task_queue = task_queue
        self.execution_timeout = execution_timeout
        self.run_timeout = run_timeout
        self.task_timeout = task_timeout
        self.retry_policy = retry_policy
        self.memo = dict(memo) if memo is not None else None
        self.search_attributes = dict(search_attributes) if search_attributes is not None else None

    def __repr__(self) -> str:
        return f"ScheduleActionStartWorkflow({self.workflow!r}, *{self.args!r}, id={self.id!r}, task_queue={self.task_queue!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ScheduleActionStartWorkflow) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )

    def _to_json(self) -> dict[str, Any]:
        start: dict[str, Any] = {
            "workflowId": self.id,
            "workflowType": {"name": self.workflow},
            "taskQueue": {"name": self.task_queue},
            "args": self.args,
        }
        for key, value in (
            ("workflowExecutionTimeout", self.execution_timeout),
            ("workflowRunTimeout", self.run_timeout),
            ("workflowTaskTimeout", self.task_timeout),
        ):
            if value is not None:
                start[key] = _duration(value)
        if self.retry_policy is not None:
            policy = self.retry_policy
            retry: dict[str, Any] = {}
            if policy.initial_interval is not None:
                retry["initialInterval"] = _duration(policy.initial_interval)
            if policy.backoff_coefficient is not None:
                retry["backoffCoefficient"] = policy.backoff_coefficient
            if policy.maximum_interval is not None:
                retry["maximumInterval"] = _duration(policy.maximum_interval)
            if policy.maximum_attempts is not None:
                retry["maximumAttempts"] = policy.maximum_attempts
            if policy.non_retryable_error_types:
                retry["nonRetryableErrorTypes"] = list(policy.non_retryable_error_types)
            start["retryPolicy"] = retry
        if self.memo is not None:
            start["memo"] = self.memo
        if self.search_attributes is not None:
            start["searchAttributes"] = self.search_attributes
        return {"startWorkflow": start}

    @staticmethod
    def _from_json(data: Mapping[str, Any]) -> ScheduleActionStartWorkflow:
        from ._settings import RetryPolicy

        retry = _get(data, "retryPolicy", "retry_policy")
        policy = None
        if retry:
            policy = RetryPolicy(
                initial_interval=_parse_duration(retry.get("initialInterval")),
                backoff_coefficient=retry.get("backoffCoefficient"),
                maximum_interval=_parse_duration(retry.get("maximumInterval")),
                maximum_attempts=retry.get("maximumAttempts"),
                non_retryable_error_types=retry.get("nonRetryableErrorTypes"),
            )
        return ScheduleActionStartWorkflow(
            _get(data, "workflowType", "workflow_type", default={}).get("name", ""),
            *data.get("args", []),
            id=_get(data, "workflowId", "workflow_id", default=""),
            task_queue=_get(data, "taskQueue", "task_queue", default={}).get("name", ""),
            execution_timeout=_parse_duration(_get(data, "workflowExecutionTimeout")),
            run_timeout=_parse_duration(_get(data, "workflowRunTimeout")),
            task_timeout=_parse_duration(_get(data, "workflowTaskTimeout")),
            retry_policy=policy,
            memo=data.get("memo") or None,
            search_attributes=_get(data, "searchAttributes", "search_attributes") or None,
        )


class ScheduleOverlapPolicy(str, enum.Enum):
    """What to do when an action is due while the previous one still runs."""

    SKIP = "skip"
    BUFFER_ONE = "buffer_one"
    BUFFER_ALL = "buffer_all"
    CANCEL_OTHER = "cancel_other"
    TERMINATE_OTHER = "terminate_other"
    ALLOW_ALL = "allow_all"

    def _proto(self) -> str:
        return "SCHEDULE_OVERLAP_POLICY_" + self.value.upper()

    @staticmethod
    def _from_proto(name: str | None) -> ScheduleOverlapPolicy:
        short = (name or "SCHEDULE_OVERLAP_POLICY_SKIP").replace("SCHEDULE_OVERLAP_POLICY_", "").lower()
        try:
            return ScheduleOverlapPolicy(short)
        except ValueError:
            return ScheduleOverlapPolicy.SKIP


def _overlap(value: ScheduleOverlapPolicy | str | None) -> str | None:
    if value is None:
        return None
    return value.value if isinstance(value, ScheduleOverlapPolicy) else str(value)


@dataclass
class SchedulePolicy:
    """Overlap policy, how far back missed actions are caught up, and
    whether a failed run pauses the schedule."""

    overlap: ScheduleOverlapPolicy = ScheduleOverlapPolicy.SKIP
    catchup_window: timedelta = timedelta(days=365)
    pause_on_failure: bool = False

    def _to_json(self) -> dict[str, Any]:
        return {
            "overlapPolicy": ScheduleOverlapPolicy(self.overlap)._proto(),
            "catchupWindow": _duration(self.catchup_window),
            "pauseOnFailure": self.pause_on_failure,
        }

    @staticmethod
    def _from_json(data: Mapping[str, Any]) -> SchedulePolicy:
        return SchedulePolicy(
            overlap=ScheduleOverlapPolicy._from_proto(_get(data, "overlapPolicy", "overlap_policy")),
            catchup_window=_parse_duration(_get(data, "catchupWindow", "catchup_window")) or timedelta(days=365),
            pause_on_failure=bool(_get(data, "pauseOnFailure", "pause_on_failure", default=False)),
        )


@dataclass
class ScheduleState:
    """Paused or not (with a note), and a budget of remaining actions."""

    note: str | None = None
    paused: bool = False
    limited_actions: bool = False
    remaining_actions: int = 0

    def _to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"paused": self.paused}
        if self.note:
            out["notes"] = self.note
        if self.limited_actions:
            out["limitedActions"] = True
            out["remainingActions"] = str(self.remaining_actions)
        return out

    @staticmethod
    def _from_json(data: Mapping[str, Any]) -> ScheduleState:
        return ScheduleState(
            note=data.get("notes") or None,
            paused=bool(data.get("paused", False)),
            limited_actions=bool(_get(data, "limitedActions", "limited_actions", default=False)),
            remaining_actions=int(_get(data, "remainingActions", "remaining_actions", default=0)),
        )


@dataclass
class Schedule:
    """A schedule: what it does, when, and how."""

    action: ScheduleActionStartWorkflow
    spec: ScheduleSpec
    policy: SchedulePolicy = field(default_factory=SchedulePolicy)
    state: ScheduleState = field(default_factory=ScheduleState)

    def _to_json(self) -> dict[str, Any]:
        if not isinstance(self.action, ScheduleActionStartWorkflow):
            raise TypeError(f"action must be a ScheduleActionStartWorkflow, got {type(self.action).__name__}")
        return {
            "action": self.action._to_json(),
            "spec": self.spec._to_json(),
            "policies": self.policy._to_json(),
            "state": self.state._to_json(),
        }

    @staticmethod
    def _from_json(data: Mapping[str, Any]) -> Schedule:
        action = data.get("action") or {}
        return Schedule(
            action=ScheduleActionStartWorkflow._from_json(_get(action, "startWorkflow", "start_workflow", default={})),
            spec=ScheduleSpec._from_json(data.get("spec") or {}),
            policy=SchedulePolicy._from_json(data.get("policies") or {}),
            state=ScheduleState._from_json(data.get("state") or {}),
        )


@dataclass(frozen=True)
class ScheduleBackfill:
    """Take the actions the spec had between ``start_at`` and ``end_at`` now."""

    start_at: datetime
    end_at: datetime
    overlap: ScheduleOverlapPolicy | None = None

    def _to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start_at": _time(self.start_at), "end_at": _time(self.end_at)}
        if self.overlap is not None:
            out["overlap"] = _overlap(self.overlap)
        return out


@dataclass
class ScheduleInfo:
    """What the server knows of a schedule's runs."""

    num_actions: int
    num_actions_missed_catchup_window: int
    num_actions_skipped_overlap: int
    running_workflow_ids: list[str]
    recent_actions: list[dict[str, Any]]
    next_action_times: list[datetime]
    created_at: datetime | None
    last_updated_at: datetime | None
    #: The server's answer as it came (protobuf JSON mapping).
    raw: dict[str, Any]

    @staticmethod
    def _from_json(data: Mapping[str, Any]) -> ScheduleInfo:
        return ScheduleInfo(
            num_actions=int(data.get("actionCount", 0)),
            num_actions_missed_catchup_window=int(data.get("missedCatchupWindow", 0)),
            num_actions_skipped_overlap=int(data.get("overlapSkipped", 0)),
            running_workflow_ids=[w.get("workflowId", "") for w in data.get("runningWorkflows", [])],
            recent_actions=list(data.get("recentActions", [])),
            next_action_times=[t for t in map(_parse_time, data.get("futureActionTimes", [])) if t is not None],
            created_at=_parse_time(data.get("createTime")),
            last_updated_at=_parse_time(data.get("updateTime")),
            raw=dict(data),
        )


@dataclass
class ScheduleDescription:
    """``ScheduleHandle.describe()``: the schedule, its runs, memo and
    search attributes."""

    id: str
    schedule: Schedule
    info: ScheduleInfo
    memo: dict[str, Any]
    search_attributes: dict[str, Any]
    conflict_token: str

    @staticmethod
    def _from_json(data: Mapping[str, Any]) -> ScheduleDescription:
        return ScheduleDescription(
            id=data["schedule_id"],
            schedule=Schedule._from_json(data.get("schedule") or {}),
            info=ScheduleInfo._from_json(data.get("info") or {}),
            memo=dict(data.get("memo") or {}),
            search_attributes=dict(data.get("search_attributes") or {}),
            conflict_token=data.get("conflict_token", ""),
        )


@dataclass
class ScheduleListDescription:
    """One schedule of ``list_schedules``: its ID and the server's summary."""

    id: str
    #: ``spec``, ``workflowType``, ``paused``, ``notes``, ``recentActions``,
    #: ``futureActionTimes`` (protobuf JSON mapping).
    info: dict[str, Any]
    memo: dict[str, Any]
    search_attributes: dict[str, Any]

    @staticmethod
    def _from_json(data: Mapping[str, Any]) -> ScheduleListDescription:
        return ScheduleListDescription(
            id=data["schedule_id"],
            info=dict(data.get("info") or {}),
            memo=dict(data.get("memo") or {}),
            search_attributes=dict(data.get("search_attributes") or {}),
        )


@dataclass
class ScheduleUpdateInput:
    """What an updater of ``ScheduleHandle.update`` is given."""

    description: ScheduleDescription


@dataclass
class ScheduleUpdate:
    """What an updater returns: the whole new schedule (and optionally new
    search attributes for the schedule itself)."""

    schedule: Schedule
    search_attributes: Mapping[str, Any] | None = None


# ---------------------------------------------------------------- requests


def create_request(
    id: str,
    schedule: Schedule,
    trigger_immediately: bool,
    backfill: Sequence[ScheduleBackfill],
    memo: Mapping[str, Any] | None,
    search_attributes: Mapping[str, Any] | None,
) -> dict[str, Any]:
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a Schedule, got {type(schedule).__name__}")
    request: dict[str, Any] = {"schedule_id": id, "schedule": schedule._to_json()}
    if trigger_immediately:
        request["trigger_immediately"] = True
    if backfill:
        request["backfill"] = [b._to_json() for b in backfill]
    if memo is not None:
        request["memo"] = dict(memo)
    if search_attributes is not None:
        request["search_attributes"] = dict(search_attributes)
    return request


def update_request(id: str, update: ScheduleUpdate, conflict_token: str) -> dict[str, Any]:
    if not isinstance(update, ScheduleUpdate):
        raise TypeError(f"the updater must return a ScheduleUpdate or None, got {type(update).__name__}")
    request: dict[str, Any] = {
        "schedule_id": id,
        "schedule": update.schedule._to_json(),
        "conflict_token": conflict_token,
    }
    if update.search_attributes is not None:
        request["search_attributes"] = dict(update.search_attributes)
    return request


def applied(request: Mapping[str, Any], after: ScheduleDescription) -> bool:
    """Whether an update took effect. A server whose scheduler runs as a
    workflow drops an update with a stale conflict token without an error:
    it took effect when the token moved on and the schedule now reads as the
    one sent (compared as these classes read both)."""
    if after.conflict_token == request["conflict_token"]:
        return False
    sent = Schedule._from_json(request["schedule"])
    seen = after.schedule
    if sent.spec.cron_expressions:
        # The server keeps cron expressions as calendars: compare the rest.
        from dataclasses import replace

        sent = replace(sent, spec=replace(sent.spec, cron_expressions=[], calendars=[]))
        seen = replace(seen, spec=replace(seen.spec, cron_expressions=[], calendars=[]))
    return seen == sent


class ScheduleUpdateConflictError(TemporalBridgeError):
    """``update`` kept losing to concurrent writers (10 attempts)."""

    def __init__(self, schedule_id: str) -> None:
        super().__init__(
            f"schedule {schedule_id!r}: other updates kept changing it; gave up after {UPDATE_ATTEMPTS} attempts",
            details={"schedule_id": schedule_id},
        )
        self.schedule_id = schedule_id


def is_conflict(error: BaseException) -> bool:
    """Whether an update failed because the schedule changed meanwhile."""
    details = getattr(error, "error_details", {})
    return details.get("grpc_code") == "FAILED_PRECONDITION" and "conflict" in str(error).lower()


class ScheduleHandle:
    """A schedule by ID; every method blocks until the server answers."""

    __slots__ = ("_call", "id")

    def __init__(self, call: Callable[[str, dict[str, Any]], Any], id: str) -> None:
        self._call = call
        #: The schedule's ID.
        self.id = id

    def __repr__(self) -> str:
        return f"ScheduleHandle(id={self.id!r})"

    def describe(self) -> ScheduleDescription:
        """The schedule, its recent and next actions, memo and search attributes."""
        return ScheduleDescription._from_json(self._call("describe_schedule", {"schedule_id": self.id}))

    def pause(self, note: str | None = None) -> None:
        """Pauses the schedule (``note`` is recorded in its state)."""
        self._call("patch_schedule", {"schedule_id": self.id, "pause": note or "Paused via temporal_bridge"})

    def unpause(self, note: str | None = None) -> None:
        """Unpauses the schedule."""
        self._call("patch_schedule", {"schedule_id": self.id, "unpause": note or "Unpaused via temporal_bridge"})

    def trigger(self, overlap: ScheduleOverlapPolicy | str | None = None) -> None:
        """Takes the action once now (even while paused)."""
        request: dict[str, Any] = {"schedule_id": self.id, "trigger_immediately": True}
        if overlap is not None:
            request["overlap"] = _overlap(overlap)
        self._call("patch_schedule", request)

    def backfill(self, *backfills: ScheduleBackfill) -> None:
        """Takes now the actions of past time ranges."""
        if not backfills:
            raise ValueError("backfill needs at least one ScheduleBackfill")
        self._call("patch_schedule", {"schedule_id": self.id, "backfill": [b._to_json() for b in backfills]})

    def update(self, updater: Callable[[ScheduleUpdateInput], ScheduleUpdate | None]) -> None:
        """Read-modify-write: ``updater`` gets the current description and
        returns the new schedule (or ``None`` to change nothing); if another
        writer changed the schedule in between, it runs again on the fresh
        description (up to 10 times)."""
        for _ in range(UPDATE_ATTEMPTS):
            description = self.describe()
            update = updater(ScheduleUpdateInput(description))
            if update is None:
                return
            request = update_request(self.id, update, description.conflict_token)
            try:
                self._call("update_schedule", request)
            except Exception as error:
                if not is_conflict(error):
                    raise
                continue
            if applied(request, self.describe()):
                return
        raise ScheduleUpdateConflictError(self.id)

    def delete(self) -> None:
        """Deletes the schedule (workflows it started keep running)."""
        self._call("delete_schedule", {"schedule_id": self.id})


class ScheduleIterator:
    """Schedules a query matches, fetched a page at a time as iteration
    reaches them."""

    __slots__ = ("_call", "_request", "_page", "_done")

    def __init__(self, call: Callable[[str, dict[str, Any]], Any], request: dict[str, Any]) -> None:
        self._call = call
        self._request = request
        self._page: list[ScheduleListDescription] = []
        self._done = False

    def __iter__(self) -> Iterator[ScheduleListDescription]:
        return self

    def __next__(self) -> ScheduleListDescription:
        while not self._page:
            if self._done:
                raise StopIteration
            self._take(self._call("list_schedules", self._request))
        return self._page.pop(0)

    def _take(self, response: Mapping[str, Any]) -> None:
        self._page = [ScheduleListDescription._from_json(s) for s in response.get("schedules", [])]
        token = response.get("next_page_token")
        if token:
            self._request = {**self._request, "next_page_token": token}
        else:
            self._done = True


def list_request(query: str | None, page_size: int | None) -> dict[str, Any]:
    request: dict[str, Any] = {}
    if query is not None:
        request["query"] = query
    if page_size is not None:
        request["page_size"] = page_size
    return request


class AsyncScheduleHandle:
    """``ScheduleHandle`` for asyncio: the same methods, as coroutines."""

    __slots__ = ("_call", "id")

    def __init__(self, call: Callable[[str, dict[str, Any]], Any], id: str) -> None:
        self._call = call
        #: The schedule's ID.
        self.id = id

    def __repr__(self) -> str:
        return f"AsyncScheduleHandle(id={self.id!r})"

    async def describe(self) -> ScheduleDescription:
        """See ``ScheduleHandle.describe``."""
        return ScheduleDescription._from_json(await self._call("describe_schedule", {"schedule_id": self.id}))

    async def pause(self, note: str | None = None) -> None:
        """See ``ScheduleHandle.pause``."""
        await self._call("patch_schedule", {"schedule_id": self.id, "pause": note or "Paused via temporal_bridge"})

    async def unpause(self, note: str | None = None) -> None:
        """See ``ScheduleHandle.unpause``."""
        await self._call("patch_schedule", {"schedule_id": self.id, "unpause": note or "Unpaused via temporal_bridge"})

    async def trigger(self, overlap: ScheduleOverlapPolicy | str | None = None) -> None:
        """See ``ScheduleHandle.trigger``."""
        request: dict[str, Any] = {"schedule_id": self.id, "trigger_immediately": True}
        if overlap is not None:
            request["overlap"] = _overlap(overlap)
        await self._call("patch_schedule", request)

    async def backfill(self, *backfills: ScheduleBackfill) -> None:
        """See ``ScheduleHandle.backfill``."""
        if not backfills:
            raise ValueError("backfill needs at least one ScheduleBackfill")
        await self._call("patch_schedule", {"schedule_id": self.id, "backfill": [b._to_json() for b in backfills]})

    async def update(self, updater: Callable[[ScheduleUpdateInput], Any]) -> None:
        """See ``ScheduleHandle.update``; ``updater`` may be a coroutine function."""
        import inspect

        for _ in range(UPDATE_ATTEMPTS):
            description = await self.describe()
            update = updater(ScheduleUpdateInput(description))
            if inspect.isawaitable(update):
                update = await update
            if update is None:
                return
            request = update_request(self.id, update, description.conflict_token)
            try:
                await self._call("update_schedule", request)
            except Exception as error:
                if not is_conflict(error):
                    raise
                continue
            if applied(request, await self.describe()):
                return
        raise ScheduleUpdateConflictError(self.id)

    async def delete(self) -> None:
        """See ``ScheduleHandle.delete``."""
        await self._call("delete_schedule", {"schedule_id": self.id})


class AsyncScheduleIterator:
    """``ScheduleIterator`` for asyncio (``async for``)."""

    __slots__ = ("_call", "_request", "_page", "_done")

    def __init__(self, call: Callable[[str, dict[str, Any]], Any], request: dict[str, Any]) -> None:
        self._call = call
        self._request = request
        self._page: list[ScheduleListDescription] = []
        self._done = False

    def __aiter__(self) -> AsyncScheduleIterator:
        return self

    async def __anext__(self) -> ScheduleListDescription:
        while not self._page:
            if self._done:
                raise StopAsyncIteration
            response = await self._call("list_schedules", self._request)
            self._page = [ScheduleListDescription._from_json(s) for s in response.get("schedules", [])]
            token = response.get("next_page_token")
            if token:
                self._request = {**self._request, "next_page_token": token}
            else:
                self._done = True
        return self._page.pop(0)
