'use strict';

// The C ABI of libtemporal_bridge, through koffi.
//
// Everything that touches the library is in this file:
//   - finding and loading the shared library, and checking tb_abi_version();
//   - the async calls (tb_client_connect_async, tb_client_call_async, the
//     named tb_workflow_*_async), whose callbacks the library calls later on
//     one of its own threads;
//   - cancel tokens for AbortSignals;
//   - the status → error mapping (errors.js does the classes).
//
// Callbacks from library threads. A JS function can only run on the main
// thread. koffi.register() gives a C function pointer whose trampoline, when
// called on another thread, hands the call to the main thread (a N-API
// thread-safe function) and blocks the calling thread until the JS function
// has returned. So the strings the library lends to the callback stay valid
// while koffi copies them into JS strings, as the header requires. The
// library's callback threads are a pool of at most four, so at most four of
// them wait at a time, however many calls are in flight; the calls
// themselves run on the library's runtime and never wait for JS.
//
// Two callbacks are registered, once, for the life of the process (koffi has
// a limited number of registered callback slots, so not one per call): every
// call passes a numeric id as its user_data, and the callback looks the call
// up in `pending`. An id is removed when its callback ran; nothing else ever
// frees what a callback uses, so no callback can reach freed state (the
// library also promises that each callback fires exactly once, even when the
// client is freed meanwhile: the call then ends with TB_STATUS_CANCELLED).
//
// Keeping Node alive. koffi's bridge to the main thread does not keep the
// event loop alive, so while any call is in flight a (ref'd) timer does:
// otherwise Node could exit with a result wait pending and its callback
// would never run.

const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');
const errors = require('./errors');

/** The ABI version this package was written for (TB_ABI_VERSION_MAJOR/MINOR of the header). */
const ABI_MAJOR = 1;
const ABI_MINOR = 0;
const ABI_VERSION = `${ABI_MAJOR}.${ABI_MINOR}`;

const ENV_VAR = 'TEMPORAL_BRIDGE_LIBRARY';
/** Where the library is when this package sits in the repository (node/): cargo's debug build. */
const DEFAULT_LIBRARY = path.resolve(__dirname, '..', '..', 'target', 'debug', 'libtemporal_bridge.so');

const STATUS_OK = 0;
const STATUS_CANCELLED = 11;

// Types are declared once per process (koffi's type names are global).
const TbClient = koffi.opaque('TbClient');
const TbCancelToken = koffi.opaque('TbCancelToken');
// user_data is `void *` in C; declaring it uintptr_t lets a plain number (the
// call's id) go through unchanged. Same size and passing convention.
const TbConnectCallback = koffi.proto(
  'void TbConnectCallback(uintptr_t user_data, uint32_t status, TbClient *client, const char *error_json)',
);
const TbCallCallback = koffi.proto(
  'void TbCallCallback(uintptr_t user_data, uint32_t status, const char *response_json, const char *error_json)',
);

/** Operation name → the named async C function that runs it. */
const NAMED_ASYNC = Object.freeze({
  start_workflow: 'tb_workflow_start_async',
  get_workflow_result: 'tb_workflow_get_result_async',
  cancel_workflow: 'tb_workflow_cancel_async',
  terminate_workflow: 'tb_workflow_terminate_async',
  describe_workflow: 'tb_workflow_describe_async',
  signal_workflow: 'tb_workflow_signal_async',
  query_workflow: 'tb_workflow_query_async',
});

/**
 * Checks an ABI version number as tb_abi_version() returns it, `(major << 16)
 * | minor`: the major must be this package's and the minor at least its own.
 * Throws AbiVersionError; returns "major.minor" when it fits.
 */
