"""Payload codecs: encryption or compression between the values a client
sends or receives and what the server stores.

A codec is any object with ``encode(payloads)`` and ``decode(payloads)``,
each taking a sequence of payloads and returning a list of as many, plain
functions or ``async def`` (the shape of ``temporalio.converter.PayloadCodec``,
whose subclasses work as they are)::

    client = Client.connect("127.0.0.1:7233", payload_codec=MyCodec())

The core runs the codec on every payload of every call: arguments, results,
signal, query and update values, failure details, heartbeat details; memos
with ``codec={"include_memo": True}``; search attributes and headers never.
Raw payloads (``raw=True``, fetched histories) come back as stored unless the
call says ``decode=True``.

Payloads given to a codec are ``temporal_bridge.Payload`` objects
(``metadata: dict[str, bytes]``, ``data: bytes``, ``SerializeToString()``,
``Payload.FromString()``), or ``temporalio.api.common.v1.Payload`` messages
when the codec is a ``temporalio.converter.PayloadCodec``. A codec may return
either kind.

A codec runs on the calling thread for the blocking client (an ``async``
codec then runs on a private event loop of that thread) and on the event
loop for ``AsyncClient``. A codec that raises, or returns the wrong number
of payloads, fails the call with ``PayloadCodecError``; nothing is sent.

A codec server instead (the protocol of the Temporal CLI and web UI)::

    Client.connect(..., codec={"endpoint": "https://codec.example.com", "auth": "Bearer ..."})
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping

from .common import Payload

from collections.abc import Awaitable, Sequence
from typing import Any, Protocol, Union

_Answer = Union[Sequence[Any], Awaitable[Sequence[Any]]]


class PayloadCodec(Protocol):
    """What ``payload_codec=`` takes: ``encode`` and ``decode``, sync or
    async, each returning as many payloads as it was given, in order."""

    def encode(self, payloads: Sequence[Any]) -> _Answer: ...

    def decode(self, payloads: Sequence[Any]) -> _Answer: ...


__all__ = ["PayloadCodec", "Payload"]

def _temporalio_payload_class(codec: object) -> type | None:
    """temporalio's Payload message when ``codec`` is a temporalio codec
    (only if temporalio is imported already: never imported for this)."""
    converter = sys.modules.get("temporalio.converter")
    if converter is None or not isinstance(codec, getattr(converter, "PayloadCodec", ())):
        return None
    from temporalio.api.common.v1 import Payload as TemporalioPayload

    return TemporalioPayload


class _CodecAdapter:
    """What the native module needs of a codec: its two methods, the class of
    the payloads it is given, and a way to run an ``async`` codec for a
    blocking call. Payloads are converted by the native module (see
    ``python/src/codec.rs``)."""

    __slots__ = ("methods", "payload_class", "_loops")

    def __init__(self, codec: object) -> None:
        for name in ("encode", "decode"):
            if not callable(getattr(codec, name, None)):
                raise TypeError(f"payload_codec must have encode() and decode() methods; {type(codec).__name__} has no {name}()")
        self.methods = {"encode": getattr(codec, "encode"), "decode": getattr(codec, "decode")}
        self.payload_class: type = _temporalio_payload_class(codec) or Payload
        self._loops = threading.local()

    def _run_here(self, awaitable: Awaitable[Any]) -> Any:
        """An ``async`` codec's answer, for a blocking call: on a private
        event loop of this thread."""
        import asyncio  # only for async codecs: a blocking client never pays its import
        import inspect

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            raise RuntimeError(
                "an async payload codec cannot run for a blocking call made on a running event loop's thread; "
                "use AsyncClient there"
            )
        loop = getattr(self._loops, "loop", None)
        if loop is None or loop.is_closed():
            loop = self._loops.loop = asyncio.new_event_loop()
        return loop.run_until_complete(_awaited(awaitable))


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _why(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def start_job(job: Any) -> None:
    """Codec work an asyncio call sent to its loop (see ``aio``): a codec
    that answers at once is answered here; an ``async`` one is awaited by a
    task of the loop (``await_job``)."""
    try:
        answer = job.method(job.payloads())
        if type(answer) is not list and hasattr(answer, "__await__"):
            await_job(job, answer)
            return
        job.reply(answer)
    except Exception as err:
        job.fail(_why(err))


async def _finish_job(job: Any, pending: Awaitable[Any]) -> None:
    try:
        answer = await pending
    except Exception as err:
        job.fail(_why(err))
    except BaseException:
        job.fail("the codec was cancelled")
        raise
    else:
        job.reply(answer)


def await_job(job: Any, pending: Awaitable[Any]) -> None:
    """An ``async`` codec's answer for an asyncio call, on the event loop's
    thread: awaited by a task of the running loop (kept referenced by the
    loop's completions until it ends), which then answers the job."""
    import asyncio

    from .aio import _loop_completions

    _loop_completions(asyncio.get_running_loop()).keep(asyncio.ensure_future(_finish_job(job, pending)))


def adapter_for(codec: object | None) -> _CodecAdapter | None:
    return None if codec is None else _CodecAdapter(codec)


def codec_options(codec: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The JSON of the ``codec`` connect option: Python values made JSON
    (durations, ``TLSConfig``); the core checks the fields and names any it
    does not know."""
    if codec is None:
        return None
    if not isinstance(codec, Mapping):
        raise TypeError(f"codec must be a dict, got {type(codec).__name__}")
    from . import _requests
    from ._settings import TLSConfig

    options = dict(codec)
    if "timeout" in options:
        options["timeout"] = _requests.duration("codec.timeout", options["timeout"])
    if isinstance(options.get("tls"), TLSConfig):
        options["tls"] = _requests.connect_options(None, None, None, options["tls"], None, None, None, None, None)["tls"]
    return options
