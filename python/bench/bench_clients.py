"""Benchmark: temporal_bridge vs the official temporalio client, side by side
against the same Temporal dev server, in plaintext and through TLS.

    bash python/bench/setup.sh        # once, as root: nginx + openssl (Debian)
    .venv/bin/python python/bench/bench_clients.py [--rounds 3] [--starts 300]
        [--results 300] [--connects 5] [--modes plaintext,tls]
        [--target HOST:PORT --namespace NS --task-queue Q]

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

Modes (--modes, default both):

- plaintext: the clients talk to the dev server directly;
- tls: the clients talk TLS to a real TLS terminator, nginx with
  `grpc_pass` in front of the same dev server (python/bench/tls_terminator.py),
  which the benchmark starts by itself on a free port with a throwaway CA and
  a certificate for localhost/127.0.0.1 (made with the `openssl` CLI), and
  stops at exit. All three clients get the same CA as `server_root_ca_cert`
  and `domain="localhost"`, so temporalio runs over the very same TLS. This
  is what production users run; nginx's own CPU is not counted (only the
  client process's). nginx and openssl must be installed:
  `bash python/bench/setup.sh` (apt-get install nginx openssl); without
  them, TLS mode stops before measuring anything and says so.

Each mode prints one table: the three clients, the blocking client's ratio
to temporalio and the asyncio client's ratio to temporalio; with both modes
a last table gives each client's TLS / plaintext ratio. The final line is
all the figures as JSON. Each figure is the median over --rounds rounds that
interleave the modes and the clients, since the dev server, nginx and the
worker share the machine's CPUs. Install the package with
`pip install ./python` first (a release build with precompiled .pyc, like
temporalio's); the benchmark refuses a debug build of the native module.
Starts go to a task queue no worker polls, so the worker's load does not
disturb them; results come from workflows the worker completed earlier.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLIENTS = ["temporal_bridge", "temporal_bridge.aio", "temporalio"]
MODES = {"plaintext": "plaintext", "tls": "TLS (nginx grpc_pass)"}


# ------------------------------------------------------------------ children


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bridge_tls(args: argparse.Namespace) -> Any:
    if not args.ca_file:
        return None
    from temporal_bridge import TLSConfig

    return TLSConfig(server_root_ca_cert=Path(args.ca_file).read_bytes(), domain=args.tls_domain)


def official_tls(args: argparse.Namespace) -> Any:
    if not args.ca_file:
        return False
    from temporalio.client import TLSConfig

    return TLSConfig(server_root_ca_cert=Path(args.ca_file).read_bytes(), domain=args.tls_domain)


class NoopCodec:
    """A payload codec that changes nothing: what running any codec costs."""

    def encode(self, payloads: Any) -> list[Any]:
        return list(payloads)

    def decode(self, payloads: Any) -> list[Any]:
        return list(payloads)


def bridge_codec(args: argparse.Namespace) -> dict[str, Any]:
    """The codec arguments of Client.connect for --codec (see bench_codec.py)."""
    if args.codec == "noop":
        return {"payload_codec": NoopCodec()}
    if args.codec == "server":
        return {"codec": {"endpoint": args.codec_endpoint}}
    return {}


def official_converter(args: argparse.Namespace) -> Any:
    import dataclasses

    import temporalio.converter

    default = temporalio.converter.DataConverter.default
    if args.codec != "noop":
        return default

    class Noop(temporalio.converter.PayloadCodec):
        async def encode(self, payloads: Any) -> list[Any]:
            return list(payloads)

        async def decode(self, payloads: Any) -> list[Any]:
            return list(payloads)

    return dataclasses.replace(default, payload_codec=Noop())


class Bridge:
    """temporal_bridge's blocking client, driven from plain code."""

    def __init__(self, args: argparse.Namespace) -> None:
        from temporal_bridge import Client

        self.client = Client.connect(args.target, namespace=args.namespace, tls=bridge_tls(args), **bridge_codec(args))

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
        self.client = self.loop.run_until_complete(
            AsyncClient.connect(args.target, namespace=args.namespace, tls=bridge_tls(args), **bridge_codec(args))
        )

    async def start(self, workflow_id: str, task_queue: str) -> None:
        await self.client.start_workflow("MySimpleWorkflow", "bench", id=workflow_id, task_queue=task_queue)

    async def result(self, workflow_id: str) -> Any:
        return await self.client.get_workflow_handle(workflow_id).result()