function checkAbiVersion(version, libraryPath = '(given version)') {
  if (!Number.isInteger(version) || version < 0 || version > 0xffffffff) {
    throw new errors.AbiVersionError(
      `${libraryPath} reports an ABI version that is not a 32-bit number (${version}); ` +
        `this package needs ABI ${ABI_VERSION}`,
      { path: libraryPath, libraryVersion: String(version), requiredVersion: ABI_VERSION },
    );
  }
  const major = version >>> 16;
  const minor = version & 0xffff;
  const found = `${major}.${minor}`;
  if (major !== ABI_MAJOR || minor < ABI_MINOR) {
    const why =
      major !== ABI_MAJOR
        ? `its major version differs (a major release may change anything)`
        : `its minor version is older (it lacks what ${ABI_VERSION} added)`;
    throw new errors.AbiVersionError(
      `${libraryPath} has temporal-bridge ABI ${found}, but this package needs ABI ${ABI_MAJOR}.x with ` +
        `x >= ${ABI_MINOR}: ${why}. Point ${ENV_VAR} at a matching libtemporal_bridge.so.`,
      { path: libraryPath, libraryVersion: found, requiredVersion: ABI_VERSION },
    );
  }
  return found;
}

/** The library path: $TEMPORAL_BRIDGE_LIBRARY, else this repository's debug build. */
function libraryPath() {
  const fromEnv = process.env[ENV_VAR];
  return fromEnv ? path.resolve(fromEnv) : DEFAULT_LIBRARY;
}

/**
 * Loads the library at `file` and binds its functions. Throws
 * LibraryLoadError (missing, unloadable, not this library) or
 * AbiVersionError. Does not touch the process-wide binding (see `native()`).
 */
function loadLibrary(file) {
  const hint = `set ${ENV_VAR} to the path of libtemporal_bridge.so (build it with \`cargo build -p temporal-bridge-ffi\`)`;
  if (!fs.existsSync(file)) {
    const from = process.env[ENV_VAR] ? `${ENV_VAR}=${process.env[ENV_VAR]}` : `the default, as ${ENV_VAR} is not set`;
    throw new errors.LibraryLoadError(`temporal-bridge library not found at ${file} (${from}); ${hint}`, {
      path: file,
    });
  }
  let lib;
  try {
    lib = koffi.load(file);
  } catch (err) {
    throw new errors.LibraryLoadError(`cannot load the temporal-bridge library ${file}: ${err.message}; ${hint}`, {
      path: file,
      cause: err,
    });
  }
  let abiVersion;
  try {
    abiVersion = lib.func('uint32_t tb_abi_version(void)');
  } catch (err) {
    lib.unload?.();
    throw new errors.LibraryLoadError(
      `${file} is not a temporal-bridge library with an ABI version (no tb_abi_version: ${err.message}); ${hint}`,
      { path: file, cause: err },
    );
  }
  const abi = checkAbiVersion(abiVersion(), file);

  const callFn = (name) =>
    lib.func(name, 'uint32_t', [
      koffi.pointer(TbClient),
      'const char *',
      koffi.pointer(TbCancelToken),
      koffi.pointer(TbCallCallback),
      'uintptr_t',
    ]);
  const named = {};
  for (const [operation, fn] of Object.entries(NAMED_ASYNC)) named[operation] = callFn(fn);

  return {
    path: file,
    abi,
    version: lib.func('const char *tb_version(void)')(),
    statusName: lib.func('const char *tb_status_name(uint32_t status)'),
    connectAsync: lib.func('tb_client_connect_async', 'uint32_t', [
      'const char *',
      koffi.pointer(TbConnectCallback),
      'uintptr_t',
    ]),
    callAsync: lib.func('tb_client_call_async', 'uint32_t', [
      koffi.pointer(TbClient),
      'const char *',
      'const char *',
      koffi.pointer(TbCancelToken),
      koffi.pointer(TbCallCallback),
      'uintptr_t',
    ]),
    named,
    clientClose: lib.func('tb_client_close', 'void', [koffi.pointer(TbClient)]),
    clientFree: lib.func('tb_client_free', 'void', [koffi.pointer(TbClient)]),
    tokenNew: lib.func('tb_cancel_token_new', koffi.pointer(TbCancelToken), []),
    tokenCancel: lib.func('tb_cancel_token_cancel', 'void', [koffi.pointer(TbCancelToken)]),
    tokenFree: lib.func('tb_cancel_token_free', 'void', [koffi.pointer(TbCancelToken)]),
    // Strings the library hands out through output parameters are freed with
    // tb_string_free. The async calls only lend strings to callbacks (koffi
    // copies them), so the binding needs it only for the blocking,
    // non-network tb_config_resolve (see resolveConfig).
    configResolve: lib.func('tb_config_resolve', 'uint32_t', [
      'const char *',
      koffi.out(koffi.pointer('void *')),
      koffi.out(koffi.pointer('void *')),
    ]),
    stringFree: lib.func('tb_string_free', 'void', ['void *']),
  };
}

