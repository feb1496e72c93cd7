// Type declarations of temporal-bridge for Node.js (hand-written). The
// request and response types of the JSON contract are generated from the
// library's JSON Schema into ./types/contract.d.ts (npm run gen-types); the
// option and result types below are derived from them, so a field the
// schema adds or changes shows up here without editing this file.

import type {
  CancelWorkflowRequest,
  ConnectRequest,
  DescribeWorkflowRequest,
  DescribeWorkflowResponse,
  ErrorObject,
  Operations,
  QueryWorkflowRequest,
  SignalWorkflowRequest,
  StartWorkflowRequest,
  TerminateWorkflowRequest,
} from './types/contract';

export type * as Contract from './types/contract';
export type { Operations, ErrorObject };

/** `task_queue` → `taskQueue`. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** An object type with its top-level keys in camelCase (nested types unchanged). */
export type Camelize<T> = { [K in keyof T as K extends string ? CamelCase<K> : K]: T[K] };

/** A duration as the JSON contract takes it: seconds (`1.5`) or a Go-style string (`"250ms"`, `"1h30m"`). */
export type Duration = number | string;

/** What every call takes besides its own options. */
export interface CallOptions {
  /**
   * Abandons the call when aborted (a cancel token of the library): the
   * promise rejects with CancelledError, whose `cause` is the signal's
   * reason. The workflow is never touched.
   */
  signal?: AbortSignal;
  /** The call's deadline, retries included (`call_timeout`): DeadlineExceededError. */
  timeout?: Duration;
}

/** Fields every request may carry that this API sets itself. */
type Managed = 'call_timeout' | 'workflow_id' | 'run_id' | 'first_execution_run_id';

/**
 * Client.connect's options: the JSON contract's connect options (`target`,
 * `namespace`, `api_key` → `apiKey`, `tls`, `identity`, `headers`,
 * `rpc_timeout` → `rpcTimeout`, `connect_timeout`, `retry`, `keepalive`,
 * `lazy`, `profile`, ...) in camelCase, plus `signal`. `abi_version` is set
 * by the package.
 */
export type ConnectOptions = Camelize<Omit<ConnectRequest, 'abi_version'>> & { signal?: AbortSignal };

/** startWorkflow's options: every start_workflow field but the type, in camelCase. */
export type StartWorkflowOptions = Camelize<Omit<StartWorkflowRequest, 'workflow_type' | 'call_timeout'>> & CallOptions;

export interface ResultOptions extends CallOptions {
  /** Follow the chain of runs (continue-as-new, retries, cron) to its end; default true. */
  followRuns?: boolean;
}

export type CancelOptions = Camelize<Omit<CancelWorkflowRequest, Managed>> & CallOptions;
export type TerminateOptions = Camelize<Omit<TerminateWorkflowRequest, Managed | 'reason'>> & CallOptions;
export type DescribeOptions = Camelize<Omit<DescribeWorkflowRequest, Managed>> & CallOptions;
export type SignalOptions = Camelize<Omit<SignalWorkflowRequest, Managed | 'signal_name' | 'args'>> & CallOptions;
export type QueryOptions = Camelize<Omit<QueryWorkflowRequest, Managed | 'query_type' | 'args'>> & CallOptions;

/** describe()'s answer: the describe_workflow response with camelCase top-level names. */
export type WorkflowDescription = Camelize<DescribeWorkflowResponse>;

export type OperationName = keyof Operations;

/** A connection to a Temporal server. */
export declare class Client {
  private constructor();

  /** Connects (tb_client_connect_async) and checks that the server answers. */
  static connect(options?: ConnectOptions): Promise<Client>;

  /** Starts a workflow by its type name (written in any SDK). */
  startWorkflow(workflowType: string, options: StartWorkflowOptions): Promise<WorkflowHandle>;

  /** A handle for an existing workflow; no call is made. Without `runId`: its current run. */
  getWorkflowHandle(workflowId: string, runId?: string, options?: { firstExecutionRunId?: string }): WorkflowHandle;

  /** Runs any operation of the JSON contract by name, with its snake_case request. */
  call<K extends OperationName>(
    operation: K,
    request: Operations[K]['request'],
    options?: CallOptions,
  ): Promise<Operations[K]['response']>;
  /** An operation this package's types do not know yet (a newer library's). */
  call<Name extends string>(
    operation: Name & (Name extends OperationName ? never : unknown),
    request?: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<unknown>;

  /**
   * Closes and frees the client: calls in flight reject with CancelledError,
   * later calls too. Resolves once every call that was in flight has ended.
   */
  close(): Promise<void>;
}

/** A workflow execution, addressed by ID (and run). */
export declare class WorkflowHandle {
  private constructor();
  readonly client: Client;
  readonly workflowId: string;
  /** The run this handle started from (the started run, or the one asked for). */
  readonly runId: string | null;
  /** The guard for cancel/terminate: act only on the chain that began with this run. */
  readonly firstExecutionRunId: string | null;
  /** From startWorkflow only: false when an existing run was used. */
  readonly started?: boolean;

