"""A real TLS terminator for the benchmark: nginx (`grpc_pass`) in front of a
plaintext Temporal server, with a throwaway CA and a server certificate for
`localhost` / 127.0.0.1 made with the `openssl` CLI.

    with TlsTerminator("127.0.0.1:7233") as tls:
        tls.target        # "127.0.0.1:P", TLS, served by nginx
        tls.ca_file       # the CA's PEM file: the clients' server_root_ca_cert
        tls.domain        # "localhost": the name the certificate is for

nginx runs as our child in the foreground (`daemon off`), configured entirely
inside a temp dir (config, pid, logs, temp paths, keys), and is stopped on
exit. Install it with `bash python/bench/setup.sh` (Debian: nginx, openssl).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

SETUP_HINT = "run `bash python/bench/setup.sh` (as root: apt-get install -y nginx openssl)"
READY_TIMEOUT = 15.0
START_ATTEMPTS = 5
DOMAIN = "localhost"


class TerminatorError(RuntimeError):
    pass


def missing_tools() -> list[str]:
    """The command-line tools TLS mode needs and this machine lacks."""
    missing = [] if nginx_binary() else ["nginx"]
    return missing + ([] if shutil.which("openssl") else ["openssl"])


def nginx_binary() -> str | None:
    # Debian puts nginx in /usr/sbin, which is not on every user's PATH.
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def nginx_version(nginx: str) -> tuple[int, ...]:
    out = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False)
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out.stderr + out.stdout)
    if not match:
        raise TerminatorError(f"cannot tell the version of {nginx}: {(out.stderr + out.stdout).strip()!r}")
    return tuple(int(part) for part in match.groups())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA (P-256, 2 days) and a server certificate it signed for
    localhost/127.0.0.1; returns (ca.pem, server.pem, server.key)."""
    ca_key, ca_pem = directory / "ca.key", directory / "ca.pem"
    key, csr, pem = directory / "server.key", directory / "server.csr", directory / "server.pem"
    ext = directory / "server.ext"
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ext.write_text(
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n"
        f"subjectAltName = DNS:{DOMAIN}, IP:127.0.0.1\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid\n"
    )
    commands = [
        ["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca_pem, "-days", "2",
         "-subj", "/CN=temporal-bridge bench CA",
         "-addext", "basicConstraints = critical, CA:TRUE",
         "-addext", "keyUsage = critical, keyCertSign, cRLSign"],
        ["openssl", "req", "-new", *ec, "-keyout", key, "-out", csr, "-subj", f"/CN={DOMAIN}"],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key,
         "-set_serial", f"0x{secrets.token_hex(8)}", "-days", "2", "-extfile", ext, "-out", pem],
    ]  # fmt: skip
    for command in commands:
        out = subprocess.run([str(c) for c in command], capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise TerminatorError(f"{' '.join(map(str, command[:3]))} failed:\n{out.stderr}")
    return ca_pem, pem, key


def nginx_conf(tmp: Path, version: tuple[int, ...], port: int, upstream: str, cert: Path, key: Path) -> str:
    # `http2 on` replaced `listen ... http2` in 1.25.1; keepalive_requests and
    # keepalive_timeout govern HTTP/2 connections since 1.19.7 (before:
    # http2_max_requests, http2_idle_timeout). nginx closes a connection
    # after keepalive_requests requests (default 1000), which would put
    # reconnects into long runs: make it unreachable.
    if version >= (1, 25, 1):
        listen = f"listen 127.0.0.1:{port} ssl;\n        http2 on;"
    else:
        listen = f"listen 127.0.0.1:{port} ssl http2;"
    if version >= (1, 19, 7):
        client_keepalive = "keepalive_requests 1000000;\n        keepalive_timeout 300s;"
    else:
        client_keepalive = "http2_max_requests 1000000;\n        http2_idle_timeout 300s;"
    # nginx creates every module's temp dir at start: keep them all in tmp.
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp_paths = "\n    ".join(f"{kind}_temp_path {tmp / (kind + '_temp')};" for kind in kinds)
    return f"""\
daemon off;
worker_processes 1;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} warn;

events {{
    worker_connections 1024;
}}

http {{
    access_log off;
    {temp_paths}

    upstream temporal {{
        server {upstream};
        # Reuse connections to the server, as a production proxy does.
        keepalive 16;
        keepalive_requests 1000000;
        keepalive_timeout 300s;
    }}

    server {{
        {listen}
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        {client_keepalive}
        client_max_body_size 0;
        client_body_timeout 120s;
        send_timeout 120s;

        location / {{
            grpc_pass grpc://temporal;
            # Result waits are long polls the server holds for ~20 s.
            grpc_read_timeout 120s;
            grpc_send_timeout 120s;
        }}
    }}
}}
"""


def die_with_parent() -> list[str]:
    """Command prefix: nginx gets SIGTERM if the benchmark is SIGKILLed."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


class TlsTerminator:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.domain = DOMAIN
        self.target = ""
        self.ca_file = Path()
        self.proc: subprocess.Popen[bytes] | None = None
        self.tmp: Path | None = None

    def __enter__(self) -> TlsTerminator:
        nginx = nginx_binary()
        if nginx is None or missing_tools():
            raise TerminatorError(f"TLS mode needs {' and '.join(missing_tools())}: {SETUP_HINT}")
        version = nginx_version(nginx)
        self.tmp = Path(tempfile.mkdtemp(prefix="tb-bench-nginx-"))
        try:
            self._start(nginx, version, self.tmp)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self, nginx: str, version: tuple[int, ...], tmp: Path) -> None:
        # Run as root, nginx's worker drops to `nobody`: it must reach the dir.
        tmp.chmod(0o755)
        self.ca_file, cert, key = make_certificates(tmp)
        conf = tmp / "nginx.conf"
        # -e (1.19.5+): the error log nginx uses before it has read the config.
        early_log = ["-e", str(tmp / "error.log")] if version >= (1, 19, 5) else []
        command = [nginx, "-p", str(tmp), "-c", str(conf), *early_log]
        for _ in range(START_ATTEMPTS):
            port = free_port()
            conf.write_text(nginx_conf(tmp, version, port, self.upstream, cert, key))
            check = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True, check=False)
            if check.returncode != 0:
                unknown = "unknown directive" in check.stderr
                hint = " (does this nginx lack the grpc or http_v2 module?)" if unknown else ""
                raise TerminatorError(f"nginx rejected its configuration{hint}:\n{check.stderr}{self._log()}")
            with open(tmp / "stderr.log", "ab") as stderr:
                self.proc = subprocess.Popen(
                    die_with_parent() + command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr
                )
            if self._wait_ready(port):
                self.target = f"127.0.0.1:{port}"
                return
            # Most likely someone took the port between free_port() and bind.
            self._stop()
        raise TerminatorError(f"nginx did not start after {START_ATTEMPTS} attempts:{self._log()}")

    def _wait_ready(self, port: int) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def _log(self) -> str:
        logs = [self.tmp / name for name in ("stderr.log", "error.log")] if self.tmp else []
        text = "\n".join(log.read_text(errors="replace").strip() for log in logs if log.exists()).strip()
        return f"\n{text}" if text else ""

    def _stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # fast shutdown; the master stops its worker
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