let binding = null;
let callbacks = null;

/** The process-wide binding, loaded on first use. Throws LibraryLoadError / AbiVersionError. */
function native() {
  if (binding === null) {
    binding = loadLibrary(libraryPath());
    callbacks = {
      connect: koffi.register(onConnect, koffi.pointer(TbConnectCallback)),
      call: koffi.register(onCall, koffi.pointer(TbCallCallback)),
    };
  }
  return binding;
}

// ---- AbortSignals ------------------------------------------------------

// One 'abort' listener per signal, however many calls share it (one signal
// for a batch of calls is common; a listener per call would trip Node's
// MaxListenersExceededWarning past ten): signal → the calls' abort actions.
const watched = new WeakMap();

/**
 * Runs `onAbort` when `signal` aborts (now, if it has); returns the function
 * that stops watching, called when the call ended.
 */
function watch(signal, onAbort) {
  if (signal.aborted) {
    onAbort();
    return () => {};
  }
  let actions = watched.get(signal);
  if (actions === undefined) {
    actions = new Set();
    const fire = () => {
      watched.delete(signal);
      for (const action of actions) action();
    };
    actions.fire = fire;
    watched.set(signal, actions);
    signal.addEventListener('abort', fire, { once: true });
  }
  actions.add(onAbort);
  return () => {
    actions.delete(onAbort);
    if (actions.size === 0 && watched.get(signal) === actions) {
      watched.delete(signal);
      signal.removeEventListener('abort', actions.fire);
    }
  };
}

// ---- calls in flight ----------------------------------------------------

/** id → {resolve, reject, cleanup, signal?, owner?, aborted?}: the calls whose callback has not run yet. */
const pending = new Map();
let nextId = 1;
let keepAlive = null;

function track(id, entry) {
  pending.set(id, entry);
  if (keepAlive === null) keepAlive = setInterval(() => {}, 1 << 30);
}

function untrack(id) {
  const entry = pending.get(id);
  pending.delete(id);
  if (pending.size === 0 && keepAlive !== null) {
    clearInterval(keepAlive);
    keepAlive = null;
  }
  return entry;
}

