'use strict';

// The error classes of the binding.
//
// Every failed call of the library delivers a TbStatus (a number) and the
// JSON error object {"kind", "message", "details"}. The status picks the
// class (STATUS_CLASSES below); `kind`, `details` and `status` are kept on
// the error as they came, so a status this package does not know yet (the
// library may add kinds in a minor release) still gives a TemporalBridgeError
// with the right kind.
//
// Two errors are the binding's own, not the library's: LibraryLoadError (the
// shared library cannot be found or loaded) and AbiVersionError (it can, but
// speaks another ABI). They do not extend TemporalBridgeError: no call was
// made, there is no status.

/** Base class of every error a call of the library reports. */
class TemporalBridgeError extends Error {
  /**
   * @param {string} message
   * @param {{kind?: string, details?: object, status?: number, cause?: unknown}} [fields]
   */
  constructor(message, fields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    /** The error kind, e.g. "not_found" (tb_status_name of the status). */
    this.kind = fields.kind ?? 'unknown';
    /** What a caller needs: gRPC code, run IDs, failure chain, the field at fault... */
    this.details = fields.details ?? {};
    /** The TbStatus number the library returned. */
    this.status = fields.status ?? 0;
  }

  get name() {
    return this.constructor.name;
  }
}

/** The request was malformed (bad value, unknown field, wrong type...); status 1. */
class InvalidArgumentError extends TemporalBridgeError {}
/** The workflow (or namespace, or other entity) does not exist; status 2. */
class NotFoundError extends TemporalBridgeError {}
/** A workflow with this ID is already running (`details.run_id`); status 3. */
class AlreadyStartedError extends TemporalBridgeError {
  /** The run ID of the running workflow. */
  get runId() {
    return this.details.run_id ?? null;
  }
}
/** The workflow failed; `failure` is its failure chain; status 4. */
class WorkflowFailedError extends TemporalBridgeError {
  /** The failure chain `{message, type, stack_trace, details, cause, ...}`. */
  get failure() {
    return this.details.failure ?? null;
  }
}
/** The workflow ended canceled; status 5. */
class WorkflowCanceledError extends TemporalBridgeError {}
/** The workflow was terminated (`details.reason`); status 6. */
class WorkflowTerminatedError extends TemporalBridgeError {}
/** The workflow timed out; status 7. */
class WorkflowTimedOutError extends TemporalBridgeError {}
/** The run continued as new and the call asked not to follow runs; status 8. */
class WorkflowContinuedAsNewError extends TemporalBridgeError {}
/** The server could not be reached, or stayed unavailable past the retries; status 9. */
class UnavailableError extends TemporalBridgeError {}
/** The call's deadline (`timeout`) passed first; the workflow is untouched; status 10. */
class DeadlineExceededError extends TemporalBridgeError {}
/**
 * The call was abandoned: its AbortSignal fired, or its client was closed;
 * the workflow is untouched; status 11. `cause` is the signal's reason when
 * an AbortSignal did it.
 */
class CancelledError extends TemporalBridgeError {}
/** The server refused the credentials; status 12. */
class PermissionDeniedError extends TemporalBridgeError {}
/** Any other gRPC failure (`details` carry the code); status 13. */
class RpcError extends TemporalBridgeError {}
/** A bug in the library (e.g. a caught panic); status 14. */
class InternalError extends TemporalBridgeError {}
/** A query reached the workflow but failed there (`details.failure`); status 15. */
class QueryFailedError extends TemporalBridgeError {}
/** A query was refused by its reject condition (`details.status`); status 16. */
class QueryRejectedError extends TemporalBridgeError {}
/** An update was rejected or failed (`details.failure`, `details.update_id`); status 17. */
class UpdateFailedError extends TemporalBridgeError {}
/** The payload codec failed or miscounted; status 18. */
class CodecError extends TemporalBridgeError {}

/** TbStatus value → class (the values are fixed by the header and never reused). */
const STATUS_CLASSES = Object.freeze({
  1: InvalidArgumentError,
  2: NotFoundError,
  3: AlreadyStartedError,
  4: WorkflowFailedError,
  5: WorkflowCanceledError,
  6: WorkflowTerminatedError,
  7: WorkflowTimedOutError,
  8: WorkflowContinuedAsNewError,
  9: UnavailableError,
  10: DeadlineExceededError,
  11: CancelledError,
  12: PermissionDeniedError,
  13: RpcError,
  14: InternalError,
  15: QueryFailedError,
  16: QueryRejectedError,
  17: UpdateFailedError,
  18: CodecError,
});

const STATUS_CANCELLED = 11;

/**
 * The error for a failed call: `status` is the TbStatus, `errorJson` the
 * error object's text as the library lent it (copied already).
 */
function errorFromStatus(status, errorJson, cause) {
  let parsed = null;
  try {
    parsed = errorJson == null ? null : JSON.parse(errorJson);
  } catch {
    parsed = null;
  }
  const Class = STATUS_CLASSES[status] ?? TemporalBridgeError;
  if (parsed === null || typeof parsed !== 'object') {
    return new Class(`temporal-bridge call failed with status ${status}${errorJson ? `: ${errorJson}` : ''}`, {
      kind: 'unknown',
      status,
      cause,
    });
  }
  return new Class(String(parsed.message ?? ''), {
    kind: typeof parsed.kind === 'string' ? parsed.kind : 'unknown',
    details: parsed.details && typeof parsed.details === 'object' ? parsed.details : {},
    status,
    cause,
  });
}

/** The CancelledError of a call that is refused before it reaches the library. */
function cancelledError(message, cause) {
  return new CancelledError(message, { kind: 'cancelled', status: STATUS_CANCELLED, cause });
}

/**
 * The shared library could not be found or loaded. `path` is the file tried;
 * the message names it and the TEMPORAL_BRIDGE_LIBRARY variable.
 */
class LibraryLoadError extends Error {
  constructor(message, { path, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.path = path;
  }

  get name() {
    return this.constructor.name;
  }
}

/**
 * The shared library's ABI version is not one this package can use: its
 * major must equal the package's and its minor be at least the package's.
 */
class AbiVersionError extends LibraryLoadError {
  constructor(message, { path, libraryVersion, requiredVersion } = {}) {
    super(message, { path });
    /** The library's version, "major.minor". */
    this.libraryVersion = libraryVersion;
    /** The version this package was written for, "major.minor". */
    this.requiredVersion = requiredVersion;
  }
}

module.exports = {
  TemporalBridgeError,
  InvalidArgumentError,
  NotFoundError,
  AlreadyStartedError,
  WorkflowAlreadyStartedError: AlreadyStartedError,
  WorkflowFailedError,
  WorkflowCanceledError,
  WorkflowTerminatedError,
  WorkflowTimedOutError,
  WorkflowContinuedAsNewError,
  UnavailableError,
  DeadlineExceededError,
  CancelledError,
  PermissionDeniedError,
  RpcError,
  InternalError,
  QueryFailedError,
  QueryRejectedError,
  UpdateFailedError,
  CodecError,
  LibraryLoadError,
  AbiVersionError,
  STATUS_CLASSES,
  errorFromStatus,
  cancelledError,
};
