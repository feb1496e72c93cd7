'use strict';

// Against a real Temporal dev server and the real Go SDK worker
// (examples/go-worker), both started here and stopped in after().

const { before, after, describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { randomUUID } = require('node:crypto');

const tb = require('..');
const { startEnv, eventually } = require('./support/env');

let env;
let client;

function id(prefix) {
  return `${prefix}-${randomUUID()}`;
}

function start(type, options) {
  return client.startWorkflow(type, { taskQueue: env.taskQueue, ...options });
}

/** Resolves once the workflow's activity has been started by the worker (a real condition, not a sleep). */
function activityRunning(handle) {
  return eventually(`an activity of ${handle.workflowId} to run`, async () => {
    const description = await handle.describe();
    return description.status === 'running' && description.pendingActivities.length > 0 && description;
  });
}

before(async () => {
  env = await startEnv();
  client = await tb.Client.connect({ target: env.target, namespace: env.namespace });
});

after(async () => {
  try {
    if (client) await client.close();
  } finally {
    if (env) await env.stop();
  }
});

describe('the seed scenarios', () => {
  let simple;

  test('start MySimpleWorkflow by its type name and get workflowId and runId back', async () => {
    const workflowId = id('simple');
    simple = await start('MySimpleWorkflow', { workflowId, args: ['World'] });
    assert.ok(simple instanceof tb.WorkflowHandle);
    assert.equal(simple.workflowId, workflowId);
    assert.match(simple.runId, /^[0-9a-f-]{36}$/);
    assert.equal(simple.firstExecutionRunId, simple.runId);
    assert.equal(simple.started, true);
  });

  test('get its result from a different process that knows only the workflow ID', async () => {
    const child = path.join(__dirname, 'support', 'result-child.js');
    const stdout = await new Promise((resolve, reject) => {
      execFile(process.execPath, [child, env.target, env.namespace, simple.workflowId], { timeout: 60_000 }, (err, out, stderr) =>
        err && !out ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out),
      );
    });
    assert.deepEqual(JSON.parse(stdout), { result: 'Hello, World!' });
    // And here, through the handle the start returned.
    assert.equal(await simple.result(), 'Hello, World!');
    const description = await simple.describe();
    assert.equal(description.status, 'completed');
    assert.equal(description.workflowType, 'MySimpleWorkflow');
    assert.equal(description.workflowId, simple.workflowId);
  });

  test('cancel a CancellableWorkflow: it ends canceled after its cleanup ran', async () => {
    const workflowId = id('cancel');
    const handle = await start('CancellableWorkflow', { workflowId });
    await activityRunning(handle);
    const cleanupFile = path.join(env.cleanupDir, workflowId);
    assert.equal(fs.existsSync(cleanupFile), false);

    await handle.cancel({ reason: 'test' });
    await assert.rejects(handle.result({ timeout: 60 }), (err) => {
      assert.ok(err instanceof tb.WorkflowCanceledError, `got ${err}`);
      assert.equal(err.kind, 'workflow_canceled');
      assert.equal(err.status, 5);
      assert.equal(err.details.workflow_id, workflowId);
      return true;
    });
    // The cleanup activity completed before the workflow closed canceled.
    assert.equal(fs.readFileSync(cleanupFile, 'utf8'), 'cleanup done');
    const description = await handle.describe();
    assert.equal(description.status, 'canceled');
    assert.equal(description.cancelRequested, true);
  });
});

