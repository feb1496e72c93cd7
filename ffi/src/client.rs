//! Client lifecycle (connect, close, free) and the generic call by operation
//! name, blocking and async. New core operations work here by name at once.

use crate::boundary::{guard, guard_void, report_error, run_text};
use crate::call::{self, start_async, CallInputs, Deliver, UserData};
use crate::cancel::TbCancelToken;
use crate::pointers::{borrow_optional, into_raw, str_argument, string_lent, take};
use crate::status::TbStatus;
use std::ffi::{c_char, c_void};
use std::ptr;
use temporal_bridge_core::codec::PayloadCodec;
use temporal_bridge_core::{runtime, Client, Error};

/// A connected client (opaque). Create with `tb_client_connect`, free with
/// `tb_client_free`. Thread-safe: any number of threads may make calls on one
/// client at the same time.
pub struct TbClient {
    pub(crate) client: Client,
}

/// Receives the outcome of an async call, exactly once, on a library thread.
///
/// On success `status` is `TB_STATUS_OK`, `response_json` the response and
/// `error_json` NULL; on failure `response_json` is NULL and `error_json` the
/// JSON error object. Both strings are lent: they are valid only until the
/// callback returns and must not be freed; copy what you need.
pub type TbCallCallback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        status: TbStatus,
        response_json: *const c_char,
        error_json: *const c_char,
    ),
>;

/// Receives the outcome of `tb_client_connect_async`, exactly once, on a
/// library thread.
///
/// On success `client` is a new client owned by the callee (free it with
/// `tb_client_free`) and `error_json` NULL; on failure `client` is NULL and
/// `error_json` the JSON error object, lent until the callback returns.
pub type TbConnectCallback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        status: TbStatus,
        client: *mut TbClient,
        error_json: *const c_char,
    ),
>;

/// Connects to a Temporal server and checks that it answers.
///
/// `options_json` is the core's connect options object, e.g.
/// `{"target": "127.0.0.1:7233", "namespace": "default"}`; other fields:
/// `identity`, `headers` (object of strings), `api_key`, `tls` (`true`, or
/// `{"server_root_ca_cert", "domain", "client_cert", "client_private_key",
/// "disable_host_verification"}` as PEM text), `rpc_timeout`,
/// `connect_timeout`, `retry`, `keepalive` (`false`, or `{"interval",
/// "timeout"}`), `http_connect_proxy` (`{"target": "host:port",
/// "basic_auth"?: {"username", "password"}}`), `lazy` (return at once; the
/// first call connects), `compression` (`"gzip"`), `codec` (a codec server
/// every payload goes through: `{"endpoint": "https://...", "auth"?,
/// "headers"?, "timeout"?, "tls"?}`; and for any codec, a C one included,
/// `"include_memo"` and `"encode_failure_attributes"`). Header names ending
/// in `-bin` are binary metadata, their values base64. Unknown fields are
/// errors.
///
/// Without `target` (e.g. `"{}"`), or with `"profile"` or `"config_file"`,
/// the client configuration is loaded first — the TOML profiles file
/// (`config_file`, else `TEMPORAL_CONFIG_FILE`, else
/// `~/.config/temporalio/temporal.toml`), profile `profile` (else
/// `TEMPORAL_PROFILE`, else `default`), `TEMPORAL_*` variables on top — and
/// the fields given here override it; `"config_strict": true` rejects
/// unknown keys in the file. `tb_config_resolve` shows what it resolves to.
///
/// On success writes a new client to `*client_out` (required; free it with
/// `tb_client_free`). On failure writes the JSON error object to
/// `*error_out` unless `error_out` is NULL. Blocks for at most the connect
/// timeout (default 10 s).
#[no_mangle]
pub unsafe extern "C" fn tb_client_connect(
    options_json: *const c_char,
    client_out: *mut *mut TbClient,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the caller's contract, as the header states it.
    unsafe {
        connect_blocking(
            "tb_client_connect",
            options_json,
            || Ok(None),
            client_out,
            error_out,
        )
    }
}

