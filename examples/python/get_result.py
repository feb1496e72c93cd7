"""Example 2: in a separate process, knowing only the workflow ID, wait for
the workflow's result and print it.

Usage: python get_result.py <workflow-id>
"""

import json
import os
import sys

from temporal_bridge import Client

if len(sys.argv) != 2:
    sys.exit("usage: get_result.py <workflow-id>")
workflow_id = sys.argv[1]

# TB_TARGET if set; otherwise the Temporal client configuration: TEMPORAL_ADDRESS,
# TEMPORAL_NAMESPACE, TEMPORAL_PROFILE / ~/.config/temporalio/temporal.toml, else localhost:7233.
client = Client.connect(os.environ.get("TB_TARGET"))
# Blocks until the workflow closes (Ctrl-C interrupts the wait, not the workflow).
result = client.get_workflow_handle(workflow_id).result()
print(f"Workflow {workflow_id} result: {json.dumps(result, ensure_ascii=False)}")
