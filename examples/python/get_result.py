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

client = Client.connect(os.environ.get("TB_TARGET", "127.0.0.1:7233"), namespace="default")
# Blocks until the workflow closes (Ctrl-C interrupts the wait, not the workflow).
result = client.get_workflow_handle(workflow_id).result()
print(f"Workflow {workflow_id} result: {json.dumps(result, ensure_ascii=False)}")
