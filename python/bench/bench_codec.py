"""Benchmark: what a payload codec costs the client, in plaintext and TLS.

    .venv/bin/pip install ./python            # a release build
    bash tests/run_examples_tests.sh          # or just: go build target/codec-server
    .venv/bin/python python/bench/bench_codec.py [--rounds 3] [--starts 300]
        [--results 300] [--modes plaintext,tls] [--instructions]

Client CPU per start and per result (closed workflow), measured as
bench_clients.py measures them (a fresh child process per client, user+system
CPU of all its threads), with three codec settings:

- none: no codec;
- noop: an in-process codec that returns its payloads unchanged (a plain
  Python class for temporal_bridge, an async ``PayloadCodec`` for temporalio),
  so the figure is the cost of running any codec at all;
- server: temporal_bridge with a codec server (the AES-GCM one in
  examples/go-worker/cmd/codec-server, started here; its own CPU is not
  counted), one HTTP request per RPC that carries payloads.

TLS mode goes through the same nginx ``grpc_pass`` terminator as
bench_clients.py. The tables give each figure and its ratio to "none" for the
same client and mode; the last line is every figure as JSON.
``--instructions`` counts the instructions per call under callgrind instead
of CPU time (steadier on a shared machine; see
``bench_clients.InstructionCounter``).
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_clients as bc  # noqa: E402

CODECS = ["none", "noop", "server"]
# temporalio has no codec server client: it runs "none" and "noop" only.
CLIENTS = {"temporal_bridge": CODECS, "temporal_bridge.aio": CODECS, "temporalio": ["none", "noop"]}
METRICS = {"cpu_per_start_us": "client CPU per start (us)", "cpu_per_result_us": "client CPU per result (us)"}


def start_codec_server() -> tuple[subprocess.Popen[bytes], str]:
    binary = bc.REPO / "target" / "codec-server"
    if not binary.is_file():
        sys.exit(f"bench_codec.py: {binary} is missing; build it: cd examples/go-worker && "
                 "go build -o ../../target/codec-server ./cmd/codec-server")  # fmt: skip
    server = subprocess.Popen([str(binary)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert server.stdout is not None
    line = server.stdout.readline().decode().strip()
    if not line.startswith("codec server listening on "):
        server.kill()
        sys.exit(f"bench_codec.py: the codec server said {line!r}")
    return server, line.rsplit(" ", 1)[-1]


def measure(args: argparse.Namespace, endpoints: dict[str, bc.Endpoint]) -> None:
    extra = ["--codec-endpoint", args.codec_endpoint]
    bc.compare_variants(args, endpoints, CLIENTS, "--codec", extra, METRICS)


@contextlib.contextmanager
def codec_server(args: argparse.Namespace) -> Iterator[None]:
    """The AES-GCM codec server, for the run (its URL in args.codec_endpoint)."""
    server, args.codec_endpoint = start_codec_server()
    try:
        yield
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    bc.variant_main("bench_codec.py", __doc__.splitlines()[0] if __doc__ else None, measure, codec_server)


if __name__ == "__main__":
    main()
