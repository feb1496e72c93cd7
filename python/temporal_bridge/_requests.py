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


def _settings() -> Any:
    from . import _settings

    return _settings


def check_str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__} {value!r}")
    return value


def opt_str(name: str, value: object) -> str | None:
    return None if value is None else check_str(name, value)


def duration(name: str, value: object) -> float | str | None:
    """A timeout or interval: ``timedelta``, seconds (int/float) or a core
    duration string like ``"1h30m"``. Range checks (negative values...) are
    the core's, which names the field."""
    if value is None:
        return None
    total_seconds = getattr(value, "total_seconds", None)
    if total_seconds is not None:
        return float(total_seconds())
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(
            f"{name} must be a datetime.timedelta, a number of seconds or a string like '1h30m', "
            f"got {type(value).__name__} {value!r}"
        )
    return value


def policy(name: str, value: object) -> str | None:
    """An enum member (its value) or its string; the core reads names in any
    case and refuses unknown ones, naming the field."""
    if value is None:
        return None
    value = getattr(value, "value", value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a policy enum member or str, got {type(value).__name__} {value!r}")
    return value


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


def opt_int(name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    return value


def values(name: str, value: object) -> list[Any] | tuple[Any, ...]:
    """A list of values (details, signal arguments): each becomes one payload.
    A str is refused: it would read as a list of characters elsewhere."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list or tuple, got {type(value).__name__} {value!r}")
    return value


def token_text(name: str, value: object) -> str | None:
    """Opaque bytes (task token, page token) as the core's base64 text."""
    if value is None:
        return None
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes, got {type(value).__name__} {value!r}")
    import binascii

    return binascii.b2a_base64(bytes(value), newline=False).decode("ascii")


def drop_none(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def connect_options(
    target_host: str | None,
    namespace: str | None,
    api_key: str | None,
    tls: bool | TLSConfig | None,
    identity: str | None,
    rpc_metadata: Mapping[str, str] | None,
    rpc_timeout: Duration | None,
    connect_timeout: Duration | None,
    retry_config: RetryConfig | None,
    profile: str | None = None,
    config_file: object = None,
    config_strict: bool = False,
    keep_alive_config: object = None,
    http_connect_proxy_config: object = None,
    lazy: bool = False,
    compression: str | None = None,
) -> dict[str, Any]:
    tls_json: bool | dict[str, Any] | None
    from ._settings import RetryConfig, TLSConfig

    if tls is None or isinstance(tls, bool):
        tls_json = tls
    elif isinstance(tls, TLSConfig):
        tls_json = drop_none(
            {
                "server_root_ca_cert": pem("tls.server_root_ca_cert", tls.server_root_ca_cert),
                "domain": opt_str("tls.domain", tls.domain),
                "client_cert": pem("tls.client_cert", tls.client_cert),
                "client_private_key": pem("tls.client_private_key", tls.client_private_key),
                "disable_host_verification": bool(tls.disable_host_verification) or None,
            }
        )
    else:
        raise TypeError(f"tls must be a bool or a TLSConfig, got {type(tls).__name__}")
    retry_json = None
    if retry_config is not None:
        if not isinstance(retry_config, RetryConfig):
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
            "target": opt_str("target_host", target_host),
            "namespace": opt_str("namespace", namespace),
            "profile": opt_str("profile", profile),
            "config_file": None if config_file is None else str(config_file),
            "config_strict": bool(config_strict) or None,
            "keepalive": keepalive_json(keep_alive_config),
            "http_connect_proxy": proxy_json(http_connect_proxy_config),
            "lazy": bool(lazy) or None,
            "compression": opt_str("compression", compression),
            "identity": opt_str("identity", identity),
            "headers": str_map("rpc_metadata", rpc_metadata) or None,
            "api_key": opt_str("api_key", api_key),
            "tls": tls_json,
            "rpc_timeout": duration("rpc_timeout", rpc_timeout),
            "connect_timeout": duration("connect_timeout", connect_timeout),
            "retry": retry_json,
        }
    )


def connect_request(
    *args: Any,
) -> tuple[dict[str, Any], object | None]:
    """``connect_options`` of all arguments but the last three
    (``payload_codec``, ``codec`` and ``slow_call_threshold``), with those
    added, and the native module's adapter for the codec in process (or
    None)."""
    *settings, payload_codec, codec, slow_call_threshold = args
    options = connect_options(*settings)
    if slow_call_threshold is not None:
        options["slow_call_threshold"] = duration("slow_call_threshold", slow_call_threshold)
    if payload_codec is None and codec is None:
        return options, None
    from .codec import adapter_for, codec_options

    codec_json = codec_options(codec)
    if codec_json is not None:
        options["codec"] = codec_json
    return options, adapter_for(payload_codec)


def retry_policy(value: RetryPolicy | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        fields = dict(value)
    elif isinstance(value, _settings().RetryPolicy):
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
    start_signal: str | None = None,
    start_signal_args: Sequence[Any] = (),
) -> dict[str, Any]:
    # Every option is usually absent: test for None here rather than call a
    # helper per option and filter afterwards (this runs once per start).
    request: dict[str, Any] = {
        "workflow_type": check_str("workflow", workflow),
        "task_queue": check_str("task_queue", task_queue),
    }
    if id is not None:
        request["workflow_id"] = check_str("id", id)
    if execution_timeout is not None:
        request["execution_timeout"] = duration("execution_timeout", execution_timeout)
    if run_timeout is not None:
        request["run_timeout"] = duration("run_timeout", run_timeout)
    if task_timeout is not None:
        request["task_timeout"] = duration("task_timeout", task_timeout)
    if id_reuse_policy is not None:
        request["id_reuse_policy"] = policy("id_reuse_policy", id_reuse_policy)
    if id_conflict_policy is not None:
        request["id_conflict_policy"] = policy("id_conflict_policy", id_conflict_policy)
    if retry_policy_value is not None:
        request["retry_policy"] = retry_policy(retry_policy_value)
    if cron_schedule is not None and check_str("cron_schedule", cron_schedule):
        request["cron_schedule"] = cron_schedule
    if memo is not None:
        request["memo"] = json_map("memo", memo)
    if search_attributes is not None:
        request["search_attributes"] = json_map("search_attributes", search_attributes)
    if start_delay is not None:
        request["start_delay"] = duration("start_delay", start_delay)
    if request_id is not None:
        request["request_id"] = check_str("request_id", request_id)
    if rpc_timeout is not None:
        request["rpc_timeout"] = duration("rpc_timeout", rpc_timeout)
    if start_signal is not None:
        request["start_signal"] = check_str("start_signal", start_signal)
    if start_signal_args != () and values("start_signal_args", start_signal_args):
        request["start_signal_args"] = start_signal_args
    return put_args(request, args, raw_args)


def put_args(
    request: dict[str, Any], args: Sequence[Any], raw_args: Sequence[Payload] | None
) -> dict[str, Any]:
    """Adds positional arguments (``args``) and raw payloads (``raw_args``);
    the core refuses both at once, naming ``raw_args``."""
    if raw_args is not None:
        request["raw_args"] = raw_payloads("raw_args", raw_args)
    if args:
        request["args"] = args
    return request


# ------------------------------------------------------------ handle messages


def workflow_request(
    workflow_id: str, run_id: str | None, timeout_name: str, timeout: Duration | None, **fields: Any
) -> dict[str, Any]:
    """A request about one workflow: its ID, the run (``None``: the one the
    core picks), the operation's ``fields`` and a timeout: ``rpc_timeout``
    (each attempt) or ``timeout`` (the whole call, ``call_timeout`` in the
    contract). ``None`` values are left out."""
    field = TIMEOUT_FIELDS[timeout_name]
    return drop_none({"workflow_id": workflow_id, "run_id": run_id, **fields, field: duration(timeout_name, timeout)})


#: The contract's field for each timeout argument: ``rpc_timeout`` bounds each
#: attempt of a call (as ``Client.connect(rpc_timeout=)`` does for every
#: call), ``timeout`` the whole call, retries and waiting included.
TIMEOUT_FIELDS = {"rpc_timeout": "rpc_timeout", "timeout": "call_timeout"}


# ------------------------------------------------------------------ visibility


def list_workflows(query: str | None, rpc_timeout: Duration | None) -> dict[str, Any]:
    """The part of every page's request that stays the same."""
    return drop_none(
        {
            "query": opt_str("query", query) or "",
            "rpc_timeout": duration("rpc_timeout", rpc_timeout),
        }
    )


def count_workflows(query: str | None, rpc_timeout: Duration | None) -> dict[str, Any]:
    return drop_none(
        {
            "query": opt_str("query", query),
            "rpc_timeout": duration("rpc_timeout", rpc_timeout),
        }
    )


# -------------------------------------------------------------- async activity


def activity_target(
    task_token: bytes | None, workflow_id: str | None, run_id: str | None, activity_id: str | None
) -> dict[str, Any]:
    """How activity-completion requests address the activity. Which
    combinations make sense is the core's to say (it names the field)."""
    return drop_none(
        {
            "task_token": token_text("task_token", task_token),
            "workflow_id": opt_str("workflow_id", workflow_id),
            "run_id": opt_str("run_id", run_id),
            "activity_id": opt_str("activity_id", activity_id),
        }
    )


def activity_failure(
    error: BaseException | str, type: str | None, non_retryable: bool | None, details: Sequence[Any] | None
) -> dict[str, Any]:
    """An application failure from an exception or a message. An exception
    that looks like ``temporalio.exceptions.ApplicationError`` lends its
    ``message`` (its ``str()`` prefixes the type), ``type``,
    ``non_retryable`` and ``details``; other exceptions their ``str()`` and
    class name. Explicit arguments win."""
    if isinstance(error, str):
        message = error
    elif isinstance(error, BaseException):
        own_message = getattr(error, "message", None)
        message = own_message if isinstance(own_message, str) else str(error)
        if type is None:
            own_type = getattr(error, "type", None)
            type = own_type if isinstance(own_type, str) else error.__class__.__name__
        if non_retryable is None:
            own = getattr(error, "non_retryable", None)
            non_retryable = own if isinstance(own, bool) else None
        if details is None:
            own_details = getattr(error, "details", None)
            details = own_details if isinstance(own_details, (list, tuple)) else None
    else:
        raise TypeError(f"error must be an exception or a str, got {error.__class__.__name__} {error!r}")
    return drop_none(
        {
            "message": message,
            "type": opt_str("type", type),
            "non_retryable": None if non_retryable is None else bool(non_retryable),
            "details": None if details is None else values("details", details) or None,
        }
    )


# ----------------------------------------------------------------------- batch


def batch(query: str, reason: str, job_id: str | None, rpc_timeout: Duration | None) -> dict[str, Any]:
    return drop_none(
        {
            "query": check_str("query", query),
            "reason": check_str("reason", reason),
            "job_id": opt_str("job_id", job_id),
            "rpc_timeout": duration("rpc_timeout", rpc_timeout),
        }
    )


def wait_batch(job_id: str, timeout: Duration | None) -> dict[str, Any]:
    return drop_none(
        {
            "job_id": check_str("job_id", job_id),
            "call_timeout": duration("timeout", timeout),
        }
    )


def call_rpc(
    service: str,
    method: str,
    request: object,
    headers: Mapping[str, str] | None,
    timeout: Duration | None,
    rpc_timeout: Duration | None,
) -> tuple[dict[str, Any], bool]:
    """The ``call_rpc`` request, and whether it is raw (bytes in, bytes out)."""
    body: dict[str, Any] = {"service": check_str("service", service), "method": check_str("method", method)}
    raw = isinstance(request, (bytes, bytearray, memoryview))
    if isinstance(request, (bytes, bytearray, memoryview)):
        import base64

        body["request_bytes"] = base64.b64encode(request).decode("ascii")
    elif request is not None:
        if not hasattr(request, "keys"):
            raise TypeError(
                f"request must be a dict (the protobuf JSON mapping) or bytes, got {type(request).__name__}"
            )
        body["request"] = request
    if headers is not None:
        body["headers"] = json_map("headers", headers)
    if timeout is not None:
        body["call_timeout"] = duration("timeout", timeout)
    if rpc_timeout is not None:
        body["rpc_timeout"] = duration("rpc_timeout", rpc_timeout)
    return body, raw


def rpc_response(response: Mapping[str, Any], raw: bool) -> Any:
    if raw:
        import base64

        return base64.b64decode(response.get("response_bytes") or "")
    return response.get("response") or {}


_TASK_QUEUE_TYPES = {"workflow": "TASK_QUEUE_TYPE_WORKFLOW", "activity": "TASK_QUEUE_TYPE_ACTIVITY", "nexus": "TASK_QUEUE_TYPE_NEXUS"}
_ATTRIBUTE_TYPES = {
    "text": "INDEXED_VALUE_TYPE_TEXT",
    "keyword": "INDEXED_VALUE_TYPE_KEYWORD",
    "int": "INDEXED_VALUE_TYPE_INT",
    "double": "INDEXED_VALUE_TYPE_DOUBLE",
    "bool": "INDEXED_VALUE_TYPE_BOOL",
    "datetime": "INDEXED_VALUE_TYPE_DATETIME",
    "keyword_list": "INDEXED_VALUE_TYPE_KEYWORD_LIST",
}


def describe_task_queue(task_queue: str, task_queue_type: str) -> dict[str, Any]:
    kind = _TASK_QUEUE_TYPES.get(check_str("task_queue_type", task_queue_type).lower(), task_queue_type)
    return {"taskQueue": {"name": check_str("task_queue", task_queue)}, "taskQueueType": kind}


def register_namespace(name: str, retention: Duration, description: str | None) -> dict[str, Any]:
    request: dict[str, Any] = {
        "namespace": check_str("name", name),
        "workflowExecutionRetentionPeriod": proto_duration("retention", retention),
    }
    if description is not None:
        request["description"] = check_str("description", description)
    return request


def update_namespace(name: str | None, description: str | None, retention: Duration | None) -> dict[str, Any]:
    request: dict[str, Any] = {}
    if name is not None:
        request["namespace"] = check_str("name", name)
    if description is not None:
        request["updateInfo"] = {"description": check_str("description", description)}
    if retention is not None:
        request["config"] = {"workflowExecutionRetentionTtl": proto_duration("retention", retention)}
    return request


def add_search_attributes(attributes: Mapping[str, str]) -> dict[str, Any]:
    if not isinstance(attributes, dict):
        raise TypeError(f"attributes must be a dict of name -> type, got {type(attributes).__name__}")
    return {
        "searchAttributes": {
            check_str("attribute name", name): _ATTRIBUTE_TYPES.get(check_str(name, kind).lower(), kind)
            for name, kind in attributes.items()
        }
    }


def proto_duration(name: str, value: object) -> str:
    """A duration as the protobuf JSON mapping writes it (``"259200s"``);
    strings like ``"72h"`` pass through (the core reads them)."""
    seconds = duration(name, value)
    if isinstance(seconds, str):
        return seconds
    return f"{float(seconds or 0):.9f}".rstrip("0").rstrip(".") + "s"


def keepalive_json(config: object) -> bool | dict[str, Any] | None:
    from ._settings import KeepAliveConfig

    if config is None:
        return None
    if not isinstance(config, KeepAliveConfig):
        raise TypeError(f"keep_alive_config must be a KeepAliveConfig, got {type(config).__name__}")
    if config.interval_millis <= 0:
        return False
    return {"interval": config.interval_millis / 1000, "timeout": config.timeout_millis / 1000}


def proxy_json(config: object) -> dict[str, Any] | None:
    from ._settings import HttpConnectProxyConfig

    if config is None:
        return None
    if not isinstance(config, HttpConnectProxyConfig):
        raise TypeError(f"http_connect_proxy_config must be an HttpConnectProxyConfig, got {type(config).__name__}")
    out: dict[str, Any] = {"target": check_str("http_connect_proxy_config.target_host", config.target_host)}
    if config.basic_auth is not None:
        user, password = config.basic_auth
        out["basic_auth"] = {"username": check_str("username", user), "password": check_str("password", password)}
    return out
