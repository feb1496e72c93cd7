"""The asyncio client: ``AsyncClient``, ``AsyncWorkflowHandle``,
``AsyncWorkflowUpdateHandle``, ``AsyncActivityHandle`` and
``WorkflowExecutionAsyncIterator``: the same methods as the blocking ones, as
coroutines (and ``async for`` over visibility lists).

A call runs on the event loop's own thread: it is built, encoded (a payload
codec runs inline) and sent when it is made, and the core's runtime does its
I/O meanwhile; when its reply comes, the runtime puts the call in a
completion queue that the loop watches (``loop.add_reader``) and the loop
finishes it. So a selector-based loop is needed (the default on Unix, and
uvloop). Cancelling the awaiting task (directly,
or through ``asyncio.wait_for`` / ``asyncio.timeout``) cancels the call
itself, never the workflow: use ``handle.cancel()`` for that.
"""

from __future__ import annotations

import asyncio
import functools
import weakref

from . import _native, _requests, _tracing
from .client import (
    _ActivityHandleBase,
    _batch_result,
    _Credentials,
    _description,
    _execution_count,
    _ExecutionPages,
    _handle_args,
    _HandleBase,
    _heartbeat_response,
    _list_request,
    _result_value,
    _UpdateHandleBase,
)
from .exceptions import _from_error
from .rpc import _Services

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._settings import HttpConnectProxyConfig, KeepAliveConfig
    from .codec import PayloadCodec
    import os
    from .schedule import AsyncScheduleHandle, AsyncScheduleIterator, Schedule, ScheduleBackfill
    from collections.abc import Mapping, Sequence
    from types import TracebackType
    from typing import Any, Callable

    from ._requests import Duration
    from .common import (
        ActivityHeartbeatResponse,
        BatchOperationResult,
        Payload,
        QueryRejectCondition,
        RetryConfig,
        RetryPolicy,
        TLSConfig,
        WorkflowExecution,
        WorkflowExecutionCount,
        WorkflowExecutionDescription,
        WorkflowIDConflictPolicy,
        WorkflowIDReusePolicy,
        WorkflowUpdateStage,
    )

__all__ = [
    "AsyncClient",
    "AsyncWorkflowHandle",
    "AsyncWorkflowUpdateHandle",
    "AsyncActivityHandle",
    "WorkflowExecutionAsyncIterator",
]


class _LoopCompletions:
    """The completion queue of one event loop: calls deliver their outcomes
    to it from the core's threads, and the loop drains it when its socket
    becomes readable. Python code only ever runs on the loop's own thread."""

    __slots__ = ("queue", "waiting", "next_key", "codec_tasks", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.queue = _native.CompletionQueue()
        # Held weakly (the awaiting task holds each): a future refers to its
        # loop, and this object must not keep a loop that is gone alive (its
        # queue then closes, and the core drops the calls left in flight).
        self.waiting: dict[int, weakref.ReferenceType[asyncio.Future[tuple[bool, Any]]]] = {}
        self.next_key = 0
        # Running codec work, kept referenced until it ends.
        self.codec_tasks: set[asyncio.Task[None]] = set()
        loop.add_reader(self.queue.fileno(), self.drain)

    def drain(self) -> None:
        for key, ok, value in self.queue.drain():
            if ok is None:
                # Codec work of a call in flight, to run on this loop.
                from .codec import start_job

                start_job(value)
                continue
            waiting = self.waiting.pop(key, None)
            future = waiting() if waiting is not None else None
            # A cancelled awaiter has moved on already.
            if future is not None and not future.done():
                future.set_result((ok, value))

    def keep(self, task: asyncio.Task[None]) -> None:
        """Keeps codec work running on this loop referenced until it ends."""
        self.codec_tasks.add(task)
        task.add_done_callback(self.codec_tasks.discard)


_completions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopCompletions] = weakref.WeakKeyDictionary()
# The loop seen last and its completions (weakly: a loop that is gone takes
# its queue with it), so call after call on one loop skips the lookup.
_last_loop: weakref.ReferenceType[asyncio.AbstractEventLoop] | None = None
_last_completions: weakref.ReferenceType[_LoopCompletions] | None = None


def _loop_completions(loop: asyncio.AbstractEventLoop) -> _LoopCompletions:
    """The completion queue of ``loop`` (made on first use, from the loop's
    thread or before the loop runs)."""
    global _last_loop, _last_completions
    if _last_loop is not None and _last_loop() is loop and _last_completions is not None:
        completions = _last_completions()
        if completions is not None:
            return completions
    completions = _completions.get(loop)
    if completions is None:
        completions = _completions[loop] = _LoopCompletions(loop)
    _last_loop, _last_completions = weakref.ref(loop), weakref.ref(completions)
    return completions