class Official(AsyncBase):
    def __init__(self, args: argparse.Namespace) -> None:
        from temporalio.client import Client

        self.loop = asyncio.new_event_loop()
        self.client = self.loop.run_until_complete(
            Client.connect(
                args.target, namespace=args.namespace, tls=official_tls(args), data_converter=official_converter(args)
            )
        )

    async def start(self, workflow_id: str, task_queue: str) -> None:
        await self.client.start_workflow("MySimpleWorkflow", "bench", id=workflow_id, task_queue=task_queue)

    async def result(self, workflow_id: str) -> Any:
        return await self.client.get_workflow_handle(workflow_id).result()


# What a script needs to get a connected client, and nothing more: the
# start-up measurement spawns these with `python -c` (the harness module
# itself imports far more than a user script would). Arguments: target,
# namespace, CA file ("" for plaintext), TLS server name.
CONNECT_SCRIPTS = {
    "temporal_bridge": """
import sys
from temporal_bridge import Client
tls = None
if sys.argv[3]:
    from temporal_bridge import TLSConfig
    tls = TLSConfig(server_root_ca_cert=open(sys.argv[3], "rb").read(), domain=sys.argv[4])
client = Client.connect(sys.argv[1], namespace=sys.argv[2], tls=tls)
""",
    "temporal_bridge.aio": """
import asyncio, sys
from temporal_bridge import AsyncClient
tls = None
if sys.argv[3]:
    from temporal_bridge import TLSConfig
    tls = TLSConfig(server_root_ca_cert=open(sys.argv[3], "rb").read(), domain=sys.argv[4])
client = asyncio.new_event_loop().run_until_complete(AsyncClient.connect(sys.argv[1], namespace=sys.argv[2], tls=tls))
""",
    "temporalio": """
import asyncio, sys
from temporalio.client import Client, TLSConfig
tls = TLSConfig(server_root_ca_cert=open(sys.argv[3], "rb").read(), domain=sys.argv[4]) if sys.argv[3] else False
client = asyncio.new_event_loop().run_until_complete(Client.connect(sys.argv[1], namespace=sys.argv[2], tls=tls))
""",
}
REPORT_RSS = """
rss = [l for l in open("/proc/self/status").read().splitlines() if l.startswith("VmRSS:")][0].split()[1]
print(rss, flush=True)
"""


def make_client(args: argparse.Namespace) -> Any:
    if args.metrics == "on":  # bench_metrics.py: every call recorded, a scrape endpoint open
        from temporal_bridge import metrics

        metrics.configure(prometheus="127.0.0.1:0")
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


class Endpoint:
    """Where one mode's clients connect: the dev server, or nginx's TLS."""

    def __init__(self, target: str, ca_file: str = "", domain: str = "") -> None:
        self.target, self.ca_file, self.domain = target, ca_file, domain

    def args(self) -> list[str]:
        return ["--target", self.target, "--ca-file", self.ca_file, "--tls-domain", self.domain]


def child_command(args: argparse.Namespace, endpoint: Endpoint, mode: str, client: str, *extra: str) -> list[str]:
    return [
        sys.executable, __file__, "--child", mode, "--client", client, *endpoint.args(),
        "--namespace", args.namespace, "--task-queue", args.task_queue,
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


def measure_connect(args: argparse.Namespace, endpoint: Endpoint, client: str) -> tuple[float, float]:
    times, rss = [], []
    script = [sys.executable, "-c", CONNECT_SCRIPTS[client] + REPORT_RSS]
    for _ in range(args.connects):
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*script, endpoint.target, args.namespace, endpoint.ca_file, endpoint.domain],
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


