"""Value types shared by the sync and asyncio clients: policies (as enums,
though plain strings work everywhere too), the workflow retry policy, TLS and
connection retry settings, raw payloads, and what calls return: the
description of an execution, listed executions and counts, heartbeat
responses and finished batch jobs.

Names and fields follow the official Temporal Python SDK where they overlap.
This module is imported on first use, not with the package, to keep
``import temporal_bridge`` cheap.
"""

from __future__ import annotations

import binascii
import enum
from datetime import datetime, timedelta, timezone

from ._settings import RetryConfig, RetryPolicy, TLSConfig, _Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

__all__ = [
    "WorkflowIDReusePolicy",
    "WorkflowIDConflictPolicy",
    "WorkflowExecutionStatus",
    "QueryRejectCondition",
    "WorkflowUpdateStage",
    "RetryPolicy",
    "RetryConfig",
    "TLSConfig",
    "Payload",
    "WorkflowExecution",
    "WorkflowExecutionDescription",
    "WorkflowExecutionCount",
    "WorkflowExecutionCountAggregationGroup",
    "ActivityHeartbeatResponse",
    "BatchOperationResult",
]


class _StrEnum(str, enum.Enum):
    """An enum whose members are their string values (like 3.11's StrEnum),
    also when printed: ``f"{status}"`` gives ``"running"``."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return str(self.value).__format__(spec)


class WorkflowIDReusePolicy(_StrEnum):
    """What to do when a *closed* workflow with the same ID exists."""

    ALLOW_DUPLICATE = "allow_duplicate"
    ALLOW_DUPLICATE_FAILED_ONLY = "allow_duplicate_failed_only"
    REJECT_DUPLICATE = "reject_duplicate"
    TERMINATE_IF_RUNNING = "terminate_if_running"


class WorkflowIDConflictPolicy(_StrEnum):
    """What to do when a *running* workflow with the same ID exists."""

    FAIL = "fail"
    USE_EXISTING = "use_existing"
    TERMINATE_EXISTING = "terminate_existing"


class WorkflowExecutionStatus(_StrEnum):
    """Status of a workflow execution, as ``describe()`` reports it."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    TERMINATED = "terminated"
    CONTINUED_AS_NEW = "continued_as_new"
    TIMED_OUT = "timed_out"
    UNSPECIFIED = "unspecified"


class QueryRejectCondition(_StrEnum):
    """When the server refuses a query instead of running it
    (``WorkflowQueryRejectedError``)."""

    #: Never refuse (the server's default).
    NONE = "none"
    #: Refuse unless the workflow is running.
    NOT_OPEN = "not_open"
    #: Refuse unless the workflow is running or completed successfully.
    NOT_COMPLETED_CLEANLY = "not_completed_cleanly"


class WorkflowUpdateStage(_StrEnum):
    """How far an update must get before ``start_update`` returns."""

    #: A worker accepted it (its validator passed); the handler may still run.
    ACCEPTED = "accepted"
    #: Its handler finished; the handle already holds the result.
    COMPLETED = "completed"


