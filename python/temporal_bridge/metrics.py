"""Client metrics, as the official SDKs' clients report them, so dashboards
made for those read ours: ``temporal_request``, ``temporal_request_failure``
(label ``status_code``), ``temporal_request_latency`` (a histogram, in
milliseconds) and the same for long polls (``temporal_long_request*``),
labelled ``namespace``, ``operation`` (the RPC), ``service_name`` and your
global tags. Every attempt of an RPC counts. Activity workers add the gauges
``temporal_worker_task_slots_available`` and ``temporal_worker_task_slots_used``
(labels ``task_queue``, ``worker_type``).

Off until ``configure()`` is called, once per process; off, they cost
nothing. Then every client of the process records them::

    from temporal_bridge import metrics
    metrics.configure(prometheus="127.0.0.1:9464", global_tags={"app": "billing"})
    ...                                      # Prometheus scrapes http://127.0.0.1:9464/metrics
    for sample in metrics.snapshot():        # or read them here
        print(sample.name, sample.labels, sample.value)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import _native
from .exceptions import _from_error

__all__ = ["MetricSample", "configure", "prometheus_text", "snapshot"]


@dataclass(frozen=True)
class MetricSample:
    """One series: a counter's or a gauge's ``value``, or a histogram's cumulative
    ``buckets`` (upper bound in ms as text, ``"+Inf"`` last), ``sum`` (ms)
    and ``count``."""

    name: str
    kind: str
    labels: Mapping[str, str]
    value: int | None = None
    buckets: list[tuple[str, int]] = field(default_factory=list)
    sum: float | None = None
    count: int | None = None


def configure(
    *,
    prometheus: str | None = None,
    prefix: str | None = None,
    global_tags: Mapping[str, str] | None = None,
) -> str | None:
    """Turns metrics on for this process; returns the Prometheus endpoint's
    ``host:port`` when ``prometheus`` (e.g. ``"127.0.0.1:9464"``; port 0
    picks a free one) asked for one. ``prefix`` replaces ``temporal_``.
    A second call raises ``InvalidArgumentError``."""
    options: dict[str, Any] = {}
    if prometheus is not None:
        options["prometheus"] = prometheus
    if prefix is not None:
        options["prefix"] = prefix
    if global_tags is not None:
        options["global_tags"] = dict(global_tags)
    try:
        info = _native.configure_metrics(_native.to_json(options))
    except _native.NativeError as err:
        raise _from_error(err.args[0]) from None
    address = info.get("prometheus")
    return address if isinstance(address, str) else None


def snapshot() -> list[MetricSample]:
    """Every series recorded so far (empty while metrics are off)."""
    return [
        MetricSample(
            name=s["name"],
            kind=s["kind"],
            labels=s["labels"],
            value=s.get("value"),
            buckets=[(bound, count) for bound, count in s.get("buckets", [])],
            sum=s.get("sum"),
            count=s.get("count"),
        )
        for s in _native.metrics_snapshot()
    ]


def prometheus_text() -> str:
    """The metrics in Prometheus' text exposition format."""
    return _native.prometheus_text()