def parent(args: argparse.Namespace, endpoints: dict[str, Endpoint]) -> None:
    print(
        f"# {args.rounds} rounds of {args.starts} starts, {args.results} results and {args.connects} connects "
        f"per client and mode, interleaved; medians over rounds; python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs; modes: {', '.join(MODES[m] for m in endpoints)}",
        flush=True,
    )
    ids_file = prepare_closed_workflows(args)
    samples: dict[str, dict[str, dict[str, list[float]]]] = {m: {c: {} for c in CLIENTS} for m in endpoints}
    # Rounds interleave the modes and the clients, so that a busy moment on
    # the machine (the dev server and nginx share its CPUs) does not land on
    # one client or one mode only.
    for round_number in range(args.rounds):
        for mode, endpoint in endpoints.items():
            for client in CLIENTS:
                connect_ms, rss_mib = measure_connect(args, endpoint, client)
                starts = run_child_json(client, child_command(args, endpoint, "starts", client))
                results = run_child_json(
                    client, child_command(args, endpoint, "results", client, "--ids-file", str(ids_file))
                )
                figures = {
                    "start -> connected (ms, median)": connect_ms,
                    "RSS after connect (MiB)": rss_mib,
                    "client CPU per start (us)": starts["cpu_per_start_us"],
                    "client CPU per result, closed wf (us)": results["cpu_per_result_us"],
                    "start latency p50 (ms)": starts["start_p50_ms"],
                    "start latency p90 (ms)": starts["start_p90_ms"],
                }
                for metric, value in figures.items():
                    samples[mode][client].setdefault(metric, []).append(value)
        print(f"# round {round_number + 1} done", file=sys.stderr, flush=True)
    tables = {
        mode: {c: {m: statistics.median(v) for m, v in metrics.items()} for c, metrics in by_client.items()}
        for mode, by_client in samples.items()
    }
    for mode, rows in tables.items():
        print()
        print(f"## {MODES[mode]}" + (f" ({endpoints[mode].target} -> {args.target})" if mode == "tls" else ""))
        print_table(rows)
    if len(tables) > 1:
        print()
        print("## TLS / plaintext, per client")
        print_overhead(tables["plaintext"], tables["tls"])
    print()
    print("## CPU ratios vs temporalio, round by round (a round runs its clients back to back)")
    for mode, by_client in samples.items():
        print_per_round(MODES[mode], by_client)
    print()
    runs = args.rounds * len(endpoints) * (args.connects + 2)
    for client in CLIENTS:
        print(f"# {client}: {EXIT_CRASHES.get(client, 0)} of {runs} child processes crashed at exit")
    print(json.dumps(tables), flush=True)



