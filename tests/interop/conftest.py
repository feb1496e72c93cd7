"""Fixtures of the examples and interop tests: one real dev server for the
whole session, with the Python SDK test worker (tests/workers/python_worker.py,
started by devenv) on its own queue and the Go SDK worker (examples/go-worker)
on ``mytaskqueue``, the queue the examples use by default.

The programs under test are built beforehand by tests/run_examples_tests.sh
(the C/C++ examples with CMake into target/examples-{c,cpp}, the Go worker
into target/go-worker, temporal_bridge into .venv); a missing one fails with
that hint rather than being built here.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "harness"))

from devenv import DevEnv, _readline_with_timeout, die_with_parent, stop_process  # noqa: E402

GO_WORKER = Path(os.environ.get("TB_GO_WORKER", REPO / "target" / "go-worker"))
GO_QUEUE = "mytaskqueue"  # the examples' default, so the tests exercise it
WORKER_READY_TIMEOUT = 60.0
# Every awaited interop body gets this long: generous for a loaded 2-CPU box,
# short enough that a hang fails instead of stalling the run.
BODY_TIMEOUT = 60.0

T = TypeVar("T")


def rebuild_hint(what: Path) -> str:
    return f"{what} is missing: run `bash tests/run_examples_tests.sh`, which builds it"


@dataclass(frozen=True)
class Env:
    target: str
    namespace: str
    py_queue: str  # the Python SDK worker's queue (EchoWorkflow, EchoArgsWorkflow, ...)
    go_queue: str  # the Go SDK worker's queue (MySimpleWorkflow, MyWorkflow, CancellableWorkflow)
    cleanup_dir: Path  # where both workers' cleanup activities write <workflow ID>

    def example_env(self) -> dict[str, str]:
        """The environment the example programs run in: only TB_TARGET and
        TB_CLEANUP_DIR set, so TB_TASK_QUEUE's default (mytaskqueue) is used."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TB_")}
        env.update(TB_TARGET=self.target, TB_CLEANUP_DIR=str(self.cleanup_dir))
        return env


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    if not GO_WORKER.is_file():
        pytest.fail(rebuild_hint(GO_WORKER))
    cleanup_dir = tmp_path_factory.mktemp("cleanup")
    logs = tmp_path_factory.mktemp("logs")
    py_queue = f"interop-py-{uuid.uuid4().hex[:8]}"
    with DevEnv(task_queue=py_queue, cleanup_dir=cleanup_dir) as devenv:
        log_path = logs / "go-worker.log"
        with open(log_path, "wb") as log:
            go = subprocess.Popen(
                die_with_parent() + [
                    str(GO_WORKER), "-target", devenv.target, "-namespace", devenv.namespace,
                    "-task-queue", GO_QUEUE, "-cleanup-dir", str(cleanup_dir),
                ],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
            )  # fmt: skip
        try:
            assert go.stdout is not None
            line = _readline_with_timeout(go.stdout, WORKER_READY_TIMEOUT)
            if line is None or line.strip() != b"worker ready":
                pytest.fail(f"Go worker not ready (first line {line!r}); its log: {log_path}")
            yield Env(devenv.target, devenv.namespace, py_queue, GO_QUEUE, cleanup_dir)
        finally:
            stop_process(go)
            go.stdout and go.stdout.close()


@pytest.fixture
def run(env: Env) -> Callable[[Callable[[Any], Awaitable[T]]], T]:
    """Runs an async test body, given a connected temporalio client, on its
    own event loop (pytest-asyncio is not among the pinned tools)."""
    from temporalio.client import Client as SdkClient

    def runner(body: Callable[[SdkClient], Awaitable[T]]) -> T:
        async def main() -> T:
            sdk = await SdkClient.connect(env.target, namespace=env.namespace)
            return await asyncio.wait_for(body(sdk), BODY_TIMEOUT)

        return asyncio.run(main())

    return runner


def workflow_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4()}"


# temporalio's Rust runtime threads can make CPython abort while it finalizes
# (temporalio/sdk-python#300, "PyGILState_Release: thread state ... must be
# current"): a client-only process that exits soon after a call dies with
# SIGABRT about one time in three here, whatever its tests did. So once pytest
# has reported everything, leave without finalizing, with pytest's own status.
_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _exit_status:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[-1])
