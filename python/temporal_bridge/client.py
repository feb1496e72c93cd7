"""The blocking client: ``Client``, ``WorkflowHandle``,
``WorkflowUpdateHandle``, ``ActivityHandle`` (async activity completion) and
``WorkflowExecutionIterator`` (visibility lists, a page at a time).

Each method builds the core's JSON request, runs it through the native
module (which releases the GIL and stays interruptible by Ctrl-C) and turns
the JSON response or error back into Python values or exceptions. The
asyncio flavour (``temporal_bridge.aio``) shares the request building and
the bookkeeping here (the ``_...Base`` classes); only the calls differ.
"""

from __future__ import annotations

from . import _native, _requests, _tracing
from .exceptions import _from_error
from .rpc import _Services

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._settings import HttpConnectProxyConfig, KeepAliveConfig
    from .codec import PayloadCodec
    import os
    from .schedule import Schedule, ScheduleBackfill, ScheduleHandle, ScheduleIterator
    from collections.abc import Mapping, Sequence
    from types import TracebackType
    from typing import Any, TypeVar

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

    _UpdateHandle = TypeVar("_UpdateHandle", bound="_UpdateHandleBase")

__all__ = ["Client", "WorkflowHandle", "WorkflowUpdateHandle", "ActivityHandle", "WorkflowExecutionIterator"]


def _call(native: _native.NativeClient, operation: str, request: Mapping[str, Any], raw: bool = False) -> Any:
    try:
        if _tracing.may_trace(operation):  # a start, signal, query or update, maybe in a client span
            return _tracing.call(operation, request, native.call)
        return native.call(operation, request)
    except _native.NativeError as err:
        raise _from_error(err.args[0], raw) from None


def _result_value(response: Mapping[str, Any], raw: bool) -> Any:
    if raw:
        from .common import Payload

        return [Payload._from_json(p) for p in response.get("payloads") or []]
    return response.get("result")


def _description(response: dict[str, Any]) -> WorkflowExecutionDescription:
    from .common import WorkflowExecutionDescription

    return WorkflowExecutionDescription(response)


def _execution_count(response: dict[str, Any]) -> WorkflowExecutionCount:
    from .common import WorkflowExecutionCount

    return WorkflowExecutionCount._from_json(response)


def _heartbeat_response(response: dict[str, Any]) -> ActivityHeartbeatResponse:
    from .common import ActivityHeartbeatResponse

    return ActivityHeartbeatResponse._from_json(response)


def _batch_result(response: dict[str, Any]) -> BatchOperationResult:
    from .common import BatchOperationResult

    return BatchOperationResult(response)


