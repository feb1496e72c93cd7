/*
 * temporal_bridge.h: C ABI of temporal-bridge, a Temporal client.
 *
 * Start workflows by type name, wait for their results (from any process,
 * knowing only the workflow ID), cancel, terminate, describe, signal, query
 * and update them, list them, complete activities and run batch jobs, on a
 * real Temporal server. Each operation has a generic form by name
 * (tb_client_call) and a named shorthand (tb_workflow_start, ...), both
 * blocking and async. Requests and responses are JSON text (UTF-8); the
 * request fields are those of the core's JSON contract and are checked
 * strictly (unknown fields, wrong types and missing fields are errors that
 * name the field).
 *
 * Ownership
 *   - Handles: a TbClient from tb_client_connect[_async] is freed with
 *     tb_client_free; a TbCancelToken from tb_cancel_token_new with
 *     tb_cancel_token_free; a TbWorker with tb_worker_free, a TbActivityTask
 *     with tb_activity_task_free. Every free function accepts NULL.
 *   - Strings returned through output parameters (response_out, error_out)
 *     belong to the caller: free each with tb_string_free (accepts NULL).
 *     Output parameters are written only by the outcome they report: the
 *     response on success, the error object on failure; the other one is
 *     left untouched, so initialise both to NULL. Passing NULL for
 *     response_out or error_out discards that string.
 *   - Strings passed to callbacks are lent: valid until the callback
 *     returns; do not free them, copy what you need.
 *   - Bytes returned through a TbBytes output (tb_rpc_call_bytes) belong
 *     to the caller: free them with tb_bytes_free.
 *   - tb_version() and tb_status_name() return static strings.
 *   - Input strings are only read during the call (async calls copy them
 *     before returning), so they may be freed as soon as the call returns.
 *
 * Thread safety
 *   - Every function may be called from any thread. A TbClient is shared:
 *     any number of threads may run calls on one client at once. A
 *     TbCancelToken may be cancelled from any thread while calls that use it
 *     run on others.
 *   - Blocking calls (tb_client_call and the named functions without
 *     _async) block only the calling thread, which drives the call itself
 *     on the one runtime the library shares between all clients.
 *   - Async calls (*_async) return at once and call their callback exactly
 *     once, later, from a library thread: never from inside the *_async
 *     function, never twice, whatever happens (errors, cancellation, client
 *     freed). user_data must be usable from that thread.
 *   - Callbacks run on a small pool of library threads (at most four per
 *     process, started as needed), one callback at a time per thread, so
 *     any number of async calls costs the process only those few threads.
 *     A callback that blocks holds up the callbacks queued behind it (never
 *     the calls themselves): keep them short, or hand the work to your own
 *     threads. Callbacks may call any function of this library, blocking
 *     calls included, but must not wait for another callback to run (it may
 *     be queued behind the waiting one). They must return normally (no C++
 *     exception or longjmp out of them).
 *   - Cancelling a call: pass a TbCancelToken and cancel it (from any
 *     thread): the call ends promptly with TB_STATUS_CANCELLED. Closing or
 *     freeing the client ends all its calls in flight the same way (each
 *     async callback still fires once). Abandoning a call never touches the
 *     workflow; tb_workflow_cancel cancels a workflow.
 *   - A client may be freed while calls run on it (they hold their own
 *     reference), but not while another thread may still *start* a call with
 *     that pointer.
 *   - After fork(), a client made before the fork fails in the child with
 *     TB_STATUS_INVALID_ARGUMENT: connect a new one there.
 *
 * Activity workers
 *   A TbWorker (tb_worker_new, freed with tb_worker_free) polls one task
 *   queue and calls the TbActivityCallback registered for each task's
 *   activity type, on a library thread of its own per running task (up to
 *   the worker's max_concurrent), which may block. The callback owns the
 *   TbActivityTask it gets: it answers it (tb_activity_task_answer) and
 *   frees it (tb_activity_task_free), there or later on any thread, e.g.
 *   after handing the task to a thread pool; a task freed unanswered
 *   fails. Every tb_activity_task_* function may be called on a task from
 *   any thread, concurrently. tb_activity_task_info's JSON is lent until the
 *   task is freed. Registered user_data is released through its release
 *   callback once the worker is freed and no task of that type runs.
 *   tb_worker_shutdown returns at once (any thread, callbacks included);
 *   tb_worker_wait and tb_worker_free wait for the end and must not be
 *   called from an activity callback.
 *
 * Errors
 *   Every call returns a TbStatus: TB_STATUS_OK (0) or the kind of error,
 *   with fixed values that are never reused. The error itself is a JSON
 *   object {"kind": "...", "message": "...", "details": {...}} whose kind is
 *   tb_status_name(status), e.g. "not_found", "workflow_canceled",
 *   "cancelled"; details carry what a caller needs (gRPC code, run IDs,
 *   failure chain, the offending "field" or "argument"). NULL pointers,
 *   invalid UTF-8, malformed JSON, unknown fields and wrong types are all
 *   TB_STATUS_INVALID_ARGUMENT. A panic inside the library never crosses
 *   into C: it becomes TB_STATUS_INTERNAL.
 *
 * Example
 *   TbClient *client = NULL;
 *   char *response = NULL, *error = NULL;
 *   if (tb_client_connect("{\"target\": \"127.0.0.1:7233\"}", &client, &error) == TB_STATUS_OK &&
 *       tb_workflow_start(client, "{\"workflow_type\": \"MySimpleWorkflow\", \"task_queue\": \"q\","
 *                                 " \"workflow_id\": \"w1\", \"args\": [\"World\"]}",
 *                         NULL, NULL, &error) == TB_STATUS_OK &&
 *       tb_workflow_get_result(client, "{\"workflow_id\": \"w1\"}", NULL, &response, &error) == TB_STATUS_OK)
 *     printf("%s\n", response);   // {"workflow_id":"w1","run_id":...,"result":"Hello, World!"}
 *   else
 *     fprintf(stderr, "%s\n", error);
 *   tb_string_free(response);
 *   tb_string_free(error);
 *   tb_client_free(client);
 *
 * Linking: pkg-config --cflags --libs temporal_bridge, or in CMake
 *   find_package(temporal_bridge CONFIG REQUIRED) and
 *   target_link_libraries(app PRIVATE temporal_bridge::temporal_bridge).
 */


#ifndef TEMPORAL_BRIDGE_H
#define TEMPORAL_BRIDGE_H

/* Generated by cbindgen from ffi/src; do not edit by hand. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * The ABI major version this header was generated for (see
 * `tb_abi_version`).
 */
#define TB_ABI_VERSION_MAJOR 1

/**
 * The ABI minor version this header was generated for.
 */
#define TB_ABI_VERSION_MINOR 0

/**
 * Outcome of a call. `TB_STATUS_OK` is 0; every other value names the error
 * kind of the JSON error object delivered with it. The type is 32 bits wide
 * in C and C++. New kinds get new values; a value is never reused.
 */
enum TbStatus
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * Success.
   */
  TB_STATUS_OK = 0,
  /**
   * The request was malformed: a NULL or non-UTF-8 argument, bad JSON, an
   * unknown field, a wrong type, a bad value, an unknown operation.
   */
  TB_STATUS_INVALID_ARGUMENT = 1,
  /**
   * The workflow (or namespace, or other entity) does not exist.
   */
  TB_STATUS_NOT_FOUND = 2,
  /**
   * A workflow with this ID is already running (details carry its `run_id`).
   */
  TB_STATUS_ALREADY_STARTED = 3,
  /**
   * The workflow closed as failed (details carry the failure chain).
   */
  TB_STATUS_WORKFLOW_FAILED = 4,
  /**
   * The workflow closed as canceled (details carry the cancellation details).
   */
  TB_STATUS_WORKFLOW_CANCELED = 5,
  /**
   * The workflow was terminated.
   */
  TB_STATUS_WORKFLOW_TERMINATED = 6,
  /**
   * The workflow timed out.
   */
  TB_STATUS_WORKFLOW_TIMED_OUT = 7,
  /**
   * The run continued as new and the request asked not to follow runs.
   */
  TB_STATUS_WORKFLOW_CONTINUED_AS_NEW = 8,
  /**
   * The server could not be reached, or stayed unavailable past the retries.
   */
  TB_STATUS_UNAVAILABLE = 9,
  /**
   * The call's deadline (`call_timeout`) passed before it finished.
   */
  TB_STATUS_DEADLINE_EXCEEDED = 10,
  /**
   * The call was abandoned: its cancel token was cancelled, or its client
   * was closed or freed. The workflow itself is untouched.
   */
  TB_STATUS_CANCELLED = 11,
  /**
   * The server refused the call for lack of permission or credentials.
   */
  TB_STATUS_PERMISSION_DENIED = 12,
  /**
   * Any other gRPC failure; details carry the gRPC code.
   */
  TB_STATUS_RPC = 13,
  /**
   * A bug inside the library (e.g. a caught panic). Please report it.
   */
  TB_STATUS_INTERNAL = 14,
  /**
   * A query reached the workflow but failed there (no handler for the
   * query type, or the handler raised); details carry the `failure` chain.
   */
  TB_STATUS_QUERY_FAILED = 15,
  /**
   * A query was not run because of its reject condition; details carry
   * the workflow's `status`.
   */
  TB_STATUS_QUERY_REJECTED = 16,
  /**
   * An update was rejected (validator, or no handler) or its handler
   * failed; details carry the `failure` chain and the `update_id`.
   */
  TB_STATUS_UPDATE_FAILED = 17,
  /**
   * The payload codec (in process or a codec server) failed or answered
   * with the wrong number of payloads; details carry the `direction`, the
   * `call` and the number of `payloads`. Nothing was sent when encoding
   * failed.
   */
  TB_STATUS_CODEC = 18,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum TbStatus TbStatus;
