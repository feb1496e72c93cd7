//! Payload codecs: the step between the payloads the data converter makes
//! and the bytes on the wire (encryption, compression). A codec runs in
//! process (the [`PayloadCodec`] trait, which the C and Python bindings
//! implement over their callbacks) or in a codec server reached over HTTP
//! (`codec_server`).
//!
//! The codec sits at one seam, the RPC: every request this client sends has
//! its payloads encoded on the way out and every reply its payloads decoded
//! on the way in, whatever operation made the call. The payloads are found by
//! walking the message with the bundled descriptors, so a new RPC (or one
//! reached by `call_rpc`) is covered without a list to keep. All payloads of
//! one message go to the codec in one batch, in a fixed order.
//!
//! Never encoded: search attributes (the server indexes them) and headers
//! (interceptors such as tracing read them as they are). Memos only when the
//! client asks (`include_memo`), as in the SDKs. Failures may move their
//! message and stack trace into `encoded_attributes` before encoding
//! (`encode_failure_attributes`); decoding always restores them.

use crate::error::{error_chain, Error, ErrorKind, Result};
use crate::payload::{decode_payload, encode_value, RawPayload};
use crate::status::from_status;
use crate::transport::{frame_reserved, FRAME_HEADER_LEN};
pub use bytes::Bytes;
use prost_reflect::{
    DynamicMessage, MessageDescriptor, MethodDescriptor, ReflectMessage, Value as Field,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::pin::Pin;
use std::sync::Arc;
pub use temporalio_protos::temporal::api::common::v1::Payload;
use temporalio_protos::temporal::api::failure::v1::Failure;

/// What a codec answers: the payloads in the same number and order, or why not.
pub type CodecResult = std::result::Result<Vec<Payload>, Box<dyn std::error::Error + Send + Sync>>;

/// The future a codec returns.
pub type CodecFuture = Pin<Box<dyn Future<Output = CodecResult> + Send>>;

/// What a codec answers on the wire form: each payload as the bytes of a
/// `temporal.api.common.v1.Payload` message, as many and in the same order.
pub type WireResult = std::result::Result<Vec<Vec<u8>>, Box<dyn std::error::Error + Send + Sync>>;

/// The future of [`PayloadCodec::encode_wire`] and [`PayloadCodec::decode_wire`].
pub type WireFuture = Pin<Box<dyn Future<Output = WireResult> + Send>>;

/// Which way payloads go through a codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodecDirection {
    /// Before sending: plain payloads in, encoded out.
    Encode,
    /// After receiving: encoded payloads in, plain out.
    Decode,
}

impl CodecDirection {
    /// `"encode"` or `"decode"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CodecDirection::Encode => "encode",
            CodecDirection::Decode => "decode",
        }
    }
}

/// What a codec is told about the payloads it is given.
#[derive(Clone, Debug)]
pub struct CodecContext {
    /// The client's namespace.
    pub namespace: Arc<str>,
    /// The RPC whose message carries the payloads, e.g. `StartWorkflowExecution`.
    pub call: &'static str,
}

/// A payload codec in process. `encode` and `decode` each take every payload
/// of one message and must return as many, in the same order. Payloads a
/// codec does not recognise on decode (another encoding) should come back
/// unchanged. Called from the library's threads, possibly concurrently.
///
/// The client hands payloads over in their wire form (`encode_wire`,
/// `decode_wire`), which by default go through `encode`/`decode` as
/// [`Payload`] values. A codec that works on the bytes itself (a binding
/// turning them into its own language's objects) overrides the wire pair
/// and may define `encode`/`decode` by [`payloads_via_wire`].
pub trait PayloadCodec: Send + Sync + 'static {
    /// Encodes payloads about to be sent.
    fn encode(&self, context: &CodecContext, payloads: Vec<Payload>) -> CodecFuture;
    /// Decodes payloads just received.
    fn decode(&self, context: &CodecContext, payloads: Vec<Payload>) -> CodecFuture;
    /// [`PayloadCodec::encode`] on the payloads' protobuf bytes.
    fn encode_wire(&self, context: &CodecContext, payloads: Vec<Bytes>) -> WireFuture {
        wire_via_payloads(payloads, |payloads| self.encode(context, payloads))
    }
    /// [`PayloadCodec::decode`] on the payloads' protobuf bytes.
    fn decode_wire(&self, context: &CodecContext, payloads: Vec<Bytes>) -> WireFuture {
        wire_via_payloads(payloads, |payloads| self.decode(context, payloads))
    }
}

/// A wire-form codec step made of a [`Payload`] one: the payloads decoded,
/// `run`, and its answer encoded.
pub fn wire_via_payloads(
    payloads: Vec<Bytes>,
    run: impl FnOnce(Vec<Payload>) -> CodecFuture,
) -> WireFuture {
    let decoded: std::result::Result<Vec<Payload>, _> = payloads
        .iter()
        .map(|bytes| <Payload as prost::Message>::decode(bytes.as_ref()))
        .collect();
    let pending = match decoded {
        Ok(decoded) => run(decoded),
        Err(e) => {
            let why = format!("a payload of the message is not valid protobuf: {e}");
            return Box::pin(std::future::ready(Err(why.into())));
        }
    };
    Box::pin(async move {
        Ok(pending
            .await?
            .iter()
            .map(prost::Message::encode_to_vec)
            .collect())
    })
}

/// A [`Payload`] codec step made of a wire-form one: the payloads encoded,
/// `run`, and its answer decoded.
pub fn payloads_via_wire(
    payloads: Vec<Payload>,
    run: impl FnOnce(Vec<Bytes>) -> WireFuture,
) -> CodecFuture {
    let pending = run(payloads
        .iter()
        .map(|p| Bytes::from(prost::Message::encode_to_vec(p)))
        .collect());
    Box::pin(async move {
        pending
            .await?
            .iter()
            .map(|bytes| {
                <Payload as prost::Message>::decode(bytes.as_slice()).map_err(|e| {
                    format!("the codec answered a payload that is not valid protobuf: {e}").into()
                })
            })
            .collect()
    })
}

/// The `codec` connect option: a codec server, and what any codec covers.
#[derive(Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodecOptions {
    /// The codec server's URL (`http://` or `https://`, any path): payloads
    /// are POSTed to `{endpoint}/encode` and `{endpoint}/decode`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The codec server's `Authorization` header value.
    #[serde(default)]
    pub auth: Option<String>,
    /// More headers for every codec server request.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    /// Timeout of one codec server request. Default 10 s.
    #[serde(default)]
    pub timeout: Option<crate::duration::JsonDuration>,
    /// TLS to an `https://` codec server: `true` for system roots, or an
    /// object for a custom CA / server name / client certificate.
    #[serde(default)]
    pub tls: Option<crate::options::TlsSetting>,
    /// Encode and decode memos too (off by default, as in the SDKs).
    #[serde(default)]
    pub include_memo: bool,
    /// Move a failure's message and stack trace into its encoded
    /// attributes before encoding (the SDKs' "encode common attributes").
    #[serde(default)]
    pub encode_failure_attributes: bool,
}

impl fmt::Debug for CodecOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodecOptions")
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("timeout", &self.timeout)
            .field("include_memo", &self.include_memo)
            .field("encode_failure_attributes", &self.encode_failure_attributes)
            .finish()
    }
}

/// The codec of one client, with what it covers.
pub(crate) struct CodecStage {
    codec: Arc<dyn PayloadCodec>,
    namespace: Arc<str>,
    include_memo: bool,
    encode_failure_attributes: bool,
}

