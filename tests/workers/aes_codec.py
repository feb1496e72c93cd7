"""The AES-GCM test codec: a payload codec shared by every language's tests.

The Go SDK worker, this repo's client and the Python worker all implement the
same format, byte for byte, so payloads encoded by one decode in the others:

- Key: the 32 ASCII bytes ``temporal-bridge-test-key-32bytes`` (AES-256),
  key id ``test-key-1``.
- Encode: plaintext = the whole payload serialized as protobuf; a fresh random
  12-byte nonce; ciphertext = AES-GCM(key).encrypt(nonce, plaintext, no
  associated data), which ends with the 16-byte tag. The new payload has
  metadata ``encoding`` = ``binary/encrypted`` and ``encryption-key-id`` =
  ``test-key-1``, and data = nonce + ciphertext.
- Decode: a payload whose ``encoding`` is not ``binary/encrypted`` passes
  unchanged. Otherwise its key id must be ours and its data at least 12 bytes
  (else ValueError); the decrypted plaintext parses as the original payload.

The codec touches payloads only through ``.metadata`` (str -> bytes),
``.data``, ``SerializeToString()`` and the class's ``FromString()``, and builds
its outputs with the input's own class, so it also serves payload classes
other than temporalio's protobuf one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

KEY = b"temporal-bridge-test-key-32bytes"
KEY_ID = "test-key-1"
ENCODING = b"binary/encrypted"
NONCE_SIZE = 12


class AesGcmCodec(PayloadCodec):
    """Encrypts each payload whole with AES-GCM (see the module docstring)."""

    def __init__(self, key: bytes = KEY, key_id: str = KEY_ID) -> None:
        self._aead = AESGCM(key)
        self._key_id = key_id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out: list[Payload] = []
        for p in payloads:
            nonce = os.urandom(NONCE_SIZE)
            sealed = self._aead.encrypt(nonce, p.SerializeToString(), None)
            out.append(
                type(p)(
                    metadata={
                        "encoding": ENCODING,
                        "encryption-key-id": self._key_id.encode(),
                    },
                    data=nonce + sealed,
                )
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out: list[Payload] = []
        for p in payloads:
            if p.metadata.get("encoding") != ENCODING:
                out.append(p)
                continue
            key_id = p.metadata.get("encryption-key-id", b"").decode(errors="replace")
            if key_id != self._key_id:
                raise ValueError(f"unknown encryption key id {key_id!r}")
            if len(p.data) < NONCE_SIZE:
                raise ValueError(
                    f"encrypted payload too short: {len(p.data)} bytes, need at least {NONCE_SIZE}"
                )
            plaintext = self._aead.decrypt(p.data[:NONCE_SIZE], p.data[NONCE_SIZE:], None)
            out.append(type(p).FromString(plaintext))
        return out
