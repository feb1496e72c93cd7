"""Activity workers: ``Worker`` polls a task queue and runs the activity
functions it was given, for workflows written with any Temporal SDK.

Plain functions run in a thread pool (``activity_executor``, by default a
``ThreadPoolExecutor`` of ``max_concurrent_activities`` threads that the
worker shuts down when it stops); ``async def`` functions run as tasks on
the event loop that runs the worker (``await worker.run()`` or ``async with
worker:``), or, when the worker runs without asyncio (``worker.run_sync()``
or ``with worker:``), on an event loop the worker runs on a thread of its
own. The client's payload codec, if it has one, runs on that same loop for
the worker's calls (arguments, results, heartbeat details and failures pass
through it as for the client's own calls).

What an activity returns completes it (``None`` too); an exception fails it
(``ApplicationError`` chooses the failure's type, details, retryability and
next retry delay; any other exception gives its class name as type and its
``str()`` as message, retryable); ``asyncio.CancelledError`` after the
activity was cancelled answers it cancelled; ``activity.raise_complete_async()``
leaves it to be completed from elsewhere. A return value or details that JSON
cannot carry fail the activity with a ``TypeError`` failure naming the value.
A cancelled ``async def`` activity has its asyncio task cancelled (as
temporalio does); a plain function sees ``activity.is_cancelled()`` and
raises ``asyncio.CancelledError`` itself (nothing is raised in its thread).

Polling, heartbeat throttling, cancellation, timeouts and shutdown are the
core's (``temporal_bridge_core::ActivityWorker``); this module only runs
the Python functions.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import inspect
import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

from . import _native, _requests
from .activity import CompleteAsyncError, _activity_name, _Context, _current
from .exceptions import ApplicationError, TemporalBridgeError, _from_error

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import TracebackType

    from ._requests import Duration
    from .aio import AsyncClient
    from .client import Client

__all__ = ["Worker"]

_logger = logging.getLogger(__name__)


class _Activity:
    """One activity function and how it runs."""

    __slots__ = ("name", "fn", "is_async")

    def __init__(self, fn: Callable[..., Any]) -> None:
        if not callable(fn):
            raise TypeError(f"activities must be callables, got {type(fn).__name__} {fn!r}")
        self.name = _activity_name(fn)
        self.fn = fn
        self.is_async = _is_async(fn)


def _is_async(fn: Callable[..., Any]) -> bool:
    while isinstance(fn, functools.partial):
        fn = fn.func
    if inspect.iscoroutinefunction(fn):
        return True
    if inspect.isfunction(fn) or inspect.ismethod(fn):
        return False
    return inspect.iscoroutinefunction(getattr(fn, "__call__", None))


class _Dispatcher:
    """Hands each task to its activity function. The native worker calls
    ``dispatch`` on a library thread (with the GIL), so it only hands off and
    returns; what it raises fails the task. It holds no reference to the
    worker, so no reference cycle runs through the native module."""

    __slots__ = ("executor", "loop", "context", "running")

    def __init__(self) -> None:
        self.executor: concurrent.futures.Executor | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.context = contextvars.copy_context()
        # The asyncio tasks of running async activities, kept referenced.
        self.running: set[asyncio.Task[None]] = set()

    def dispatch(self, activity: _Activity, task: _native.NativeActivityTask) -> None:
        context = self.context.copy()
        if activity.is_async:
            loop = self.loop
            if loop is None:
                raise RuntimeError("no event loop runs this worker's async activities")
            loop.call_soon_threadsafe(self._start_async, activity, task, context)
        else:
            executor = self.executor
            if executor is None:
                raise RuntimeError("no executor runs this worker's activities")
            executor.submit(context.run, _run_sync, activity, task)

    def _start_async(
        self, activity: _Activity, task: _native.NativeActivityTask, context: contextvars.Context
    ) -> None:
        try:
            running = context.run(_create_task, activity, task)
        except BaseException as error:  # e.g. the loop is closing
            _send(task, _error_answer(task, error))
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            return
        self.running.add(running)
        running.add_done_callback(self.running.discard)


def _args(task: _native.NativeActivityTask) -> list[Any]:
    args = task.info.get("args")
    return args if isinstance(args, list) else []


def _run_sync(activity: _Activity, task: _native.NativeActivityTask) -> None:
    """Runs a plain activity function (in the executor, in the task's context)."""
    _current.set(_Context(task))
    try:
        result = activity.fn(*_args(task))
    except BaseException as error:
        _send(task, _error_answer(task, error))
        return
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        message = f"activity {activity.name!r} returned an awaitable from a plain function; declare it `async def`"
        _send(task, {"failure": {"message": message, "type": "TypeError"}})
        return
    _send(task, {"result": result})


def _create_task(activity: _Activity, task: _native.NativeActivityTask) -> asyncio.Task[None]:
    """Starts an async activity (on its loop, in the task's context, which
    the asyncio task copies)."""
    _current.set(_Context(task))
    return asyncio.get_running_loop().create_task(_run_async(activity, task))


async def _run_async(activity: _Activity, task: _native.NativeActivityTask) -> None:
    current = asyncio.current_task()
    assert current is not None
    watcher = asyncio.ensure_future(_cancel_when_cancelled(task, current))
    try:
        result = await activity.fn(*_args(task))
    except BaseException as error:
        _send(task, _error_answer(task, error))
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        return
    finally:
        watcher.cancel()
    _send(task, {"result": result})


async def _cancel_when_cancelled(task: _native.NativeActivityTask, running: asyncio.Task[None]) -> None:
    """Cancels an async activity's asyncio task once its task is cancelled."""
    from .aio import _await_native

    try:
        ok, _ = await _await_native(task.wait_cancelled_async)
    except TemporalBridgeError as error:  # the runtime could not start: nothing to watch with
        _logger.warning("cannot watch activity %r for cancellation: %s", task, error)
        return
    if ok:
        running.cancel()


def _error_answer(task: _native.NativeActivityTask, error: BaseException) -> dict[str, Any]:
    """The answer for what an activity raised."""
    if isinstance(error, CompleteAsyncError):
        return {"complete_async": True}
    if isinstance(error, asyncio.CancelledError) and task.is_cancelled():
        return {"cancelled": {"details": []}}
    if isinstance(error, ApplicationError):
        failure: dict[str, Any] = {
            "message": error.message or type(error).__name__,
            "non_retryable": bool(error.non_retryable),
        }
        if error.type is not None:
            failure["type"] = error.type
        if error.details:
            failure["details"] = list(error.details)
        delay = error.next_retry_delay
        if delay is not None:
            failure["next_retry_delay"] = delay.total_seconds() if isinstance(delay, timedelta) else delay
        return {"failure": failure}
    name = type(error).__name__
    if isinstance(error, asyncio.CancelledError):
        message = "the activity raised asyncio.CancelledError, but it was not cancelled"
    else:
        message = str(error) or name
        # The failure carries no stack trace: the log does.
        _logger.warning("activity %r failed", task, exc_info=error)
    return {"failure": {"message": message, "type": name}}


_WHAT = {
    "result": "return value",
    "failure": "failure",
    "cancelled": "cancellation details",
}


def _send(task: _native.NativeActivityTask, answer: dict[str, Any]) -> None:
    """Answers the task; an answer that cannot be sent fails the task instead."""
    try:
        task.answer(answer)
        return
    except TypeError as error:
        what = _WHAT.get(next(iter(answer)), "answer")
        message = f"the activity's {what} cannot be carried as JSON: {error}"
        fallback = {"failure": {"message": message, "type": "TypeError"}}
    except _native.NativeError as error:
        refused = _from_error(error.args[0])
        message = f"the activity's answer was refused: {refused.message}"
        fallback = {"failure": {"message": message, "type": "InvalidAnswer"}}
    try:
        task.answer(fallback)
    except (TypeError, _native.NativeError) as error:
        # Answered already, or given up on by the worker after its cancellation.
        _logger.debug("activity %r: answer not sent: %s", task, error)


class Worker:
    """Serves activities on one task queue::

        worker = Worker(client, task_queue="q", activities=[resize, fetch])
        async with worker:          # or: await worker.run(); with worker: ...; worker.run_sync()
            ...

    ``client`` is a ``Client`` or an ``AsyncClient``; ``activities`` are
    plain or ``async def`` functions (named by ``activity.defn`` or their
    ``__name__``). Keyword names are temporalio's where they exist:

    - ``activity_executor``: runs plain functions (an executor running
      callables in this process, e.g. a ``ThreadPoolExecutor``); by default
      a thread pool of ``max_concurrent_activities`` threads, shut down with
      the worker;
    - ``max_concurrent_activities`` (100): tasks running at once;
    - ``max_concurrent_activity_task_polls`` (2): long polls at once;
    - ``graceful_shutdown_timeout`` (0): how long running activities may go
      on after shutdown is asked before they are cancelled;
    - ``max_task_queue_activities_per_second``: the task queue's dispatch
      rate, across all its workers;
    - ``default_heartbeat_throttle_interval`` (30 s, for activities without a
      heartbeat timeout) and ``max_heartbeat_throttle_interval`` (60 s);
    - ``cancel_grace`` (10 s): how long a cancelled activity may go on
      before the worker gives up on it and answers for it.

    Durations are ``timedelta``s, seconds or strings like ``"1.5s"``; the
    core checks the values (``InvalidArgumentError`` names the argument).
    A worker runs once.
    """

    def __init__(
        self,
        client: Client | AsyncClient,
        *,
        task_queue: str,
        activities: Sequence[Callable[..., Any]],
        activity_executor: concurrent.futures.Executor | None = None,
        max_concurrent_activities: int = 100,
        max_concurrent_activity_task_polls: int = 2,
        graceful_shutdown_timeout: Duration = timedelta(0),
        max_task_queue_activities_per_second: float | None = None,
        default_heartbeat_throttle_interval: Duration | None = None,
        max_heartbeat_throttle_interval: Duration | None = None,
        cancel_grace: Duration | None = None,
    ) -> None:
        native_client = getattr(client, "_native", None)
        if not isinstance(native_client, _native.NativeClient):
            raise TypeError(f"client must be a temporal_bridge Client or AsyncClient, got {type(client).__name__}")
        if isinstance(activities, (str, bytes)) or not hasattr(activities, "__iter__"):
            raise TypeError(f"activities must be a list of functions, got {type(activities).__name__}")
        defined = [_Activity(fn) for fn in activities]
        if not defined:
            raise ValueError("activities must not be empty")
        rate = max_task_queue_activities_per_second
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float))):
            raise TypeError(f"max_task_queue_activities_per_second must be a number, got {type(rate).__name__}")
        options = _requests.drop_none(
            {
                "task_queue": _requests.check_str("task_queue", task_queue),
                "max_concurrent": _requests.opt_int("max_concurrent_activities", max_concurrent_activities),
                "pollers": _requests.opt_int("max_concurrent_activity_task_polls", max_concurrent_activity_task_polls),
                "graceful_shutdown_timeout": _requests.duration("graceful_shutdown_timeout", graceful_shutdown_timeout),
                "max_tasks_per_second": rate,
                "default_heartbeat_throttle_interval": _requests.duration(
                    "default_heartbeat_throttle_interval", default_heartbeat_throttle_interval
                ),
                "max_heartbeat_throttle_interval": _requests.duration(
                    "max_heartbeat_throttle_interval", max_heartbeat_throttle_interval
                ),
                "cancel_grace": _requests.duration("cancel_grace", cancel_grace),
            }
        )
        if activity_executor is not None and not isinstance(activity_executor, concurrent.futures.Executor):
            raise TypeError(
                f"activity_executor must be a concurrent.futures.Executor, got {type(activity_executor).__name__}"
            )
        if isinstance(activity_executor, concurrent.futures.ProcessPoolExecutor):
            raise TypeError("activity_executor must run activities in this process (e.g. a ThreadPoolExecutor)")
        try:
            self._native = _native.NativeWorker(native_client, _native.to_json(options))
        except _native.NativeError as err:
            raise _from_error(err.args[0]) from None
        self._dispatcher = _Dispatcher()
        for activity in defined:
            try:
                self._native.register(activity.name, functools.partial(self._dispatcher.dispatch, activity))
            except _native.NativeError as err:
                raise _from_error(err.args[0]) from None
        self._has_sync = any(not a.is_async for a in defined)
        self._has_async = any(a.is_async for a in defined)
        self._executor = activity_executor
        self._own_executor = False
        self._max_concurrent = max_concurrent_activities
        self._private_loop: asyncio.AbstractEventLoop | None = None
        self._private_thread: threading.Thread | None = None
        self._started = False
        self._done = False
        self._error: TemporalBridgeError | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------ properties

    @property
    def task_queue(self) -> str:
        return self._native.task_queue

    @property
    def activity_types(self) -> list[str]:
        """The activity types it serves, sorted."""
        return self._native.activity_types

    @property
    def is_running(self) -> bool:
        """Whether it was started and has not stopped yet."""
        return self._started and not self._native.finished

    @property
    def is_shutdown(self) -> bool:
        """Whether it ran and stopped."""
        return self._started and self._native.finished

    def stats(self) -> dict[str, Any]:
        """Counts so far: ``tasks`` received, ``running``, ``completed``,
        ``failed``, ``cancelled``, ``completing_async``, ``given_up``,
        ``heartbeats`` sent, ``rpc_errors`` and ``last_error``."""
        return self._native.stats()

    # ------------------------------------------------------------- asyncio

    async def run(self) -> None:
        """Runs until shut down (``shutdown()``, or cancelling the awaiting
        task, which shuts down gracefully and then re-raises). Raises the
        core's error if polling failed for good (e.g. unknown namespace)."""
        self._start(asyncio.get_running_loop())
        try:
            await self._until_finished()
        except asyncio.CancelledError:
            self._native.shutdown()
            await self._until_finished()
            raise
        if self._error is not None:
            raise self._error

    async def shutdown(self) -> None:
        """Asks the worker to stop and waits until it did: polling stops,
        running activities get ``graceful_shutdown_timeout`` to finish, then
        are cancelled. Idempotent; does not raise the run's error."""
        self._native.shutdown()
        if self._started:
            await self._until_finished()

    async def __aenter__(self) -> Worker:
        """Starts the worker (async activities run on this event loop)."""
        self._start(asyncio.get_running_loop())
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.shutdown()
        if exc_type is None and self._error is not None:
            raise self._error

    async def _until_finished(self) -> None:
        from .aio import _await_native

        ok, value = await _await_native(self._native.wait_async)
        self._finish(None if ok else _from_error(value))

    # ------------------------------------------------------------ blocking

    def run_sync(self) -> None:
        """``run()`` for code without asyncio: blocks (releasing the GIL)
        until the worker stops. Ctrl-C shuts it down gracefully, waits for
        that (a second Ctrl-C stops waiting) and re-raises. Async activities
        run on an event loop of the worker's own thread."""
        self._start(None)
        try:
            self._wait_sync()
        except KeyboardInterrupt:
            self._native.shutdown()
            self._wait_sync()
            raise
        if self._error is not None:
            raise self._error

    def shutdown_sync(self) -> None:
        """``shutdown()`` for code without asyncio (blocking); callable from
        any thread."""
        self._native.shutdown()
        if self._started:
            self._wait_sync()

    def __enter__(self) -> Worker:
        """Starts the worker in the background; the block runs meanwhile."""
        self._start(None)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.shutdown_sync()
        if exc_type is None and self._error is not None:
            raise self._error

    def _wait_sync(self) -> None:
        try:
            self._native.wait()
        except _native.NativeError as err:
            self._finish(_from_error(err.args[0]))
        else:
            self._finish(None)

    # ------------------------------------------------------------ start/end

    def _start(self, loop: asyncio.AbstractEventLoop | None) -> None:
        with self._lock:
            if self._started:
                raise RuntimeError("this worker was started before (a worker runs once)")
            self._started = True
        dispatcher = self._dispatcher
        dispatcher.context = contextvars.copy_context()
        if self._has_sync and self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=self._max_concurrent, thread_name_prefix="temporal_bridge-activity"
            )
            self._own_executor = True
        dispatcher.executor = self._executor
        if loop is None:
            loop = self._start_private_loop()
        dispatcher.loop = loop
        from .aio import _loop_completions

        try:
            # The client's Python payload codec (if any) runs on this loop
            # for the worker's calls.
            self._native.start(_loop_completions(loop).queue)
        except _native.NativeError as err:
            error = _from_error(err.args[0])
            self._finish(error)
            raise error from None

    def _start_private_loop(self) -> asyncio.AbstractEventLoop:
        from .aio import _loop_completions

        loop = asyncio.new_event_loop()
        _loop_completions(loop)  # before the loop runs: made on this thread
        thread = threading.Thread(
            target=_run_loop, args=(loop,), name=f"temporal_bridge-worker-loop-{self.task_queue}", daemon=True
        )
        thread.start()
        self._private_loop, self._private_thread = loop, thread
        return loop

    def _finish(self, error: TemporalBridgeError | None) -> None:
        """Once the run ended: keeps its error, releases what the worker made."""
        with self._lock:
            if self._done:
                return
            self._done = True
            self._error = error
        if self._own_executor and self._executor is not None:
            # Activities the worker gave up on may still run: not waited for.
            self._executor.shutdown(wait=False)
        loop, thread = self._private_loop, self._private_thread
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            if thread is not threading.current_thread():
                thread.join(timeout=10)

    def __repr__(self) -> str:
        return f"Worker(task_queue={self.task_queue!r}, activity_types={self.activity_types!r})"


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    """The private event loop of a worker run without asyncio."""
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
        # Async activities still running (the worker gave up on them).
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
