"""Stubs of the native module (python/src/lib.rs). Checked by
``python -m mypy.stubtest temporal_bridge._native``."""

from typing import Any, final

__all__ = [
    "__version__",
    "OPERATIONS",
    "ERROR_KINDS",
    "NativeError",
    "NativeClient",
    "PendingCall",
    "CompletionQueue",
    "connect",
    "connect_async",
    "to_json",
    "from_json",
    "rpc_methods",
    "client_config",
]

__version__: str
#: Every operation name ``NativeClient.call`` accepts.
OPERATIONS: tuple[str, ...]
#: Every error kind the core can report (the ``kind`` of an error object).
ERROR_KINDS: tuple[str, ...]

class NativeError(Exception):
    """An error from the core; ``args[0]`` is its error object as Python
    values: ``{"kind": str, "message": str, "details": dict}``."""

@final
class NativeClient:
    def call(self, operation: str, request: object) -> Any: ...
    def call_async(self, operation: str, request: object, queue: CompletionQueue, key: int) -> PendingCall: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def namespace(self) -> str: ...
    @property
    def identity(self) -> str: ...
    @property
    def api_key(self) -> str | None: ...
    @property
    def headers(self) -> dict[str, str]: ...
    def update_credentials(self, update_json: str) -> None: ...
    @property
    def server_version(self) -> str: ...
    @property
    def pending_calls(self) -> int: ...

@final
class CompletionQueue:
    def __init__(self) -> None: ...
    def fileno(self) -> int: ...
    def drain(self) -> list[tuple[int, bool, Any]]:
        """Outcomes waiting: ``(key, True, response)``, ``(key, True, NativeClient)``
        for a connect, or ``(key, False, error)`` with the error object as in
        ``NativeError.args[0]``."""

@final
class PendingCall:
    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...

def connect(options_json: str) -> NativeClient: ...
def connect_async(options_json: str, queue: CompletionQueue, key: int) -> PendingCall: ...
def to_json(value: object) -> str: ...
def from_json(text: str) -> Any: ...
def rpc_methods(service: str | None = None) -> dict[str, Any]: ...
def client_config(options_json: str) -> dict[str, Any]: ...