async def _await_native(start: Callable[..., _native.PendingCall], *args: Any) -> tuple[bool, Any]:
    """Runs ``start(*args, queue, key)`` (a native call finishing into this
    loop's queue) and waits for its outcome."""
    loop = asyncio.get_running_loop()
    completions = _loop_completions(loop)
    key = completions.next_key
    completions.next_key += 1
    future: asyncio.Future[tuple[bool, Any]] = loop.create_future()
    try:
        pending = start(*args, completions.queue, key)
    except _native.NativeError as err:  # e.g. the runtime could not start
        raise _from_error(err.args[0]) from None
    completions.waiting[key] = weakref.ref(future)
    try:
        return await future
    except BaseException:
        # Task cancelled (or timed out by wait_for): abandon the call itself.
        completions.waiting.pop(key, None)
        pending.cancel()
        raise


async def _call(
    native: _native.NativeClient, operation: str, request: Mapping[str, Any], raw: bool = False, traced: bool = True
) -> Any:
    if traced and _tracing.may_trace(operation):  # a start, signal, query or update, maybe in a client span
        return await _tracing.call_async(operation, request, functools.partial(_call, native, raw=raw, traced=False))
    ok, value = await _await_native(native.call_async, operation, request)
    if not ok:
        raise _from_error(value, raw)
    return value


class AsyncWorkflowHandle(_HandleBase):
    """``WorkflowHandle`` for asyncio: the same methods, as coroutines."""

    __slots__ = ()

    async def result(
        self, *, timeout: Duration | None = None, follow_runs: bool = True, raw: bool = False, decode: bool = False
    ) -> Any:
        """Waits for the workflow to close (see ``WorkflowHandle.result``).
        Cancelling the awaiting task abandons the wait, not the workflow."""
        request = self._result_request(timeout, follow_runs, raw, decode)
        return _result_value(await _call(self._native, "get_workflow_result", request, raw), raw)

    async def cancel(self, reason: str | None = None, *, rpc_timeout: Duration | None = None) -> None:
        """Requests cancellation of the workflow (see ``WorkflowHandle.cancel``)."""
        await _call(self._native, "cancel_workflow", self._cancel_request(reason, rpc_timeout))

    async def terminate(
        self,
        reason: str | None = None,
        details: Sequence[Any] | None = None,
        *,
        rpc_timeout: Duration | None = None,
    ) -> None:
        """Terminates the workflow at once."""
        await _call(self._native, "terminate_workflow", self._terminate_request(reason, details, rpc_timeout))

    async def describe(self, *, rpc_timeout: Duration | None = None) -> WorkflowExecutionDescription:
        """Status, type, times, memo, search attributes, pending activities."""
        return _description(await _call(self._native, "describe_workflow", self._describe_request(rpc_timeout)))

    async def reset(
        self,
        reset_type: str | None = None,
        *,
        event_id: int | None = None,
        reason: str | None = None,
        reapply_signals: bool = True,
        request_id: str | None = None,
        rpc_timeout: Duration | None = None,
    ) -> AsyncWorkflowHandle:
        """Resets the workflow (see ``WorkflowHandle.reset``); returns a handle
        to the new run."""
        request = self._reset_request(reset_type, event_id, reason, reapply_signals, request_id, rpc_timeout)
        response = await _call(self._native, "reset_workflow", request)
        return AsyncWorkflowHandle(self._native, self.id, response["run_id"], None, response["run_id"])

    async def signal(
        self,
        signal: str,
        *args: Any,
        raw_args: Sequence[Payload] | None = None,
        rpc_timeout: Duration | None = None,
    ) -> None:
        """Sends a signal (see ``WorkflowHandle.signal``)."""
        await _call(self._native, "signal_workflow", self._signal_request(signal, args, raw_args, rpc_timeout))

    async def query(
        self,
        query: str,
        *args: Any,
        reject_condition: QueryRejectCondition | str | None = None,
        raw_args: Sequence[Payload] | None = None,
        raw: bool = False,
        decode: bool = False,
        rpc_timeout: Duration | None = None,
    ) -> Any:
        """Queries the workflow (see ``WorkflowHandle.query``)."""
        request = self._query_request(query, args, reject_condition, raw_args, raw, rpc_timeout, decode)
        return _result_value(await _call(self._native, "query_workflow", request), raw)

    async def execute_update(
        self,
        update: str,
        *args: Any,
        id: str | None = None,
        raw_args: Sequence[Payload] | None = None,
        raw: bool = False,
        decode: bool = False,
        timeout: Duration | None = None,
        rpc_timeout: Duration | None = None,
    ) -> Any:
        """Sends an update and waits for its result (see
        ``WorkflowHandle.execute_update``). Cancelling the awaiting task
        abandons the wait, not the update."""
        request = self._update_request(update, args, id, "completed", raw_args, raw, timeout, rpc_timeout, decode)
        return _result_value(await _call(self._native, "execute_update", request, raw), raw)

    async def start_update(
        self,
        update: str,
        *args: Any,
        id: str | None = None,
        wait_for_stage: WorkflowUpdateStage | str | None = None,
        raw_args: Sequence[Payload] | None = None,
        raw: bool = False,
        timeout: Duration | None = None,
        rpc_timeout: Duration | None = None,
    ) -> AsyncWorkflowUpdateHandle:
        """Sends an update and returns its handle once accepted (see
        ``WorkflowHandle.start_update``)."""
        stage = "accepted" if wait_for_stage is None else wait_for_stage
        request = self._update_request(update, args, id, stage, raw_args, raw, timeout, rpc_timeout)
        response = await _call(self._native, "execute_update", request, raw)
        return self._sent_update(AsyncWorkflowUpdateHandle, update, response, raw)

    def get_update_handle(self, id: str, *, workflow_run_id: str | None = None) -> AsyncWorkflowUpdateHandle:
        """A handle for an update sent earlier; no call is made."""
        _requests.check_str("id", id)
        _requests.opt_str("workflow_run_id", workflow_run_id)
        return AsyncWorkflowUpdateHandle(self._native, id, self.id, workflow_run_id or self._target_run_id)

    async def fetch_history(
        self, *, follow: bool = False, timeout: Duration | None = None, decode: bool = False
    ) -> dict[str, Any]:
        """The run's history as proto-JSON (see ``WorkflowHandle.fetch_history``)."""
        request = self._history_request(follow, timeout, decode)
        result: dict[str, Any] = await _call(self._native, "fetch_history", request)
        return result