/// Where a codec looks: for each message type met so far, only the fields
/// that can lead to a payload it covers. Walking a message then touches a
/// few small vectors instead of the descriptor pool. Types are added the
/// first time an RPC that carries them is made (a type's entry never
/// changes once made, so indexes stay valid).
#[derive(Default)]
struct Plan {
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
    /// Input and output node of each RPC path met so far (`None`: unknown
    /// path), by the path's address: paths are the client's static strings.
    methods: HashMap<(usize, usize), Option<MethodNodes>, BuildHasherDefault<AddressHasher>>,
}

/// The plan of one RPC: its request and reply types' nodes, and its name.
#[derive(Clone, Copy)]
struct MethodNodes {
    input: usize,
    output: usize,
    /// The method's name, e.g. `StartWorkflowExecution`.
    call: &'static str,
}

/// Hashes the few words of a key (here a string's address and length).
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[derive(Default)]
struct Node {
    /// Field number and what it holds, for the fields worth entering.
    fields: Vec<(u64, Step)>,
    /// Bit `n` set: field `n` may be among `fields` (bit 63 stands for
    /// every number from 63 on), so most fields are passed over at a glance.
    mask: u64,
    /// This type is `temporal.api.failure.v1.Failure`.
    failure: bool,
}

#[derive(Clone, Copy)]
enum Step {
    Payload,
    Message(usize),
}

impl Plan {
    /// The nodes of `path`'s input and output, added when first met.
    fn method(&mut self, path: &'static str, include_memo: bool) -> Option<MethodNodes> {
        if let Some(known) = self.methods.get(&address(path)) {
            return *known;
        }
        let found = method_at(path).map(|m| MethodNodes {
            input: self.add(&m.input(), include_memo),
            output: self.add(&m.output(), include_memo),
            call: path.rsplit('/').next().unwrap_or(path),
        });
        self.methods.insert(address(path), found);
        found
    }

