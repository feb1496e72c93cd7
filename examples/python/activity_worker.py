"""Example 4: an activity worker in Python. Workflows written with any SDK
call these activities by name on TB_ACTIVITY_TASK_QUEUE (default
python-activities); e.g. the Go worker's CallActivityWorkflow
(call_activity.py).

    Greet(name)      -> "Hello, <name>, from Python!"   (async def, on the loop)
    CountPrimes(n)   -> how many primes are <= n       (a plain function, in a
                        thread pool; heartbeats its progress, resumes from the
                        last heartbeat on a retry, stops when cancelled)

Runs until SIGINT or SIGTERM, then shuts down gracefully (running activities
get 10 s). Prints "activity worker ready on <queue>" once polling.
"""

import asyncio
import json
import os
import signal
from datetime import timedelta

from temporal_bridge import AsyncClient, Worker, activity


@activity.defn(name="Greet")
async def greet(name: str) -> str:
    return f"Hello, {name}, from Python!"


@activity.defn(name="CountPrimes")
def count_primes(n: int) -> int:
    # [checked, found] of the last heartbeat of an earlier attempt, if any.
    details = activity.info().heartbeat_details
    checked, found = details[0] if details else (1, 0)
    for k in range(checked + 1, n + 1):
        found += all(k % d for d in range(2, int(k**0.5) + 1))
        if k % 20_000 == 0:
            activity.heartbeat([k, found])
            if activity.is_cancelled():
                raise asyncio.CancelledError(f"cancelled at {k}")
    return found


async def main() -> None:
    queue = os.environ.get("TB_ACTIVITY_TASK_QUEUE", "python-activities")
    client = await AsyncClient.connect(os.environ.get("TB_TARGET"))
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    worker = Worker(
        client,
        task_queue=queue,
        activities=[greet, count_primes],
        graceful_shutdown_timeout=timedelta(seconds=10),
    )
    async with worker:
        print(f"activity worker ready on {queue}", flush=True)
        await stop.wait()
        print("shutting down", flush=True)
    print(f"activity worker stopped: {json.dumps(worker.stats())}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
