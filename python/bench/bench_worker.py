"""Benchmark: activity workers — worker CPU per task and tasks per second,
temporal_bridge against temporalio, same server, same run.

    .venv/bin/pip install ./python                 # a release build
    cargo build --release -p temporal-bridge-ffi   # the C contender's library
    bash tests/run_examples_tests.sh               # or just: go build target/go-worker
    .venv/bin/python python/bench/bench_worker.py [--rounds 3] [--workflows 20]
        [--per-workflow 50] [--modes plaintext,tls]

One no-op activity ("Noop": no arguments, returns null), served by one
worker process per contender:

- temporalio: the official Python SDK's ``Worker`` with an ``async def``
  activity (its default max_concurrent_activities, 100);
- temporal_bridge: ``temporal_bridge.Worker`` with the same ``async def``
  activity, and again with a plain function (run in its thread pool);
- c: the C ABI (python/bench/noop_worker.c, compiled here against
  target/release/libtemporal_bridge.so), the callback answering at once.

The Go SDK worker runs ``CallActivityWorkflow``: each of ``--workflows``
workflows schedules ``--per-workflow`` activities at once on the contender's
queue. The figure is the worker process's CPU (user + system, all threads,
from /proc) over the batch divided by the tasks, and the batch's tasks per
second (which the server and the workflow worker bound as much as the
activity worker). In TLS mode the activity worker talks to nginx
(``grpc_pass``, python/bench/tls_terminator.py) in front of the dev server;
the workflow side stays plaintext. Rounds interleave contenders and modes.
The last line is every figure as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_clients as bc  # noqa: E402

CONTENDERS = ["temporalio", "temporal_bridge", "temporal_bridge.sync", "c"]
MODES = {"plaintext": "plaintext", "tls": "TLS (nginx grpc_pass)"}
MAX_CONCURRENT = 100


def clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of every thread of `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / clock_ticks()


# ---------------------------------------------------------------- children


def child(args: argparse.Namespace) -> None:
    """Runs one contender's worker until stdin closes."""
    if args.child == "temporalio":
        asyncio.run(child_temporalio(args))
    else:
        asyncio.run(child_bridge(args, sync=args.child == "temporal_bridge.sync"))


async def serve_until_stdin_closes() -> None:
    """Says the worker is ready, then waits for the parent to close stdin."""
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def tls_config(args: argparse.Namespace, config: Any) -> Any:
    """The client's TLS settings (either SDK's ``TLSConfig``), or None."""
    if not args.ca_file:
        return None
    return config(server_root_ca_cert=Path(args.ca_file).read_bytes(), domain=args.tls_domain)


async def child_temporalio(args: argparse.Namespace) -> None:
    from temporalio import activity
    from temporalio.client import Client
    from temporalio.service import TLSConfig
    from temporalio.worker import Worker

    @activity.defn(name="Noop")
    async def noop() -> None:
        return None

    client = await Client.connect(args.target, namespace=args.namespace, tls=tls_config(args, TLSConfig) or False)
    async with Worker(client, task_queue=args.task_queue, activities=[noop], max_concurrent_activities=MAX_CONCURRENT):
        await serve_until_stdin_closes()
    os._exit(0)  # temporalio may abort at interpreter exit; not what is measured


async def child_bridge(args: argparse.Namespace, sync: bool) -> None:
    from temporal_bridge import AsyncClient, TLSConfig, Worker, activity

    if sync:

        @activity.defn(name="Noop")
        def noop() -> None:
            return None

    else:

        @activity.defn(name="Noop")
        async def noop() -> None:  # type: ignore[misc]
            return None

    client = await AsyncClient.connect(args.target, namespace=args.namespace, tls=tls_config(args, TLSConfig))
    async with Worker(client, task_queue=args.task_queue, activities=[noop], max_concurrent_activities=MAX_CONCURRENT):
        await serve_until_stdin_closes()


# ---------------------------------------------------------------- parent


