#!/usr/bin/env bash
# The one command that sets up and runs every test of the project, on a fresh
# machine of this kind: it installs what the tests need (tests/setup.sh), then
# runs each suite against real Temporal dev servers and real workers that the
# suites start and stop themselves. Every suite runs even if an earlier one
# failed; the exit code is non-zero if any failed.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

passed=()
failed=()

suite() {
    local name="$1"
    shift
    echo
    echo "=== $name: $*"
    local begun=$SECONDS
    if "$@"; then
        passed+=("$name")
        echo "=== $name: ok ($((SECONDS - begun)) s)"
    else
        failed+=("$name")
        echo "=== $name: FAILED ($((SECONDS - begun)) s)"
        # Room on the disk, for telling a full disk from a real failure.
        df -h "$repo" | tail -n 1
    fi
}

# Installs the pinned dev server, SDK worker and tooling; nothing runs without it.
bash tests/setup.sh || { echo "tests/setup.sh failed"; exit 1; }

suite "rustfmt" cargo fmt --all --check
suite "clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
suite "rust" cargo test --workspace --locked
suite "harness" .venv/bin/python -m pytest -q tests/harness
for script in tests/run_c_tests.sh tests/run_python_tests.sh tests/run_examples_tests.sh; do
    if [[ -f "$script" ]]; then
        suite "$(basename "$script" .sh)" bash "$script"
    fi
done
suite "go-worker" bash -c 'cd examples/go-worker && go vet ./... && go test ./...'
# The Node.js package over the C ABI: its types against the contract's
# schema, then its tests against a dev server and the Go SDK worker it starts.
suite "node" bash -c 'cargo build --locked -p temporal-bridge-ffi && cd node && npm test'

echo
echo "passed suites: ${passed[*]:-none}"
echo "failed suites: ${failed[*]:-none}"
echo "suites: ${#passed[@]} passed, ${#failed[@]} failed"
[[ ${#failed[@]} -eq 0 ]]