describe('terminate, describe, signal and query on real workflows', () => {
  test('terminate: result rejects with WorkflowTerminatedError, describe says terminated', async () => {
    const handle = await start('CancellableWorkflow', { workflowId: id('terminate') });
    await activityRunning(handle);
    await handle.terminate('enough', { details: ['why', 1] });
    await assert.rejects(handle.result({ timeout: 30 }), (err) => {
      assert.ok(err instanceof tb.WorkflowTerminatedError, `got ${err}`);
      assert.equal(err.details.reason, 'enough');
      assert.deepEqual(err.details.details, ['why', 1]);
      return true;
    });
    assert.equal((await handle.describe()).status, 'terminated');
  });

  test('signal and query CodecEchoWorkflow, then finish it', async () => {
    const handle = await start('CodecEchoWorkflow', { workflowId: id('echo'), args: [{ a: 1 }] });
    const description = await handle.describe();
    assert.equal(description.status, 'running');
    assert.equal(description.taskQueue, env.taskQueue);

    await handle.signal('append', [1, 'two']);
    await handle.signalWithOptions('append', [{ when: new Date(0), skipped: undefined }], { signal: new AbortController().signal });
    const expected = { input: { a: 1 }, signals: [[1, 'two'], { when: '1970-01-01T00:00:00.000Z' }] };
    assert.deepEqual(await handle.query('state'), expected);
    assert.deepEqual(await handle.queryWithOptions('state', [], { rejectCondition: 'none', timeout: 30 }), expected);

    // A handle from another lookup addresses the same workflow.
    const again = client.getWorkflowHandle(handle.workflowId);
    await again.signal('finish', 'ok');
    assert.deepEqual(await again.result({ timeout: 30 }), expected);
    assert.equal((await handle.describe()).status, 'completed');
  });

  test('a failed workflow: WorkflowFailedError with the failure chain', async () => {
    const handle = await start('CodecEchoWorkflow', { workflowId: id('fail'), args: ['in'] });
    await handle.signal('finish', 'fail');
    await assert.rejects(handle.result({ timeout: 30 }), (err) => {
      assert.ok(err instanceof tb.WorkflowFailedError, `got ${err}`);
      assert.equal(err.failure.type, 'CodecRequestedFailure');
      assert.equal(err.failure.message, 'codec workflow failed on request');
      assert.deepEqual(err.failure.details, [{ input: 'in', signals: [] }]);
      return true;
    });
    assert.equal((await handle.describe()).status, 'failed');
  });

  test('a query without a handler is a QueryFailedError', async () => {
    const handle = await start('CodecEchoWorkflow', { workflowId: id('query'), args: [null] });
    try {
      await assert.rejects(handle.query('no_such_query'), tb.QueryFailedError);
    } finally {
      await handle.terminate('done');
    }
  });

  test('starting a running workflow ID again is an AlreadyStartedError', async () => {
    const workflowId = id('dup');
    const first = await start('CodecEchoWorkflow', { workflowId, args: [1] });
    try {
      await assert.rejects(start('CodecEchoWorkflow', { workflowId, args: [2] }), (err) => {
        assert.ok(err instanceof tb.AlreadyStartedError, `got ${err}`);
        assert.equal(err.runId, first.runId);
        return true;
      });
    } finally {
      await first.terminate();
    }
  });
});

test('200 starts and 200 result waits at once, with the event loop responsive throughout', async () => {
  const count = 200;
  let ticks = 0;
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 10);
  const began = performance.now();
  try {
    const names = Array.from({ length: count }, (_, i) => `n${i}`);
    const results = await Promise.all(
      names.map(async (name) => {
        const handle = await start('MySimpleWorkflow', { workflowId: id(`many-${name}`), args: [name] });
        return handle.result({ timeout: 120 });
      }),
    );
    assert.deepEqual(
      results,
      names.map((name) => `Hello, ${name}!`),
    );
  } finally {
    clearInterval(timer);
  }
  const elapsed = performance.now() - began;
  // The interval kept firing all along: the waits block no thread of Node's.
  assert.ok(ticks >= elapsed / 10 / 5, `only ${ticks} ticks in ${elapsed.toFixed(0)} ms`);
  assert.ok(maxGap < 1000, `the event loop stalled for ${maxGap.toFixed(0)} ms`);
  assert.equal(tb._internal.pendingCount(), 0);
  console.log(`# 200 workflows in ${elapsed.toFixed(0)} ms; ${ticks} ticks, longest gap ${maxGap.toFixed(0)} ms`);
});

