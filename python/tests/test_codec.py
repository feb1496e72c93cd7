"""Payload codecs in process, against a real temporalio worker whose data
converter encrypts with the same AES-GCM codec (tests/workers/aes_codec.py)
and encodes failure attributes: what our client sends, the worker reads;
what the worker writes, our client reads; the server stores ciphertext."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Callable

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from temporal_bridge import (
    ApplicationError,
    AsyncClient,
    Client,
    InvalidArgumentError,
    NotFoundError,
    Payload,
    PayloadCodecError,
    TLSConfig,
    WorkflowCanceledError,
    WorkflowFailedError,
    Worker,
    activity,
)

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "workers"))

from aes_codec import KEY, KEY_ID, AesGcmCodec  # noqa: E402

from devenv import DevEnv  # noqa: E402
from helpers import reach, wait_until  # noqa: E402


CODEC_CLEANUP = REPO / "target" / "codec-cleanup"


@pytest.fixture(scope="module")
def codec_queue(env: DevEnv) -> Iterator[str]:
    """A temporalio worker with the AES-GCM codec on its own task queue."""
    queue = f"codec-{os.getpid()}"
    worker = subprocess.Popen(
        [
            sys.executable, "-u", str(REPO / "tests" / "workers" / "python_worker.py"),
            "--target", env.target, "--task-queue", queue,
            "--cleanup-dir", str(CODEC_CLEANUP),
            "--codec", "aes", "--encode-failure-attributes",
        ],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    assert worker.stdout is not None
    line = worker.stdout.readline()
    assert line.strip() == b"worker ready", line
    threading.Thread(target=worker.stdout.read, daemon=True).start()
    try:
        yield queue
    finally:
        worker.terminate()
        worker.wait(30)


class SyncAes:
    """The same codec written as plain functions over temporal_bridge.Payload:
    proves Payload.SerializeToString matches protobuf's (the worker parses it)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.calls.append(("encode", len(payloads)))
        out = []
        for p in payloads:
            nonce = os.urandom(12)
            sealed = AESGCM(KEY).encrypt(nonce, p.SerializeToString(), None)
            out.append(Payload(nonce + sealed, {"encoding": b"binary/encrypted", "encryption-key-id": KEY_ID.encode()}))
        return out

    def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.calls.append(("decode", len(payloads)))
        out = []
        for p in payloads:
            if p.metadata.get("encoding") != b"binary/encrypted":
                out.append(p)
                continue
            plain = AESGCM(KEY).decrypt(p.data[:12], p.data[12:], None)
            out.append(Payload.FromString(plain))
        return out