#else
typedef uint32_t TbStatus;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * One activity task (opaque), owned by whoever got it from a callback.
 * Every `tb_activity_task_*` function may be called on it from any thread,
 * concurrently, until `tb_activity_task_free`.
 */
typedef struct TbActivityTask TbActivityTask;

/**
 * A cancellation token (opaque). Create with `tb_cancel_token_new`, free
 * with `tb_cancel_token_free`. Thread-safe: cancel it from any thread while
 * calls that use it run on others.
 */
typedef struct TbCancelToken TbCancelToken;

/**
 * A connected client (opaque). Create with `tb_client_connect`, free with
 * `tb_client_free`. Thread-safe: any number of threads may make calls on one
 * client at the same time.
 */
typedef struct TbClient TbClient;

/**
 * Where a codec callback puts its answer (opaque; valid only during the
 * callback). Answer with exactly one of `tb_codec_reply_payloads` or
 * `tb_codec_reply_error`.
 */
typedef struct TbCodecReply TbCodecReply;

/**
 * An activity worker (opaque). Create with `tb_worker_new`, register
 * callbacks with `tb_worker_register`, start with `tb_worker_start`, stop
 * with `tb_worker_shutdown`, free with `tb_worker_free`. Thread-safe.
 */
typedef struct TbWorker TbWorker;

/**
 * Receives the outcome of `tb_client_connect_async`, exactly once, on a
 * library thread.
 *
 * On success `client` is a new client owned by the callee (free it with
 * `tb_client_free`) and `error_json` NULL; on failure `client` is NULL and
 * `error_json` the JSON error object, lent until the callback returns.
 */
typedef void (*TbConnectCallback)(void *user_data,
                                  TbStatus status,
                                  TbClient *client,
                                  const char *error_json);

/**
 * Receives the outcome of an async call, exactly once, on a library thread.
 *
 * On success `status` is `TB_STATUS_OK`, `response_json` the response and
 * `error_json` NULL; on failure `response_json` is NULL and `error_json` the
 * JSON error object. Both strings are lent: they are valid only until the
 * callback returns and must not be freed; copy what you need.
 */
typedef void (*TbCallCallback)(void *user_data,
                               TbStatus status,
                               const char *response_json,
                               const char *error_json);

/**
 * Encodes or decodes the payloads of one message.
 *
 * `payloads_json` is `{"payloads": [{"metadata": {"name": "<base64>"},
 * "data": "<base64>"}, ...]}` (the codec server protocol's body, the
 * protobuf JSON of `temporal.api.common.v1.Payloads`); `call` names the
 * RPC (e.g. `"StartWorkflowExecution"`). Both are lent until the callback
 * returns. Before returning, the callback answers through `reply` with
 * `tb_codec_reply_payloads` (as many payloads, same order, same JSON
 * form) or `tb_codec_reply_error`. A decode callback should return
 * payloads it does not recognise unchanged.
 *
 * Called on library threads, never on the thread that made the call, and
 * concurrently for concurrent calls: the callbacks and their `user_data`
 * must be thread-safe. A callback may block (it runs on a thread of its
 * own), but must not wait for a call on a client that uses this codec.
 */
typedef void (*TbCodecCallback)(void *user_data,
                                const char *call,
                                const char *payloads_json,
                                TbCodecReply *reply);

/**
 * A payload codec in C, given to `tb_client_connect_with_codec`: every
 * payload the client sends goes through `encode`, every payload it
 * receives through `decode` (search attributes and headers never; memos
 * only with `"codec": {"include_memo": true}` in the connect options).
 */
typedef struct {
  /**
   * Required.
   */
  TbCodecCallback encode;
  /**
   * Required.
   */
  TbCodecCallback decode;
  /**
   * Passed to every callback untouched.
   */
  void *user_data;
  /**
   * Called once per connect that accepted the codec, with `user_data`,
   * when the client made by that connect is freed and its calls (and
   * callbacks) have ended, or when that connect failed; NULL for none.
   * Each connect takes its own copy: connecting twice with one codec
   * means two calls. Runs on the thread that freed the client or on a
   * library thread.
   */
  void (*release)(void *user_data);
} TbPayloadCodec;

/**
 * Runs one activity task. Called once per task of the activity type it was
 * registered for, on a library thread of its own that may block (a thread
 * per running task, up to the worker's `max_concurrent`), concurrently with
 * other tasks: the callback and its `user_data` must be thread-safe.
 *
 * The callback owns `task`. Answer it (`tb_activity_task_answer` or
 * `tb_activity_task_complete`) and free it (`tb_activity_task_free`), in
 * that order, before returning or later from any thread — e.g. hand the
 * task to a thread pool and return at once. A task freed unanswered fails
 * (`"HandlerReleasedTask"`). A callback must not wait for the worker to
 * shut down (`tb_worker_free`) or a blocking call on a client that uses a
 * codec whose callbacks wait for this one.
 */
typedef void (*TbActivityCallback)(void *user_data, TbActivityTask *task);

/**
 * Called once with `user_data` when the worker no longer needs it (the
 * worker was freed and its last task of this type ended), on the thread
 * that freed the worker or on a library thread. NULL for none.
 */
typedef void (*TbReleaseCallback)(void *user_data);

/**
 * Bytes the library hands to C (`tb_rpc_call_bytes`'s response). Free with
 * `tb_bytes_free`. An empty buffer may have a NULL `data`.
 */
typedef struct {
  /**
   * The first byte (NULL when `len` is 0).
   */
  uint8_t *data;
  /**
   * How many bytes.
   */
  size_t len;
} TbBytes;

/**
 * Receives one measurement, on the library thread that made it (any
 * thread, several at once): it must be quick, must not block, and must not
 * call back into the library. `name` is the metric's name, prefix included
 * (`"temporal_request"`); `kind` 1 counter (add `value`), 2 histogram (one
 * observation `value`), 3 gauge (the current level is `value`); `unit`
 * `"ms"` for latencies, else `""`; `labels_json` the series' labels as a
 * JSON object of strings (`namespace`, `operation`, `status_code`,
 * `task_queue`, `service_name`, the global tags...). The strings are lent
 * until the callback returns.
 */
typedef void (*TbMetricCallback)(void *user_data,
                                 const char *name,
                                 uint32_t kind,
                                 double value,
                                 const char *unit,
                                 const char *labels_json);

/**
 * Receives one log record, on the library's log thread (one record at a
 * time, in order). `level`: 1 error, 2 warn, 3 info, 4 debug, 5 trace;
 * `target` where it comes from (`"temporal_bridge::client"`,
 * `"temporal_bridge::transport"`); `message` what happened; `fields_json`
 * what it is about as a JSON object (`operation`, `attempt`,
 * `status_code`, `cause`, `target`...); `unix_ms` when. The strings are
 * lent until the callback returns. Records never hold secrets or payload
 * contents. The callback may block (records then queue, and past a
 * thousand are dropped and counted), but must not call `tb_log_configure`.
 */