    /// The node of `root`, adding every type it leads to that is new.
    fn add(&mut self, root: &MessageDescriptor, include_memo: bool) -> usize {
        if let Some(&known) = self.index.get(root.full_name()) {
            return known;
        }
        let covers = |name: &str| !PLAIN.contains(&name) && (include_memo || name != MEMO);
        // The new types reachable from `root`, each with its covered
        // message-typed fields (children by name, resolved below).
        let first = self.nodes.len();
        let mut pending = vec![root.clone()];
        let mut edges: Vec<Vec<(u64, Result<(), String>)>> = Vec::new();
        while let Some(message) = pending.pop() {
            let name = message.full_name();
            if self.index.contains_key(name) {
                continue;
            }
            self.index.insert(name.to_owned(), self.nodes.len());
            self.nodes.push(Node {
                fields: Vec::new(),
                mask: 0,
                failure: name == FAILURE,
            });
            let mut fields = Vec::new();
            for field in message.fields() {
                let Some(target) = field.kind().as_message().cloned() else {
                    continue;
                };
                let target_name = target.full_name();
                if !covers(target_name) {
                    continue;
                }
                if target_name == PAYLOAD {
                    fields.push((u64::from(field.number()), Ok(())));
                } else {
                    fields.push((u64::from(field.number()), Err(target_name.to_owned())));
                    if !self.index.contains_key(target_name) {
                        pending.push(target);
                    }
                }
            }
            edges.push(fields);
        }
        // Which of the new types lead to a payload: old ones are known (a
        // node with fields does), new ones by repeating until nothing changes.
        let count = edges.len();
        let mut reaches = vec![false; count];
        let leads = |reaches: &[bool],
                     nodes: &[Node],
                     index: &HashMap<String, usize>,
                     to: &Result<(), String>| match to {
            Ok(()) => true,
            Err(name) => index.get(name).is_some_and(|&j| {
                if j >= first {
                    reaches[j - first]
                } else {
                    !nodes[j].fields.is_empty()
                }
            }),
        };
        loop {
            let mut changed = false;
            for k in 0..count {
                if !reaches[k]
                    && edges[k]
                        .iter()
                        .any(|(_, to)| leads(&reaches, &self.nodes, &self.index, to))
                {
                    reaches[k] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (k, fields) in edges.into_iter().enumerate() {
            let kept = fields
                .into_iter()
                .filter(|(_, to)| leads(&reaches, &self.nodes, &self.index, to))
                .filter_map(|(number, to)| match to {
                    Ok(()) => Some((number, Step::Payload)),
                    Err(name) => self.index.get(&name).map(|&j| (number, Step::Message(j))),
                })
                .collect();
            let node = &mut self.nodes[first + k];
            node.fields = kept;
            node.mask = node
                .fields
                .iter()
                .fold(0, |mask, &(number, _)| mask | mask_bit(number));
        }
        self.index[root.full_name()]
    }
}

/// The bit of field `number` in [`Node::mask`].
#[inline(always)]
fn mask_bit(number: u64) -> u64 {
    1 << number.min(63)
}

/// The key of a static string in [`Plan::methods`].
fn address(path: &'static str) -> (usize, usize) {
    (path.as_ptr() as usize, path.len())
}

const PAYLOAD: &str = "temporal.api.common.v1.Payload";
const FAILURE: &str = "temporal.api.failure.v1.Failure";
const MEMO: &str = "temporal.api.common.v1.Memo";
/// Never handed to a codec.
const PLAIN: [&str; 2] = [
    "temporal.api.common.v1.SearchAttributes",
    "temporal.api.common.v1.Header",
];
/// What an encoded failure says in place of its message.
const ENCODED_FAILURE_MESSAGE: &str = "Encoded failure";

impl CodecStage {
    /// The stage for a client: its in-process codec or its codec server
    /// (never both), or `None` for neither.
    pub(crate) fn new(
        in_process: Option<Arc<dyn PayloadCodec>>,
        options: Option<&CodecOptions>,
        namespace: &str,
    ) -> Result<Option<CodecStage>> {
        let defaults = CodecOptions::default();
        let options = options.unwrap_or(&defaults);
        let codec: Arc<dyn PayloadCodec> =
            match (in_process, &options.endpoint) {
                (Some(_), Some(_)) => return Err(Error::invalid_argument(
                    "give either a codec in process or codec.endpoint (a codec server), not both",
                )
                .with_detail("field", "codec.endpoint")),
                (Some(codec), None) => codec,
                (None, Some(endpoint)) => {
                    Arc::new(crate::codec_server::CodecServer::new(endpoint, options)?)
                }
                (None, None) => return Ok(None),
            };
        Ok(Some(CodecStage {
            codec,
            namespace: namespace.into(),
            include_memo: options.include_memo,
            encode_failure_attributes: options.encode_failure_attributes,
        }))
    }

    /// The request message of the RPC at `path` with its payloads encoded.
    #[cfg(test)]
    pub(crate) async fn encode_request(&self, path: &'static str, message: Bytes) -> Result<Bytes> {
        self.transform(path, CodecDirection::Encode, message).await
    }

    /// The request frame (gRPC header and message) of the RPC at `path`
    /// with its payloads encoded: the same frame when nothing changed, else
    /// a new one, written once.
    pub(crate) async fn encode_request_frame(
        &self,
        path: &'static str,
        frame: Bytes,
    ) -> Result<Bytes> {
        let message = frame.slice(FRAME_HEADER_LEN..);
        match self
            .transform_as(
                path,
                false,
                CodecDirection::Encode,
                message,
                FRAME_HEADER_LEN,
            )
            .await?
        {
            None => Ok(frame),
            Some(buffer) => frame_reserved(buffer).map_err(|s| from_status(&s)),
        }
    }

    /// The reply message of the RPC at `path` with its payloads decoded.
    pub(crate) async fn decode_reply(&self, path: &'static str, message: Bytes) -> Result<Bytes> {
        self.transform(path, CodecDirection::Decode, message).await
    }

    /// The plan of this stage's coverage, shared by the process.
    fn plan(&self) -> &'static std::sync::RwLock<Plan> {
        static PLANS: [std::sync::OnceLock<std::sync::RwLock<Plan>>; 2] =
            [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
        PLANS[usize::from(self.include_memo)].get_or_init(Default::default)
    }

    /// The plan, for reading, with `path`'s nodes in it.
    fn plan_for(
        &self,
        path: &'static str,
    ) -> (
        std::sync::RwLockReadGuard<'static, Plan>,
        Option<MethodNodes>,
    ) {
        let plan = self.plan();
        let read = plan.read().unwrap_or_else(|p| p.into_inner());
        if let Some(&known) = read.methods.get(&address(path)) {
            return (read, known);
        }
        drop(read);
        plan.write()
            .unwrap_or_else(|p| p.into_inner())
            .method(path, self.include_memo);
        let read = plan.read().unwrap_or_else(|p| p.into_inner());
        let known = read.methods.get(&address(path)).copied().flatten();
        (read, known)
    }

    async fn transform(
        &self,
        path: &'static str,
        direction: CodecDirection,
        bytes: Bytes,
    ) -> Result<Bytes> {
        let reply = direction == CodecDirection::Decode;
        Ok(
            match self
                .transform_as(path, reply, direction, bytes.clone(), 0)
                .await?
            {
                Some(changed) => Bytes::from(changed),
                None => bytes,
            },
        )
    }

    /// [`CodecStage::transform`] of the RPC's request (or, with `reply`, its
    /// reply) message: `None` when nothing changed, else `prefix` zero bytes
    /// and the new message.
    async fn transform_as(
        &self,
        path: &'static str,
        reply: bool,
        direction: CodecDirection,
        bytes: Bytes,
        prefix: usize,
    ) -> Result<Option<Vec<u8>>> {
        // The common case works on the wire bytes: one walk finds the
        // payloads (and the messages around them), the codec gets their
        // bytes, and the new ones are spliced in with the lengths around
        // them made right. Only failures whose attributes move (rare) take
        // the decoded-message path.
        let mut walk = Walk::new(direction, self.encode_failure_attributes);
        let call = {
            let (plan, method) = self.plan_for(path);
            let Some(method) = method else {
                return Ok(None);
            };
            let root = if reply { method.output } else { method.input };
            if !plan.nodes[root].fields.is_empty() {
                walk.message(&plan, root, &bytes, 0)
                    .map_err(|what| broken(direction, method.call, what))?;
            }
            method.call
        };
        if walk.failures {
            let Some(method) = method_at(path) else {
                return Ok(None);
            };
            let descriptor = if reply {
                method.output()
            } else {
                method.input()
            };
            let message = self
                .transform_message(call, descriptor, direction, bytes)
                .await?;
            let mut out = Vec::with_capacity(prefix + message.len());
            out.resize(prefix, 0);
            out.extend_from_slice(&message);
            return Ok(Some(out));
        }
        if walk.payloads == 0 {
            return Ok(None);
        }
        let mut found = Vec::with_capacity(walk.payloads);
        found.extend(walk.marks.iter().filter_map(|mark| match *mark {
            Mark::Payload { value, end, .. } => Some(bytes.slice(value..end)),
            _ => None,
        }));
        let coded = self.run_wire(call, direction, found).await?;
        // Codecs often hand payloads back as they were: the SDKs' zlib
        // codec when compressing would not shrink one, encryption codecs
        // on decode for payloads they did not encrypt. When all of them
        // come back byte for byte, the message stays as it is.
        let mut old = walk.marks.iter().filter_map(|mark| match *mark {
            Mark::Payload { value, end, .. } => Some(&bytes[value..end]),
            _ => None,
        });
        let mut changed = false;
        for (at, new) in coded.iter().enumerate() {
            if old.next() != Some(new.as_slice()) {
                changed = true;
                check_message(direction, call, coded.len(), at, new)?;
            }
        }
        if !changed {
            return Ok(None);
        }
        Ok(Some(splice(&bytes, &mut walk.marks, &coded, prefix)))
    }

    /// The codec's context for a message of `call`.
    fn context(&self, call: &'static str) -> CodecContext {
        CodecContext {
            namespace: Arc::clone(&self.namespace),
            call,
        }
    }

    /// Runs the codec on the payloads (wire form) of one message of `call`.
    async fn run_wire(
        &self,
        call: &'static str,
        direction: CodecDirection,
        payloads: Vec<Bytes>,
    ) -> Result<Vec<Vec<u8>>> {
        let count = payloads.len();
        let context = self.context(call);
        let failed = |why: String| codec_error(direction, call, count, why);
        let coded = match direction {
            CodecDirection::Encode => self.codec.encode_wire(&context, payloads),
            CodecDirection::Decode => self.codec.decode_wire(&context, payloads),
        }
        .await
        .map_err(|e| failed(error_chain(&*e)))?;
        if coded.len() != count {
            return Err(failed(format!(
                "the codec returned {} payloads for {count}",
                coded.len()
            )));
        }
        Ok(coded)
    }

    /// Runs the codec on the payloads of one message of `call`, as
    /// [`Payload`] values.
    async fn run(
        &self,
        call: &'static str,
        direction: CodecDirection,
        payloads: Vec<Payload>,
    ) -> Result<Vec<Payload>> {
        let count = payloads.len();
        let wire = payloads
            .iter()
            .map(|p| Bytes::from(prost::Message::encode_to_vec(p)))
            .collect();
        let coded = self.run_wire(call, direction, wire).await?;
        for (at, bytes) in coded.iter().enumerate() {
            check_message(direction, call, count, at, bytes)?;
        }
        coded
            .iter()
            .enumerate()
            .map(|(at, bytes)| {
                <Payload as prost::Message>::decode(bytes.as_slice()).map_err(|e| {
                    codec_error(
                        direction,
                        call,
                        count,
                        format!(
                            "the codec returned payload {at} that is not a valid payload ({e})"
                        ),
                    )
                })
            })
            .collect()
    }

    /// [`CodecStage::transform`] on the decoded message, for failures whose
    /// message and stack trace move into or out of their encoded attributes.
    async fn transform_message(
        &self,
        call: &'static str,
        descriptor: MessageDescriptor,
        direction: CodecDirection,
        bytes: Bytes,
    ) -> Result<Bytes> {
        let broken = |what: String| {
            Error::internal(format!(
                "a message of {call} could not be walked for payloads: {what}"
            ))
        };
        let mut message =
            DynamicMessage::decode(descriptor, bytes.clone()).map_err(|e| broken(e.to_string()))?;
        if direction == CodecDirection::Encode && self.encode_failure_attributes {
            self.visit(&mut message, &mut |m| {
                if m.descriptor().full_name() == FAILURE {
                    move_attributes_in(m);
                }
                Ok(())
            })?;
        }
        let mut payloads = Vec::new();
        self.visit(&mut message, &mut |m| {
            if m.descriptor().full_name() == PAYLOAD {
                payloads.push(
                    m.transcode_to::<Payload>()
                        .map_err(|e| broken(e.to_string()))?,
                );
            }
            Ok(())
        })?;
        if !payloads.is_empty() {
            let mut coded = self.run(call, direction, payloads).await?.into_iter();
            self.visit(&mut message, &mut |m| {
                if m.descriptor().full_name() == PAYLOAD {
                    if let Some(payload) = coded.next() {
                        // transcode_from merges: the old metadata must go first.
                        prost::Message::clear(m);
                        m.transcode_from(&payload)
                            .map_err(|e| broken(e.to_string()))?;
                    }
                }
                Ok(())
            })?;
        }
        if direction == CodecDirection::Decode {
            self.visit(&mut message, &mut |m| {
                if m.descriptor().full_name() == FAILURE {
                    move_attributes_out(m);
                }
                Ok(())
            })?;
        }
        Ok(Bytes::from(prost::Message::encode_to_vec(&message)))
    }

    /// Calls `each` on `message` and every message inside it, parents
    /// first, in field order, except where a codec never looks.
    fn visit(
        &self,
        message: &mut DynamicMessage,
        each: &mut dyn FnMut(&mut DynamicMessage) -> Result<()>,
    ) -> Result<()> {
        each(message)?;
        let descriptor = message.descriptor();
        if descriptor.full_name() == PAYLOAD {
            return Ok(());
        }
        for field in descriptor.fields() {
            let target = if field.is_map() {
                field
                    .kind()
                    .as_message()
                    .map(|entry| entry.map_entry_value_field().kind())
            } else {
                Some(field.kind())
            };
            let Some(target) = target.as_ref().and_then(|k| k.as_message()) else {
                continue;
            };
            if !self.covers(target.full_name()) || !message.has_field(&field) {
                continue;
            }
            match message.get_field_mut(&field) {
                Field::Message(inner) => self.visit(inner, each)?,
                Field::List(items) => {
                    for item in items {
                        if let Field::Message(inner) = item {
                            self.visit(inner, each)?;
                        }
                    }
                }
                Field::Map(entries) => {
                    // Values are changed in place, so the order stays the
                    // same from one walk to the next.
                    for value in entries.values_mut() {
                        if let Field::Message(inner) = value {
                            self.visit(inner, each)?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn covers(&self, message_type: &str) -> bool {
        !PLAIN.contains(&message_type) && (self.include_memo || message_type != MEMO)
    }
}

/// What is spliced into a message must be a message: a codec's bytes that
/// are not would corrupt every field after them.
fn check_message(
    direction: CodecDirection,
    call: &str,
    count: usize,
    at: usize,
    bytes: &[u8],
) -> Result<()> {
    if is_message(bytes) {
        return Ok(());
    }
    Err(codec_error(
        direction,
        call,
        count,
        format!("the codec returned payload {at} that is not a protobuf message"),
    ))
}

/// The error of a message the codec stage could not walk.
fn broken(direction: CodecDirection, call: &str, what: &str) -> Error {
    Error::internal(format!(
        "the {} message of {call} could not be walked for payloads: {what}",
        if direction == CodecDirection::Encode {
            "request"
        } else {
            "reply"
        }
    ))
}

/// One walk of a message's bytes: where its payloads are, and the messages
/// that hold them.
struct Walk {
    direction: CodecDirection,
    encode_failure_attributes: bool,
    /// In wire order (offsets into the whole message). The buffer is the
    /// thread's, lent for the walk (see [`Walk::new`]).
    marks: Vec<Mark>,
    /// How many `Mark::Payload`s.
    payloads: usize,
    /// A failure whose message and stack trace move (see `transform_message`).
    failures: bool,
}

/// A place in a message's bytes where [`splice`] writes something new.
#[derive(Clone, Copy)]
enum Mark {
    /// A message field holding payloads begins: its key ends at `key_end`,
    /// its value (after the length) runs from `value` to `end`; `len` is
    /// its new length (set by `regrow`).
    Open {
        key_end: usize,
        value: usize,
        end: usize,
        len: usize,
    },
    /// That message ends.
    Close,
    /// A payload field, laid out as `Open`'s.
    Payload {
        key_end: usize,
        value: usize,
        end: usize,
    },
}

thread_local! {
    /// A buffer for the marks of one walk at a time on this thread, so a
    /// call's walk allocates nothing once the thread has walked before.
    static MARKS: std::cell::Cell<Vec<Mark>> = const { std::cell::Cell::new(Vec::new()) };
}

impl Walk {
    fn new(direction: CodecDirection, encode_failure_attributes: bool) -> Walk {
        let mut marks = MARKS.with(std::cell::Cell::take);
        if marks.capacity() == 0 {
            // An `Open` and a `Close` for each message around a payload a
            // few messages deep (9 for a history event's result).
            marks.reserve(16);
        }
        Walk {
            direction,
            encode_failure_attributes,
            marks,
            payloads: 0,
            failures: false,
        }
    }

    /// Walks `bytes`, a message of `node`'s type found at `base` in the
    /// whole message.
    fn message(
        &mut self,
        plan: &Plan,
        node: usize,
        bytes: &[u8],
        base: usize,
    ) -> std::result::Result<(), &'static str> {
        let here = &plan.nodes[node];
        if here.failure {
            let failure: Failure =
                prost::Message::decode(bytes).map_err(|_| "a failure is not valid protobuf")?;
            self.failures |= match self.direction {
                CodecDirection::Encode => {
                    self.encode_failure_attributes
                        && failure.encoded_attributes.is_none()
                        && !(failure.message.is_empty() && failure.stack_trace.is_empty())
                }
                CodecDirection::Decode => failure.encoded_attributes.is_some(),
            };
        }
        let mut at = 0;
        while at < bytes.len() {
            let key = varint(bytes, &mut at)?;
            if key & 7 != 2 {
                skip(bytes, &mut at, key)?;
                continue;
            }
            let key_end = at;
            let inner = length_delimited(bytes, &mut at)?;
            let value = at - inner.len();
            let number = key >> 3;
            if here.mask & mask_bit(number) == 0 {
                continue;
            }
            let Some(&(_, step)) = here.fields.iter().find(|(n, _)| *n == number) else {
                continue;
            };
            let (key_end, value, end) = (base + key_end, base + value, base + at);
            match step {
                Step::Payload => {
                    self.marks.push(Mark::Payload {
                        key_end,
                        value,
                        end,
                    });
                    self.payloads += 1;
                }
                Step::Message(node_of) => {
                    let open = self.marks.len();
                    let before = self.payloads;
                    self.marks.push(Mark::Open {
                        key_end,
                        value,
                        end,
                        len: 0,
                    });
                    self.message(plan, node_of, inner, value)?;
                    if self.payloads == before {
                        // Nothing to change in there.
                        self.marks.truncate(open);
                    } else {
                        self.marks.push(Mark::Close);
                    }
                }
            }
        }
        Ok(())
    }
}

impl Drop for Walk {
    fn drop(&mut self) {
        // The buffer goes back to the thread the walk ends on (the call
        // may have moved), unless a huge message made it large.
        let mut marks = std::mem::take(&mut self.marks);
        if marks.capacity() <= 256 {
            marks.clear();
            MARKS.with(|buffer| buffer.set(marks));
        }
    }
}

/// Moves `at` past the value of a field with `key` that is not
/// length-delimited.
fn skip(bytes: &[u8], at: &mut usize, key: u64) -> std::result::Result<(), &'static str> {
    let width = match key & 7 {
        0 => return varint(bytes, at).map(drop),
        1 => 8,
        5 => 4,
        _ => return Err("a wire type these messages do not use"),
    };
    *at = at
        .checked_add(width)
        .filter(|&end| end <= bytes.len())
        .ok_or("a fixed-width field is cut short")?;
    Ok(())
}

/// The varint at `at`, moving `at` past it.
#[inline(always)]
fn varint(bytes: &[u8], at: &mut usize) -> std::result::Result<u64, &'static str> {
    match bytes.get(*at) {
        Some(&byte) if byte < 0x80 => {
            *at += 1;
            Ok(u64::from(byte))
        }
        _ => long_varint(bytes, at),
    }
}

/// [`varint`] of more than one byte.
fn long_varint(bytes: &[u8], at: &mut usize) -> std::result::Result<u64, &'static str> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = *bytes.get(*at).ok_or("a varint is cut short")?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(value);
        }
        shift += 7;
        if shift > 63 {
            return Err("a varint is too long");
        }
    }
}

/// Whether `bytes` are fields of a protobuf message (each key, length and
/// value where it should be).
fn is_message(bytes: &[u8]) -> bool {
    each_field(bytes, |_, _| Ok(())).is_ok()
}

/// `prefix` zero bytes, then `bytes` with the payloads at `marks` replaced
/// by `coded` (in order) and the lengths of the messages around them
/// rewritten; every other byte is kept.
fn splice(bytes: &[u8], marks: &mut [Mark], coded: &[Vec<u8>], prefix: usize) -> Vec<u8> {
    let grown = regrow(marks, &mut 0, &mut coded.iter());
    let mut out = Vec::with_capacity(prefix + bytes.len().saturating_add_signed(grown));
    out.resize(prefix, 0);
    let mut cursor = 0;
    let mut next = coded.iter();
    for mark in marks.iter() {
        match *mark {
            Mark::Open {
                key_end,
                value,
                len,
                ..
            } => {
                out.extend_from_slice(&bytes[cursor..key_end]);
                prost::encoding::encode_varint(len as u64, &mut out);
                cursor = value;
            }
            Mark::Payload { key_end, end, .. } => {
                let new = next.next().map_or(&[][..], Vec::as_slice);
                out.extend_from_slice(&bytes[cursor..key_end]);
                prost::encoding::encode_varint(new.len() as u64, &mut out);
                out.extend_from_slice(new);
                cursor = end;
            }
            Mark::Close => {}
        }
    }
    out.extend_from_slice(&bytes[cursor..]);
    out
}

/// Sets the new length of each message opened in `marks[*at..]` until the
/// `Close` of the current one (or the end), given the payloads' new bytes
/// in `coded`; returns how many bytes that part grows by.
fn regrow(marks: &mut [Mark], at: &mut usize, coded: &mut std::slice::Iter<'_, Vec<u8>>) -> isize {
    let field = |len: usize| (prost::encoding::encoded_len_varint(len as u64) + len) as isize;
    let mut grown = 0;
    while let Some(&mark) = marks.get(*at) {
        let here = *at;
        *at += 1;
        match mark {
            Mark::Close => break,
            Mark::Payload { key_end, end, .. } => {
                grown += field(coded.next().map_or(0, Vec::len)) - (end - key_end) as isize;
            }
            Mark::Open {
                key_end,
                value,
                end,
                ..
            } => {
                let len = (end - value).saturating_add_signed(regrow(marks, at, coded));
                if let Mark::Open { len: new, .. } = &mut marks[here] {
                    *new = len;
                }
                grown += field(len) - (end - key_end) as isize;
            }
        }
    }
    grown
}

/// Reads a payload's wire form (a `temporal.api.common.v1.Payload`
/// message) without copying: calls `entry` with each metadata name and
/// value, in wire order, and returns the data. Other fields are skipped.
pub fn read_payload<'a>(
    bytes: &'a [u8],
    mut entry: impl FnMut(&'a str, &'a [u8]),
) -> std::result::Result<&'a [u8], &'static str> {
    let mut data: &[u8] = &[];
    each_field(bytes, |number, value| {
        match number {
            1 => {
                let (mut name, mut content): (&[u8], &[u8]) = (&[], &[]);
                each_field(value, |number, field| {
                    match number {
                        1 => name = field,
                        2 => content = field,
                        _ => {}
                    }
                    Ok(())
                })?;
                let name = if name == b"encoding" {
                    // The usual one, without the check.
                    "encoding"
                } else {
                    std::str::from_utf8(name).map_err(|_| "a metadata name is not UTF-8")?
                };
                entry(name, content);
            }
            2 => data = value,
            _ => {}
        }
        Ok(())
    })?;
    Ok(data)
}

/// Calls `each` with the number and value of every length-delimited field
/// of the message `bytes`, in wire order; other fields are checked and
/// passed over.
fn each_field<'a>(
    bytes: &'a [u8],
    mut each: impl FnMut(u64, &'a [u8]) -> std::result::Result<(), &'static str>,
) -> std::result::Result<(), &'static str> {
    let mut at = 0;
    while at < bytes.len() {
        let key = varint(bytes, &mut at)?;
        if key >> 3 == 0 {
            return Err("a field numbered 0");
        }
        if key & 7 == 2 {
            each(key >> 3, length_delimited(bytes, &mut at)?)?;
        } else {
            skip(bytes, &mut at, key)?;
        }
    }
    Ok(())
}

/// Appends one metadata entry of a payload's wire form (see [`read_payload`]).
pub fn write_payload_metadata(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    let entry_len = 2
        + prost::encoding::encoded_len_varint(name.len() as u64)
        + name.len()
        + prost::encoding::encoded_len_varint(value.len() as u64)
        + value.len();
    out.push(0x0a); // field 1, length-delimited
    prost::encoding::encode_varint(entry_len as u64, out);
    out.push(0x0a);
    prost::encoding::encode_varint(name.len() as u64, out);
    out.extend_from_slice(name.as_bytes());
    out.push(0x12); // field 2, length-delimited
    prost::encoding::encode_varint(value.len() as u64, out);
    out.extend_from_slice(value);
}

/// Appends a payload's data to its wire form (after its metadata).
pub fn write_payload_data(out: &mut Vec<u8>, data: &[u8]) {
    if !data.is_empty() {
        out.push(0x12);
        prost::encoding::encode_varint(data.len() as u64, out);
        out.extend_from_slice(data);
    }
}

/// The value of the length-delimited field whose length is at `at`, moving
/// `at` past it.
fn length_delimited<'a>(
    bytes: &'a [u8],
    at: &mut usize,
) -> std::result::Result<&'a [u8], &'static str> {
    let len = usize::try_from(varint(bytes, at)?).map_err(|_| "a length does not fit in memory")?;
    let end = at
        .checked_add(len)
        .filter(|&end| end <= bytes.len())
        .ok_or("a length-delimited field is cut short")?;
    let value = &bytes[*at..end];
    *at = end;
    Ok(value)
}

