"""Benchmark: temporal_bridge vs the official temporalio client, side by side
against the same Temporal dev server.

    .venv/bin/python python/bench/bench_clients.py [--rounds 3] [--starts 300]
        [--results 300] [--connects 5] [--target HOST:PORT --namespace NS --task-queue Q]

Without --target it starts its own dev server and Python SDK worker
(tests/harness/devenv.py). Every measurement runs in a fresh child process
per client, so imports, memory and CPU are the client's own:

- start -> connected: wall time from spawning `python` to a connected client
  (interpreter start, imports, connect), median of --connects runs;
- RSS after connect: the child's resident memory right after connecting;
- CPU per start: the child's user+system CPU (all threads) over --starts
  sequential start_workflow calls, divided by their number;
- CPU per result: the same over get-result calls for workflows that have
  already closed (completed beforehand, not measured);
- start latency p50/p90: wall time of one start_workflow call.

Each figure is the median over --rounds rounds that interleave the clients,
since the dev server and worker share the machine's CPUs. Install the package
with `pip install ./python` first (a release build with precompiled .pyc,
like temporalio's). Starts go to a task queue no worker polls, so the worker's load does not
disturb them; results come from workflows the worker completed earlier.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLIENTS = ["temporal_bridge", "temporal_bridge.aio", "temporalio"]


# ------------------------------------------------------------------ children


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Bridge:
    """temporal_bridge's blocking client, driven from plain code."""

    def __init__(self, args: argparse.Namespace) -> None:
        from temporal_bridge import Client

        self.client = Client.connect(args.target, namespace=args.namespace)

    def start(self, workflow_id: str, task_queue: str) -> None:
        self.client.start_workflow("MySimpleWorkflow", "bench", id=workflow_id, task_queue=task_queue)

    def result(self, workflow_id: str) -> Any:
        return self.client.get_workflow_handle(workflow_id).result()

    def run(self, work: Any) -> Any:
        return work()


class AsyncBase:
    """Runs the measured loops on one event loop (clients are loop-bound)."""

    loop: asyncio.AbstractEventLoop

    def run(self, work: Any) -> Any:
        return self.loop.run_until_complete(work())


class BridgeAio(AsyncBase):
    def __init__(self, args: argparse.Namespace) -> None:
        from temporal_bridge import AsyncClient

        self.loop = asyncio.new_event_loop()
        self.client = self.loop.run_until_complete(AsyncClient.connect(args.target, namespace=args.namespace))

    async def start(self, workflow_id: str, task_queue: str) -> None:
        await self.client.start_workflow("MySimpleWorkflow", "bench", id=workflow_id, task_queue=task_queue)

    async def result(self, workflow_id: str) -> Any:
        return await self.client.get_workflow_handle(workflow_id).result()


class Official(AsyncBase):
    def __init__(self, args: argparse.Namespace) -> None:
        from temporalio.client import Client

        self.loop = asyncio.new_event_loop()
        self.client = self.loop.run_until_complete(Client.connect(args.target, namespace=args.namespace))

    async def start(self, workflow_id: str, task_queue: str) -> None:
        await self.client.start_workflow("MySimpleWorkflow", "bench", id=workflow_id, task_queue=task_queue)

    async def result(self, workflow_id: str) -> Any:
        return await self.client.get_workflow_handle(workflow_id).result()


# What a script needs to get a connected client, and nothing more: the
# start-up measurement spawns these with `python -c` (the harness module
# itself imports far more than a user script would).
CONNECT_SCRIPTS = {
    "temporal_bridge": """
import sys
from temporal_bridge import Client
client = Client.connect(sys.argv[1], namespace=sys.argv[2])
""",
    "temporal_bridge.aio": """
import asyncio, sys
from temporal_bridge import AsyncClient
client = asyncio.new_event_loop().run_until_complete(AsyncClient.connect(sys.argv[1], namespace=sys.argv[2]))
""",
    "temporalio": """
import asyncio, sys
from temporalio.client import Client
client = asyncio.new_event_loop().run_until_complete(Client.connect(sys.argv[1], namespace=sys.argv[2]))
""",
}
REPORT_RSS = """
rss = [l for l in open("/proc/self/status").read().splitlines() if l.startswith("VmRSS:")][0].split()[1]
print(rss, flush=True)
"""