class Payload(_Record):
    """A Temporal payload, untouched: ``metadata`` (e.g. ``{"encoding":
    b"json/plain"}``) and ``data`` bytes. Raw mode (``raw_args=``,
    ``result(raw=True)``) passes these through for callers that run their own
    data converter or codec."""

    __slots__ = ("data", "metadata")

    def __init__(self, data: bytes, metadata: Mapping[str, bytes] | None = None) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"Payload.data must be bytes, got {type(data).__name__}")
        self.data = bytes(data)
        self.metadata: dict[str, bytes] = {}
        for key, value in (metadata or {}).items():
            if not isinstance(key, str) or not isinstance(value, (bytes, bytearray, memoryview)):
                raise TypeError(f"Payload.metadata must map str to bytes, got {key!r}: {type(value).__name__}")
            self.metadata[key] = bytes(value)

    def _to_json(self) -> dict[str, Any]:
        return {
            "metadata": {k: _b64(v) for k, v in self.metadata.items()},
            "data": _b64(self.data),
        }

    @classmethod
    def _of(cls, data: bytes, metadata: dict[str, bytes]) -> Payload:
        """A payload from values known to be bytes (no checks)."""
        payload = cls.__new__(cls)
        payload.data = data
        payload.metadata = metadata
        return payload

    def SerializeToString(self) -> bytes:  # noqa: N802 - protobuf's name
        """The payload as protobuf bytes (``temporal.api.common.v1.Payload``),
        as codecs that encrypt a whole payload use it."""
        out = bytearray()
        for key in sorted(self.metadata):
            entry = _field(1, key.encode()) + _field(2, self.metadata[key])
            out += _field(1, entry)
        if self.data:
            out += _field(2, self.data)
        return bytes(out)

    @classmethod
    def FromString(cls, serialized: bytes) -> Payload:  # noqa: N802 - protobuf's name
        """Reads what ``SerializeToString`` writes (unknown fields skipped)."""
        metadata: dict[str, bytes] = {}
        data = b""
        for number, value in _fields(bytes(serialized)):
            if number == 1 and isinstance(value, bytes):
                key, item = b"", b""
                for entry_number, entry_value in _fields(value):
                    if entry_number == 1 and isinstance(entry_value, bytes):
                        key = entry_value
                    elif entry_number == 2 and isinstance(entry_value, bytes):
                        item = entry_value
                metadata[key.decode()] = item
            elif number == 2 and isinstance(value, bytes):
                data = value
        return cls(data, metadata)

    @classmethod
    def _from_json(cls, raw: Mapping[str, Any]) -> Payload:
        metadata = raw.get("metadata") or {}
        return cls(
            binascii.a2b_base64(raw.get("data") or ""),
            {k: binascii.a2b_base64(v) for k, v in metadata.items()},
        )


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, value: bytes) -> bytes:
    """One length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _fields(buffer: bytes) -> list[tuple[int, bytes | int]]:
    """The fields of a protobuf message: length-delimited ones as bytes,
    varints as ints, others skipped. Malformed input raises ValueError."""

    def varint(at: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            if at >= len(buffer) or shift > 63:
                raise ValueError("not a valid protobuf Payload (truncated varint)")
            byte = buffer[at]
            at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value, at

    out: list[tuple[int, bytes | int]] = []
    at = 0
    while at < len(buffer):
        key, at = varint(at)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, at = varint(at)
            out.append((number, value))
        elif wire_type == 2:
            length, at = varint(at)
            if at + length > len(buffer):
                raise ValueError("not a valid protobuf Payload (truncated field)")
            out.append((number, buffer[at : at + length]))
            at += length
        elif wire_type in (1, 5):
            at += 8 if wire_type == 1 else 4
        else:
            raise ValueError(f"not a valid protobuf Payload (wire type {wire_type})")
    return out


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def _timestamp(value: Any) -> datetime | None:
    """RFC 3339 UTC as the core writes it (``2024-01-02T03:04:05.123456789Z``)."""
    if not isinstance(value, str) or len(value) < 20:
        return None
    # fromisoformat before 3.11 takes neither "Z" nor nanoseconds.
    text = value.rstrip("Z")
    whole, _, fraction = text.partition(".")
    parsed = datetime(
        int(whole[0:4]), int(whole[5:7]), int(whole[8:10]),
        int(whole[11:13]), int(whole[14:16]), int(whole[17:19]),
        int((fraction + "000000")[:6]) if fraction else 0,
        tzinfo=timezone.utc,
    )
    return parsed


def _seconds(value: Any) -> timedelta | None:
    return timedelta(seconds=value) if isinstance(value, (int, float)) else None


def _status(value: Any) -> WorkflowExecutionStatus | str:
    try:
        return WorkflowExecutionStatus(value)
    except ValueError:  # a status newer than this package: keep the string
        return str(value)


class WorkflowExecution:
    """One workflow run as ``list_workflows`` gives it. ``raw`` keeps the
    core's whole JSON object."""

    __slots__ = (
        "id",
        "run_id",
        "workflow_type",
        "status",
        "task_queue",
        "start_time",
        "execution_time",
        "close_time",
        "history_length",
        "parent_id",
        "parent_run_id",
        "memo",
        "search_attributes",
        "raw",
    )

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.id: str = raw.get("workflow_id", "")
        self.run_id: str = raw.get("run_id", "")
        self.workflow_type: str | None = raw.get("workflow_type")
        self.status: WorkflowExecutionStatus | str = _status(raw.get("status", "unspecified"))
        self.task_queue: str = raw.get("task_queue", "")
        self.start_time = _timestamp(raw.get("start_time"))
        self.execution_time = _timestamp(raw.get("execution_time"))
        self.close_time = _timestamp(raw.get("close_time"))
        self.history_length: int = raw.get("history_length", 0)
        parent = raw.get("parent") or {}
        self.parent_id: str | None = parent.get("workflow_id")
        self.parent_run_id: str | None = parent.get("run_id")
        self.memo: dict[str, Any] = raw.get("memo") or {}
        self.search_attributes: dict[str, Any] = raw.get("search_attributes") or {}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(id={self.id!r}, run_id={self.run_id!r}, "
            f"workflow_type={self.workflow_type!r}, status={self.status!r})"
        )