def build_c_worker() -> Path:
    library = bc.REPO / "target" / "release" / "libtemporal_bridge.so"
    if not library.is_file():
        sys.exit(f"bench_worker.py: {library} is missing: cargo build --release -p temporal-bridge-ffi")
    binary = bc.REPO / "target" / "bench" / "noop_worker"
    binary.parent.mkdir(parents=True, exist_ok=True)
    source = Path(__file__).resolve().parent / "noop_worker.c"
    subprocess.run(
        ["cc", "-O2", "-Wall", "-Werror", str(source), "-I", str(bc.REPO / "include"),
         "-L", str(library.parent), "-ltemporal_bridge", f"-Wl,-rpath,{library.parent}", "-o", str(binary)],
        check=True,
    )  # fmt: skip
    return binary


def connect_json(endpoint: bc.Endpoint, namespace: str) -> str:
    options: dict[str, Any] = {"target": endpoint.target, "namespace": namespace}
    if endpoint.ca_file:
        options["tls"] = {"server_root_ca_cert": Path(endpoint.ca_file).read_text(), "domain": endpoint.domain}
    return json.dumps(options)


def start_worker(args: argparse.Namespace, contender: str, endpoint: bc.Endpoint, queue: str) -> subprocess.Popen[str]:
    if contender == "c":
        cmd = [str(args.c_worker), connect_json(endpoint, args.namespace), queue, str(MAX_CONCURRENT)]
    else:
        cmd = [sys.executable, __file__, "--child", contender, "--namespace", args.namespace,
               "--task-queue", queue, *endpoint.args()]  # fmt: skip
    worker = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert worker.stdout is not None
    line = worker.stdout.readline().strip()
    if line != "ready":
        worker.kill()
        sys.exit(f"bench_worker.py: the {contender} worker said {line!r}")
    return worker


def batch(client: Any, go_queue: str, queue: str, workflows: int, per_workflow: int) -> None:
    """Runs workflows x per_workflow no-op activities on `queue`; waits for all."""
    handles = [
        client.start_workflow(
            "CallActivityWorkflow",
            {"activity": "Noop", "task_queue": queue, "count": per_workflow, "start_to_close_timeout_ms": 60_000},
            id=f"bench-worker-{uuid.uuid4()}",
            task_queue=go_queue,
        )
        for _ in range(workflows)
    ]
    for handle in handles:
        results = handle.result()
        assert results == [None] * per_workflow, results


def measure(
    args: argparse.Namespace, client: Any, go_queue: str, contender: str, endpoint: bc.Endpoint
) -> dict[str, float]:
    queue = f"bench-activities-{uuid.uuid4().hex[:8]}"
    worker = start_worker(args, contender, endpoint, queue)
    try:
        batch(client, go_queue, queue, 2, 10)  # warm-up: connections, first tasks
        cpu_before, began = process_cpu(worker.pid), time.perf_counter()
        batch(client, go_queue, queue, args.workflows, args.per_workflow)
        elapsed, cpu = time.perf_counter() - began, process_cpu(worker.pid) - cpu_before
    finally:
        assert worker.stdin is not None
        worker.stdin.close()
        worker.wait(timeout=60)
    tasks = args.workflows * args.per_workflow
    return {"worker CPU per task (us)": cpu / tasks * 1e6, "tasks per second": tasks / elapsed}


