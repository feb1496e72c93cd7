"""Benchmark: what client metrics cost a call, in plaintext and TLS.

    .venv/bin/pip install ./python            # a release build
    .venv/bin/python python/bench/bench_metrics.py [--rounds 3] [--starts 300]
        [--results 300] [--modes plaintext,tls] [--instructions]

Client CPU per start and per result (closed workflow), measured as
bench_clients.py measures them (a fresh child process per client, user +
system CPU of all its threads), with metrics off and on (every RPC
recorded, a Prometheus endpoint open; nothing scrapes it during the
measurement). Target: on costs at most 5 % over off. TLS mode goes through
the same nginx ``grpc_pass`` terminator as bench_clients.py. The last line
is every figure as JSON.

CPU time on this shared 2-core machine moves by more than 5 % from run to
run; ``--instructions`` counts instead what the client executes per call,
under callgrind (see ``bench_clients.InstructionCounter``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_clients as bc  # noqa: E402

CLIENTS = ["temporal_bridge", "temporal_bridge.aio"]
SETTINGS = ["off", "on"]
METRICS = {"cpu_per_start_us": "client CPU per start (us)", "cpu_per_result_us": "client CPU per result (us)"}


def measure(args: argparse.Namespace, endpoints: dict[str, bc.Endpoint]) -> None:
    bc.compare_variants(args, endpoints, {c: SETTINGS for c in CLIENTS}, "--metrics", [], METRICS)


def main() -> None:
    bc.variant_main("bench_metrics.py", __doc__.splitlines()[0] if __doc__ else None, measure)


if __name__ == "__main__":
    main()