/** Runs on the main thread, relayed by koffi from a library thread. Must not throw. */
function onConnect(id, status, client, errorJson) {
  const entry = untrack(id);
  if (entry === undefined) return;
  try {
    entry.cleanup();
    if (status === STATUS_OK) {
      if (entry.aborted) binding.clientFree(client);
      else entry.resolve(client);
    } else if (!entry.aborted) {
      entry.reject(errors.errorFromStatus(status, errorJson));
    }
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}

/** Runs on the main thread, relayed by koffi from a library thread. Must not throw. */
function onCall(id, status, responseJson, errorJson) {
  const entry = untrack(id);
  if (entry === undefined) return;
  try {
    entry.cleanup();
    if (status === STATUS_OK) {
      let response;
      try {
        response = JSON.parse(responseJson);
      } catch (err) {
        entry.reject(
          new errors.InternalError(`the library answered with invalid JSON: ${err.message}`, {
            kind: 'internal',
            status: 14,
          }),
        );
        return;
      }
      entry.resolve(response);
    } else {
      const cause = status === STATUS_CANCELLED && entry.signal?.aborted ? entry.signal.reason : undefined;
      entry.reject(errors.errorFromStatus(status, errorJson, cause));
    }
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}

function refused(fn, status) {
  const name = binding.statusName(status);
  return errors.errorFromStatus(
    status,
    JSON.stringify({ kind: name, message: `${fn} refused the call (${name})`, details: {} }),
  );
}

/**
 * tb_client_connect_async: resolves to the new client pointer. An aborted
 * connect rejects at once (connect takes no cancel token); the client that
 * may still arrive later is freed on arrival.
 */
function connect(optionsJson, signal) {
  const lib = native();
  return new Promise((resolve, reject) => {
    const id = nextId++;
    const entry = { resolve, reject, aborted: false, cleanup: () => {} };
    track(id, entry);
    let status;
    try {
      status = lib.connectAsync(optionsJson, callbacks.connect, id);
    } catch (err) {
      untrack(id);
      reject(err);
      return;
    }
    if (status !== STATUS_OK) {
      untrack(id);
      reject(refused('tb_client_connect_async', status));
      return;
    }
    if (signal) {
      entry.cleanup = watch(signal, () => {
        entry.aborted = true;
        reject(errors.cancelledError('connect was aborted', signal.reason));
      });
    }
  });
}

/**
 * One async call: `operation`'s named tb_workflow_*_async function when it
 * has one, else tb_client_call_async. Resolves to the parsed response. With
 * a signal, a cancel token is made for the call, cancelled when the signal
 * aborts, and freed once the callback ran; the call then rejects with the
 * library's CancelledError (cause: the signal's reason).
 */
function call(clientPtr, operation, requestJson, signal, owner) {
  const lib = native();
  return new Promise((resolve, reject) => {
    const id = nextId++;
    let token = null;
    let unwatch = null;
    if (signal) {
      token = lib.tokenNew();
      // Already aborted: cancelled before the call, which the library then
      // fails at once with its cancelled error.
      unwatch = watch(signal, () => lib.tokenCancel(token));
    }
    const entry = {
      resolve,
      reject,
      signal,
      owner, // keeps the Client (and so its pointer) alive while the call runs
      cleanup: () => {
        // Stop watching first: an abort from now on must not reach the freed token.
        if (unwatch !== null) unwatch();
        if (token !== null) lib.tokenFree(token);
        token = null;
        unwatch = null;
      },
    };
    track(id, entry);
    const named = lib.named[operation];
    let status;
    try {
      status = named
        ? named(clientPtr, requestJson, token, callbacks.call, id)
        : lib.callAsync(clientPtr, operation, requestJson, token, callbacks.call, id);
    } catch (err) {
      // koffi refused the arguments: the library never saw the call.
      untrack(id);
      entry.cleanup();
      reject(err);
      return;
    }
    if (status !== STATUS_OK) {
      untrack(id);
      entry.cleanup();
      reject(refused(named ? NAMED_ASYNC[operation] : 'tb_client_call_async', status));
    }
  });
}

/** How many calls are in flight (for tests). */
function pendingCount() {
  return pending.size;
}

/**
 * tb_config_resolve: the configuration profile connect would use when given
 * no target, secrets redacted. Blocking but local (files and environment
 * only). The one place the binding owns library strings: both output
 * parameters are freed with tb_string_free.
 */
function resolveConfig(optionsJson) {
  const lib = native();
  const response = [null];
  const error = [null];
  const status = lib.configResolve(optionsJson, response, error);
  try {
    if (status === STATUS_OK) return JSON.parse(koffi.decode(response[0], 'char', -1));
    const errorJson = error[0] ? koffi.decode(error[0], 'char', -1) : null;
    throw errors.errorFromStatus(status, errorJson);
  } finally {
    lib.stringFree(response[0]);
    lib.stringFree(error[0]);
  }
}

module.exports = {
  ABI_MAJOR,
  ABI_MINOR,
  ABI_VERSION,
  ENV_VAR,
  DEFAULT_LIBRARY,
  checkAbiVersion,
  libraryPath,
  loadLibrary,
  native,
  connect,
  call,
  pendingCount,
  resolveConfig,
};