  /** Waits for the outcome; rejects with WorkflowFailedError, WorkflowCanceledError, ... */
  result<T = unknown>(options?: ResultOptions): Promise<T>;
  /** Requests cancellation (the workflow may clean up first). */
  cancel(options?: CancelOptions): Promise<void>;
  /** Terminates the workflow at once. */
  terminate(reason?: string, options?: TerminateOptions): Promise<void>;
  /** Status, type, task queue, times, pending activities... */
  describe(options?: DescribeOptions): Promise<WorkflowDescription>;
  /** Sends a signal with JSON arguments. */
  signal(name: string, ...args: unknown[]): Promise<void>;
  signalWithOptions(name: string, args?: unknown[], options?: SignalOptions): Promise<void>;
  /** Runs a query on the workflow's worker and resolves to its answer. */
  query<T = unknown>(name: string, ...args: unknown[]): Promise<T>;
  queryWithOptions<T = unknown>(name: string, args?: unknown[], options?: QueryOptions): Promise<T>;
}

/** The loaded library (loads it if needed; throws LibraryLoadError / AbiVersionError). */
export declare function libraryInfo(): { path: string; version: string; abiVersion: string };

/**
 * The configuration profile `Client.connect({})` would use, secrets redacted
 * (tb_config_resolve). Options: `profile`, `configFile`, `configStrict`,
 * `disableFile`, `disableEnv`, `env`.
 */
export declare function resolveConfig(options?: {
  profile?: string;
  configFile?: string;
  configStrict?: boolean;
  disableFile?: boolean;
  disableEnv?: boolean;
  env?: Record<string, string>;
}): Record<string, unknown>;

/** The ABI version this package was written for, "major.minor". */
export declare const ABI_VERSION: string;

// ---- errors ----------------------------------------------------------------

/** Base class of every error a call of the library reports. */
export declare class TemporalBridgeError extends Error {
  /** The error kind, e.g. "not_found" (the JSON error object's `kind`). */
  readonly kind: ErrorObject['kind'] | (string & {});
  /** The JSON error object's `details`: gRPC code, run IDs, failure chain, the field at fault. */
  readonly details: Record<string, unknown>;
  /** The TbStatus the library returned. */
  readonly status: number;
}
/** Status 1: a malformed request (bad value, unknown field, wrong type). */
export declare class InvalidArgumentError extends TemporalBridgeError {}
/** Status 2: no such workflow (or namespace...). */
export declare class NotFoundError extends TemporalBridgeError {}
/** Status 3: a workflow with this ID is already running. */
export declare class AlreadyStartedError extends TemporalBridgeError {
  readonly runId: string | null;
}
export { AlreadyStartedError as WorkflowAlreadyStartedError };
/** Status 4: the workflow failed. */
export declare class WorkflowFailedError extends TemporalBridgeError {
  /** The failure chain: `{message, type, stack_trace, details, cause, non_retryable, ...}`. */
  readonly failure: Record<string, unknown> | null;
}
/** Status 5: the workflow ended canceled. */
export declare class WorkflowCanceledError extends TemporalBridgeError {}
/** Status 6: the workflow was terminated. */
export declare class WorkflowTerminatedError extends TemporalBridgeError {}
/** Status 7: the workflow timed out. */
export declare class WorkflowTimedOutError extends TemporalBridgeError {}
/** Status 8: the run continued as new (and followRuns was false). */
export declare class WorkflowContinuedAsNewError extends TemporalBridgeError {}
/** Status 9: the server could not be reached. */
export declare class UnavailableError extends TemporalBridgeError {}
/** Status 10: the call's `timeout` passed first. */
export declare class DeadlineExceededError extends TemporalBridgeError {}
/** Status 11: the call was abandoned (AbortSignal, or the client closed). */
export declare class CancelledError extends TemporalBridgeError {}
/** Status 12: credentials refused. */
export declare class PermissionDeniedError extends TemporalBridgeError {}
/** Status 13: another gRPC failure. */
export declare class RpcError extends TemporalBridgeError {}
/** Status 14: a bug in the library. */
export declare class InternalError extends TemporalBridgeError {}
/** Status 15: the query failed in the workflow. */
export declare class QueryFailedError extends TemporalBridgeError {}
/** Status 16: the query was refused by its reject condition. */
export declare class QueryRejectedError extends TemporalBridgeError {}
/** Status 17: the update was rejected or failed. */
export declare class UpdateFailedError extends TemporalBridgeError {}
/** Status 18: the payload codec failed. */
export declare class CodecError extends TemporalBridgeError {}

/** The shared library is missing or cannot be loaded (`path`: the file tried). */
export declare class LibraryLoadError extends Error {
  readonly path: string;
}
/** The shared library's ABI version does not fit this package's. */
export declare class AbiVersionError extends LibraryLoadError {
  readonly libraryVersion: string;
  readonly requiredVersion: string;
}

/** Not part of the stable API: hooks for tests and tools. */
export declare const _internal: {
  /** Checks a tb_abi_version() value, `(major << 16) | minor`; throws AbiVersionError, returns "major.minor". */
  checkAbiVersion(version: number, libraryPath?: string): string;
  /** Loads and checks a library file without making it the package's. */
  loadLibrary(path: string): { path: string; abi: string; version: string };
  /** The path the package loads: $TEMPORAL_BRIDGE_LIBRARY or DEFAULT_LIBRARY. */
  libraryPath(): string;
  /** How many async calls are in flight. */
  pendingCount(): number;
  readonly DEFAULT_LIBRARY: string;
  readonly ENV_VAR: 'TEMPORAL_BRIDGE_LIBRARY';
};
