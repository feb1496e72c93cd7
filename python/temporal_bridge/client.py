"""The blocking client: ``Client`` and ``WorkflowHandle``.

Each method builds the core's JSON request, runs it through the native
module (which releases the GIL and stays interruptible by Ctrl-C) and turns
the JSON response or error back into Python values or exceptions. The
asyncio flavour (``temporal_bridge.aio``) shares the request building here.
"""

from __future__ import annotations

from . import _native, _requests
from .exceptions import _from_error_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import TracebackType
    from typing import Any

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

__all__ = ["Client", "WorkflowHandle"]


def _call(native: _native.NativeClient, operation: str, request: Mapping[str, Any], raw: bool = False) -> Any:
    try:
        text = native.call(operation, _native.to_json(request))
    except _native.NativeError as err:
        raise _from_error_json(err.args[0], raw) from None
    return _native.from_json(text)


def _result_value(response: Mapping[str, Any], raw: bool) -> Any:
    if raw:
        from .common import Payload

        return [Payload._from_json(p) for p in response.get("payloads") or []]
    return response.get("result")


def _description(response: dict[str, Any]) -> WorkflowExecutionDescription:
    from .common import WorkflowExecutionDescription

    return WorkflowExecutionDescription(response)


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
        self._target_run_id = target_run_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, run_id={self.run_id!r})"

    def _result_request(self, timeout: Duration | None, follow_runs: bool, raw: bool) -> dict[str, Any]:
        return _requests.drop_none(
            {
                "workflow_id": self.id,
                "run_id": self.run_id,
                "follow_runs": bool(follow_runs),
                "raw": bool(raw),
                "call_timeout": _requests.duration("timeout", timeout),
            }
        )

    def _cancel_request(self, reason: str | None, rpc_timeout: Duration | None) -> dict[str, Any]:
        return _requests.drop_none(
            {
                "workflow_id": self.id,
                "run_id": self._target_run_id,
                "first_execution_run_id": self.first_execution_run_id,
                "reason": _requests.opt_str("reason", reason),
                "call_timeout": _requests.duration("rpc_timeout", rpc_timeout),
            }
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
        return _requests.drop_none(
            {
                "workflow_id": self.id,
                "run_id": self._target_run_id,
                "call_timeout": _requests.duration("rpc_timeout", rpc_timeout),
            }
        )


def _handle_args(started: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """(workflow_id, run_id, first_execution_run_id guard) of a start response."""
    run_id = started["run_id"]
    # With id_conflict_policy=use_existing the run may belong to an older chain.
    return started["workflow_id"], run_id, run_id if started.get("started", True) else None


class WorkflowHandle(_HandleBase):
    """A workflow execution addressed by ID (and optionally run). Creating a
    handle makes no call; every method blocks until the server answers."""

    __slots__ = ()

    def result(self, *, timeout: Duration | None = None, follow_runs: bool = True, raw: bool = False) -> Any:
        """Waits for the workflow to close and returns its result.

        Works from any process that knows the workflow ID. Other endings
        raise ``WorkflowFailedError``, ``WorkflowCanceledError``,
        ``WorkflowTerminatedError``, ``WorkflowTimedOutError`` (or, with
        ``follow_runs=False``, ``WorkflowContinuedAsNewError``). ``timeout``
        bounds the wait (``CallTimeoutError``); Ctrl-C interrupts it. Neither
        touches the workflow. ``raw=True`` returns the result payloads
        untouched, as a list of ``Payload``.
        """
        response = _call(self._native, "get_workflow_result", self._result_request(timeout, follow_runs, raw), raw)
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


class Client:
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
    ) -> Client:
        """Connects to ``target_host`` (``"host:port"``) and checks that a
        Temporal server answers.

        ``api_key`` is sent as ``authorization: Bearer ...`` and implies TLS
        unless ``tls=False``; ``tls`` is ``True`` (system roots) or a
        ``TLSConfig`` (custom CA, server name, mTLS). ``rpc_metadata`` adds
        gRPC headers to every call. ``rpc_timeout`` bounds each ordinary RPC
        attempt (default 10 s), ``connect_timeout`` the connection (10 s).
        """
        options = _requests.connect_options(
            target_host, namespace, api_key, tls, identity, rpc_metadata, rpc_timeout, connect_timeout, retry_config
        )
        try:
            native = _native.connect(_native.to_json(options))
        except _native.NativeError as err:
            raise _from_error_json(err.args[0]) from None
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
        """
        request = _requests.start_workflow(
            workflow, args, id, task_queue, execution_timeout, run_timeout, task_timeout, id_reuse_policy,
            id_conflict_policy, retry_policy, cron_schedule, memo, search_attributes, start_delay, request_id,
            raw_args, rpc_timeout,
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
        result_timeout: Duration | None = None,
    ) -> Any:
        """``start_workflow(...)`` then ``result(timeout=result_timeout)``."""
        handle = self.start_workflow(
            workflow, *args, id=id, task_queue=task_queue, execution_timeout=execution_timeout,
            run_timeout=run_timeout, task_timeout=task_timeout, id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy, retry_policy=retry_policy, cron_schedule=cron_schedule,
            memo=memo, search_attributes=search_attributes, start_delay=start_delay, request_id=request_id,
            raw_args=raw_args, rpc_timeout=rpc_timeout,
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
