"""Benchmark: what client metrics cost a call, in plaintext and TLS.

    .venv/bin/pip install ./python            # a release build
    .venv/bin/python python/bench/bench_metrics.py [--rounds 3] [--starts 300]
        [--results 300] [--modes plaintext,tls]

Client CPU per start and per result (closed workflow), measured as
bench_clients.py measures them (a fresh child process per client, user +
system CPU of all its threads), with metrics off and on (every RPC
recorded, a Prometheus endpoint open; nothing scrapes it during the
measurement). Target: on costs at most 5 % over off. TLS mode goes through
the same nginx ``grpc_pass`` terminator as bench_clients.py. The last line
is every figure as JSON.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_clients as bc  # noqa: E402

CLIENTS = ["temporal_bridge", "temporal_bridge.aio"]
SETTINGS = ["off", "on"]
METRICS = {"cpu_per_start_us": "client CPU per start (us)", "cpu_per_result_us": "client CPU per result (us)"}


def measure(args: argparse.Namespace, endpoints: dict[str, bc.Endpoint]) -> None:
    bc.compare_variants(args, endpoints, {c: SETTINGS for c in CLIENTS}, "--metrics", [], METRICS)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--starts", type=int, default=300)
    p.add_argument("--results", type=int, default=300)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--modes", default="plaintext,tls")
    p.add_argument("--scratch", default="/tmp")
    args = p.parse_args()
    args.connects = 0
    modes = [m for m in bc.MODES if m in args.modes.split(",")]
    problem = bc.debug_build_problem()
    if problem:
        sys.exit(f"bench_metrics.py: {problem}")
    sys.path.insert(0, str(bc.REPO / "tests" / "harness"))
    from devenv import DevEnv  # type: ignore[import-not-found]

    with DevEnv(task_queue=f"bench-{uuid.uuid4().hex[:8]}") as env:
        args.target, args.namespace, args.task_queue = env.target, env.namespace, env.task_queue
        endpoints = {"plaintext": bc.Endpoint(args.target)} if "plaintext" in modes else {}
        if "tls" not in modes:
            measure(args, endpoints)
            return
        from tls_terminator import TlsTerminator

        with TlsTerminator(args.target) as tls:
            endpoints["tls"] = bc.Endpoint(tls.target, str(tls.ca_file), tls.domain)
            measure(args, endpoints)


if __name__ == "__main__":
    main()
