"""The examples of examples/{python,c,cpp,rust}, run as the programs they are
against the session's dev server and the Go SDK worker, with their output
checked, and what they printed checked again with the official Python SDK's
client (temporalio): the IDs are those of a real execution, the result came
from the Go worker, the cancellation reached the workflow and its cleanup ran.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client as SdkClient
from temporalio.client import WorkflowExecutionStatus

from conftest import REPO, Env, rebuild_hint

LANGUAGES = ["python", "c", "cpp", "rust"]
# The C and C++ examples again, built with AddressSanitizer (leaks included)
# and UBSan: a finding makes the program fail.
SANITIZED = ["c-asan", "cpp-asan"]
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
STARTED = re.compile(rf"^Started workflow WorkflowID ((myworkflow|cancel)_{UUID}) RunID ([0-9a-f-]{{36}})$", re.M)
# Cargo may have to wait for a build lock or relink; the others start at once.
TIMEOUT = {"rust": 600.0}
DEFAULT_TIMEOUT = 120.0


def command(language: str, program: str, *args: str) -> list[str]:
    if language == "python":
        return [sys.executable, str(REPO / "examples" / "python" / f"{program}.py"), *args]
    if language == "rust":
        return ["cargo", "run", "-q", "--locked", "-p", "temporal-bridge-examples", "--bin", program, "--", *args]
    binary = REPO / "target" / f"examples-{language}" / program  # c, cpp, c-asan, cpp-asan
    if not binary.is_file():
        pytest.fail(rebuild_hint(binary))
    return [str(binary), *args]


def run_example(env: Env, language: str, program: str, *args: str, extra_env: dict[str, str] | None = None) -> str:
    """Runs one example to completion; returns its stdout (it must succeed)."""
    cmd = command(language, program, *args)
    done = subprocess.run(
        cmd, cwd=REPO, env={**env.example_env(), **(extra_env or {})}, capture_output=True, text=True,
        timeout=TIMEOUT.get(language, DEFAULT_TIMEOUT),
    )  # fmt: skip
    assert done.returncode == 0, f"{cmd} exited {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


def parse_started(output: str, prefix: str) -> tuple[str, str]:
    match = STARTED.search(output)
    assert match, f"no 'Started workflow WorkflowID ... RunID ...' line in:\n{output}"
    assert match.group(2) == prefix, output
    return match.group(1), match.group(3)


def start_then_result(env: Env, run: Any, starter: str, reader: str, name: str | None) -> None:
    args = [name] if name is not None else []
    started = run_example(env, starter, "start_workflow", *args)
    workflow_id, run_id = parse_started(started, "myworkflow")

    # A second process, given only the ID.
    result = run_example(env, reader, "get_result", workflow_id)
    # Every example prints the result as JSON text (non-ASCII unescaped).
    expected = json.dumps(f"Hello, {name if name is not None else 'World'}!", ensure_ascii=False)
    assert result.strip() == f"Workflow {workflow_id} result: {expected}", result

    async def check(sdk: SdkClient) -> None:
        description = await sdk.get_workflow_handle(workflow_id).describe()
        assert description.run_id == run_id
        assert description.workflow_type == "MySimpleWorkflow"
        assert description.task_queue == env.go_queue
        assert description.status == WorkflowExecutionStatus.COMPLETED

    run(check)


@pytest.mark.parametrize("language", LANGUAGES + SANITIZED)
def test_start_then_result_in_another_process(env: Env, run: Any, language: str) -> None:
    start_then_result(env, run, language, language, None)


# Each language reads a result another one started; the name needs JSON
# quoting on the way in and survives the way out unchanged.
@pytest.mark.parametrize(
    ("starter", "reader"), [("python", "c"), ("c", "cpp"), ("cpp", "rust"), ("rust", "python")]
)
def test_result_read_by_another_language(env: Env, run: Any, starter: str, reader: str) -> None:
    start_then_result(env, run, starter, reader, 'Zoë "Q" \\ 🌍')


@pytest.mark.parametrize("language", LANGUAGES)
def test_task_queue_from_environment(env: Env, run: Any, language: str) -> None:
    # The Python SDK test worker registers a MySimpleWorkflow too.
    started = run_example(env, language, "start_workflow", "queue", extra_env={"TB_TASK_QUEUE": env.py_queue})
    workflow_id, _ = parse_started(started, "myworkflow")
    result = run_example(env, language, "get_result", workflow_id)
    assert result.strip() == f'Workflow {workflow_id} result: "Hello, queue!"', result

    async def check(sdk: SdkClient) -> None:
        assert (await sdk.get_workflow_handle(workflow_id).describe()).task_queue == env.py_queue

    run(check)


@pytest.mark.parametrize("language", LANGUAGES + SANITIZED)
def test_cancel_runs_cleanup_and_ends_canceled(env: Env, run: Any, language: str) -> None:
    output = run_example(env, language, "cancel_workflow")
    workflow_id, run_id = parse_started(output, "cancel")
    assert f"Requested cancellation of {workflow_id}\n" in output, output
    assert f"Workflow {workflow_id} ended: canceled\n" in output, output
    assert re.search(r"^Status: .*canceled", output, re.M | re.I), output
    evidence = env.cleanup_dir / workflow_id
    assert f'Cleanup activity ran: {evidence} says "cleanup done"\n' in output, output
    assert evidence.read_text() == "cleanup done"

    async def check(sdk: SdkClient) -> None:
        handle = sdk.get_workflow_handle(workflow_id, run_id=run_id)
        assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
        events = [e async for e in handle.fetch_history_events()]
        requested = [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED]
        assert [e.workflow_execution_cancel_requested_event_attributes.cause for e in requested] == [
            "example 3 cancels it"
        ]
        # The cleanup activity ran to completion after the cancel request,
        # and only then did the workflow end Canceled.
        scheduled = {
            e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
            for e in events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        }
        cleanup_done = [
            e.event_id
            for e in events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
            and scheduled[e.activity_task_completed_event_attributes.scheduled_event_id] == "CleanupActivity"
        ]
        assert len(cleanup_done) == 1, events
        assert requested[0].event_id < cleanup_done[0]
        assert events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED
        assert cleanup_done[0] < events[-1].event_id

    run(check)


@pytest.mark.parametrize("language", LANGUAGES + SANITIZED)
def test_get_result_of_unknown_workflow_fails(env: Env, language: str) -> None:
    cmd = command(language, "get_result", "no-such-workflow")
    done = subprocess.run(
        cmd, cwd=REPO, env=env.example_env(), capture_output=True, text=True,
        timeout=TIMEOUT.get(language, DEFAULT_TIMEOUT),
    )  # fmt: skip
    assert done.returncode != 0, done.stdout
    assert "not found" in (done.stdout + done.stderr).lower().replace("_", " "), done.stderr


def test_python_examples_take_their_server_from_the_client_configuration(env: Env, tmp_path: Any) -> None:
    """Without TB_TARGET the Python examples use the Temporal client
    configuration: the same script against two profiles, and against
    TEMPORAL_ADDRESS alone."""
    config = tmp_path / "temporal.toml"
    config.write_text(
        f'[profile.dev]\naddress = "{env.target}"\nnamespace = "{env.namespace}"\n\n'
        '[profile.offline]\naddress = "127.0.0.1:1"\n'
    )
    base = {k: v for k, v in env.example_env().items() if k != "TB_TARGET"}
    base.update(HOME=str(tmp_path), TEMPORAL_CONFIG_FILE=str(config))
    script = [sys.executable, str(REPO / "examples" / "python" / "start_workflow.py"), "Profile"]

    def run_with(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(script, cwd=REPO, env={**base, **extra}, capture_output=True, text=True, timeout=60)

    done = run_with({"TEMPORAL_PROFILE": "dev"})
    assert done.returncode == 0, done.stderr
    parse_started(done.stdout, "myworkflow")
    done = run_with({"TEMPORAL_PROFILE": "offline"})
    assert done.returncode != 0 and "127.0.0.1:1" in done.stderr, done.stderr
    done = run_with({"TEMPORAL_CONFIG_FILE": str(tmp_path / "none.toml"), "TEMPORAL_ADDRESS": env.target})
    assert done.returncode != 0 and "none.toml" in done.stderr, done.stderr  # a named file must exist
    base.pop("TEMPORAL_CONFIG_FILE")
    done = run_with({"TEMPORAL_ADDRESS": env.target, "TEMPORAL_NAMESPACE": env.namespace})
    assert done.returncode == 0, done.stderr


# The activity-worker examples (example 4): Python, C and C++ (plain and
# sanitized), each serving Greet; C++ and Python also CountPrimes.
ACTIVITY_WORKERS = ["python", "c", "cpp", "c-asan", "cpp-asan"]
GREETER = {"python": "Python", "c": "C", "c-asan": "C", "cpp": "C++", "cpp-asan": "C++"}


@pytest.mark.parametrize("language", ACTIVITY_WORKERS)
def test_a_go_workflow_calls_the_activity_worker_example(env: Env, run: Any, language: str) -> None:
    queue = f"activities-{language}-{uuid.uuid4()}"
    cmd = command(language, "activity_worker")
    worker = subprocess.Popen(
        cmd, cwd=REPO, env={**env.example_env(), "TB_ACTIVITY_TASK_QUEUE": queue},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert worker.stdout is not None
        ready = worker.stdout.readline()
        assert ready == f"activity worker ready on {queue}\n", (ready, worker.stderr and worker.stderr.read())
        greeting = GREETER[language]
        output = run_example(env, "python", "call_activity", "Greet", queue, '"Ada"')
        match = re.fullmatch(rf"Workflow (callactivity_{UUID}) called Greet\(\"Ada\"\) on {queue}: (.*)\n", output)
        assert match, output
        assert json.loads(match.group(2)) == f"Hello, Ada, from {greeting}!"
        if greeting != "C":
            output = run_example(env, "python", "call_activity", "CountPrimes", queue, "50000")
            assert output.endswith(f"called CountPrimes(50000) on {queue}: 5133\n"), output

        async def check(sdk: SdkClient) -> None:
            # The Go worker ran the workflow; ours ran the activity.
            handle = sdk.get_workflow_handle(match.group(1))
            description = await handle.describe()
            assert description.workflow_type == "CallActivityWorkflow"
            assert description.task_queue == env.go_queue
            events = [e async for e in handle.fetch_history_events()]
            scheduled = [
                e.activity_task_scheduled_event_attributes
                for e in events
                if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            ]
            assert [(s.activity_type.name, s.task_queue.name) for s in scheduled] == [("Greet", queue)]

        run(check)
    finally:
        worker.terminate()
        out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, (out, err)
    assert "shutting down\nactivity worker stopped: {" in out, (out, err)
    assert re.search(r'"completed": ?[12],', out), out
