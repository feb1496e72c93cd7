"""Trace propagation in the package itself (the joins with temporalio's and
the Go SDK's tracing interceptors are in tests/interop/test_tracing_interop.py):
an application that never loaded OpenTelemetry pays nothing for it, and one
with a current span sends that span's context to the server in the
``_tracer-data`` header of a start, while calls outside any span carry none."""

from __future__ import annotations

import json
from typing import Any

from helpers import run_child

CHILD = """
import json, sys
from temporal_bridge import Client
client = Client.connect(sys.argv[1], namespace=sys.argv[2])
handle = client.start_workflow("EchoWorkflow", 1, task_queue=sys.argv[3])
handle.result(timeout=60)
loaded = sorted(m for m in sys.modules if m.startswith("opentelemetry"))
header = handle.fetch_history()["events"][0]["workflowExecutionStartedEventAttributes"].get("header")
traced = None
if sys.argv[4] == "span":
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    trace.set_tracer_provider(TracerProvider())
    with trace.get_tracer("test").start_as_current_span("caller") as caller:
        traced_handle = client.start_workflow("EchoWorkflow", 2, task_queue=sys.argv[3])
    traced_handle.result(timeout=60)
    fields = traced_handle.fetch_history()["events"][0]["workflowExecutionStartedEventAttributes"]["header"]["fields"]
    traced = {"trace_id": f"{caller.get_span_context().trace_id:032x}", "header": fields["_tracer-data"]}
print(json.dumps({"loaded": loaded, "header": header, "traced": traced}))
"""


def run(env: Any, mode: str) -> dict[str, Any]:
    done = run_child(CHILD, env.target, env.namespace, env.task_queue, mode)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_without_opentelemetry_loaded_nothing_is_imported_or_sent(env: Any) -> None:
    result = run(env, "plain")
    assert result["loaded"] == []
    assert "_tracer-data" not in ((result["header"] or {}).get("fields") or {})


def test_a_current_span_reaches_the_server_in_the_tracer_header(env: Any) -> None:
    import base64

    traced = run(env, "span")["traced"]
    payload = traced["header"]
    assert base64.b64decode(payload["metadata"]["encoding"]) == b"json/plain"
    carrier = json.loads(base64.b64decode(payload["data"]))
    version, trace_id, parent_id, flags = carrier["traceparent"].split("-")
    # The client span made for the start is a child of the caller's span:
    # the same trace, a span of its own.
    assert (version, trace_id) == ("00", traced["trace_id"])
    assert int(flags, 16) & 1, flags  # sampled
    assert len(parent_id) == 16 and parent_id != "0" * 16
