#!/usr/bin/env bash
# Python package checks, as the README's test command runs them:
#   1. tests/setup.sh prepares .venv (pinned dev server, SDK worker, pytest, maturin, mypy);
#   2. `pip install ./python` builds the pyo3 module (release, abi3) and installs it,
#      exactly as a user would (maturin comes from the venv, no download);
#   3. mypy.stubtest checks the native module's stubs, mypy --strict the package;
#   4. pytest runs python/tests against a real dev server and a real Python SDK worker.
# Extra arguments go to pytest (e.g. `-k cancel -x`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
python="$repo/.venv/bin/python"
# maturin's build backend runs the `maturin` executable from PATH.
export PATH="$repo/.venv/bin:$PATH"

bash "$here/setup.sh"

# A `maturin develop` build leaves the module next to the sources; drop it so
# the wheel and the tests only ever see the freshly built one.
rm -f "$repo"/python/temporal_bridge/_native*.so
echo "run_python_tests.sh: building and installing ./python" >&2
"$python" -m pip install --quiet --disable-pip-version-check --no-build-isolation \
    --force-reinstall --no-deps "$repo/python"

# Run from the repo root, so `import temporal_bridge` is the installed package.
cd "$repo"
echo "run_python_tests.sh: mypy.stubtest temporal_bridge._native" >&2
"$python" -m mypy.stubtest temporal_bridge._native
echo "run_python_tests.sh: mypy --strict (package)" >&2
"$python" -m mypy --strict python/temporal_bridge
echo "run_python_tests.sh: pytest python/tests" >&2
"$python" -m pytest -p no:cacheprovider -q python/tests "$@"