class AsyncWorkflowUpdateHandle(_UpdateHandleBase):
    """``WorkflowUpdateHandle`` for asyncio."""

    __slots__ = ()

    async def result(self, *, timeout: Duration | None = None, raw: bool = False, decode: bool = False) -> Any:
        """Waits for the update's outcome (see ``WorkflowUpdateHandle.result``).
        Cancelling the awaiting task abandons the wait, not the update."""
        key = (bool(raw), bool(decode) and bool(raw))
        if self._outcome is not None and self._outcome[0] == key:
            return self._outcome[1]
        request = self._result_request(timeout, raw, decode)
        response = await _call(self._native, "get_update_result", request, raw)
        value = _result_value(response, raw)
        self._outcome = (key, value)
        return value


class AsyncActivityHandle(_ActivityHandleBase):
    """``ActivityHandle`` for asyncio: an activity completed from outside its worker."""

    __slots__ = ()

    async def heartbeat(self, *details: Any, rpc_timeout: Duration | None = None) -> ActivityHeartbeatResponse:
        """Records a heartbeat; check ``.cancel_requested`` on the response
        (see ``ActivityHandle.heartbeat``)."""
        response = await _call(self._native, "heartbeat_activity", self._details_request(details, rpc_timeout))
        return _heartbeat_response(response)

    async def complete(self, result: Any = None, *, rpc_timeout: Duration | None = None) -> None:
        """Completes the activity with ``result``."""
        await _call(self._native, "complete_activity", self._complete_request(result, rpc_timeout))

    async def fail(
        self,
        error: BaseException | str,
        *,
        type: str | None = None,
        non_retryable: bool | None = None,
        details: Sequence[Any] | None = None,
        last_heartbeat_details: Sequence[Any] = (),
        rpc_timeout: Duration | None = None,
    ) -> None:
        """Fails the activity (see ``ActivityHandle.fail``)."""
        request = self._fail_request(error, type, non_retryable, details, last_heartbeat_details, rpc_timeout)
        await _call(self._native, "fail_activity", request)

    async def report_cancellation(self, *details: Any, rpc_timeout: Duration | None = None) -> None:
        """Reports the activity as cancelled."""
        await _call(self._native, "report_activity_cancellation", self._details_request(details, rpc_timeout))


