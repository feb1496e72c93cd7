"""What an activity function run by ``temporal_bridge.Worker`` can ask about
its task: ``info()``, ``heartbeat(*details)``, ``is_cancelled()``,
``cancellation_details()``, ``wait_for_cancelled()`` and friends. The names
are ``temporalio.activity``'s where the two overlap, so activity code moves
between the two with an import changed::

    from temporal_bridge import activity

    @activity.defn(name="resize")
    def resize(path: str) -> str:
        for step in range(10):
            activity.heartbeat(step)          # progress; how cancellation is learned
            if activity.is_cancelled():
                raise asyncio.CancelledError  # answers the task as cancelled
            ...
        return path

Every function here works only inside an activity run by a ``Worker``
(``RuntimeError`` elsewhere; ``in_activity()`` says which): the current task
lives in a context variable set for the activity's run, in its thread-pool
call or its asyncio task.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, NoReturn, TypeVar, overload

from . import _native

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "defn",
    "Info",
    "ActivityCancellationDetails",
    "CompleteAsyncError",
    "info",
    "in_activity",
    "heartbeat",
    "is_cancelled",
    "cancellation_details",
    "is_worker_shutdown",
    "wait_for_cancelled",
    "wait_for_cancelled_sync",
    "raise_complete_async",
]

CallableType = TypeVar("CallableType", bound=Callable[..., Any])

#: Where ``defn`` puts an activity's name on its function.
_NAME_ATTRIBUTE = "__temporal_bridge_activity_name__"


@overload
def defn(fn: CallableType) -> CallableType: ...


@overload
def defn(
    *, name: str | None = None, no_thread_cancel_exception: bool = False
) -> Callable[[CallableType], CallableType]: ...


def defn(
    fn: CallableType | None = None, *, name: str | None = None, no_thread_cancel_exception: bool = False
) -> CallableType | Callable[[CallableType], CallableType]:
    """Marks a function (plain or ``async def``) as an activity, named
    ``name`` or its ``__name__``: ``@activity.defn`` or
    ``@activity.defn(name="X")``. Optional: ``Worker`` takes undecorated
    functions too (named by ``__name__``), and functions decorated with
    ``temporalio.activity.defn`` (named as temporalio names them).

    ``no_thread_cancel_exception`` is accepted for temporalio's sake and
    changes nothing: this worker never raises inside an activity's thread;
    a plain function checks ``is_cancelled()`` (or heartbeats and waits with
    ``wait_for_cancelled_sync``) and raises ``asyncio.CancelledError`` to
    answer cancelled."""
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")

    def decorate(fn: CallableType) -> CallableType:
        if not callable(fn):
            raise TypeError(f"an activity must be callable, got {type(fn).__name__} {fn!r}")
        activity_name = name if name is not None else getattr(fn, "__name__", None)
        if not isinstance(activity_name, str):
            raise TypeError(f"{fn!r} has no __name__: give it one with @activity.defn(name=...)")
        try:
            setattr(fn, _NAME_ATTRIBUTE, activity_name)
        except AttributeError:  # e.g. a bound method
            raise TypeError(
                f"cannot mark {fn!r} as an activity: decorate the function itself (e.g. in its class body)"
            ) from None
        return fn

    if fn is not None:
        return decorate(fn)
    return decorate


def _activity_name(fn: Callable[..., Any]) -> str:
    """An activity function's type name: ``defn``'s, temporalio's, or ``__name__``."""
    name = getattr(fn, _NAME_ATTRIBUTE, None)
    if isinstance(name, str):
        return name
    temporalio_name = getattr(getattr(fn, "__temporal_activity_definition", None), "name", None)
    if isinstance(temporalio_name, str):
        return temporalio_name
    name = getattr(fn, "__name__", None)
    if isinstance(name, str):
        return name
    raise TypeError(f"activity {fn!r} has no __name__: name it with @activity.defn(name=...)")


@dataclass(frozen=True)
class Info:
    """The running activity's task (``info()``), with
    ``temporalio.activity.Info``'s field names. ``namespace`` is the
    worker's namespace, ``workflow_namespace`` the calling workflow's.
    Times are UTC datetimes; timeouts are None when not set."""

    activity_id: str
    activity_type: str
    attempt: int
    current_attempt_scheduled_time: datetime
    heartbeat_details: Sequence[Any]
    heartbeat_timeout: timedelta | None
    is_local: bool
    namespace: str
    schedule_to_close_timeout: timedelta | None
    scheduled_time: datetime
    start_to_close_timeout: timedelta | None
    started_time: datetime
    task_queue: str
    task_token: bytes
    workflow_id: str | None
    workflow_namespace: str | None
    workflow_run_id: str | None
    workflow_type: str | None

    @property
    def in_workflow(self) -> bool:
        """Whether a workflow started the activity."""
        return self.workflow_id is not None

    @classmethod
    def _from_task(cls, raw: dict[str, Any]) -> Info:
        import binascii

        from .common import _seconds, _timestamp

        def when(name: str) -> datetime:
            # The server sets these on every activity task.
            return _timestamp(raw.get(name)) or datetime.fromtimestamp(0, timezone.utc)

        def text(name: str) -> str | None:
            value = raw.get(name)
            return value if isinstance(value, str) and value else None

        return cls(
            activity_id=str(raw.get("activity_id", "")),
            activity_type=str(raw.get("activity_type", "")),
            attempt=int(raw.get("attempt", 1)),
            current_attempt_scheduled_time=when("current_attempt_scheduled_time"),
            heartbeat_details=list(raw.get("heartbeat_details") or []),
            heartbeat_timeout=_seconds(raw.get("heartbeat_timeout")),
            is_local=False,
            namespace=str(raw.get("namespace", "")),
            schedule_to_close_timeout=_seconds(raw.get("schedule_to_close_timeout")),
            scheduled_time=when("scheduled_time"),
            start_to_close_timeout=_seconds(raw.get("start_to_close_timeout")),
            started_time=when("started_time"),
            task_queue=str(raw.get("task_queue", "")),
            task_token=binascii.a2b_base64(str(raw.get("task_token", ""))),
            workflow_id=text("workflow_id"),
            workflow_namespace=text("workflow_namespace"),
            workflow_run_id=text("run_id"),
            workflow_type=text("workflow_type"),
        )


