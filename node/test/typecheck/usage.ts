// A typed use of the package: `tsc --noEmit` (part of npm test) checks that
// index.d.ts and the generated types/contract.d.ts fit together and describe
// the API as the tests use it. Never run.

import {
  CancelledError,
  Client,
  NotFoundError,
  TemporalBridgeError,
  WorkflowCanceledError,
  WorkflowFailedError,
  type Contract,
  type WorkflowDescription,
  type WorkflowHandle,
} from '../../index';

export async function example(): Promise<void> {
  const client: Client = await Client.connect({ target: '127.0.0.1:7233', namespace: 'default' });
  const handle: WorkflowHandle = await client.startWorkflow('MySimpleWorkflow', {
    taskQueue: 'mytaskqueue',
    workflowId: 'myworkflow_1',
    args: ['World'],
    executionTimeout: '1h',
    idReusePolicy: 'allow_duplicate',
    retryPolicy: { maximum_attempts: 3 },
    memo: { owner: 'me' },
    signal: new AbortController().signal,
    timeout: 30,
  });
  const secure = await Client.connect({
    target: 'my-ns.a1b2c.tmprl.cloud:7233',
    namespace: 'my-ns.a1b2c',
    apiKey: 'key',
    tls: true,
    rpcTimeout: 10,
  });
  await secure.close();
  const id: string = handle.workflowId;
  const run: string | null = handle.runId;
  console.log(id, run);

  const greeting = await handle.result<string>({ timeout: 60 });
  console.log(greeting.toUpperCase());

  const other = client.getWorkflowHandle('myworkflow_1');
  const controller = new AbortController();
  const waiting = other.result({ signal: controller.signal });
  controller.abort();
  try {
    await waiting;
  } catch (err) {
    if (err instanceof CancelledError) console.log('abandoned', err.kind, err.status);
  }

  const description: WorkflowDescription = await handle.describe();
  const status: string = description.status;
  console.log(status, description.workflowId);

  await handle.signal('append', { any: ['json'] });
  const state = await handle.query<{ signals: unknown[] }>('state');
  console.log(state.signals.length);
  await handle.queryWithOptions('state', [], { signal: AbortSignal.timeout(1000) });
  await handle.cancel({ reason: 'done' });
  await handle.terminate('because', { details: [1] });

  // The generic form, typed by the generated contract.
  const started: Contract.StartWorkflowResponse = await client.call('start_workflow', {
    workflow_type: 'MySimpleWorkflow',
    task_queue: 'mytaskqueue',
  });
  console.log(started.run_id);

  try {
    await client.getWorkflowHandle('missing').describe();
  } catch (err) {
    if (err instanceof NotFoundError) console.log(err.details);
    if (err instanceof WorkflowFailedError) console.log(err.failure);
    if (err instanceof WorkflowCanceledError) console.log('canceled');
    if (err instanceof TemporalBridgeError) console.log(err.kind, err.message);
  }
  await client.close();
}

// @ts-expect-error the workflow type must be a string
void Client.prototype.startWorkflow.call(null as unknown as Client, 42, { taskQueue: 'q' });

export async function wrongOptions(client: Client): Promise<void> {
  // @ts-expect-error taskQueue is required
  await client.startWorkflow('MySimpleWorkflow', { args: [] });
  // @ts-expect-error no such option
  await client.startWorkflow('MySimpleWorkflow', { taskQueue: 'q', notAnOption: 1 });
  // @ts-expect-error durations are seconds or strings
  await client.startWorkflow('MySimpleWorkflow', { taskQueue: 'q', executionTimeout: true });
  // @ts-expect-error the generic call checks the request of the operation it names
  await client.call('cancel_workflow', { run_id: 'r' });
}

export async function newerOperation(client: Client): Promise<unknown> {
  return client.call('some_future_operation', { anything: 1 });
}
