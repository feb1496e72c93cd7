"""Exceptions of temporal_bridge: one base class, one subclass per error kind
of the core's JSON contract, and the failure chain of a failed workflow.

Every exception carries the core's error object unchanged: ``kind`` (a stable
string), ``message`` and ``error_details`` (a dict). The subclasses add
attributes for what a caller usually needs (``run_id``, ``failure``,
``reason``, ``details``, ``grpc_code``...). Values that JSON cannot carry
raise the built-in ``TypeError`` before anything is sent, so they are not in
this hierarchy.
"""

from __future__ import annotations

# Not `from typing import TYPE_CHECKING`: importing typing costs start-up time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import timedelta
    from typing import Any

__all__ = [
    "TemporalBridgeError",
    "InvalidArgumentError",
    "NotFoundError",
    "WorkflowAlreadyStartedError",
    "WorkflowFailureError",
    "WorkflowFailedError",
    "WorkflowCanceledError",
    "WorkflowTerminatedError",
    "WorkflowTimedOutError",
    "WorkflowContinuedAsNewError",
    "WorkflowQueryFailedError",
    "WorkflowQueryRejectedError",
    "PayloadCodecError",
    "WorkflowUpdateFailedError",
    "RPCError",
    "UnavailableError",
    "PermissionDeniedError",
    "CallCancelledError",
    "CallTimeoutError",
    "InternalError",
    "ApplicationError",
    "Failure",
]


class TemporalBridgeError(Exception):
    """Base of every error raised by temporal_bridge (except ``TypeError``
    for values JSON cannot carry, and ``asyncio.CancelledError``)."""

    #: The core's error kind this class stands for (a stable string).
    KIND = ""

    def __init__(self, message: str, *, kind: str | None = None, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message: str = message
        #: The stable error kind, e.g. ``"workflow_failed"`` (see ``ERROR_KINDS``).
        self.kind: str = kind if kind is not None else self.KIND
        #: Structured details from the core (gRPC code, IDs, failure chain...).
        self.error_details: dict[str, Any] = dict(details or {})

    @property
    def workflow_id(self) -> str | None:
        """The workflow the error is about, when known."""
        return self._str_detail("workflow_id")

    @property
    def grpc_code(self) -> str | None:
        """The gRPC status code name (``"NOT_FOUND"``...) when the server answered with one."""
        return self._str_detail("grpc_code")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, kind={self.kind!r})"

    def _str_detail(self, name: str) -> str | None:
        """The detail ``name`` when the core gave it as a string."""
        value = self.error_details.get(name)
        return value if isinstance(value, str) else None

    def _failure_detail(self, raw_payloads: bool = False) -> Failure | None:
        """The ``failure`` detail as a ``Failure`` chain, when the core gave one."""
        raw = self.error_details.get("failure")
        return Failure._from_json(raw, raw_payloads) if isinstance(raw, dict) else None


class InvalidArgumentError(TemporalBridgeError, ValueError):
    """The request was invalid (bad value, unknown option, rejected by the
    server as malformed). ``field`` names the field when known."""

    KIND = "invalid_argument"

    @property
    def field(self) -> str | None:
        """The request field at fault, as the JSON contract names it."""
        return self._str_detail("field")

    @property
    def argument(self) -> str | None:
        """The Python argument at fault: ``field`` as this package's methods
        name it (``timeout`` for the contract's ``call_timeout``, ``id`` for
        ``workflow_id``...), nested paths kept (``retry_policy.maximum_interval``)."""
        field = self.field
        if field is None:
            return None
        head, dot, rest = field.partition(".")
        return _ARGUMENTS.get(head, head) + dot + rest


#: Contract fields whose Python argument is named differently; every other
#: field is its own argument's name.
_ARGUMENTS = {
    "call_timeout": "timeout",
    "workflow_id": "id",
    "update_id": "id",
    "update_name": "update",
    "signal_name": "signal",
    "query_type": "query",
    "workflow_type": "workflow",
    # Worker options (temporal_bridge.Worker's keywords are temporalio's).
    "max_concurrent": "max_concurrent_activities",
    "pollers": "max_concurrent_activity_task_polls",
    "max_tasks_per_second": "max_task_queue_activities_per_second",
}