class WorkflowExecutionDescription(WorkflowExecution):
    """What ``describe()`` returns: a ``WorkflowExecution`` plus the run's
    configuration and pending work. ``raw`` keeps the core's whole JSON
    object (pending children, extra fields)."""

    __slots__ = (
        "first_run_id",
        "cancel_requested",
        "execution_timeout",
        "run_timeout",
        "task_timeout",
        "pending_activities",
    )

    def __init__(self, raw: dict[str, Any]) -> None:
        super().__init__(raw)
        self.first_run_id: str = raw.get("first_run_id", "")
        self.cancel_requested: bool = bool(raw.get("cancel_requested"))
        self.execution_timeout = _seconds(raw.get("execution_timeout"))
        self.run_timeout = _seconds(raw.get("run_timeout"))
        self.task_timeout = _seconds(raw.get("task_timeout"))
        self.pending_activities: list[dict[str, Any]] = raw.get("pending_activities") or []


class WorkflowExecutionCountAggregationGroup(_Record):
    """One group of a ``GROUP BY`` count: the grouped-by values (e.g.
    ``["Running"]``) and how many executions have them."""

    __slots__ = ("count", "group_values")

    def __init__(self, count: int, group_values: list[Any]) -> None:
        self.count = count
        self.group_values = group_values


class WorkflowExecutionCount(_Record):
    """What ``count_workflows`` returns: the number of matching executions
    and, for a ``GROUP BY`` query, one entry per group (else empty)."""

    __slots__ = ("count", "groups")

    def __init__(self, count: int, groups: Sequence[WorkflowExecutionCountAggregationGroup] = ()) -> None:
        self.count = count
        self.groups = list(groups)

    @classmethod
    def _from_json(cls, raw: Mapping[str, Any]) -> WorkflowExecutionCount:
        groups = [
            WorkflowExecutionCountAggregationGroup(int(g.get("count", 0)), list(g.get("group_values") or []))
            for g in raw.get("groups") or []
        ]
        return cls(int(raw.get("count", 0)), groups)


class ActivityHeartbeatResponse(_Record):
    """What an async activity's ``heartbeat()`` learns from the server.

    ``cancel_requested``: the workflow asked for the activity to be cancelled;
    finish it with ``report_cancellation()`` (or complete or fail it anyway).
    ``activity_paused`` / ``activity_reset``: an operator paused or reset it.
    """

    __slots__ = ("cancel_requested", "activity_paused", "activity_reset")

    def __init__(self, cancel_requested: bool, activity_paused: bool = False, activity_reset: bool = False) -> None:
        self.cancel_requested = cancel_requested
        self.activity_paused = activity_paused
        self.activity_reset = activity_reset

    @classmethod
    def _from_json(cls, raw: Mapping[str, Any]) -> ActivityHeartbeatResponse:
        return cls(
            bool(raw.get("cancel_requested")), bool(raw.get("activity_paused")), bool(raw.get("activity_reset"))
        )


class BatchOperationResult:
    """A finished batch job, as ``wait_batch_operation`` returns it.

    ``state`` is ``"completed"`` or ``"failed"`` (the job itself failed, not
    some workflows); ``operation_type`` is ``"cancel_workflow"`` or
    ``"terminate_workflow"``; the counts say how many workflows the job found,
    acted on, and failed to act on (e.g. already closed). ``raw`` keeps the
    core's whole JSON object.
    """

    __slots__ = (
        "job_id",
        "state",
        "operation_type",
        "total_operation_count",
        "complete_operation_count",
        "failure_operation_count",
        "start_time",
        "close_time",
        "reason",
        "query",
        "raw",
    )

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.job_id: str = raw.get("job_id", "")
        self.state: str = raw.get("state", "")
        self.operation_type: str = raw.get("operation_type", "")
        self.total_operation_count: int = raw.get("total_operation_count", 0)
        self.complete_operation_count: int = raw.get("complete_operation_count", 0)
        self.failure_operation_count: int = raw.get("failure_operation_count", 0)
        self.start_time = _timestamp(raw.get("start_time"))
        self.close_time = _timestamp(raw.get("close_time"))
        self.reason: str = raw.get("reason", "")
        self.query: str = raw.get("query", "")

    def __repr__(self) -> str:
        return (
            f"BatchOperationResult(job_id={self.job_id!r}, state={self.state!r}, "
            f"operation_type={self.operation_type!r}, total_operation_count={self.total_operation_count}, "
            f"complete_operation_count={self.complete_operation_count}, "
            f"failure_operation_count={self.failure_operation_count})"
        )
