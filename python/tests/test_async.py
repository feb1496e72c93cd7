"""AsyncClient against the real dev server: the same operations as
coroutines; cancelling the awaiting task or timing out abandons the call
(promptly, releasing it in the core) and never touches the workflow."""

from __future__ import annotations

import asyncio
import string
import time
from collections.abc import Awaitable
from typing import Any, Callable, TypeVar

import pytest
from devenv import DevEnv
from helpers import free_port, reach, run_child

from temporal_bridge import (
    AsyncClient,
    AsyncWorkflowHandle,
    CallCancelledError,
    CallTimeoutError,
    TLSConfig,
    UnavailableError,
    WorkflowCanceledError,
    WorkflowExecutionStatus,
    WorkflowFailedError,
    WorkflowTerminatedError,
)

T = TypeVar("T")
WfId = Callable[[str], str]


def run(env: DevEnv, body: Callable[[AsyncClient], Awaitable[T]], timeout: float = 60) -> T:
    """Runs `body` with a fresh AsyncClient on a fresh event loop."""

    async def main() -> T:
        async with await AsyncClient.connect(env.target, namespace=env.namespace) as client:
            return await asyncio.wait_for(body(client), timeout)

    return asyncio.run(main())


async def pending_calls_drop_to(client: AsyncClient, count: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while client._native.pending_calls != count:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


def test_start_result_describe(env: DevEnv, wf_id: WfId) -> None:
    async def body(client: AsyncClient) -> None:
        handle = await client.start_workflow("MySimpleWorkflow", "async", id=wf_id(""), task_queue=env.task_queue)
        assert isinstance(handle, AsyncWorkflowHandle)
        assert await handle.result() == "Hello, async!"
        assert (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED
        assert await client.execute_workflow("EchoWorkflow", [1, {"a": None}], id=wf_id(""), task_queue=env.task_queue) == [
            1,
            {"a": None},
        ]

    run(env, body)


def test_outcomes_raise_the_same_exceptions(env: DevEnv, wf_id: WfId) -> None:
    async def body(client: AsyncClient) -> None:
        failing = await client.start_workflow("FailingWorkflow", "async boom", id=wf_id(""), task_queue=env.task_queue)
        with pytest.raises(WorkflowFailedError) as caught:
            await failing.result()
        assert caught.value.failure is not None and caught.value.failure.type == "MyFailure"

        workflow_id = wf_id("")
        cancellable = await client.start_workflow("CancellableWorkflow", id=workflow_id, task_queue=env.task_queue)
        while not (await cancellable.describe()).pending_activities:
            await asyncio.sleep(0.05)
        await cancellable.cancel()
        with pytest.raises(WorkflowCanceledError):
            await cancellable.result()
        assert (env.cleanup_dir / workflow_id).read_text() == "cleanup done"

    run(env, body)


def test_task_cancel_abandons_the_wait_not_the_workflow(env: DevEnv, wf_id: WfId) -> None:
    async def body(client: AsyncClient) -> None:
        handle = await client.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
        waiter = asyncio.ensure_future(handle.result())
        # The wait is in flight in the core once the client counts it.
        assert await pending_calls_drop_to(client, 1)
        cancelled_at = time.monotonic()
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert time.monotonic() - cancelled_at < 0.5
        # The core's call ended too (nothing left running for the dead task)...
        assert await pending_calls_drop_to(client, 0)
        # ...and the workflow did not notice.
        description = await handle.describe()
        assert description.status is WorkflowExecutionStatus.RUNNING
        assert description.cancel_requested is False
        await handle.terminate(reason="test cleanup")

    run(env, body)


def test_wait_for_timeout_and_timeout_argument_leave_the_workflow_running(env: DevEnv, wf_id: WfId) -> None:
    async def body(client: AsyncClient) -> None:
        handle = await client.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(handle.result(), 0.3)
        assert time.monotonic() - started < 1.5
        assert await pending_calls_drop_to(client, 0)

        started = time.monotonic()
        with pytest.raises(CallTimeoutError) as caught:
            await handle.result(timeout=0.3)
        assert isinstance(caught.value, TimeoutError)
        assert caught.value.kind == "deadline_exceeded"
        assert 0.25 < time.monotonic() - started < 1.5

        description = await handle.describe()
        assert description.status is WorkflowExecutionStatus.RUNNING
        assert description.cancel_requested is False
        await handle.terminate(reason="test cleanup")

    run(env, body)


def test_gather_many_concurrent_workflows(env: DevEnv, wf_id: WfId) -> None:
    async def body(client: AsyncClient) -> list[Any]:
        names = [f"n{i}" for i in range(40)]
        return await asyncio.gather(
            *(client.execute_workflow("MySimpleWorkflow", n, id=wf_id(n), task_queue=env.task_queue) for n in names)
        )

    assert run(env, body) == [f"Hello, n{i}!" for i in range(40)]


@pytest.mark.parametrize("transport", ["plaintext", "tls"])
def test_large_values_cross_many_flow_control_windows(env: DevEnv, wf_id: WfId, transport: str) -> None:
    """An asyncio call writes its request from the loop's thread as far as
    the server's flow-control window lets it; the rest goes out from the
    runtime's thread as the server opens the window. Requests and replies of
    a megabyte (16 windows of the Go server's 64 KiB) arrive whole, several
    at once, on plaintext and through a TLS terminator."""
    values = [f"{i}:" + string.ascii_uppercase[i:] * 40_000 for i in range(3)]

    async def body(target: str, tls: TLSConfig | None) -> list[Any]:
        async with await AsyncClient.connect(target, namespace=env.namespace, tls=tls) as client:
            return await asyncio.wait_for(
                asyncio.gather(
                    *(
                        client.execute_workflow("EchoWorkflow", v, id=wf_id(f"big{i}"), task_queue=env.task_queue)
                        for i, v in enumerate(values)
                    )
                ),
                60,
            )

    with reach(env.target, transport) as (target, tls):
        assert asyncio.run(body(target, tls)) == values


def test_close_cancels_calls_in_flight(env: DevEnv, wf_id: WfId) -> None:
    async def body(client: AsyncClient) -> None:
        handle = await client.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
        waiter = asyncio.ensure_future(handle.result())
        assert await pending_calls_drop_to(client, 1)
        client.close()
        with pytest.raises(CallCancelledError):
            await waiter
        with pytest.raises(CallCancelledError):
            await handle.describe()
        assert client.closed

    run(env, body)


def test_connect_errors_and_cancel(silent_server: str) -> None:
    async def main() -> None:
        with pytest.raises(UnavailableError):
            await AsyncClient.connect(f"127.0.0.1:{free_port()}", connect_timeout=2)
        # A server that accepts but never answers keeps connect waiting;
        # cancelling the task abandons it promptly.
        task = asyncio.ensure_future(AsyncClient.connect(silent_server, connect_timeout=30))
        await asyncio.sleep(0.2)
        assert not task.done()
        cancelled_at = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - cancelled_at < 0.5

    asyncio.run(main())


def test_processes_exit_cleanly_right_after_async_calls(client: Any, env: DevEnv, wf_id: WfId) -> None:
    # Outcomes reach the loop without running Python on the core's threads;
    # a process that exits the moment its last call returns must not crash
    # ("Fatal Python error" from a foreign thread holding the GIL at exit).
    handle = client.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
    code = (
        "import asyncio, sys\n"
        "from temporal_bridge import AsyncClient\n"
        "async def main():\n"
        "    client = await AsyncClient.connect(sys.argv[1], namespace=sys.argv[2])\n"
        "    handle = client.get_workflow_handle(sys.argv[3])\n"
        "    for _ in range(30):\n"
        "        await handle.describe()\n"
        "    await asyncio.gather(*(handle.describe() for _ in range(30)))\n"
        "asyncio.run(main())\n"
    )
    try:
        for _ in range(4):
            child = run_child(code, env.target, env.namespace, handle.id, timeout=60)
            assert child.returncode == 0 and child.stderr == "", child.stderr
    finally:
        handle.terminate()


def test_a_call_left_in_flight_by_a_closed_loop_is_dropped_when_it_wakes(client: Any, env: DevEnv, wf_id: WfId) -> None:
    # Calls run on their loop's thread; a loop that goes away with one still
    # waiting must not keep it (and its connection stream) forever: when the
    # call is next woken, the core drops it.
    import gc

    handle = client.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
    loop = asyncio.new_event_loop()
    aclient = loop.run_until_complete(AsyncClient.connect(env.target, namespace=env.namespace))
    native = aclient._native
    waiter = loop.create_task(aclient.get_workflow_handle(handle.id).result())
    assert loop.run_until_complete(pending_calls_drop_to(aclient, 1))
    # The loop stops and is closed with the wait still in flight (no cancel).
    loop.close()
    del loop, waiter, aclient
    gc.collect()
    assert native.pending_calls == 1
    handle.terminate(reason="wakes the abandoned wait")
    deadline = time.monotonic() + 10
    while native.pending_calls != 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert native.pending_calls == 0
    native.close()


def test_no_completion_is_lost_under_bursts(env: DevEnv, wf_id: WfId) -> None:
    # Many calls finishing at once on the core's threads, drained by the
    # loop while more finish: every awaiter must be woken.
    async def body(client: AsyncClient) -> None:
        handle = client.get_workflow_handle("no-such-workflow-for-bursts")
        for _ in range(15):
            outcomes = await asyncio.wait_for(
                asyncio.gather(*(handle.describe() for _ in range(40)), return_exceptions=True), 20
            )
            assert [type(o).__name__ for o in outcomes] == ["NotFoundError"] * 40
        assert await pending_calls_drop_to(client, 0)

    run(env, body)


def test_reset_by_event_id(env: DevEnv, wf_id: WfId) -> None:
    async def body(client: AsyncClient) -> None:
        handle = await client.start_workflow("FailsOnceWorkflow", id=wf_id(""), task_queue=env.task_queue)
        with pytest.raises(WorkflowFailedError):
            await handle.result()
        # The first workflow task completes as event 4 (started, scheduled,
        # started, completed), before the activity was scheduled.
        new_run = await handle.reset(event_id=4, reapply_signals=False)
        assert new_run.run_id != handle.run_id
        assert await new_run.result() == "recovered"

    run(env, body)


@pytest.mark.parametrize("transport", ["plaintext", "tls"])
def test_loops_and_blocking_threads_share_one_connection(env: DevEnv, wf_id: WfId, transport: str) -> None:
    """An event loop reads the replies of its own calls while they are the
    only ones in flight; calls from other loops and from blocking threads
    on the same connection take the connection back in turn. Two loops on
    two threads and a blocking thread, all on one client, interleave starts
    and results; every call gets its own answer."""
    import threading

    from temporal_bridge import Client

    with reach(env.target, transport) as (target, tls):
        aclient = asyncio.run(AsyncClient.connect(target, namespace=env.namespace, tls=tls))
        blocking = Client(aclient._native)
        failures: list[BaseException] = []

        async def loop_body(name: str) -> None:
            for i in range(12):
                handle = await aclient.start_workflow(
                    "MySimpleWorkflow", f"{name}{i}", id=wf_id(f"{name}{i}"), task_queue=env.task_queue
                )
                assert await asyncio.wait_for(handle.result(), 30) == f"Hello, {name}{i}!"

        def in_thread(body: Callable[[], None]) -> threading.Thread:
            def guarded() -> None:
                try:
                    body()
                except BaseException as error:  # noqa: BLE001 - reported below
                    failures.append(error)

            thread = threading.Thread(target=guarded)
            thread.start()
            return thread

        def blocking_body() -> None:
            for i in range(12):
                handle = blocking.start_workflow("MySimpleWorkflow", f"b{i}", id=wf_id(f"b{i}"), task_queue=env.task_queue)
                assert handle.result(timeout=30) == f"Hello, b{i}!"

        threads = [
            in_thread(lambda: asyncio.run(loop_body("x"))),
            in_thread(lambda: asyncio.run(loop_body("y"))),
            in_thread(blocking_body),
        ]
        for thread in threads:
            thread.join(120)
        assert not any(thread.is_alive() for thread in threads)
        assert failures == []
        aclient.close()


@pytest.mark.parametrize("transport", ["plaintext", "tls"])
def test_a_blocked_loop_holds_up_only_its_own_calls(env: DevEnv, wf_id: WfId, transport: str) -> None:
    """A loop reads its calls' replies itself; while it is blocked (by code
    that never yields) with a call in flight, a blocking thread's calls on
    the same connection still get their answers, and the loop's own call
    gets its answer once the loop runs again."""
    import threading

    from temporal_bridge import Client

    with reach(env.target, transport) as (target, tls):

        async def main() -> None:
            aclient = await AsyncClient.connect(target, namespace=env.namespace, tls=tls)
            blocking = Client(aclient._native)
            handle = await aclient.start_workflow("LongRunningWorkflow", 3600, id=wf_id(""), task_queue=env.task_queue)
            waiter = asyncio.ensure_future(handle.result())
            assert await pending_calls_drop_to(aclient, 1)
            answered = threading.Event()

            def other_thread() -> None:
                for _ in range(5):
                    assert blocking.get_workflow_handle(handle.id).describe().status == WorkflowExecutionStatus.RUNNING
                blocking.get_workflow_handle(handle.id).terminate(reason="the blocking thread's last call")
                answered.set()

            thread = threading.Thread(target=other_thread)
            thread.start()
            # Blocks the loop (no await) until the other thread is done, or 30 s.
            assert answered.wait(30), "a blocked loop held up another thread's calls"
            thread.join(10)
            with pytest.raises(WorkflowTerminatedError):
                await asyncio.wait_for(waiter, 30)
            aclient.close()

        asyncio.run(main())


def test_a_loop_that_stopped_running_leaves_its_connection_to_others(env: DevEnv, wf_id: WfId) -> None:
    """A loop keeps the connection's stream between its calls; once it stops
    running (here: never closed, just not run again), the runtime takes the
    stream back, so the server's answers to other threads' calls, and what
    it sends unasked, are still read."""
    from temporal_bridge import Client

    loop = asyncio.new_event_loop()
    try:
        aclient = loop.run_until_complete(AsyncClient.connect(env.target, namespace=env.namespace))
        handle = loop.run_until_complete(
            aclient.start_workflow("MySimpleWorkflow", "first", id=wf_id("a"), task_queue=env.task_queue)
        )
        assert loop.run_until_complete(handle.result()) == "Hello, first!"
        # The loop no longer runs; a blocking call on its connection.
        blocking = Client(aclient._native)
        handle = blocking.start_workflow("MySimpleWorkflow", "second", id=wf_id("b"), task_queue=env.task_queue)
        assert handle.result(timeout=30) == "Hello, second!"
        # And another loop on it.
        assert asyncio.run(aclient.get_workflow_handle(handle.id).result()) == "Hello, second!"
        # The first loop, running again, still gets its answers.
        assert loop.run_until_complete(aclient.get_workflow_handle(handle.id).result()) == "Hello, second!"
        aclient.close()
    finally:
        loop.close()


@pytest.mark.parametrize("transport", ["plaintext", "tls"])
def test_a_stopped_loop_leaves_what_the_server_sends_to_the_runtime(env: DevEnv, wf_id: WfId, transport: str) -> None:
    """A loop keeps its connection's stream between calls. When no async call
    runs for a while (here the loop made one call and then stopped running,
    keepalive off, nothing else calling), the runtime takes the stream back:
    a PING the server sends afterwards is still answered (HTTP/2 asks for
    that at once). A proxy in front of the dev server injects the PING
    between the server's frames and watches for the client's ACK; for TLS,
    the tests' TLS terminator stands in front of the proxy."""
    import struct
    import threading

    from temporal_bridge import KeepAliveConfig

    host, port = env.target.rsplit(":", 1)
    payload = b"loopstop"
    acked = threading.Event()
    inject: list[asyncio.StreamWriter] = []

    async def frames(reader: asyncio.StreamReader, preface: int) -> Any:
        if preface:
            yield await reader.readexactly(preface)
        while True:
            header = await reader.readexactly(9)
            length = int.from_bytes(header[:3], "big")
            yield header + await reader.readexactly(length)

    async def serve(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(host, int(port))
        inject.append(client_w)

        async def up() -> None:
            async for frame in frames(client_r, 24):
                if frame[3:5] == b"\x06\x01" and frame[9:] == payload:
                    acked.set()
                server_w.write(frame)

        async def down() -> None:
            async for frame in frames(server_r, 0):
                client_w.write(frame)

        try:
            await asyncio.gather(up(), down())
        except (asyncio.IncompleteReadError, ConnectionError):
            pass

    proxy_loop = asyncio.new_event_loop()
    server = proxy_loop.run_until_complete(asyncio.start_server(serve, "127.0.0.1", 0))
    proxy = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    threading.Thread(target=proxy_loop.run_forever, daemon=True).start()
    loop = asyncio.new_event_loop()
    try:
        with reach(proxy, transport) as (target, tls):
            aclient = loop.run_until_complete(
                AsyncClient.connect(
                    target, namespace=env.namespace, tls=tls, keep_alive_config=KeepAliveConfig.DISABLED
                )
            )
            handle = loop.run_until_complete(
                aclient.start_workflow("MySimpleWorkflow", "x", id=wf_id(""), task_queue=env.task_queue)
            )
            assert loop.run_until_complete(handle.result()) == "Hello, x!"
            # The loop stops running; the server (here: the proxy) pings.
            ping = struct.pack(">I", 8)[1:] + b"\x06\x00" + b"\x00\x00\x00\x00" + payload
            proxy_loop.call_soon_threadsafe(inject[0].write, ping)
            assert acked.wait(10), "nobody answered the server's PING while the loop was not running"
            aclient.close()
    finally:
        loop.close()

        async def close() -> None:
            server.close()
            current = asyncio.current_task()
            serving = [t for t in asyncio.all_tasks() if t is not current]
            for task in serving:
                task.cancel()
            await asyncio.gather(*serving, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), proxy_loop).result(10)
        proxy_loop.call_soon_threadsafe(proxy_loop.stop)