typedef void (*TbLogCallback)(void *user_data,
                              uint32_t level,
                              const char *target,
                              const char *message,
                              const char *fields_json,
                              int64_t unix_ms);

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * Connects to a Temporal server and checks that it answers.
 *
 * `options_json` is the core's connect options object, e.g.
 * `{"target": "127.0.0.1:7233", "namespace": "default"}`; other fields:
 * `identity`, `headers` (object of strings), `api_key`, `tls` (`true`, or
 * `{"server_root_ca_cert", "domain", "client_cert", "client_private_key",
 * "disable_host_verification"}` as PEM text), `rpc_timeout`,
 * `connect_timeout`, `retry`, `keepalive` (`false`, or `{"interval",
 * "timeout"}`), `http_connect_proxy` (`{"target": "host:port",
 * "basic_auth"?: {"username", "password"}}`), `lazy` (return at once; the
 * first call connects), `compression` (`"gzip"`), `codec` (a codec server
 * every payload goes through: `{"endpoint": "https://...", "auth"?,
 * "headers"?, "timeout"?, "tls"?}`; and for any codec, a C one included,
 * `"include_memo"` and `"encode_failure_attributes"`). Header names ending
 * in `-bin` are binary metadata, their values base64. Unknown fields are
 * errors.
 *
 * Without `target` (e.g. `"{}"`), or with `"profile"` or `"config_file"`,
 * the client configuration is loaded first — the TOML profiles file
 * (`config_file`, else `TEMPORAL_CONFIG_FILE`, else
 * `~/.config/temporalio/temporal.toml`), profile `profile` (else
 * `TEMPORAL_PROFILE`, else `default`), `TEMPORAL_*` variables on top — and
 * the fields given here override it; `"config_strict": true` rejects
 * unknown keys in the file. `tb_config_resolve` shows what it resolves to.
 *
 * On success writes a new client to `*client_out` (required; free it with
 * `tb_client_free`). On failure writes the JSON error object to
 * `*error_out` unless `error_out` is NULL. Blocks for at most the connect
 * timeout (default 10 s).
 */
TbStatus tb_client_connect(const char *options_json, TbClient **client_out, char **error_out);

/**
 * Async form of `tb_client_connect`: returns at once and calls `callback`
 * exactly once, later, from a library thread (never from inside this
 * function), with the new client or the error. `options_json` is copied
 * before this returns. `user_data` is passed through untouched.
 *
 * Returns `TB_STATUS_OK` when the callback is scheduled. Any other status
 * means the callback will never be called: `TB_STATUS_INVALID_ARGUMENT` if
 * `callback` is NULL, `TB_STATUS_INTERNAL` if the library could not start
 * its runtime. Every other failure, bad options included, reaches the
 * callback.
 */
TbStatus tb_client_connect_async(const char *options_json,
                                 TbConnectCallback callback,
                                 void *user_data);

/**
 * Replaces the credentials of a live client (and of every call made on it
 * afterwards): `update_json` is `{"api_key"?: "new key" | null, "headers"?:
 * {"name": "value"}}` — a field left out keeps its value, `"api_key": null`
 * removes the key, `headers` replaces every extra header. Calls in flight
 * keep the set they started with, and their retries and re-polls (a result
 * wait) use the new one; no call ever sees half of an update. Invalid
 * values leave the old set in place. Thread-safe.
 *
 * On failure writes the JSON error object to `*error_out` (free with
 * `tb_string_free`; NULL to discard).
 */
TbStatus tb_client_update(const TbClient *client, const char *update_json, char **error_out);

/**
 * Closes the client: every call in flight on it ends promptly with
 * `TB_STATUS_CANCELLED`, and later calls fail the same way. Idempotent,
 * thread-safe, and safe while other threads are blocked in calls on the
 * client; the client must still be freed. NULL is ignored.
 */
void tb_client_close(const TbClient *client);

/**
 * Closes (see `tb_client_close`) and frees the client. Calls in flight,
 * blocking or async, end with `TB_STATUS_CANCELLED` (each async callback
 * still fires exactly once); they hold their own reference, so nothing they
 * use is freed under them. No call may *start* on the client once this is
 * called. NULL is ignored.
 */
void tb_client_free(TbClient *client);

/**
 * Runs one operation by name, blocking the calling thread until it ends.
 *
 * `operation` is a core operation name, e.g. `"start_workflow"`,
 * `"get_workflow_result"`, `"cancel_workflow"`, `"signal_workflow"`; an
 * unknown name gives `TB_STATUS_INVALID_ARGUMENT` listing the known ones.
 * The named functions (`tb_workflow_start`, `tb_activity_complete`,
 * `tb_batch_wait`, ...) are shorthands for this. `request_json` is that
 * operation's request object; every request also accepts `"call_timeout"`
 * (a duration such as `"5s"` or seconds as a number), the call's overall
 * deadline, retries included, and `"rpc_timeout"`, the timeout of each
 * attempt (instead of the client's `rpc_timeout`). `cancel` (may be NULL) abandons the call when cancelled from
 * another thread.
 *
 * On success writes the response JSON to `*response_out` (free it with
 * `tb_string_free`; pass NULL to discard it). On failure writes the JSON
 * error object to `*error_out` (free with `tb_string_free`; NULL to discard).
 * The other output parameter is left untouched.
 */
TbStatus tb_client_call(const TbClient *client,
                        const char *operation,
                        const char *request_json,
                        const TbCancelToken *cancel,
                        char **response_out,
                        char **error_out);

/**
 * Async form of `tb_client_call`: returns at once and calls `callback`
 * exactly once, later, from a library thread (never from inside this
 * function), with the response or the error. `operation` and `request_json`
 * are copied and the call holds its own reference to the client and token,
 * so all four may be freed as soon as this returns (freeing the client
 * cancels the call). `user_data` is passed through untouched.
 *
 * Returns `TB_STATUS_OK` when the callback is scheduled. Any other status
 * means the callback will never be called: `TB_STATUS_INVALID_ARGUMENT` if
 * `callback` is NULL, `TB_STATUS_INTERNAL` if the library could not start
 * its runtime. Every other failure, bad arguments included, reaches the
 * callback.
 */
TbStatus tb_client_call_async(const TbClient *client,
                              const char *operation,
                              const char *request_json,
                              const TbCancelToken *cancel,
                              TbCallCallback callback,
                              void *user_data);

/**
 * `tb_client_connect` with a payload codec written in C (see
 * `TbPayloadCodec`); `codec` is copied (required: for no codec, use
 * `tb_client_connect`). Exclusive with a codec server (`"codec":
 * {"endpoint": ...}` in the options). A callback that fails the codec, or
 * answers with the wrong number of payloads, fails the call with
 * `TB_STATUS_CODEC`; nothing is sent when encoding fails. Once the codec
 * is accepted (both callbacks non-NULL), `release` will be called, even
 * when connecting fails.
 */
TbStatus tb_client_connect_with_codec(const char *options_json,
                                      const TbPayloadCodec *codec,
                                      TbClient **client_out,
                                      char **error_out);

/**
 * Async form of `tb_client_connect_with_codec`, as `tb_client_connect_async`
 * is of `tb_client_connect`: returns at once and calls `callback` exactly
 * once, later, from a library thread. `codec` and `options_json` are copied
 * before this returns. A NULL `callback` gives `TB_STATUS_INVALID_ARGUMENT`
 * (and the codec is not accepted: `release` is not called); a NULL or
 * incomplete codec reaches the callback as `TB_STATUS_INVALID_ARGUMENT`.
 */
TbStatus tb_client_connect_with_codec_async(const char *options_json,
                                            const TbPayloadCodec *codec,
                                            TbConnectCallback callback,
                                            void *user_data);

/**
 * Answers a codec callback with its payloads, as JSON of the same form it
 * was given (copied before this returns). Only during the callback, once.
 * Returns `TB_STATUS_INVALID_ARGUMENT` for a NULL or non-UTF-8 argument or
 * a reply already answered (the answer then stays as it was).
 */
TbStatus tb_codec_reply_payloads(TbCodecReply *reply, const char *payloads_json);

/**
 * Answers a codec callback with a failure: `message` (copied) says why, and
 * becomes part of the call's `codec` error. Never put payload contents or
 * keys in it. Only during the callback, once; return values as for
 * `tb_codec_reply_payloads`.
 */
TbStatus tb_codec_reply_error(TbCodecReply *reply, const char *message);

/**
 * Makes an activity worker of `client` (which it keeps a reference to:
 * the client may be freed first, which closes it and so stops the worker).
 *
 * `options_json`: `{"task_queue": "..."}` (required) plus, all optional,
 * `"max_concurrent"` (tasks at once, default 100), `"pollers"` (long polls
 * at once, default 2), `"graceful_shutdown_timeout"` (how long running tasks
 * may go on after `tb_worker_shutdown` before they are cancelled; default
 * 0), `"cancel_grace"` (how long a cancelled task's callback may go on
 * before the worker gives up on it and answers for it; default `"10s"`),
 * `"default_heartbeat_throttle_interval"` (`"30s"`),
 * `"max_heartbeat_throttle_interval"` (`"60s"`), `"raw"` (arguments and
 * heartbeat details as raw payloads), `"max_tasks_per_second"` (the task
 * queue's dispatch rate, across its workers). Durations are seconds or
 * strings such as `"1.5s"`; unknown fields are errors.
 *
 * On success writes the worker to `*worker_out` (required); on failure
 * writes the JSON error object to `*error_out` unless it is NULL.
 */
