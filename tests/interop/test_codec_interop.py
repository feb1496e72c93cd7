"""Encrypted payloads between temporal_bridge and the Go SDK: the Go worker
runs with the AES-GCM test codec (converter.NewCodecDataConverter, failure
attributes encoded), and a codec server built on the Go SDK's
converter.NewPayloadCodecHTTPHandler serves the same codec. Our client talks
to both — with the codec in process, and through the codec server named in a
configuration profile — the official Python SDK reads what we wrote, and the
Temporal CLI decodes it through the codec server."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import temporalio.converter
from temporalio import client as sdk

from conftest import GO_WORKER, REPO, WORKER_READY_TIMEOUT, Env, rebuild_hint
from devenv import _readline_with_timeout, die_with_parent, stop_process, temporal_cli
from temporal_bridge import Client, PayloadCodecError, WorkflowFailedError

sys.path.insert(0, str(REPO / "tests" / "workers"))
from aes_codec import AesGcmCodec  # noqa: E402

CODEC_SERVER = Path(os.environ.get("TB_CODEC_SERVER", REPO / "target" / "codec-server"))


@dataclasses.dataclass(frozen=True)
class Codec:
    queue: str  # the Go worker with the codec
    endpoint: str  # the codec server


@pytest.fixture(scope="module")
def codec(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Codec]:
    for built in (GO_WORKER, CODEC_SERVER):
        if not built.is_file():
            pytest.fail(rebuild_hint(built))
    logs = tmp_path_factory.mktemp("codec-logs")
    queue = f"codec-go-{uuid.uuid4().hex[:8]}"
    started: list[subprocess.Popen[bytes]] = []
    try:
        for name, cmd in [
            ("codec-server", [str(CODEC_SERVER), "-require-namespace", env.namespace]),
            ("go-worker", [
                str(GO_WORKER), "-target", env.target, "-namespace", env.namespace, "-task-queue", queue,
                "-cleanup-dir", str(env.cleanup_dir), "-codec", "aes", "-encode-failure-attributes",
            ]),
        ]:  # fmt: skip
            with open(logs / f"{name}.log", "wb") as log:
                process = subprocess.Popen(
                    die_with_parent() + cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log
                )
            started.append(process)
            assert process.stdout is not None
            line = _readline_with_timeout(process.stdout, WORKER_READY_TIMEOUT)
            if line is None:
                pytest.fail(f"{name} did not start; its log: {logs / name}.log")
            if name == "codec-server":
                endpoint = line.decode().strip().rsplit(" ", 1)[-1]
                assert endpoint.startswith("http://"), line
            else:
                assert line.strip() == b"worker ready", line
        yield Codec(queue, endpoint)
    finally:
        for process in started:
            stop_process(process)


def round_trip(client: Client, codec: Codec, secret: str) -> str:
    """Every kind of payload a client sends or receives, against the Go worker."""
    workflow_id = f"codec-interop-{uuid.uuid4().hex[:8]}"
    handle = client.start_workflow("CodecEchoWorkflow", {"secret": secret}, id=workflow_id, task_queue=codec.queue)
    handle.signal("append", [1, "two"])
    assert handle.query("state") == {"input": {"secret": secret}, "signals": [[1, "two"]]}
    assert handle.execute_update("set_input", "replaced") == {"previous": {"secret": secret}}
    handle.signal("finish", "ok")
    assert handle.result(timeout=60) == {"input": "replaced", "signals": [[1, "two"]]}
    stored = handle.fetch_history()["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    assert base64.b64decode(stored["metadata"]["encoding"]) == b"binary/encrypted"
    assert secret.encode() not in base64.b64decode(stored["data"])
    return workflow_id


def test_the_go_worker_and_our_client_share_a_codec_in_process(env: Env, codec: Codec) -> None:
    client = Client.connect(env.target, namespace=env.namespace, payload_codec=AesGcmCodec())
    round_trip(client, codec, "in-process secret")

    # A failure the Go worker encoded (message moved into encoded attributes).
    handle = client.start_workflow("CodecEchoWorkflow", 7, id=f"codec-fail-{uuid.uuid4().hex[:8]}", task_queue=codec.queue)
    handle.signal("finish", "fail")
    with pytest.raises(WorkflowFailedError) as caught:
        handle.result(timeout=60)
    failure = caught.value.failure
    assert failure is not None
    assert (failure.message, failure.type) == ("codec workflow failed on request", "CodecRequestedFailure")
    assert failure.details == [{"input": 7, "signals": []}]
    client.close()


def test_a_codec_server_from_a_profile_the_cli_and_temporalio_read_what_we_wrote(
    env: Env, codec: Codec, tmp_path: Path, run: Any
) -> None:
    config = tmp_path / "temporal.toml"
    config.write_text(
        f'[profile.codec]\naddress = "{env.target}"\nnamespace = "{env.namespace}"\n'
        f'[profile.codec.codec]\nendpoint = "{codec.endpoint}"\n'
    )
    client = Client.connect(profile="codec", config_file=config)
    workflow_id = round_trip(client, codec, "codec-server secret")

    # The Temporal CLI, through the same codec server, decodes our payloads.
    show = [temporal_cli(), "workflow", "show", "--address", env.target, "--namespace", env.namespace,
            "-w", workflow_id, "--output", "json"]  # fmt: skip
    plain = json.loads(subprocess.run(show + ["--codec-endpoint", codec.endpoint], check=True, capture_output=True).stdout)
    started = plain["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    assert base64.b64decode(started["metadata"]["encoding"]) == b"json/plain"
    assert json.loads(base64.b64decode(started["data"])) == {"secret": "codec-server secret"}
    stored = json.loads(subprocess.run(show, check=True, capture_output=True).stdout)
    as_stored = stored["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    assert base64.b64decode(as_stored["metadata"]["encoding"]) == b"binary/encrypted"
    assert b"codec-server secret" not in base64.b64decode(as_stored["data"])

    # temporalio, with the codec in its data converter, reads our result.
    async def body(official: sdk.Client) -> None:
        decoding = sdk.Client(
            official.service_client,
            namespace=env.namespace,
            data_converter=dataclasses.replace(temporalio.converter.DataConverter.default, payload_codec=AesGcmCodec()),
        )
        assert await decoding.get_workflow_handle(workflow_id).result() == {
            "input": "replaced",
            "signals": [[1, "two"]],
        }

    run(body)
    client.close()


def test_a_codec_server_that_refuses_our_namespace_fails_the_call_cleanly(env: Env, codec: Codec) -> None:
    # The server requires X-Namespace to be the dev server's namespace.
    client = Client.connect(env.target, namespace="some-other-namespace", codec={"endpoint": codec.endpoint})
    with pytest.raises(PayloadCodecError) as caught:
        client.start_workflow("CodecEchoWorkflow", "x", id=f"codec-ns-{uuid.uuid4().hex[:8]}", task_queue=codec.queue)
    assert caught.value.direction == "encode"
    assert "HTTP 400" in str(caught.value) and "X-Namespace" in str(caught.value)
    client.close()