class NotFoundError(TemporalBridgeError):
    """The workflow (or namespace) does not exist."""

    KIND = "not_found"


class WorkflowAlreadyStartedError(TemporalBridgeError):
    """A workflow with this ID is already running; ``run_id`` is its run."""

    KIND = "already_started"

    @property
    def run_id(self) -> str | None:
        return self._str_detail("run_id")

    @property
    def workflow_type(self) -> str | None:
        return self._str_detail("workflow_type")


class WorkflowFailureError(TemporalBridgeError):
    """Base of the ways a workflow can end without a result."""

    #: Whether the call asked for raw payloads (details are then ``Payload``s).
    _raw_payloads = False

    @property
    def run_id(self) -> str | None:
        """The run that ended this way, when known."""
        return self._str_detail("run_id")


class WorkflowFailedError(WorkflowFailureError):
    """The workflow failed; ``failure`` is its failure chain."""

    KIND = "workflow_failed"

    @property
    def failure(self) -> Failure | None:
        """The failure and its causes (``failure.cause``...), or None if the server gave none."""
        return self._failure_detail(self._raw_payloads)

    @property
    def cause(self) -> Failure | None:
        """Same as ``failure`` (the name the official SDK uses)."""
        return self.failure

    @property
    def retry_state(self) -> str | None:
        return self._str_detail("retry_state")


class WorkflowCanceledError(WorkflowFailureError):
    """The workflow ended as canceled (after any cleanup it ran)."""

    KIND = "workflow_canceled"

    @property
    def details(self) -> list[Any]:
        """The details the workflow gave when it ended canceled."""
        return _payload_values(self.error_details.get("details"), self._raw_payloads)


class WorkflowTerminatedError(WorkflowFailureError):
    """The workflow was terminated."""

    KIND = "workflow_terminated"

    @property
    def reason(self) -> str:
        return self._str_detail("reason") or ""

    @property
    def details(self) -> list[Any]:
        """The details given by whoever terminated the workflow."""
        return _payload_values(self.error_details.get("details"), self._raw_payloads)

    @property
    def identity(self) -> str | None:
        return self._str_detail("identity")


class WorkflowTimedOutError(WorkflowFailureError):
    """The workflow timed out (execution or run timeout)."""

    KIND = "workflow_timed_out"

    @property
    def retry_state(self) -> str | None:
        return self._str_detail("retry_state")


class WorkflowContinuedAsNewError(WorkflowFailureError):
    """The run continued as new and ``follow_runs=False`` was asked."""

    KIND = "workflow_continued_as_new"

    @property
    def new_execution_run_id(self) -> str | None:
        return self._str_detail("new_execution_run_id")


class WorkflowQueryFailedError(TemporalBridgeError):
    """A query reached the workflow but failed there (no handler for the
    query type, or the handler raised); ``failure`` is the worker's failure
    when its SDK sent one."""

    KIND = "query_failed"

    @property
    def failure(self) -> Failure | None:
        return self._failure_detail()

    @property
    def query_type(self) -> str | None:
        """The name of the query that failed."""
        return self._str_detail("query_type")


class WorkflowQueryRejectedError(TemporalBridgeError):
    """A query was not run because of its reject condition; ``status`` is
    the workflow's status (``"completed"``, ``"failed"``...)."""

    KIND = "query_rejected"

    @property
    def status(self) -> str | None:
        return self._str_detail("status")

    @property
    def query_type(self) -> str | None:
        """The name of the query that was refused."""
        return self._str_detail("query_type")


class PayloadCodecError(TemporalBridgeError):
    """The payload codec (in process or a codec server) failed, or returned
    the wrong number of payloads. ``direction`` is ``"encode"`` (nothing
    was sent) or ``"decode"``; ``call`` names the RPC."""

    KIND = "codec"

    @property
    def direction(self) -> str | None:
        return self._str_detail("direction")

    @property
    def call(self) -> str | None:
        return self._str_detail("call")