def start_go_worker(args: argparse.Namespace) -> tuple[subprocess.Popen[bytes], str]:
    binary = bc.REPO / "target" / "go-worker"
    if not binary.is_file():
        sys.exit(f"bench_worker.py: {binary} is missing: cd examples/go-worker && go build -o ../../target/go-worker .")
    queue = f"bench-workflows-{uuid.uuid4().hex[:8]}"
    go = subprocess.Popen(
        [str(binary), "-target", args.target, "-namespace", args.namespace, "-task-queue", queue],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert go.stdout is not None
    if go.stdout.readline().decode().strip() != "worker ready":
        go.kill()
        sys.exit("bench_worker.py: the Go worker did not start")
    return go, queue


def parent(args: argparse.Namespace, endpoints: dict[str, bc.Endpoint]) -> None:
    from temporal_bridge import Client

    go, go_queue = start_go_worker(args)
    try:
        client = Client.connect(args.target, namespace=args.namespace)
        samples: dict[str, dict[str, dict[str, list[float]]]] = {m: {c: {} for c in args.contenders} for m in endpoints}
        for round_number in range(args.rounds):
            for mode, endpoint in endpoints.items():
                for contender in args.contenders:
                    for metric, value in measure(args, client, go_queue, contender, endpoint).items():
                        samples[mode][contender].setdefault(metric, []).append(value)
            print(f"# round {round_number + 1} done", file=sys.stderr, flush=True)
    finally:
        go.terminate()
        go.wait(timeout=30)
    tables = {
        mode: {c: {m: statistics.median(v) for m, v in metrics.items()} for c, metrics in by_contender.items()}
        for mode, by_contender in samples.items()
    }
    tasks = args.workflows * args.per_workflow
    for mode, rows in tables.items():
        print()
        print(f"## {MODES[mode]}, {tasks} no-op tasks per batch, median of {args.rounds}")
        official = rows.get("temporalio")
        header = f"{'contender':<22} | {'CPU per task (us)':>18} | {'tasks/s':>9} | {'CPU vs temporalio':>17}"
        print(header)
        print("-" * len(header))
        for contender, figures in rows.items():
            cpu = figures["worker CPU per task (us)"]
            versus = cpu / official["worker CPU per task (us)"] if official else float("nan")
            print(f"{contender:<22} | {cpu:>18.1f} | {figures['tasks per second']:>9.1f} | {versus:>16.2f}x")
    print()
    print(json.dumps(tables), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--target")
    p.add_argument("--namespace", default="default")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--workflows", type=int, default=20)
    p.add_argument("--per-workflow", type=int, default=50)
    p.add_argument("--modes", default="plaintext,tls", help="comma-separated: plaintext, tls (default both)")
    p.add_argument("--contenders", default=",".join(CONTENDERS), help="comma-separated, of: " + ", ".join(CONTENDERS))
    p.add_argument("--allow-debug-build", action="store_true", help="measure a debug build of the native module anyway")
    p.add_argument("--child", choices=[c for c in CONTENDERS if c != "c"], help=argparse.SUPPRESS)
    p.add_argument("--task-queue", help=argparse.SUPPRESS)
    p.add_argument("--ca-file", default="", help=argparse.SUPPRESS)
    p.add_argument("--tls-domain", default="", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args)
        return

    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or any(m not in MODES for m in modes):
        p.error(f"--modes: expected a comma-separated list of {', '.join(MODES)}, got {args.modes!r}")
    args.contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    if not args.contenders or any(c not in CONTENDERS for c in args.contenders):
        p.error(f"--contenders: expected a comma-separated list of {', '.join(CONTENDERS)}")
    problem = None if args.allow_debug_build else bc.debug_build_problem()
    if problem:
        sys.exit(f"bench_worker.py: {problem}")
    if "tls" in modes:
        from tls_terminator import SETUP_HINT, missing_tools  # next to this file

        if missing_tools():
            sys.exit(f"bench_worker.py: TLS mode needs {' and '.join(missing_tools())}: {SETUP_HINT}")
    if "c" in args.contenders:
        if shutil.which("cc") is None:
            sys.exit("bench_worker.py: the C contender needs a C compiler (cc)")
        args.c_worker = build_c_worker()

    def run(target: str) -> None:
        args.target = target
        endpoints = {"plaintext": bc.Endpoint(target)} if "plaintext" in modes else {}
        if "tls" not in modes:
            parent(args, endpoints)
            return
        from tls_terminator import TlsTerminator  # next to this file

        with TlsTerminator(target) as tls:
            endpoints["tls"] = bc.Endpoint(tls.target, str(tls.ca_file), tls.domain)
            parent(args, endpoints)

    if args.target:
        run(args.target)
        return
    sys.path.insert(0, str(bc.REPO / "tests" / "harness"))
    from devenv import DevEnv  # type: ignore[import-not-found]

    with DevEnv(task_queue="bench-unused", worker=False) as env:
        args.namespace = env.namespace
        run(env.target)


if __name__ == "__main__":
    main()
