"""Blocking calls release the GIL and stay interruptible: Ctrl-C (SIGINT) to a
process blocked in result() ends it promptly and leaves the workflow
running; timeouts; one client shared by many threads; fork()."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from devenv import DevEnv
from helpers import CTRL_C_AS_IN_A_TERMINAL, child_env, reach, run_child, wait_until

from temporal_bridge import CallCancelledError, CallTimeoutError, Client, WorkflowExecutionStatus

WfId = Callable[[str], str]

# The children take an optional 4th argument: the CA file of a TLS terminator
# in front of the server (the connection then runs TLS, as in production).
CHILD_TLS = """
from pathlib import Path
from temporal_bridge import TLSConfig
tls = TLSConfig(server_root_ca_cert=Path(sys.argv[4]).read_bytes(), domain="localhost") if len(sys.argv) > 4 else None
"""

BLOCKED_IN_RESULT = """
import sys, time, traceback
from temporal_bridge import Client
""" + CHILD_TLS + """
client = Client.connect(sys.argv[1], namespace=sys.argv[2], tls=tls)
handle = client.get_workflow_handle(sys.argv[3])
print("waiting", flush=True)
try:
    handle.result()
except KeyboardInterrupt:
    frames = [frame.name for frame in traceback.extract_tb(sys.exc_info()[2])]
    print("KeyboardInterrupt in " + " > ".join(frames), flush=True)
    raise
"""

BLOCKED_IN_ASYNC_RESULT = """
import asyncio, sys
from temporal_bridge import AsyncClient
""" + CHILD_TLS + """
async def main():
    client = await AsyncClient.connect(sys.argv[1], namespace=sys.argv[2], tls=tls)
    handle = client.get_workflow_handle(sys.argv[3])
    print("waiting", flush=True)
    await handle.result()
asyncio.run(main())
"""

BLOCKED_IN_CONNECT = """
import sys
from temporal_bridge import Client
print("waiting", flush=True)
Client.connect(sys.argv[1], connect_timeout=60)
"""


def main_thread_sleeping(pid: int) -> bool:
    """Whether the process's main thread is asleep in the kernel (state S)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] == "S"


def interrupt_child(code: str, *args: str) -> tuple[float, int, str, str]:
    """Starts `code`, waits until it blocks after printing "waiting", sends
    SIGINT and returns (seconds to exit, exit code, stdout, stderr)."""
    child = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_AS_IN_A_TERMINAL + code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "waiting\n"
        # Blocked means asleep in the kernel (the wait wakes briefly to check
        # for signals, so one sample in S state is what can be asked for);
        # the traceback the child prints proves where the interrupt landed.
        assert wait_until(lambda: main_thread_sleeping(child.pid), 10)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        child.wait(10)
        elapsed = time.monotonic() - sent
        out, err = child.communicate()
        return elapsed, child.returncode, out, err
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@contextlib.contextmanager
def child_target(env: DevEnv, transport: str, scratch: Path) -> Iterator[list[str]]:
    """A child's target over `transport`, and the CA file it then needs: the
    dev server itself for plaintext; for TLS, a TLS terminator in front of it
    (running meanwhile) and the terminator's CA."""
    with reach(env.target, transport) as (target, tls):
        if tls is None:
            yield [target]
            return
        ca_file = scratch / "ca.pem"
        ca_file.write_bytes(tls.server_root_ca_cert)
        yield [target, str(ca_file)]


@pytest.mark.parametrize("transport", ["plaintext", "tls"])
def test_ctrl_c_ends_a_process_blocked_in_result(
    client: Client, env: DevEnv, wf_id: WfId, transport: str, tmp_path: Path
) -> None:
    handle = client.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
    try:
        with child_target(env, transport, tmp_path) as (target, *tls):
            elapsed, code, out, err = interrupt_child(BLOCKED_IN_RESULT, target, env.namespace, handle.id, *tls)
        assert code == -signal.SIGINT, err  # an uncaught KeyboardInterrupt
        assert "KeyboardInterrupt in <module> > result" in out, out
        assert "KeyboardInterrupt" in err
        assert elapsed < 1.0, f"took {elapsed:.3f}s to react to Ctrl-C"
        description = handle.describe()
        assert description.status is WorkflowExecutionStatus.RUNNING
        assert description.cancel_requested is False
    finally:
        handle.terminate()


@pytest.mark.parametrize("transport", ["plaintext", "tls"])
def test_ctrl_c_ends_an_asyncio_process_awaiting_result(
    client: Client, env: DevEnv, wf_id: WfId, transport: str, tmp_path: Path
) -> None:
    handle = client.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
    try:
        with child_target(env, transport, tmp_path) as (target, *tls):
            elapsed, code, _, err = interrupt_child(BLOCKED_IN_ASYNC_RESULT, target, env.namespace, handle.id, *tls)
        assert code == -signal.SIGINT and "KeyboardInterrupt" in err, err
        assert elapsed < 1.0, f"took {elapsed:.3f}s to react to Ctrl-C"
        assert handle.describe().status is WorkflowExecutionStatus.RUNNING
    finally:
        handle.terminate()


def test_ctrl_c_ends_a_blocked_connect(silent_server: str) -> None:
    elapsed, code, _, err = interrupt_child(BLOCKED_IN_CONNECT, silent_server)
    assert code == -signal.SIGINT and "KeyboardInterrupt" in err, err
    assert elapsed < 1.0, f"took {elapsed:.3f}s to react to Ctrl-C"