class WorkflowUpdateFailedError(TemporalBridgeError):
    """An update was rejected (validator, or no handler) or its handler
    failed; ``failure`` is the failure chain."""

    KIND = "update_failed"

    #: Whether the call asked for raw payloads (details are then ``Payload``s).
    _raw_payloads = False

    @property
    def failure(self) -> Failure | None:
        return self._failure_detail(self._raw_payloads)

    @property
    def update_id(self) -> str | None:
        return self._str_detail("update_id")

    @property
    def update_name(self) -> str | None:
        """The update's name, when the failing call sent it."""
        return self._str_detail("update_name")


class RPCError(TemporalBridgeError):
    """The server answered with a gRPC error not covered by a more specific
    class; ``grpc_code`` names the status code."""

    KIND = "rpc"


class UnavailableError(RPCError):
    """The server could not be reached, or stayed unavailable past the retries."""

    KIND = "unavailable"


class PermissionDeniedError(RPCError):
    """The server refused the call for lack of permission or credentials."""

    KIND = "permission_denied"


class CallCancelledError(TemporalBridgeError):
    """The call was abandoned (client closed, or its token cancelled). The
    workflow itself is untouched."""

    KIND = "cancelled"


class CallTimeoutError(TemporalBridgeError, TimeoutError):
    """The call's own deadline (``timeout=`` / ``rpc_timeout=``) passed. The
    workflow itself is untouched."""

    KIND = "deadline_exceeded"


class InternalError(TemporalBridgeError):
    """A bug inside temporal_bridge. Please report it."""

    KIND = "internal"


class ApplicationError(Exception):
    """Raised by an activity (see ``temporal_bridge.Worker``) to fail with
    chosen fields, as ``temporalio.exceptions.ApplicationError`` does:
    ``message``, ``details`` (JSON values), ``type`` (matched against the
    retry policy's non-retryable types), ``non_retryable`` (never retried,
    whatever the policy says) and ``next_retry_delay`` (instead of the
    policy's backoff). Not raised by this package itself, so not a
    ``TemporalBridgeError``. ``ActivityHandle.fail`` takes it too."""

    def __init__(
        self,
        message: str,
        *details: Any,
        type: str | None = None,
        non_retryable: bool = False,
        next_retry_delay: timedelta | None = None,
    ) -> None:
        super().__init__(message)
        self.message: str = message
        self.details: tuple[Any, ...] = details
        self.type: str | None = type
        self.non_retryable: bool = non_retryable
        self.next_retry_delay: timedelta | None = next_retry_delay

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        parts = [repr(self.message), *(repr(d) for d in self.details)]
        if self.type is not None:
            parts.append(f"type={self.type!r}")
        if self.non_retryable:
            parts.append("non_retryable=True")
        if self.next_retry_delay is not None:
            parts.append(f"next_retry_delay={self.next_retry_delay!r}")
        return f"ApplicationError({', '.join(parts)})"