/// The blocking connect of `tb_client_connect` and
/// `tb_client_connect_with_codec`: `codec` gives the in-process codec (or
/// refuses it) before anything else is read.
pub(crate) unsafe fn connect_blocking(
    function: &str,
    options_json: *const c_char,
    codec: impl FnOnce() -> Result<Option<std::sync::Arc<dyn PayloadCodec>>, Error>,
    client_out: *mut *mut TbClient,
    error_out: *mut *mut c_char,
) -> TbStatus {
    let result = guard(function, || {
        let codec = codec()?;
        // SAFETY: NULL or a valid C string, per the header.
        let options = unsafe { str_argument(options_json, "options_json") }?.to_owned();
        if client_out.is_null() {
            return Err(
                Error::invalid_argument("client_out is NULL").with_detail("argument", "client_out")
            );
        }
        let client =
            runtime::block_on(async move { Client::connect_json_with(&options, codec).await })??;
        Ok(into_raw(TbClient { client }))
    });
    match result {
        Ok(handle) => {
            // SAFETY: checked non-NULL above; valid per the header.
            unsafe { client_out.write(handle) };
            TbStatus::Ok
        }
        // SAFETY: NULL or valid per the header.
        Err(error) => unsafe { report_error(&error, error_out) },
    }
}

pub(crate) struct ConnectReply {
    pub(crate) callback: unsafe extern "C" fn(*mut c_void, TbStatus, *mut TbClient, *const c_char),
    pub(crate) user_data: UserData,
}

impl Deliver for ConnectReply {
    type Value = Client;

    fn deliver(self, result: Result<Client, Error>) {
        let user_data = self.user_data.0;
        match result {
            // SAFETY: the callback's contract in the header.
            Ok(client) => unsafe {
                (self.callback)(
                    user_data,
                    TbStatus::Ok,
                    into_raw(TbClient { client }),
                    ptr::null(),
                )
            },
            Err(error) => {
                let status = TbStatus::from_kind(error.kind());
                let text = string_lent(error.to_json()).unwrap_or_default();
                // SAFETY: the callback's contract; `text` outlives the call.
                unsafe { (self.callback)(user_data, status, ptr::null_mut(), text.as_ptr()) }
            }
        }
    }
}

/// Async form of `tb_client_connect`: returns at once and calls `callback`
/// exactly once, later, from a library thread (never from inside this
/// function), with the new client or the error. `options_json` is copied
/// before this returns. `user_data` is passed through untouched.
///
/// Returns `TB_STATUS_OK` when the callback is scheduled. Any other status
/// means the callback will never be called: `TB_STATUS_INVALID_ARGUMENT` if
/// `callback` is NULL, `TB_STATUS_INTERNAL` if the library could not start
/// its runtime. Every other failure, bad options included, reaches the
/// callback.
#[no_mangle]
pub unsafe extern "C" fn tb_client_connect_async(
    options_json: *const c_char,
    callback: TbConnectCallback,
    user_data: *mut c_void,
) -> TbStatus {
    let Some(callback) = callback else {
        return TbStatus::InvalidArgument;
    };
    let started = guard("tb_client_connect_async", || {
        // SAFETY: NULL or a valid C string, per the header.
        let options = unsafe { str_argument(options_json, "options_json") }.map(str::to_owned);
        let reply = ConnectReply {
            callback,
            user_data: UserData(user_data),
        };
        call::spawn(reply, async move { Client::connect_json(&options?).await })
    });
    started.map_or_else(|e| TbStatus::from_kind(e.kind()), |()| TbStatus::Ok)
}

