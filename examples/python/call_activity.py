"""Example 4: the Go worker's CallActivityWorkflow calls an activity that
another worker serves, by its type name, on that worker's task queue — e.g.
the C++ activity worker (examples/cpp/activity_worker.cpp). Prints the
activity's result, as the workflow returned it.

Usage: python call_activity.py <activity> <activity task queue> [JSON arg...]
e.g.   python call_activity.py CountPrimes cpp-activities 100000
"""

import json
import os
import sys
import uuid

from temporal_bridge import Client

if len(sys.argv) < 3:
    sys.exit(__doc__)
activity, activity_queue = sys.argv[1], sys.argv[2]
args = [json.loads(arg) for arg in sys.argv[3:]]

client = Client.connect(os.environ.get("TB_TARGET"))
handle = client.start_workflow(
    "CallActivityWorkflow",
    {"activity": activity, "task_queue": activity_queue, "args": args, "heartbeat_timeout_ms": 10_000},
    id=f"callactivity_{uuid.uuid4()}",
    task_queue=os.environ.get("TB_TASK_QUEUE", "mytaskqueue"),
)
result = handle.result()
shown = ", ".join(json.dumps(arg) for arg in args)
print(f"Workflow {handle.id} called {activity}({shown}) on {activity_queue}: {json.dumps(result)}")
