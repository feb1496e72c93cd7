"""Example 3: start CancellableWorkflow, cancel it by ID once its activity
runs, wait for the outcome, and show that it ended canceled after its cleanup
activity ran (the Go worker writes <TB_CLEANUP_DIR>/<workflow ID>).

Usage: python cancel_workflow.py
"""

import os
import sys
import time
import uuid
from pathlib import Path

from temporal_bridge import Client, WorkflowCanceledError

# TB_TARGET if set; otherwise the Temporal client configuration: TEMPORAL_ADDRESS,
# TEMPORAL_NAMESPACE, TEMPORAL_PROFILE / ~/.config/temporalio/temporal.toml, else localhost:7233.
client = Client.connect(os.environ.get("TB_TARGET"))
started = client.start_workflow(
    "CancellableWorkflow",
    id=f"cancel_{uuid.uuid4()}",
    task_queue=os.environ.get("TB_TASK_QUEUE", "mytaskqueue"),
)
print(f"Started workflow WorkflowID {started.id} RunID {started.run_id}")

# Anyone who knows the ID can cancel it; wait until its long activity runs,
# so there is work to clean up.
handle = client.get_workflow_handle(started.id)
for _ in range(300):
    if handle.describe().pending_activities:
        break
    time.sleep(0.1)
handle.cancel(reason="example 3 cancels it")
print(f"Requested cancellation of {handle.id}")

# The workflow runs its cleanup, then ends Canceled.
try:
    result = handle.result()
    sys.exit(f"Workflow completed unexpectedly: {result!r}")
except WorkflowCanceledError:
    print(f"Workflow {handle.id} ended: canceled")
print(f"Status: {handle.describe().status}")

cleanup_dir = os.environ.get("TB_CLEANUP_DIR")
if cleanup_dir:
    evidence = Path(cleanup_dir) / handle.id
    if evidence.exists():
        print(f'Cleanup activity ran: {evidence} says "{evidence.read_text()}"')
    else:
        print(f"Cleanup evidence not found at {evidence}")
