"""A real Temporal Python SDK worker hosting the workflows our tests start.

Run with the repo venv's python:

    python_worker.py --target 127.0.0.1:7233 --namespace default \
        --task-queue Q --cleanup-dir DIR \
        [--codec {none,aes}] [--encode-failure-attributes]

``--codec aes`` runs every payload through the AES-GCM test codec
(aes_codec.py, the format the Go SDK worker and our client share);
``--encode-failure-attributes`` also moves failure messages and stack traces
into an encoded payload, leaving "Encoded failure" in the clear.

Prints exactly one line, ``worker ready``, to stdout once the worker polls, and
shuts down cleanly on SIGTERM/SIGINT. Workflow type names are part of the test
contract for every language's tests: do not rename them.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import json
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, is_cancelled_exception

# aes_codec sits beside this file; make it importable however we are started.
# The sandbox re-runs this module for each workflow, where Path.resolve is
# restricted and the passed-through import below needs no path anyway.
if not workflow.unsafe.in_sandbox():
    _HERE = str(Path(__file__).resolve().parent)
    if _HERE not in sys.path:
        sys.path.insert(0, _HERE)

with workflow.unsafe.imports_passed_through():
    import temporalio.converter
    from aes_codec import AesGcmCodec
    from temporalio.client import Client
    from temporalio.worker import Worker


# ---------------------------------------------------------------- activities


class Activities:
    """Activities are async so one event loop serves many concurrent workflows
    without a thread-pool executor."""

    def __init__(self, cleanup_dir: Path) -> None:
        self.cleanup_dir = cleanup_dir

    @activity.defn(name="long_activity")
    async def long_activity(self) -> str:
        # Heartbeats are how a running activity learns it was cancelled; the
        # SDK then raises asyncio.CancelledError at our next await.
        for _ in range(10 * 60 * 2):
            activity.heartbeat()
            await asyncio.sleep(0.5)
        return "long activity finished"

    @activity.defn(name="cleanup_activity")
    async def cleanup_activity(self, workflow_id: str) -> str:
        # The file is the externally observable proof that cleanup ran.
        self.cleanup_dir.mkdir(parents=True, exist_ok=True)
        (self.cleanup_dir / workflow_id).write_text("cleanup done")
        return "cleanup done"

    @activity.defn(name="fails_once_activity")
    async def fails_once_activity(self, workflow_id: str) -> str:
        # Fails the first time it runs for a workflow ID, succeeds after: a
        # marker file remembers, across runs of the workflow (a reset).
        self.cleanup_dir.mkdir(parents=True, exist_ok=True)
        marker = self.cleanup_dir / f"{workflow_id}.failed-once"
        if not marker.exists():
            marker.write_text("failed once")
            raise ApplicationError("failing the first time", type="FirstTime", non_retryable=True)
        return "recovered"

    @activity.defn(name="async_activity")
    async def async_activity(self) -> None:
        # Publishes how to reach this attempt (task token, or workflow/run/
        # activity ID), then leaves completion to an external client. The
        # file appears atomically (rename), so a reader never sees half of it.
        info = activity.info()
        record = {
            "task_token": base64.b64encode(info.task_token).decode(),
            "workflow_id": info.workflow_id,
            "run_id": info.workflow_run_id,
            "activity_id": info.activity_id,
        }
        self.cleanup_dir.mkdir(parents=True, exist_ok=True)
        final = self.cleanup_dir / f"{info.workflow_id}.activity.json"
        partial = final.with_suffix(".tmp")
        partial.write_text(json.dumps(record))
        os.replace(partial, final)
        activity.raise_complete_async()


# ----------------------------------------------------------------- workflows


@workflow.defn(name="MySimpleWorkflow")
class MySimpleWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return f"Hello, {name}!"


@workflow.defn(name="EchoWorkflow")
class EchoWorkflow:
    @workflow.run
    async def run(self, value: Any) -> Any:
        return value


@workflow.defn(name="EchoArgsWorkflow")
class EchoArgsWorkflow:
    # With *args the SDK has no per-parameter type hints, so it decodes every
    # payload with the default converter (JSON -> plain Python values), for any
    # number of arguments. A dynamic workflow would also work, but it would
    # swallow every unknown workflow type, which tests rely on staying unknown.
    @workflow.run
    async def run(self, *args: Any) -> list[Any]:
        return list(args)


@workflow.defn(name="FailingWorkflow")
class FailingWorkflow:
    @workflow.run
    async def run(self, message: str) -> None:
        # `from` sets __cause__, which the SDK encodes as a nested failure, so
        # clients see a two-level failure chain.
        raise ApplicationError(
            message, {"k": 1}, type="MyFailure", non_retryable=True
        ) from ApplicationError("root cause", type="RootCause")


@workflow.defn(name="FailsOnceWorkflow")
class FailsOnceWorkflow:
    """Fails (its activity fails the first time); run again after a reset to
    its first workflow task, the activity succeeds and so does the workflow."""

    @workflow.run
    async def run(self) -> str:
        try:
            return await workflow.execute_activity(
                "fails_once_activity",
                workflow.info().workflow_id,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except Exception as err:
            raise ApplicationError("the activity failed", type="ActivityFailed", non_retryable=True) from err


@workflow.defn(name="ContinueAsNewWorkflow")
class ContinueAsNewWorkflow:
    @workflow.run
    async def run(self, remaining: int, count: int = 0) -> int:
        if remaining > 0:
            workflow.continue_as_new(args=[remaining - 1, count + 1])
        return count


@workflow.defn(name="RetryingWorkflow")
class RetryingWorkflow:
    @workflow.run
    async def run(self) -> int:
        attempt = workflow.info().attempt
        if attempt < 2:
            # Retryable: the client's workflow retry policy starts attempt 2.
            raise ApplicationError(f"failing attempt {attempt}", type="Retry")
        return attempt


@workflow.defn(name="LongRunningWorkflow")
class LongRunningWorkflow:
    @workflow.run
    async def run(self, seconds: float) -> str:
        await asyncio.sleep(seconds)  # a durable workflow timer
        return "done"


@workflow.defn(name="CancellableWorkflow")
class CancellableWorkflow:
    """Mirrors the Go SDK cancellation sample (defer + disconnected context)."""

    @workflow.run
    async def run(self) -> str:
        try:
            # WAIT_CANCELLATION_COMPLETED (Go's WaitForCancellation: true): the
            # workflow only proceeds once long_activity has seen the cancel on
            # a heartbeat (<= ~1.6s, the SDK's heartbeat throttle) and ended,
            # so history shows ActivityTaskCanceled before cleanup. TRY_CANCEL
            # would close the workflow at once and leave the activity running
            # until its next heartbeat fails.
            await workflow.execute_activity(
                "long_activity",
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(seconds=2),
                cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
            return "long activity completed"
        except BaseException as err:
            if not is_cancelled_exception(err):
                raise
            # Go's disconnected context. Temporal delivers a workflow cancel
            # once, as one asyncio cancel of the awaited operation, so a new
            # activity would run even unshielded (verified); the shield states
            # the intent and keeps any further task cancel off the cleanup.
            await asyncio.shield(
                workflow.execute_activity(
                    "cleanup_activity",
                    workflow.info().workflow_id,
                    start_to_close_timeout=timedelta(seconds=30),
                )
            )
            # Re-raising the cancellation makes the workflow end Canceled.
            raise


@workflow.defn(name="SignalQueryWorkflow")
class SignalQueryWorkflow:
    def __init__(self) -> None:
        self._values: list[Any] = []
        self._finished = False

    @workflow.run
    async def run(self) -> list[Any]:
        await workflow.wait_condition(lambda: self._finished)
        return self._values

    @workflow.signal(name="add")
    def add(self, value: Any) -> None:
        self._values.append(value)

    @workflow.signal(name="finish")
    def finish(self) -> None:
        self._finished = True

    @workflow.query(name="values")
    def values(self) -> list[Any]:
        return self._values

    @workflow.update(name="set_values")
    def set_values(self, values: Any) -> int:
        self._values = list(values)
        return len(self._values)

    @set_values.validator
    def validate_set_values(self, values: Any) -> None:
        if not isinstance(values, list):
            raise ValueError(f"set_values expects a list, got {type(values).__name__}")


@workflow.defn(name="HandlerFailuresWorkflow")
class HandlerFailuresWorkflow:
    """Handlers that fail or take their time, for update and query errors."""

    def __init__(self) -> None:
        self._finished = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self._finished)
        return "finished"

    @workflow.signal(name="finish")
    def finish(self) -> None:
        self._finished = True

    @workflow.update(name="fail_update")
    def fail_update(self, message: str) -> None:
        # Accepted (no validator), then fails: the update's outcome is a
        # failure with a two-level chain, like FailingWorkflow's.
        raise ApplicationError(
            message, {"k": 2}, type="UpdateFailure", non_retryable=True
        ) from ApplicationError("update root cause", type="RootCause")

    @workflow.update(name="slow_update")
    async def slow_update(self, seconds: float) -> str:
        await asyncio.sleep(seconds)  # a durable timer: accepted long before completed
        return f"slept {seconds}"

    @workflow.query(name="fail_query")
    def fail_query(self) -> None:
        raise ApplicationError("query handler failed", type="QueryFailure")


@workflow.defn(name="AsyncActivityWorkflow")
class AsyncActivityWorkflow:
    """Returns the result of an activity that a client completes from outside."""

    @workflow.run
    async def run(self) -> Any:
        # WAIT_CANCELLATION_COMPLETED: a workflow cancel only reaches the
        # activity as cancel_requested on its next heartbeat, and the workflow
        # ends once the client reports the cancellation.
        return await workflow.execute_activity(
            "async_activity",
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(maximum_attempts=1),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )


@workflow.defn(name="CodecEchoWorkflow")
class CodecEchoWorkflow:
    """Payload-codec interop: every value it takes or gives crosses the codec.
    The Go SDK worker implements the same contract under the same names."""

    # The input is taken in __init__ (workflow.init), before any handler runs:
    # set in run, it would overwrite an update delivered with the start.
    @workflow.init
    def __init__(self, value: Any) -> None:
        self._state: dict[str, Any] = {"input": value, "signals": []}
        self._finish: str | None = None

    @workflow.run
    async def run(self, value: Any) -> dict[str, Any]:
        await workflow.wait_condition(lambda: self._finish is not None)
        if self._finish == "fail":
            # The state rides along as failure details, encoded like any payload.
            raise ApplicationError(
                "codec workflow failed on request",
                self._state,
                type="CodecRequestedFailure",
                non_retryable=True,
            )
        return self._state

    @workflow.signal(name="append")
    def append(self, value: Any) -> None:
        self._state["signals"].append(value)

    @workflow.signal(name="finish")
    def finish(self, outcome: str) -> None:
        self._finish = outcome

    @workflow.query(name="state")
    def state(self) -> dict[str, Any]:
        return self._state

    @workflow.update(name="set_input")
    def set_input(self, value: Any) -> dict[str, Any]:
        previous = self._state["input"]
        self._state["input"] = value
        return {"previous": previous}


def _millis(value: Any) -> timedelta | None:
    """A JSON number of milliseconds as a timedelta; None for 0 or absent."""
    return timedelta(milliseconds=value) if value else None


@workflow.defn(name="CallActivityWorkflow")
class CallActivityWorkflow:
    """Calls an activity by type name on another task queue, so tests can drive
    activities that a worker in another language implements. The Go SDK worker
    implements the same contract under the same name.

    The input is a JSON object; only "activity" and "task_queue" are required,
    and a 0 or absent number means its default (or unset, where there is none):

    - "activity", "task_queue": the activity type and the queue it runs on;
    - "args": the activity's positional arguments (default none);
    - "start_to_close_timeout_ms" (default 60000),
      "schedule_to_close_timeout_ms", "heartbeat_timeout_ms": its timeouts;
    - "retry": {"maximum_attempts" (default 0: unlimited),
      "initial_interval_ms" (default 100), "backoff_coefficient" (default 1.0),
      "maximum_interval_ms", "non_retryable_error_types"}; without it the
      activity runs once (maximum_attempts 1);
    - "count": when >= 1, run that many copies concurrently and return the
      list of their results;
    - "wait_for_cancellation" (default true): WAIT_CANCELLATION_COMPLETED,
      else TRY_CANCEL;
    - "cleanup_activity": run on "task_queue" with the workflow ID once a
      workflow cancel has cancelled the activities.

    The result is the activity's (a list of them with "count"). An activity
    failure propagates unchanged (with "count", the first in schedule order).
    On a workflow cancel every activity is cancelled; once all have ended the
    cleanup activity runs and the workflow ends Cancelled, even if the cleanup
    failed (that is logged).
    """

    @workflow.run
    async def run(self, params: dict[str, Any]) -> Any:
        name = params.get("activity")
        task_queue = params.get("task_queue")
        if not name or not task_queue:
            raise ApplicationError(
                'CallActivityWorkflow needs "activity" and "task_queue"',
                type="InvalidCallActivityInput",
                non_retryable=True,
            )
        retry = params.get("retry")
        if retry is None:
            retry_policy = RetryPolicy(
                initial_interval=timedelta(milliseconds=100), backoff_coefficient=1.0, maximum_attempts=1
            )
        else:
            retry_policy = RetryPolicy(
                initial_interval=_millis(retry.get("initial_interval_ms")) or timedelta(milliseconds=100),
                backoff_coefficient=retry.get("backoff_coefficient") or 1.0,
                maximum_interval=_millis(retry.get("maximum_interval_ms")),
                maximum_attempts=retry.get("maximum_attempts") or 0,
                non_retryable_error_types=retry.get("non_retryable_error_types"),
            )
        start_to_close = _millis(params.get("start_to_close_timeout_ms")) or timedelta(minutes=1)
        count = params.get("count") or 0
        handles = [
            workflow.start_activity(
                name,
                args=params.get("args") or [],
                task_queue=task_queue,
                start_to_close_timeout=start_to_close,
                schedule_to_close_timeout=_millis(params.get("schedule_to_close_timeout_ms")),
                heartbeat_timeout=_millis(params.get("heartbeat_timeout_ms")),
                retry_policy=retry_policy,
                cancellation_type=(
                    workflow.ActivityCancellationType.TRY_CANCEL
                    if params.get("wait_for_cancellation") is False
                    else workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
                ),
            )
            for _ in range(max(count, 1))
        ]
        try:
            results = [await handle for handle in handles]
        except BaseException as err:
            if not is_cancelled_exception(err):
                raise
            # The workflow cancel reached only the activity awaited here; cancel
            # the others too (as Go's context does) and let them all end.
            for handle in handles:
                handle.cancel()
            await asyncio.gather(*handles, return_exceptions=True)
            cleanup = params.get("cleanup_activity")
            if cleanup:
                try:
                    # Shielded like CancellableWorkflow's cleanup.
                    await asyncio.shield(
                        workflow.execute_activity(
                            cleanup,
                            workflow.info().workflow_id,
                            task_queue=task_queue,
                            start_to_close_timeout=timedelta(seconds=30),
                            retry_policy=RetryPolicy(maximum_attempts=3),
                        )
                    )
                except Exception:
                    workflow.logger.exception("cleanup activity %s failed", cleanup)
            # Re-raising the cancellation makes the workflow end Cancelled.
            raise
        return results if count >= 1 else results[0]


WORKFLOWS = [
    MySimpleWorkflow,
    EchoWorkflow,
    EchoArgsWorkflow,
    FailingWorkflow,
    FailsOnceWorkflow,
    ContinueAsNewWorkflow,
    RetryingWorkflow,
    LongRunningWorkflow,
    CancellableWorkflow,
    SignalQueryWorkflow,
    HandlerFailuresWorkflow,
    AsyncActivityWorkflow,
    CodecEchoWorkflow,
    CallActivityWorkflow,
]


# ---------------------------------------------------------------------- main


async def run_worker(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    converter = temporalio.converter.DataConverter.default
    if args.codec == "aes":
        converter = dataclasses.replace(converter, payload_codec=AesGcmCodec())
    if args.encode_failure_attributes:
        converter = dataclasses.replace(
            converter,
            failure_converter_class=temporalio.converter.DefaultFailureConverterWithEncodedAttributes,
        )
    client = await Client.connect(args.target, namespace=args.namespace, data_converter=converter)
    acts = Activities(Path(args.cleanup_dir))
    worker = Worker(
        client,
        task_queue=args.task_queue,
        workflows=WORKFLOWS,
        activities=[
            acts.long_activity,
            acts.cleanup_activity,
            acts.fails_once_activity,
            acts.async_activity,
        ],
        # Let in-flight activities (e.g. a cleanup) finish on shutdown.
        graceful_shutdown_timeout=timedelta(seconds=2),
    )
    async with worker:
        print("worker ready", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="host:port of the frontend")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--cleanup-dir", required=True)
    parser.add_argument("--codec", choices=["none", "aes"], default="none")
    parser.add_argument(
        "--encode-failure-attributes",
        action="store_true",
        help="encode failure messages and stack traces (meaningful with a codec)",
    )
    args = parser.parse_args()
    Path(args.cleanup_dir).mkdir(parents=True, exist_ok=True)
    asyncio.run(run_worker(args))
    # The worker shut down cleanly. Leave without finalizing the interpreter:
    # temporalio's Rust threads can make CPython abort while it finalizes
    # ("PyGILState_Release: thread state ... must be current"), which would
    # only add noise to the test logs.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