def compare_variants(
    args: argparse.Namespace,
    endpoints: dict[str, Endpoint],
    clients: dict[str, list[str]],
    flag: str,
    extra: list[str],
    figures: dict[str, str],
) -> None:
    """Runs each client's child processes once per variant of ``flag`` (e.g.
    ``--codec none``, ``--codec noop``), rounds interleaving modes, clients
    and variants; prints per mode a table of the median ``figures`` and each
    variant's ratio to the client's first one; the last line is every
    figure as JSON. bench_codec.py and bench_metrics.py are made of this."""
    # --clients / --variants narrow the run to some of them.
    clients = {
        client: [v for v in variants if not args.variants or v in args.variants.split(",")]
        for client, variants in clients.items()
        if not args.clients or client in args.clients.split(",")
    }
    ids_file = prepare_closed_workflows(args)
    if args.instructions:
        figures = {"instructions_per_start": "instructions per start", "instructions_per_result": "instructions per result"}
        count = InstructionCounter(ids_file)
    samples: dict[str, dict[str, dict[str, dict[str, list[float]]]]] = {}
    for round_number in range(args.rounds):
        for mode, endpoint in endpoints.items():
            for client, variants in clients.items():
                for variant in variants:
                    flags = [flag, variant, *extra]
                    if args.instructions:
                        figures_now = count.per_call(args, endpoint, client, flags)
                    else:
                        starts = run_child_json(client, child_command(args, endpoint, "starts", client, *flags))
                        results = run_child_json(
                            client,
                            child_command(args, endpoint, "results", client, "--ids-file", str(ids_file), *flags),
                        )
                        figures_now = {**starts, **results}
                    measured = samples.setdefault(mode, {}).setdefault(client, {}).setdefault(variant, {})
                    for key in figures:
                        measured.setdefault(key, []).append(figures_now[key])
        print(f"# round {round_number + 1} done", file=sys.stderr, flush=True)
    tables = {
        mode: {
            client: {v: {k: statistics.median(x) for k, x in measured.items()} for v, measured in by_variant.items()}
            for client, by_variant in by_client.items()
        }
        for mode, by_client in samples.items()
    }
    name = flag.lstrip("-")
    for mode, rows in tables.items():
        print()
        print(f"## {MODES[mode]}")
        header = f"{'client':<20} | {name:<7} | " + " | ".join(f"{label:>26}" for label in figures.values())
        header += " | " + " | ".join(f"{k.split('_')[2]} vs first" for k in figures)
        print(header)
        print("-" * len(header))
        for client, by_variant in rows.items():
            base = next(iter(by_variant.values()))
            for variant, row in by_variant.items():
                cells = " | ".join(f"{row[k]:>26.1f}" for k in figures)
                ratios = " | ".join(f"{ratio(row[k], base[k]):>14.2f}x" for k in figures)
                print(f"{client:<20} | {variant:<7} | {cells} | {ratios}")
    print(json.dumps(tables), flush=True)


class InstructionCounter:
    """Instructions a child executes per call, by callgrind (``--instructions``).

    CPU time on a shared 2-core machine moves by more than the few percent a
    variant benchmark looks for. Instead each child runs under ``valgrind
    --tool=callgrind`` (every thread counted), once with ``SMALL`` calls and
    once with all of them; the difference over the difference in calls is
    the instructions per call, start-up and connect excluded. Counts still
    move a little between runs (how often threads wake and poll depends on
    timing), hence rounds and medians as for CPU time."""

    SMALL = 20

    def __init__(self, ids_file: Path) -> None:
        self.ids = json.loads(ids_file.read_text())
        self.all_file = ids_file
        self.few_file = ids_file.with_name(f"few-{ids_file.name}")
        self.few_file.write_text(json.dumps(self.ids[: self.SMALL]))

    @staticmethod
    def instructions(command: list[str]) -> int:
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch) / "callgrind.out"
            # One string-hash seed for every child: with a random one, dict
            # lookups probe differently per process (+-1k per call).
            done = subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command],
                capture_output=True, text=True, check=False, timeout=1800,
                env={**os.environ, "PYTHONHASHSEED": "0"},
            )  # fmt: skip
            found = re.search(r"^summary:\s+(\d+)", out.read_text() if out.exists() else "", re.M)
            if not found or '{"cpu_per' not in done.stdout:
                raise RuntimeError(f"callgrind run failed ({done.returncode}):\n{done.stderr[-3000:]}")
            return int(found.group(1))

    def per_call(self, args: argparse.Namespace, endpoint: Endpoint, client: str, flags: list[str]) -> dict[str, float]:
        figures = {}
        for kind in ("starts", "results"):
            counts = []
            for calls, ids_of in ((self.SMALL, self.few_file), (len(self.ids), self.all_file)):
                run = argparse.Namespace(**{**vars(args), "starts": calls, "warmup": 5})
                extra = ["--ids-file", str(ids_of)] if kind == "results" else []
                counts.append(self.instructions(child_command(run, endpoint, kind, client, *flags, *extra)))
            figures[f"instructions_per_{kind[:-1]}"] = (counts[1] - counts[0]) / (len(self.ids) - self.SMALL)
        print(f"# {client} {' '.join(flags)}: {figures}", file=sys.stderr, flush=True)
        return figures