class _HandleBase:
    """What a workflow handle knows, and the requests it makes (no RPC here)."""

    __slots__ = ("_native", "id", "run_id", "first_execution_run_id", "_target_run_id")

    def __init__(
        self,
        native: _native.NativeClient,
        id: str,
        run_id: str | None,
        first_execution_run_id: str | None,
        target_run_id: str | None,
    ) -> None:
        self._native = native
        #: The workflow ID.
        self.id: str = id
        #: The run this handle started from (the started run, or the one asked for).
        self.run_id: str | None = run_id
        #: Guard for cancel/terminate: act only on the chain that began with this run.
        self.first_execution_run_id: str | None = first_execution_run_id
        # Run that cancel/terminate/describe address: None means the current
        # run of the chain, so a handle from start_workflow keeps working
        # after continue-as-new (the first_execution_run_id guard still holds).
        # The rule is the core's (`WorkflowHandle`, `started_workflow_handle`
        # in core/src/workflow.rs): the guard comes from its start response,
        # and the target is None exactly for handles from a start.
        self._target_run_id = target_run_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, run_id={self.run_id!r})"

    def _result_request(
        self, timeout: Duration | None, follow_runs: bool, raw: bool, decode: bool = False
    ) -> dict[str, Any]:
        # Built inline: it runs once per result, usually with nothing optional.
        request: dict[str, Any] = {"workflow_id": self.id, "follow_runs": bool(follow_runs), "raw": bool(raw)}
        if decode:
            request["decode"] = True
        if self.run_id is not None:
            request["run_id"] = self.run_id
        if timeout is not None:
            request["call_timeout"] = _requests.duration("timeout", timeout)
        return request

    # Everything else addresses the pinned run, else the chain's current one.

    def _request(self, rpc_timeout: Duration | None, **fields: Any) -> dict[str, Any]:
        return _requests.workflow_request(self.id, self._target_run_id, "rpc_timeout", rpc_timeout, **fields)

    def _cancel_request(self, reason: str | None, rpc_timeout: Duration | None) -> dict[str, Any]:
        return self._request(
            rpc_timeout,
            first_execution_run_id=self.first_execution_run_id,
            reason=_requests.opt_str("reason", reason),
        )

    def _terminate_request(
        self, reason: str | None, details: Sequence[Any] | None, rpc_timeout: Duration | None
    ) -> dict[str, Any]:
        if details is not None and not isinstance(details, (list, tuple)):
            raise TypeError(f"details must be a list or tuple, got {type(details).__name__}")
        request = self._cancel_request(reason, rpc_timeout)
        if details:
            request["details"] = details
        return request

    def _describe_request(self, rpc_timeout: Duration | None) -> dict[str, Any]:
        return self._request(rpc_timeout)

    def _reset_request(
        self,
        reset_type: str | None,
        event_id: int | None,
        reason: str | None,
        reapply_signals: bool,
        request_id: str | None,
        rpc_timeout: Duration | None,
    ) -> dict[str, Any]:
        if event_id is not None and (isinstance(event_id, bool) or not isinstance(event_id, int)):
            raise TypeError(f"event_id must be an int, got {type(event_id).__name__}")
        return self._request(
            rpc_timeout,
            reset_type=_requests.policy("reset_type", reset_type),
            event_id=event_id,
            reason=_requests.opt_str("reason", reason),
            reapply_signals=bool(reapply_signals),
            request_id=_requests.opt_str("request_id", request_id),
        )

    def _signal_request(
        self, signal: str, args: Sequence[Any], raw_args: Sequence[Payload] | None, rpc_timeout: Duration | None
    ) -> dict[str, Any]:
        request = self._request(rpc_timeout, signal_name=_requests.check_str("signal", signal))
        return _requests.put_args(request, args, raw_args)

    def _query_request(
        self,
        query: str,
        args: Sequence[Any],
        reject_condition: object,
        raw_args: Sequence[Payload] | None,
        raw: bool,
        rpc_timeout: Duration | None,
        decode: bool = False,
    ) -> dict[str, Any]:
        request = self._request(
            rpc_timeout,
            query_type=_requests.check_str("query", query),
            reject_condition=_requests.policy("reject_condition", reject_condition),
            raw=bool(raw),
            decode=True if decode else None,
        )
        return _requests.put_args(request, args, raw_args)

    def _update_request(
        self,
        update: str,
        args: Sequence[Any],
        id: str | None,
        wait_for_stage: object,
        raw_args: Sequence[Payload] | None,
        raw: bool,
        timeout: Duration | None,
        rpc_timeout: Duration | None,
        decode: bool = False,
    ) -> dict[str, Any]:
        # An update is a wait (its RPC is a long poll the server holds open):
        # `timeout` bounds the whole call; `rpc_timeout`, its name before
        # `timeout` existed, still does too.
        if timeout is not None and rpc_timeout is not None:
            raise TypeError("give an update timeout= or rpc_timeout=, not both")
        name, limit = ("timeout", timeout) if rpc_timeout is None else ("rpc_timeout", rpc_timeout)
        request = _requests.drop_none(
            dict(
                workflow_id=self.id,
                run_id=self._target_run_id,
                call_timeout=_requests.duration(name, limit),
                first_execution_run_id=self.first_execution_run_id,
                update_name=_requests.check_str("update", update),
                update_id=_requests.opt_str("id", id),
                wait_for_stage=_requests.policy("wait_for_stage", wait_for_stage),
                raw=bool(raw),
                decode=True if decode else None,
            )
        )
        return _requests.put_args(request, args, raw_args)

    def _sent_update(
        self, handle_class: type[_UpdateHandle], update: str, response: Mapping[str, Any], raw: bool
    ) -> _UpdateHandle:
        """The handle of an update this handle sent (``response`` of ``execute_update``)."""
        # The run that took the update, when the server said.
        run_id = response.get("run_id") or self._target_run_id
        handle = handle_class(self._native, response["update_id"], self.id, run_id, update)
        if "result" in response or "payloads" in response:  # waited for completion
            handle._outcome = ((raw, False), _result_value(response, raw))
        return handle

    def _history_request(self, follow: bool, timeout: Duration | None, decode: bool) -> dict[str, Any]:
        return _requests.workflow_request(
            self.id, self._target_run_id, "timeout", timeout, wait_for_close=bool(follow), decode=bool(decode)
        )


class _UpdateHandleBase:
    """What an update handle knows (no RPC here)."""

    __slots__ = ("_native", "id", "workflow_id", "workflow_run_id", "name", "_outcome")

    def __init__(
        self,
        native: _native.NativeClient,
        id: str,
        workflow_id: str,
        workflow_run_id: str | None = None,
        name: str | None = None,
    ) -> None:
        self._native = native
        #: The update's ID (generated by the core unless given).
        self.id: str = id
        #: The workflow the update was sent to.
        self.workflow_id: str = workflow_id
        #: The run that took the update, when known.
        self.workflow_run_id: str | None = workflow_run_id
        #: The update's name, when this handle sent it.
        self.name: str | None = name
        # (raw, value) once the outcome is known (start_update to COMPLETED).
        # The outcome once known, with the (raw, decode) it was read with.
        self._outcome: tuple[tuple[bool, bool], Any] | None = None

    def _result_request(self, timeout: Duration | None, raw: bool, decode: bool = False) -> dict[str, Any]:
        return _requests.workflow_request(
            self.workflow_id,
            self.workflow_run_id,
            "timeout",
            timeout,
            update_id=self.id,
            raw=bool(raw),
            decode=True if decode else None,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, workflow_id={self.workflow_id!r}, name={self.name!r})"


