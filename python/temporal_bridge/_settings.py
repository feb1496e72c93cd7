"""The settings a client is made with, and the workflow retry policy:
plain records (equality and repr over ``__slots__``) that import nothing
else, so that a script connecting with TLS or retry settings does not pay
for the rest of ``temporal_bridge.common`` (enums, datetimes) at start-up.
Re-exported by ``temporal_bridge`` and ``temporal_bridge.common``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import timedelta

__all__ = ["RetryPolicy", "RetryConfig", "TLSConfig"]


class _Record:
    """Equality and repr over ``__slots__`` (dataclasses cost start-up time)."""

    __slots__: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(getattr(self, s) == getattr(other, s) for s in self.__slots__)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{s}={getattr(self, s)!r}" for s in self.__slots__)
        return f"{type(self).__name__}({fields})"


class RetryPolicy(_Record):
    """Workflow retry policy (the server retries the whole workflow).

    Unset fields take the server's defaults. Intervals are ``timedelta`` or
    seconds; ``maximum_attempts=0`` means unlimited.
    """

    __slots__ = (
        "initial_interval",
        "backoff_coefficient",
        "maximum_interval",
        "maximum_attempts",
        "non_retryable_error_types",
    )

    def __init__(
        self,
        initial_interval: timedelta | float | None = None,
        backoff_coefficient: float | None = None,
        maximum_interval: timedelta | float | None = None,
        maximum_attempts: int | None = None,
        non_retryable_error_types: Sequence[str] | None = None,
    ) -> None:
        self.initial_interval = initial_interval
        self.backoff_coefficient = backoff_coefficient
        self.maximum_interval = maximum_interval
        self.maximum_attempts = maximum_attempts
        self.non_retryable_error_types = list(non_retryable_error_types or [])


class RetryConfig(_Record):
    """How the client retries transient gRPC failures (``UNAVAILABLE``...).

    Unset fields keep the core's defaults (100 ms initial backoff growing 2x
    up to 5 s, 20 % jitter, 10 attempts within 30 s). Waiting for a result
    is patient regardless: it retries for as long as its own timeout allows.
    """

    __slots__ = ("initial_interval", "max_interval", "multiplier", "jitter", "max_attempts", "max_elapsed")

    def __init__(
        self,
        initial_interval: timedelta | float | None = None,
        max_interval: timedelta | float | None = None,
        multiplier: float | None = None,
        jitter: float | None = None,
        max_attempts: int | None = None,
        max_elapsed: timedelta | float | None = None,
    ) -> None:
        self.initial_interval = initial_interval
        self.max_interval = max_interval
        self.multiplier = multiplier
        self.jitter = jitter
        self.max_attempts = max_attempts
        self.max_elapsed = max_elapsed


class TLSConfig(_Record):
    """TLS settings: PEM text (``bytes`` or ``str``), not file paths.

    ``server_root_ca_cert`` replaces the system roots; ``domain`` overrides the
    server name checked; ``client_cert`` + ``client_private_key`` enable mTLS;
    ``disable_host_verification`` checks the chain but not the host name.
    """

    __slots__ = ("server_root_ca_cert", "domain", "client_cert", "client_private_key", "disable_host_verification")

    def __init__(
        self,
        server_root_ca_cert: bytes | str | None = None,
        domain: str | None = None,
        client_cert: bytes | str | None = None,
        client_private_key: bytes | str | None = None,
        disable_host_verification: bool = False,
    ) -> None:
        self.server_root_ca_cert = server_root_ca_cert
        self.domain = domain
        self.client_cert = client_cert
        self.client_private_key = client_private_key
        self.disable_host_verification = disable_host_verification

    def __repr__(self) -> str:
        # Never show key material.
        key = None if self.client_private_key is None else "<redacted>"
        return (
            f"TLSConfig(server_root_ca_cert={'<set>' if self.server_root_ca_cert else None}, "
            f"domain={self.domain!r}, client_cert={'<set>' if self.client_cert else None}, "
            f"client_private_key={key})"
        )


class KeepAliveConfig(_Record):
    """HTTP/2 keepalive pings: every ``interval_millis``, each answered
    within ``timeout_millis`` or the connection is replaced. Pass
    ``keep_alive_config=None`` to keep the defaults (30 s / 15 s) and
    ``KeepAliveConfig.DISABLED`` for no pings."""

    __slots__ = ("interval_millis", "timeout_millis")

    DISABLED: KeepAliveConfig

    def __init__(self, interval_millis: int = 30_000, timeout_millis: int = 15_000) -> None:
        self.interval_millis = interval_millis
        self.timeout_millis = timeout_millis


KeepAliveConfig.DISABLED = KeepAliveConfig(0, 0)


class HttpConnectProxyConfig(_Record):
    """Reach the server through an HTTP CONNECT proxy at ``target_host``
    (``"host:port"``), with ``basic_auth=(user, password)`` if it asks."""

    __slots__ = ("target_host", "basic_auth")

    def __init__(self, target_host: str, basic_auth: tuple[str, str] | None = None) -> None:
        self.target_host = target_host
        self.basic_auth = basic_auth

    def __repr__(self) -> str:
        auth = None if self.basic_auth is None else (self.basic_auth[0], "<redacted>")
        return f"HttpConnectProxyConfig(target_host={self.target_host!r}, basic_auth={auth!r})"