def variant_main(name: str, description: str | None, measure: Any, before: Any = None) -> None:
    """The ``main`` of a variant benchmark (bench_codec.py, bench_metrics.py):
    its options, a release-build check, a dev server and worker, the TLS
    terminator when asked, then ``measure(args, endpoints)``. ``before(args)``
    may start what the benchmark needs and return a context manager."""
    import contextlib

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--starts", type=int, default=300)
    p.add_argument("--results", type=int, default=300)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--modes", default="plaintext,tls")
    p.add_argument("--scratch", default="/tmp")
    p.add_argument(
        "--instructions", action="store_true", help="count instructions per call with callgrind instead of CPU time"
    )
    p.add_argument("--clients", default="", help="comma-separated clients to measure (default: all)")
    p.add_argument("--variants", default="", help="comma-separated variants to measure (default: all)")
    args = p.parse_args()
    args.connects = 0
    modes = [m for m in MODES if m in args.modes.split(",")]
    problem = debug_build_problem()
    if problem:
        sys.exit(f"{name}: {problem}")
    sys.path.insert(0, str(REPO / "tests" / "harness"))
    from devenv import DevEnv  # type: ignore[import-not-found]

    with (before(args) if before else contextlib.nullcontext()), DevEnv(
        task_queue=f"bench-{uuid.uuid4().hex[:8]}"
    ) as env:
        args.target, args.namespace, args.task_queue = env.target, env.namespace, env.task_queue
        endpoints = {"plaintext": Endpoint(args.target)} if "plaintext" in modes else {}
        if "tls" not in modes:
            measure(args, endpoints)
            return
        from tls_terminator import TlsTerminator  # next to this file

        with TlsTerminator(args.target) as tls:
            endpoints["tls"] = Endpoint(tls.target, str(tls.ca_file), tls.domain)
            measure(args, endpoints)

def ratio(value: float, reference: float) -> float:
    return value / reference if reference else float("nan")


def print_table(rows: dict[str, dict[str, float]]) -> None:
    official = rows["temporalio"]
    metrics = list(official)
    width = max(len(m) for m in metrics)
    header = (
        f"{'metric':<{width}} | " + " | ".join(f"{c:>19}" for c in rows) + " | bridge/temporalio | aio/temporalio"
    )
    print(header)
    print("-" * len(header))
    for metric in metrics:
        cells = " | ".join(f"{rows[c][metric]:>19.2f}" for c in rows)
        blocking = ratio(rows["temporal_bridge"][metric], official[metric])
        aio = ratio(rows["temporal_bridge.aio"][metric], official[metric])
        print(f"{metric:<{width}} | {cells} | {blocking:>16.2f}x | {aio:>13.2f}x")


def print_per_round(mode: str, samples: dict[str, dict[str, list[float]]]) -> None:
    """Each round's CPU ratios. A slow stretch of the machine moves both
    sides of a round's ratio alike, and the spread across rounds shows how
    far one run's medians can be trusted (this machine's speed moves by more
    than the differences looked for)."""
    official = samples["temporalio"]
    for metric in (m for m in official if m.startswith("client CPU")):
        for client in ("temporal_bridge", "temporal_bridge.aio"):
            ratios = [ratio(ours, theirs) for ours, theirs in zip(samples[client][metric], official[metric])]
            cells = " ".join(f"{r:.2f}" for r in ratios)
            print(f"{mode:<24} | {metric:<38} | {client:<19} | {cells} | median {statistics.median(ratios):.2f}x")