class _ActivityHandleBase:
    """Which async activity a handle addresses, and its requests (no RPC here)."""

    __slots__ = ("_native", "_target")

    def __init__(self, native: _native.NativeClient, target: dict[str, Any]) -> None:
        self._native = native
        self._target = target

    def _request(self, rpc_timeout: Duration | None, **fields: Any) -> dict[str, Any]:
        request = dict(self._target)
        request.update(_requests.drop_none(fields))
        attempt_timeout = _requests.duration("rpc_timeout", rpc_timeout)
        if attempt_timeout is not None:
            request["rpc_timeout"] = attempt_timeout
        return request

    def _details_request(self, details: Sequence[Any], rpc_timeout: Duration | None) -> dict[str, Any]:
        return self._request(rpc_timeout, details=list(details) or None)

    def _complete_request(self, result: Any, rpc_timeout: Duration | None) -> dict[str, Any]:
        return self._request(rpc_timeout, result=result)

    def _fail_request(
        self,
        error: BaseException | str,
        type: str | None,
        non_retryable: bool | None,
        details: Sequence[Any] | None,
        last_heartbeat_details: Sequence[Any],
        rpc_timeout: Duration | None,
    ) -> dict[str, Any]:
        failure = _requests.activity_failure(error, type, non_retryable, details)
        heartbeat = _requests.values("last_heartbeat_details", last_heartbeat_details)
        return self._request(rpc_timeout, failure=failure, last_heartbeat_details=list(heartbeat) or None)

    def __repr__(self) -> str:
        target = dict(self._target)
        if "task_token" in target:
            target["task_token"] = "<set>"
        fields = ", ".join(f"{k}={v!r}" for k, v in target.items())
        return f"{type(self).__name__}({fields})"


def _list_request(
    query: str | None,
    page_size: int | None,
    next_page_token: bytes | None,
    limit: int | None,
    rpc_timeout: Duration | None,
) -> dict[str, Any]:
    """Checks ``list_workflows``' arguments at once, though nothing is
    fetched yet, and gives the part of every page's request that stays."""
    request = _requests.list_workflows(query, rpc_timeout)
    _requests.opt_int("page_size", page_size)
    if (_requests.opt_int("limit", limit) or 0) < 0:
        raise ValueError(f"limit must not be negative, got {limit!r}")
    _requests.token_text("next_page_token", next_page_token)
    return request


class _ExecutionPages:
    """The state of a visibility listing: the page in hand, where in it the
    iteration is, and the token of the next page (``None`` after the last)."""

    __slots__ = ("_native", "_request", "_page_size", "_limit", "_yielded", "_started", "current_page",
                 "current_page_index", "next_page_token")  # fmt: skip

    def __init__(
        self,
        native: _native.NativeClient,
        request: dict[str, Any],
        page_size: int | None,
        next_page_token: bytes | None,
        limit: int | None,
    ) -> None:
        self._native = native
        self._request = request
        self._page_size = page_size
        self._limit = limit
        self._yielded = 0
        self._started = False
        #: The page fetched last (``None`` before the first fetch).
        self.current_page: list[WorkflowExecution] | None = None
        #: Index in ``current_page`` of the next execution to return.
        self.current_page_index = 0
        #: Token of the next page, or ``None`` once the last page was fetched.
        self.next_page_token: bytes | None = next_page_token

    def _page_request(self, page_size: int | None) -> dict[str, Any]:
        if _requests.opt_int("page_size", page_size) is None:
            page_size = self._page_size
        if self._limit is not None:
            remaining = self._limit - self._yielded
            page_size = remaining if page_size is None else min(page_size, remaining)
        request = dict(self._request)
        if page_size is not None:
            request["page_size"] = page_size
        token = _requests.token_text("next_page_token", self.next_page_token)
        if token is not None:
            request["next_page_token"] = token
        return request

    def _take_page(self, response: Mapping[str, Any]) -> None:
        from binascii import a2b_base64

        from .common import WorkflowExecution

        self._started = True
        self.current_page = [WorkflowExecution(e) for e in response.get("executions") or []]
        self.current_page_index = 0
        token = response.get("next_page_token")
        self.next_page_token = a2b_base64(token) if token else None

    def _step(self) -> tuple[bool, WorkflowExecution | None]:
        """``(True, execution)`` or ``(True, None)`` at the end; ``(False,
        None)`` when the next page must be fetched first."""
        if self._limit is not None and self._yielded >= self._limit:
            return True, None
        page = self.current_page
        if page is not None and self.current_page_index < len(page):
            execution = page[self.current_page_index]
            self.current_page_index += 1
            self._yielded += 1
            return True, execution
        if self._started and self.next_page_token is None:
            return True, None
        return False, None