TbStatus tb_worker_new(const TbClient *client,
                       const char *options_json,
                       TbWorker **worker_out,
                       char **error_out);

/**
 * Registers the callback that runs tasks of `activity_type` (copied), with
 * `user_data` passed to it untouched. Before `tb_worker_start` only; a type
 * registered twice is an error. Once registered (`TB_STATUS_OK`), `release`
 * will be called with `user_data` when the worker no longer needs it.
 */
TbStatus tb_worker_register(const TbWorker *worker,
                            const char *activity_type,
                            TbActivityCallback callback,
                            void *user_data,
                            TbReleaseCallback release,
                            char **error_out);

/**
 * Starts polling, in the background; returns at once. Fails when no
 * activity is registered or the worker was started before. The worker
 * runs until `tb_worker_shutdown` (or freeing it, or closing its client),
 * or until polling fails for good (e.g. the namespace does not exist;
 * `tb_worker_wait` then returns that error). A server that goes away
 * meanwhile is waited for: polls resume when it is back.
 */
TbStatus tb_worker_start(const TbWorker *worker, char **error_out);

/**
 * Asks the worker to shut down and returns at once: polling stops, running
 * tasks get `graceful_shutdown_timeout` to finish, then are cancelled
 * (reason `"worker_shutdown"`), and the worker gives up on those that have
 * not answered `cancel_grace` later. `tb_worker_wait` waits for the end.
 * Idempotent, thread-safe (also from a callback). NULL is ignored.
 */
void tb_worker_shutdown(const TbWorker *worker);

/**
 * Blocks until the worker stopped, at most `timeout_ms` milliseconds (a
 * negative value: no limit). Returns `TB_STATUS_OK` when it stopped after a
 * shutdown, the error of the polling that failed for good (with its JSON in
 * `*error_out`), `TB_STATUS_DEADLINE_EXCEEDED` when it still runs at the
 * limit, or `TB_STATUS_INVALID_ARGUMENT` when it was never started. Must not
 * be called from an activity callback (the worker waits for those).
 */
TbStatus tb_worker_wait(const TbWorker *worker, int64_t timeout_ms, char **error_out);

/**
 * What the worker did so far, as JSON: `{"tasks", "running", "completed",
 * "failed", "cancelled", "completing_async", "given_up", "heartbeats",
 * "rpc_errors", "last_error"}`. Writes it to `*stats_out` (free with
 * `tb_string_free`).
 */
TbStatus tb_worker_stats(const TbWorker *worker, char **stats_out, char **error_out);

/**
 * Shuts the worker down (as `tb_worker_shutdown`), waits until it stopped
 * (bounded by its grace periods), and frees it. Callbacks' `release` run
 * once the last task of their type has ended. Must not be called from an
 * activity callback. NULL is ignored.
 */
void tb_worker_free(TbWorker *worker);

/**
 * The task as JSON: `{"activity_type", "activity_id", "workflow_type",
 * "workflow_id", "run_id", "namespace", "workflow_namespace", "task_queue",
 * "task_token" (base64), "attempt" (from 1), "args" (JSON values; in raw
 * mode `"raw_args"`), "heartbeat_details" (of the last attempt; in raw
 * mode `"raw_heartbeat_details"`), "scheduled_time",
 * "current_attempt_scheduled_time", "started_time" (RFC 3339),
 * "schedule_to_close_timeout", "start_to_close_timeout",
 * "heartbeat_timeout" (seconds, or null)}`. Lent: valid until the task is
 * freed. NULL for a NULL task.
 */
const char *tb_activity_task_info(const TbActivityTask *task);

/**
 * Records progress: `details_json` is a JSON array of details (NULL: none),
 * copied. Returns at once; the worker sends at most one heartbeat per 0.8 ×
 * the heartbeat timeout, with the latest details, and the next attempt of
 * the activity sees the last details sent. A heartbeat's answer is how the
 * worker learns that the activity was cancelled.
 */
TbStatus tb_activity_task_heartbeat(const TbActivityTask *task,
                                    const char *details_json,
                                    char **error_out);

/**
 * Whether the task was cancelled; `tb_activity_task_cancel_reason` says
 * why. A cancelled task should stop, clean up, and answer
 * `{"cancelled": {...}}`. False for NULL.
 */
bool tb_activity_task_is_cancelled(const TbActivityTask *task);

/**
 * Why the task was cancelled, NULL while it is not (or for NULL):
 * `"cancel_requested"` (the workflow asked), `"not_found"` (the server no
 * longer knows the task: it timed out there, or its workflow ended),
 * `"timed_out"` (its start-to-close or schedule-to-close timeout passed),
 * `"paused"`, `"reset"` (by an operator), `"worker_shutdown"`. Static:
 * never free it.
 */
const char *tb_activity_task_cancel_reason(const TbActivityTask *task);

/**
 * Blocks until the task is cancelled or `timeout_ms` milliseconds passed
 * (negative: no limit); true when it was cancelled. For activities that
 * wait (e.g. "sleep" while heartbeating from another thread). False for
 * NULL.
 */
bool tb_activity_task_wait_cancelled(const TbActivityTask *task, int64_t timeout_ms);

/**
 * Whether the worker was asked to shut down (the task will be cancelled
 * when the grace period ends, unless it answers first). False for NULL.
 */
bool tb_activity_task_is_worker_shutting_down(const TbActivityTask *task);

/**
 * Answers the task (copied), once: exactly one of `{"result": <JSON
 * value>}`, `{"raw_result": {"metadata": {...}, "data": "<base64>"}}`,
 * `{"failure": {"message": "...", "type"?: "...", "non_retryable"?: bool,
 * "details"?: [...], "next_retry_delay"?: <duration>}}` (retried by the
 * activity's retry policy unless non-retryable), `{"cancelled":
 * {"details"?: [...]}}` (after a cancellation), or `{"complete_async":
 * true}` (the activity will be finished elsewhere with
 * `tb_activity_complete` and friends, by its `task_token`). Returns
 * `TB_STATUS_INVALID_ARGUMENT` for a malformed answer (the task stays
 * open: answer again), a second answer, or an answer after the worker gave
 * up on the task. The answer reaches the server in the background.
 */
TbStatus tb_activity_task_answer(const TbActivityTask *task,
                                 const char *answer_json,
                                 char **error_out);

/**
 * `tb_activity_task_answer` with `{"result": <result_json>}`:
 * `result_json` is the result as JSON text (NULL: no result).
 */
TbStatus tb_activity_task_complete(const TbActivityTask *task,
                                   const char *result_json,
                                   char **error_out);

/**
 * Frees a task handle. Answer first: a task freed unanswered fails with
 * type `"HandlerReleasedTask"`. NULL is ignored.
 */
void tb_activity_task_free(TbActivityTask *task);

