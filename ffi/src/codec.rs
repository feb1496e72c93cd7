//! Payload codecs written in C: a pair of callbacks given at connect.

use crate::boundary::guard;
use crate::call::UserData;
use crate::client::TbClient;
use crate::pointers::str_argument;
use crate::status::TbStatus;
use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;
use temporal_bridge_core::codec::{
    payloads_from_json, payloads_to_json, CodecContext, CodecFuture, Payload, PayloadCodec,
};
use temporal_bridge_core::{Client, Error};

/// Where a codec callback puts its answer (opaque; valid only during the
/// callback). Answer with exactly one of `tb_codec_reply_payloads` or
/// `tb_codec_reply_error`.
pub struct TbCodecReply {
    answer: Option<Result<Vec<u8>, String>>,
}

/// Encodes or decodes the payloads of one message.
///
/// `payloads_json` is `{"payloads": [{"metadata": {"name": "<base64>"},
/// "data": "<base64>"}, ...]}` (the codec server protocol's body, the
/// protobuf JSON of `temporal.api.common.v1.Payloads`); `call` names the
/// RPC (e.g. `"StartWorkflowExecution"`). Both are lent until the callback
/// returns. Before returning, the callback answers through `reply` with
/// `tb_codec_reply_payloads` (as many payloads, same order, same JSON
/// form) or `tb_codec_reply_error`. A decode callback should return
/// payloads it does not recognise unchanged.
///
/// Called on library threads, never on the thread that made the call, and
/// concurrently for concurrent calls: the callbacks and their `user_data`
/// must be thread-safe. A callback may block (it runs on a thread of its
/// own), but must not wait for a call on a client that uses this codec.
pub type TbCodecCallback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        call: *const c_char,
        payloads_json: *const c_char,
        reply: *mut TbCodecReply,
    ),
>;

/// A payload codec in C, given to `tb_client_connect_with_codec`: every
/// payload the client sends goes through `encode`, every payload it
/// receives through `decode` (search attributes and headers never; memos
/// only with `"codec": {"include_memo": true}` in the connect options).
#[repr(C)]
pub struct TbPayloadCodec {
    /// Required.
    pub encode: TbCodecCallback,
    /// Required.
    pub decode: TbCodecCallback,
    /// Passed to every callback untouched.
    pub user_data: *mut c_void,
    /// Called once per connect that accepted the codec, with `user_data`,
    /// when the client made by that connect is freed and its calls (and
    /// callbacks) have ended, or when that connect failed; NULL for none.
    /// Each connect takes its own copy: connecting twice with one codec
    /// means two calls. Runs on the thread that freed the client or on a
    /// library thread.
    pub release: Option<unsafe extern "C" fn(user_data: *mut c_void)>,
}

type Callback = unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char, *mut TbCodecReply);

struct Callbacks {
    encode: Callback,
    decode: Callback,
    user_data: UserData,
    release: Option<unsafe extern "C" fn(*mut c_void)>,
}

// SAFETY: the header makes the callbacks and `user_data` thread-safe.
unsafe impl Sync for Callbacks {}

impl Drop for Callbacks {
    fn drop(&mut self) {
        if let Some(release) = self.release {
            // SAFETY: the header's contract for `release`; called once.
            unsafe { release(self.user_data.0) }
        }
    }
}

impl Callbacks {
    fn invoke(
        &self,
        callback: Callback,
        call: &str,
        payloads: Vec<Payload>,
    ) -> Result<Vec<Payload>, String> {
        let call = CString::new(call).unwrap_or_default();
        // JSON text escapes every control character: no NUL inside.
        let json = CString::new(payloads_to_json(&payloads)).unwrap_or_default();
        let mut reply = TbCodecReply { answer: None };
        // SAFETY: the callback's contract in the header; every pointer is
        // valid until it returns.
        unsafe { callback(self.user_data.0, call.as_ptr(), json.as_ptr(), &mut reply) };
        match reply.answer {
            None => Err("the codec callback returned without calling tb_codec_reply_payloads or tb_codec_reply_error".to_owned()),
            Some(Err(message)) => Err(message),
            Some(Ok(text)) => payloads_from_json(&text).map_err(|why| format!("the codec callback's answer: {why}")),
        }
    }
}

/// The core's view of a C codec. The callbacks live as long as any call
/// that uses them.
struct CCodec(Arc<Callbacks>);

impl CCodec {
    fn run(&self, encode: bool, context: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
        let callbacks = Arc::clone(&self.0);
        let call = context.call;
        Box::pin(async move {
            let callback = if encode {
                callbacks.encode
            } else {
                callbacks.decode
            };
            // A thread of the runtime's blocking pool: the callback may block.
            tokio::task::spawn_blocking(move || callbacks.invoke(callback, call, payloads))
                .await
                .map_err(|_| "the codec callback did not finish (the library is shutting down?)")?
                .map_err(Into::into)
        })
    }
}

impl PayloadCodec for CCodec {
    fn encode(&self, context: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
        self.run(true, context, payloads)
    }

    fn decode(&self, context: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
        self.run(false, context, payloads)
    }
}