describe('abandoning calls', () => {
  test('aborting pending result waits rejects them promptly and leaves the workflow running', async () => {
    const handle = await start('CancellableWorkflow', { workflowId: id('abort') });
    const controller = new AbortController();
    const warnings = [];
    const onWarning = (warning) => warnings.push(warning);
    process.on('warning', onWarning);
    // One signal for a batch of waits (one abort listener, not one per call).
    const waiting = Array.from({ length: 20 }, () => handle.result({ signal: controller.signal }));
    // The waits are in flight (long polls) while the workflow reaches its activity.
    await activityRunning(handle);
    const reason = new Error('user gave up');
    const abortedAt = performance.now();
    controller.abort(reason);
    // Every wait's rejection is taken at once (awaiting them one by one would
    // leave the later ones rejected with no handler yet).
    const outcomes = await Promise.allSettled(waiting);
    const took = performance.now() - abortedAt;
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 'rejected');
      const err = outcome.reason;
      assert.ok(err instanceof tb.CancelledError, `got ${err}`);
      assert.equal(err.kind, 'cancelled');
      assert.equal(err.status, 11);
      assert.equal(err.cause, reason);
    }
    assert.ok(took < 2000, `the aborted waits took ${took.toFixed(0)} ms to reject`);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    assert.deepEqual(warnings.map(String), []);

    // The workflow did not notice.
    const description = await handle.describe();
    assert.equal(description.status, 'running');
    assert.equal(description.cancelRequested, false);
    await handle.cancel();
    await assert.rejects(handle.result({ timeout: 60 }), tb.WorkflowCanceledError);
  });

  test('an already aborted signal fails the call with CancelledError', async () => {
    const reason = new Error('before');
    await assert.rejects(client.getWorkflowHandle(id('none')).describe({ signal: AbortSignal.abort(reason) }), (err) =>
      err instanceof tb.CancelledError && err.cause === reason,
    );
  });

  test('aborting a connect rejects at once; the client that still arrives is freed', async () => {
    const controller = new AbortController();
    const connecting = tb.Client.connect({ target: env.target, namespace: env.namespace, signal: controller.signal });
    controller.abort();
    await assert.rejects(connecting, tb.CancelledError);
    // The library still calls back once, with the client, which is freed then.
    await eventually('the aborted connect\'s callback', () => tb._internal.pendingCount() === 0);
  });

  test('timeout bounds a wait: DeadlineExceededError, workflow untouched', async () => {
    const handle = await start('CodecEchoWorkflow', { workflowId: id('deadline'), args: [0] });
    try {
      await assert.rejects(handle.result({ timeout: 0.5 }), tb.DeadlineExceededError);
      assert.equal((await handle.describe()).status, 'running');
    } finally {
      await handle.terminate();
    }
  });

  test('closing a client ends its calls in flight with CancelledError; later calls too', async () => {
    const other = await tb.Client.connect({ target: env.target, namespace: env.namespace });
    const handle = await other.startWorkflow('CodecEchoWorkflow', { taskQueue: env.taskQueue, workflowId: id('close'), args: [0] });
    const waiting = handle.result();
    const closed = other.close();
    await assert.rejects(waiting, tb.CancelledError);
    await closed;
    await assert.rejects(handle.describe(), tb.CancelledError);
    assert.equal(await other.close(), undefined); // idempotent
    // The workflow is untouched; the other client still sees it.
    const same = client.getWorkflowHandle(handle.workflowId);
    assert.equal((await same.describe()).status, 'running');
    await same.terminate();
  });
});

describe('errors from the server', () => {
  test('an unknown workflow ID is a NotFoundError', async () => {
    const missing = client.getWorkflowHandle(id('missing'));
    await assert.rejects(missing.describe(), (err) => {
      assert.ok(err instanceof tb.NotFoundError, `got ${err}`);
      assert.equal(err.kind, 'not_found');
      assert.equal(err.status, 2);
      assert.match(err.message, new RegExp(missing.workflowId));
      return true;
    });
    await assert.rejects(missing.result(), tb.NotFoundError);
    await assert.rejects(missing.signal('append', 1), tb.NotFoundError);
  });

  test('connecting to a port where nothing listens is an UnavailableError', async () => {
    const port = await new Promise((resolve, reject) => {
      const server = net.createServer();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: free } = server.address();
        server.close(() => resolve(free));
      });
    });
    await assert.rejects(tb.Client.connect({ target: `127.0.0.1:${port}`, connectTimeout: 5 }), (err) => {
      assert.ok(err instanceof tb.UnavailableError, `got ${err}`);
      assert.equal(err.kind, 'unavailable');
      assert.equal(err.status, 9);
      assert.ok(err.message.includes(String(port)));
      return true;
    });
  });

  test('bad JS input on a live client rejects with TypeError and sends nothing', async () => {
    const before = tb._internal.pendingCount();
    await assert.rejects(client.startWorkflow(Symbol('x'), { taskQueue: env.taskQueue }), TypeError);
    await assert.rejects(start('MySimpleWorkflow', { args: [{ n: 1n }] }), TypeError);
    const cycle = [];
    cycle.push(cycle);
    await assert.rejects(start('MySimpleWorkflow', { args: cycle }), /args\[0\] contains a cycle/);
    assert.equal(tb._internal.pendingCount(), before);
  });

  test('an invalid value is the library\'s InvalidArgumentError', async () => {
    await assert.rejects(start('MySimpleWorkflow', { args: ['x'], idReusePolicy: 'sometimes' }), (err) => {
      assert.ok(err instanceof tb.InvalidArgumentError, `got ${err}`);
      assert.match(err.message, /id_reuse_policy/);
      return true;
    });
  });
});
