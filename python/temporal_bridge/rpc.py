"""Any RPC of the Temporal API by name: ``client.workflow_service``,
``operator_service``, ``cloud_service``, ``test_service`` and
``health_service`` have one method per RPC, in snake_case
(``client.workflow_service.describe_task_queue({...})``), each a shorthand
for ``client.call_rpc(service, method, request)``. ``dir()`` lists them;
``rpc_methods()`` describes them (request and response types, whether a
failed attempt is retried, long polls).

Requests and responses are dicts in the protobuf JSON mapping (lowerCamel
or original field names, enums by name, 64-bit integers as strings in
responses), or ``bytes`` of the protobuf message in raw mode.
"""

from __future__ import annotations

from . import _native

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from ._requests import Duration

__all__ = ["RpcService", "rpc_methods"]


def rpc_methods(service: str | None = None) -> list[dict[str, Any]]:
    """Every method ``call_rpc`` can call (of one service, or all): dicts
    with ``service``, ``method``, ``request_type``, ``response_type``,
    ``repeat`` (``"read_only"``, ``"request_id"`` or ``"never"``: when a
    failed attempt is made again) and ``long_poll``. Needs no client."""
    try:
        methods: list[dict[str, Any]] = _native.rpc_methods(service)["methods"]
    except _native.NativeError as err:
        from .exceptions import _from_error

        raise _from_error(err.args[0]) from None
    return methods


def snake_case(method: str) -> str:
    """``DescribeTaskQueue`` -> ``describe_task_queue``."""
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(method))


class RpcService:
    """One service's RPCs as methods: ``service.describe_task_queue(request,
    headers=..., timeout=..., rpc_timeout=...)``. With the asyncio client
    each method returns a coroutine."""

    __slots__ = ("_service", "_call", "_names")

    def __init__(self, service: str, call: Callable[..., Any]) -> None:
        self._service = service
        self._call = call
        self._names: dict[str, str] | None = None

    def _methods(self) -> dict[str, str]:
        if self._names is None:
            self._names = {snake_case(m["method"]): m["method"] for m in rpc_methods(self._service)}
        return self._names

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        method = self._methods().get(name)
        if method is None:
            raise AttributeError(f"the {self._service} service has no method {name!r} (see dir() for the list)")
        service, call = self._service, self._call

        def rpc(
            request: Mapping[str, Any] | bytes | None = None,
            *,
            headers: Mapping[str, str] | None = None,
            timeout: Duration | None = None,
            rpc_timeout: Duration | None = None,
        ) -> Any:
            return call(service, method, request, headers=headers, timeout=timeout, rpc_timeout=rpc_timeout)

        rpc.__name__ = name
        rpc.__doc__ = f"Calls {service} service's {method} (see ``call_rpc``)."
        return rpc

    def __dir__(self) -> list[str]:
        return sorted(self._methods())

    def __repr__(self) -> str:
        return f"RpcService({self._service!r})"


class _Services:
    """The ``*_service`` properties of both clients, over their ``call_rpc``."""

    __slots__ = ()

    call_rpc: Callable[..., Any]

    @property
    def workflow_service(self) -> RpcService:
        """The workflow service's RPCs (``temporal.api.workflowservice.v1``)."""
        return RpcService("workflow", self.call_rpc)

    @property
    def operator_service(self) -> RpcService:
        """The operator service's RPCs: namespaces, search attributes, clusters."""
        return RpcService("operator", self.call_rpc)

    @property
    def cloud_service(self) -> RpcService:
        """Temporal Cloud's cloud operations API (its own endpoint)."""
        return RpcService("cloud", self.call_rpc)

    @property
    def test_service(self) -> RpcService:
        """The test server's time-skipping RPCs."""
        return RpcService("test", self.call_rpc)

    @property
    def health_service(self) -> RpcService:
        """The gRPC health check (``check({"service": ...})``)."""
        return RpcService("health", self.call_rpc)