/// Replaces the credentials of a live client (and of every call made on it
/// afterwards): `update_json` is `{"api_key"?: "new key" | null, "headers"?:
/// {"name": "value"}}` — a field left out keeps its value, `"api_key": null`
/// removes the key, `headers` replaces every extra header. Calls in flight
/// keep the set they started with, and their retries and re-polls (a result
/// wait) use the new one; no call ever sees half of an update. Invalid
/// values leave the old set in place. Thread-safe.
///
/// On failure writes the JSON error object to `*error_out` (free with
/// `tb_string_free`; NULL to discard).
#[no_mangle]
pub unsafe extern "C" fn tb_client_update(
    client: *const TbClient,
    update_json: *const c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    let result = guard("tb_client_update", || {
        // SAFETY (both): NULL or valid, per the header.
        let client = unsafe { crate::pointers::borrow(client, "client") }?;
        let text = unsafe { str_argument(update_json, "update_json") }?;
        let update: temporal_bridge_core::CredentialsUpdate =
            temporal_bridge_core::parse_strict(text, "update_json")?;
        client.client.update_credentials(&update)
    });
    match result {
        Ok(()) => TbStatus::Ok,
        // SAFETY: the caller's contract.
        Err(error) => unsafe { report_error(&error, error_out) },
    }
}

/// Closes the client: every call in flight on it ends promptly with
/// `TB_STATUS_CANCELLED`, and later calls fail the same way. Idempotent,
/// thread-safe, and safe while other threads are blocked in calls on the
/// client; the client must still be freed. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn tb_client_close(client: *const TbClient) {
    guard_void(|| {
        // SAFETY: NULL or a live client, per the header.
        if let Some(client) = unsafe { borrow_optional(client) } {
            client.client.close();
        }
    });
}

/// Closes (see `tb_client_close`) and frees the client. Calls in flight,
/// blocking or async, end with `TB_STATUS_CANCELLED` (each async callback
/// still fires exactly once); they hold their own reference, so nothing they
/// use is freed under them. No call may *start* on the client once this is
/// called. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn tb_client_free(client: *mut TbClient) {
    guard_void(|| {
        // SAFETY: NULL or a client from tb_client_connect not yet freed.
        if let Some(client) = unsafe { take(client) } {
            client.client.close();
        }
    });
}

/// Runs one operation by name, blocking the calling thread until it ends.
///
/// `operation` is a core operation name, e.g. `"start_workflow"`,
/// `"get_workflow_result"`, `"cancel_workflow"`, `"signal_workflow"`; an
/// unknown name gives `TB_STATUS_INVALID_ARGUMENT` listing the known ones.
/// The named functions (`tb_workflow_start`, `tb_activity_complete`,
/// `tb_batch_wait`, ...) are shorthands for this. `request_json` is that
/// operation's request object; every request also accepts `"call_timeout"`
/// (a duration such as `"5s"` or seconds as a number), the call's overall
/// deadline, retries included, and `"rpc_timeout"`, the timeout of each
/// attempt (instead of the client's `rpc_timeout`). `cancel` (may be NULL) abandons the call when cancelled from
/// another thread.
///
/// On success writes the response JSON to `*response_out` (free it with
/// `tb_string_free`; pass NULL to discard it). On failure writes the JSON
/// error object to `*error_out` (free with `tb_string_free`; NULL to discard).
/// The other output parameter is left untouched.
#[no_mangle]
pub unsafe extern "C" fn tb_client_call(
    client: *const TbClient,
    operation: *const c_char,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        run_text("tb_client_call", response_out, error_out, || {
            let operation = str_argument(operation, "operation")?;
            CallInputs::read(client, operation, request_json, cancel)?.run_blocking()
        })
    }
}

/// Async form of `tb_client_call`: returns at once and calls `callback`
/// exactly once, later, from a library thread (never from inside this
/// function), with the response or the error. `operation` and `request_json`
/// are copied and the call holds its own reference to the client and token,
/// so all four may be freed as soon as this returns (freeing the client
/// cancels the call). `user_data` is passed through untouched.
///
/// Returns `TB_STATUS_OK` when the callback is scheduled. Any other status
/// means the callback will never be called: `TB_STATUS_INVALID_ARGUMENT` if
/// `callback` is NULL, `TB_STATUS_INTERNAL` if the library could not start
/// its runtime. Every other failure, bad arguments included, reaches the
/// callback.
#[no_mangle]
pub unsafe extern "C" fn tb_client_call_async(
    client: *const TbClient,
    operation: *const c_char,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        let operation = str_argument(operation, "operation");
        start_async(
            "tb_client_call_async",
            client,
            operation,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}
