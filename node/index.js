'use strict';

// temporal-bridge for Node.js: a Temporal client on libtemporal_bridge's C ABI.
// The API is promise-based and camelCase; each method builds the JSON request
// of one operation of the library's JSON contract, runs it with the library's
// async function and maps the outcome (see lib/native.js for the ABI side).

const native = require('./lib/native');
const errors = require('./lib/errors');
const { requestJson, snakeCase, camelizeTop } = require('./lib/json');

// Options that are the binding's, not fields of the request.
const CALL_OPTION_KEYS = new Set(['signal', 'timeout']);

function checkObject(value, what) {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${what} must be an object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value;
}

function checkString(value, what, { required = false, empty = false } = {}) {
  if (value === undefined || value === null) {
    if (required) throw new TypeError(`${what} is required (a string)`);
    return undefined;
  }
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, got ${typeof value}`);
  if (!empty && value.length === 0) throw new TypeError(`${what} must not be empty`);
  return value;
}

function checkArray(value, what) {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new TypeError(`${what} must be an array, got ${typeof value}`);
  return value;
}

function checkSignal(signal) {
  if (signal === undefined || signal === null) return undefined;
  if (typeof signal !== 'object' || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    throw new TypeError('signal must be an AbortSignal');
  }
  return signal;
}

function checkDuration(value, what) {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new TypeError(`${what} must be a non-negative number of seconds`);
    return value;
  }
  if (typeof value === 'string') return value;
  throw new TypeError(`${what} must be seconds (a number) or a duration string such as "250ms", got ${typeof value}`);
}

/**
 * The request fields of `options` besides the ones a method handles itself:
 * top-level camelCase names become the contract's snake_case
 * (`executionTimeout` → `execution_timeout`); values are passed as they are.
 */
function passThrough(options, handled, fields) {
  for (const [key, value] of Object.entries(options)) {
    if (handled.has(key) || CALL_OPTION_KEYS.has(key) || value === undefined) continue;
    const field = snakeCase(key);
    if (field in fields) throw new TypeError(`option ${key} is given twice (as ${field})`);
    fields[field] = [value, key];
  }
  return fields;
}

/** The {signal, timeout} every call takes: timeout → call_timeout. */
function callOptions(options, fields) {
  const signal = checkSignal(options.signal);
  const timeout = checkDuration(options.timeout, 'timeout');
  if (timeout !== undefined) fields.call_timeout = [timeout, 'timeout'];
  return signal;
}

const finalizer = new FinalizationRegistry((ptr) => {
  try {
    native.native().clientFree(ptr);
  } catch {
    // The library is loaded, or there would be no pointer.
  }
});

/** A connection to a Temporal server (a TbClient). Make one with `Client.connect`. */
class Client {
  #ptr;
  #inFlight = new Set();
  #closed = null;

  /** @private Use Client.connect. */
  constructor(ptr, token) {
    if (token !== CONNECT_TOKEN) throw new TypeError('use Client.connect() to make a Client');
    this.#ptr = ptr;
    finalizer.register(this, ptr, this);
  }

  /**
   * Connects (tb_client_connect_async) and checks that the server answers.
   * Options are the JSON contract's connect options in camelCase (`target`,
   * `namespace`, `apiKey`, `tls`, `identity`, `headers`, `rpcTimeout`,
   * `connectTimeout`, `retry`, `keepalive`, `lazy`, `profile`, ...), plus
   * `signal`. The package's ABI version goes along as `abi_version`.
   */
  static async connect(options = {}) {
    options = checkObject(options, 'connect options');
    checkString(options.target, 'target');
    checkString(options.namespace, 'namespace');
    checkString(options.apiKey, 'apiKey');
    const signal = checkSignal(options.signal);
    if ('timeout' in options) {
      throw new TypeError('connect takes connectTimeout (and rpcTimeout), not timeout');
    }
    const fields = passThrough(options, new Set(['abiVersion', 'abi_version']), {});
    fields.abi_version = [native.ABI_VERSION, 'abi_version'];
    const json = requestJson(fields);
    const ptr = await native.connect(json, signal);
    return new Client(ptr, CONNECT_TOKEN);
  }

  /** Runs `operation` (a JSON-contract operation name) with a snake_case request object. */
  async call(operation, request = {}, options = {}) {
    checkString(operation, 'operation', { required: true });
    request = checkObject(request, 'request');
    options = checkObject(options, 'options');
    const fields = {};
    for (const [key, value] of Object.entries(request)) fields[key] = [value, `request.${key}`];
    const signal = callOptions(options, fields);
    return this._run(operation, requestJson(fields), signal);
  }

  /**
   * Starts a workflow by its type name → a WorkflowHandle (`workflowId`,
   * `runId`). Options: `taskQueue` (required), `workflowId` (generated when
   * absent), `args` (an array of JSON values), and every other
   * start_workflow field in camelCase (`executionTimeout`, `idReusePolicy`,
   * `memo`, `searchAttributes`, `startSignal`, ...), plus `signal`, `timeout`.
   */
  async startWorkflow(workflowType, options) {
    checkString(workflowType, 'workflowType', { required: true });
    options = checkObject(options, 'startWorkflow options');
    const fields = {
      workflow_type: [workflowType, 'workflowType'],
      task_queue: [checkString(options.taskQueue, 'taskQueue', { required: true }), 'taskQueue'],
      workflow_id: [checkString(options.workflowId, 'workflowId'), 'workflowId'],
      args: [checkArray(options.args, 'args'), 'args'],
    };
    passThrough(options, new Set(['taskQueue', 'workflowId', 'args']), fields);
    const signal = callOptions(options, fields);
    const started = await this._run('start_workflow', requestJson(fields), signal);
    return new WorkflowHandle(this, {
      workflowId: started.workflow_id,
      runId: started.run_id,
      firstExecutionRunId: started.first_execution_run_id ?? null,
      targetRunId: null,
      started: started.started,
    });
  }

  /**
   * A handle for an existing workflow (e.g. started by another process); no
   * call is made. Without `runId` it addresses the workflow's current run.
   */
  getWorkflowHandle(workflowId, runId, options = {}) {
    checkString(workflowId, 'workflowId', { required: true });
    checkString(runId, 'runId');
    options = checkObject(options, 'options');
    return new WorkflowHandle(this, {
      workflowId,
      runId: runId ?? null,
      firstExecutionRunId: checkString(options.firstExecutionRunId, 'firstExecutionRunId') ?? null,
      targetRunId: runId ?? null,
    });
  }

  /**
   * Closes and frees the client (tb_client_free): calls in flight end with
   * CancelledError, later calls reject with CancelledError. Resolves once
   * every call that was in flight has ended. Idempotent.
   */
  close() {
    if (this.#closed === null) {
      const ptr = this.#ptr;
      this.#ptr = null;
      finalizer.unregister(this);
      if (ptr !== null) native.native().clientFree(ptr);
      this.#closed = Promise.allSettled([...this.#inFlight]).then(() => undefined);
    }
    return this.#closed;
  }

  /** @private One call of `operation` on this client. */
  _run(operation, json, signal) {
    if (this.#ptr === null) {
      return Promise.reject(errors.cancelledError(`the client is closed (${operation} not sent)`));
    }
    const promise = native.call(this.#ptr, operation, json, signal, this);
    this.#inFlight.add(promise);
    const forget = () => this.#inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }
}

const CONNECT_TOKEN = Symbol('connect');

/** A workflow execution, addressed by ID (and run). Creating one makes no call. */
class WorkflowHandle {
  #targetRunId;

  /** @private Use client.startWorkflow or client.getWorkflowHandle. */
  constructor(client, { workflowId, runId, firstExecutionRunId, targetRunId, started }) {
    /** The Client the handle's calls go through. */
    this.client = client;
    /** The workflow ID. */
    this.workflowId = workflowId;
    /** The run this handle started from (the started run, or the one asked for), or null. */
    this.runId = runId;
    /** The guard for cancel/terminate: act only on the chain that began with this run. */
    this.firstExecutionRunId = firstExecutionRunId;
    if (started !== undefined) {
      /** From startWorkflow: false when an existing run was used (idConflictPolicy "use_existing"). */
      this.started = started;
    }
    // Run that cancel/terminate/describe/signal/query address: null for
    // handles from a start (the chain's current run, guarded by
    // firstExecutionRunId), as the core's started_workflow_handle does.
    this.#targetRunId = targetRunId;
  }

  #fields(extra = {}) {
    return {
      workflow_id: [this.workflowId, 'workflowId'],
      run_id: [this.#targetRunId ?? undefined, 'runId'],
      ...extra,
    };
  }

  /**
   * Waits for the workflow to close and resolves to its result (from any
   * process). Other endings reject with WorkflowFailedError,
   * WorkflowCanceledError, WorkflowTerminatedError, WorkflowTimedOutError.
   * `signal` abandons the wait (CancelledError), `timeout` bounds it
   * (DeadlineExceededError); neither touches the workflow.
   */
  async result(options = {}) {
    options = checkObject(options, 'result options');
    if (options.followRuns !== undefined && typeof options.followRuns !== 'boolean') {
      throw new TypeError('followRuns must be a boolean');
    }
    const fields = {
      workflow_id: [this.workflowId, 'workflowId'],
      run_id: [this.runId ?? undefined, 'runId'],
      follow_runs: [options.followRuns, 'followRuns'],
    };
    const signal = callOptions(options, fields);
    const response = await this.client._run('get_workflow_result', requestJson(fields), signal);
    return response.result;
  }

  /**
   * Requests cancellation; the workflow decides how to react (it may clean
   * up first) and result() then rejects with WorkflowCanceledError.
   */
  async cancel(options = {}) {
    options = checkObject(options, 'cancel options');
    const fields = this.#fields({
      first_execution_run_id: [this.firstExecutionRunId ?? undefined, 'firstExecutionRunId'],
      reason: [checkString(options.reason, 'reason', { empty: true }), 'reason'],
    });
    passThrough(options, new Set(['reason']), fields);
    const signal = callOptions(options, fields);
    await this.client._run('cancel_workflow', requestJson(fields), signal);
  }

  /** Terminates the workflow at once (no cleanup runs). `details`: an array of JSON values. */
  async terminate(reason, options = {}) {
    checkString(reason, 'reason', { empty: true });
    options = checkObject(options, 'terminate options');
    const fields = this.#fields({
      first_execution_run_id: [this.firstExecutionRunId ?? undefined, 'firstExecutionRunId'],
      reason: [reason, 'reason'],
      details: [checkArray(options.details, 'details'), 'details'],
    });
    passThrough(options, new Set(['details']), fields);
    const signal = callOptions(options, fields);
    await this.client._run('terminate_workflow', requestJson(fields), signal);
  }

  /**
   * Describes the execution: `status` ("running", "completed", "failed",
   * "canceled", "terminated", "continued_as_new", "timed_out"), type, task
   * queue, times, history length, memo, pending activities. Top-level names
   * in camelCase; nested objects as the JSON contract gives them.
   */
  async describe(options = {}) {
    options = checkObject(options, 'describe options');
    const fields = this.#fields();
    passThrough(options, new Set(), fields);
    const signal = callOptions(options, fields);
    return camelizeTop(await this.client._run('describe_workflow', requestJson(fields), signal));
  }

  /** Sends the signal `name` with `args` (JSON values). */
  signal(name, ...args) {
    return this.signalWithOptions(name, args);
  }

  /** `signal` with options: `signal` (AbortSignal), `timeout`, `requestId`, `header`... */
  async signalWithOptions(name, args = [], options = {}) {
    await this.#named('signal_workflow', 'signal_name', 'signal', name, args, options);
  }

  /** Runs the query `name` with `args` on the workflow's worker and resolves to its answer. */
  query(name, ...args) {
    return this.queryWithOptions(name, args);
  }

  /** `query` with options: `signal`, `timeout`, `rejectCondition` ("none", "not_open", "not_completed_cleanly")... */
  async queryWithOptions(name, args = [], options = {}) {
    const response = await this.#named('query_workflow', 'query_type', 'query', name, args, options);
    return response.result;
  }

  /** Runs `operation`, which names what it sends (a signal, a query) in `nameField`. */
  #named(operation, nameField, what, name, args, options) {
    checkString(name, `${what} name`, { required: true });
    checkArray(args, 'args');
    options = checkObject(options, `${what} options`);
    const fields = this.#fields({ [nameField]: [name, 'name'], args: [args, 'args'] });
    passThrough(options, new Set(), fields);
    const signal = callOptions(options, fields);
    return this.client._run(operation, requestJson(fields), signal);
  }
}

/** The loaded library: its path, version and ABI ("major.minor"). Loads it if needed. */
function libraryInfo() {
  const lib = native.native();
  return { path: lib.path, version: lib.version, abiVersion: lib.abi };
}

/**
 * The configuration profile Client.connect({}) would use (TOML profiles and
 * TEMPORAL_* variables), secrets redacted: tb_config_resolve.
 */
function resolveConfig(options = {}) {
  options = checkObject(options, 'options');
  const fields = passThrough(options, new Set(), {});
  return native.resolveConfig(requestJson(fields));
}

module.exports = {
  Client,
  WorkflowHandle,
  libraryInfo,
  resolveConfig,
  ABI_VERSION: native.ABI_VERSION,
  ...Object.fromEntries(
    Object.entries(errors).filter(([name]) => !['STATUS_CLASSES', 'errorFromStatus', 'cancelledError'].includes(name)),
  ),
  /** For tests and tools: not part of the stable API. */
  _internal: {
    checkAbiVersion: native.checkAbiVersion,
    loadLibrary: native.loadLibrary,
    libraryPath: native.libraryPath,
    pendingCount: native.pendingCount,
    DEFAULT_LIBRARY: native.DEFAULT_LIBRARY,
    ENV_VAR: native.ENV_VAR,
  },
};