def make_client(args: argparse.Namespace) -> Any:
    if args.client == "temporal_bridge":
        return Bridge(args)
    if args.client == "temporal_bridge.aio":
        return BridgeAio(args)
    return Official(args)


def child_starts(args: argparse.Namespace) -> None:
    bench = make_client(args)
    idle_queue = f"bench-idle-{uuid.uuid4().hex[:8]}"
    prefix = f"bench-start-{args.client}-{uuid.uuid4().hex[:8]}-"
    is_async = isinstance(bench, AsyncBase)

    def ids(kind: str, n: int) -> list[str]:
        return [f"{prefix}{kind}{i}" for i in range(n)]

    if is_async:

        async def loop(workflow_ids: list[str]) -> list[float]:
            latencies = []
            for workflow_id in workflow_ids:
                t = time.perf_counter()
                await bench.start(workflow_id, idle_queue)
                latencies.append(time.perf_counter() - t)
            return latencies

        bench.run(lambda: loop(ids("warm", args.warmup)))
        cpu = cpu_seconds()
        latencies = bench.run(lambda: loop(ids("run", args.starts)))
    else:

        def loop_sync(workflow_ids: list[str]) -> list[float]:
            latencies = []
            for workflow_id in workflow_ids:
                t = time.perf_counter()
                bench.start(workflow_id, idle_queue)
                latencies.append(time.perf_counter() - t)
            return latencies

        loop_sync(ids("warm", args.warmup))
        cpu = cpu_seconds()
        latencies = loop_sync(ids("run", args.starts))
    cpu = cpu_seconds() - cpu
    print(
        json.dumps(
            {
                "cpu_per_start_us": cpu / args.starts * 1e6,
                "start_p50_ms": statistics.median(latencies) * 1e3,
                "start_p90_ms": percentile(latencies, 0.9) * 1e3,
            }
        ),
        flush=True,
    )


def child_results(args: argparse.Namespace) -> None:
    bench = make_client(args)
    workflow_ids: list[str] = json.loads(Path(args.ids_file).read_text())
    is_async = isinstance(bench, AsyncBase)
    n_warm = min(args.warmup, len(workflow_ids))

    if is_async:

        async def loop(chosen: list[str]) -> None:
            for workflow_id in chosen:
                assert await bench.result(workflow_id) == "Hello, bench!"

        bench.run(lambda: loop(workflow_ids[:n_warm]))
        cpu = cpu_seconds()
        bench.run(lambda: loop(workflow_ids))
    else:

        def loop_sync(chosen: list[str]) -> None:
            for workflow_id in chosen:
                assert bench.result(workflow_id) == "Hello, bench!"

        loop_sync(workflow_ids[:n_warm])
        cpu = cpu_seconds()
        loop_sync(workflow_ids)
    cpu = cpu_seconds() - cpu
    print(json.dumps({"cpu_per_result_us": cpu / len(workflow_ids) * 1e6}), flush=True)


# -------------------------------------------------------------------- parent


def child_command(args: argparse.Namespace, mode: str, client: str, *extra: str) -> list[str]:
    return [
        sys.executable, __file__, "--child", mode, "--client", client,
        "--target", args.target, "--namespace", args.namespace, "--task-queue", args.task_queue,
        "--starts", str(args.starts), "--warmup", str(args.warmup), *extra,
    ]  # fmt: skip


# Children that reported their figures but then died at interpreter exit
# (e.g. "Fatal Python error" from a client's threads), per client.
EXIT_CRASHES: dict[str, int] = {}


def note_exit(client: str, returncode: int) -> None:
    if returncode != 0:
        EXIT_CRASHES[client] = EXIT_CRASHES.get(client, 0) + 1


def run_child_json(client: str, command: list[str]) -> dict[str, Any]:
    out = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    lines = out.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        raise RuntimeError(f"{client} child failed (exit status {out.returncode}):\n{out.stderr}")
    note_exit(client, out.returncode)
    return dict(json.loads(lines[-1]))


def measure_connect(args: argparse.Namespace, client: str) -> tuple[float, float]:
    times, rss = [], []
    for _ in range(args.connects):
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", CONNECT_SCRIPTS[client] + REPORT_RSS, args.target, args.namespace],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        times.append(time.perf_counter() - started)
        proc.wait(60)
        if not line:
            raise RuntimeError(f"connect child for {client} failed (exit status {proc.returncode})")
        note_exit(client, proc.returncode)
        rss.append(int(line))
    return statistics.median(times) * 1e3, statistics.median(rss) / 1024


