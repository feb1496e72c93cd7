"""Session fixtures: one real Temporal dev server and one real Python SDK
worker (tests/harness/devenv.py) for the whole test session, and a connected
temporal_bridge client."""

from __future__ import annotations

import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "harness"))

from devenv import DevEnv  # noqa: E402

from temporal_bridge import Client  # noqa: E402


@pytest.fixture(scope="session")
def env() -> Iterator[DevEnv]:
    with DevEnv(task_queue=f"py-tests-{uuid.uuid4().hex[:8]}") as started:
        yield started


@pytest.fixture(scope="session")
def client(env: DevEnv) -> Iterator[Client]:
    with Client.connect(env.target, namespace=env.namespace) as connected:
        yield connected


@pytest.fixture
def wf_id(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Unique workflow IDs named after the test, for readable server histories."""

    def make(prefix: str = "") -> str:
        name = request.node.name.replace("[", "-").replace("]", "")[:40]
        return f"{name}-{prefix}{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A local TCP server that accepts connections and never answers, so a
    connect hangs in the HTTP/2 handshake until someone gives up."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"127.0.0.1:{listener.getsockname()[1]}"
