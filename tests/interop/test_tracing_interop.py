"""Traces that join: our client's calls carry the caller's OpenTelemetry
context in the ``_tracer-data`` header, and the official SDKs' tracing
interceptors continue it on the worker side.

- temporalio: a worker in this process with ``TracingInterceptor``, its spans
  (and our client's) recorded by the OpenTelemetry SDK's in-memory exporter;
- the Go SDK: examples/go-worker with ``-otel-spans FILE``, the Go SDK's
  OpenTelemetry interceptor, every ended span written to FILE;
- from Python (a current span is propagated on its own) and from C (the C
  example's ``TRACEPARENT``, passed as the request's ``trace_context``).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client as SdkClient
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from conftest import GO_WORKER, REPO, WORKER_READY_TIMEOUT, Env
from devenv import _readline_with_timeout, die_with_parent, stop_process
from test_examples import run_example
from temporal_bridge import Client
from temporal_bridge.aio import AsyncClient

sys.path.insert(0, str(REPO / "tests" / "workers"))
from python_worker import CodecEchoWorkflow, MySimpleWorkflow  # noqa: E402

EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider()
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
# Our client makes its spans with the global provider, as an application's would.
trace.set_tracer_provider(PROVIDER)
TRACER = trace.get_tracer("tracing-interop-test")


@dataclass(frozen=True)
class Span:
    """One ended span, from either exporter."""

    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: str
    links: tuple[tuple[str, str], ...]
    attributes: dict[str, str]


def from_sdk(span: ReadableSpan) -> Span:
    context = span.get_span_context()
    assert context is not None
    return Span(
        name=span.name,
        trace_id=f"{context.trace_id:032x}",
        span_id=f"{context.span_id:016x}",
        parent_span_id=f"{span.parent.span_id:016x}" if span.parent else "",
        kind=span.kind.name.lower(),
        links=tuple((f"{link.context.trace_id:032x}", f"{link.context.span_id:016x}") for link in span.links),
        attributes={k: str(v) for k, v in (span.attributes or {}).items()},
    )


def from_go(line: str) -> Span:
    span = json.loads(line)
    return Span(
        name=span["name"],
        trace_id=span["trace_id"],
        span_id=span["span_id"],
        parent_span_id=span["parent_span_id"],
        kind=span["kind"],
        links=tuple((link["trace_id"], link["span_id"]) for link in span["links"] or []),
        attributes=span["attributes"] or {},
    )


def sdk_spans() -> list[Span]:
    return [from_sdk(span) for span in EXPORTER.get_finished_spans()]


def one(spans: list[Span], name: str, trace_id: str) -> Span:
    found = [s for s in spans if s.name == name and s.trace_id == trace_id]
    assert len(found) == 1, f"want one {name!r} span in trace {trace_id}, got {found}; all: {spans}"
    return found[0]


def parents(spans: list[Span], name: str, trace_id: str) -> set[str]:
    """The parents of every ``name`` span of the trace (the Go SDK's
    interceptor makes RunWorkflow and HandleUpdate spans again when it
    replays the workflow, each with the same parent)."""
    found = {s.parent_span_id for s in spans if s.name == name and s.trace_id == trace_id}
    assert found, f"no {name!r} span in trace {trace_id}; all: {spans}"
    return found


@dataclass(frozen=True)
class Workers:
    py_queue: str  # temporalio worker with TracingInterceptor, in this process
    go_queue: str  # the Go SDK worker with its OpenTelemetry interceptor
    go_spans: Path


@pytest.fixture(scope="module")
def workers(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    if not GO_WORKER.is_file():
        pytest.fail(f"{GO_WORKER} is missing: run `bash tests/run_examples_tests.sh`, which builds it")
    logs = tmp_path_factory.mktemp("tracing")
    py_queue, go_queue = (f"tracing-{side}-{uuid.uuid4().hex[:8]}" for side in ("py", "go"))
    go_spans = logs / "go-spans.jsonl"

    ready = threading.Event()
    failed: list[BaseException] = []
    loop_box: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def serve() -> None:
        stop = asyncio.Event()
        loop_box.append((asyncio.get_running_loop(), stop))
        sdk = await SdkClient.connect(
            env.target, namespace=env.namespace, interceptors=[TracingInterceptor(TRACER)]
        )
        async with Worker(
            sdk, task_queue=py_queue, workflows=[CodecEchoWorkflow, MySimpleWorkflow],
            workflow_runner=UnsandboxedWorkflowRunner(),
        ):  # fmt: skip
            ready.set()
            await stop.wait()

    def thread_main() -> None:
        try:
            asyncio.run(serve())
        except BaseException as error:  # reported to the test
            failed.append(error)
            ready.set()

    thread = threading.Thread(target=thread_main, name="temporalio-traced-worker", daemon=True)
    thread.start()
    with open(logs / "go-worker.log", "wb") as log:
        go = subprocess.Popen(
            die_with_parent() + [
                str(GO_WORKER), "-target", env.target, "-namespace", env.namespace, "-task-queue", go_queue,
                "-cleanup-dir", str(env.cleanup_dir), "-otel-spans", str(go_spans),
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
        )  # fmt: skip
    try:
        assert go.stdout is not None
        line = _readline_with_timeout(go.stdout, WORKER_READY_TIMEOUT)
        assert line is not None and line.strip() == b"worker ready", f"Go worker: {line!r}; log in {logs}"
        assert ready.wait(WORKER_READY_TIMEOUT), "the temporalio worker did not start"
        assert not failed, f"the temporalio worker failed: {failed}"
        yield Workers(py_queue, go_queue, go_spans)
    finally:
        stop_process(go)
        if loop_box:
            loop, stop = loop_box[0]
            loop.call_soon_threadsafe(stop.set)
        thread.join(30)


def go_spans(workers: Workers, want: str, trace_id: str) -> list[Span]:
    """The Go worker's spans once ``want`` of ``trace_id`` is among them (the
    worker writes each span as it ends, maybe a moment after our call)."""
    deadline = time.monotonic() + 20
    while True:
        text = workers.go_spans.read_text() if workers.go_spans.exists() else ""
        spans = [from_go(line) for line in text.splitlines() if line.strip()]
        if any(s.name == want and s.trace_id == trace_id for s in spans) or time.monotonic() > deadline:
            return spans
        time.sleep(0.05)


def echo_round(client: Client, queue: str) -> tuple[str, str]:
    """Start, signal, query, update and finish CodecEchoWorkflow under one
    span; returns the trace ID and the workflow ID."""
    with TRACER.start_as_current_span("caller") as caller:
        handle = client.start_workflow("CodecEchoWorkflow", "in", task_queue=queue)
        handle.signal("append", 1)
        assert handle.query("state") == {"input": "in", "signals": [1]}
        assert handle.execute_update("set_input", "out") == {"previous": "in"}
        handle.signal("finish", "ok")
        assert handle.result(timeout=60) == {"input": "out", "signals": [1]}
    return f"{caller.get_span_context().trace_id:032x}", handle.id


def our_spans(trace_id: str, workflow_id: str) -> dict[str, Span]:
    """Our client's spans of ``echo_round``: children of the caller's span."""
    spans = sdk_spans()
    caller = one(spans, "caller", trace_id)
    ours = {
        name: one(spans, name, trace_id)
        for name in ("StartWorkflow:CodecEchoWorkflow", "SignalWorkflow:append", "QueryWorkflow:state",
                     "StartWorkflowUpdate:set_input", "SignalWorkflow:finish")
    }  # fmt: skip
    for span in ours.values():
        assert (span.parent_span_id, span.kind) == (caller.span_id, "client"), span
        assert span.attributes["temporalWorkflowID"] == workflow_id, span
    return ours


def test_a_temporalio_worker_continues_the_trace_of_our_python_calls(env: Env, workers: Workers) -> None:
    client = Client.connect(env.target, namespace=env.namespace)
    trace_id, workflow_id = echo_round(client, workers.py_queue)
    ours = our_spans(trace_id, workflow_id)
    spans = sdk_spans()
    # The workflow runs as a child of our start; a query is answered as a
    # child of our query; signals and updates are handled in the workflow's
    # trace with a link to the call that sent them (as temporalio does).
    assert one(spans, "RunWorkflow:CodecEchoWorkflow", trace_id).parent_span_id == ours["StartWorkflow:CodecEchoWorkflow"].span_id
    assert one(spans, "HandleQuery:state", trace_id).parent_span_id == ours["QueryWorkflow:state"].span_id
    for handled, sent in [("HandleSignal:append", "SignalWorkflow:append"),
                          ("HandleUpdate:set_input", "StartWorkflowUpdate:set_input")]:  # fmt: skip
        assert (trace_id, ours[sent].span_id) in one(spans, handled, trace_id).links, handled
    client.close()


def test_signal_with_start_from_asyncio_and_no_span_means_no_header(env: Env, workers: Workers) -> None:
    async def body() -> tuple[str, str]:
        client = await AsyncClient.connect(env.target, namespace=env.namespace)
        with TRACER.start_as_current_span("async caller") as caller:
            handle = await client.start_workflow(
                "CodecEchoWorkflow", "x", task_queue=workers.py_queue, start_signal="finish", start_signal_args=["ok"]
            )
        assert await handle.result(timeout=60) == {"input": "x", "signals": []}
        # Outside any span: nothing is added, no span is made.
        quiet = await client.start_workflow("MySimpleWorkflow", "quiet", task_queue=workers.py_queue)
        assert await quiet.result(timeout=60) == "Hello, quiet!"
        history = await quiet.fetch_history()
        started = history["events"][0]["workflowExecutionStartedEventAttributes"]
        assert "_tracer-data" not in (started.get("header") or {}).get("fields", {}), started
        client.close()
        return f"{caller.get_span_context().trace_id:032x}", quiet.id

    trace_id, quiet_id = asyncio.run(body())
    spans = sdk_spans()
    sent = one(spans, "SignalWithStartWorkflow:CodecEchoWorkflow", trace_id)
    assert one(spans, "RunWorkflow:CodecEchoWorkflow", trace_id).parent_span_id == sent.span_id
    assert not [s for s in spans if s.attributes.get("temporalWorkflowID") == quiet_id and s.kind == "client"]


def test_the_go_sdk_worker_continues_the_trace_of_our_python_calls(env: Env, workers: Workers) -> None:
    client = Client.connect(env.target, namespace=env.namespace)
    trace_id, workflow_id = echo_round(client, workers.go_queue)
    ours = our_spans(trace_id, workflow_id)
    spans = go_spans(workers, "RunWorkflow:CodecEchoWorkflow", trace_id)
    # Every span the Go interceptor makes is a child of the call that caused it.
    for handled, sent in [("RunWorkflow:CodecEchoWorkflow", "StartWorkflow:CodecEchoWorkflow"),
                          ("HandleSignal:append", "SignalWorkflow:append"), ("HandleQuery:state", "QueryWorkflow:state"),
                          ("ValidateUpdate:set_input", "StartWorkflowUpdate:set_input"),
                          ("HandleUpdate:set_input", "StartWorkflowUpdate:set_input"),
                          ("HandleSignal:finish", "SignalWorkflow:finish")]:  # fmt: skip
        assert parents(spans, handled, trace_id) == {ours[sent].span_id}, handled
    client.close()


@pytest.mark.parametrize("worker", ["temporalio", "go"])
def test_the_c_example_passes_its_traceparent_to_the_worker(env: Env, workers: Workers, worker: str) -> None:
    trace_id, parent = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    queue = workers.py_queue if worker == "temporalio" else workers.go_queue
    out = run_example(
        env, "c", "start_workflow", "Traced",
        extra_env={"TB_TASK_QUEUE": queue, "TRACEPARENT": f"00-{trace_id}-{parent}-01", "TRACESTATE": "tb=1"},
    )  # fmt: skip
    workflow_id = out.split()[3]
    client = Client.connect(env.target, namespace=env.namespace)
    assert client.get_workflow_handle(workflow_id).result(timeout=60) == "Hello, Traced!"
    client.close()
    spans = sdk_spans() if worker == "temporalio" else go_spans(workers, "RunWorkflow:MySimpleWorkflow", trace_id)
    assert parents(spans, "RunWorkflow:MySimpleWorkflow", trace_id) == {parent}
