#!/usr/bin/env bash
# What python/bench/bench_clients.py needs beyond the repo's .venv
# (tests/setup.sh): nginx (with the HTTP/2 and gRPC modules) as the TLS
# terminator of its TLS mode, and the openssl CLI for the throwaway CA.
# Debian/Ubuntu; run as root (or with sudo available). Idempotent.
#
# Note: Debian's nginx package enables its own service on port 80 where
# systemd runs; the benchmark does not use it (it runs a private nginx with a
# config in a temp dir), `systemctl disable --now nginx` stops it.
set -euo pipefail

nginx_bin() { command -v nginx || { [[ -x /usr/sbin/nginx ]] && echo /usr/sbin/nginx; }; }

if [[ -z "$(nginx_bin)" ]] || ! command -v openssl >/dev/null; then
    sudo=""
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    echo "bench/setup.sh: installing nginx and openssl with apt-get" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx openssl
fi

nginx="$(nginx_bin)"
flags="$("$nginx" -V 2>&1)"
if [[ "$flags" != *--with-http_v2_module* || "$flags" == *--without-http_grpc_module* ]]; then
    echo "bench/setup.sh: $nginx lacks the http_v2 or grpc module; install a build that has them" >&2
    exit 1
fi
echo "bench/setup.sh: ok: $("$nginx" -v 2>&1), $(openssl version)" >&2
