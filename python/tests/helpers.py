"""Small helpers shared by the tests (polling with a deadline, child processes)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from typing import Any, Callable, Iterator


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Polls `predicate` until it is true or `timeout` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


#: The first line of a child that a test interrupts with SIGINT. Python turns
#: SIGINT into KeyboardInterrupt only if SIGINT was not ignored when it
#: started, and a suite run as a background job of a non-interactive shell
#: (`nohup ... &`) hands its children SIGINT ignored. This gives the child the
#: handler Python installs under a terminal, however the suite was started.
CTRL_C_AS_IN_A_TERMINAL = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"


def child_env() -> dict[str, str]:
    """Environment for child Python processes running temporal_bridge."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_child(code: str, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a fresh Python process (same interpreter) and waits."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(),
    )


def free_port() -> int:
    """A local port nothing listens on (connections to it are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nested(depth: int) -> object:
    """A JSON value of `depth` containers, one inside the other (lists and
    dicts alternating, a string at the bottom)."""
    value: object = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"level": level, "inner": value}
    return value


class TlsTerminator:
    """A TLS terminator in front of ``upstream`` (host:port), as production
    deployments put one in front of the server: it accepts TLS (ALPN ``h2``)
    with a fresh self-signed certificate for ``localhost`` and passes the
    bytes through to the plaintext upstream. ``target`` and ``ca_pem`` are
    what a client connects with; a context manager, on its own thread."""

    def __init__(self, upstream: str) -> None:
        import asyncio
        import datetime
        import ssl
        import tempfile
        import threading

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = datetime.datetime.now(datetime.timezone.utc)

        def certificate(subject: str, key: Any, issuer: Any, issuer_key: Any, ca: bool) -> Any:
            builder = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                .issuer_name(issuer)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            )
            if not ca:
                builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            return builder.sign(issuer_key, hashes.SHA256())

        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
        ca_cert = certificate("test CA", ca_key, ca_name, ca_key, ca=True)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = certificate("localhost", key, ca_name, ca_key, ca=False)
        self.ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with tempfile.TemporaryDirectory() as scratch:
            cert_file, key_file = os.path.join(scratch, "cert.pem"), os.path.join(scratch, "key.pem")
            with open(cert_file, "wb") as f:
                f.write(cert.public_bytes(serialization.Encoding.PEM))
            with open(key_file, "wb") as f:
                f.write(key_pem)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert_file, key_file)
        context.set_alpn_protocols(["h2"])
        host, port = upstream.rsplit(":", 1)
        self.domain = "localhost"
        self.loop = asyncio.new_event_loop()

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                up_reader, up_writer = await asyncio.open_connection(host, int(port))
            except OSError:
                writer.close()
                return
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

        self.server = self.loop.run_until_complete(asyncio.start_server(serve, "127.0.0.1", 0, ssl=context))
        self.target = f"127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> TlsTerminator:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        import asyncio

        async def close() -> None:
            self.server.close()
            current = asyncio.current_task()
            connections = [t for t in asyncio.all_tasks() if t is not current]
            for task in connections:
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@contextlib.contextmanager
def reach(upstream: str, transport: str) -> Iterator[tuple[str, Any]]:
    """What a client connects with to reach the server at ``upstream`` over
    ``transport``: ``(target, tls)``. For ``"plaintext"`` the server itself
    and no TLS; for ``"tls"`` a ``TlsTerminator`` in front of it (running
    meanwhile) and a ``TLSConfig`` trusting the terminator's CA."""
    if transport == "plaintext":
        yield upstream, None
        return
    from temporal_bridge import TLSConfig

    with TlsTerminator(upstream) as terminator:
        yield terminator.target, TLSConfig(server_root_ca_cert=terminator.ca_pem, domain=terminator.domain)
