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

The API is never imported here: an application with a current span has
imported it already (``opentelemetry.trace`` is in ``sys.modules``), and one
that has not pays nothing — importing it costs ~75 ms at start-up.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # kept off the import path: `typing` alone costs ~12 ms at start-up
    from collections.abc import Awaitable, Callable, Mapping
    from typing import Any

__all__ = ["TRACED", "TRACER_HEADER", "call", "call_async"]

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


# The operations that may carry a trace.
TRACED: frozenset[str] = frozenset(_SPANS)


def may_trace(operation: str) -> bool:
    """Whether a call of ``operation`` may carry a trace: it reaches a
    workflow's code and the application has loaded the OpenTelemetry API."""
    return operation in TRACED and "opentelemetry.trace" in sys.modules


def _api() -> Any:
    """The OpenTelemetry trace API module if the application has loaded it, else None."""
    return sys.modules.get("opentelemetry.trace")


def _span_request(operation: str, request: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The client span's name and its attributes when ``request`` should be
    traced: a span is current and the caller wrote no trace context of its
    own (which then wins, untouched)."""
    trace = _api()
    if trace is None or not trace.get_current_span().get_span_context().is_valid:
        return None
    name = _span_name(operation, request)
    if name is None or TRACER_HEADER in (request.get("header") or {}) or request.get("trace_context") is not None:
        return None
    return name, ({"temporalWorkflowID": request["workflow_id"]} if request.get("workflow_id") else {})


def _tracer() -> tuple[Any, Any, Any]:
    """The tracer of client spans, the span kind to give them, and the
    caller's own context."""
    import opentelemetry.context as context
    import opentelemetry.trace as trace

    return trace.get_tracer("temporal_bridge"), trace.SpanKind.CLIENT, context.get_current()


def _with_context(request: Mapping[str, Any], span: Any, outer: Any) -> Mapping[str, Any]:
    """``request`` with the client span's context in its header."""
    import opentelemetry.propagate as propagate

    carrier: dict[str, str] = {}
    # With no SDK installed the span is a no-op one: the caller's own
    # context is then the one to pass on.
    propagate.inject(carrier, context=None if span.get_span_context().is_valid else outer)
    if not carrier:
        return request
    return {**request, "header": {**(request.get("header") or {}), TRACER_HEADER: carrier}}


def call(operation: str, request: Mapping[str, Any], send: Callable[[str, Mapping[str, Any]], Any]) -> Any:
    """``send(operation, request)``, in a client span when one applies (only
    for operations in ``TRACED``)."""
    traced = _span_request(operation, request)
    if traced is None:
        return send(operation, request)
    name, attributes = traced
    tracer, kind, outer = _tracer()
    with tracer.start_as_current_span(name, kind=kind, attributes=attributes) as span:
        response = send(operation, _with_context(request, span, outer))
        _finished(span, response)
        return response


async def call_async(
    operation: str, request: Mapping[str, Any], send: Callable[[str, Mapping[str, Any]], Awaitable[Any]]
) -> Any:
    """``call`` for a coroutine ``send``."""
    traced = _span_request(operation, request)
    if traced is None:
        return await send(operation, request)
    name, attributes = traced
    tracer, kind, outer = _tracer()
    with tracer.start_as_current_span(name, kind=kind, attributes=attributes) as span:
        response = await send(operation, _with_context(request, span, outer))
        _finished(span, response)
        return response


def _finished(span: Any, response: Any) -> None:
    """Notes on the client span what the call's answer named (the workflow
    ID a start generated)."""
    if isinstance(response, dict) and "workflow_id" in response:
        span.set_attribute("temporalWorkflowID", str(response["workflow_id"]))
