"""The asyncio client: ``AsyncClient`` and ``AsyncWorkflowHandle``, the same
methods as the blocking ones, as coroutines.

A call runs on the core's runtime; its outcome goes to a completion queue
that the event loop watches (``loop.add_reader``), so a selector-based loop
is needed (the default on Unix, and uvloop). Cancelling the awaiting task (directly,
or through ``asyncio.wait_for`` / ``asyncio.timeout``) cancels the call
itself, never the workflow: use ``handle.cancel()`` for that.
"""

from __future__ import annotations

import asyncio
import functools
import weakref

from . import _native, _requests
from .client import _description, _handle_args, _HandleBase, _result_value
from .exceptions import _from_error_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import TracebackType
    from typing import Any, Callable

    from ._requests import Duration
    from .common import (
        Payload,
        RetryConfig,
        RetryPolicy,
        TLSConfig,
        WorkflowExecutionDescription,
        WorkflowIDConflictPolicy,
        WorkflowIDReusePolicy,
    )

__all__ = ["AsyncClient", "AsyncWorkflowHandle"]


class _LoopCompletions:
    """The completion queue of one event loop: calls deliver their outcomes
    to it from the core's threads, and the loop drains it when its socket
    becomes readable. Python code only ever runs on the loop's own thread."""

    __slots__ = ("queue", "waiting", "next_key", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.queue = _native.CompletionQueue()
        self.waiting: dict[int, asyncio.Future[tuple[bool, Any]]] = {}
        self.next_key = 0
        loop.add_reader(self.queue.fileno(), self.drain)

    def drain(self) -> None:
        for key, ok, value in self.queue.drain():
            future = self.waiting.pop(key, None)
            # A cancelled awaiter has moved on already.
            if future is not None and not future.done():
                future.set_result((ok, value))


_completions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopCompletions] = weakref.WeakKeyDictionary()


async def _await_native(start: Callable[[_native.CompletionQueue, int], _native.PendingCall]) -> tuple[bool, Any]:
    loop = asyncio.get_running_loop()
    completions = _completions.get(loop)
    if completions is None:
        completions = _completions[loop] = _LoopCompletions(loop)
    key = completions.next_key
    completions.next_key += 1
    future: asyncio.Future[tuple[bool, Any]] = loop.create_future()
    try:
        pending = start(completions.queue, key)
    except _native.NativeError as err:  # e.g. the runtime could not start
        raise _from_error_json(err.args[0]) from None
    completions.waiting[key] = future
    try:
        return await future
    except BaseException:
        # Task cancelled (or timed out by wait_for): abandon the call itself.
        completions.waiting.pop(key, None)
        pending.cancel()
        raise


async def _call(native: _native.NativeClient, operation: str, request: Mapping[str, Any], raw: bool = False) -> Any:
    request_json = _native.to_json(request)
    ok, value = await _await_native(functools.partial(native.call_async, operation, request_json))
    if not ok:
        raise _from_error_json(value, raw)
    return _native.from_json(value)


class AsyncWorkflowHandle(_HandleBase):
    """``WorkflowHandle`` for asyncio: the same methods, as coroutines."""

    __slots__ = ()

    async def result(self, *, timeout: Duration | None = None, follow_runs: bool = True, raw: bool = False) -> Any:
        """Waits for the workflow to close (see ``WorkflowHandle.result``).
        Cancelling the awaiting task abandons the wait, not the workflow."""
        request = self._result_request(timeout, follow_runs, raw)
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


class AsyncClient:
    """``Client`` for asyncio. Safe to share between tasks (and threads)."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.NativeClient) -> None:
        """Internal: use ``await AsyncClient.connect(...)``."""
        self._native = native

    @classmethod
    async def connect(
        cls,
        target_host: str,
        *,
        namespace: str = "default",
        api_key: str | None = None,
        tls: bool | TLSConfig | None = None,
        identity: str | None = None,
        rpc_metadata: Mapping[str, str] | None = None,
        rpc_timeout: Duration | None = None,
        connect_timeout: Duration | None = None,
        retry_config: RetryConfig | None = None,
    ) -> AsyncClient:
        """Connects (see ``Client.connect`` for the options)."""
        options = _requests.connect_options(
            target_host, namespace, api_key, tls, identity, rpc_metadata, rpc_timeout, connect_timeout, retry_config
        )
        ok, value = await _await_native(functools.partial(_native.connect_async, _native.to_json(options)))
        if not ok:
            raise _from_error_json(value)
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
    ) -> AsyncWorkflowHandle:
        """Starts a workflow by type name (see ``Client.start_workflow``)."""
        request = _requests.start_workflow(
            workflow, args, id, task_queue, execution_timeout, run_timeout, task_timeout, id_reuse_policy,
            id_conflict_policy, retry_policy, cron_schedule, memo, search_attributes, start_delay, request_id,
            raw_args, rpc_timeout,
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
        result_timeout: Duration | None = None,
    ) -> Any:
        """``await start_workflow(...)`` then ``await result(timeout=result_timeout)``."""
        handle = await self.start_workflow(
            workflow, *args, id=id, task_queue=task_queue, execution_timeout=execution_timeout,
            run_timeout=run_timeout, task_timeout=task_timeout, id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy, retry_policy=retry_policy, cron_schedule=cron_schedule,
            memo=memo, search_attributes=search_attributes, start_delay=start_delay, request_id=request_id,
            raw_args=raw_args, rpc_timeout=rpc_timeout,
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
