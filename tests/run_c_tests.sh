#!/usr/bin/env bash
# The C ABI's test command:
#   1. builds the ffi crate and runs its Rust tests, which include the check
#      that the committed include/temporal_bridge.h is not stale;
#   2. installs the library into a staging prefix and builds tests/c twice
#      against it with -Wall -Wextra -Werror: plainly, and with
#      AddressSanitizer (+LeakSanitizer) and UBSan;
#   3. builds the Go codec server (examples/go-worker/cmd/codec-server) into
#      target/codec-server;
#   4. starts one dev server + Python SDK worker (tests/harness/devenv.py),
#      a second Python worker with the AES-GCM test codec on its own task
#      queue and the codec server (for test_codec), runs the tests with ctest
#      against them (plain build, sanitizer build, plain build under
#      valgrind), and stops them all, whether the tests pass or not.
# Exits non-zero if anything fails. Build output goes to target/c-tests.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="${CARGO_TARGET_DIR:-$repo/target}/c-tests"
prefix="$out/prefix"
say() { echo "run_c_tests: $*" >&2; }

# The C toolchain pieces this needs; a new machine of the project's kind has
# them, anything else gets them from Debian's packages.
missing=()
for tool in cmake:cmake cc:gcc c++:g++ pkg-config:pkg-config valgrind:valgrind; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    say "installing ${missing[*]}"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cd "$repo"
# The venv (dev server, workers) and Debian packages, libssl-dev among them,
# which the C tests' build needs.
say "preparing the test tooling (tests/setup.sh)"
bash tests/setup.sh

say "building the ffi crate and checking the committed header"
cargo build -p temporal-bridge-ffi
cargo test -p temporal-bridge-ffi

say "installing into the staging prefix $prefix"
rm -rf "$prefix"
ffi/install.sh --profile debug --no-build --prefix "$prefix"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
build_tests() { # <build dir> <cmake args...>
    local dir="$1"; shift
    cmake -S tests/c -B "$dir" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug "$@" >/dev/null
    cmake --build "$dir" -j 2
}
say "building the C/C++ tests"
build_tests "$out/plain" -DTB_SANITIZE=OFF
build_tests "$out/sanitize" -DTB_SANITIZE=ON

say "building the codec server"
command -v go >/dev/null || { say "go is missing (needed for the codec server)"; exit 1; }
(cd examples/go-worker && go build -o "$repo/target/codec-server" ./cmd/codec-server)

say "starting the dev server and worker"
# devenv runs until its stdin closes: the coprocess pipe is held until we
# exit, so even a killed test run stops the server.
coproc DEVENV { exec "$repo/.venv/bin/python" tests/harness/devenv.py --task-queue c-tests; }
devenv_pid=$DEVENV_PID
# The codec worker and the codec server, once started.
codec_worker_pid=""
codec_server_pid=""
stop_process() { # <pid>: SIGTERM, then SIGKILL if it is still there after 15 s
    local pid="$1"
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}
stop_all() {
    stop_process "$codec_worker_pid"
    stop_process "$codec_server_pid"
    local fd="${DEVENV[1]:-}"
    [[ -n "$fd" ]] && eval "exec $fd>&-"
    for _ in $(seq 1 150); do
        kill -0 "$devenv_pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -TERM "$devenv_pid" 2>/dev/null || true
}
trap stop_all EXIT
if ! read -r -t 180 -u "${DEVENV[0]}" line; then
    say "devenv did not start (see its stderr above)"
    exit 1
fi
field() { "$repo/.venv/bin/python" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$line" "$1"; }
export TB_TARGET TB_TASK_QUEUE TB_CLEANUP_DIR TB_NAMESPACE
TB_TARGET="$(field target)"
TB_TASK_QUEUE="$(field task_queue)"
TB_CLEANUP_DIR="$(field cleanup_dir)"
TB_NAMESPACE="$(field namespace)"
say "server $TB_TARGET, task queue $TB_TASK_QUEUE"
# test_log also runs a dev server of its own, which it stops and restarts.
export TB_PYTHON="$repo/.venv/bin/python" TB_DEVENV="$repo/tests/harness/devenv.py"

# test_codec's peers: a Python worker whose payloads go through the AES-GCM
# test codec, on its own task queue, and the Go codec server of the same
# codec. Each announces itself with its first stdout line; what follows is
# copied to stderr, so a full pipe never blocks them.
export TB_CODEC_TASK_QUEUE=c-tests-codec TB_CODEC_ENDPOINT
say "starting the codec worker (task queue $TB_CODEC_TASK_QUEUE) and the codec server"
exec {codec_worker_out}< <(exec "$repo/.venv/bin/python" tests/workers/python_worker.py \
    --target "$TB_TARGET" --namespace "$TB_NAMESPACE" --task-queue "$TB_CODEC_TASK_QUEUE" \
    --cleanup-dir "$TB_CLEANUP_DIR" --codec aes --encode-failure-attributes)
codec_worker_pid=$!
exec {codec_server_out}< <(exec "$repo/target/codec-server" \
    -require-namespace "$TB_NAMESPACE" -require-auth "Bearer c-tests")
codec_server_pid=$!
if ! read -r -t 120 -u "$codec_worker_out" line || [[ "$line" != "worker ready" ]]; then
    say "the codec worker did not start (see its stderr above)"
    exit 1
fi
cat <&"$codec_worker_out" >&2 &
if ! read -r -t 30 -u "$codec_server_out" line ||
    [[ "$line" != "codec server listening on http://"* ]]; then
    say "the codec server did not start (see its stderr above)"
    exit 1
fi
cat <&"$codec_server_out" >&2 &
TB_CODEC_ENDPOINT="${line#codec server listening on }"
say "codec server $TB_CODEC_ENDPOINT"

status=0
say "ctest (plain build)"
ctest --test-dir "$out/plain" --output-on-failure --label-exclude valgrind || status=1

say "ctest (AddressSanitizer + LeakSanitizer + UBSan build)"
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ctest --test-dir "$out/sanitize" --output-on-failure || status=1

# valgrind also sees invalid accesses inside the Rust library, which is not
# ASan-instrumented (that would need a nightly compiler).
say "ctest (plain build under valgrind memcheck)"
ctest --test-dir "$out/plain" --output-on-failure --label-regex valgrind --no-tests=error || status=1

if [[ $status == 0 ]]; then say "all C/C++ tests passed, plain and under sanitizers"; fi
exit $status