def stored_input(history: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = history["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    return payload


def test_payload_serializes_as_protobuf_does() -> None:
    from temporalio.api.common.v1 import Payload as Proto

    ours = Payload(b'{"a":1}', {"encoding": b"json/plain", "x": b"\x00\xff"})
    proto = Proto.FromString(ours.SerializeToString())
    assert dict(proto.metadata) == ours.metadata and proto.data == ours.data
    assert Payload.FromString(proto.SerializeToString()) == ours
    assert Payload.FromString(b"") == Payload(b"")
    with pytest.raises(ValueError, match="not a valid protobuf"):
        Payload.FromString(b"\x0a\x05ab")


@pytest.mark.parametrize("make_codec", [AesGcmCodec, SyncAes], ids=["temporalio-async-codec", "plain-sync-codec"])
def test_every_round_trip_with_a_temporalio_worker(
    env: DevEnv, codec_queue: str, wf_id: Callable[[str], str], make_codec: Callable[[], Any]
) -> None:
    client = Client.connect(env.target, payload_codec=make_codec())
    secret = {"card": "4111-1111-1111-1111"}
    handle = client.start_workflow("CodecEchoWorkflow", secret, id=wf_id("codec"), task_queue=codec_queue)
    handle.signal("append", {"note": "first"})
    assert handle.query("state") == {"input": secret, "signals": [{"note": "first"}]}
    [stored_answer] = handle.query("state", raw=True)
    assert stored_answer.metadata["encoding"] == b"binary/encrypted"
    [answer] = handle.query("state", raw=True, decode=True)
    assert answer.metadata["encoding"] == b"json/plain" and b"4111" in answer.data
    assert handle.execute_update("set_input", "replaced") == {"previous": secret}
    update = handle.start_update("set_input", "replaced", wait_for_stage="completed")
    [stored_outcome] = update.result(raw=True)
    assert stored_outcome.metadata["encoding"] == b"binary/encrypted"
    [outcome] = update.result(raw=True, decode=True)
    assert outcome.metadata["encoding"] == b"json/plain" and b"replaced" in outcome.data
    handle.signal("finish", "ok")
    assert handle.result() == {"input": "replaced", "signals": [{"note": "first"}]}

    # On the server: ciphertext. Read back through the codec: the value.
    stored = stored_input(handle.fetch_history())
    assert base64.b64decode(stored["metadata"]["encoding"]) == b"binary/encrypted"
    assert b"4111" not in base64.b64decode(stored["data"])
    decoded = stored_input(handle.fetch_history(decode=True))
    assert base64.b64decode(decoded["metadata"]["encoding"]) == b"json/plain"
    assert b"4111" in base64.b64decode(decoded["data"])

    # Raw results are as stored unless asked to decode.
    [raw] = handle.result(raw=True)
    assert raw.metadata["encoding"] == b"binary/encrypted"
    [plain] = handle.result(raw=True, decode=True)
    assert plain.metadata["encoding"] == b"json/plain" and b"replaced" in plain.data
    client.close()


def published_token(workflow_id: str) -> bytes:
    """The task token the worker's `async_activity` published for `workflow_id`."""
    path = CODEC_CLEANUP / f"{workflow_id}.activity.json"
    assert wait_until(path.exists, timeout=30), "the async activity started"
    return base64.b64decode(json.loads(path.read_text())["task_token"])


def history_events(handle: Any, kind: str) -> list[dict[str, Any]]:
    return [e[kind] for e in handle.fetch_history()["events"] if kind in e]


def test_activity_heartbeats_cancellation_and_failures_cross_the_codec(
    env: DevEnv, codec_queue: str, wf_id: Callable[[str], str]
) -> None:
    # Failures our client sends carry their message in encoded attributes.
    client = Client.connect(
        env.target, payload_codec=AesGcmCodec(), codec={"encode_failure_attributes": True}
    )
    # Heartbeat details: encoded on the way in, decoded on describe.
    failing = client.start_workflow("AsyncActivityWorkflow", id=wf_id("codec-act"), task_queue=codec_queue)
    activity = client.get_async_activity_handle(task_token=published_token(failing.id))
    activity.heartbeat({"progress": "secret-progress"})
    [pending] = failing.describe().pending_activities
    assert pending["heartbeat_details"] == [{"progress": "secret-progress"}]
    activity.fail(ValueError("secret failure message"), details=[{"why": "secret-why"}])
    with pytest.raises(WorkflowFailedError) as caught:
        failing.result(timeout=30)
    cause = caught.value.failure.cause if caught.value.failure else None
    assert cause is not None
    assert (cause.message, cause.type, cause.details) == ("secret failure message", "ValueError", [{"why": "secret-why"}])
    [stored] = history_events(failing, "activityTaskFailedEventAttributes")
    assert stored["failure"]["message"] == "Encoded failure"
    assert "secret" not in json.dumps(stored)

    # Cancellation details, encoded too.
    cancelled = client.start_workflow("AsyncActivityWorkflow", id=wf_id("codec-cancel"), task_queue=codec_queue)
    activity = client.get_async_activity_handle(task_token=published_token(cancelled.id))
    cancelled.cancel()
    assert wait_until(lambda: activity.heartbeat().cancel_requested, timeout=30)
    activity.report_cancellation({"stopped": "secret-stop"})
    with pytest.raises(WorkflowCanceledError):
        cancelled.result(timeout=30)
    [stored_cancel] = history_events(cancelled, "activityTaskCanceledEventAttributes")
    [details] = stored_cancel["details"]["payloads"]
    assert base64.b64decode(details["metadata"]["encoding"]) == b"binary/encrypted"
    client.close()


def test_a_failure_encoded_by_the_worker_is_decoded(env: DevEnv, codec_queue: str, wf_id: Callable[[str], str]) -> None:
    client = Client.connect(env.target, payload_codec=AesGcmCodec())
    handle = client.start_workflow("CodecEchoWorkflow", "x", id=wf_id("codec-fail"), task_queue=codec_queue)
    handle.signal("finish", "fail")
    with pytest.raises(WorkflowFailedError) as caught:
        handle.result()
    failure = caught.value.failure
    assert failure is not None
    assert (failure.message, failure.type, failure.non_retryable) == (
        "codec workflow failed on request",
        "CodecRequestedFailure",
        True,
    )
    assert failure.details == [{"input": "x", "signals": []}]
    # On the server the message is hidden too.
    history = handle.fetch_history()
    failed = history["events"][-1]["workflowExecutionFailedEventAttributes"]["failure"]
    assert failed["message"] == "Encoded failure" and "encodedAttributes" in failed
    client.close()


@pytest.mark.parametrize("transport", ["plaintext", "tls"])
@pytest.mark.parametrize("kind", ["async-codec", "sync-codec"])
def test_the_asyncio_client_runs_the_codec_on_its_loop(
    env: DevEnv, codec_queue: str, wf_id: Callable[[str], str], kind: str, transport: str
) -> None:
    threads: list[int] = []

    class WatchingAsync(AesGcmCodec):
        async def encode(self, payloads: Sequence[Any]) -> list[Any]:
            threads.append(threading.get_ident())
            return await super().encode(payloads)

    class WatchingSync(SyncAes):
        def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
            threads.append(threading.get_ident())
            return super().encode(payloads)

    async def main(target: str, tls: TLSConfig | None) -> None:
        codec = WatchingAsync() if kind == "async-codec" else WatchingSync()
        client = await AsyncClient.connect(target, payload_codec=codec, tls=tls)
        handles = [
            await client.start_workflow("CodecEchoWorkflow", i, id=wf_id(f"codec-aio-{i}"), task_queue=codec_queue)
            for i in range(5)
        ]
        await asyncio.gather(*(h.signal("finish", "ok") for h in handles))
        results = await asyncio.gather(*(h.result() for h in handles))
        assert results == [{"input": i, "signals": []} for i in range(5)]
        assert threads and set(threads) == {threading.get_ident()}, "the codec ran on the loop's thread"
        stored = stored_input(await handles[0].fetch_history())
        assert base64.b64decode(stored["metadata"]["encoding"]) == b"binary/encrypted"
        client.close()

    with reach(env.target, transport) as (target, tls):
        asyncio.run(main(target, tls))
        if tls is None:
            return
        # Production runs TLS: a blocking client's round trip through the
        # terminator too.
        client = Client.connect(target, payload_codec=SyncAes(), tls=tls)
        handle = client.start_workflow("CodecEchoWorkflow", "tls", id=wf_id("codec-tls"), task_queue=codec_queue)
        handle.signal("finish", "ok")
        assert handle.result() == {"input": "tls", "signals": []}
        stored = stored_input(handle.fetch_history())
        assert base64.b64decode(stored["metadata"]["encoding"]) == b"binary/encrypted"
        client.close()


class Raising:
    def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        raise ValueError("key vault unreachable")

    def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)


class Dropping:
    def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)[1:]

    decode = encode