def test_timeout_leaves_the_workflow_running(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
    try:
        started = time.monotonic()
        with pytest.raises(CallTimeoutError) as caught:
            handle.result(timeout=0.5)
        elapsed = time.monotonic() - started
        assert 0.45 < elapsed < 2.0
        assert isinstance(caught.value, TimeoutError)
        assert caught.value.workflow_id == handle.id
        assert handle.describe().status is WorkflowExecutionStatus.RUNNING
    finally:
        handle.terminate()


def test_one_client_many_threads(client: Client, env: DevEnv, wf_id: WfId) -> None:
    def work(n: int) -> list[Any]:
        return [
            client.execute_workflow("EchoWorkflow", {"thread": n, "i": i}, id=wf_id(f"t{n}-{i}-"), task_queue=env.task_queue)
            for i in range(4)
        ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(8)))
    assert results == [[{"thread": n, "i": i} for i in range(4)] for n in range(8)]


def test_a_blocked_call_does_not_hold_the_gil(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
    try:
        outcome: list[BaseException] = []

        def wait() -> None:
            try:
                handle.result(timeout=20)
            except BaseException as err:  # noqa: BLE001 - the test inspects it
                outcome.append(err)

        waiters = [threading.Thread(target=wait) for _ in range(4)]
        for t in waiters:
            t.start()
        assert wait_until(lambda: client._native.pending_calls >= 4, 10)
        # While four threads wait, this thread runs Python and makes calls freely.
        started = time.monotonic()
        for _ in range(5):
            assert handle.describe().status is WorkflowExecutionStatus.RUNNING
        assert sum(range(200_000)) == 19999900000
        assert time.monotonic() - started < 2.0
        handle.terminate(reason="release the waiters")
        for t in waiters:
            t.join(20)
        assert [type(e).__name__ for e in outcome] == ["WorkflowTerminatedError"] * 4
    finally:
        if handle.describe().status is WorkflowExecutionStatus.RUNNING:
            handle.terminate()


def test_close_from_another_thread_cancels_a_blocked_call(env: DevEnv, wf_id: WfId) -> None:
    own = Client.connect(env.target, namespace=env.namespace)
    handle = own.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            handle.result()
        except BaseException as err:  # noqa: BLE001 - the test inspects it
            outcome.append(err)

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert wait_until(lambda: own._native.pending_calls == 1, 10)
    own.close()
    waiter.join(5)
    assert not waiter.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], CallCancelledError)
    assert own._native.pending_calls == 0
    with Client.connect(env.target, namespace=env.namespace) as other:
        other.get_workflow_handle(handle.id).terminate()


FORK = """
import json, os, sys
from temporal_bridge import Client, InvalidArgumentError
target, namespace, queue, prefix = sys.argv[1:5]
client = Client.connect(target, namespace=namespace)
before = client.execute_workflow("MySimpleWorkflow", "parent", id=prefix + "parent", task_queue=queue)
pid = os.fork()
if pid == 0:
    report = {}
    try:
        client.get_workflow_handle(prefix + "parent").describe()
        report["inherited"] = "worked"
    except InvalidArgumentError as err:
        report["inherited"] = str(err)
    fresh = Client.connect(target, namespace=namespace)
    report["fresh"] = fresh.execute_workflow("MySimpleWorkflow", "child", id=prefix + "child", task_queue=queue)
    print(json.dumps(report), flush=True)
    sys.exit(0)  # a normal exit: finalizers run with the parent's client around
_, status = os.waitpid(pid, 0)
after = client.execute_workflow("MySimpleWorkflow", "again", id=prefix + "again", task_queue=queue)
print(json.dumps({"before": before, "child_exit": os.waitstatus_to_exitcode(status), "after": after}))
"""


def test_fork_gives_a_clear_error_and_fresh_clients_work(env: DevEnv, wf_id: WfId) -> None:
    child = run_child(FORK, env.target, env.namespace, env.task_queue, wf_id(""), timeout=60)
    assert child.returncode == 0, child.stderr
    child_line, parent_line = child.stdout.strip().splitlines()
    from_child = json.loads(child_line)
    assert "fork" in from_child["inherited"], from_child
    assert from_child["fresh"] == "Hello, child!"
    assert json.loads(parent_line) == {"before": "Hello, parent!", "child_exit": 0, "after": "Hello, again!"}


def test_exit_with_calls_in_flight_does_not_hang(client: Client, env: DevEnv, wf_id: WfId) -> None:
    handle = client.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
    try:
        code = (
            "import sys, threading, asyncio\n"
            "from temporal_bridge import Client, AsyncClient\n"
            "client = Client.connect(sys.argv[1], namespace=sys.argv[2])\n"
            "h = client.get_workflow_handle(sys.argv[3])\n"
            "threading.Thread(target=h.result, daemon=True).start()\n"
            "async def main():\n"
            "    a = await AsyncClient.connect(sys.argv[1], namespace=sys.argv[2])\n"
            "    asyncio.ensure_future(a.get_workflow_handle(sys.argv[3]).result())\n"
            "    await asyncio.sleep(0.2)\n"
            "asyncio.run(main())\n"
            "print('bye', flush=True)\n"
        )
        started = time.monotonic()
        child = run_child(code, env.target, env.namespace, handle.id, timeout=30)
        assert child.returncode == 0, child.stderr
        assert child.stdout == "bye\n"
        assert time.monotonic() - started < 10
        assert handle.describe().status is WorkflowExecutionStatus.RUNNING
    finally:
        handle.terminate()
