'use strict';

// A separate process that knows only a workflow ID: connects, waits for the
// workflow's result and prints {"result": ...} (or {"error", "kind",
// "message"}) as one JSON line. Used by the "result from another process" test.
//
//   node result-child.js TARGET NAMESPACE WORKFLOW_ID

const { Client } = require('../..');

async function main() {
  const [target, namespace, workflowId] = process.argv.slice(2);
  const client = await Client.connect({ target, namespace });
  try {
    const result = await client.getWorkflowHandle(workflowId).result({ timeout: 60 });
    process.stdout.write(`${JSON.stringify({ result })}\n`);
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  process.stdout.write(`${JSON.stringify({ error: err.name, kind: err.kind, message: err.message })}\n`);
  process.exitCode = 1;
});
