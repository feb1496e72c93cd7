#!/usr/bin/env bash
# The "Workflows in Go" scenarios end to end, from Python, in one command:
#
#     bash examples/demo.sh
#
# 1. installs what is missing: .venv with the pinned dev server
#    (tests/setup.sh), the temporal_bridge package built from source, the
#    Go SDK worker (examples/go-worker) built;
# 2. starts a Temporal dev server on a free port and the Go worker on
#    mytaskqueue;
# 3. runs the Python examples: start MySimpleWorkflow, get its result in a
#    second process knowing only the ID, start and cancel CancellableWorkflow;
#    then a Go workflow calls activities of the C++ activity worker
#    (examples/cpp/activity_worker.cpp), which it starts on cpp-activities;
# 4. stops everything it started, however it ends (also on Ctrl-C).
#
# Setup output goes to a log file (shown if setup fails); the transcript is
# what the examples print. Safe to run again: nothing it starts outlives it.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
venv="$repo/.venv"
work="$(mktemp -d "${TMPDIR:-/tmp}/tb-demo-XXXXXX")"
log="$work/setup.log"
worker_pid=""
cpp_worker_pid=""
devenv_pid=""
devenv_stdin=""
show_log=""

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }

stop_all() {
    local status=$?
    set +e
    if [[ -n "$worker_pid" ]] && kill -0 "$worker_pid" 2>/dev/null; then
        kill -TERM "$worker_pid" && wait "$worker_pid"
    fi
    if [[ -n "$cpp_worker_pid" ]] && kill -0 "$cpp_worker_pid" 2>/dev/null; then
        kill -TERM "$cpp_worker_pid" && wait "$cpp_worker_pid"
    fi
    if [[ -n "$devenv_pid" ]]; then
        # devenv stops the server when its stdin closes; SIGTERM if it hangs.
        eval "exec $devenv_stdin>&-"
        timeout 20 tail --pid="$devenv_pid" -f /dev/null || kill -TERM "$devenv_pid" 2>/dev/null
        wait "$devenv_pid" 2>/dev/null
    fi
    if [[ $status -ne 0 && -n "$show_log" && -s "$log" ]]; then
        echo "--- last lines of $log:" >&2
        tail -n 30 "$log" >&2
    fi
    rm -rf "$work"
    [[ -n "$devenv_pid" ]] && say "Stopped the Go worker and the dev server."
    exit "$status"
}
trap stop_all EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

# Runs a setup step, its output to the log; on failure the trap shows the log.
step() {
    local what="$1"
    shift
    printf '    %s ... ' "$what"
    local begun=$SECONDS
    echo "=== $what: $*" >>"$log"
    if ! "$@" >>"$log" 2>&1; then
        echo "FAILED"
        return 1
    fi
    echo "ok ($((SECONDS - begun)) s)"
}

for tool in python3 cargo go cmake c++; do
    command -v "$tool" >/dev/null || { echo "demo.sh needs $tool on PATH" >&2; exit 1; }
done

show_log=1
say "Installing what is missing (a first run compiles for a few minutes; log: $log)"
step ".venv with the pinned Temporal dev server" bash tests/setup.sh
# maturin builds the Rust extension incrementally in target/ and installs the
# package into .venv; when nothing changed this takes seconds.
step "temporal_bridge Python package, built from source" \
    env VIRTUAL_ENV="$venv" "$venv/bin/maturin" develop -m python/Cargo.toml
step "Go SDK worker (examples/go-worker)" \
    bash -c 'cd examples/go-worker && go mod download && go build -o ../../target/go-worker .'

step "C++ activity worker (examples/cpp/activity_worker.cpp)" bash -c '
    cargo build -p temporal-bridge-ffi &&
    cmake -S examples/cpp -B target/examples-cpp-demo -DCMAKE_DISABLE_FIND_PACKAGE_temporal_bridge=ON &&
    cmake --build target/examples-cpp-demo --target activity_worker'

say "Starting a Temporal dev server and the Go worker"
# devenv.py picks free ports, waits until the server answers, prints one JSON
# line, and stops the server when its stdin (our coprocess pipe) closes.
coproc DEVENV { exec "$venv/bin/python" tests/harness/devenv.py --no-worker --task-queue mytaskqueue 2>>"$log"; }
devenv_pid=$DEVENV_PID
devenv_stdin=${DEVENV[1]}
read -r -t 120 info <&"${DEVENV[0]}" || { echo "the dev server did not start" >&2; exit 1; }
target="$("$venv/bin/python" -c 'import json, sys; print(json.loads(sys.argv[1])["target"])' "$info")"

cleanup_dir="$work/cleanup"
mkdir -p "$cleanup_dir"
# setpriv: the worker gets SIGTERM should this script be killed outright.
pdeathsig=()
command -v setpriv >/dev/null && pdeathsig=(setpriv --pdeathsig TERM --)
"${pdeathsig[@]}" target/go-worker -target "$target" -task-queue mytaskqueue -cleanup-dir "$cleanup_dir" \
    >"$work/worker.out" 2>"$work/worker.log" &
worker_pid=$!
for _ in $(seq 600); do
    grep -qx "worker ready" "$work/worker.out" && break
    kill -0 "$worker_pid" 2>/dev/null || { cat "$work/worker.log" >>"$log"; echo "the Go worker exited" >&2; exit 1; }
    sleep 0.1
done
grep -qx "worker ready" "$work/worker.out" || { echo "the Go worker did not start" >&2; exit 1; }
echo "    dev server at $target, Go worker polling mytaskqueue"
show_log=""

export TB_TARGET="$target" TB_TASK_QUEUE=mytaskqueue TB_CLEANUP_DIR="$cleanup_dir"
example() {
    echo "\$ python examples/python/$*"
    timeout 120 "$venv/bin/python" "examples/python/$@"
}

say "1. Start MySimpleWorkflow by its type name"
started="$(example start_workflow.py)"
echo "$started"
workflow_id="$(sed -n 's/^Started workflow WorkflowID \([^ ]*\) RunID .*/\1/p' <<<"$started")"
[[ -n "$workflow_id" ]] || { echo "no workflow ID in the output" >&2; exit 1; }

say "2. Get its result from another process, knowing only the ID"
example get_result.py "$workflow_id"

say "3. Cancel CancellableWorkflow; its deferred cleanup activity runs"
example cancel_workflow.py

say "4. A Go workflow calls activities written in C++"
TB_ACTIVITY_TASK_QUEUE=cpp-activities "${pdeathsig[@]}" target/examples-cpp-demo/activity_worker \
    >"$work/cpp-worker.out" 2>"$work/cpp-worker.log" &
cpp_worker_pid=$!
for _ in $(seq 300); do
    grep -q "^activity worker ready" "$work/cpp-worker.out" && break
    kill -0 "$cpp_worker_pid" 2>/dev/null || { cat "$work/cpp-worker.log" >&2; echo "the C++ activity worker exited" >&2; exit 1; }
    sleep 0.1
done
grep -q "^activity worker ready" "$work/cpp-worker.out" || { echo "the C++ activity worker did not start" >&2; exit 1; }
echo "    C++ activity worker polling cpp-activities"
example call_activity.py Greet cpp-activities '"World"'
example call_activity.py CountPrimes cpp-activities 100000