class Garbage:
    def encode(self, payloads: Sequence[Payload]) -> list[object]:
        return ["not a payload" for _ in payloads]

    decode = encode


class Marking:
    """Answers with a generator and a tuple instead of lists; decoding hands
    back payloads it did not mark as they were."""

    def encode(self, payloads: Sequence[Payload]) -> Iterator[Payload]:
        for payload in payloads:
            payload.metadata["marked"] = b"1"
        return (payload for payload in payloads)

    def decode(self, payloads: Sequence[Payload]) -> tuple[Payload, ...]:
        for payload in payloads:
            payload.metadata.pop("marked", None)
        return tuple(payloads)


@pytest.mark.parametrize("through_tls", [False, True], ids=["plaintext", "tls"])
def test_a_codec_may_answer_with_any_iterable_and_hand_payloads_back_as_they_were(
    env: DevEnv, wf_id: Callable[[str], str], through_tls: bool
) -> None:
    with reach(env.target, "tls" if through_tls else "plaintext") as (target, tls):
        client = Client.connect(target, payload_codec=Marking(), tls=tls)
        handle = client.start_workflow("MySimpleWorkflow", "World", id=wf_id("marking"), task_queue=env.task_queue)
        # The worker (no codec) wrote its result unmarked: decoding leaves it be.
        assert handle.result(timeout=60) == "Hello, World!"
        [result] = handle.result(raw=True, decode=True)
        assert (result.metadata, result.data) == ({"encoding": b"json/plain"}, b'"Hello, World!"')
        # What we sent is stored marked, and decoding takes the mark off again.
        assert base64.b64decode(stored_input(handle.fetch_history())["metadata"]["marked"]) == b"1"
        assert "marked" not in stored_input(handle.fetch_history(decode=True))["metadata"]
        client.close()


class NotAList:
    def encode(self, payloads: Sequence[Payload]) -> str:
        return "payloads"

    decode = encode


