"""Python arguments -> the core's JSON requests, shared by the sync and asyncio
clients. Only shapes are handled here (keyword names to contract fields,
``timedelta`` to seconds, enums to their strings, obvious Python type
mistakes to ``TypeError``); the core validates values and names the field at
fault. Nothing here imports more than the native module, to keep start-up
fast.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import timedelta
    from typing import Any, Union

    from .common import Payload, RetryConfig, RetryPolicy, TLSConfig

    Duration = Union[timedelta, float, str]


def _common() -> Any:
    from . import common

    return common


def check_str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__} {value!r}")
    return value


def opt_str(name: str, value: object) -> str | None:
    return None if value is None else check_str(name, value)


def duration(name: str, value: object) -> float | str | None:
    """A timeout or interval: ``timedelta``, seconds (int/float) or a core
    duration string like ``"1h30m"``. Range checks are the core's."""
    if value is None:
        return None
    total_seconds = getattr(value, "total_seconds", None)
    if total_seconds is not None:
        seconds = float(total_seconds())
        if seconds < 0:
            raise ValueError(f"{name} must not be negative, got {value!r}")
        return seconds
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(
            f"{name} must be a datetime.timedelta, a number of seconds or a string like '1h30m', "
            f"got {type(value).__name__} {value!r}"
        )
    return value


def policy(name: str, value: object) -> str | None:
    """An enum member (its value) or its string, in any case."""
    if value is None:
        return None
    value = getattr(value, "value", value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a policy enum member or str, got {type(value).__name__} {value!r}")
    return value.lower()


def pem(name: str, value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("ascii")
        except UnicodeDecodeError:
            raise ValueError(f"{name} must be PEM text (ASCII)") from None
    return check_str(name, value)


def str_map(name: str, value: object) -> dict[str, str]:
    if value is None:
        return {}
    items = getattr(value, "items", None)
    if items is None:
        raise TypeError(f"{name} must be a mapping of str to str, got {type(value).__name__}")
    out: dict[str, str] = {}
    for key, item in items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError(f"{name} must map str to str, got {key!r}: {type(item).__name__}")
        out[key] = item
    return out


def json_map(name: str, value: object) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict with str keys, got {type(value).__name__} {value!r}")
    return value


def drop_none(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def connect_options(
    target_host: str,
    namespace: str,
    api_key: str | None,
    tls: bool | TLSConfig | None,
    identity: str | None,
    rpc_metadata: Mapping[str, str] | None,
    rpc_timeout: Duration | None,
    connect_timeout: Duration | None,
    retry_config: RetryConfig | None,
) -> dict[str, Any]:
    tls_json: bool | dict[str, Any] | None
    # `common` is imported only when used: whoever built a TLSConfig or
    # RetryConfig has imported it already.
    if tls is None or isinstance(tls, bool):
        tls_json = tls
    elif isinstance(tls, _common().TLSConfig):
        tls_json = drop_none(
            {
                "server_root_ca_cert": pem("tls.server_root_ca_cert", tls.server_root_ca_cert),
                "domain": opt_str("tls.domain", tls.domain),
                "client_cert": pem("tls.client_cert", tls.client_cert),
                "client_private_key": pem("tls.client_private_key", tls.client_private_key),
            }
        )
    else:
        raise TypeError(f"tls must be a bool or a TLSConfig, got {type(tls).__name__}")
    retry_json = None
    if retry_config is not None:
        if not isinstance(retry_config, _common().RetryConfig):
            raise TypeError(f"retry_config must be a RetryConfig, got {type(retry_config).__name__}")
        retry_json = drop_none(
            {
                "initial_interval": duration("retry_config.initial_interval", retry_config.initial_interval),
                "max_interval": duration("retry_config.max_interval", retry_config.max_interval),
                "multiplier": retry_config.multiplier,
                "jitter": retry_config.jitter,
                "max_attempts": retry_config.max_attempts,
                "max_elapsed": duration("retry_config.max_elapsed", retry_config.max_elapsed),
            }
        )
    return drop_none(
        {
            "target": check_str("target_host", target_host),
            "namespace": check_str("namespace", namespace),
            "identity": opt_str("identity", identity),
            "headers": str_map("rpc_metadata", rpc_metadata) or None,
            "api_key": opt_str("api_key", api_key),
            "tls": tls_json,
            "rpc_timeout": duration("rpc_timeout", rpc_timeout),
            "connect_timeout": duration("connect_timeout", connect_timeout),
            "retry": retry_json,
        }
    )


def retry_policy(value: RetryPolicy | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        fields = dict(value)
    elif isinstance(value, _common().RetryPolicy):
        fields = {
            "initial_interval": value.initial_interval,
            "backoff_coefficient": value.backoff_coefficient,
            "maximum_interval": value.maximum_interval,
            "maximum_attempts": value.maximum_attempts,
            "non_retryable_error_types": value.non_retryable_error_types or None,
        }
    else:
        raise TypeError(f"retry_policy must be a RetryPolicy or dict, got {type(value).__name__}")
    for key in ("initial_interval", "maximum_interval"):
        if key in fields:
            fields[key] = duration(f"retry_policy.{key}", fields[key])
    return drop_none(fields)


def raw_payloads(name: str, value: Sequence[Payload]) -> list[dict[str, Any]]:
    payload_class = _common().Payload
    out = []
    for i, payload in enumerate(value):
        if not isinstance(payload, payload_class):
            raise TypeError(f"{name}[{i}] must be a temporal_bridge.Payload, got {type(payload).__name__}")
        out.append(payload._to_json())
    return out


def start_workflow(
    workflow: str,
    args: Sequence[Any],
    id: str | None,
    task_queue: str,
    execution_timeout: Duration | None,
    run_timeout: Duration | None,
    task_timeout: Duration | None,
    id_reuse_policy: object,
    id_conflict_policy: object,
    retry_policy_value: RetryPolicy | Mapping[str, Any] | None,
    cron_schedule: str | None,
    memo: Mapping[str, Any] | None,
    search_attributes: Mapping[str, Any] | None,
    start_delay: Duration | None,
    request_id: str | None,
    raw_args: Sequence[Payload] | None,
    rpc_timeout: Duration | None,
) -> dict[str, Any]:
    request = drop_none(
        {
            "workflow_type": check_str("workflow", workflow),
            "task_queue": check_str("task_queue", task_queue),
            "workflow_id": opt_str("id", id),
            "execution_timeout": duration("execution_timeout", execution_timeout),
            "run_timeout": duration("run_timeout", run_timeout),
            "task_timeout": duration("task_timeout", task_timeout),
            "id_reuse_policy": policy("id_reuse_policy", id_reuse_policy),
            "id_conflict_policy": policy("id_conflict_policy", id_conflict_policy),
            "retry_policy": retry_policy(retry_policy_value),
            "cron_schedule": opt_str("cron_schedule", cron_schedule) or None,
            "memo": json_map("memo", memo),
            "search_attributes": json_map("search_attributes", search_attributes),
            "start_delay": duration("start_delay", start_delay),
            "request_id": opt_str("request_id", request_id),
            "call_timeout": duration("rpc_timeout", rpc_timeout),
        }
    )
    if raw_args is not None:
        if args:
            raise ValueError("pass workflow arguments either positionally or as raw_args, not both")
        request["raw_args"] = raw_payloads("raw_args", raw_args)
    elif args:
        request["args"] = args
    return request
