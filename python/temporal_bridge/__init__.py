"""temporal_bridge: a small, fast Temporal client for Python, built on a Rust
core. Start workflows written with any Temporal SDK by type name, wait for
their results from any process, cancel, terminate and describe them; signal,
query and update them; list, count and batch-cancel or -terminate them by
visibility query; fetch their histories; complete activities from outside
their workers; serve activities with ``Worker`` (see ``temporal_bridge.activity``).

    from temporal_bridge import Client

    client = Client.connect("127.0.0.1:7233", namespace="default")
    handle = client.start_workflow("MySimpleWorkflow", "World", id="wf-1", task_queue="q")
    print(handle.id, handle.run_id, handle.result(timeout=30))

``Client`` blocks (releasing the GIL; Ctrl-C interrupts any call);
``AsyncClient`` offers the same methods as coroutines. Errors derive from
``TemporalBridgeError``; values JSON cannot carry raise ``TypeError``.

The asyncio client and the value types (policies, ``RetryPolicy``,
``TLSConfig``...) load on first use, so ``import temporal_bridge`` stays cheap.
"""

from __future__ import annotations

from ._native import __version__
from .rpc import RpcService, rpc_methods
from .client import ActivityHandle, Client, WorkflowExecutionIterator, WorkflowHandle, WorkflowUpdateHandle
from .exceptions import (
    ApplicationError,
    CallCancelledError,
    CallTimeoutError,
    Failure,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    PayloadCodecError,
    PermissionDeniedError,
    RPCError,
    TemporalBridgeError,
    UnavailableError,
    WorkflowAlreadyStartedError,
    WorkflowCanceledError,
    WorkflowContinuedAsNewError,
    WorkflowFailedError,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowTerminatedError,
    WorkflowTimedOutError,
    WorkflowUpdateFailedError,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from . import activity, logs, metrics
    from .worker import Worker
    from .aio import (
        AsyncActivityHandle,
        AsyncClient,
        AsyncWorkflowHandle,
        AsyncWorkflowUpdateHandle,
        WorkflowExecutionAsyncIterator,
    )
    from .schedule import (
        AsyncScheduleHandle,
        AsyncScheduleIterator,
        Schedule,
        ScheduleActionStartWorkflow,
        ScheduleBackfill,
        ScheduleCalendarSpec,
        ScheduleDescription,
        ScheduleHandle,
        ScheduleInfo,
        ScheduleIntervalSpec,
        ScheduleIterator,
        ScheduleListDescription,
        ScheduleOverlapPolicy,
        SchedulePolicy,
        ScheduleRange,
        ScheduleSpec,
        ScheduleState,
        ScheduleUpdate,
        ScheduleUpdateConflictError,
        ScheduleUpdateInput,
    )
    from ._settings import HttpConnectProxyConfig, KeepAliveConfig
    from .codec import PayloadCodec
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
        WorkflowExecutionCountAggregationGroup,
        WorkflowExecutionDescription,
        WorkflowExecutionStatus,
        WorkflowIDConflictPolicy,
        WorkflowIDReusePolicy,
        WorkflowUpdateStage,
    )

# Loaded on first access (PEP 562): asyncio and enum cost start-up time that
# a script using only the blocking client should not pay.
_LAZY = {
    "Worker": "worker",
    "AsyncClient": "aio",
    "AsyncWorkflowHandle": "aio",
    "AsyncWorkflowUpdateHandle": "aio",
    "AsyncActivityHandle": "aio",
    "WorkflowExecutionAsyncIterator": "aio",
    "ActivityHeartbeatResponse": "common",
    "BatchOperationResult": "common",
    "Payload": "common",
    "PayloadCodec": "codec",
    "QueryRejectCondition": "common",
    "RetryConfig": "_settings",
    "KeepAliveConfig": "_settings",
    "HttpConnectProxyConfig": "_settings",
    "RetryPolicy": "_settings",
    "TLSConfig": "_settings",
    "WorkflowExecution": "common",
    "WorkflowExecutionCount": "common",
    "WorkflowExecutionCountAggregationGroup": "common",
    "WorkflowExecutionDescription": "common",
    "WorkflowExecutionStatus": "common",
    "WorkflowIDConflictPolicy": "common",
    "WorkflowIDReusePolicy": "common",
    "WorkflowUpdateStage": "common",
    "Schedule": "schedule",
    "ScheduleActionStartWorkflow": "schedule",
    "ScheduleBackfill": "schedule",
    "ScheduleCalendarSpec": "schedule",
    "ScheduleDescription": "schedule",
    "ScheduleHandle": "schedule",
    "ScheduleInfo": "schedule",
    "ScheduleIntervalSpec": "schedule",
    "ScheduleIterator": "schedule",
    "ScheduleListDescription": "schedule",
    "ScheduleOverlapPolicy": "schedule",
    "SchedulePolicy": "schedule",
    "ScheduleRange": "schedule",
    "ScheduleSpec": "schedule",
    "ScheduleState": "schedule",
    "ScheduleUpdate": "schedule",
    "ScheduleUpdateInput": "schedule",
    "ScheduleUpdateConflictError": "schedule",
    "AsyncScheduleHandle": "schedule",
    "AsyncScheduleIterator": "schedule",
}


#: Submodules loaded on first access as attributes of the package.
_LAZY_MODULES = ("activity", "logs", "metrics")


def __getattr__(name: str) -> object:
    from importlib import import_module

    if name in _LAZY_MODULES:
        return import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'temporal_bridge' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_MODULES))


__all__ = [
    "__version__",
    "Client",
    "Worker",
    "activity",
    "logs",
    "metrics",
    "WorkflowHandle",
    "WorkflowUpdateHandle",
    "ActivityHandle",
    "WorkflowExecutionIterator",
    "RpcService",
    "rpc_methods",
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
    "ScheduleUpdateInput",
    "ScheduleUpdateConflictError",
    "AsyncScheduleHandle",
    "AsyncScheduleIterator",
    "AsyncClient",
    "AsyncWorkflowHandle",
    "AsyncWorkflowUpdateHandle",
    "AsyncActivityHandle",
    "WorkflowExecutionAsyncIterator",
    "ActivityHeartbeatResponse",
    "BatchOperationResult",
    "Payload",
    "PayloadCodec",
    "PayloadCodecError",
    "QueryRejectCondition",
    "RetryConfig",
    "KeepAliveConfig",
    "HttpConnectProxyConfig",
    "RetryPolicy",
    "TLSConfig",
    "WorkflowExecution",
    "WorkflowExecutionCount",
    "WorkflowExecutionCountAggregationGroup",
    "WorkflowExecutionDescription",
    "WorkflowExecutionStatus",
    "WorkflowIDConflictPolicy",
    "WorkflowIDReusePolicy",
    "WorkflowUpdateStage",
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