class Failure:
    """One link of a workflow's failure chain (see ``WorkflowFailedError``).

    ``kind`` is ``"application"``, ``"timeout"``, ``"canceled"``,
    ``"terminated"``, ``"activity"``, ``"child_workflow"``, ``"server"``...;
    ``type`` is the application error type (e.g. ``"MyFailure"``);
    ``details`` the decoded details; ``cause`` the next link or None.
    ``raw`` is the whole JSON object from the core (kind-specific fields too).
    """

    __slots__ = ("message", "type", "kind", "source", "stack_trace", "non_retryable", "details", "cause", "raw")

    def __init__(
        self,
        message: str,
        *,
        type: str | None = None,
        kind: str = "unknown",
        source: str = "",
        stack_trace: str = "",
        non_retryable: bool = False,
        details: list[Any] | None = None,
        cause: Failure | None = None,
        raw: dict[str, Any] | None = None,
    ) -> None:
        self.message = message
        self.type = type
        self.kind = kind
        self.source = source
        self.stack_trace = stack_trace
        self.non_retryable = non_retryable
        self.details: list[Any] = details if details is not None else []
        self.cause = cause
        self.raw: dict[str, Any] = raw if raw is not None else {}

    @classmethod
    def _from_json(cls, raw: dict[str, Any], raw_payloads: bool = False) -> Failure:
        # From the innermost cause outwards, in a loop: a chain as long as
        # the server allows needs no recursion.
        chain = [raw]
        while isinstance(chain[-1].get("cause"), dict):
            chain.append(chain[-1]["cause"])
        *outer, innermost = chain
        failure = cls._link(innermost, None, raw_payloads)
        for link in reversed(outer):
            failure = cls._link(link, failure, raw_payloads)
        return failure

    @classmethod
    def _link(cls, raw: dict[str, Any], cause: Failure | None, raw_payloads: bool) -> Failure:
        return cls(
            str(raw.get("message", "")),
            type=raw.get("type"),
            kind=str(raw.get("kind", "unknown")),
            source=str(raw.get("source", "")),
            stack_trace=str(raw.get("stack_trace", "")),
            non_retryable=bool(raw.get("non_retryable", False)),
            details=_payload_values(raw.get("details"), raw_payloads),
            cause=cause,
            raw=raw,
        )

    def __repr__(self) -> str:
        parts = [repr(self.message), f"kind={self.kind!r}"]
        if self.type:
            parts.append(f"type={self.type!r}")
        if self.details:
            parts.append(f"details={self.details!r}")
        if self.cause is not None:
            parts.append(f"cause={self.cause!r}")
        return f"Failure({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Failure) and self.raw == other.raw

    __hash__ = None  # type: ignore[assignment]


def _payload_values(value: Any, raw_payloads: bool) -> list[Any]:
    """Details lists: decoded values, or ``Payload``s in raw mode."""
    if not isinstance(value, list):
        return []
    if raw_payloads:
        from .common import Payload

        return [Payload._from_json(v) for v in value]
    return value


_CLASSES: dict[str, type[TemporalBridgeError]] = {
    cls.KIND: cls
    for cls in (
        InvalidArgumentError,
        NotFoundError,
        WorkflowAlreadyStartedError,
        WorkflowFailedError,
        WorkflowCanceledError,
        WorkflowTerminatedError,
        WorkflowTimedOutError,
        WorkflowContinuedAsNewError,
        WorkflowQueryFailedError,
        WorkflowQueryRejectedError,
        WorkflowUpdateFailedError,
        PayloadCodecError,
        RPCError,
        UnavailableError,
        PermissionDeniedError,
        CallCancelledError,
        CallTimeoutError,
        InternalError,
    )
}


def error_class(kind: str) -> type[TemporalBridgeError]:
    """The exception class for an error kind (the base class for unknown kinds)."""
    return _CLASSES.get(kind, TemporalBridgeError)


def _from_error(obj: object, raw_payloads: bool = False) -> TemporalBridgeError:
    """Builds the exception for one core error object: ``{"kind", "message",
    "details"}`` as Python values (``NativeError.args[0]``, or a failed
    outcome of the completion queue). The native module builds them without
    JSON text in between, so details of any depth the core accepts arrive
    intact."""
    if not isinstance(obj, dict):
        return InternalError(f"malformed error from the core: {obj!r}")
    kind, message, details = obj.get("kind"), obj.get("message"), obj.get("details")
    if not isinstance(kind, str) or not isinstance(message, str) or not isinstance(details, dict):
        return InternalError(f"malformed error from the core: {obj!r}")
    cls = error_class(kind)
    field = details.get("field")
    if cls is InvalidArgumentError and isinstance(field, str) and field.partition(".")[0] in _ARGUMENTS:
        # Say it in the caller's words as well as the contract's.
        head, dot, rest = field.partition(".")
        message = f"{message} (the {_ARGUMENTS[head] + dot + rest!r} argument)"
    error = cls(message, kind=kind, details=details)
    if raw_payloads and isinstance(error, (WorkflowFailureError, WorkflowUpdateFailedError)):
        error._raw_payloads = True
    return error