/**
 * Starts a workflow by its type name. Request: `{"workflow_type",
 * "task_queue", "workflow_id"?, "args"?: [JSON values],
 * "execution_timeout"?, "run_timeout"?, "task_timeout"?,
 * "id_reuse_policy"?, "id_conflict_policy"?, "retry_policy"?, "memo"?,
 * "search_attributes"?, "start_delay"?, "cron_schedule"?, "request_id"?,
 * "raw_args"?, "start_signal"?, "start_signal_args"?: [JSON values],
 * "header"?, "trace_context"?}`.
 * With `start_signal` it is signal-with-start: the workflow is started
 * unless it runs already, and the signal is sent to it either way.
 * `header` (JSON values) and `trace_context` (`{"traceparent",
 * "tracestate"?, "baggage"?}`, written as the `_tracer-data` header the
 * SDKs' OpenTelemetry interceptors read) reach the worker's
 * interceptors; signal, query and update take them too.
 * Response: `{"workflow_id", "run_id", "started",
 * "first_execution_run_id"}` (`started` is false when `use_existing` or
 * signal-with-start found the workflow running; `first_execution_run_id`
 * is the guard a handle carries for cancel, terminate and updates: the
 * started run, or null when nothing was started). Errors include
 * `already_started`.
 *
 * Runs the `start_workflow` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_workflow_start(const TbClient *client,
                           const char *request_json,
                           const TbCancelToken *cancel,
                           char **response_out,
                           char **error_out);

/**
 * Async form of `tb_workflow_start`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_workflow_start_async(const TbClient *client,
                                 const char *request_json,
                                 const TbCancelToken *cancel,
                                 TbCallCallback callback,
                                 void *user_data);

/**
 * Waits for a workflow's outcome, from any process, knowing only its
 * ID. Request: `{"workflow_id", "run_id"?, "follow_runs"? (default
 * true), "raw"?, "decode"?}`. Response: `{"workflow_id", "run_id",
 * "result"}` (`"payloads"` instead of `"result"` in raw mode: as stored,
 * or through the client's payload codec with `"decode": true`). A workflow that did
 * not complete gives `workflow_failed`, `workflow_canceled`,
 * `workflow_terminated`, `workflow_timed_out` or
 * `workflow_continued_as_new`, with the details in the error. Waits as
 * long as the workflow runs unless `call_timeout` or a cancel token ends
 * the wait; abandoning the wait never affects the workflow.
 *
 * Runs the `get_workflow_result` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_workflow_get_result(const TbClient *client,
                                const char *request_json,
                                const TbCancelToken *cancel,
                                char **response_out,
                                char **error_out);

/**
 * Async form of `tb_workflow_get_result`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_workflow_get_result_async(const TbClient *client,
                                      const char *request_json,
                                      const TbCancelToken *cancel,
                                      TbCallCallback callback,
                                      void *user_data);

/**
 * Requests cancellation of a workflow execution; the workflow decides
 * how to react, and `get_workflow_result` then reports how it ended
 * (typically `workflow_canceled`). Request: `{"workflow_id", "run_id"?,
 * "first_execution_run_id"?, "reason"?, "request_id"?}`. Response: `{}`.
 * (To abandon a *call* instead, use a cancel token.)
 *
 * Runs the `cancel_workflow` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_workflow_cancel(const TbClient *client,
                            const char *request_json,
                            const TbCancelToken *cancel,
                            char **response_out,
                            char **error_out);

/**
 * Async form of `tb_workflow_cancel`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_workflow_cancel_async(const TbClient *client,
                                  const char *request_json,
                                  const TbCancelToken *cancel,
                                  TbCallCallback callback,
                                  void *user_data);

/**
 * Terminates a workflow execution at once, without running its
 * cleanup. Request: `{"workflow_id", "run_id"?,
 * "first_execution_run_id"?, "reason"?, "details"?: [JSON values]}`.
 * Response: `{}`.
 *
 * Runs the `terminate_workflow` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_workflow_terminate(const TbClient *client,
                               const char *request_json,
                               const TbCancelToken *cancel,
                               char **response_out,
                               char **error_out);

/**
 * Async form of `tb_workflow_terminate`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_workflow_terminate_async(const TbClient *client,
                                     const char *request_json,
                                     const TbCancelToken *cancel,
                                     TbCallCallback callback,
                                     void *user_data);

/**
 * Describes a workflow execution. Request: `{"workflow_id", "run_id"?,
 * "raw"?, "decode"?}`. Response: `{"workflow_id", "run_id", "workflow_type",
 * "status"` (e.g. `"running"`, `"completed"`, `"canceled"`),
 * `"task_queue", "start_time", "pending_activities", ...}`.
 *
 * Runs the `describe_workflow` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_workflow_describe(const TbClient *client,
                              const char *request_json,
                              const TbCancelToken *cancel,
                              char **response_out,
                              char **error_out);

/**
 * Async form of `tb_workflow_describe`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_workflow_describe_async(const TbClient *client,
                                    const char *request_json,
                                    const TbCancelToken *cancel,
                                    TbCallCallback callback,
                                    void *user_data);

/**
 * Resets a workflow: its run is terminated and a new run continues from
 * a completed workflow task of its history, running the workflow's
 * code again from there. Request: `{"workflow_id", "run_id"?,
 * "reset_type"? ("last_workflow_task", the default, or
 * "first_workflow_task") or "event_id"?, "reason"?, "request_id"?,
 * "reapply_signals"? (default true)}`. Response: `{"workflow_id",
 * "run_id"` (the new run), `"event_id"}` (the reset point).
 *
 * Runs the `reset_workflow` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_workflow_reset(const TbClient *client,
                           const char *request_json,
                           const TbCancelToken *cancel,
                           char **response_out,
                           char **error_out);

/**
 * Async form of `tb_workflow_reset`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_workflow_reset_async(const TbClient *client,
                                 const char *request_json,
                                 const TbCancelToken *cancel,
                                 TbCallCallback callback,
                                 void *user_data);

/**
 * Sends a signal to a workflow. Request: `{"workflow_id", "run_id"?,
 * "signal_name", "args"?: [JSON values], "raw_args"?, "request_id"?,
 * "header"?, "trace_context"?}`.
 * Response: `{}`.
 *
 * Runs the `signal_workflow` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_workflow_signal(const TbClient *client,
                            const char *request_json,
                            const TbCancelToken *cancel,
                            char **response_out,
                            char **error_out);

/**
 * Async form of `tb_workflow_signal`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_workflow_signal_async(const TbClient *client,
                                  const char *request_json,
                                  const TbCancelToken *cancel,
                                  TbCallCallback callback,
                                  void *user_data);

/**
 * Queries a workflow. Request: `{"workflow_id", "run_id"?,
 * "query_type", "args"?: [JSON values], "raw_args"?,
 * "reject_condition"?, "raw"?, "decode"?, "header"?, "trace_context"?}`.
 * Response: `{"result"}`
 * (`"payloads"` in raw mode, as stored unless `"decode": true`). Errors
 * include `query_failed` and `query_rejected`.
 *
 * Runs the `query_workflow` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_workflow_query(const TbClient *client,
                           const char *request_json,
                           const TbCancelToken *cancel,
                           char **response_out,
                           char **error_out);

/**
 * Async form of `tb_workflow_query`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_workflow_query_async(const TbClient *client,
                                 const char *request_json,
                                 const TbCancelToken *cancel,
                                 TbCallCallback callback,
                                 void *user_data);

/**
 * Sends an update to a workflow and waits for it. Request:
 * `{"workflow_id", "run_id"?, "first_execution_run_id"?, "update_name",
 * "args"?: [JSON values], "raw_args"?, "update_id"?, "wait_for_stage"?
 * ("accepted" or "completed", the default), "raw"?, "decode"?, "header"?,
 * "trace_context"?}`. Response:
 * `{"update_id", "run_id", "result"}`. Errors include `update_failed`.
 *
 * Runs the `execute_update` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_workflow_execute_update(const TbClient *client,
                                    const char *request_json,
                                    const TbCancelToken *cancel,
                                    char **response_out,
                                    char **error_out);

/**
 * Async form of `tb_workflow_execute_update`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_workflow_execute_update_async(const TbClient *client,
                                          const char *request_json,
                                          const TbCancelToken *cancel,
                                          TbCallCallback callback,
                                          void *user_data);

/**
 * Waits for the outcome of an update sent earlier. Request:
 * `{"workflow_id", "run_id"?, "update_id", "raw"?, "decode"?}`. Response as
 * `execute_update`.
 *
 * Runs the `get_update_result` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_workflow_get_update_result(const TbClient *client,
                                       const char *request_json,
                                       const TbCancelToken *cancel,
                                       char **response_out,
                                       char **error_out);

/**
 * Async form of `tb_workflow_get_update_result`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_workflow_get_update_result_async(const TbClient *client,
                                             const char *request_json,
                                             const TbCancelToken *cancel,
                                             TbCallCallback callback,
                                             void *user_data);

/**
 * Fetches a workflow run's event history. Request: `{"workflow_id",
 * "run_id"?, "wait_for_close"?, "decode"?}`. Response: the history as
 * proto-JSON (`{"events": [...]}`), as `temporal workflow show --output
 * json` prints it. Payloads are as stored; with `"decode": true` they
 * go through the client's payload codec first.
 *
 * Runs the `fetch_history` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_workflow_fetch_history(const TbClient *client,
                                   const char *request_json,
                                   const TbCancelToken *cancel,
                                   char **response_out,
                                   char **error_out);

/**
 * Async form of `tb_workflow_fetch_history`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_workflow_fetch_history_async(const TbClient *client,
                                         const char *request_json,
                                         const TbCancelToken *cancel,
                                         TbCallCallback callback,
                                         void *user_data);

/**
 * Lists workflow executions matching a visibility query, one page at a
 * time. Request: `{"query"?, "page_size"?, "next_page_token"?, "raw"?,
 * "decode"?}`.
 * Response: `{"executions": [...], "next_page_token"}` (null on the
 * last page).
 *
 * Runs the `list_workflows` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_workflows_list(const TbClient *client,
                           const char *request_json,
                           const TbCancelToken *cancel,
                           char **response_out,
                           char **error_out);

/**
 * Async form of `tb_workflows_list`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_workflows_list_async(const TbClient *client,
                                 const char *request_json,
                                 const TbCancelToken *cancel,
                                 TbCallCallback callback,
                                 void *user_data);

/**
 * Counts workflow executions matching a visibility query. Request:
 * `{"query"?}`. Response: `{"count", "groups"}`.
 *
 * Runs the `count_workflows` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_workflows_count(const TbClient *client,
                            const char *request_json,
                            const TbCancelToken *cancel,
                            char **response_out,
                            char **error_out);

/**
 * Async form of `tb_workflows_count`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_workflows_count_async(const TbClient *client,
                                  const char *request_json,
                                  const TbCancelToken *cancel,
                                  TbCallCallback callback,
                                  void *user_data);

/**
 * Completes an activity from outside its worker. Request:
 * `{"task_token"}` (base64) or `{"workflow_id", "run_id"?,
 * "activity_id"}`, plus `"result"?` (a JSON value) or `"raw_result"?`.
 * Response: `{}`.
 *
 * Runs the `complete_activity` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_activity_complete(const TbClient *client,
                              const char *request_json,
                              const TbCancelToken *cancel,
                              char **response_out,
                              char **error_out);

/**
 * Async form of `tb_activity_complete`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_activity_complete_async(const TbClient *client,
                                    const char *request_json,
                                    const TbCancelToken *cancel,
                                    TbCallCallback callback,
                                    void *user_data);

/**
 * Fails an activity from outside its worker. Request: the activity as
 * for `complete_activity`, plus `"failure"` and
 * `"last_heartbeat_details"?: [JSON values]`. Response: `{}`.
 *
 * Runs the `fail_activity` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_activity_fail(const TbClient *client,
                          const char *request_json,
                          const TbCancelToken *cancel,
                          char **response_out,
                          char **error_out);

/**
 * Async form of `tb_activity_fail`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_activity_fail_async(const TbClient *client,
                                const char *request_json,
                                const TbCancelToken *cancel,
                                TbCallCallback callback,
                                void *user_data);

/**
 * Reports an activity as cancelled, from outside its worker. Request:
 * the activity as for `complete_activity`, plus `"details"?: [JSON
 * values]`. Response: `{}`.
 *
 * Runs the `report_activity_cancellation` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_activity_report_cancellation(const TbClient *client,
                                         const char *request_json,
                                         const TbCancelToken *cancel,
                                         char **response_out,
                                         char **error_out);

/**
 * Async form of `tb_activity_report_cancellation`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_activity_report_cancellation_async(const TbClient *client,
                                               const char *request_json,
                                               const TbCancelToken *cancel,
                                               TbCallCallback callback,
                                               void *user_data);

/**
 * Records a heartbeat for an activity, from outside its worker.
 * Request: the activity as for `complete_activity`, plus `"details"?:
 * [JSON values]`. Response: `{"cancel_requested", "activity_paused",
 * "activity_reset"}`.
 *
 * Runs the `heartbeat_activity` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_activity_heartbeat(const TbClient *client,
                               const char *request_json,
                               const TbCancelToken *cancel,
                               char **response_out,
                               char **error_out);

/**
 * Async form of `tb_activity_heartbeat`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_activity_heartbeat_async(const TbClient *client,
                                     const char *request_json,
                                     const TbCancelToken *cancel,
                                     TbCallCallback callback,
                                     void *user_data);

/**
 * Starts a batch job that cancels every workflow matching a visibility
 * query. Request: `{"query", "reason", "job_id"?}`. Response:
 * `{"job_id"}`; follow the job with `wait_batch_operation`.
 *
 * Runs the `batch_cancel_workflows` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_batch_cancel_workflows(const TbClient *client,
                                   const char *request_json,
                                   const TbCancelToken *cancel,
                                   char **response_out,
                                   char **error_out);

/**
 * Async form of `tb_batch_cancel_workflows`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_batch_cancel_workflows_async(const TbClient *client,
                                         const char *request_json,
                                         const TbCancelToken *cancel,
                                         TbCallCallback callback,
                                         void *user_data);

/**
 * Starts a batch job that terminates every workflow matching a
 * visibility query. Request as `batch_cancel_workflows`. Response:
 * `{"job_id"}`.
 *
 * Runs the `batch_terminate_workflows` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_batch_terminate_workflows(const TbClient *client,
                                      const char *request_json,
                                      const TbCancelToken *cancel,
                                      char **response_out,
                                      char **error_out);

/**
 * Async form of `tb_batch_terminate_workflows`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_batch_terminate_workflows_async(const TbClient *client,
                                            const char *request_json,
                                            const TbCancelToken *cancel,
                                            TbCallCallback callback,
                                            void *user_data);

/**
 * Waits for a batch job to finish. Request: `{"job_id"}`. Response:
 * `{"job_id", "state", "operation_type", "total_operation_count",
 * "complete_operation_count", "failure_operation_count", "start_time",
 * "close_time", "reason", "query"}`.
 *
 * Runs the `wait_batch_operation` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_batch_wait(const TbClient *client,
                       const char *request_json,
                       const TbCancelToken *cancel,
                       char **response_out,
                       char **error_out);

/**
 * Async form of `tb_batch_wait`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_batch_wait_async(const TbClient *client,
                             const char *request_json,
                             const TbCancelToken *cancel,
                             TbCallCallback callback,
                             void *user_data);

/**
 * Calls any unary method of the Temporal API by name. Request:
 * `{"service": "workflow" | "operator" | "cloud" | "test" | "health",
 * "method": "DescribeTaskQueue", "request"?: {message in the protobuf
 * JSON mapping}, "request_bytes"?: "base64 of the protobuf message",
 * "headers"?: {"name": "value"}}` (`request` or `request_bytes`, not
 * both; `headers` are this call's metadata over the client's).
 * Response: `{"response": {...}}`, or `{"response_bytes": "base64"}`
 * for `request_bytes`. Read-only methods are retried like every call,
 * and methods whose request has a `request_id` (generated when absent)
 * too; the rest are never repeated. An unknown method names the
 * closest ones; a bad field names its path (`field`); errors carry the
 * server's `google.rpc.Status` details as JSON (`grpc_details`). A
 * payload codec encodes the request's payloads; the response's are as
 * stored unless `"decode": true`; `request_bytes` are never touched.
 *
 * Runs the `call_rpc` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_rpc_call(const TbClient *client,
                     const char *request_json,
                     const TbCancelToken *cancel,
                     char **response_out,
                     char **error_out);

/**
 * Async form of `tb_rpc_call`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_rpc_call_async(const TbClient *client,
                           const char *request_json,
                           const TbCancelToken *cancel,
                           TbCallCallback callback,
                           void *user_data);

/**
 * Creates a schedule. Request: `{"schedule_id", "schedule": {the
 * protobuf JSON mapping of temporal.api.schedule.v1.Schedule: "spec",
 * "action": {"start_workflow": {"workflow_id", "workflow_type":
 * {"name"}, "task_queue": {"name"}, "args"?: [JSON values], "memo"?:
 * {..}, "search_attributes"?: {..}, ...}}, "policies", "state"},
 * "trigger_immediately"?, "backfill"?: [{"start_at", "end_at",
 * "overlap"?}], "memo"?, "search_attributes"?, "request_id"?}`.
 * Response: `{"schedule_id", "conflict_token"}`.
 *
 * Runs the `create_schedule` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_schedule_create(const TbClient *client,
                            const char *request_json,
                            const TbCancelToken *cancel,
                            char **response_out,
                            char **error_out);

/**
 * Async form of `tb_schedule_create`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_schedule_create_async(const TbClient *client,
                                  const char *request_json,
                                  const TbCancelToken *cancel,
                                  TbCallCallback callback,
                                  void *user_data);

/**
 * Describes a schedule. Request: `{"schedule_id"}`. Response:
 * `{"schedule_id", "schedule" (as create takes it, `args` decoded),
 * "info" (action counts, recent and running actions, future action
 * times), "memo", "search_attributes", "conflict_token"}`.
 *
 * Runs the `describe_schedule` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_schedule_describe(const TbClient *client,
                              const char *request_json,
                              const TbCancelToken *cancel,
                              char **response_out,
                              char **error_out);

/**
 * Async form of `tb_schedule_describe`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_schedule_describe_async(const TbClient *client,
                                    const char *request_json,
                                    const TbCancelToken *cancel,
                                    TbCallCallback callback,
                                    void *user_data);

/**
 * Replaces a schedule. Request: `{"schedule_id", "schedule",
 * "conflict_token"? (from describe: refused if the schedule changed
 * since), "search_attributes"?, "request_id"?}`. Response: `{}`.
 *
 * Runs the `update_schedule` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_schedule_update(const TbClient *client,
                            const char *request_json,
                            const TbCancelToken *cancel,
                            char **response_out,
                            char **error_out);

/**
 * Async form of `tb_schedule_update`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_schedule_update_async(const TbClient *client,
                                  const char *request_json,
                                  const TbCancelToken *cancel,
                                  TbCallCallback callback,
                                  void *user_data);

/**
 * Pauses, unpauses, triggers or backfills a schedule. Request:
 * `{"schedule_id", "pause"?: note, "unpause"?: note,
 * "trigger_immediately"?, "overlap"?, "backfill"?: [{"start_at",
 * "end_at", "overlap"?}], "request_id"?}`. Response: `{}`.
 *
 * Runs the `patch_schedule` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_schedule_patch(const TbClient *client,
                           const char *request_json,
                           const TbCancelToken *cancel,
                           char **response_out,
                           char **error_out);

/**
 * Async form of `tb_schedule_patch`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_schedule_patch_async(const TbClient *client,
                                 const char *request_json,
                                 const TbCancelToken *cancel,
                                 TbCallCallback callback,
                                 void *user_data);

/**
 * Deletes a schedule (workflows it started keep running). Request:
 * `{"schedule_id"}`. Response: `{}`.
 *
 * Runs the `delete_schedule` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_schedule_delete(const TbClient *client,
                            const char *request_json,
                            const TbCancelToken *cancel,
                            char **response_out,
                            char **error_out);

/**
 * Async form of `tb_schedule_delete`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_schedule_delete_async(const TbClient *client,
                                  const char *request_json,
                                  const TbCancelToken *cancel,
                                  TbCallCallback callback,
                                  void *user_data);

/**
 * One page of schedules. Request: `{"query"?, "page_size"?,
 * "next_page_token"?}`. Response: `{"schedules": [{"schedule_id",
 * "info", "memo", "search_attributes"}], "next_page_token"?}`.
 *
 * Runs the `list_schedules` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_schedules_list(const TbClient *client,
                           const char *request_json,
                           const TbCancelToken *cancel,
                           char **response_out,
                           char **error_out);

/**
 * Async form of `tb_schedules_list`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_schedules_list_async(const TbClient *client,
                                 const char *request_json,
                                 const TbCancelToken *cancel,
                                 TbCallCallback callback,
                                 void *user_data);

/**
 * Describes a task queue: its pollers (are workers listening?).
 * Request: the `DescribeTaskQueueRequest` in the protobuf JSON mapping,
 * e.g. `{"taskQueue": {"name"}, "taskQueueType":
 * "TASK_QUEUE_TYPE_ACTIVITY"}` (namespace: the client's). Response: the
 * `DescribeTaskQueueResponse` (`pollers`, ...).
 *
 * Runs the `describe_task_queue` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_task_queue_describe(const TbClient *client,
                                const char *request_json,
                                const TbCancelToken *cancel,
                                char **response_out,
                                char **error_out);

/**
 * Async form of `tb_task_queue_describe`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_task_queue_describe_async(const TbClient *client,
                                      const char *request_json,
                                      const TbCancelToken *cancel,
                                      TbCallCallback callback,
                                      void *user_data);

/**
 * Registers a namespace. Request: the `RegisterNamespaceRequest` in the
 * protobuf JSON mapping (`{"namespace", "workflowExecutionRetentionPeriod":
 * "72h", "description"?}`; durations as every request takes them, or
 * as the mapping writes them, `"259200s"`). Response: `{}`.
 *
 * Runs the `register_namespace` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_namespace_register(const TbClient *client,
                               const char *request_json,
                               const TbCancelToken *cancel,
                               char **response_out,
                               char **error_out);

/**
 * Async form of `tb_namespace_register`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_namespace_register_async(const TbClient *client,
                                     const char *request_json,
                                     const TbCancelToken *cancel,
                                     TbCallCallback callback,
                                     void *user_data);

/**
 * Describes a namespace. Request: `{"namespace"?}` (the client's when
 * absent). Response: the `DescribeNamespaceResponse` (`namespaceInfo`,
 * `config`, ...) in the protobuf JSON mapping.
 *
 * Runs the `describe_namespace` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_namespace_describe(const TbClient *client,
                               const char *request_json,
                               const TbCancelToken *cancel,
                               char **response_out,
                               char **error_out);

/**
 * Async form of `tb_namespace_describe`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_namespace_describe_async(const TbClient *client,
                                     const char *request_json,
                                     const TbCancelToken *cancel,
                                     TbCallCallback callback,
                                     void *user_data);

/**
 * One page of namespaces. Request: `{"pageSize"?, "nextPageToken"?}`.
 * Response: `{"namespaces": [...], "nextPageToken"?}`.
 *
 * Runs the `list_namespaces` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_namespaces_list(const TbClient *client,
                            const char *request_json,
                            const TbCancelToken *cancel,
                            char **response_out,
                            char **error_out);

/**
 * Async form of `tb_namespaces_list`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_namespaces_list_async(const TbClient *client,
                                  const char *request_json,
                                  const TbCancelToken *cancel,
                                  TbCallCallback callback,
                                  void *user_data);

/**
 * Updates a namespace. Request: the `UpdateNamespaceRequest` in the
 * protobuf JSON mapping (`{"namespace"?, "updateInfo"?, "config"?}`).
 * Response: the `UpdateNamespaceResponse`.
 *
 * Runs the `update_namespace` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_namespace_update(const TbClient *client,
                             const char *request_json,
                             const TbCancelToken *cancel,
                             char **response_out,
                             char **error_out);

/**
 * Async form of `tb_namespace_update`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_namespace_update_async(const TbClient *client,
                                   const char *request_json,
                                   const TbCancelToken *cancel,
                                   TbCallCallback callback,
                                   void *user_data);

/**
 * Registers custom search attributes. Request: `{"searchAttributes":
 * {"Name": "INDEXED_VALUE_TYPE_KEYWORD"}}` (namespace: the client's).
 * Response: `{}`.
 *
 * Runs the `add_search_attributes` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_search_attributes_add(const TbClient *client,
                                  const char *request_json,
                                  const TbCancelToken *cancel,
                                  char **response_out,
                                  char **error_out);

/**
 * Async form of `tb_search_attributes_add`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_search_attributes_add_async(const TbClient *client,
                                        const char *request_json,
                                        const TbCancelToken *cancel,
                                        TbCallCallback callback,
                                        void *user_data);

/**
 * Lists search attributes. Request: `{}` (namespace: the client's).
 * Response: `{"customAttributes", "systemAttributes", "storageSchema"}`.
 *
 * Runs the `list_search_attributes` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_search_attributes_list(const TbClient *client,
                                   const char *request_json,
                                   const TbCancelToken *cancel,
                                   char **response_out,
                                   char **error_out);

/**
 * Async form of `tb_search_attributes_list`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_search_attributes_list_async(const TbClient *client,
                                         const char *request_json,
                                         const TbCancelToken *cancel,
                                         TbCallCallback callback,
                                         void *user_data);

/**
 * Removes custom search attributes. Request: `{"searchAttributes":
 * ["Name"]}` (namespace: the client's). Response: `{}`.
 *
 * Runs the `remove_search_attributes` operation; arguments and outputs as `tb_client_call`.
 */