class WorkflowExecutionAsyncIterator(_ExecutionPages):
    """``WorkflowExecutionIterator`` for asyncio: ``async for execution in
    client.list_workflows(...)``, fetching pages as iteration reaches them."""

    __slots__ = ()

    def __aiter__(self) -> WorkflowExecutionAsyncIterator:
        return self

    async def __anext__(self) -> WorkflowExecution:
        while True:
            ready, execution = self._step()
            if not ready:
                await self.fetch_next_page()
                continue
            if execution is None:
                raise StopAsyncIteration
            return execution

    async def fetch_next_page(self, *, page_size: int | None = None) -> None:
        """Fetches the next page into ``current_page``."""
        self._take_page(await _call(self._native, "list_workflows", self._page_request(page_size)))


class AsyncClient(_Services, _Credentials):
    """``Client`` for asyncio. Safe to share between tasks (and threads)."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.NativeClient) -> None:
        """Internal: use ``await AsyncClient.connect(...)``."""
        self._native = native

    @classmethod
    async def connect(
        cls,
        target_host: str | None = None,
        *,
        namespace: str | None = None,
        api_key: str | None = None,
        tls: bool | TLSConfig | None = None,
        identity: str | None = None,
        rpc_metadata: Mapping[str, str] | None = None,
        rpc_timeout: Duration | None = None,
        connect_timeout: Duration | None = None,
        retry_config: RetryConfig | None = None,
        profile: str | None = None,
        config_file: str | os.PathLike[str] | None = None,
        config_strict: bool = False,
        keep_alive_config: KeepAliveConfig | None = None,
        http_connect_proxy_config: HttpConnectProxyConfig | None = None,
        lazy: bool = False,
        compression: str | None = None,
        payload_codec: PayloadCodec | None = None,
        codec: Mapping[str, Any] | None = None,
        slow_call_threshold: Duration | None = None,
    ) -> AsyncClient:
        """Connects (see ``Client.connect`` for the options). A payload
        codec's work for this client runs on the event loop that made the
        call (``async`` codecs are awaited there)."""
        options, adapter = _requests.connect_request(
            target_host, namespace, api_key, tls, identity, rpc_metadata, rpc_timeout, connect_timeout, retry_config,
            profile, config_file, config_strict, keep_alive_config, http_connect_proxy_config, lazy,
            compression, payload_codec, codec, slow_call_threshold,
        )  # fmt: skip
        options_json = _native.to_json(options)
        ok, value = await _await_native(lambda queue, key: _native.connect_async(options_json, queue, key, adapter))
        if not ok:
            raise _from_error(value)
        return cls(value)

    @property
    def namespace(self) -> str:
        return self._native.namespace

    @property
    def identity(self) -> str:
        return self._native.identity

    @property
    def server_version(self) -> str:
        return self._native.server_version

    async def start_workflow(
        self,
        workflow: str,
        *args: Any,
        id: str | None = None,
        task_queue: str,
        execution_timeout: Duration | None = None,
        run_timeout: Duration | None = None,
        task_timeout: Duration | None = None,
        id_reuse_policy: WorkflowIDReusePolicy | str | None = None,
        id_conflict_policy: WorkflowIDConflictPolicy | str | None = None,
        retry_policy: RetryPolicy | Mapping[str, Any] | None = None,
        cron_schedule: str | None = None,
        memo: Mapping[str, Any] | None = None,
        search_attributes: Mapping[str, Any] | None = None,
        start_delay: Duration | None = None,
        request_id: str | None = None,
        raw_args: Sequence[Payload] | None = None,
        rpc_timeout: Duration | None = None,
        start_signal: str | None = None,
        start_signal_args: Sequence[Any] = (),
    ) -> AsyncWorkflowHandle:
        """Starts a workflow by type name, or signals-with-start it (see
        ``Client.start_workflow``)."""
        request = _requests.start_workflow(
            workflow, args, id, task_queue, execution_timeout, run_timeout, task_timeout, id_reuse_policy,
            id_conflict_policy, retry_policy, cron_schedule, memo, search_attributes, start_delay, request_id,
            raw_args, rpc_timeout, start_signal, start_signal_args,
        )  # fmt: skip
        workflow_id, run_id, first = _handle_args(await _call(self._native, "start_workflow", request))
        return AsyncWorkflowHandle(self._native, workflow_id, run_id, first, None)

    async def execute_workflow(
        self,
        workflow: str,
        *args: Any,
        id: str | None = None,
        task_queue: str,
        execution_timeout: Duration | None = None,
        run_timeout: Duration | None = None,
        task_timeout: Duration | None = None,
        id_reuse_policy: WorkflowIDReusePolicy | str | None = None,
        id_conflict_policy: WorkflowIDConflictPolicy | str | None = None,
        retry_policy: RetryPolicy | Mapping[str, Any] | None = None,
        cron_schedule: str | None = None,
        memo: Mapping[str, Any] | None = None,
        search_attributes: Mapping[str, Any] | None = None,
        start_delay: Duration | None = None,
        request_id: str | None = None,
        raw_args: Sequence[Payload] | None = None,
        rpc_timeout: Duration | None = None,
        start_signal: str | None = None,
        start_signal_args: Sequence[Any] = (),
        result_timeout: Duration | None = None,
    ) -> Any:
        """``await start_workflow(...)`` then ``await result(timeout=result_timeout)``."""
        handle = await self.start_workflow(
            workflow, *args, id=id, task_queue=task_queue, execution_timeout=execution_timeout,
            run_timeout=run_timeout, task_timeout=task_timeout, id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy, retry_policy=retry_policy, cron_schedule=cron_schedule,
            memo=memo, search_attributes=search_attributes, start_delay=start_delay, request_id=request_id,
            raw_args=raw_args, rpc_timeout=rpc_timeout, start_signal=start_signal,
            start_signal_args=start_signal_args,
        )  # fmt: skip
        return await handle.result(timeout=result_timeout)

    def get_workflow_handle(
        self, workflow_id: str, *, run_id: str | None = None, first_execution_run_id: str | None = None
    ) -> AsyncWorkflowHandle:
        """A handle for an existing workflow; no call is made."""
        _requests.check_str("workflow_id", workflow_id)
        _requests.opt_str("run_id", run_id)
        _requests.opt_str("first_execution_run_id", first_execution_run_id)
        return AsyncWorkflowHandle(self._native, workflow_id, run_id, first_execution_run_id, run_id)

    def list_workflows(
        self,
        query: str | None = None,
        *,
        page_size: int | None = None,
        next_page_token: bytes | None = None,
        limit: int | None = None,
        rpc_timeout: Duration | None = None,
    ) -> WorkflowExecutionAsyncIterator:
        """The executions matching a visibility query, for ``async for``
        (see ``Client.list_workflows``). Not a coroutine: pages are fetched
        as iteration reaches them."""
        request = _list_request(query, page_size, next_page_token, limit, rpc_timeout)
        return WorkflowExecutionAsyncIterator(self._native, request, page_size, next_page_token, limit)

    async def count_workflows(
        self, query: str | None = None, *, rpc_timeout: Duration | None = None
    ) -> WorkflowExecutionCount:
        """How many executions match a visibility query (see ``Client.count_workflows``)."""
        request = _requests.count_workflows(query, rpc_timeout)
        return _execution_count(await _call(self._native, "count_workflows", request))

    async def call_rpc(
        self,
        service: str,
        method: str,
        request: Mapping[str, Any] | bytes | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        rpc_timeout: Duration | None = None,
    ) -> Any:
        """Calls any RPC of the Temporal API by name (see ``Client.call_rpc``)."""
        body, raw = _requests.call_rpc(service, method, request, headers, timeout, rpc_timeout)
        return _requests.rpc_response(await _call(self._native, "call_rpc", body), raw)

    # ------------------------------------------------------------ schedules

    async def create_schedule(
        self,
        id: str,
        schedule: Schedule,
        *,
        trigger_immediately: bool = False,
        backfill: Sequence[ScheduleBackfill] = (),
        memo: Mapping[str, Any] | None = None,
        search_attributes: Mapping[str, Any] | None = None,
    ) -> AsyncScheduleHandle:
        """See ``Client.create_schedule``."""
        from .schedule import AsyncScheduleHandle, create_request

        request = create_request(id, schedule, trigger_immediately, backfill, memo, search_attributes)
        await _call(self._native, "create_schedule", request)
        return AsyncScheduleHandle(self._operation, id)

    def get_schedule_handle(self, id: str) -> AsyncScheduleHandle:
        """A handle to an existing schedule (no call is made)."""
        from .schedule import AsyncScheduleHandle

        return AsyncScheduleHandle(self._operation, _requests.check_str("id", id))

    def list_schedules(self, query: str | None = None, *, page_size: int | None = None) -> AsyncScheduleIterator:
        """Schedules (matching ``query``), paged lazily (``async for``)."""
        from .schedule import AsyncScheduleIterator, list_request

        return AsyncScheduleIterator(self._operation, list_request(query, page_size))

    async def _operation(self, operation: str, request: dict[str, Any]) -> Any:
        return await _call(self._native, operation, request)

    # ------------------------------------ task queues, namespaces, attributes

    async def describe_task_queue(self, task_queue: str, *, task_queue_type: str = "workflow") -> dict[str, Any]:
        """See ``Client.describe_task_queue``."""
        result: dict[str, Any] = await _call(
            self._native, "describe_task_queue", _requests.describe_task_queue(task_queue, task_queue_type)
        )
        return result

    async def register_namespace(
        self, name: str, *, retention: Duration = 72 * 3600, description: str | None = None
    ) -> None:
        """See ``Client.register_namespace``."""
        await _call(self._native, "register_namespace", _requests.register_namespace(name, retention, description))

    async def describe_namespace(self, name: str | None = None) -> dict[str, Any]:
        """See ``Client.describe_namespace``."""
        result: dict[str, Any] = await _call(self._native, "describe_namespace", {"namespace": name} if name else {})
        return result

    async def list_namespaces(self) -> list[dict[str, Any]]:
        """See ``Client.list_namespaces``."""
        namespaces: list[dict[str, Any]] = []
        request: dict[str, Any] = {}
        while True:
            page = await _call(self._native, "list_namespaces", request)
            namespaces.extend(page.get("namespaces", []))
            token = page.get("nextPageToken")
            if not token:
                return namespaces
            request = {"nextPageToken": token}

    async def update_namespace(
        self, name: str | None = None, *, description: str | None = None, retention: Duration | None = None
    ) -> dict[str, Any]:
        """See ``Client.update_namespace``."""
        result: dict[str, Any] = await _call(
            self._native, "update_namespace", _requests.update_namespace(name, description, retention)
        )
        return result

    async def add_search_attributes(self, attributes: Mapping[str, str]) -> None:
        """See ``Client.add_search_attributes``."""
        await _call(self._native, "add_search_attributes", _requests.add_search_attributes(attributes))

    async def list_search_attributes(self) -> dict[str, Any]:
        """See ``Client.list_search_attributes``."""
        result: dict[str, Any] = await _call(self._native, "list_search_attributes", {})
        return result

    async def remove_search_attributes(self, names: Sequence[str]) -> None:
        """See ``Client.remove_search_attributes``."""
        await _call(
            self._native, "remove_search_attributes", {"searchAttributes": [_requests.check_str("name", n) for n in names]}
        )

    def get_async_activity_handle(
        self,
        *,
        task_token: bytes | None = None,
        workflow_id: str | None = None,
        run_id: str | None = None,
        activity_id: str | None = None,
    ) -> AsyncActivityHandle:
        """A handle on an activity completed from outside its worker (see
        ``Client.get_async_activity_handle``); no call is made."""
        target = _requests.activity_target(task_token, workflow_id, run_id, activity_id)
        return AsyncActivityHandle(self._native, target)

    async def batch_cancel_workflows(
        self, query: str, *, reason: str, job_id: str | None = None, rpc_timeout: Duration | None = None
    ) -> str:
        """Starts a batch job cancelling what ``query`` matches; returns its ID."""
        request = _requests.batch(query, reason, job_id, rpc_timeout)
        response = await _call(self._native, "batch_cancel_workflows", request)
        return str(response["job_id"])

    async def batch_terminate_workflows(
        self, query: str, *, reason: str, job_id: str | None = None, rpc_timeout: Duration | None = None
    ) -> str:
        """Starts a batch job terminating what ``query`` matches; returns its ID."""
        request = _requests.batch(query, reason, job_id, rpc_timeout)
        response = await _call(self._native, "batch_terminate_workflows", request)
        return str(response["job_id"])

    async def wait_batch_operation(self, job_id: str, *, timeout: Duration | None = None) -> BatchOperationResult:
        """Waits until a batch job has finished (see ``Client.wait_batch_operation``)."""
        response = await _call(self._native, "wait_batch_operation", _requests.wait_batch(job_id, timeout))
        return _batch_result(response)

    def close(self) -> None:
        """Cancels the calls in flight (``CallCancelledError``) and refuses new ones."""
        self._native.close()

    @property
    def closed(self) -> bool:
        return self._native.closed

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AsyncClient(namespace={self.namespace!r}, identity={self.identity!r})"