/// The method an RPC path names (`/package.Service/Method`), if the bundled
/// descriptors know it.
fn method_at(path: &str) -> Option<MethodDescriptor> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    let pool = crate::descriptors::descriptor_pool().ok()?;
    let found = pool
        .get_service_by_name(service)?
        .methods()
        .find(|m| m.name() == method);
    found
}

/// A failure's message and stack trace moved into `encoded_attributes` (a
/// `json/plain` payload `{"message", "stack_trace"}`), as the SDKs do.
fn move_attributes_in(failure: &mut DynamicMessage) {
    if failure.has_field_by_name("encoded_attributes") {
        return;
    }
    let text = |m: &DynamicMessage, name: &str| {
        m.get_field_by_name(name)
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let message = text(failure, "message");
    let stack_trace = text(failure, "stack_trace");
    if message.is_empty() && stack_trace.is_empty() {
        return;
    }
    let Some(descriptor) = failure
        .descriptor()
        .get_field_by_name("encoded_attributes")
        .and_then(|f| f.kind().as_message().cloned())
    else {
        return;
    };
    let mut attributes = DynamicMessage::new(descriptor);
    let payload = encode_value(&json!({"message": message, "stack_trace": stack_trace}));
    if attributes.transcode_from(&payload).is_err() {
        return;
    }
    failure.set_field_by_name("encoded_attributes", Field::Message(attributes));
    failure.set_field_by_name("message", Field::String(ENCODED_FAILURE_MESSAGE.to_owned()));
    failure.set_field_by_name("stack_trace", Field::String(String::new()));
}

/// A decoded failure's message and stack trace restored from its
/// `encoded_attributes`, which are then cleared. Attributes that are not a
/// JSON object with a string `message` are left where they are.
fn move_attributes_out(failure: &mut DynamicMessage) {
    let attributes = match failure.get_field_by_name("encoded_attributes") {
        Some(value) if failure.has_field_by_name("encoded_attributes") => value,
        _ => return,
    };
    let Some(payload) = attributes
        .as_message()
        .and_then(|m| m.transcode_to::<Payload>().ok())
    else {
        return;
    };
    let Value::Object(fields) = decode_payload(&payload) else {
        return;
    };
    let Some(message) = fields.get("message").and_then(Value::as_str) else {
        return;
    };
    failure.set_field_by_name("message", Field::String(message.to_owned()));
    if let Some(stack_trace) = fields.get("stack_trace").and_then(Value::as_str) {
        failure.set_field_by_name("stack_trace", Field::String(stack_trace.to_owned()));
    }
    failure.clear_field_by_name("encoded_attributes");
}

/// The error of a codec that failed: kind `codec`, naming the direction and
/// the call, never the payloads.
pub(crate) fn codec_error(
    direction: CodecDirection,
    call: &str,
    count: usize,
    why: String,
) -> Error {
    Error::new(
        ErrorKind::Codec,
        format!(
            "the payload codec could not {} the {count} payload{} of {call}: {why}",
            direction.as_str(),
            if count == 1 { "" } else { "s" }
        ),
    )
    .with_detail("direction", direction.as_str())
    .with_detail("call", call)
    .with_detail("payloads", count)
}

/// Payloads as the codec server protocol (and the C codec callbacks) carry
/// them: `{"payloads": [{"metadata": {name: base64}, "data": base64}]}`,
/// the protobuf JSON mapping of `temporal.api.common.v1.Payloads`.
pub fn payloads_to_json(payloads: &[Payload]) -> String {
    let list: Vec<RawPayload> = payloads.iter().map(RawPayload::from_proto).collect();
    json!({ "payloads": list }).to_string()
}

/// Reads what [`payloads_to_json`] writes. Every payload must have a
/// metadata object (possibly empty) or none; `data` may be absent (empty).
pub fn payloads_from_json(text: &[u8]) -> std::result::Result<Vec<Payload>, String> {
    #[derive(Deserialize)]
    struct Wire {
        payloads: Option<Vec<WirePayload>>,
    }
    #[derive(Deserialize)]
    struct WirePayload {
        #[serde(default)]
        metadata: std::collections::BTreeMap<String, String>,
        #[serde(default)]
        data: String,
    }
    let wire: Wire = serde_json::from_slice(text)
        .map_err(|e| format!("the answer is not JSON of the form {{\"payloads\": [...]}} ({e})"))?;
    wire.payloads
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            RawPayload {
                metadata: p.metadata,
                data: p.data,
            }
            .to_proto()
            .map_err(|e| {
                format!(
                    "the answer has a payload that is not valid: {}",
                    e.message()
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use temporalio_protos::temporal::api::common::v1::{
        Header, Memo, Payloads, SearchAttributes, WorkflowExecution,
    };
    use temporalio_protos::temporal::api::failure::v1::{
        failure::FailureInfo, ApplicationFailureInfo, Failure,
    };
    use temporalio_protos::temporal::api::workflowservice::v1::{
        RespondActivityTaskFailedRequest, StartWorkflowExecutionRequest,
    };

    /// Reverses each payload's data and marks it; decoding undoes only marked ones.
    struct Reverse;

    fn reverse(payloads: Vec<Payload>, mark: bool) -> Vec<Payload> {
        payloads
            .into_iter()
            .map(|mut p| {
                let marked = p.metadata.contains_key("reversed");
                if mark || marked {
                    p.data.reverse();
                    if mark {
                        p.metadata.insert("reversed".into(), b"1".to_vec());
                    } else {
                        p.metadata.remove("reversed");
                    }
                }
                p
            })
            .collect()
    }

    impl PayloadCodec for Reverse {
        fn encode(&self, _: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
            Box::pin(async move { Ok(reverse(payloads, true)) })
        }
        fn decode(&self, _: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
            Box::pin(async move { Ok(reverse(payloads, false)) })
        }
    }

    fn stage(options: CodecOptions) -> CodecStage {
        CodecStage::new(Some(Arc::new(Reverse)), Some(&options), "default")
            .unwrap()
            .unwrap()
    }

    const START: &str = "/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution";

    fn start_request() -> StartWorkflowExecutionRequest {
        let value = |v: Value| encode_value(&v);
        StartWorkflowExecutionRequest {
            workflow_id: "w".into(),
            input: Some(Payloads {
                payloads: vec![value(json!("a")), value(json!({"b": 1}))],
            }),
            memo: Some(Memo {
                fields: HashMap::from([("m".to_owned(), value(json!("memo")))]),
            }),
            search_attributes: Some(SearchAttributes {
                indexed_fields: HashMap::from([("s".to_owned(), value(json!("sa")))]),
            }),
            header: Some(Header {
                fields: HashMap::from([("h".to_owned(), value(json!("header")))]),
            }),
            ..Default::default()
        }
    }

    fn encoded(stage: &CodecStage, path: &'static str, message: &impl prost::Message) -> Bytes {
        let bytes = Bytes::from(message.encode_to_vec());
        futures::executor::block_on(stage.encode_request(path, bytes)).unwrap()
    }

    #[test]
    fn arguments_are_encoded_and_search_attributes_headers_and_memos_are_not() {
        let sent: StartWorkflowExecutionRequest = prost::Message::decode(encoded(
            &stage(CodecOptions::default()),
            START,
            &start_request(),
        ))
        .unwrap();
        let input = &sent.input.unwrap().payloads;
        assert_eq!(
            input[0].data,
            b"\"a\"".iter().rev().copied().collect::<Vec<_>>()
        );
        assert!(input.iter().all(|p| p.metadata.contains_key("reversed")));
        assert_eq!(sent.memo.unwrap().fields["m"].data, b"\"memo\"");
        assert_eq!(
            sent.search_attributes.unwrap().indexed_fields["s"].data,
            b"\"sa\""
        );
        assert_eq!(sent.header.unwrap().fields["h"].data, b"\"header\"");
        assert_eq!(sent.workflow_id, "w");
    }

    #[test]
    fn the_wire_path_and_the_message_path_agree() {
        use temporalio_protos::temporal::api::history::v1::{
            history_event::Attributes, History, HistoryEvent,
            WorkflowExecutionSignaledEventAttributes, WorkflowExecutionStartedEventAttributes,
        };
        use temporalio_protos::temporal::api::workflowservice::v1::GetWorkflowExecutionHistoryResponse;
        const HISTORY: &str =
            "/temporal.api.workflowservice.v1.WorkflowService/GetWorkflowExecutionHistory";
        let start = start_request();
        let event = |id: i64, attributes: Attributes| HistoryEvent {
            event_id: id,
            attributes: Some(attributes),
            ..Default::default()
        };
        let reply = GetWorkflowExecutionHistoryResponse {
            history: Some(History {
                events: vec![
                    event(
                        1,
                        Attributes::WorkflowExecutionStartedEventAttributes(
                            WorkflowExecutionStartedEventAttributes {
                                input: start.input.clone(),
                                memo: start.memo.clone(),
                                search_attributes: start.search_attributes.clone(),
                                header: start.header.clone(),
                                ..Default::default()
                            },
                        ),
                    ),
                    event(
                        2,
                        Attributes::WorkflowExecutionSignaledEventAttributes(
                            WorkflowExecutionSignaledEventAttributes {
                                signal_name: "s".into(),
                                input: start.input.clone(),
                                ..Default::default()
                            },
                        ),
                    ),
                ],
            }),
            next_page_token: vec![1, 2, 3],
            ..Default::default()
        };
        for options in [
            CodecOptions::default(),
            CodecOptions {
                include_memo: true,
                ..Default::default()
            },
        ] {
            let stage = stage(options);
            let method = method_at(HISTORY).unwrap();
            let bytes = Bytes::from(prost::Message::encode_to_vec(&reply));
            let run = |bytes: Bytes, fast: bool| {
                futures::executor::block_on(async {
                    if fast {
                        stage
                            .transform_as(HISTORY, true, CodecDirection::Encode, bytes.clone(), 0)
                            .await
                            .map(|changed| changed.map_or(bytes, Bytes::from))
                    } else {
                        stage
                            .transform_message(
                                "GetWorkflowExecutionHistory",
                                method.output(),
                                CodecDirection::Encode,
                                bytes,
                            )
                            .await
                    }
                })
                .unwrap()
            };
            let fast: GetWorkflowExecutionHistoryResponse =
                prost::Message::decode(run(bytes.clone(), true)).unwrap();
            let slow: GetWorkflowExecutionHistoryResponse =
                prost::Message::decode(run(bytes.clone(), false)).unwrap();
            assert_eq!(fast, slow);
            assert_ne!(fast, reply, "something was encoded");
            // And back: decoding what was encoded gives the reply again.
            let encoded = Bytes::from(prost::Message::encode_to_vec(&fast));
            let back = futures::executor::block_on(stage.transform(
                HISTORY,
                CodecDirection::Decode,
                encoded,
            ))
            .unwrap();
            let back: GetWorkflowExecutionHistoryResponse = prost::Message::decode(back).unwrap();
            assert_eq!(back, reply);
        }
    }

    #[test]
    fn memos_are_encoded_when_asked() {
        let options = CodecOptions {
            include_memo: true,
            ..Default::default()
        };
        let sent: StartWorkflowExecutionRequest =
            prost::Message::decode(encoded(&stage(options), START, &start_request())).unwrap();
        assert!(sent.memo.unwrap().fields["m"]
            .metadata
            .contains_key("reversed"));
    }

    #[test]
    fn failure_attributes_move_into_the_encoded_payload_and_back() {
        const FAIL: &str =
            "/temporal.api.workflowservice.v1.WorkflowService/RespondActivityTaskFailed";
        let request = RespondActivityTaskFailedRequest {
            failure: Some(Failure {
                message: "secret message".into(),
                stack_trace: "at secret()".into(),
                cause: Some(Box::new(Failure {
                    message: "inner".into(),
                    ..Default::default()
                })),
                failure_info: Some(FailureInfo::ApplicationFailureInfo(
                    ApplicationFailureInfo {
                        r#type: "T".into(),
                        details: Some(Payloads {
                            payloads: vec![encode_value(&json!([1, 2]))],
                        }),
                        ..Default::default()
                    },
                )),
                ..Default::default()
            }),
            ..Default::default()
        };
        let options = CodecOptions {
            encode_failure_attributes: true,
            ..Default::default()
        };
        let stage = stage(options);
        let bytes = encoded(&stage, FAIL, &request);
        let sent: RespondActivityTaskFailedRequest = prost::Message::decode(bytes.clone()).unwrap();
        let failure = sent.failure.unwrap();
        assert_eq!(failure.message, "Encoded failure");
        assert_eq!(failure.stack_trace, "");
        let attributes = failure.encoded_attributes.unwrap();
        assert!(attributes.metadata.contains_key("reversed"));
        assert!(!String::from_utf8_lossy(&attributes.data).contains("secret message"));
        assert_eq!(failure.cause.unwrap().message, "Encoded failure");

        // The same message read back (as a reply would be) is whole again.
        let descriptor = method_at(FAIL).unwrap().input();
        let back = futures::executor::block_on(stage.transform_message(
            "RespondActivityTaskFailed",
            descriptor,
            CodecDirection::Decode,
            bytes,
        ))
        .unwrap();
        let back: RespondActivityTaskFailedRequest = prost::Message::decode(back).unwrap();
        assert_eq!(back, request);
    }

    #[test]
    fn a_message_without_payloads_is_passed_through_untouched() {
        let path =
            "/temporal.api.workflowservice.v1.WorkflowService/RequestCancelWorkflowExecution";
        let request = temporalio_protos::temporal::api::workflowservice::v1::RequestCancelWorkflowExecutionRequest {
            workflow_execution: Some(WorkflowExecution {
                workflow_id: "w".into(),
                run_id: String::new(),
            }),
            ..Default::default()
        };
        let bytes = Bytes::from(prost::Message::encode_to_vec(&request));
        let out = futures::executor::block_on(
            stage(CodecOptions::default()).encode_request(path, bytes.clone()),
        )
        .unwrap();
        assert_eq!(out, bytes);
    }

    #[test]
    fn payloads_handed_back_as_they_were_leave_the_message_as_it_was() {
        let stage = stage(CodecOptions::default());
        let run = |message: &StartWorkflowExecutionRequest| {
            let bytes = Bytes::from(prost::Message::encode_to_vec(message));
            futures::executor::block_on(stage.transform_as(
                START,
                false,
                CodecDirection::Decode,
                bytes,
                0,
            ))
            .unwrap()
        };
        // Nothing was reversed: decoding hands every payload back as it was,
        // and the message is not rewritten.
        assert!(run(&start_request()).is_none());
        // One payload of two changes: it is spliced in, the other is kept.
        let mut request = start_request();
        let input = &mut request.input.as_mut().unwrap().payloads;
        input[1] = reverse(vec![input[1].clone()], true).remove(0);
        let out = run(&request).expect("a payload changed");
        let decoded: StartWorkflowExecutionRequest =
            prost::Message::decode(out.as_slice()).unwrap();
        assert_eq!(decoded, start_request());
    }

    struct Broken(usize);
    impl PayloadCodec for Broken {
        fn encode(&self, _: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
            let keep = self.0;
            Box::pin(async move {
                if keep == usize::MAX {
                    return Err("key vault unreachable".into());
                }
                Ok(payloads.into_iter().take(keep).collect())
            })
        }
        fn decode(&self, c: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
            self.encode(c, payloads)
        }
    }

    #[test]
    fn a_codec_that_fails_or_miscounts_gives_a_codec_error_naming_the_call() {
        for (codec, says) in [
            (Broken(usize::MAX), "key vault unreachable"),
            (Broken(1), "returned 1 payloads for 2"),
        ] {
            let stage = CodecStage::new(Some(Arc::new(codec)), None, "default")
                .unwrap()
                .unwrap();
            let bytes = Bytes::from(prost::Message::encode_to_vec(&start_request()));
            let error =
                futures::executor::block_on(stage.encode_request(START, bytes)).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Codec);
            assert!(error.message().contains(says), "{}", error.message());
            assert!(error
                .message()
                .contains("encode the 2 payloads of StartWorkflowExecution"));
            assert_eq!(error.details()["direction"], "encode");
            assert_eq!(error.details()["call"], "StartWorkflowExecution");
        }
    }

    /// Appends `self.0` bytes to each payload's data (and says so in its
    /// metadata); decoding takes them off again.
    struct Pad(usize);

    impl PayloadCodec for Pad {
        fn encode(&self, _: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
            let n = self.0;
            Box::pin(async move {
                Ok(payloads
                    .into_iter()
                    .map(|mut p| {
                        p.data.extend(std::iter::repeat_n(b'x', n));
                        p.metadata
                            .insert("padded".into(), n.to_string().into_bytes());
                        p
                    })
                    .collect())
            })
        }
        fn decode(&self, _: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
            Box::pin(async move {
                Ok(payloads
                    .into_iter()
                    .map(|mut p| {
                        if let Some(n) = p.metadata.remove("padded") {
                            let n: usize = String::from_utf8(n).unwrap().parse().unwrap();
                            p.data.truncate(p.data.len() - n);
                        }
                        p
                    })
                    .collect())
            })
        }
    }

    #[test]
    fn payloads_that_grow_across_length_bytes_keep_every_other_field() {
        use temporalio_protos::temporal::api::history::v1::{
            history_event::Attributes, History, HistoryEvent,
            WorkflowExecutionStartedEventAttributes,
        };
        use temporalio_protos::temporal::api::workflowservice::v1::GetWorkflowExecutionHistoryResponse;
        const HISTORY: &str =
            "/temporal.api.workflowservice.v1.WorkflowService/GetWorkflowExecutionHistory";
        let start = start_request();
        let started = |id: i64| HistoryEvent {
            event_id: id,
            attributes: Some(Attributes::WorkflowExecutionStartedEventAttributes(
                WorkflowExecutionStartedEventAttributes {
                    input: start.input.clone(),
                    memo: start.memo.clone(),
                    header: start.header.clone(),
                    ..Default::default()
                },
            )),
            ..Default::default()
        };
        let reply = GetWorkflowExecutionHistoryResponse {
            history: Some(History {
                events: vec![started(1), started(2)],
            }),
            next_page_token: vec![7; 3],
            ..Default::default()
        };
        // 0, 1 and 2 extra bytes in the lengths of the payloads, the inputs,
        // the attributes, the events and the history.
        for pad in [0, 1, 100, 130, 20_000] {
            let stage = CodecStage::new(
                Some(Arc::new(Pad(pad))),
                Some(&CodecOptions {
                    include_memo: true,
                    ..Default::default()
                }),
                "default",
            )
            .unwrap()
            .unwrap();
            let bytes = Bytes::from(prost::Message::encode_to_vec(&reply));
            // Both ways on the reply message, as a worker's codec would.
            let run = |direction, bytes: Bytes| {
                futures::executor::block_on(stage.transform_as(
                    HISTORY,
                    true,
                    direction,
                    bytes.clone(),
                    0,
                ))
                .unwrap()
                .map_or(bytes, Bytes::from)
            };
            let encoded = run(CodecDirection::Encode, bytes);
            let seen: GetWorkflowExecutionHistoryResponse =
                prost::Message::decode(encoded.clone()).unwrap();
            let events = &seen.history.as_ref().unwrap().events;
            assert_eq!(events.len(), 2);
            assert_eq!(seen.next_page_token, reply.next_page_token);
            let Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) =
                &events[1].attributes
            else {
                panic!("the event lost its attributes");
            };
            let first = &a.input.as_ref().unwrap().payloads[0];
            assert_eq!(first.data.len(), 3 + pad, "{pad}");
            assert_eq!(a.memo.as_ref().unwrap().fields["m"].data.len(), 6 + pad);
            assert_eq!(a.header, start.header, "headers are never coded");
            let back: GetWorkflowExecutionHistoryResponse =
                prost::Message::decode(run(CodecDirection::Decode, encoded)).unwrap();
            assert_eq!(back, reply, "{pad}");
        }
    }

    /// Answers bytes that are not a payload message.
    struct Garbage;

    impl PayloadCodec for Garbage {
        fn encode(&self, c: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
            payloads_via_wire(payloads, |wire| self.encode_wire(c, wire))
        }
        fn decode(&self, c: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
            payloads_via_wire(payloads, |wire| self.decode_wire(c, wire))
        }
        fn encode_wire(&self, _: &CodecContext, payloads: Vec<Bytes>) -> WireFuture {
            // A length that runs past the end.
            let answer = payloads.iter().map(|_| vec![0x12, 0x05, b'a']).collect();
            Box::pin(std::future::ready(Ok(answer)))
        }
        fn decode_wire(&self, c: &CodecContext, payloads: Vec<Bytes>) -> WireFuture {
            self.encode_wire(c, payloads)
        }
    }

    #[test]
    fn a_codec_answering_bytes_that_are_not_a_payload_is_a_codec_error() {
        let stage = CodecStage::new(Some(Arc::new(Garbage)), None, "default")
            .unwrap()
            .unwrap();
        let bytes = Bytes::from(prost::Message::encode_to_vec(&start_request()));
        let error = futures::executor::block_on(stage.encode_request(START, bytes)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Codec);
        assert!(
            error
                .message()
                .contains("payload 0 that is not a protobuf message"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn payload_wire_reading_and_writing_agree_with_prost() {
        let payload = Payload {
            metadata: HashMap::from([
                ("encoding".to_owned(), b"json/plain".to_vec()),
                ("é".to_owned(), vec![0; 200]),
            ]),
            data: vec![1; 300],
            ..Default::default()
        };
        let bytes = prost::Message::encode_to_vec(&payload);
        let mut seen = HashMap::new();
        let data = read_payload(&bytes, |name, value| {
            seen.insert(name.to_owned(), value.to_vec());
        })
        .unwrap();
        assert_eq!((data, &seen), (&payload.data[..], &payload.metadata));
        let mut written = Vec::new();
        for (name, value) in &payload.metadata {
            write_payload_metadata(&mut written, name, value);
        }
        write_payload_data(&mut written, &payload.data);
        assert_eq!(
            <Payload as prost::Message>::decode(&written[..]).unwrap(),
            payload
        );
        assert!(read_payload(&bytes[..bytes.len() - 1], |_, _| {}).is_err());
        assert!(read_payload(&[0x0a, 0x02, 0x0a, 0x01, 0xff], |_, _| {}).is_err());
    }

    #[test]
    fn codec_server_json_round_trips_and_names_what_is_wrong() {
        let payloads = vec![encode_value(&json!({"x": 1})), Payload::default()];
        let text = payloads_to_json(&payloads);
        assert_eq!(payloads_from_json(text.as_bytes()).unwrap(), payloads);
        assert!(payloads_from_json(b"<html>")
            .unwrap_err()
            .contains("not JSON"));
        let bad = br#"{"payloads": [{"data": "!!"}]}"#;
        assert!(payloads_from_json(bad).unwrap_err().contains("not valid"));
    }

    #[test]
    fn in_process_and_server_codecs_are_exclusive() {
        let options = CodecOptions {
            endpoint: Some("http://127.0.0.1:1".into()),
            ..Default::default()
        };
        let error = CodecStage::new(Some(Arc::new(Reverse)), Some(&options), "default")
            .err()
            .unwrap();
        assert!(error.message().contains("not both"));
    }
}