TbStatus tb_search_attributes_remove(const TbClient *client,
                                     const char *request_json,
                                     const TbCancelToken *cancel,
                                     char **response_out,
                                     char **error_out);

/**
 * Async form of `tb_search_attributes_remove`; callback contract as `tb_client_call_async`.
 */
TbStatus tb_search_attributes_remove_async(const TbClient *client,
                                           const char *request_json,
                                           const TbCancelToken *cancel,
                                           TbCallCallback callback,
                                           void *user_data);

/**
 * Every method `tb_rpc_call` can call, as JSON:
 * `{"methods": [{"service", "method", "request_type", "response_type",
 * "repeat": "read_only" | "request_id" | "never", "long_poll"}]}`.
 * `service` (may be NULL for all) picks one service: `"workflow"`,
 * `"operator"`, `"cloud"`, `"test"` or `"health"`. Needs no client.
 *
 * On success writes the JSON to `*response_out` (free it with
 * `tb_string_free`); on failure (an unknown service) writes the JSON error
 * object to `*error_out` (free with `tb_string_free`; NULL to discard).
 */
TbStatus tb_rpc_methods(const char *service, char **response_out, char **error_out);

/**
 * Raw mode of `tb_rpc_call`: sends `request_len` bytes at `request` (the
 * request message, protobuf-encoded; may be NULL when `request_len` is 0)
 * to `method` (e.g. `"DescribeTaskQueue"`) of `service` (`"workflow"`,
 * `"operator"`, `"cloud"`, `"test"`, `"health"`), and gives back the
 * response message's bytes as they came. The bytes must decode as the
 * method's request (unknown fields are kept and sent). `options_json` (may
 * be NULL) is `{"headers"?: {"name": "value"}, "call_timeout"?,
 * "rpc_timeout"?}`: this call's metadata over the client's, its overall
 * deadline and the timeout of each attempt. Read-only methods are retried
 * like every call, methods whose request carries a `request_id` only when
 * it is set, the rest never. `cancel` (may be NULL) abandons the call.
 * Blocks until the call ends.
 *
 * On success writes the response to `*response_out` (required; free it with
 * `tb_bytes_free`). On failure writes the JSON error object to `*error_out`
 * (free with `tb_string_free`; NULL to discard) and leaves `*response_out`
 * untouched.
 */
