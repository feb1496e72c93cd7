"""OpenTelemetry context propagation, automatic when the ``opentelemetry``
API package is installed.

When a span is current, a call that reaches a workflow's code (start and
signal-with-start, signal, query, update) runs inside a client span named as
temporalio's ``TracingInterceptor`` names its own (``StartWorkflow:<type>``,
``SignalWithStartWorkflow:<type>``, ``SignalWorkflow:<name>``,
``QueryWorkflow:<name>``, ``StartWorkflowUpdate:<name>``), and that span's
context, written by the application's global propagator (W3C trace context
by default), travels in the ``_tracer-data`` Temporal header. A worker running
temporalio's or the Go SDK's OpenTelemetry interceptor then continues the
trace. Without a current span nothing is added and no span is made.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

try:
    import opentelemetry.context as context
    import opentelemetry.propagate as propagate
    import opentelemetry.trace as trace
except ImportError:  # the API package is optional
    trace = None  # type: ignore[assignment]

__all__ = ["TRACER_HEADER", "finished", "traced"]

TRACER_HEADER = "_tracer-data"

# operation -> (span name prefix, request field holding the name after the colon)
_SPANS = {
    "start_workflow": ("StartWorkflow", "workflow_type"),
    "signal_workflow": ("SignalWorkflow", "signal_name"),
    "query_workflow": ("QueryWorkflow", "query_type"),
    "execute_update": ("StartWorkflowUpdate", "update_name"),
}


def _span_name(operation: str, request: Mapping[str, Any]) -> str | None:
    spec = _SPANS.get(operation)
    if spec is None:
        return None
    prefix, field = spec
    if operation == "start_workflow" and request.get("start_signal") is not None:
        prefix = "SignalWithStartWorkflow"
    return f"{prefix}:{request.get(field)}"


@contextmanager
def traced(operation: str, request: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], Any]]:
    """Yields the request to send (with the trace header when a span is
    current) and the client span made for it (``None`` when none was)."""
    if trace is None:
        yield request, None
        return
    current = trace.get_current_span()
    name = _span_name(operation, request)
    if name is None or not current.get_span_context().is_valid:
        yield request, None
        return
    header = dict(request.get("header") or {})
    if TRACER_HEADER in header or request.get("trace_context") is not None:
        # The caller wrote its own trace context: it wins, untouched.
        yield request, None
        return
    attributes = {"temporalWorkflowID": request["workflow_id"]} if request.get("workflow_id") else {}
    outer = context.get_current()
    tracer = trace.get_tracer("temporal_bridge")
    with tracer.start_as_current_span(name, kind=trace.SpanKind.CLIENT, attributes=attributes) as span:
        carrier: dict[str, str] = {}
        # With no SDK installed the span is a no-op one: the caller's own
        # context is then the one to pass on.
        propagate.inject(carrier, context=None if span.get_span_context().is_valid else outer)
        if carrier:
            header[TRACER_HEADER] = carrier
            request = {**request, "header": header}
        yield request, span


def finished(span: Any, response: Any) -> None:
    """Notes on the client span what the call's answer named (the workflow
    ID a start generated)."""
    if span is not None and isinstance(response, Mapping) and "workflow_id" in response:
        span.set_attribute("temporalWorkflowID", str(response["workflow_id"]))