/// `tb_client_connect` with a payload codec written in C (see
/// `TbPayloadCodec`); `codec` is copied (required: for no codec, use
/// `tb_client_connect`). Exclusive with a codec server (`"codec":
/// {"endpoint": ...}` in the options). A callback that fails the codec, or
/// answers with the wrong number of payloads, fails the call with
/// `TB_STATUS_CODEC`; nothing is sent when encoding fails. Once the codec
/// is accepted (both callbacks non-NULL), `release` will be called, even
/// when connecting fails.
#[no_mangle]
pub unsafe extern "C" fn tb_client_connect_with_codec(
    options_json: *const c_char,
    codec: *const TbPayloadCodec,
    client_out: *mut *mut TbClient,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the caller's contract, as the header states it.
    unsafe {
        crate::client::connect_blocking(
            "tb_client_connect_with_codec",
            options_json,
            || accept(codec).map(Some),
            client_out,
            error_out,
        )
    }
}

/// The core's codec for a C codec, checked (both callbacks given).
unsafe fn accept(codec: *const TbPayloadCodec) -> Result<Arc<dyn PayloadCodec>, Error> {
    // SAFETY: NULL or valid, per the header (the caller's contract).
    let codec = unsafe { codec.as_ref() }
        .ok_or_else(|| Error::invalid_argument("codec is NULL").with_detail("argument", "codec"))?;
    let missing = |name: &str| {
        Error::invalid_argument(format!("codec->{name} is NULL")).with_detail("argument", "codec")
    };
    let callbacks = Callbacks {
        encode: codec.encode.ok_or_else(|| missing("encode"))?,
        decode: codec.decode.ok_or_else(|| missing("decode"))?,
        user_data: UserData(codec.user_data),
        release: codec.release,
    };
    Ok(Arc::new(CCodec(Arc::new(callbacks))))
}

/// Async form of `tb_client_connect_with_codec`, as `tb_client_connect_async`
/// is of `tb_client_connect`: returns at once and calls `callback` exactly
/// once, later, from a library thread. `codec` and `options_json` are copied
/// before this returns. A NULL `callback` gives `TB_STATUS_INVALID_ARGUMENT`
/// (and the codec is not accepted: `release` is not called); a NULL or
/// incomplete codec reaches the callback as `TB_STATUS_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn tb_client_connect_with_codec_async(
    options_json: *const c_char,
    codec: *const TbPayloadCodec,
    callback: crate::client::TbConnectCallback,
    user_data: *mut c_void,
) -> TbStatus {
    let Some(callback) = callback else {
        return TbStatus::InvalidArgument;
    };
    let started = guard("tb_client_connect_with_codec_async", || {
        // SAFETY (both): NULL or valid, per the header.
        let codec = unsafe { accept(codec) };
        let options = unsafe { str_argument(options_json, "options_json") }.map(str::to_owned);
        let reply = crate::client::ConnectReply {
            callback,
            user_data: UserData(user_data),
        };
        crate::call::spawn(reply, async move {
            Client::connect_json_with(&options?, Some(codec?)).await
        })
    });
    started.map_or_else(|e| TbStatus::from_kind(e.kind()), |()| TbStatus::Ok)
}

/// Answers a codec callback with its payloads, as JSON of the same form it
/// was given (copied before this returns). Only during the callback, once.
/// Returns `TB_STATUS_INVALID_ARGUMENT` for a NULL or non-UTF-8 argument or
/// a reply already answered (the answer then stays as it was).
#[no_mangle]
pub unsafe extern "C" fn tb_codec_reply_payloads(
    reply: *mut TbCodecReply,
    payloads_json: *const c_char,
) -> TbStatus {
    // SAFETY: NULL or the reply of a running callback, per the header.
    let Some(reply) = (unsafe { reply.as_mut() }) else {
        return TbStatus::InvalidArgument;
    };
    // SAFETY: NULL or a valid C string, per the header.
    match unsafe { str_argument(payloads_json, "payloads_json") } {
        Ok(text) if reply.answer.is_none() => {
            reply.answer = Some(Ok(text.as_bytes().to_vec()));
            TbStatus::Ok
        }
        _ => TbStatus::InvalidArgument,
    }
}

/// Answers a codec callback with a failure: `message` (copied) says why, and
/// becomes part of the call's `codec` error. Never put payload contents or
/// keys in it. Only during the callback, once; return values as for
/// `tb_codec_reply_payloads`.
#[no_mangle]
pub unsafe extern "C" fn tb_codec_reply_error(
    reply: *mut TbCodecReply,
    message: *const c_char,
) -> TbStatus {
    // SAFETY: NULL or the reply of a running callback, per the header.
    let Some(reply) = (unsafe { reply.as_mut() }) else {
        return TbStatus::InvalidArgument;
    };
    // SAFETY: NULL or a valid C string, per the header.
    match unsafe { str_argument(message, "message") } {
        Ok(text) if reply.answer.is_none() => {
            reply.answer = Some(Err(text.to_owned()));
            TbStatus::Ok
        }
        _ => TbStatus::InvalidArgument,
    }
}