TbStatus tb_rpc_call_bytes(const TbClient *client,
                           const char *service,
                           const char *method,
                           const uint8_t *request,
                           size_t request_len,
                           const char *options_json,
                           const TbCancelToken *cancel,
                           TbBytes *response_out,
                           char **error_out);

/**
 * Frees bytes returned by this library (`tb_rpc_call_bytes`). A NULL
 * `data` is ignored; never free the same bytes twice.
 */
void tb_bytes_free(TbBytes bytes);

/**
 * Resolves a configuration profile the way `tb_client_connect` does when
 * its options have no `target`, and returns it as JSON with every secret
 * (API key, private key data, codec auth, credential-looking metadata)
 * replaced by `"<redacted>"`: `{"profile", "source_file", "address",
 * "namespace", "api_key", "tls": {...} | null, "codec", "grpc_meta",
 * "tls_enabled"}`.
 *
 * `options_json` (may be NULL for `{}`): `{"profile"?, "config_file"?,
 * "config_strict"?, "disable_file"?, "disable_env"?, "env"?: {"NAME":
 * "value"} (instead of the process environment)}`. Errors name the file,
 * the profile and the key, or the environment variable.
 *
 * On success writes the JSON to `*response_out` (free it with
 * `tb_string_free`); on failure writes the JSON error object to
 * `*error_out` (free with `tb_string_free`; NULL to discard).
 */
