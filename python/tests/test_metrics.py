"""Client metrics, scraped from the Prometheus endpoint and parsed with the
``prometheus_client`` package's own text parser, after a known mix of calls,
failures and long polls. Metrics are configured once per process, so the
calls run in a child process that keeps its endpoint open until told to
exit."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import urllib.request
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from temporal_bridge import InvalidArgumentError, metrics

CHILD = textwrap.dedent(
    """
    import json, sys
    from temporal_bridge import Client, InvalidArgumentError, NotFoundError, metrics

    target, namespace, task_queue = sys.argv[1:4]
    assert metrics.snapshot() == []
    address = metrics.configure(prometheus="127.0.0.1:0", global_tags={"app": "py-metrics"})
    try:
        metrics.configure()
    except InvalidArgumentError as err:
        assert "already configured" in str(err), err
    else:
        raise AssertionError("configured twice")
    client = Client.connect(target, namespace=namespace)
    for _ in range(3):
        client.count_workflows()
    try:
        client.get_workflow_handle("no-such-workflow").describe()
    except NotFoundError:
        pass
    handle = client.start_workflow("EchoWorkflow", 7, id="metrics-" + address, task_queue=task_queue)
    assert handle.result() == 7
    snapshot = [s.__dict__ for s in metrics.snapshot()]
    print(json.dumps({"address": address, "snapshot": snapshot}), flush=True)
    sys.stdin.read()
    """
)


def samples(text: str) -> list[Any]:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def find(all_samples: list[Any], name: str, **labels: str) -> list[float]:
    return [s.value for s in all_samples if s.name == name and labels.items() <= s.labels.items()]


def test_counts_and_labels_after_a_known_mix_of_calls(env: Any) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, env.target, env.namespace, env.task_queue],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        report = json.loads(child.stdout.readline())
        with urllib.request.urlopen(f"http://{report['address']}/metrics", timeout=10) as response:
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = response.read().decode()
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
    assert child.returncode == 0
    parsed = samples(text)
    base = {"namespace": env.namespace, "service_name": "temporal-bridge", "app": "py-metrics"}
    count_op = {**base, "operation": "CountWorkflowExecutions"}
    # prometheus_client reads a counter family's samples with "_total" added.
    assert find(parsed, "temporal_request_total", **count_op) == [3.0]
    assert find(parsed, "temporal_request_latency_count", **count_op) == [3.0]
    assert find(parsed, "temporal_request_latency_bucket", **count_op, le="+Inf") == [3.0]
    assert find(parsed, "temporal_request_failure_total", **count_op) == []
    describe = {**base, "operation": "DescribeWorkflowExecution"}
    assert find(parsed, "temporal_request_failure_total", **describe, status_code="NOT_FOUND") == [1.0]
    assert find(parsed, "temporal_request_total", **base, operation="StartWorkflowExecution") == [1.0]
    history = {**base, "operation": "GetWorkflowExecutionHistory"}
    long_polls = find(parsed, "temporal_long_request_total", **history)
    assert long_polls and long_polls[0] >= 1.0, text
    assert find(parsed, "temporal_request_total", **history) == []
    # The snapshot the child read says the same.
    counts = [
        s for s in report["snapshot"]
        if s["name"] == "temporal_request" and s["labels"].get("operation") == "CountWorkflowExecutions"
    ]  # fmt: skip
    assert [s["value"] for s in counts] == [3]


def test_bad_options_are_refused_by_name() -> None:
    # Refused before anything is configured, so this process stays off.
    with pytest.raises(InvalidArgumentError, match="label name"):
        metrics.configure(global_tags={"not-a-label": "x"})
    with pytest.raises(InvalidArgumentError, match="prefix"):
        metrics.configure(prefix="my-app_")
    with pytest.raises(InvalidArgumentError, match="cannot serve Prometheus metrics"):
        metrics.configure(prometheus="not an address")
    assert metrics.snapshot() == []
    assert metrics.prometheus_text() == ""