def print_overhead(plain: dict[str, dict[str, float]], tls: dict[str, dict[str, float]]) -> None:
    metrics = list(plain["temporalio"])
    width = max(len(m) for m in metrics)
    header = f"{'metric':<{width}} | " + " | ".join(f"{c:>19}" for c in plain)
    print(header)
    print("-" * len(header))
    for metric in metrics:
        cells = " | ".join(f"{ratio(tls[c][metric], plain[c][metric]):>18.2f}x" for c in plain)
        print(f"{metric:<{width}} | {cells}")


def debug_build_problem() -> str | None:
    """Why the installed native module looks like a debug build, if it does.

    A debug build has overflow checks, so its code carries the compiler's
    "attempt to add with overflow" panic message; a release build has none
    (overflow checks are off, and the standard library is built without).
    """
    import importlib.util

    spec = importlib.util.find_spec("temporal_bridge._native")
    if spec is None or not spec.origin or not os.path.isfile(spec.origin):
        return None
    if b"attempt to add with overflow" not in Path(spec.origin).read_bytes():
        return None
    return (
        f"{spec.origin} is a debug build (it has overflow checks): its figures would say nothing "
        "about what users run. Install a release build with `.venv/bin/pip install ./python` "
        "(or `maturin develop --release`), or pass --allow-debug-build."
    )


def with_endpoints(args: argparse.Namespace, modes: list[str]) -> None:
    """Runs the parent with one endpoint per mode; TLS goes through nginx."""
    endpoints = {"plaintext": Endpoint(args.target)} if "plaintext" in modes else {}
    if "tls" not in modes:
        parent(args, endpoints)
        return
    from tls_terminator import TerminatorError, TlsTerminator  # next to this file

    try:
        with TlsTerminator(args.target) as tls:
            endpoints["tls"] = Endpoint(tls.target, str(tls.ca_file), tls.domain)
            parent(args, endpoints)
    except TerminatorError as err:
        sys.exit(f"bench_clients.py: TLS terminator: {err}")


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
    p.add_argument("--modes", default="plaintext,tls", help="comma-separated: plaintext, tls (default both)")
    p.add_argument("--allow-debug-build", action="store_true", help="measure a debug build of the native module anyway")
    p.add_argument("--ca-file", default="", help=argparse.SUPPRESS)  # children: "" for plaintext
    p.add_argument("--tls-domain", default="", help=argparse.SUPPRESS)
    p.add_argument("--child", choices=["starts", "results"])
    p.add_argument("--client", choices=CLIENTS)
    p.add_argument("--ids-file")
    p.add_argument("--codec", choices=["none", "noop", "server"], default="none", help=argparse.SUPPRESS)
    p.add_argument("--codec-endpoint", default="", help=argparse.SUPPRESS)
    p.add_argument("--metrics", choices=["off", "on"], default="off", help=argparse.SUPPRESS)
    p.add_argument("--scratch", default="/tmp")
    args = p.parse_args()

    if args.child == "starts":
        child_starts(args)
        return
    if args.child == "results":
        child_results(args)
        return

    # Everything that can make the run pointless is checked before starting
    # anything.
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        p.error(f"--modes: expected a comma-separated list of {', '.join(MODES)}, got {args.modes!r}")
    modes = [m for m in MODES if m in modes]
    if "tls" in modes:
        from tls_terminator import SETUP_HINT, missing_tools  # next to this file

        if missing_tools():
            sys.exit(
                f"bench_clients.py: TLS mode needs {' and '.join(missing_tools())} (not found here): "
                f"{SETUP_HINT}; or measure plaintext only with --modes plaintext"
            )
    problem = None if args.allow_debug_build else debug_build_problem()
    if problem:
        sys.exit(f"bench_clients.py: {problem}")

    if args.target:
        with_endpoints(args, modes)
        return
    sys.path.insert(0, str(REPO / "tests" / "harness"))
    from devenv import DevEnv

    with DevEnv(task_queue=f"bench-{uuid.uuid4().hex[:8]}") as env:
        args.target, args.namespace, args.task_queue = env.target, env.namespace, env.task_queue
        with_endpoints(args, modes)


if __name__ == "__main__":
    main()