def prepare_closed_workflows(args: argparse.Namespace) -> Path:
    """Starts --results workflows on the worker's queue and waits until all
    closed, so that the measured result calls find them closed."""
    from temporal_bridge import Client

    client = Client.connect(args.target, namespace=args.namespace)
    prefix = f"bench-result-{uuid.uuid4().hex[:8]}-"
    ids = [f"{prefix}{i}" for i in range(args.results)]
    handles = [client.start_workflow("MySimpleWorkflow", "bench", id=i, task_queue=args.task_queue) for i in ids]
    for handle in handles:
        assert handle.result(timeout=120) == "Hello, bench!"
    path = Path(args.scratch) / f"{prefix}ids.json"
    path.write_text(json.dumps(ids))
    return path


def parent(args: argparse.Namespace) -> None:
    print(
        f"# {args.rounds} rounds of {args.starts} starts, {args.results} results and {args.connects} connects "
        f"per client, interleaved; medians over rounds; python {sys.version.split()[0]}, {os.cpu_count()} CPUs",
        flush=True,
    )
    ids_file = prepare_closed_workflows(args)
    samples: dict[str, dict[str, list[float]]] = {c: {} for c in CLIENTS}
    # Rounds interleave the clients, so that a busy moment on the machine
    # (the dev server shares its CPUs) does not land on one client only.
    for round_number in range(args.rounds):
        for client in CLIENTS:
            connect_ms, rss_mib = measure_connect(args, client)
            starts = run_child_json(client, child_command(args, "starts", client))
            results = run_child_json(client, child_command(args, "results", client, "--ids-file", str(ids_file)))
            figures = {
                "start -> connected (ms, median)": connect_ms,
                "RSS after connect (MiB)": rss_mib,
                "client CPU per start (us)": starts["cpu_per_start_us"],
                "client CPU per result, closed wf (us)": results["cpu_per_result_us"],
                "start latency p50 (ms)": starts["start_p50_ms"],
                "start latency p90 (ms)": starts["start_p90_ms"],
            }
            for metric, value in figures.items():
                samples[client].setdefault(metric, []).append(value)
        print(f"# round {round_number + 1} done", file=sys.stderr, flush=True)
    rows = {c: {m: statistics.median(v) for m, v in metrics.items()} for c, metrics in samples.items()}
    print_table(rows)
    runs = args.rounds * (args.connects + 2)
    for client in CLIENTS:
        print(f"# {client}: {EXIT_CRASHES.get(client, 0)} of {runs} child processes crashed at exit")


def print_table(rows: dict[str, dict[str, float]]) -> None:
    official = rows["temporalio"]
    metrics = list(official)
    width = max(len(m) for m in metrics)
    header = f"{'metric':<{width}} | " + " | ".join(f"{c:>19}" for c in rows) + " | bridge/temporalio"
    print(header)
    print("-" * len(header))
    for metric in metrics:
        cells = " | ".join(f"{rows[c][metric]:>19.2f}" for c in rows)
        ratio = rows["temporal_bridge"][metric] / official[metric] if official[metric] else float("nan")
        print(f"{metric:<{width}} | {cells} | {ratio:>17.2f}x")
    print(json.dumps(rows), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--target")
    p.add_argument("--namespace", default="default")
    p.add_argument("--task-queue", default="")
    p.add_argument("--starts", type=int, default=300)
    p.add_argument("--results", type=int, default=300)
    p.add_argument("--connects", type=int, default=5)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--child", choices=["starts", "results"])
    p.add_argument("--client", choices=CLIENTS)
    p.add_argument("--ids-file")
    p.add_argument("--scratch", default="/tmp")
    args = p.parse_args()

    if args.child == "starts":
        child_starts(args)
    elif args.child == "results":
        child_results(args)
    elif args.target:
        parent(args)
    else:
        sys.path.insert(0, str(REPO / "tests" / "harness"))
        from devenv import DevEnv  # type: ignore[import-not-found]

        with DevEnv(task_queue=f"bench-{uuid.uuid4().hex[:8]}") as env:
            args.target, args.namespace, args.task_queue = env.target, env.namespace, env.task_queue
            parent(args)


if __name__ == "__main__":
    main()