def _handle_args(started: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """(workflow_id, run_id, first_execution_run_id guard) of a start response."""
    # The core decides the guard (`started_workflow_handle`): the started
    # run, or none when use_existing found a run that may be a later one.
    return started["workflow_id"], started["run_id"], started["first_execution_run_id"]


class WorkflowHandle(_HandleBase):
    """A workflow execution addressed by ID (and optionally run). Creating a
    handle makes no call; every method blocks until the server answers."""

    __slots__ = ()

    def result(
        self, *, timeout: Duration | None = None, follow_runs: bool = True, raw: bool = False, decode: bool = False
    ) -> Any:
        """Waits for the workflow to close and returns its result.

        Works from any process that knows the workflow ID. Other endings
        raise ``WorkflowFailedError``, ``WorkflowCanceledError``,
        ``WorkflowTerminatedError``, ``WorkflowTimedOutError`` (or, with
        ``follow_runs=False``, ``WorkflowContinuedAsNewError``). ``timeout``
        bounds the wait (``CallTimeoutError``); Ctrl-C interrupts it. Neither
        touches the workflow. ``raw=True`` returns the result payloads
        untouched, as a list of ``Payload`` (as stored: with a payload codec,
        ``decode=True`` decodes them first).
        """
        request = self._result_request(timeout, follow_runs, raw, decode)
        response = _call(self._native, "get_workflow_result", request, raw)
        return _result_value(response, raw)

    def cancel(self, reason: str | None = None, *, rpc_timeout: Duration | None = None) -> None:
        """Requests cancellation. The workflow decides how to react (it may
        clean up first); ``result()`` then raises ``WorkflowCanceledError``."""
        _call(self._native, "cancel_workflow", self._cancel_request(reason, rpc_timeout))

    def terminate(
        self,
        reason: str | None = None,
        details: Sequence[Any] | None = None,
        *,
        rpc_timeout: Duration | None = None,
    ) -> None:
        """Terminates the workflow at once (it gets no chance to clean up)."""
        _call(self._native, "terminate_workflow", self._terminate_request(reason, details, rpc_timeout))

    def describe(self, *, rpc_timeout: Duration | None = None) -> WorkflowExecutionDescription:
        """Status, type, times, memo, search attributes, pending activities."""
        return _description(_call(self._native, "describe_workflow", self._describe_request(rpc_timeout)))

    def reset(
        self,
        reset_type: str | None = None,
        *,
        event_id: int | None = None,
        reason: str | None = None,
        reapply_signals: bool = True,
        request_id: str | None = None,
        rpc_timeout: Duration | None = None,
    ) -> WorkflowHandle:
        """Resets the workflow: its run is terminated and a new run continues
        from a completed workflow task of its history, running the workflow's
        code again from there. ``reset_type`` is ``"last_workflow_task"`` (the
        default) or ``"first_workflow_task"``; or give the exact ``event_id``
        instead. Signals received after that point reach the new run unless
        ``reapply_signals`` is false. Returns a handle to the new run."""
        request = self._reset_request(reset_type, event_id, reason, reapply_signals, request_id, rpc_timeout)
        response = _call(self._native, "reset_workflow", request)
        return WorkflowHandle(self._native, self.id, response["run_id"], None, response["run_id"])

    def signal(
        self,
        signal: str,
        *args: Any,
        raw_args: Sequence[Payload] | None = None,
        rpc_timeout: Duration | None = None,
    ) -> None:
        """Sends the signal ``signal`` with ``args``. Returns once the server
        recorded it (not once the workflow handled it); a retried signal is
        delivered once. Raises ``NotFoundError`` if the workflow is not
        running. A signal the workflow has no handler for is not an error
        here (SDKs buffer or drop it)."""
        _call(self._native, "signal_workflow", self._signal_request(signal, args, raw_args, rpc_timeout))

    def query(
        self,
        query: str,
        *args: Any,
        reject_condition: QueryRejectCondition | str | None = None,
        raw_args: Sequence[Payload] | None = None,
        raw: bool = False,
        decode: bool = False,
        rpc_timeout: Duration | None = None,
    ) -> Any:
        """Asks the workflow's worker to run the query handler ``query`` and
        returns its answer (also for a closed workflow: a worker replays it).

        Raises ``WorkflowQueryFailedError`` when there is no such handler or
        it raised, ``WorkflowQueryRejectedError`` (``.status``) when
        ``reject_condition`` (``QueryRejectCondition`` or its name) refused
        it. ``raw=True`` returns the answer's payloads as a list of ``Payload``
        (as the worker sent them: with a payload codec, ``decode=True``
        decodes them first).
        """
        request = self._query_request(query, args, reject_condition, raw_args, raw, rpc_timeout, decode)
        return _result_value(_call(self._native, "query_workflow", request), raw)

    def execute_update(
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
        """Sends the update ``update`` and waits for its handler's result.

        ``id`` defaults to a random UUID; sending the same ID again refers to
        the same update (it is not run twice). Raises
        ``WorkflowUpdateFailedError`` (``.failure``) when the validator
        rejected it, no handler exists, or the handler failed. ``timeout``
        (or ``rpc_timeout``, its older name here) bounds the whole call, the
        wait for the handler included.
        """
        request = self._update_request(update, args, id, "completed", raw_args, raw, timeout, rpc_timeout, decode)
        return _result_value(_call(self._native, "execute_update", request, raw), raw)

    def start_update(
        self,
        update: str,
        *args: Any,
        id: str | None = None,
        wait_for_stage: WorkflowUpdateStage | str | None = None,
        raw_args: Sequence[Payload] | None = None,
        raw: bool = False,
        timeout: Duration | None = None,
        rpc_timeout: Duration | None = None,
    ) -> WorkflowUpdateHandle:
        """Sends the update ``update`` and returns its handle once a worker
        accepted it (``wait_for_stage=WorkflowUpdateStage.ACCEPTED``, the
        default) or once it completed (``COMPLETED``). ``handle.result()``
        waits for the outcome. A rejected update raises
        ``WorkflowUpdateFailedError`` here already."""
        stage = "accepted" if wait_for_stage is None else wait_for_stage
        request = self._update_request(update, args, id, stage, raw_args, raw, timeout, rpc_timeout)
        response = _call(self._native, "execute_update", request, raw)
        return self._sent_update(WorkflowUpdateHandle, update, response, raw)

    def get_update_handle(self, id: str, *, workflow_run_id: str | None = None) -> WorkflowUpdateHandle:
        """A handle for an update sent earlier (by any process) with ID
        ``id``; no call is made."""
        _requests.check_str("id", id)
        _requests.opt_str("workflow_run_id", workflow_run_id)
        return WorkflowUpdateHandle(self._native, id, self.id, workflow_run_id or self._target_run_id)

    def fetch_history(
        self, *, follow: bool = False, timeout: Duration | None = None, decode: bool = False
    ) -> dict[str, Any]:
        """Every event of the run so far, as the canonical proto-JSON that
        ``temporal workflow show --output json`` prints (``{"events": [...]}``:
        camelCase fields, enum names, 64-bit integers as strings).

        ``follow=True`` keeps waiting for new events until the run closes,
        bounded by ``timeout`` (``CallTimeoutError``); Ctrl-C interrupts it.
        Payloads are as stored; ``decode=True`` runs them through the
        client's payload codec.
        """
        request = self._history_request(follow, timeout, decode)
        result: dict[str, Any] = _call(self._native, "fetch_history", request)
        return result


class WorkflowUpdateHandle(_UpdateHandleBase):
    """An update sent to a workflow (``start_update``, ``get_update_handle``):
    ``id`` and ``result()``."""

    __slots__ = ()

    def result(self, *, timeout: Duration | None = None, raw: bool = False, decode: bool = False) -> Any:
        """Waits for the update's outcome and returns its result (at once if
        it is known already). Raises ``WorkflowUpdateFailedError`` if the
        handler failed. ``timeout`` bounds the wait (``CallTimeoutError``),
        which never touches the update. ``raw=True`` returns payloads as
        stored (``decode=True``: through the payload codec)."""
        key = (bool(raw), bool(decode) and bool(raw))
        if self._outcome is not None and self._outcome[0] == key:
            return self._outcome[1]
        request = self._result_request(timeout, raw, decode)
        value = _result_value(_call(self._native, "get_update_result", request, raw), raw)
        self._outcome = (key, value)
        return value


class ActivityHandle(_ActivityHandleBase):
    """An activity that its worker left to be completed from outside
    (``activity.raise_complete_async()`` in Python, ``ErrResultPending`` in
    Go), by task token or by workflow/run/activity ID. Creating one makes no
    call."""

    __slots__ = ()

    def heartbeat(self, *details: Any, rpc_timeout: Duration | None = None) -> ActivityHeartbeatResponse:
        """Records a heartbeat with ``details``. The response says whether
        cancellation was requested (``.cancel_requested``): that is how an
        async activity learns it; nothing is raised for it."""
        response = _call(self._native, "heartbeat_activity", self._details_request(details, rpc_timeout))
        return _heartbeat_response(response)

    def complete(self, result: Any = None, *, rpc_timeout: Duration | None = None) -> None:
        """Completes the activity with ``result`` (one ``json/plain``
        payload; ``None``: no result)."""
        _call(self._native, "complete_activity", self._complete_request(result, rpc_timeout))

    def fail(
        self,
        error: BaseException | str,
        *,
        type: str | None = None,
        non_retryable: bool | None = None,
        details: Sequence[Any] | None = None,
        last_heartbeat_details: Sequence[Any] = (),
        rpc_timeout: Duration | None = None,
    ) -> None:
        """Fails the activity with an application failure: ``error``'s
        message, and as its type ``type`` or else the exception's own ``type``
        (``temporalio``'s ``ApplicationError``) or class name. The workflow
        sees it as the cause of an activity failure unless the activity's
        retry policy retries it (``non_retryable=True`` prevents that)."""
        request = self._fail_request(error, type, non_retryable, details, last_heartbeat_details, rpc_timeout)
        _call(self._native, "fail_activity", request)

    def report_cancellation(self, *details: Any, rpc_timeout: Duration | None = None) -> None:
        """Reports the activity as cancelled, normally after a heartbeat said
        ``cancel_requested``."""
        _call(self._native, "report_activity_cancellation", self._details_request(details, rpc_timeout))


class WorkflowExecutionIterator(_ExecutionPages):
    """The executions a visibility query matches, fetched a page at a time as
    iteration reaches them (``for execution in client.list_workflows(...)``).
    """

    __slots__ = ()

    def __iter__(self) -> WorkflowExecutionIterator:
        return self

    def __next__(self) -> WorkflowExecution:
        while True:
            ready, execution = self._step()
            if not ready:
                self.fetch_next_page()
                continue
            if execution is None:
                raise StopIteration
            return execution

    def fetch_next_page(self, *, page_size: int | None = None) -> None:
        """Fetches the next page into ``current_page`` (iteration does this
        on its own)."""
        self._take_page(_call(self._native, "list_workflows", self._page_request(page_size)))


class _Credentials:
    """``api_key`` and ``rpc_metadata`` of both clients, replaceable while
    the client is in use."""

    __slots__ = ()

    _native: _native.NativeClient

    @property
    def api_key(self) -> str | None:
        """The API key calls send. Assigning a new one (or ``None``) applies
        to every later call and to the next attempt of calls in flight (a
        result wait's re-polls); no call sees half of a change."""
        return self._native.api_key

    @api_key.setter
    def api_key(self, value: str | None) -> None:
        self._update_credentials({"api_key": _requests.opt_str("api_key", value)})

    @property
    def rpc_metadata(self) -> dict[str, str]:
        """The extra gRPC metadata calls send; assigning replaces all of it
        (as ``api_key`` does)."""
        return dict(self._native.headers)

    @rpc_metadata.setter
    def rpc_metadata(self, value: Mapping[str, str]) -> None:
        self._update_credentials({"headers": _requests.str_map("rpc_metadata", value) or {}})

    def _update_credentials(self, update: dict[str, Any]) -> None:
        try:
            self._native.update_credentials(_native.to_json(update))
        except _native.NativeError as err:
            raise _from_error(err.args[0]) from None


class Client(_Services, _Credentials):
    """A connection to a Temporal namespace. Blocking calls release the GIL,
    so one client can serve many threads at once; Ctrl-C interrupts any call.
    Use ``temporal_bridge.AsyncClient`` under asyncio."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.NativeClient) -> None:
        """Internal: use ``Client.connect``."""
        self._native = native

    @classmethod
    def connect(
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
    ) -> Client:
        """Connects to ``target_host`` (``"host:port"``) and checks that a
        Temporal server answers.

        ``api_key`` is sent as ``authorization: Bearer ...`` and implies TLS
        unless ``tls=False``; ``tls`` is ``True`` (system roots) or a
        ``TLSConfig`` (custom CA, server name, mTLS). ``rpc_metadata`` adds
        gRPC headers to every call. ``rpc_timeout`` bounds each ordinary RPC
        attempt (default 10 s), ``connect_timeout`` the connection (10 s).

        Without ``target_host`` (or with ``profile`` / ``config_file``) the
        client configuration applies, as in every Temporal SDK and the CLI:
        the TOML profiles file (``config_file``, else ``TEMPORAL_CONFIG_FILE``,
        else ``~/.config/temporalio/temporal.toml``), the profile ``profile``
        (else ``TEMPORAL_PROFILE``, else ``default``), ``TEMPORAL_*``
        variables on top, and the arguments given here over all of it
        (``config_strict`` rejects unknown keys). See
        ``temporal_bridge.envconfig``.

        ``keep_alive_config`` sets (or with ``KeepAliveConfig.DISABLED``
        turns off) HTTP/2 keepalive pings; ``http_connect_proxy_config``
        tunnels through an HTTP CONNECT proxy; ``lazy=True`` returns at once
        and connects on the first call; ``compression="gzip"`` compresses
        requests. ``rpc_metadata`` names ending in
        ``-bin`` are binary metadata (values in base64).

        ``payload_codec`` encodes and decodes every payload in process (an
        object with ``encode``/``decode``, e.g. a
        ``temporalio.converter.PayloadCodec``); ``codec`` is a codec server
        (``{"endpoint", "auth"?, "headers"?, "timeout"?, "tls"?}``) and what
        a codec covers (``include_memo``, ``encode_failure_attributes``). See
        ``temporal_bridge.codec``.

        A call (not a long poll) that takes ``slow_call_threshold`` or longer,
        retries included, is logged as a warning (default 2 s; 0 logs none;
        see ``temporal_bridge.logs``).
        """
        options, adapter = _requests.connect_request(
            target_host, namespace, api_key, tls, identity, rpc_metadata, rpc_timeout, connect_timeout, retry_config,
            profile, config_file, config_strict, keep_alive_config, http_connect_proxy_config, lazy,
            compression, payload_codec, codec, slow_call_threshold,
        )  # fmt: skip
        try:
            native = _native.connect(_native.to_json(options), adapter)
        except _native.NativeError as err:
            raise _from_error(err.args[0]) from None
        return cls(native)

    @property
    def namespace(self) -> str:
        return self._native.namespace

    @property
    def identity(self) -> str:
        return self._native.identity

    @property
    def server_version(self) -> str:
        return self._native.server_version

    def start_workflow(
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
    ) -> WorkflowHandle:
        """Starts a workflow by its type name (written with any Temporal SDK)
        on ``task_queue`` and returns its handle (``handle.id``,
        ``handle.run_id``).

        ``args`` become one ``json/plain`` payload each (values JSON cannot
        carry raise ``TypeError`` before anything is sent); ``raw_args``
        passes ``Payload``s through instead. ``id`` defaults to a random UUID.
        Durations are ``timedelta``, seconds, or strings like ``"1h30m"``;
        policies are enum members or their names. ``rpc_timeout`` bounds
        this call. Raises ``WorkflowAlreadyStartedError`` (with ``run_id``)
        if the ID is taken.

        Signal-with-start: with ``start_signal`` (and ``start_signal_args``)
        the signal is sent along with the start; a workflow already running
        with this ID is signaled instead of started (the handle then
        addresses that run).
        """
        request = _requests.start_workflow(
            workflow, args, id, task_queue, execution_timeout, run_timeout, task_timeout, id_reuse_policy,
            id_conflict_policy, retry_policy, cron_schedule, memo, search_attributes, start_delay, request_id,
            raw_args, rpc_timeout, start_signal, start_signal_args,
        )  # fmt: skip
        workflow_id, run_id, first = _handle_args(_call(self._native, "start_workflow", request))
        return WorkflowHandle(self._native, workflow_id, run_id, first, None)

    def execute_workflow(
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
        """``start_workflow(...)`` then ``result(timeout=result_timeout)``."""
        handle = self.start_workflow(
            workflow, *args, id=id, task_queue=task_queue, execution_timeout=execution_timeout,
            run_timeout=run_timeout, task_timeout=task_timeout, id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy, retry_policy=retry_policy, cron_schedule=cron_schedule,
            memo=memo, search_attributes=search_attributes, start_delay=start_delay, request_id=request_id,
            raw_args=raw_args, rpc_timeout=rpc_timeout, start_signal=start_signal,
            start_signal_args=start_signal_args,
        )  # fmt: skip
        return handle.result(timeout=result_timeout)

    def get_workflow_handle(
        self, workflow_id: str, *, run_id: str | None = None, first_execution_run_id: str | None = None
    ) -> WorkflowHandle:
        """A handle for an existing workflow (e.g. started by another
        process); no call is made. Without ``run_id`` it addresses the
        latest run."""
        _requests.check_str("workflow_id", workflow_id)
        _requests.opt_str("run_id", run_id)
        _requests.opt_str("first_execution_run_id", first_execution_run_id)
        return WorkflowHandle(self._native, workflow_id, run_id, first_execution_run_id, run_id)

    def list_workflows(
        self,
        query: str | None = None,
        *,
        page_size: int | None = None,
        next_page_token: bytes | None = None,
        limit: int | None = None,
        rpc_timeout: Duration | None = None,
    ) -> WorkflowExecutionIterator:
        """The workflow executions matching the visibility ``query`` (e.g.
        ``"WorkflowType = 'X' AND ExecutionStatus = 'Running'"``; all of the
        namespace when ``None``), as an iterator of ``WorkflowExecution``.

        Nothing is fetched until iteration starts; pages of ``page_size``
        (the server's default when ``None``) follow as needed, each call
        bounded by ``rpc_timeout``. ``limit`` stops after that many;
        ``next_page_token`` resumes a listing (``iterator.next_page_token``).
        Visibility is eventually consistent: a workflow started a moment ago
        may not be listed yet. A malformed query raises
        ``InvalidArgumentError`` when the first page is fetched.
        """
        request = _list_request(query, page_size, next_page_token, limit, rpc_timeout)
        return WorkflowExecutionIterator(self._native, request, page_size, next_page_token, limit)

    def count_workflows(
        self, query: str | None = None, *, rpc_timeout: Duration | None = None
    ) -> WorkflowExecutionCount:
        """How many executions match the visibility ``query`` (all of the
        namespace when ``None``). With ``GROUP BY ExecutionStatus`` the
        result's ``groups`` count each group."""
        request = _requests.count_workflows(query, rpc_timeout)
        return _execution_count(_call(self._native, "count_workflows", request))

    def call_rpc(
        self,
        service: str,
        method: str,
        request: Mapping[str, Any] | bytes | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        rpc_timeout: Duration | None = None,
    ) -> Any:
        """Calls any RPC of the Temporal API by name: ``service`` is
        ``"workflow"``, ``"operator"``, ``"cloud"``, ``"test"`` or
        ``"health"``, ``method`` as in the service definition
        (``"DescribeTaskQueue"``, or ``"describe_task_queue"``). ``request``
        is a dict in the protobuf JSON mapping (returns the response as a
        dict in the same mapping) or the message's protobuf ``bytes``
        (returns the response's bytes). ``headers`` are gRPC metadata for
        this call; ``timeout`` bounds the whole call, ``rpc_timeout`` each
        attempt. Read-only methods and those whose request carries a
        ``request_id`` (generated when absent) are retried on transient
        failures; others are not. ``client.workflow_service`` and friends
        offer each method by its snake_case name; ``rpc_methods()`` lists
        them. Errors carry the server's details in ``error_details["grpc_details"]``.
        """
        body, raw = _requests.call_rpc(service, method, request, headers, timeout, rpc_timeout)
        return _requests.rpc_response(_call(self._native, "call_rpc", body), raw)

    # ------------------------------------------------------------ schedules

    def create_schedule(
        self,
        id: str,
        schedule: Schedule,
        *,
        trigger_immediately: bool = False,
        backfill: Sequence[ScheduleBackfill] = (),
        memo: Mapping[str, Any] | None = None,
        search_attributes: Mapping[str, Any] | None = None,
    ) -> ScheduleHandle:
        """Creates a schedule (see ``temporal_bridge.schedule``) and returns
        its handle. ``trigger_immediately`` takes the action once now;
        ``backfill`` takes the actions of past ranges now."""
        from .schedule import ScheduleHandle, create_request

        request = create_request(id, schedule, trigger_immediately, backfill, memo, search_attributes)
        _call(self._native, "create_schedule", request)
        return ScheduleHandle(self._operation, id)

    def get_schedule_handle(self, id: str) -> ScheduleHandle:
        """A handle to an existing schedule (no call is made)."""
        from .schedule import ScheduleHandle

        return ScheduleHandle(self._operation, _requests.check_str("id", id))

    def list_schedules(self, query: str | None = None, *, page_size: int | None = None) -> ScheduleIterator:
        """Schedules (matching the visibility ``query``), paged lazily."""
        from .schedule import ScheduleIterator, list_request

        return ScheduleIterator(self._operation, list_request(query, page_size))

    def _operation(self, operation: str, request: dict[str, Any]) -> Any:
        return _call(self._native, operation, request)

    # ------------------------------------ task queues, namespaces, attributes

    def describe_task_queue(self, task_queue: str, *, task_queue_type: str = "workflow") -> dict[str, Any]:
        """The task queue's ``pollers`` (are workers listening?) and more, as
        the server's ``DescribeTaskQueueResponse`` in the protobuf JSON
        mapping. ``task_queue_type``: ``"workflow"``, ``"activity"`` or ``"nexus"``."""
        result: dict[str, Any] = _call(
            self._native, "describe_task_queue", _requests.describe_task_queue(task_queue, task_queue_type)
        )
        return result

    def register_namespace(
        self, name: str, *, retention: Duration = 72 * 3600, description: str | None = None
    ) -> None:
        """Registers a namespace keeping closed workflows for ``retention``."""
        _call(self._native, "register_namespace", _requests.register_namespace(name, retention, description))

    def describe_namespace(self, name: str | None = None) -> dict[str, Any]:
        """A namespace (this client's when ``None``): ``namespaceInfo``,
        ``config``, ... in the protobuf JSON mapping."""
        result: dict[str, Any] = _call(self._native, "describe_namespace", {"namespace": name} if name else {})
        return result

    def list_namespaces(self) -> list[dict[str, Any]]:
        """Every namespace (all pages), as ``describe_namespace`` gives each."""
        namespaces: list[dict[str, Any]] = []
        request: dict[str, Any] = {}
        while True:
            page = _call(self._native, "list_namespaces", request)
            namespaces.extend(page.get("namespaces", []))
            token = page.get("nextPageToken")
            if not token:
                return namespaces
            request = {"nextPageToken": token}

    def update_namespace(
        self, name: str | None = None, *, description: str | None = None, retention: Duration | None = None
    ) -> dict[str, Any]:
        """Changes a namespace's description or retention."""
        result: dict[str, Any] = _call(
            self._native, "update_namespace", _requests.update_namespace(name, description, retention)
        )
        return result

    def add_search_attributes(self, attributes: Mapping[str, str]) -> None:
        """Registers custom search attributes: name -> type (``"keyword"``,
        ``"text"``, ``"int"``, ``"double"``, ``"bool"``, ``"datetime"``,
        ``"keyword_list"``, or the ``INDEXED_VALUE_TYPE_*`` name)."""
        _call(self._native, "add_search_attributes", _requests.add_search_attributes(attributes))

    def list_search_attributes(self) -> dict[str, Any]:
        """``customAttributes`` and ``systemAttributes`` (name -> type)."""
        result: dict[str, Any] = _call(self._native, "list_search_attributes", {})
        return result

    def remove_search_attributes(self, names: Sequence[str]) -> None:
        """Unregisters custom search attributes."""
        _call(self._native, "remove_search_attributes", {"searchAttributes": [_requests.check_str("name", n) for n in names]})

    def get_async_activity_handle(
        self,
        *,
        task_token: bytes | None = None,
        workflow_id: str | None = None,
        run_id: str | None = None,
        activity_id: str | None = None,
    ) -> ActivityHandle:
        """A handle to heartbeat, complete, fail or report cancelled an
        activity completed from outside its worker: by ``task_token`` (the
        attempt's token, bytes), or by ``workflow_id`` + ``activity_id``
        (+ ``run_id``, else the latest run). No call is made; giving both
        or neither is an ``InvalidArgumentError`` on the first call."""
        return ActivityHandle(self._native, _requests.activity_target(task_token, workflow_id, run_id, activity_id))

    def batch_cancel_workflows(
        self, query: str, *, reason: str, job_id: str | None = None, rpc_timeout: Duration | None = None
    ) -> str:
        """Starts a server-side batch job that requests cancellation of every
        workflow the visibility ``query`` matches; returns the job's ID
        (``job_id``, else a random UUID) once it started. See
        ``wait_batch_operation``."""
        request = _requests.batch(query, reason, job_id, rpc_timeout)
        response = _call(self._native, "batch_cancel_workflows", request)
        return str(response["job_id"])

    def batch_terminate_workflows(
        self, query: str, *, reason: str, job_id: str | None = None, rpc_timeout: Duration | None = None
    ) -> str:
        """Starts a server-side batch job that terminates every workflow the
        visibility ``query`` matches; returns the job's ID once it started."""
        request = _requests.batch(query, reason, job_id, rpc_timeout)
        response = _call(self._native, "batch_terminate_workflows", request)
        return str(response["job_id"])

    def wait_batch_operation(self, job_id: str, *, timeout: Duration | None = None) -> BatchOperationResult:
        """Waits until the batch job ``job_id`` has finished and returns what
        it did. ``timeout`` bounds the wait (``CallTimeoutError``), which
        never touches the job."""
        response = _call(self._native, "wait_batch_operation", _requests.wait_batch(job_id, timeout))
        return _batch_result(response)

    def close(self) -> None:
        """Cancels the calls in flight (``CallCancelledError``) and refuses
        new ones. Workflows are not touched. Idempotent."""
        self._native.close()

    @property
    def closed(self) -> bool:
        return self._native.closed

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(namespace={self.namespace!r}, identity={self.identity!r})"
