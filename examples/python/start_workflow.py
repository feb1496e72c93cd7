"""Example 1: start the Go worker's MySimpleWorkflow by its type name, with
the ID myworkflow_<uuid> on TB_TASK_QUEUE, and print its IDs.

Usage: python start_workflow.py [name]   (default name: World)
"""

import os
import sys
import uuid

from temporal_bridge import Client

# TB_TARGET if set; otherwise the Temporal client configuration: TEMPORAL_ADDRESS,
# TEMPORAL_NAMESPACE, TEMPORAL_PROFILE / ~/.config/temporalio/temporal.toml, else localhost:7233.
client = Client.connect(os.environ.get("TB_TARGET"))
handle = client.start_workflow(
    "MySimpleWorkflow",
    sys.argv[1] if len(sys.argv) > 1 else "World",
    id=f"myworkflow_{uuid.uuid4()}",
    task_queue=os.environ.get("TB_TASK_QUEUE", "mytaskqueue"),
)
print(f"Started workflow WorkflowID {handle.id} RunID {handle.run_id}")