@pytest.mark.parametrize(
    ("codec", "says"),
    [
        (Raising(), "ValueError: key vault unreachable"),
        (Dropping(), "returned 1 payloads for 2"),
        (Garbage(), "encode() returned a str, not a payload"),
        (NotAList(), "encode() returned a str, not a list of payloads"),
    ],
    ids=["raises", "wrong-count", "not-payloads", "not-a-list"],
)
def test_a_failing_codec_fails_the_call_and_sends_nothing(
    env: DevEnv, codec_queue: str, wf_id: Callable[[str], str], codec: Any, says: str
) -> None:
    client = Client.connect(env.target, payload_codec=codec)
    workflow_id = wf_id("codec-broken")
    with pytest.raises(PayloadCodecError) as caught:
        client.start_workflow("CodecEchoWorkflow", "top secret", 2, id=workflow_id, task_queue=codec_queue)
    error = caught.value
    assert says in str(error)
    assert (error.direction, error.call) == ("encode", "StartWorkflowExecution")
    assert "top secret" not in str(error) and "top secret" not in repr(error.error_details)
    with pytest.raises(NotFoundError):
        client.get_workflow_handle(workflow_id).describe()
    client.close()


def test_a_codec_that_is_not_one_is_refused_at_connect(env: DevEnv) -> None:
    with pytest.raises(TypeError, match="encode"):
        Client.connect(env.target, payload_codec=object())
    # The core names a field it does not know, as for every request.
    with pytest.raises(InvalidArgumentError, match="colour"):
        Client.connect(env.target, codec={"endpoint": "http://x:1", "colour": "red"})


@pytest.mark.parametrize("blocking", [False, True], ids=["asyncio-async-codec", "blocking-sync-codec"])
def test_an_activity_worker_runs_the_codec_for_its_tasks(
    env: DevEnv, codec_queue: str, wf_id: Callable[[str], str], blocking: bool
) -> None:
    """The codec worker's CallActivityWorkflow encrypts our activity's
    arguments; our worker's client decrypts them and encrypts the heartbeat
    details, the failure details and the result (on the worker's event loop:
    the caller's, or the worker's own without asyncio)."""
    task_queue = f"codec-activities-{os.urandom(4).hex()}"
    card = "4111-1111-1111-1111"
    seen: list[tuple[str, list[Any]]] = []

    def charge(number: str, amount: int) -> dict[str, Any]:
        info = activity.info()
        seen.append((number, list(info.heartbeat_details)))
        activity.heartbeat({"card": number})
        if info.attempt == 1:
            raise ApplicationError("first attempt fails", {"card": number})
        return {"card": number, "amount": amount}

    params = {"activity": "charge", "task_queue": task_queue, "args": [card, 5], "retry": {"maximum_attempts": 2}}
    workflow_id = wf_id("codec-worker")
    if blocking:
        codec = SyncAes()
        with Client.connect(env.target, payload_codec=codec) as client:
            with Worker(client, task_queue=task_queue, activities=[charge]):
                handle = client.start_workflow("CallActivityWorkflow", params, id=workflow_id, task_queue=codec_queue)
                assert handle.result(timeout=30) == {"card": card, "amount": 5}
            history = handle.fetch_history()
        assert ("decode", 1) in codec.calls and ("encode", 1) in codec.calls
    else:

        async def main() -> dict[str, Any]:
            client = await AsyncClient.connect(env.target, payload_codec=AesGcmCodec())
            async with Worker(client, task_queue=task_queue, activities=[charge]):
                handle = await client.start_workflow(
                    "CallActivityWorkflow", params, id=workflow_id, task_queue=codec_queue
                )
                assert await handle.result(timeout=30) == {"card": card, "amount": 5}
            history: dict[str, Any] = await handle.fetch_history()
            return history

        history = asyncio.run(main())
    assert seen == [(card, []), (card, [{"card": card}])]
    # On the server: ciphertext only (arguments, details, result).
    [completed] = [e for e in history["events"] if "activityTaskCompletedEventAttributes" in e]
    [stored] = completed["activityTaskCompletedEventAttributes"]["result"]["payloads"]
    assert base64.b64decode(stored["metadata"]["encoding"]) == b"binary/encrypted"
    encodings = {base64.b64decode(p["metadata"]["encoding"]) for p in stored_payloads(history)}
    assert encodings == {b"binary/encrypted"}


def stored_payloads(value: Any) -> Iterator[dict[str, Any]]:
    """Every payload in a proto-JSON history."""
    if isinstance(value, dict):
        if isinstance(value.get("metadata"), dict) and "encoding" in value["metadata"]:
            yield value
            return
        for item in value.values():
            yield from stored_payloads(item)
    elif isinstance(value, list):
        for item in value:
            yield from stored_payloads(item)