@dataclass(frozen=True)
class ActivityCancellationDetails:
    """Why the activity was cancelled (``cancellation_details()``); exactly
    one flag is set, and it does not change once set."""

    not_found: bool = False
    """The server no longer knows the task (it timed out there, or its workflow ended)."""
    cancel_requested: bool = False
    """The workflow asked for the activity to be cancelled."""
    paused: bool = False
    """An operator paused the activity."""
    reset: bool = False
    """An operator reset the activity."""
    timed_out: bool = False
    """The activity's own start-to-close or schedule-to-close timeout passed."""
    worker_shutdown: bool = False
    """The worker shut down and its grace period ended."""


_REASONS = ("not_found", "cancel_requested", "paused", "reset", "timed_out", "worker_shutdown")


class CompleteAsyncError(BaseException):
    """Raised by ``raise_complete_async()``: the activity returns without an
    answer, to be completed later from elsewhere by its task token
    (``Client.get_async_activity_handle(task_token=info().task_token)``).
    A ``BaseException``, so ``except Exception`` does not catch it."""


class _Context:
    """The running activity, as the context variable holds it."""

    __slots__ = ("task", "_info")

    def __init__(self, task: _native.NativeActivityTask) -> None:
        self.task = task
        self._info: Info | None = None

    def info(self) -> Info:
        if self._info is None:
            self._info = Info._from_task(self.task.info)
        return self._info


_current: contextvars.ContextVar[_Context] = contextvars.ContextVar("temporal_bridge.activity")


def _context() -> _Context:
    context = _current.get(None)
    if context is None:
        raise RuntimeError("not in an activity (this works only inside an activity run by temporal_bridge.Worker)")
    return context


def in_activity() -> bool:
    """Whether the calling code runs inside an activity."""
    return _current.get(None) is not None


def info() -> Info:
    """The running activity's task."""
    return _context().info()


def heartbeat(*details: Any) -> None:
    """Records progress, with ``details`` (JSON values; ``TypeError`` names
    what JSON cannot carry). The next attempt of the activity sees the last
    details given in ``info().heartbeat_details``. Never blocks: the worker
    sends heartbeats in the background, at most one per throttle interval
    (0.8 × the heartbeat timeout), always the latest details. A heartbeat's
    answer is how a cancellation request reaches the activity."""
    _context().task.heartbeat(details)


def is_cancelled() -> bool:
    """Whether the activity was cancelled (``cancellation_details()`` says why)."""
    return _context().task.is_cancelled()


def cancellation_details() -> ActivityCancellationDetails | None:
    """Why the activity was cancelled; None while it is not."""
    reason = _context().task.cancel_reason()
    if reason is None:
        return None
    return ActivityCancellationDetails(**{name: name == reason for name in _REASONS})


def is_worker_shutdown() -> bool:
    """Whether the worker was asked to shut down. Running activities then
    have its ``graceful_shutdown_timeout`` to finish before they are
    cancelled (``cancellation_details().worker_shutdown``)."""
    return _context().task.is_worker_shutting_down()


async def wait_for_cancelled() -> None:
    """Waits until the activity is cancelled (from an ``async def``
    activity, or any coroutine running in its context)."""
    task = _context().task
    if task.is_cancelled():
        return
    from .aio import _await_native
    from .exceptions import _from_error

    ok, value = await _await_native(task.wait_cancelled_async)
    if not ok:
        raise _from_error(value)


def wait_for_cancelled_sync(timeout: timedelta | float | None = None) -> bool:
    """Blocks (releasing the GIL) until the activity is cancelled or
    ``timeout`` passes; returns whether it was cancelled (temporalio's
    returns None)."""
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
    return _context().task.wait_cancelled(None if seconds is None else float(seconds))


def raise_complete_async() -> NoReturn:
    """Ends the activity without answering it: it is completed (or failed,
    or reported cancelled) later from elsewhere by its task token, through
    ``Client.get_async_activity_handle(task_token=...)``."""
    _context()
    raise CompleteAsyncError()