TbStatus tb_config_resolve(const char *options_json, char **response_out, char **error_out);

/**
 * Turns client metrics on for this process (once: a second call is
 * `TB_STATUS_INVALID_ARGUMENT`). Every client then counts each RPC
 * attempt with the metrics sdk-core's clients use, so dashboards made for
 * the official SDKs read them: `temporal_request`,
 * `temporal_request_failure` (label `status_code`, e.g. `"NOT_FOUND"`),
 * `temporal_request_latency` (histogram, milliseconds) and the same three
 * as `temporal_long_request*` for long polls; labels `namespace`,
 * `operation` (the RPC, e.g. `"StartWorkflowExecution"`), `service_name`
 * and the global tags. While off, metrics cost nothing.
 *
 * `options_json`: `{"prometheus"?: "127.0.0.1:9464" (serve Prometheus'
 * text format at GET /metrics there; port 0 picks one), "prefix"?:
 * "myapp_" (instead of "temporal_"), "global_tags"?: {"name": "value"}}`.
 * On success writes `{"prometheus": "host:port" | null}` to `*info_out`
 * (free with `tb_string_free`; NULL to discard).
 */
TbStatus tb_metrics_configure(const char *options_json, char **info_out, char **error_out);

/**
 * `tb_metrics_configure`, with every measurement also handed to
 * `callback` with `user_data` as it is made: a meter of the host's
 * (OpenTelemetry, StatsD, its own) records them under its names. The
 * callback is kept for the life of the process (metrics are configured
 * once), so `user_data` must stay valid that long. A NULL callback is
 * `TB_STATUS_INVALID_ARGUMENT`.
 */
TbStatus tb_metrics_configure_with_callback(const char *options_json,
                                            TbMetricCallback callback,
                                            void *user_data,
                                            char **info_out,
                                            char **error_out);

/**
 * Every series recorded so far, as a JSON array (empty while metrics are
 * off): `[{"name": "temporal_request", "kind": "counter", "labels":
 * {...}, "value": 3} (a gauge: `"kind": "gauge"`, its current `"value"`),
 * {"name": "temporal_request_latency", "kind":
 * "histogram", "labels": {...}, "buckets": [["50", 2], ..., ["+Inf",
 * 3]] (cumulative, by upper bound in ms), "sum": 12.5, "count": 3}, ...]`.
 * Written to `*snapshot_out` (free with `tb_string_free`).
 */
TbStatus tb_metrics_snapshot(char **snapshot_out, char **error_out);

/**
 * Sends the library's log records at or above `level` (`"error"`,
 * `"warn"` (the default for NULL), `"info"`, `"debug"`, `"trace"`) to
 * `callback` with `user_data`, replacing any callback set before; a NULL
 * callback turns logging off (the default). Once this returns the old
 * callback is not called again, so its `user_data` may be freed.
 */
TbStatus tb_log_configure(TbLogCallback callback,
                          void *user_data,
                          const char *level,
                          char **error_out);

/**
 * Writes the library's JSON contract to `*contract_out` (free with
 * `tb_string_free`): one JSON Schema (draft 2020-12) document,
 * `{"$schema", "abi_version": "1.0", "connect": {"c_function", "request"},
 * "operations": [{"name", "c_function", "description", "request",
 * "response"}, ...] (in the order of the operation table), "error",
 * "$defs"}`, whose schemas refer to its `$defs`. Requests are described as
 * the library reads them (every one also takes `call_timeout` and
 * `rpc_timeout`), responses as it writes them. It is the same document as
 * `temporal_bridge.schema.json`, for the library actually loaded; bindings
 * may generate types or validate requests from it. A NULL `contract_out`
 * is `TB_STATUS_INVALID_ARGUMENT`.
 */
TbStatus tb_describe_contract(char **contract_out, char **error_out);

/**
 * Creates a token that is not cancelled. Never returns NULL (allocation
 * failure aborts, as in Rust). Free it with `tb_cancel_token_free`.
 */
TbCancelToken *tb_cancel_token_new(void);

/**
 * Cancels the token: every call that was given it and is still running ends
 * promptly with `TB_STATUS_CANCELLED`, and calls given it later fail at once
 * the same way. Idempotent and thread-safe. NULL is ignored.
 */
void tb_cancel_token_cancel(const TbCancelToken *token);

/**
 * Whether `tb_cancel_token_cancel` was called on the token (false for NULL).
 */
bool tb_cancel_token_is_cancelled(const TbCancelToken *token);

/**
 * Frees a token. Freeing does not cancel: calls already given the token hold
 * their own reference and keep running; cancel first to abandon them. NULL
 * is ignored.
 */
void tb_cancel_token_free(TbCancelToken *token);

/**
 * The name of a status: `"ok"`, or the JSON error `kind` it stands for
 * (e.g. `"not_found"` for `TB_STATUS_NOT_FOUND`); `"unknown"` for a value
 * that is no status. The string is static: never free it.
 *
 * Takes a plain integer so that any value, even one that is no status, is
 * safe to pass.
 */
const char *tb_status_name(uint32_t status);

/**
 * Frees a string returned through an output parameter of this library
 * (`response_out`, `error_out`). NULL is ignored. Never pass strings lent to
 * callbacks, static strings (`tb_version`, `tb_status_name`) or strings from
 * elsewhere.
 */
void tb_string_free(char *string);

/**
 * The library's version, e.g. `"0.1.0"`. Static: never free it.
 */
const char *tb_version(void);

/**
 * The ABI version of the library loaded at run time, `(major << 16) |
 * minor`. A minor release only adds (functions, operations, optional
 * request fields, response fields, status values); a major one may remove
 * or change anything, and the shared library's soname carries the major
 * (`libtemporal_bridge.so.1`). Status values are never reused. Bindings
 * ignore response fields they do not know. A binding checks that the
 * major equals the `TB_ABI_VERSION_MAJOR` it was written for and the minor
 * is at least its `TB_ABI_VERSION_MINOR` — or passes `"abi_version":
 * "major.minor"` to `tb_client_connect`, which refuses a library that
 * cannot serve it with a message saying so.
 */
uint32_t tb_abi_version(void);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* TEMPORAL_BRIDGE_H */
