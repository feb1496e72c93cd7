"""Bad input never reaches the server: values JSON cannot carry raise
TypeError naming the value, wrong Python types raise TypeError, bad values
raise InvalidArgumentError (a ValueError) naming the field. Also: connection
options, and the mapping of every core error kind to its exception class."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

import pytest
from devenv import DevEnv
from helpers import free_port

import temporal_bridge
from temporal_bridge import (
    Client,
    InvalidArgumentError,
    NotFoundError,
    Payload,
    RetryConfig,
    RetryPolicy,
    TemporalBridgeError,
    TLSConfig,
    UnavailableError,
    WorkflowTerminatedError,
    _native,
)
from temporal_bridge.exceptions import _from_error, error_class

WfId = Callable[[str], str]

cycle: list[Any] = []
cycle.append(cycle)


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque thing>"


# (positional args, keyword options, expected exception, fragments of its message)
START_CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], type[BaseException], list[str]]] = [
    ("set", ({1, 2},), {}, TypeError, ["args[0]", "{1, 2}", "set"]),
    ("nan deep", (1, {"x": [float("nan")]}), {}, TypeError, ["args[1]['x'][0]", "nan"]),
    ("infinity", (float("inf"),), {}, TypeError, ["args[0]", "inf"]),
    ("non-str key", ({1: "a"},), {}, TypeError, ["args[0]", "dict key 1", "int"]),
    ("tuple key", ({(1, 2): "a"},), {}, TypeError, ["dict key (1, 2)"]),
    ("lone surrogate", ("\ud800",), {}, TypeError, ["args[0]", "surrogate"]),
    ("object", (Opaque(),), {}, TypeError, ["args[0]", "<Opaque thing>", "Opaque"]),
    ("bytes", (b"raw",), {}, TypeError, ["args[0]", "b'raw'", "bytes"]),
    ("cycle", (cycle,), {}, TypeError, ["args[0][0][0]", "nested deeper"]),
    ("memo value", (), {"memo": {"k": {1}}}, TypeError, ["memo['k']", "set"]),
    ("memo not dict", (), {"memo": [1]}, TypeError, ["memo", "dict"]),
    ("search attribute value", (), {"search_attributes": {"k": Opaque()}}, TypeError, ["search_attributes['k']"]),
    ("id type", (), {"id": 5}, TypeError, ["id", "str", "int"]),
    ("task queue type", (), {"task_queue": None}, TypeError, ["task_queue"]),
    ("empty task queue", (), {"task_queue": ""}, InvalidArgumentError, ["task_queue"]),
    ("negative seconds", (), {"execution_timeout": -1}, InvalidArgumentError, ["execution_timeout"]),
    ("negative timedelta", (), {"run_timeout": timedelta(seconds=-1)}, ValueError, ["run_timeout"]),
    ("bad duration string", (), {"task_timeout": "soon"}, InvalidArgumentError, ["task_timeout", "soon"]),
    ("bool duration", (), {"start_delay": True}, TypeError, ["start_delay"]),
    ("list duration", (), {"execution_timeout": [1]}, TypeError, ["execution_timeout"]),
    ("unknown policy", (), {"id_reuse_policy": "sometimes"}, InvalidArgumentError, ["id_reuse_policy", "sometimes"]),
    ("policy type", (), {"id_conflict_policy": 3}, TypeError, ["id_conflict_policy"]),
    ("retry coefficient", (), {"retry_policy": RetryPolicy(backoff_coefficient=0.5)}, InvalidArgumentError,
     ["backoff_coefficient"]),
    ("retry policy type", (), {"retry_policy": "fast"}, TypeError, ["retry_policy"]),
    ("retry policy unknown field", (), {"retry_policy": {"bogus": 1}}, InvalidArgumentError, ["bogus"]),
    ("raw arg type", (), {"raw_args": [b"x"]}, TypeError, ["raw_args[0]", "Payload"]),
    ("args and raw args", ("a",), {"raw_args": [Payload(b"1", {"encoding": b"json/plain"})]}, ValueError,
     ["raw_args"]),
    ("complex in memo", (), {"raw_args": [Payload(b"x")], "memo": {"k": 1j}}, TypeError,
     ["memo['k']", "complex"]),
    ("negative rpc timeout", (), {"rpc_timeout": -5}, InvalidArgumentError, ["rpc_timeout"]),
    ("bad cron", (), {"cron_schedule": "every tuesday"}, InvalidArgumentError, ["CronSchedule"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "options", "expected", "fragments"),
    [case[1:] for case in START_CASES],
    ids=[case[0] for case in START_CASES],
)
def test_bad_start_input_is_refused_before_starting(
    client: Client,
    env: DevEnv,
    wf_id: WfId,
    args: tuple[Any, ...],
    options: dict[str, Any],
    expected: type[BaseException],
    fragments: list[str],
) -> None:
    workflow_id = wf_id("")
    kwargs: dict[str, Any] = {"id": workflow_id, "task_queue": env.task_queue, **options}
    with pytest.raises(expected) as caught:
        client.start_workflow("EchoArgsWorkflow", *args, **kwargs)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    if isinstance(caught.value, InvalidArgumentError):
        assert caught.value.kind == "invalid_argument"
    # Nothing was started.
    if isinstance(kwargs["id"], str):
        with pytest.raises(NotFoundError):
            client.get_workflow_handle(workflow_id).describe()


def test_workflow_type_must_be_a_str(client: Client, env: DevEnv) -> None:
    with pytest.raises(TypeError, match="workflow must be a str"):
        client.start_workflow(len, task_queue=env.task_queue)  # type: ignore[arg-type]


def test_invalid_argument_is_a_value_error_that_names_the_field(client: Client, env: DevEnv) -> None:
    with pytest.raises(ValueError) as caught:
        client.start_workflow("W", task_queue=env.task_queue, execution_timeout="5 parsecs")
    assert isinstance(caught.value, InvalidArgumentError)
    assert caught.value.field == "execution_timeout"
    assert caught.value.argument == "execution_timeout"


def test_invalid_argument_names_the_python_argument(client: Client, env: DevEnv, wf_id: WfId) -> None:
    # The contract calls it `call_timeout`; the caller wrote `timeout=`.
    handle = client.get_workflow_handle(wf_id("never-started"))
    with pytest.raises(InvalidArgumentError) as caught:
        handle.result(timeout="soon")
    assert (caught.value.field, caught.value.argument) == ("call_timeout", "timeout")
    assert "'timeout' argument" in str(caught.value)
    with pytest.raises(InvalidArgumentError) as nested:
        client.start_workflow("W", task_queue=env.task_queue, retry_policy={"maximum_interval": "x"})
    assert nested.value.argument == "retry_policy.maximum_interval"


def test_bad_handle_input(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
    try:
        with pytest.raises(InvalidArgumentError, match="call_timeout"):
            handle.result(timeout="a while")
        with pytest.raises(InvalidArgumentError, match="call_timeout"):
            handle.result(timeout=-1)
        with pytest.raises(TypeError, match="reason"):
            handle.cancel(reason=5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="details must be a list"):
            handle.terminate(details="abc")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"details\[1\]"):
            handle.terminate(details=["ok", {1}])
        with pytest.raises(TypeError, match="workflow_id"):
            client.get_workflow_handle(5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="run_id"):
            client.get_workflow_handle("x", run_id=b"r")  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError, match="workflow_id"):
            client.get_workflow_handle("").result()
        # None of the refused calls touched the workflow.
        description = handle.describe()
        assert description.status == "running" and not description.cancel_requested
    finally:
        handle.terminate()


CONNECT_CASES: list[tuple[str, str, dict[str, Any], type[BaseException], str]] = [
    ("empty target", "", {}, InvalidArgumentError, "target"),
    ("bad target", "bad target::x", {}, InvalidArgumentError, "target"),
    ("namespace type", "127.0.0.1:1", {"namespace": 5}, TypeError, "namespace"),
    ("metadata value type", "127.0.0.1:1", {"rpc_metadata": {"x": 1}}, TypeError, "rpc_metadata"),
    ("metadata not a mapping", "127.0.0.1:1", {"rpc_metadata": ["x"]}, TypeError, "rpc_metadata"),
    ("metadata key", "127.0.0.1:1", {"rpc_metadata": {"bad header": "v"}}, InvalidArgumentError, "bad header"),
    ("tls type", "127.0.0.1:1", {"tls": "yes"}, TypeError, "tls"),
    ("tls ca not pem", "127.0.0.1:1", {"tls": TLSConfig(server_root_ca_cert=b"nope")}, InvalidArgumentError, "PEM"),
    ("mtls half", "127.0.0.1:1", {"tls": TLSConfig(client_cert="-----BEGIN x")}, InvalidArgumentError, "together"),
    ("connect timeout", "127.0.0.1:1", {"connect_timeout": -1}, InvalidArgumentError, "connect_timeout"),
    ("retry config", "127.0.0.1:1", {"retry_config": RetryConfig(multiplier=0.5)}, InvalidArgumentError,
     "multiplier"),
    ("retry config type", "127.0.0.1:1", {"retry_config": {"multiplier": 2}}, TypeError, "retry_config"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("target", "options", "expected", "fragment"),
    [case[1:] for case in CONNECT_CASES],
    ids=[case[0] for case in CONNECT_CASES],
)
def test_bad_connect_input(target: str, options: dict[str, Any], expected: type[BaseException], fragment: str) -> None:
    with pytest.raises(expected, match=fragment):
        Client.connect(target, **options)


def test_api_key_is_never_echoed(env: DevEnv) -> None:
    secret = "sekrit\nkey"  # a newline cannot go in a header
    with pytest.raises(InvalidArgumentError) as caught:
        Client.connect(env.target, api_key=secret, tls=False)
    assert "sekrit" not in str(caught.value) and "sekrit" not in repr(caught.value.error_details)
    # A key implies TLS; the dev server speaks plaintext, so the handshake fails.
    with pytest.raises(UnavailableError) as unavailable:
        Client.connect(env.target, api_key="sekrit-key", connect_timeout=5)
    assert "sekrit" not in str(unavailable.value)


def test_connection_options_reach_the_server(env: DevEnv, wf_id: WfId) -> None:
    with Client.connect(
        env.target,
        namespace=env.namespace,
        identity="bridge-tests@here",
        api_key="not-checked-by-the-dev-server",
        tls=False,
        rpc_metadata={"x-test-header": "1"},
        rpc_timeout=timedelta(seconds=5),
        connect_timeout=5,
        retry_config=RetryConfig(initial_interval=0.05, max_attempts=3),
    ) as client:
        assert client.identity == "bridge-tests@here"
        assert client.namespace == env.namespace
        assert client.server_version  # GetSystemInfo answered
        handle = client.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
        handle.terminate(reason="identity check")
        with pytest.raises(WorkflowTerminatedError) as caught:
            handle.result(timeout=30)
        assert caught.value.identity == "bridge-tests@here"


def test_unreachable_server_and_unknown_namespace(env: DevEnv) -> None:
    with pytest.raises(UnavailableError) as caught:
        Client.connect(f"127.0.0.1:{free_port()}", connect_timeout=3)
    assert caught.value.kind == "unavailable"
    with Client.connect(env.target, namespace="no-such-namespace") as client:
        with pytest.raises(NotFoundError, match="no-such-namespace"):
            client.start_workflow("MySimpleWorkflow", "x", task_queue=env.task_queue)


def test_every_core_error_kind_has_its_own_exception_class() -> None:
    assert _native.ERROR_KINDS, "the native module lists the core's error kinds"
    classes = set()
    for kind in _native.ERROR_KINDS:
        cls = error_class(kind)
        assert cls is not TemporalBridgeError, f"no exception class for kind {kind!r}"
        assert cls.KIND == kind
        assert getattr(temporal_bridge, cls.__name__) is cls, f"{cls.__name__} is not exported"
        classes.add(cls)
    assert len(classes) == len(_native.ERROR_KINDS)


def test_error_objects_become_exceptions_with_details() -> None:
    err = _from_error({"kind": "already_started", "message": "m", "details": {"run_id": "r1", "grpc_code": "ALREADY_EXISTS"}})
    assert isinstance(err, temporal_bridge.WorkflowAlreadyStartedError)
    assert (err.run_id, err.grpc_code, err.message, str(err)) == ("r1", "ALREADY_EXISTS", "m", "m")
    unknown = _from_error({"kind": "from_the_future", "message": "new", "details": {}})
    assert type(unknown) is TemporalBridgeError and unknown.kind == "from_the_future"
    for malformed in ("not an object", {"kind": "internal"}, {"kind": 1, "message": "m", "details": {}}, None):
        assert isinstance(_from_error(malformed), temporal_bridge.InternalError)


def test_native_errors_carry_their_error_object_as_python_values(client: Client) -> None:
    # A wrong field type is refused by the core (not by Python): the native
    # exception's argument is the error object itself, not JSON text.
    with pytest.raises(_native.NativeError) as caught:
        client._native.call("describe_workflow", {"workflow_id": 5})
    [obj] = caught.value.args
    assert isinstance(obj, dict) and obj["kind"] == "invalid_argument"
    assert isinstance(obj["message"], str) and obj["details"]["field"] == "workflow_id"


def test_failure_chains_of_any_length_become_failures() -> None:
    # Built in a loop: a chain longer than Python's recursion limit is fine.
    raw: dict[str, Any] = {"message": "root", "kind": "application"}
    for n in range(5000):
        raw = {"message": f"link {n}", "kind": "application", "details": [n], "cause": raw}
    err = _from_error({"kind": "workflow_failed", "message": "m", "details": {"failure": raw}})
    assert isinstance(err, temporal_bridge.WorkflowFailedError)
    link = err.failure
    for n in reversed(range(5000)):
        assert link is not None and (link.message, link.details) == (f"link {n}", [n])
        link = link.cause
    assert link is not None and link.message == "root" and link.cause is None


def test_json_conversion_is_exact() -> None:
    value = {"i": [0, -1, 2**63 - 1, -(2**63), 2**64 - 1], "f": [0.1, -2.5e300], "s": "é\n\"", "n": None, "b": [True, False]}
    assert _native.from_json(_native.to_json(value)) == value
    # Integers beyond 64 bits keep every digit, both ways.
    big = [2**64, -(2**63) - 1, 3**100, -(10**40)]
    assert _native.to_json(big) == "[" + ",".join(str(i) for i in big) + "]"
    assert _native.from_json(_native.to_json(big)) == big
    assert all(type(i) is int for i in _native.from_json(_native.to_json(big)))
    assert _native.to_json((1, 2)) == "[1,2]"
    with pytest.raises(ValueError, match="invalid JSON"):
        _native.from_json("{")
