"""Any RPC by name (``call_rpc``, ``client.*_service``), in the protobuf JSON
mapping and as raw bytes, against the real dev server and Python SDK worker.
Raw requests are built with temporalio's own generated protos."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Callable

import pytest
from devenv import DevEnv
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    DescribeNamespaceResponse,
    GetSystemInfoResponse,
)

from temporal_bridge import (
    AsyncClient,
    Client,
    InvalidArgumentError,
    RpcService,
    TemporalBridgeError,
    WorkflowAlreadyStartedError,
    rpc_methods,
)

WfId = Callable[[str], str]


def until(what: str, probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_methods_are_listed_and_discoverable(client: Client) -> None:
    methods = rpc_methods()
    names = {(m["service"], m["method"]) for m in methods}
    assert ("workflow", "DescribeTaskQueue") in names
    assert ("operator", "AddSearchAttributes") in names
    assert ("health", "Check") in names
    assert len(methods) > 150
    repeat = {m["method"]: m["repeat"] for m in rpc_methods("workflow")}
    assert repeat["DescribeWorkflowExecution"] == "read_only"
    assert repeat["SignalWorkflowExecution"] == "request_id"
    assert repeat["PollActivityTaskQueue"] == "never"
    with pytest.raises(InvalidArgumentError, match="unknown service"):
        rpc_methods("nope")
    service = client.workflow_service
    assert isinstance(service, RpcService)
    assert "describe_task_queue" in dir(service)
    assert "list_search_attributes" in dir(client.operator_service)
    with pytest.raises(AttributeError, match="no method 'describe_task_queu'"):
        service.describe_task_queu  # noqa: B018


def test_rpcs_no_named_api_covers(client: Client, env: DevEnv, wf_id: WfId) -> None:
    ns = env.namespace
    info = client.workflow_service.get_system_info()
    assert info["serverVersion"]
    assert client.health_service.check({})["status"] == "SERVING"
    assert client.call_rpc("workflow", "DescribeNamespace", {"namespace": ns})["namespaceInfo"]["name"] == ns
    listed = client.workflow_service.list_namespaces({"pageSize": 50})
    assert ns in [n["namespaceInfo"]["name"] for n in listed["namespaces"]]
    attributes = client.operator_service.list_search_attributes({"namespace": ns})
    assert attributes["systemAttributes"]["ExecutionStatus"] == "INDEXED_VALUE_TYPE_KEYWORD"
    assert client.workflow_service.get_cluster_info()["clusterId"]

    # Are any workers polling? The Python SDK worker is.
    def pollers() -> list[Any]:
        queue = client.workflow_service.describe_task_queue(
            {"namespace": ns, "task_queue": {"name": env.task_queue}, "task_queue_type": "TASK_QUEUE_TYPE_ACTIVITY"}
        )
        return list(queue.get("pollers", []))

    assert until("activity pollers", pollers)[0]["identity"]

    # Start by raw RPC, then the named API sees it; 64-bit counts are strings.
    workflow_id = wf_id("rpc")
    started = client.workflow_service.start_workflow_execution(
        {
            "namespace": ns,
            "workflowId": workflow_id,
            "workflowType": {"name": "MySimpleWorkflow"},
            "taskQueue": {"name": env.task_queue},
            "input": {"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "IldvcmxkIg=="}]},
        },
        headers={"x-tb-test": "rpc"},
        timeout=30,
    )
    assert client.get_workflow_handle(workflow_id, run_id=started["runId"]).result(timeout=60) == "Hello, World!"
    count = until(
        "the count",
        lambda: client.workflow_service.count_workflow_executions(
            {"namespace": ns, "query": f"WorkflowId = '{workflow_id}'"}
        ).get("count"),
    )
    assert count == "1"


def test_raw_mode_takes_and_returns_protobuf_bytes(client: Client, env: DevEnv) -> None:
    request = DescribeNamespaceRequest(namespace=env.namespace).SerializeToString()
    reply = client.call_rpc("workflow", "DescribeNamespace", request)
    assert isinstance(reply, bytes)
    assert DescribeNamespaceResponse.FromString(reply).namespace_info.name == env.namespace
    info = GetSystemInfoResponse.FromString(client.workflow_service.get_system_info(b""))
    assert info.server_version == client.workflow_service.get_system_info()["serverVersion"]
    with pytest.raises(InvalidArgumentError) as bad:
        client.call_rpc("workflow", "DescribeNamespace", b"\xff\xff\xff")
    assert bad.value.error_details["field"] == "request_bytes"


def test_bad_input_is_refused_clearly(client: Client, env: DevEnv, wf_id: WfId) -> None:
    with pytest.raises(InvalidArgumentError, match="closest: DescribeTaskQueue"):
        client.call_rpc("workflow", "DescribeTaskQueu", {})
    with pytest.raises(InvalidArgumentError, match="unknown service"):
        client.call_rpc("flow", "GetSystemInfo")
    with pytest.raises(InvalidArgumentError) as bad_enum:
        client.workflow_service.describe_task_queue({"taskQueue": {"kind": "NOPE"}})
    assert bad_enum.value.error_details["field"] == "request.taskQueue.kind"
    with pytest.raises(InvalidArgumentError) as wrong_type:
        client.workflow_service.describe_task_queue({"taskQueue": {"name": ["q"]}})
    assert wrong_type.value.error_details["field"] == "request.taskQueue.name"
    with pytest.raises(InvalidArgumentError, match="nope"):
        client.workflow_service.get_system_info({"nope": 1})
    with pytest.raises(TypeError, match="request must be a dict"):
        client.call_rpc("workflow", "GetSystemInfo", [1])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.call_rpc("workflow", "GetSystemInfo", {"x": object()})
    # A request the server can never accept: refused, not retried, not echoed.
    with pytest.raises(TemporalBridgeError) as huge:
        client.workflow_service.describe_workflow_execution(
            {"namespace": env.namespace, "execution": {"workflowId": "x" * (10 * 1024 * 1024)}}
        )
    assert "attempts" not in huge.value.error_details
    assert len(str(huge.value)) < 10_000

    # The server's details come back decoded.
    workflow_id = wf_id("dup")
    start = {
        "namespace": env.namespace,
        "workflowId": workflow_id,
        "workflowType": {"name": "LongRunningWorkflow"},
        "taskQueue": {"name": f"idle-{uuid.uuid4().hex[:6]}"},
    }
    first = client.workflow_service.start_workflow_execution(start)
    with pytest.raises(WorkflowAlreadyStartedError) as dup:
        client.workflow_service.start_workflow_execution(start)
    detail = dup.value.error_details["grpc_details"][0]
    assert detail["@type"].endswith("WorkflowExecutionAlreadyStartedFailure")
    assert detail["runId"] == first["runId"]
    client.get_workflow_handle(workflow_id).terminate("test cleanup")


def test_asyncio_client(env: DevEnv) -> None:
    async def main() -> None:
        async with await AsyncClient.connect(env.target, namespace=env.namespace) as client:
            infos = await asyncio.gather(*(client.workflow_service.get_system_info() for _ in range(20)))
            assert len({i["serverVersion"] for i in infos}) == 1
            raw = await client.call_rpc("workflow", "GetSystemInfo", b"")
            assert GetSystemInfoResponse.FromString(raw).server_version == infos[0]["serverVersion"]
            with pytest.raises(InvalidArgumentError, match="closest"):
                await client.call_rpc("operator", "ListSearchAttribute", {"namespace": env.namespace})

    asyncio.run(asyncio.wait_for(main(), 60))
