"""Client configuration as every Temporal SDK and the ``temporal`` CLI read
it: a TOML file of profiles with ``TEMPORAL_*`` environment variables on
top (resolved by the core, the same for C and Rust).

    from temporal_bridge import Client
    from temporal_bridge.envconfig import ClientConfigProfile

    profile = ClientConfigProfile.load("prod")      # inspect it...
    client = Client.connect(**profile.to_client_connect_config())
    client = Client.connect(profile="prod")        # ...or just connect

``repr()`` never shows secrets (API keys, private keys, codec auth,
credential-looking metadata).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import _native
from ._settings import TLSConfig

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from collections.abc import Mapping
    from typing import Any

__all__ = ["ClientConfigCodec", "ClientConfigProfile", "ClientConfigTLS", "load_client_connect_config"]

_REDACTED = "<redacted>"


@dataclass(frozen=True)
class ClientConfigTLS:
    """A profile's TLS section. Certificates and keys are ``{"path": ...}``
    or ``{"data": ...}`` as the file or environment gave them."""

    disabled: bool | None = None
    client_cert: dict[str, str] | None = None
    client_key: dict[str, str] | None = field(default=None, repr=False)
    server_ca_cert: dict[str, str] | None = None
    server_name: str | None = None
    disable_host_verification: bool = False


@dataclass(frozen=True)
class ClientConfigCodec:
    """A profile's remote codec settings."""

    endpoint: str | None = None
    auth: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ClientConfigProfile:
    """One resolved profile: the file's, with the environment on top."""

    profile: str
    address: str | None = None
    namespace: str | None = None
    api_key: str | None = field(default=None, repr=False)
    tls: ClientConfigTLS | None = None
    codec: ClientConfigCodec | None = None
    grpc_meta: Mapping[str, str] = field(default_factory=dict, repr=False)
    source_file: str | None = None
    tls_enabled: bool = False
    _connect: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(
        cls,
        profile: str | None = None,
        *,
        config_file: str | os.PathLike[str] | None = None,
        config_strict: bool = False,
        disable_file: bool = False,
        disable_env: bool = False,
        override_env_vars: Mapping[str, str] | None = None,
    ) -> ClientConfigProfile:
        """Loads ``profile`` (else ``TEMPORAL_PROFILE``, else ``default``)
        from ``config_file`` (else ``TEMPORAL_CONFIG_FILE``, else
        ``~/.config/temporalio/temporal.toml``), then the ``TEMPORAL_*``
        variables (``override_env_vars`` instead of ``os.environ``).
        ``config_strict`` rejects unknown keys. Errors
        (``InvalidArgumentError``) name the file, profile and key."""
        options: dict[str, Any] = {
            "profile": profile,
            "config_file": None if config_file is None else str(config_file),
            "config_strict": config_strict,
            "disable_file": disable_file,
            "disable_env": disable_env,
            "env": None if override_env_vars is None else dict(override_env_vars),
        }
        try:
            loaded = _native.client_config(json.dumps({k: v for k, v in options.items() if v is not None}))
        except _native.NativeError as err:
            from .exceptions import _from_error

            raise _from_error(err.args[0]) from None
        data = loaded["profile"]
        tls = data.get("tls")
        codec = data.get("codec")
        return cls(
            profile=data["profile"],
            address=data.get("address"),
            namespace=data.get("namespace"),
            api_key=data.get("api_key"),
            tls=ClientConfigTLS(**tls) if tls else None,
            codec=ClientConfigCodec(**codec) if codec else None,
            grpc_meta=dict(data.get("grpc_meta") or {}),
            source_file=data.get("source_file"),
            tls_enabled=bool(data.get("tls_enabled")),
            _connect=loaded["connect"],
        )

    def to_client_connect_config(self) -> dict[str, Any]:
        """Keyword arguments for ``Client.connect(**...)``: ``target_host``,
        ``namespace``, ``api_key``, ``tls``, ``rpc_metadata``."""
        connect = self._connect
        tls = connect.get("tls")
        tls_arg: bool | TLSConfig | None
        if isinstance(tls, dict):
            tls_arg = TLSConfig(
                server_root_ca_cert=tls.get("server_root_ca_cert"),
                domain=tls.get("domain"),
                client_cert=tls.get("client_cert"),
                client_private_key=tls.get("client_private_key"),
                disable_host_verification=bool(tls.get("disable_host_verification")),
            )
        else:
            tls_arg = tls
        config: dict[str, Any] = {"target_host": connect["target"], "namespace": connect["namespace"]}
        if connect.get("api_key") is not None:
            config["api_key"] = connect["api_key"]
        if tls_arg is not None:
            config["tls"] = tls_arg
        if connect.get("headers"):
            config["rpc_metadata"] = dict(connect["headers"])
        return config

    def __repr__(self) -> str:
        shown = {
            "profile": self.profile,
            "source_file": self.source_file,
            "address": self.address,
            "namespace": self.namespace,
            "api_key": None if self.api_key is None else _REDACTED,
            "tls": self.tls,
            "tls_enabled": self.tls_enabled,
            "grpc_meta": sorted(self.grpc_meta),
        }
        return "ClientConfigProfile(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


def load_client_connect_config(profile: str | None = None, **options: Any) -> dict[str, Any]:
    """``ClientConfigProfile.load(profile, **options).to_client_connect_config()``."""
    return ClientConfigProfile.load(profile, **options).to_client_connect_config()
