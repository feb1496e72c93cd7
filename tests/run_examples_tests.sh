#!/usr/bin/env bash
# Builds every example (Python, C, C++ plain and under ASan/UBSan, Rust), the
# Go SDK worker and the temporal_bridge package; runs the README's first
# command, examples/demo.sh, and checks its transcript; then runs
# tests/interop with pytest against one real dev server it starts and stops:
#   - test_examples.py: each example run as a program, its output checked
#     (IDs printed, the result read by a second process, canceled + cleanup);
#   - test_temporalio_interop.py: temporal_bridge and the official Python
#     SDK's client on the same workflows, in both directions.
# Extra arguments go to pytest (e.g. -k cancel, -x).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
venv="$repo/.venv"

step() {
    echo "--- $1"
    shift
    "$@"
}

step "test tooling (.venv)" bash tests/setup.sh
# One cargo invocation: the C library (cdylib + header) and the Rust examples.
step "libtemporal_bridge and the Rust examples" \
    cargo build --locked -p temporal-bridge-ffi -p temporal-bridge-examples
step "temporal_bridge into .venv" \
    env VIRTUAL_ENV="$venv" "$venv/bin/maturin" develop --locked -m python/Cargo.toml
step "Go SDK worker" \
    bash -c 'cd examples/go-worker && go mod download && go build -o ../../target/go-worker . && go build -o ../../target/codec-server ./cmd/codec-server'
# The plain C/C++ builds find the library as a user would, installed
# (ffi/install.sh into a staging prefix, then find_package); the sanitized
# ones link it straight from target/debug, the examples' other route.
prefix="$repo/target/examples-prefix"
step "libtemporal_bridge into $prefix" ffi/install.sh --profile debug --no-build --prefix "$prefix"
for lang in c cpp; do
    step "$lang examples (installed library)" bash -c "
        cmake -S examples/$lang -B target/examples-$lang -DTB_SANITIZE=OFF \
            -Dtemporal_bridge_DIR='$prefix/lib/cmake/temporal_bridge' >/dev/null &&
        cmake --build target/examples-$lang"
    step "$lang examples (target/debug, ASan + UBSan)" bash -c "
        cmake -S examples/$lang -B target/examples-$lang-asan -DTB_SANITIZE=ON \
            -DCMAKE_DISABLE_FIND_PACKAGE_temporal_bridge=ON >/dev/null &&
        cmake --build target/examples-$lang-asan"
done

# The demo starts and stops its own server and worker. It runs before pytest
# because it reinstalls temporal_bridge, which a running pytest has loaded.
check_demo() {
    local out
    if ! out="$(bash examples/demo.sh 2>&1)"; then
        printf '%s\n' "$out"
        echo "examples/demo.sh failed"
        return 1
    fi
    for want in '^Started workflow WorkflowID myworkflow_' 'result: "Hello, World!"$' \
        'ended: canceled$' 'says "cleanup done"$' \
        'called Greet("World") on cpp-activities: "Hello, World, from C++!"$' \
        'called CountPrimes(100000) on cpp-activities: 9592$' \
        '^==> Stopped the Go worker and the dev server'; do
        if ! grep -q -- "$want" <<<"$out"; then
            printf '%s\n' "$out"
            echo "examples/demo.sh: no line matching $want"
            return 1
        fi
    done
    echo "examples/demo.sh: ok"
}
step "examples/demo.sh" check_demo

# Sanitizer findings (leaks included) fail the program, hence the test.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
step "pytest tests/interop" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/interop "$@"
